// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package contract

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

func TestLoadValidates(t *testing.T) {
	if _, err := Load(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// TestDocumentCoversTheAPI lists every call of the destinations, sources, connections and ingest API with the
// statuses a client branches on, so that an edit cannot drop one unnoticed.
func TestDocumentCoversTheAPI(t *testing.T) {
	doc, err := Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ingest := []string{"200", "401", "403", "404", "422", "429"}
	calls := []struct {
		method, path string
		statuses     []string
	}{
		{http.MethodGet, "/destinations", []string{"200", "401"}},
		{http.MethodPost, "/destinations", []string{"201", "400", "401", "403", "409"}},
		{http.MethodGet, "/destinations/{id}", []string{"200", "401", "404"}},
		{http.MethodPatch, "/destinations/{id}", []string{"200", "400", "401", "404"}},
		{http.MethodDelete, "/destinations/{id}", []string{"200", "401", "404", "409"}},
		{http.MethodGet, "/destinations/{id}/circuit", []string{"200", "401", "404"}},
		{http.MethodPost, "/destinations/{id}/circuit/reset", []string{"200", "401", "404"}},
		{http.MethodGet, "/sources", []string{"200", "401"}},
		{http.MethodPost, "/sources", []string{"201", "400", "401", "403", "409"}},
		{http.MethodGet, "/sources/{id}", []string{"200", "401", "404"}},
		{http.MethodPatch, "/sources/{id}", []string{"200", "400", "401", "404"}},
		{http.MethodDelete, "/sources/{id}", []string{"200", "401", "404", "409"}},
		{http.MethodGet, "/connections", []string{"200", "401"}},
		{http.MethodPost, "/connections", []string{"201", "400", "401", "404"}},
		{http.MethodGet, "/connections/{id}", []string{"200", "401", "404"}},
		{http.MethodPatch, "/connections/{id}", []string{"200", "400", "401", "404"}},
		{http.MethodDelete, "/connections/{id}", []string{"200", "401", "404"}},
		{http.MethodGet, "/ingest/{source_id}", ingest},
		{http.MethodPost, "/ingest/{source_id}", ingest},
		{http.MethodPut, "/ingest/{source_id}", ingest},
		{http.MethodPatch, "/ingest/{source_id}", ingest},
		{http.MethodDelete, "/ingest/{source_id}", ingest},
	}
	for _, c := range calls {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			item := doc.Paths.Value(c.path)
			if item == nil {
				t.Fatalf("no path %s", c.path)
			}
			op := item.GetOperation(c.method)
			if op == nil {
				t.Fatalf("no %s operation", c.method)
			}
			for _, status := range c.statuses {
				if op.Responses.Value(status) == nil {
					t.Errorf("no %s answer", status)
				}
			}
			public := strings.HasPrefix(c.path, "/ingest/")
			if got := isPublic(doc, op); got != public {
				t.Errorf("public = %t, want %t", got, public)
			}
		})
	}
}

// isPublic reports an operation that needs no credentials: an empty security requirement list of its own, or
// none inherited.
func isPublic(doc *openapi3.T, op *openapi3.Operation) bool {
	security := doc.Security
	if op.Security != nil {
		security = *op.Security
	}
	return len(security) == 0
}

// TestRowEncoding checks that the schemas of the new resources pin the row encoding: a row as the store returns
// it passes, and the same row with a native array or a true/false boolean (what clients tolerate from the real
// service, but the emulator must not answer) does not.
func TestRowEncoding(t *testing.T) {
	doc, err := Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	const (
		source = `{"id":"0123456789abcdef0123456789abcdef","org_id":"org_5f2c","env_id":"env_9a1b","name":"Stripe",
			"slug":"stripe","description":null,"type":"http","source_config":null,"template":"stripe",
			"verification_enabled":1,"verification_type":"hmac_sha256","verification_secret":"****cdef",
			"verification_header":"Stripe-Signature","verification_config":null,"dedup_enabled":0,
			"dedup_strategy":null,"dedup_field":null,"dedup_window_seconds":300,"ip_allowlist":"[\"10.0.0.0/8\"]",
			"ip_denylist":null,"schema_validation_enabled":0,"json_schema":null,"schema_action":null,
			"status":"active","event_count":0,"last_event_at":null,"is_ephemeral":0,"expires_at":null,
			"request_limit":null,"created_at":"2026-02-28T10:00:00Z","updated_at":"2026-02-28T10:00:00Z"}`
		connection = `{"id":"fedcba9876543210fedcba9876543210","org_id":"org_5f2c","env_id":"env_9a1b",
			"source_id":"0123456789abcdef0123456789abcdef","destination_id":"a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6",
			"name":"stripe-to-orders","description":null,"enabled":1,"status":"active",
			"filter_rules":"[{\"field\":\"payload.type\",\"op\":\"eq\",\"value\":\"charge.succeeded\"}]",
			"transform_enabled":0,"transform_expression":null,"event_count":0,"last_event_at":null,
			"source_name":"Stripe","destination_name":"Orders","created_at":"2026-02-28T10:00:00Z",
			"updated_at":"2026-02-28T10:00:00Z"}`
	)
	tests := map[string]struct {
		schema, row string
		edit        func(row map[string]any)
		wantValid   bool
	}{
		"source row":                   {schema: "Source", row: source, wantValid: true},
		"source with a native array":   {schema: "Source", row: source, edit: func(r map[string]any) { r["ip_allowlist"] = []any{"10.0.0.0/8"} }},
		"source with a true boolean":   {schema: "Source", row: source, edit: func(r map[string]any) { r["verification_enabled"] = true }},
		"source without a column":      {schema: "Source", row: source, edit: func(r map[string]any) { delete(r, "dedup_field") }},
		"connection row":               {schema: "Connection", row: connection, wantValid: true},
		"connection with native rules": {schema: "Connection", row: connection, edit: func(r map[string]any) { r["filter_rules"] = []any{} }},
		"connection with enabled 2":    {schema: "Connection", row: connection, edit: func(r map[string]any) { r["enabled"] = 2 }},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var row map[string]any
			if err := json.Unmarshal([]byte(tc.row), &row); err != nil {
				t.Fatal(err)
			}
			if tc.edit != nil {
				tc.edit(row)
			}
			err := doc.Components.Schemas[tc.schema].Value.VisitJSON(row)
			if (err == nil) != tc.wantValid {
				t.Errorf("valid = %t, want %t (%v)", err == nil, tc.wantValid, err)
			}
		})
	}
}
