// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// bodyMode tells which request schema a body is checked against: the create schema of a resource
// (DestinationCreate, SourceCreate) or its update schema.
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

// statuses are the values of every resource's status; a status is only ever set by PATCH.
var statuses = []string{"active", "paused", "disabled"}

var slugPattern = regexp.MustCompile(`^[a-z0-9-]+$`)

// applySlug checks a slug: 1..64 characters matching slugPattern.
func applySlug(field string, raw json.RawMessage, target *string) error {
	var slug string
	if err := applyString(field, raw, 1, 64, &slug); err != nil {
		return err
	}
	if !slugPattern.MatchString(slug) {
		return invalidField("'%s' must match pattern %s", field, slugPattern)
	}
	*target = slug
	return nil
}

// fieldRule is one request field of a resource whose bodies build a draft of type D.
type fieldRule[D any] struct {
	name             string
	requiredOnCreate bool
	nullOnCreate     bool
	nullOnPatch      bool
	apply            func(d D, field string, raw json.RawMessage) error
	clear            func(d D)
}

// bodyRules are the request schemas of one resource.
type bodyRules[D any] struct {
	// fields lists the request fields in the order of the request schemas; validation reports the first
	// failing one in this order.
	fields []fieldRule[D]
	// readOnly fields exist on the row but no request may set them.
	readOnly []string
	// immutable fields may only be set on create: a PATCH naming them answers 400.
	immutable []string
	// patchOnly fields may only be set by PATCH.
	patchOnly []string
	// checkNames adds rules on the field names of a body; nil adds none.
	checkNames func(fields map[string]json.RawMessage) error
	// finish applies the rules that relate fields to each other, on the resulting row, and completes it.
	finish func(d D, fields map[string]json.RawMessage, mode bodyMode) error
}

func (b *bodyRules[D]) known(name string) bool {
	return slices.ContainsFunc(b.fields, func(r fieldRule[D]) bool { return r.name == name })
}

// checkFieldNames rejects fields the request schema does not allow (additionalProperties: false), before
// any value is looked at: a misspelt field must not hide behind a value error elsewhere.
func (b *bodyRules[D]) checkFieldNames(fields map[string]json.RawMessage, mode bodyMode) error {
	for _, name := range sortedKeys(fields) {
		switch {
		case mode == patchBody && slices.Contains(b.immutable, name):
			return invalidField("'%s' cannot be changed", name)
		case mode == createBody && slices.Contains(b.patchOnly, name):
			return invalidField("'%s' cannot be set on create; change it with PATCH", name)
		case slices.Contains(b.readOnly, name):
			return invalidField("'%s' is read-only", name)
		case !b.known(name):
			return invalidField("'%s' is not allowed", name)
		}
	}
	if b.checkNames != nil {
		return b.checkNames(fields)
	}
	return nil
}

// apply applies a parsed body to d and checks the resulting row as a whole.
func (b *bodyRules[D]) apply(d D, fields map[string]json.RawMessage, mode bodyMode) error {
	if err := b.checkFieldNames(fields, mode); err != nil {
		return err
	}
	for _, rule := range b.fields {
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
	return b.finish(d, fields, mode)
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

func encodeOptional[V any](config map[string]V) *string {
	if config == nil {
		return nil
	}
	encoded := encodeJSON(config)
	return &encoded
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

// applyOptionalString is applyString for a nullable column.
func applyOptionalString(field string, raw json.RawMessage, minLen, maxLen int, target **string) error {
	var value string
	if err := applyString(field, raw, minLen, maxLen, &value); err != nil {
		return err
	}
	*target = &value
	return nil
}

// applyOptionalEnum is applyEnum for a nullable column.
func applyOptionalEnum(field string, raw json.RawMessage, allowed []string, target **string) error {
	var value string
	if err := applyEnum(field, raw, allowed, &value); err != nil {
		return err
	}
	*target = &value
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

// applyFlag is applyBool for a column that cannot be null.
func applyFlag(field string, raw json.RawMessage, target *int64) error {
	var value *int64
	if err := applyBool(field, raw, &value); err != nil {
		return err
	}
	*target = *value
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

// boundedArray splits a JSON array of at most limit items: "'field' must be an array of <of>" when it is not one,
// "'field' must have at most <limit> <unit>" when it is longer.
func boundedArray(field string, raw json.RawMessage, limit int, of, unit string) ([]json.RawMessage, error) {
	var items []json.RawMessage
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &items) != nil {
		return nil, invalidField("'%s' must be an array of %s", field, of)
	}
	if len(items) > limit {
		return nil, invalidField("'%s' must have at most %d %s", field, limit, unit)
	}
	return items, nil
}
