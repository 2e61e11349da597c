// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hookstream

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestConnectionCreateRequestJSON(t *testing.T) {
	checkRequestJSON(t, map[string]requestCase[ConnectionCreateRequest]{
		"only the required fields": {
			req:      ConnectionCreateRequest{SourceID: "s1", DestinationID: "d1", Name: "n"},
			wantJSON: `{"source_id":"s1","destination_id":"d1","name":"n"}`,
		},
		"zero values are sent when set": {
			req: ConnectionCreateRequest{SourceID: "s1", DestinationID: "d1", Name: "n", Description: new(""),
				Enabled: new(false), TransformEnabled: new(false), TransformExpression: new("")},
			wantJSON: `{"source_id":"s1","destination_id":"d1","name":"n","description":"","enabled":false,` +
				`"transform_enabled":false,"transform_expression":""}`,
		},
		"empty rules are left out": {
			req:      ConnectionCreateRequest{SourceID: "s1", DestinationID: "d1", Name: "n", FilterRules: []FilterRule{}},
			wantJSON: `{"source_id":"s1","destination_id":"d1","name":"n"}`,
		},
		"rule values travel as raw JSON, not base64": {
			req: ConnectionCreateRequest{SourceID: "s1", DestinationID: "d1", Name: "n", FilterRules: []FilterRule{
				{Field: "payload.type", Op: OpIn, Value: json.RawMessage(`[ "invoice.paid", "invoice.finalized" ]`)},
				{Field: "payload.amount", Op: OpGt, Value: json.RawMessage(`100`)},
				{Field: "headers.x-test", Op: OpExists, Value: json.RawMessage(`false`)},
				{Field: "payload.customer", Op: OpEq, Value: json.RawMessage(`null`)},
			}},
			wantJSON: `{"source_id":"s1","destination_id":"d1","name":"n","filter_rules":[` +
				`{"field":"payload.type","op":"in","value":["invoice.paid","invoice.finalized"]},` +
				`{"field":"payload.amount","op":"gt","value":100},` +
				`{"field":"headers.x-test","op":"exists","value":false},` +
				`{"field":"payload.customer","op":"eq","value":null}]}`,
		},
		"every field": {
			req: ConnectionCreateRequest{
				SourceID: "src_1", DestinationID: "dst_1", Name: "Paid invoices", Description: new("d"),
				Enabled: new(true), FilterRules: []FilterRule{{Field: "method", Op: OpEq, Value: json.RawMessage(`"POST"`)}},
				TransformEnabled: new(true), TransformExpression: new(`{"id": id}`),
			},
			wantJSON: `{"source_id":"src_1","destination_id":"dst_1","name":"Paid invoices","description":"d",` +
				`"enabled":true,"filter_rules":[{"field":"method","op":"eq","value":"POST"}],"transform_enabled":true,` +
				`"transform_expression":"{\"id\": id}"}`,
		},
	})
}

func TestConnectionUpdateRequestJSON(t *testing.T) {
	checkUpdateRequests(t, map[string]updateCase[ConnectionUpdateRequest]{
		"nothing": {
			req:      ConnectionUpdateRequest{},
			wantJSON: `{}`,
		},
		"enabled and status together": {
			req:        ConnectionUpdateRequest{Enabled: Set(false), Status: Set(StatusPaused)},
			wantJSON:   `{"enabled":false,"status":"paused"}`,
			wantFields: []string{"enabled", "status"},
		},
		"zero values are sent when set": {
			req:        ConnectionUpdateRequest{Description: Set(""), TransformEnabled: Set(false), TransformExpression: Set("")},
			wantJSON:   `{"description":"","transform_enabled":false,"transform_expression":""}`,
			wantFields: []string{"description", "transform_enabled", "transform_expression"},
		},
		"explicit nulls clear": {
			req: ConnectionUpdateRequest{Description: Null[string](), FilterRules: Null[[]FilterRule](),
				TransformExpression: Null[string]()},
			wantJSON:   `{"description":null,"filter_rules":null,"transform_expression":null}`,
			wantFields: []string{"description", "filter_rules", "transform_expression"},
		},
		"a nil rule list that is set sends null": {
			req:        ConnectionUpdateRequest{FilterRules: Set([]FilterRule(nil))},
			wantJSON:   `{"filter_rules":null}`,
			wantFields: []string{"filter_rules"},
		},
		"an empty rule list is sent as an empty list": {
			req:        ConnectionUpdateRequest{FilterRules: Set([]FilterRule{})},
			wantJSON:   `{"filter_rules":[]}`,
			wantFields: []string{"filter_rules"},
		},
		"rules are replaced whole, values as raw JSON": {
			req: ConnectionUpdateRequest{FilterRules: Set([]FilterRule{
				{Field: "payload.type", Op: OpContains, Value: json.RawMessage(`"invoice."`)},
				{Field: "payload.amount", Op: OpLte, Value: json.RawMessage(` 5e2 `)},
			})},
			wantJSON: `{"filter_rules":[{"field":"payload.type","op":"contains","value":"invoice."},` +
				`{"field":"payload.amount","op":"lte","value":5e2}]}`,
			wantFields: []string{"filter_rules"},
		},
		"every field": {
			req: ConnectionUpdateRequest{
				Name: Set("n"), Description: Set("d"), Enabled: Set(true), Status: Set(StatusActive),
				FilterRules:      Set([]FilterRule{{Field: "source_ip", Op: OpNeq, Value: json.RawMessage(`"203.0.113.9"`)}}),
				TransformEnabled: Set(true), TransformExpression: Set("$"),
			},
			wantJSON: `{"name":"n","description":"d","enabled":true,"status":"active",` +
				`"filter_rules":[{"field":"source_ip","op":"neq","value":"203.0.113.9"}],"transform_enabled":true,` +
				`"transform_expression":"$"}`,
			wantFields: []string{
				"description", "enabled", "filter_rules", "name", "status", "transform_enabled", "transform_expression",
			},
		},
	})
}

// TestFilterRuleRoundTrip: a rule decoded from an answer encodes to the JSON it was read from, so that observed
// rules can be compared with desired ones and sent back unchanged.
func TestFilterRuleRoundTrip(t *testing.T) {
	got, err := json.Marshal(paidInvoicesRules())
	if err != nil {
		t.Fatal(err)
	}
	var row struct {
		Connection struct {
			FilterRules string `json:"filter_rules"`
		} `json:"connection"`
	}
	if err := json.Unmarshal(readTestdata(t, "connection-row-documented.json"), &row); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(row.Connection.FilterRules, string(got)); diff != "" {
		t.Errorf("encoded rules (-read +encoded):\n%s", diff)
	}
}

func TestConnectionDangling(t *testing.T) {
	tests := map[string]struct {
		sourceName, destinationName *string
		want                        bool
	}{
		"both ends present":       {sourceName: new("s"), destinationName: new("d")},
		"the source is gone":      {destinationName: new("d"), want: true},
		"the destination is gone": {sourceName: new("s"), want: true},
		"both ends are gone":      {want: true},
		"empty names are present": {sourceName: new(""), destinationName: new("")},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c := &Connection{SourceName: tc.sourceName, DestinationName: tc.destinationName}
			if got := c.Dangling(); got != tc.want {
				t.Errorf("Dangling() = %t, want %t", got, tc.want)
			}
		})
	}
}
