// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hookstream

import (
	"bytes"
	"encoding/json"
	"maps"
	"testing"
	"time"
)

// documentedConnectionRow is the testdata connection row in the documented encoding, with its id replaced.
func documentedConnectionRow(t testing.TB, id string) map[string]any {
	t.Helper()
	return documentedRowOf(t, "connection-row-documented.json", "connection", id)
}

// paidInvoicesRules are the filter rules of the testdata row.
func paidInvoicesRules() []FilterRule {
	return []FilterRule{
		{Field: "payload.type", Op: OpIn, Value: json.RawMessage(`["invoice.paid","invoice.finalized"]`)},
		{Field: "payload.data.object.amount_paid", Op: OpGte, Value: json.RawMessage(`1000`)},
		{Field: "headers.stripe-signature", Op: OpExists, Value: json.RawMessage(`true`)},
		{Field: "payload.data.object.customer_email", Op: OpNeq, Value: json.RawMessage(`null`)},
	}
}

// paidInvoices is the connection the testdata row describes.
func paidInvoices(t testing.TB) *Connection {
	return &Connection{
		ID:            "9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f",
		OrgID:         "org_5f2c",
		EnvID:         "env_9a1b",
		SourceID:      "5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b",
		DestinationID: "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6",
		Name:          "Paid invoices to orders",
		Description:   new("Stripe invoices for the orders service"),

		Enabled: true,
		Status:  StatusActive,

		FilterRules: paidInvoicesRules(),

		TransformEnabled:    true,
		TransformExpression: new(`{"invoice": data.object.id, "amount": data.object.amount_paid}`),

		EventCount:  342,
		LastEventAt: new(mustTime(t, "2026-02-28T10:05:00.456Z")),

		SourceName:      new("Stripe payments"),
		DestinationName: new("Orders SQS"),

		CreatedAt: mustTime(t, "2026-02-28T10:02:00Z"),
		UpdatedAt: mustTime(t, "2026-02-28T10:03:00Z"),
	}
}

// connectionEnvelopeWith is the documented testdata connection row in its envelope, edited: values set to a
// json.RawMessage are sent as that JSON, compacted.
func connectionEnvelopeWith(t testing.TB, edit func(row map[string]any)) []byte {
	t.Helper()
	return envelopeOf(t, "connection", documentedConnectionRow(t, "9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f"), edit)
}

// spacedRules are the testdata rules as native JSON laid out with spaces and newlines, as a deployment might
// answer them.
const spacedRules = `[
  {"field": "payload.type", "op": "in", "value": [ "invoice.paid", "invoice.finalized" ]},
  {"field": "payload.data.object.amount_paid", "op": "gte", "value": 1000},
  {"field": "headers.stripe-signature", "op": "exists", "value": true},
  {"field": "payload.data.object.customer_email", "op": "neq", "value": null}
]`

func TestDecodeConnection(t *testing.T) {
	set := func(values map[string]any) func(map[string]any) {
		return func(r map[string]any) { maps.Copy(r, values) }
	}
	withRules := func(rules ...FilterRule) func(want *Connection) {
		return func(want *Connection) { want.FilterRules = append([]FilterRule{}, rules...) }
	}
	tests := map[string]decodeCase[Connection]{
		"documented row encoding in the envelope": {
			body: readTestdata(t, "connection-row-documented.json"),
		},
		"filter rules as a native array": {
			body: connectionEnvelopeWith(t, set(map[string]any{"filter_rules": json.RawMessage(spacedRules)})),
		},
		"filter rules as a native array, laid out with spaces": {
			// json.Marshal would compact a RawMessage: splice the spaced text into the body instead.
			body: bytes.Replace(connectionEnvelopeWith(t, set(map[string]any{"filter_rules": "@rules@"})),
				[]byte(`"@rules@"`), []byte(spacedRules), 1),
		},
		"JSON-encoded rules laid out with spaces are compacted": {
			body: connectionEnvelopeWith(t, set(map[string]any{"filter_rules": spacedRules})),
		},
		"flags as true and false": {
			body: connectionEnvelopeWith(t, set(map[string]any{"enabled": true, "transform_enabled": false})),
			edit: func(want *Connection) { want.TransformEnabled = false },
		},
		"flags as 0": {
			body: connectionEnvelopeWith(t, set(map[string]any{"enabled": 0, "transform_enabled": 0})),
			edit: func(want *Connection) { want.Enabled, want.TransformEnabled = false, false },
		},
		"ids with conn_, src_ and dst_ prefixes are opaque strings": {
			body: connectionEnvelopeWith(t, set(map[string]any{
				"id": "conn_01HQZ7", "source_id": "src_01HQZ6", "destination_id": "dst_01HQZ5",
			})),
			edit: func(want *Connection) {
				want.ID, want.SourceID, want.DestinationID = "conn_01HQZ7", "src_01HQZ6", "dst_01HQZ5"
			},
		},
		"a dangling connection: its source is gone": {
			body: connectionEnvelopeWith(t, set(map[string]any{"source_name": nil})),
			edit: func(want *Connection) { want.SourceName = nil },
		},
		"a dangling connection: both ends are gone": {
			body: connectionEnvelopeWith(t, set(map[string]any{"source_name": nil, "destination_name": nil})),
			edit: func(want *Connection) { want.SourceName, want.DestinationName = nil, nil },
		},
		"nulls in the nullable columns": {
			body: connectionEnvelopeWith(t, set(map[string]any{
				"description": nil, "filter_rules": nil, "transform_expression": nil, "last_event_at": nil,
				"source_name": nil, "destination_name": nil,
			})),
			edit: func(want *Connection) {
				want.Description, want.FilterRules, want.TransformExpression, want.LastEventAt = nil, nil, nil, nil
				want.SourceName, want.DestinationName = nil, nil
			},
		},
		"an empty rule list stays empty, not null": {
			body: connectionEnvelopeWith(t, set(map[string]any{"filter_rules": "[]"})),
			edit: withRules(),
		},
		"an empty native rule list stays empty": {
			body: connectionEnvelopeWith(t, set(map[string]any{"filter_rules": []any{}})),
			edit: withRules(),
		},
		"values of every JSON type, kept as their JSON text": {
			body: connectionEnvelopeWith(t, set(map[string]any{"filter_rules": `[` +
				`{"field":"payload.a","op":"eq","value":"5"},{"field":"payload.b","op":"eq","value":5},` +
				`{"field":"payload.c","op":"lt","value":-2.5e3},{"field":"payload.d","op":"eq","value":false},` +
				`{"field":"payload.e","op":"eq","value":null},{"field":"method","op":"in","value":["POST",1,null]},` +
				`{"field":"payload.f","op":"eq","value":{"nested": [1, {"b": "x"}]}},` +
				`{"field":"payload.g","op":"contains","value":"caf\u00e9 \"quoted\""}]`})),
			edit: withRules(
				FilterRule{Field: "payload.a", Op: OpEq, Value: json.RawMessage(`"5"`)},
				FilterRule{Field: "payload.b", Op: OpEq, Value: json.RawMessage(`5`)},
				FilterRule{Field: "payload.c", Op: OpLt, Value: json.RawMessage(`-2.5e3`)},
				FilterRule{Field: "payload.d", Op: OpEq, Value: json.RawMessage(`false`)},
				FilterRule{Field: "payload.e", Op: OpEq, Value: json.RawMessage(`null`)},
				FilterRule{Field: "method", Op: OpIn, Value: json.RawMessage(`["POST",1,null]`)},
				FilterRule{Field: "payload.f", Op: OpEq, Value: json.RawMessage(`{"nested":[1,{"b":"x"}]}`)},
				FilterRule{Field: "payload.g", Op: OpContains, Value: json.RawMessage(`"caf\u00e9 \"quoted\""`)},
			),
		},
		"an operator the client does not know is kept as read": {
			body: connectionEnvelopeWith(t, set(map[string]any{
				"filter_rules": `[{"field":"payload.type","op":"regex","value":"^invoice\\."}]`,
			})),
			edit: withRules(FilterRule{Field: "payload.type", Op: "regex", Value: json.RawMessage(`"^invoice\\."`)}),
		},
		"members of a rule other than field, op and value are ignored": {
			body: connectionEnvelopeWith(t, set(map[string]any{
				"filter_rules": `[{"id":"rule_1","field":"payload.type","op":"eq","value":"invoice.paid","note":null}]`,
			})),
			edit: withRules(FilterRule{Field: "payload.type", Op: OpEq, Value: json.RawMessage(`"invoice.paid"`)}),
		},
		"another status, unknown fields ignored": {
			body: connectionEnvelopeWith(t, set(map[string]any{"status": StatusPaused, "future": []int{1, 2}})),
			edit: func(want *Connection) { want.Status = StatusPaused },
		},
		"a timestamp with an offset becomes UTC": {
			body: connectionEnvelopeWith(t, set(map[string]any{"created_at": "2026-02-28T12:02:00+02:00"})),
		},
	}
	checkDecodes(t, decodeConnection, func() *Connection { return paidInvoices(t) }, func(r *Connection) time.Time { return r.CreatedAt }, tests, func(t *testing.T, got *Connection) {
		if dangling := got.SourceName == nil || got.DestinationName == nil; got.Dangling() != dangling {
			t.Errorf("Dangling() = %t", got.Dangling())
		}
	})
}

// TestDecodeConnectionRejects: encodings the contract does not document are refused with the field and the reason,
// never with the value.
func TestDecodeConnectionRejects(t *testing.T) {
	set := func(field string, value any) func(map[string]any) {
		return func(r map[string]any) { r[field] = value }
	}
	raw := func(field, text string) func(map[string]any) { return set(field, json.RawMessage(text)) }
	rules := func(text string) []byte { return connectionEnvelopeWith(t, set("filter_rules", text)) }
	bareRow, err := json.Marshal(documentedConnectionRow(t, "a1"))
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]rejectCase{
		"not JSON":         {body: []byte(`<html>`), wantErr: "not a JSON object"},
		"a bare row":       {body: bareRow, wantErr: `no "connection" envelope`},
		"a source answer":  {body: sourceEnvelopeWith(t, nil), wantErr: `no "connection" envelope`},
		"null connection":  {body: []byte(`{"connection":null}`), wantField: "connection"},
		"a list as a body": {body: []byte(`{"connection":[]}`), wantField: "connection", wantErr: "not a JSON object"},
		"an absent source_name is not a dangling connection": {
			body:      connectionEnvelopeWith(t, func(r map[string]any) { delete(r, "source_name") }),
			wantField: "source_name", wantErr: "missing",
		},
		"an absent filter_rules": {
			body:      connectionEnvelopeWith(t, func(r map[string]any) { delete(r, "filter_rules") }),
			wantField: "filter_rules", wantErr: "missing",
		},
		"a null source_id":   {body: connectionEnvelopeWith(t, set("source_id", nil)), wantField: "source_id", wantErr: "never null"},
		"a null status":      {body: connectionEnvelopeWith(t, set("status", nil)), wantField: "status", wantErr: "never null"},
		"a null flag":        {body: connectionEnvelopeWith(t, set("enabled", nil)), wantField: "enabled", wantErr: "never null"},
		"a flag as 2":        {body: connectionEnvelopeWith(t, set("transform_enabled", 2)), wantField: "transform_enabled", wantErr: "expected 0, 1, true or false"},
		"a flag as a string": {body: connectionEnvelopeWith(t, set("enabled", "true")), wantField: "enabled", wantErr: "expected 0, 1, true or false"},
		"a numeric destination id": {
			body: connectionEnvelopeWith(t, set("destination_id", 7)), wantField: "destination_id", wantErr: "expected a string",
		},
		"rules as a bare word": {body: rules(secretMarker), wantField: "filter_rules", wantErr: "JSON-encoded array"},
		"rules as a native object": {
			body:      connectionEnvelopeWith(t, raw("filter_rules", `{"field":"payload.`+secretMarker+`","op":"eq","value":1}`)),
			wantField: "filter_rules", wantErr: "JSON-encoded array",
		},
		"rules as an encoded object": {
			body:      rules(`{"field":"payload.type","op":"eq","value":"` + secretMarker + `"}`),
			wantField: "filter_rules", wantErr: "JSON-encoded array",
		},
		"rules encoded twice": {
			body:      rules(`"[{\"field\":\"payload.type\",\"op\":\"eq\",\"value\":\"` + secretMarker + `\"}]"`),
			wantField: "filter_rules", wantErr: "JSON-encoded array",
		},
		"truncated rules": {
			body:      rules(`[{"field":"payload.type","op":"eq","value":"` + secretMarker + `"}`),
			wantField: "filter_rules", wantErr: "JSON-encoded array",
		},
		"rules as a number":        {body: connectionEnvelopeWith(t, set("filter_rules", 0)), wantField: "filter_rules", wantErr: "JSON-encoded array"},
		"rules as an empty string": {body: rules(""), wantField: "filter_rules", wantErr: "JSON-encoded array"},
		"a null rule":              {body: rules(`[null]`), wantField: "filter_rules[0]", wantErr: "null instead of an object"},
		"a rule that is a string": {
			body:      rules(`[{"field":"payload.type","op":"eq","value":1},"payload.type eq ` + secretMarker + `"]`),
			wantField: "filter_rules[1]", wantErr: "not a JSON object",
		},
		"a native rule that is an array": {
			body:      connectionEnvelopeWith(t, raw("filter_rules", `[["payload.type","eq","`+secretMarker+`"]]`)),
			wantField: "filter_rules[0]", wantErr: "not a JSON object",
		},
		"a rule without a value": {
			body: rules(`[{"field":"payload.type","op":"exists"}]`), wantField: "filter_rules[0].value", wantErr: "missing",
		},
		"a rule without an op": {
			body: rules(`[{"field":"payload.type","value":"` + secretMarker + `"}]`), wantField: "filter_rules[0].op", wantErr: "missing",
		},
		"a rule with a null op": {
			body:      rules(`[{"field":"payload.type","op":"eq","value":1},{"field":"payload.type","op":null,"value":2}]`),
			wantField: "filter_rules[1].op", wantErr: "never null",
		},
		"a rule with a numeric field": {
			body: rules(`[{"field":7,"op":"eq","value":"` + secretMarker + `"}]`), wantField: "filter_rules[0].field", wantErr: "expected a string",
		},
		"a rule with an object op": {
			body:      connectionEnvelopeWith(t, raw("filter_rules", `[{"field":"payload.type","op":{"eq":"`+secretMarker+`"},"value":1}]`)),
			wantField: "filter_rules[0].op", wantErr: "expected a string",
		},
		"a count as a string":      {body: connectionEnvelopeWith(t, set("event_count", "342")), wantField: "event_count", wantErr: "got a string"},
		"a count beyond int64":     {body: connectionEnvelopeWith(t, raw("event_count", `9223372036854775808`)), wantField: "event_count", wantErr: "out of range"},
		"a SQLite timestamp":       {body: connectionEnvelopeWith(t, set("last_event_at", "2026-02-28 10:05:00")), wantField: "last_event_at", wantErr: "RFC 3339"},
		"a numeric source name":    {body: connectionEnvelopeWith(t, set("source_name", 5)), wantField: "source_name", wantErr: "expected a string"},
		"an object as a transform": {body: connectionEnvelopeWith(t, set("transform_expression", map[string]any{"a": secretMarker})), wantField: "transform_expression", wantErr: "expected a string"},
		"the first bad field is reported": {
			body: connectionEnvelopeWith(t, func(r map[string]any) {
				r["name"], r["filter_rules"] = 1, `[null]`
			}),
			wantField: "name",
		},
	}
	checkDecodeRejects(t, decodeConnection, tests, secretMarker, "payload.type")
}
