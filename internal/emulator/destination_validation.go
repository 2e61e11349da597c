// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator

import (
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

const typeHTTP = "http"

var (
	destinationTypes = []string{typeHTTP, "aws_sqs", "aws_s3", "aws_eventbridge", "gcp_pubsub", "kafka", "rabbitmq", "websocket"}
	typeAliases      = map[string]string{"sqs": "aws_sqs", "s3": "aws_s3", "eventbridge": "aws_eventbridge", "pubsub": "gcp_pubsub"}
	methods          = []string{"POST", "PUT", "PATCH"}
	authTypes        = []string{"none", "bearer", "basic", "api_key"}
	backoffTypes     = []string{"exponential", "linear", "fixed"}

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

// destinationBody holds the rules of DestinationCreate and DestinationUpdate.
var destinationBody = bodyRules[*draft]{
	fields:     destinationFields,
	readOnly:   []string{"id", "event_count", "last_delivery_at", "created_at", "updated_at", "org_id", "env_id"},
	immutable:  []string{"slug", "type", "org_id", "env_id"},
	patchOnly:  []string{"status"},
	checkNames: checkProviderAlias,
	finish: func(d *draft, _ map[string]json.RawMessage, _ bodyMode) error {
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
	},
}

// destinationFields lists the request fields in the order of the request schemas.
var destinationFields = []fieldRule[*draft]{
	{name: "name", requiredOnCreate: true, apply: func(d *draft, field string, raw json.RawMessage) error {
		return applyString(field, raw, 1, 128, &d.row.Name)
	}},
	{name: "slug", requiredOnCreate: true, apply: func(d *draft, field string, raw json.RawMessage) error {
		return applySlug(field, raw, &d.row.Slug)
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
			return applyOptionalEnum(field, raw, backoffTypes, &d.row.RetryBackoffType)
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

// checkProviderAlias refuses a body that names provider_config twice.
func checkProviderAlias(fields map[string]json.RawMessage) error {
	if _, ok := fields["config"]; ok {
		if _, ok := fields["provider_config"]; ok {
			return invalidField("'config' and 'provider_config' are the same field; send only one of them")
		}
	}
	return nil
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
