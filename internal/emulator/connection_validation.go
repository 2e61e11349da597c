// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

const (
	// maxFilterRules bounds filter_rules.
	maxFilterRules = 50
	// maxTransformChars bounds transform_expression.
	maxTransformChars = 16384
)

// Filter rule operators, in the order of the contract.
const (
	opEq       = "eq"
	opNeq      = "neq"
	opContains = "contains"
	opGt       = "gt"
	opGte      = "gte"
	opLt       = "lt"
	opLte      = "lte"
	opExists   = "exists"
	opIn       = "in"
)

var filterOps = []string{opEq, opNeq, opContains, opGt, opGte, opLt, opLte, opExists, opIn}

// filterRuleKeys are the keys of one rule, in the order of the FilterRule schema.
var filterRuleKeys = []string{"field", "op", "value"}

// filterRule is one stored rule. Value keeps the JSON text as sent (numbers exact).
type filterRule struct {
	Field string          `json:"field"`
	Op    string          `json:"op"`
	Value json.RawMessage `json:"value"`
}

// connectionDraft is a connection being built from a create body or edited by a PATCH body.
type connectionDraft struct {
	row *Connection
	// orgID and envID are what a create body sent, "" when it sent nothing.
	orgID, envID string
}

func newConnectionDraft(row *Connection) *connectionDraft {
	return &connectionDraft{row: row}
}

// connectionBody holds the rules of ConnectionCreate and ConnectionUpdate.
var connectionBody = bodyRules[*connectionDraft]{
	fields: connectionFields,
	readOnly: []string{"id", "event_count", "last_event_at", "source_name", "destination_name", "created_at",
		"updated_at"},
	immutable: []string{"source_id", "destination_id", "org_id", "env_id"},
	patchOnly: []string{"status"},
	finish:    finishConnection,
}

// connectionFields lists the request fields in the order of the request schemas.
var connectionFields = []fieldRule[*connectionDraft]{
	{name: "source_id", requiredOnCreate: true, apply: func(d *connectionDraft, field string, raw json.RawMessage) error {
		return applyString(field, raw, 1, 256, &d.row.SourceID)
	}},
	{name: "destination_id", requiredOnCreate: true, apply: func(d *connectionDraft, field string, raw json.RawMessage) error {
		return applyString(field, raw, 1, 256, &d.row.DestinationID)
	}},
	{name: "name", requiredOnCreate: true, apply: func(d *connectionDraft, field string, raw json.RawMessage) error {
		return applyString(field, raw, 1, 128, &d.row.Name)
	}},
	{name: "description", nullOnCreate: true, nullOnPatch: true,
		apply: func(d *connectionDraft, field string, raw json.RawMessage) error {
			return applyOptionalString(field, raw, 0, 1024, &d.row.Description)
		},
		clear: func(d *connectionDraft) { d.row.Description = nil }},
	{name: "org_id", apply: func(d *connectionDraft, field string, raw json.RawMessage) error {
		return applyString(field, raw, 1, 256, &d.orgID)
	}},
	{name: "env_id", apply: func(d *connectionDraft, field string, raw json.RawMessage) error {
		return applyString(field, raw, 1, 256, &d.envID)
	}},
	{name: "enabled", apply: func(d *connectionDraft, field string, raw json.RawMessage) error {
		return applyFlag(field, raw, &d.row.Enabled)
	}},
	{name: "status", apply: func(d *connectionDraft, field string, raw json.RawMessage) error {
		return applyEnum(field, raw, statuses, &d.row.Status)
	}},
	{name: "filter_rules", nullOnCreate: true, nullOnPatch: true,
		apply: func(d *connectionDraft, field string, raw json.RawMessage) error {
			return applyFilterRules(field, raw, &d.row.FilterRules)
		},
		clear: func(d *connectionDraft) { d.row.FilterRules = nil }},
	{name: "transform_enabled", apply: func(d *connectionDraft, field string, raw json.RawMessage) error {
		return applyFlag(field, raw, &d.row.TransformEnabled)
	}},
	{name: "transform_expression", nullOnCreate: true, nullOnPatch: true,
		apply: func(d *connectionDraft, field string, raw json.RawMessage) error {
			return applyOptionalString(field, raw, 0, maxTransformChars, &d.row.TransformExpression)
		},
		clear: func(d *connectionDraft) { d.row.TransformExpression = nil }},
}

// finishConnection fills in what a create leaves to defaults: transform_enabled is 1 when the body sends a
// non-empty transform_expression and no transform_enabled. A PATCH changes only what it sends, as for
// sources. A foreign org_id or env_id is reported only once the body is otherwise valid.
func finishConnection(d *connectionDraft, fields map[string]json.RawMessage, mode bodyMode) error {
	row := d.row
	if mode == createBody {
		if _, sent := fields["transform_enabled"]; !sent && row.TransformExpression != nil && *row.TransformExpression != "" {
			row.TransformEnabled = 1
		}
	}
	if (d.orgID != "" && d.orgID != row.OrgID) || (d.envID != "" && d.envID != row.EnvID) {
		return errForbidden
	}
	return nil
}

// applyFilterRules checks an array of at most maxFilterRules rules and stores it as sent, each rule's keys
// in a fixed order. Checks run rule by rule: the keys of a rule first (additionalProperties is false), then
// field, op and value.
func applyFilterRules(field string, raw json.RawMessage, target **string) error {
	items, err := boundedArray(field, raw, maxFilterRules, "rules", "rules")
	if err != nil {
		return err
	}
	rules := make([]filterRule, len(items))
	for i, item := range items {
		rule, err := decodeFilterRule(fmt.Sprintf("%s[%d]", field, i), bytes.TrimSpace(item))
		if err != nil {
			return err
		}
		rules[i] = rule
	}
	encoded := encodeJSON(rules)
	*target = &encoded
	return nil
}

func decodeFilterRule(name string, raw json.RawMessage) (filterRule, error) {
	var keys map[string]json.RawMessage
	if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &keys) != nil {
		return filterRule{}, invalidField("'%s' must be an object", name)
	}
	for _, key := range sortedKeys(keys) {
		if !slices.Contains(filterRuleKeys, key) {
			return filterRule{}, invalidField("'%s.%s' is not allowed", name, key)
		}
	}
	for _, key := range filterRuleKeys {
		if _, present := keys[key]; !present {
			return filterRule{}, invalidField("'%s.%s' is required", name, key)
		}
	}
	var rule filterRule
	if err := applyString(name+".field", bytes.TrimSpace(keys["field"]), 1, 256, &rule.Field); err != nil {
		return filterRule{}, err
	}
	if err := applyEnum(name+".op", bytes.TrimSpace(keys["op"]), filterOps, &rule.Op); err != nil {
		return filterRule{}, err
	}
	value, err := compactJSON(keys["value"])
	if err != nil {
		return filterRule{}, invalidField("'%s.value' is not valid JSON", name)
	}
	if want, ok := filterValueFits(rule.Op, value); !ok {
		return filterRule{}, invalidField("'%s.value' must be %s for op %s", name, want, rule.Op)
	}
	rule.Value = value
	return rule, nil
}

// filterValueFits reports whether a rule's value has the JSON type its op takes, and names that type.
func filterValueFits(op string, value json.RawMessage) (string, bool) {
	kind := jsonKind(value)
	switch op {
	case opEq, opNeq:
		return "a string, number, boolean or null", kind == "string" || kind == "number" || kind == "boolean" || kind == "null"
	case opContains:
		return "a string", kind == "string"
	case opGt, opGte, opLt, opLte:
		return "a number", kind == "number"
	case opExists:
		return "a boolean", kind == "boolean"
	default: // opIn
		return "an array", kind == "array"
	}
}

// jsonKind names the JSON type of a valid JSON text by its first character.
func jsonKind(value json.RawMessage) string {
	value = bytes.TrimSpace(value)
	if len(value) == 0 {
		return "undefined"
	}
	switch value[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	default:
		return "number"
	}
}

// compactJSON returns valid JSON text without insignificant whitespace, keeping numbers as written.
func compactJSON(raw json.RawMessage) (json.RawMessage, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decodeFilterRules reads a stored filter_rules column; null, invalid or empty means no rules.
func decodeFilterRules(encoded *string) []filterRule {
	if encoded == nil || strings.TrimSpace(*encoded) == "" {
		return nil
	}
	var rules []filterRule
	if err := json.Unmarshal([]byte(*encoded), &rules); err != nil {
		return nil
	}
	return rules
}
