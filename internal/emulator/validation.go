/*
Copyright 2026.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// bodyMode tells which request schema a body is checked against: DestinationCreate or DestinationUpdate.
type bodyMode int

const (
	createBody bodyMode = iota
	patchBody
)

// invalidBodyError is answered with 400; its message names the first failing field.
type invalidBodyError struct {
	message string
}

func (e *invalidBodyError) Error() string { return e.message }

func invalidField(format string, args ...any) error {
	return &invalidBodyError{message: "Invalid body: " + fmt.Sprintf(format, args...)}
}

// errNoFieldsToUpdate answers an empty PATCH.
var errNoFieldsToUpdate = &invalidBodyError{message: "No fields to update"}

const typeHTTP = "http"

var (
	destinationTypes = []string{typeHTTP, "aws_sqs", "aws_s3", "aws_eventbridge", "gcp_pubsub", "kafka", "rabbitmq", "websocket"}
	typeAliases      = map[string]string{"sqs": "aws_sqs", "s3": "aws_s3", "eventbridge": "aws_eventbridge", "pubsub": "gcp_pubsub"}
	methods          = []string{"POST", "PUT", "PATCH"}
	authTypes        = []string{"none", "bearer", "basic", "api_key"}
	statuses         = []string{"active", "paused", "disabled"}
	backoffTypes     = []string{"exponential", "linear", "fixed"}

	slugPattern        = regexp.MustCompile(`^[a-z0-9-]+$`)
	channelNamePattern = regexp.MustCompile(`^[a-z0-9._-]+$`)
)

// canonicalType maps the short names of the API guide to the long names the store keeps.
func canonicalType(name string) (string, bool) {
	if long, ok := typeAliases[name]; ok {
		return long, true
	}
	return name, slices.Contains(destinationTypes, name)
}

// authFields are the auth_config keys each auth_type needs; all of them are required.
var authFields = map[string][]string{
	"bearer":  {"token"},
	"basic":   {"username", "password"},
	"api_key": {"header", "value"},
}

type providerSpec struct {
	required []string
	optional []string
}

var providerSpecs = map[string]providerSpec{
	typeHTTP:          {},
	"aws_sqs":         {required: []string{"queue_url", "region", "access_key_id", "secret_access_key"}, optional: []string{"message_group_id"}},
	"aws_s3":          {required: []string{"bucket", "region", "access_key_id", "secret_access_key"}, optional: []string{"prefix", "format"}},
	"aws_eventbridge": {required: []string{"event_bus_arn", "region", "source", "detail_type", "access_key_id", "secret_access_key"}},
	"gcp_pubsub":      {required: []string{"project_id", "topic_id", "service_account_json"}},
	"kafka":           {required: []string{"bootstrap_servers", "cluster_id", "topic", "api_key", "api_secret"}},
	"rabbitmq":        {required: []string{"url", "exchange", "routing_key", "username", "password"}, optional: []string{"vhost"}},
	"websocket":       {required: []string{"channel_name"}},
}

// draft is a destination being built from a create body or edited by a PATCH body. The JSON-valued
// configs are kept decoded so that the cross-field rules can check the resulting row.
type draft struct {
	row               *Destination
	authConfig        map[string]string
	authConfigSet     bool
	providerConfig    map[string]string
	providerConfigSet bool
	providerField     string // the name the body used: "provider_config" or its alias "config"
}

func newDraft(row *Destination) *draft {
	return &draft{
		row:            row,
		authConfig:     decodeStringMap(row.AuthConfig),
		providerConfig: decodeStringMap(row.ProviderConfig),
		providerField:  "provider_config",
	}
}

type fieldRule struct {
	name             string
	requiredOnCreate bool
	nullOnCreate     bool
	nullOnPatch      bool
	apply            func(d *draft, field string, raw json.RawMessage) error
	clear            func(d *draft)
}

// fieldRules lists the request fields in the order of the request schemas; validation reports the first
// failing one in this order.
var fieldRules = []fieldRule{
	{name: "name", requiredOnCreate: true, apply: func(d *draft, field string, raw json.RawMessage) error {
		return applyString(field, raw, 1, 128, &d.row.Name)
	}},
	{name: "slug", requiredOnCreate: true, apply: func(d *draft, field string, raw json.RawMessage) error {
		if err := applyString(field, raw, 1, 64, &d.row.Slug); err != nil {
			return err
		}
		if !slugPattern.MatchString(d.row.Slug) {
			return invalidField("'%s' must match pattern %s", field, slugPattern)
		}
		return nil
	}},
	{name: "type", apply: func(d *draft, field string, raw json.RawMessage) error {
		name, ok := decodeString(raw)
		if !ok {
			return invalidField("'%s' must be a string", field)
		}
		long, ok := canonicalType(name)
		if !ok {
			return invalidField("'%s' must be one of %s (or the aliases sqs, s3, eventbridge, pubsub)",
				field, strings.Join(destinationTypes, ", "))
		}
		d.row.Type = long
		return nil
	}},
	{name: "url", apply: func(d *draft, field string, raw json.RawMessage) error {
		return applyString(field, raw, 0, 2048, &d.row.URL)
	}},
	{name: "method", apply: func(d *draft, field string, raw json.RawMessage) error {
		return applyEnum(field, raw, methods, &d.row.Method)
	}},
	{name: "headers", nullOnPatch: true,
		apply: func(d *draft, field string, raw json.RawMessage) error {
			headers, err := decodeStringObject(field, raw)
			if err != nil {
				return err
			}
			encoded := encodeJSON(headers)
			d.row.Headers = &encoded
			return nil
		},
		clear: func(d *draft) { d.row.Headers = nil }},
	{name: "timeout_ms", apply: func(d *draft, field string, raw json.RawMessage) error {
		value, err := decodeIntInRange(field, raw, 1000, 120_000)
		d.row.TimeoutMS = value
		return err
	}},
	{name: "auth_type", apply: func(d *draft, field string, raw json.RawMessage) error {
		return applyEnum(field, raw, authTypes, &d.row.AuthType)
	}},
	{name: "auth_config", nullOnCreate: true, nullOnPatch: true,
		apply: func(d *draft, field string, raw json.RawMessage) error {
			config, err := decodeStringObject(field, raw)
			d.authConfig, d.authConfigSet = config, true
			return err
		},
		clear: func(d *draft) { d.authConfig, d.authConfigSet = nil, true }},
	{name: "status", apply: func(d *draft, field string, raw json.RawMessage) error {
		return applyEnum(field, raw, statuses, &d.row.Status)
	}},
	{name: "provider_config", nullOnCreate: true, nullOnPatch: true, apply: applyProviderConfig, clear: clearProviderConfig},
	{name: "config", nullOnCreate: true, nullOnPatch: true, apply: applyProviderConfig, clear: clearProviderConfig},
	{name: "retry_enabled", nullOnPatch: true,
		apply: func(d *draft, field string, raw json.RawMessage) error {
			return applyBool(field, raw, &d.row.RetryEnabled)
		},
		clear: func(d *draft) { d.row.RetryEnabled = nil }},
	{name: "retry_max_attempts", nullOnPatch: true,
		apply: func(d *draft, field string, raw json.RawMessage) error {
			return applyOptionalInt(field, raw, 1, 10, &d.row.RetryMaxAttempts)
		},
		clear: func(d *draft) { d.row.RetryMaxAttempts = nil }},
	{name: "retry_backoff_type", nullOnPatch: true,
		apply: func(d *draft, field string, raw json.RawMessage) error {
			var value string
			if err := applyEnum(field, raw, backoffTypes, &value); err != nil {
				return err
			}
			d.row.RetryBackoffType = &value
			return nil
		},
		clear: func(d *draft) { d.row.RetryBackoffType = nil }},
	{name: "retry_intervals", nullOnPatch: true,
		apply: func(d *draft, field string, raw json.RawMessage) error {
			intervals, err := decodeIntervals(field, raw)
			if err != nil {
				return err
			}
			encoded := encodeJSON(intervals)
			d.row.RetryIntervals = &encoded
			return nil
		},
		clear: func(d *draft) { d.row.RetryIntervals = nil }},
	{name: "circuit_breaker_enabled", nullOnPatch: true,
		apply: func(d *draft, field string, raw json.RawMessage) error {
			return applyBool(field, raw, &d.row.CircuitBreakerEnabled)
		},
		clear: func(d *draft) { d.row.CircuitBreakerEnabled = nil }},
	{name: "circuit_breaker_threshold", nullOnPatch: true,
		apply: func(d *draft, field string, raw json.RawMessage) error {
			return applyOptionalInt(field, raw, 1, 100, &d.row.CircuitBreakerThreshold)
		},
		clear: func(d *draft) { d.row.CircuitBreakerThreshold = nil }},
	{name: "circuit_breaker_reset_ms", nullOnPatch: true,
		apply: func(d *draft, field string, raw json.RawMessage) error {
			return applyOptionalInt(field, raw, 1000, 3_600_000, &d.row.CircuitBreakerResetMS)
		},
		clear: func(d *draft) { d.row.CircuitBreakerResetMS = nil }},
}

// Fields that exist on the row but no request may set.
var (
	readOnlyFields  = []string{"id", "event_count", "last_delivery_at", "created_at", "updated_at"}
	immutableFields = []string{"slug", "type", "org_id", "env_id"}
)

func knownField(name string) bool {
	return slices.ContainsFunc(fieldRules, func(r fieldRule) bool { return r.name == name })
}

// checkFieldNames rejects fields the request schema does not allow (additionalProperties: false), before
// any value is looked at: a misspelt field must not hide behind a value error elsewhere.
func checkFieldNames(fields map[string]json.RawMessage, mode bodyMode) error {
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		switch {
		case mode == patchBody && slices.Contains(immutableFields, name):
			return invalidField("'%s' cannot be changed", name)
		case mode == createBody && name == "status":
			return invalidField("'status' cannot be set on create; change it with PATCH")
		case slices.Contains(readOnlyFields, name) || name == "org_id" || name == "env_id":
			return invalidField("'%s' is read-only", name)
		case !knownField(name):
			return invalidField("'%s' is not allowed", name)
		}
	}
	if _, ok := fields["config"]; ok {
		if _, ok := fields["provider_config"]; ok {
			return invalidField("'config' and 'provider_config' are the same field; send only one of them")
		}
	}
	return nil
}

// parseObject decodes a request body that must be a JSON object. Anything else, including truncated JSON
// and trailing data, is a 400.
func parseObject(body []byte) (map[string]json.RawMessage, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, invalidField("expected a JSON object")
	}
	if !json.Valid(trimmed) {
		return nil, invalidField("malformed JSON")
	}
	if trimmed[0] != '{' {
		return nil, invalidField("expected a JSON object")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &fields); err != nil {
		return nil, invalidField("malformed JSON")
	}
	return fields, nil
}

// applyFields applies a parsed body to d and checks the resulting row as a whole.
func applyFields(d *draft, fields map[string]json.RawMessage, mode bodyMode) error {
	if err := checkFieldNames(fields, mode); err != nil {
		return err
	}
	for _, rule := range fieldRules {
		raw, present := fields[rule.name]
		if !present {
			if mode == createBody && rule.requiredOnCreate {
				return invalidField("'%s' is required", rule.name)
			}
			continue
		}
		raw = bytes.TrimSpace(raw)
		if string(raw) == "null" {
			if (mode == createBody && rule.nullOnCreate) || (mode == patchBody && rule.nullOnPatch) {
				rule.clear(d)
				continue
			}
			return invalidField("'%s' cannot be null", rule.name)
		}
		if err := rule.apply(d, rule.name, raw); err != nil {
			return err
		}
	}
	if err := validateDraft(d); err != nil {
		return err
	}
	if d.authConfigSet {
		d.row.AuthConfig = encodeOptional(d.authConfig)
	}
	if d.providerConfigSet {
		d.row.ProviderConfig = encodeOptional(d.providerConfig)
	}
	return nil
}

func encodeOptional(config map[string]string) *string {
	if config == nil {
		return nil
	}
	encoded := encodeJSON(config)
	return &encoded
}

// validateDraft applies the rules that relate fields to each other. It runs on the resulting row, so a
// PATCH is checked against the stored type, auth_type and configs it does not touch.
func validateDraft(d *draft) error {
	row := d.row
	if row.Type == typeHTTP {
		if row.URL == "" {
			return invalidField("'url' is required for type http")
		}
		if !isAbsoluteHTTPURL(row.URL) {
			return invalidField("'url' must be an absolute http or https URL")
		}
	} else if row.URL != "" {
		return invalidField("'url' must be empty for type %s", row.Type)
	}

	if required, ok := authFields[row.AuthType]; ok {
		if d.authConfig == nil {
			return invalidField("'auth_config' is required for auth_type %s", row.AuthType)
		}
		for _, key := range sortedKeys(d.authConfig) {
			if !slices.Contains(required, key) {
				return invalidField("'auth_config.%s' is not allowed for auth_type %s", key, row.AuthType)
			}
		}
		for _, key := range required {
			if d.authConfig[key] == "" {
				return invalidField("'auth_config.%s' is required for auth_type %s", key, row.AuthType)
			}
		}
	}

	spec := providerSpecs[row.Type]
	config, field := d.providerConfig, d.providerField
	if config == nil {
		if len(spec.required) > 0 {
			return invalidField("'%s' is required for type %s", field, row.Type)
		}
		return nil
	}
	for _, key := range sortedKeys(config) {
		if !slices.Contains(spec.required, key) && !slices.Contains(spec.optional, key) {
			return invalidField("'%s.%s' is not allowed for type %s", field, key, row.Type)
		}
	}
	for _, key := range spec.required {
		if config[key] == "" {
			return invalidField("'%s.%s' is required for type %s", field, key, row.Type)
		}
	}
	if format, ok := config["format"]; ok && format != "json" && format != "raw" {
		return invalidField("'%s.format' must be one of json, raw", field)
	}
	if channel, ok := config["channel_name"]; ok && !channelNamePattern.MatchString(channel) {
		return invalidField("'%s.channel_name' must match pattern %s", field, channelNamePattern)
	}
	return nil
}

func isAbsoluteHTTPURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return false
	}
	scheme := strings.ToLower(u.Scheme)
	return scheme == "http" || scheme == "https"
}

func applyProviderConfig(d *draft, field string, raw json.RawMessage) error {
	config, err := decodeStringObject(field, raw)
	d.providerConfig, d.providerConfigSet, d.providerField = config, true, field
	return err
}

func clearProviderConfig(d *draft) {
	d.providerConfig, d.providerConfigSet = nil, true
}

func applyString(field string, raw json.RawMessage, minLen, maxLen int, target *string) error {
	value, ok := decodeString(raw)
	if !ok {
		return invalidField("'%s' must be a string", field)
	}
	if n := utf8.RuneCountInString(value); n < minLen || n > maxLen {
		if minLen == 0 {
			return invalidField("'%s' must be at most %d characters", field, maxLen)
		}
		return invalidField("'%s' must be between %d and %d characters", field, minLen, maxLen)
	}
	*target = value
	return nil
}

func applyEnum(field string, raw json.RawMessage, allowed []string, target *string) error {
	value, ok := decodeString(raw)
	if !ok || !slices.Contains(allowed, value) {
		return invalidField("'%s' must be one of %s", field, strings.Join(allowed, ", "))
	}
	*target = value
	return nil
}

func applyBool(field string, raw json.RawMessage, target **int64) error {
	var value int64
	switch string(raw) {
	case "true":
		value = 1
	case "false":
		value = 0
	default:
		return invalidField("'%s' must be a boolean", field)
	}
	*target = &value
	return nil
}

func applyOptionalInt(field string, raw json.RawMessage, minValue, maxValue int64, target **int64) error {
	value, err := decodeIntInRange(field, raw, minValue, maxValue)
	if err != nil {
		return err
	}
	*target = &value
	return nil
}

func decodeString(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var value string
	if err := json.Unmarshal(raw, &value); err != nil {
		return "", false
	}
	return value, true
}

// decodeInt accepts a JSON number with an integral value, so 30000 and 3e4 and 30000.0 are the same
// integer, as JSON Schema's "integer" has it.
func decodeInt(raw json.RawMessage) (int64, bool) {
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		return 0, false
	}
	if value, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
		return value, true
	}
	value, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || value != math.Trunc(value) || math.Abs(value) > 1<<53 {
		return 0, false
	}
	return int64(value), true
}

func decodeIntInRange(field string, raw json.RawMessage, minValue, maxValue int64) (int64, error) {
	value, ok := decodeInt(raw)
	if !ok || value < minValue || value > maxValue {
		return 0, invalidField("'%s' must be an integer between %d and %d", field, minValue, maxValue)
	}
	return value, nil
}

func decodeStringObject(field string, raw json.RawMessage) (map[string]string, error) {
	var values map[string]json.RawMessage
	if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &values) != nil {
		return nil, invalidField("'%s' must be an object of strings", field)
	}
	decoded := make(map[string]string, len(values))
	for _, key := range sortedKeys(values) {
		value, ok := decodeString(bytes.TrimSpace(values[key]))
		if !ok {
			return nil, invalidField("'%s.%s' must be a string", field, key)
		}
		decoded[key] = value
	}
	return decoded, nil
}

func decodeIntervals(field string, raw json.RawMessage) ([]int64, error) {
	var items []json.RawMessage
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &items) != nil || len(items) < 1 || len(items) > 10 {
		return nil, invalidField("'%s' must be an array of 1 to 10 integers", field)
	}
	intervals := make([]int64, len(items))
	for i, item := range items {
		value, ok := decodeInt(bytes.TrimSpace(item))
		if !ok || value < 1 || value > 86400 {
			return nil, invalidField("'%s[%d]' must be an integer between 1 and 86400", field, i)
		}
		intervals[i] = value
	}
	return intervals, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for key := range m {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	return keys
}
