// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hookstream

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestContractTransportCatchesViolations checks the checker: a suite whose validator accepted anything would
// prove nothing.
func TestContractTransportCatchesViolations(t *testing.T) {
	tests := map[string]struct {
		handler        http.HandlerFunc
		basePath       string
		call           func(ctx context.Context, c *Client) error
		wantViolations bool
	}{
		"a conforming exchange": {
			handler: func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusOK, map[string]any{"destination": documentedRow(t, "a1")})
			},
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetDestination(ctx, "a1")
				return err
			},
		},
		"an answer missing required fields": {
			handler: func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusOK, map[string]any{"destination": map[string]any{"id": "a1"}})
			},
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetDestination(ctx, "a1")
				return err
			},
			wantViolations: true,
		},
		"native JSON types where the document says strings": {
			handler: func(w http.ResponseWriter, r *http.Request) {
				row := documentedRow(t, "a1")
				row["retry_intervals"] = []int{30}
				writeJSON(w, http.StatusOK, map[string]any{"destination": row})
			},
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetDestination(ctx, "a1")
				return err
			},
			wantViolations: true,
		},
		"a status the operation does not declare": {
			handler: func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusConflict, errorEnvelopeBody(http.StatusConflict, "Conflict"))
			},
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetDestination(ctx, "a1")
				return err
			},
			wantViolations: true,
		},
		"a request body the document rejects": {
			handler: func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusBadRequest, errorEnvelopeBody(http.StatusBadRequest, "Invalid body"))
			},
			call: func(ctx context.Context, c *Client) error {
				_, err := c.CreateDestination(ctx, &CreateRequest{Name: "n", Slug: "Not A Slug"})
				return err
			},
			wantViolations: true,
		},
		"a conforming source exchange": {
			handler: func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusOK, map[string]any{"source": documentedSourceRow(t, "a1")})
			},
			call: func(ctx context.Context, c *Client) error {
				_, err := c.UpdateSource(ctx, "a1", &SourceUpdateRequest{IPAllowlist: Set([]string{"10.0.0.0/8"})})
				return err
			},
		},
		"a source answer without the test-session columns": {
			handler: func(w http.ResponseWriter, r *http.Request) {
				row := documentedSourceRow(t, "a1")
				delete(row, "is_ephemeral")
				writeJSON(w, http.StatusOK, map[string]any{"source": row})
			},
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetSource(ctx, "a1")
				return err
			},
			wantViolations: true,
		},
		"a source answer with true/false flags": {
			handler: func(w http.ResponseWriter, r *http.Request) {
				row := documentedSourceRow(t, "a1")
				row["dedup_enabled"] = true
				writeJSON(w, http.StatusOK, map[string]any{"source": row})
			},
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetSource(ctx, "a1")
				return err
			},
			wantViolations: true,
		},
		"a source request body the document rejects": {
			handler: func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusBadRequest, errorEnvelopeBody(http.StatusBadRequest, "Invalid body"))
			},
			call: func(ctx context.Context, c *Client) error {
				_, err := c.CreateSource(ctx, &SourceCreateRequest{Name: "n", Slug: "s", DedupStrategy: new("fuzzy")})
				return err
			},
			wantViolations: true,
		},
		"a source update the document rejects": {
			handler: func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusBadRequest, errorEnvelopeBody(http.StatusBadRequest, "Invalid body"))
			},
			call: func(ctx context.Context, c *Client) error {
				_, err := c.UpdateSource(ctx, "a1", &SourceUpdateRequest{DedupWindowSeconds: Set(0)})
				return err
			},
			wantViolations: true,
		},
		"a conforming connection exchange": {
			handler: func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusCreated, map[string]any{"connection": documentedConnectionRow(t, "a1")})
			},
			call: func(ctx context.Context, c *Client) error {
				_, err := c.CreateConnection(ctx, &ConnectionCreateRequest{SourceID: "s1", DestinationID: "d1", Name: "n",
					FilterRules: paidInvoicesRules()})
				return err
			},
		},
		"a conforming filtered connection listing": {
			handler: func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusOK, map[string]any{
					"connections": []any{documentedConnectionRow(t, "a1")}, "cursor": nil, "has_more": false,
				})
			},
			call: func(ctx context.Context, c *Client) error {
				_, err := c.ListConnections(ctx, ConnectionListOptions{SourceID: "s1", DestinationID: "d1", Status: StatusPaused})
				return err
			},
		},
		"a connection answer with native filter rules": {
			handler: func(w http.ResponseWriter, r *http.Request) {
				row := documentedConnectionRow(t, "a1")
				row["filter_rules"] = paidInvoicesRules()
				writeJSON(w, http.StatusOK, map[string]any{"connection": row})
			},
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetConnection(ctx, "a1")
				return err
			},
			wantViolations: true,
		},
		"a connection answer without source_name": {
			handler: func(w http.ResponseWriter, r *http.Request) {
				row := documentedConnectionRow(t, "a1")
				delete(row, "source_name")
				writeJSON(w, http.StatusOK, map[string]any{"connection": row})
			},
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetConnection(ctx, "a1")
				return err
			},
			wantViolations: true,
		},
		"a 409 to a connection create": {
			handler: func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusConflict, errorEnvelopeBody(http.StatusConflict, "Connection name already exists"))
			},
			call: func(ctx context.Context, c *Client) error {
				_, err := c.CreateConnection(ctx, &ConnectionCreateRequest{SourceID: "s1", DestinationID: "d1", Name: "n"})
				return err
			},
			wantViolations: true,
		},
		"a connection request with an unknown operator": {
			handler: func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusBadRequest, errorEnvelopeBody(http.StatusBadRequest, "Invalid body"))
			},
			call: func(ctx context.Context, c *Client) error {
				_, err := c.CreateConnection(ctx, &ConnectionCreateRequest{SourceID: "s1", DestinationID: "d1", Name: "n",
					FilterRules: []FilterRule{{Field: "payload.type", Op: "regex", Value: json.RawMessage(`"^a"`)}}})
				return err
			},
			wantViolations: true,
		},
		"a connection update the document rejects": {
			handler: func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusBadRequest, errorEnvelopeBody(http.StatusBadRequest, "Invalid body"))
			},
			call: func(ctx context.Context, c *Client) error {
				_, err := c.UpdateConnection(ctx, "a1", &ConnectionUpdateRequest{Status: Set("archived")})
				return err
			},
			wantViolations: true,
		},
		"a connection listing by a status the document does not know": {
			handler: func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusOK, map[string]any{"connections": []any{}, "cursor": nil, "has_more": false})
			},
			call: func(ctx context.Context, c *Client) error {
				_, err := c.ListConnections(ctx, ConnectionListOptions{Status: "archived"})
				return err
			},
			wantViolations: true,
		},
		"a path outside /v1": {
			handler: func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusOK, map[string]any{"destination": documentedRow(t, "a1")})
			},
			basePath: "/v2",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetDestination(ctx, "a1")
				return err
			},
			wantViolations: true,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			server := httptest.NewServer(tc.handler)
			t.Cleanup(server.Close)
			basePath := tc.basePath
			if basePath == "" {
				basePath = "/v1"
			}
			recorder := &violationRecorder{TB: t}
			client, _ := newContractClient(recorder, server.URL+basePath)
			_ = tc.call(t.Context(), client)
			violations := recorder.Violations()
			if got := len(violations) > 0; got != tc.wantViolations {
				t.Errorf("violations reported = %t, want %t: %q", got, tc.wantViolations, violations)
			}
		})
	}
}
