// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hookstream

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSourceCalls(t *testing.T) {
	const id = "5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"
	row := documentedSourceRow(t, id)
	sourceAnswer := map[string]any{"source": row}

	cases := sharedCallCases("sources", id, sourceAnswer, stripePayments(t),
		func(ctx context.Context, c *Client, id string) (any, error) { return c.GetSource(ctx, id) },
		func(ctx context.Context, c *Client, id string) error { return c.DeleteSource(ctx, id) })
	maps.Copy(cases, map[string]callCase{
		"list": {
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ListSources(ctx, ListOptions{Limit: 2, Cursor: "opaque"})
			},
			status:     200,
			answer:     map[string]any{"sources": []any{row}, "cursor": "next", "has_more": true},
			wantMethod: "GET", wantPath: "/v1/sources",
			wantQuery: url.Values{"limit": {"2"}, "cursor": {"opaque"}},
			wantRoute: "GET /sources",
			want:      &SourceListPage{Sources: []*Source{stripePayments(t)}, Cursor: "next", HasMore: true},
		},
		"list caps the page size": {
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ListSources(ctx, ListOptions{Limit: 5000})
			},
			status:     200,
			answer:     map[string]any{"sources": []any{}, "cursor": nil, "has_more": false},
			wantMethod: "GET", wantPath: "/v1/sources", wantQuery: url.Values{"limit": {"100"}},
			wantRoute: "GET /sources",
			want:      &SourceListPage{Sources: []*Source{}},
		},
		"create with only the required fields": {
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CreateSource(ctx, &SourceCreateRequest{Name: "Stripe payments", Slug: "stripe-payments"})
			},
			status: 201, answer: sourceAnswer,
			wantMethod: "POST", wantPath: "/v1/sources",
			wantBody:  `{"name":"Stripe payments","slug":"stripe-payments"}`,
			wantRoute: "POST /sources",
			want:      stripePayments(t),
		},
		"create with every field": {
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CreateSource(ctx, &SourceCreateRequest{
					Name: "Stripe payments", Slug: "stripe-payments", Description: new("Payment events from Stripe"),
					Type: SourceTypeHTTP, Template: "stripe", SourceConfig: json.RawMessage(`{"account":"acct_1Nx"}`),
					VerificationEnabled: new(true), VerificationType: new("hmac-sha256"),
					VerificationSecret: new("whsec_0123456789abcdef"), VerificationHeader: new("Stripe-Signature"),
					VerificationConfig: json.RawMessage(`{"prefix":"sha256="}`),
					DedupEnabled:       new(true), DedupStrategy: new(DedupHeaderField), DedupField: new("Idempotency-Key"),
					DedupWindowSeconds: new(600),
					IPAllowlist:        []string{"203.0.113.0/24", "198.51.100.7"}, IPDenylist: []string{"203.0.113.9"},
					SchemaValidationEnabled: new(true),
					JSONSchema:              json.RawMessage(`{"type": "object", "required": ["id", "type"]}`),
					SchemaAction:            new(SchemaActionReject),
				})
			},
			status: 201, answer: sourceAnswer,
			wantMethod: "POST", wantPath: "/v1/sources",
			wantBody: `{"name":"Stripe payments","slug":"stripe-payments","description":"Payment events from Stripe",` +
				`"type":"http","template":"stripe","source_config":{"account":"acct_1Nx"},"verification_enabled":true,` +
				`"verification_type":"hmac-sha256","verification_secret":"whsec_0123456789abcdef",` +
				`"verification_header":"Stripe-Signature","verification_config":{"prefix":"sha256="},` +
				`"dedup_enabled":true,"dedup_strategy":"header_field","dedup_field":"Idempotency-Key",` +
				`"dedup_window_seconds":600,"ip_allowlist":["203.0.113.0/24","198.51.100.7"],` +
				`"ip_denylist":["203.0.113.9"],"schema_validation_enabled":true,` +
				`"json_schema":{"type":"object","required":["id","type"]},"schema_action":"reject"}`,
			wantRoute: "POST /sources",
			want:      stripePayments(t),
		},
		"update sends only the fields present": {
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.UpdateSource(ctx, id, &SourceUpdateRequest{
					Status: Set(StatusPaused), IPDenylist: Null[[]string](),
					JSONSchema: Set(json.RawMessage(`{"type":"object"}`)),
				})
			},
			status: 200, answer: sourceAnswer,
			wantMethod: "PATCH", wantPath: "/v1/sources/" + id,
			wantBody:  `{"status":"paused","ip_denylist":null,"json_schema":{"type":"object"}}`,
			wantRoute: "PATCH /sources/{id}",
			want:      stripePayments(t),
		},
		"update with every field": {
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.UpdateSource(ctx, id, &SourceUpdateRequest{
					Name: Set("Stripe"), Description: Null[string](), Status: Set(StatusActive),
					VerificationEnabled: Set(true), VerificationType: Set(VerificationStandardWebhooks),
					VerificationSecret: Set("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), VerificationHeader: Null[string](),
					VerificationConfig: Null[json.RawMessage](),
					DedupEnabled:       Set(true), DedupStrategy: Set(DedupBodyField), DedupField: Set("$.id"),
					DedupWindowSeconds: Set(604800),
					IPAllowlist:        Set([]string{"10.0.0.0/8"}), IPDenylist: Set([]string{}),
					SchemaValidationEnabled: Set(false), JSONSchema: Null[json.RawMessage](), SchemaAction: Set(SchemaActionWarn),
				})
			},
			status: 200, answer: sourceAnswer,
			wantMethod: "PATCH", wantPath: "/v1/sources/" + id,
			wantBody: `{"name":"Stripe","description":null,"status":"active","verification_enabled":true,` +
				`"verification_type":"standard_webhooks","verification_secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",` +
				`"verification_header":null,"verification_config":null,"dedup_enabled":true,` +
				`"dedup_strategy":"body_field","dedup_field":"$.id","dedup_window_seconds":604800,` +
				`"ip_allowlist":["10.0.0.0/8"],"ip_denylist":[],"schema_validation_enabled":false,` +
				`"json_schema":null,"schema_action":"warn"}`,
			wantRoute: "PATCH /sources/{id}",
			want:      stripePayments(t),
		},
	})
	runCallCases(t, cases)
}

func TestSourceErrorMapping(t *testing.T) {
	create := func(ctx context.Context, c *Client) error {
		_, err := c.CreateSource(ctx, &SourceCreateRequest{Name: "n", Slug: "s"})
		return err
	}
	get := func(ctx context.Context, c *Client) error {
		_, err := c.GetSource(ctx, "a1")
		return err
	}
	update := func(ctx context.Context, c *Client) error {
		_, err := c.UpdateSource(ctx, "a1", &SourceUpdateRequest{DedupStrategy: Set(DedupBodyField)})
		return err
	}
	remove := func(ctx context.Context, c *Client) error { return c.DeleteSource(ctx, "a1") }
	list := func(ctx context.Context, c *Client) error {
		_, err := c.ListSources(ctx, ListOptions{})
		return err
	}

	cases := sharedErrorCases(t, resourceCalls{path: "sources",
		create: create, get: get, update: update, remove: remove, list: list}, "Source not found")
	maps.Copy(cases, map[string]errorCase{
		"create 400 invalid": {
			call: create, status: 400, body: errorEnvelopeJSON(t, 400, "Invalid body: 'slug' must match pattern ^[a-z0-9-]+$"),
			want: apiErrorSummary("ErrInvalid", 400, "Invalid body: 'slug' must match pattern ^[a-z0-9-]+$", "POST /sources"),
		},
		"create 409 duplicate slug": {
			call: create, status: 409, body: errorEnvelopeJSON(t, 409, "Source slug already exists"),
			want: apiErrorSummary("ErrConflict", 409, "Source slug already exists", "POST /sources"),
		},
		"update 400 invalid": {
			call: update, status: 400, body: errorEnvelopeJSON(t, 400, "Invalid body: 'dedup_field' is required for body_field"),
			want: apiErrorSummary("ErrInvalid", 400, "Invalid body: 'dedup_field' is required for body_field", "PATCH /sources/{id}"),
		},
		"delete 409 while connections reference it": {
			call: remove, status: 409, body: errorEnvelopeJSON(t, 409, "Cannot delete a source that has connections"),
			want: apiErrorSummary("ErrConflict", 409, "Cannot delete a source that has connections", "DELETE /sources/{id}"),
		},
	})
	runErrorCases(t, cases)
}

func TestSourceErrorHelpers(t *testing.T) {
	checkErrorHelpers(t, map[string]helperCase{
		"a taken slug is a conflict": {status: 409, is: IsConflict, call: func(ctx context.Context, c *Client) error {
			_, err := c.CreateSource(ctx, &SourceCreateRequest{Name: "n", Slug: "s"})
			return err
		}},
		"a missing source is not found": {status: 404, is: IsNotFound, call: func(ctx context.Context, c *Client) error {
			_, err := c.GetSource(ctx, "a1")
			return err
		}},
		"a deleted source is not found": {status: 404, is: IsNotFound, call: func(ctx context.Context, c *Client) error {
			return c.DeleteSource(ctx, "a1")
		}},
		"a referenced source is a conflict": {status: 409, is: IsConflict, call: func(ctx context.Context, c *Client) error {
			return c.DeleteSource(ctx, "a1")
		}},
	})
}

func TestSourceRefusedBeforeSending(t *testing.T) {
	checkRefusedBeforeSending(t, refusalsOf(map[string]clientCall{
		"empty update": func(ctx context.Context, c *Client) error {
			_, err := c.UpdateSource(ctx, "a1", &SourceUpdateRequest{})
			return err
		},
		"nil update": func(ctx context.Context, c *Client) error {
			_, err := c.UpdateSource(ctx, "a1", nil)
			return err
		},
		"nil create": func(ctx context.Context, c *Client) error {
			_, err := c.CreateSource(ctx, nil)
			return err
		},
		"get with an empty id": func(ctx context.Context, c *Client) error {
			_, err := c.GetSource(ctx, "")
			return err
		},
		"update of the current directory": func(ctx context.Context, c *Client) error {
			_, err := c.UpdateSource(ctx, ".", &SourceUpdateRequest{Name: Set("n")})
			return err
		},
		"delete of the parent": func(ctx context.Context, c *Client) error {
			return c.DeleteSource(ctx, "..")
		},
		"create with a schema that is an array": func(ctx context.Context, c *Client) error {
			_, err := c.CreateSource(ctx, &SourceCreateRequest{Name: "n", Slug: "s", JSONSchema: json.RawMessage(`["x"]`)})
			return err
		},
		"create with a verification config that is not JSON": func(ctx context.Context, c *Client) error {
			_, err := c.CreateSource(ctx, &SourceCreateRequest{Name: "n", Slug: "s",
				VerificationConfig: json.RawMessage(`{"key":` + secretMarker + `}`)})
			return err
		},
		"create with a source config that is a string": func(ctx context.Context, c *Client) error {
			_, err := c.CreateSource(ctx, &SourceCreateRequest{Name: "n", Slug: "s",
				SourceConfig: json.RawMessage(`"` + secretMarker + `"`)})
			return err
		},
		"update with a verification config that is not JSON": func(ctx context.Context, c *Client) error {
			_, err := c.UpdateSource(ctx, "a1", &SourceUpdateRequest{
				VerificationConfig: Set(json.RawMessage(secretMarker))})
			return err
		},
		"update with an empty schema": func(ctx context.Context, c *Client) error {
			_, err := c.UpdateSource(ctx, "a1", &SourceUpdateRequest{JSONSchema: Set(json.RawMessage{})})
			return err
		},
	}))
}

func TestSourceCallsSendNullJSON(t *testing.T) {
	client, transport := newCannedClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusCreated, map[string]any{"source": documentedSourceRow(t, "a1")})
	}))
	_, err := client.CreateSource(t.Context(), &SourceCreateRequest{Name: "n", Slug: "s", JSONSchema: json.RawMessage(`null`)})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(transport.last(t).Body); got != `{"name":"n","slug":"s","json_schema":null}` {
		t.Errorf("body %s", got)
	}
}

func TestSourceToleratesDocumentedAlternatives(t *testing.T) {
	client, _ := newCannedClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		row := documentedSourceRow(t, "src_01HQZ6")
		row["ip_allowlist"] = []string{"203.0.113.0/24", "198.51.100.7"}
		row["ip_denylist"] = []string{}
		row["json_schema"] = map[string]any{"type": "object"}
		row["verification_config"] = map[string]any{"prefix": "sha256="}
		row["source_config"] = map[string]any{"account": "acct_1Nx"}
		row["verification_enabled"], row["dedup_enabled"], row["schema_validation_enabled"] = true, false, true
		row["verification_type"] = "hmac-sha256"
		row["verification_secret"] = "whsec_plain0123"
		row["url"] = "https://hookstream.io/v1/ingest/src_01HQZ6"
		writeJSON(w, http.StatusOK, map[string]any{"source": row})
	}), offContract("native JSON, true/false flags, a hyphenated type, a plain secret, a url and a src_ id: "+
		"alternatives the contract lists"))
	got, err := client.GetSource(t.Context(), "src_01HQZ6")
	if err != nil {
		t.Fatal(err)
	}
	want := stripePayments(t)
	want.ID = "src_01HQZ6"
	want.JSONSchema = json.RawMessage(`{"type":"object"}`)
	want.VerificationConfig = json.RawMessage(`{"prefix":"sha256="}`)
	want.DedupEnabled = false
	want.VerificationSecret = new("whsec_plain0123")
	want.ServerIngestURL = "https://hookstream.io/v1/ingest/src_01HQZ6"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if ingest := got.IngestURL(client.BaseURL()); ingest != want.ServerIngestURL {
		t.Errorf("IngestURL = %q, want the server's", ingest)
	}
}
