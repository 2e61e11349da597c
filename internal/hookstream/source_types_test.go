// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hookstream

import (
	"encoding/json"
	"testing"
)

func TestSourceCreateRequestJSON(t *testing.T) {
	checkRequestJSON(t, map[string]requestCase[SourceCreateRequest]{
		"only the required fields": {
			req:      SourceCreateRequest{Name: "Stripe payments", Slug: "stripe-payments"},
			wantJSON: `{"name":"Stripe payments","slug":"stripe-payments"}`,
		},
		"zero values are sent when set": {
			req: SourceCreateRequest{Name: "n", Slug: "s", Description: new(""), VerificationEnabled: new(false),
				DedupWindowSeconds: new(0), SchemaValidationEnabled: new(false)},
			wantJSON: `{"name":"n","slug":"s","description":"","verification_enabled":false,"dedup_window_seconds":0,` +
				`"schema_validation_enabled":false}`,
		},
		"empty lists and JSON are left out": {
			req:      SourceCreateRequest{Name: "n", Slug: "s", IPAllowlist: []string{}, JSONSchema: json.RawMessage{}},
			wantJSON: `{"name":"n","slug":"s"}`,
		},
		"JSON objects travel as raw JSON, not base64": {
			req: SourceCreateRequest{Name: "n", Slug: "s",
				SourceConfig:       json.RawMessage(`{"account": "acct_1"}`),
				VerificationConfig: json.RawMessage(`{"prefix":"sha256="}`),
				JSONSchema:         json.RawMessage(`{ "type": "object" }`)},
			wantJSON: `{"name":"n","slug":"s","source_config":{"account":"acct_1"},` +
				`"verification_config":{"prefix":"sha256="},"json_schema":{"type":"object"}}`,
		},
		"every field": {
			req: SourceCreateRequest{
				Name: "Stripe payments", Slug: "stripe-payments", Description: new("d"), Type: SourceTypeHTTP,
				Template: "stripe", SourceConfig: json.RawMessage(`{"a":1}`),
				VerificationEnabled: new(true), VerificationType: new(VerificationHMACSHA256),
				VerificationSecret: new("whsec_1"), VerificationHeader: new("Stripe-Signature"),
				VerificationConfig: json.RawMessage(`{"b":2}`),
				DedupEnabled:       new(true), DedupStrategy: new(DedupBodyField), DedupField: new("$.id"),
				DedupWindowSeconds: new(600),
				IPAllowlist:        []string{"10.0.0.0/8"}, IPDenylist: []string{"10.0.0.1"},
				SchemaValidationEnabled: new(true), JSONSchema: json.RawMessage(`{"type":"object"}`),
				SchemaAction: new(SchemaActionWarn),
			},
			wantJSON: `{"name":"Stripe payments","slug":"stripe-payments","description":"d","type":"http",` +
				`"template":"stripe","source_config":{"a":1},"verification_enabled":true,` +
				`"verification_type":"hmac_sha256","verification_secret":"whsec_1",` +
				`"verification_header":"Stripe-Signature","verification_config":{"b":2},"dedup_enabled":true,` +
				`"dedup_strategy":"body_field","dedup_field":"$.id","dedup_window_seconds":600,` +
				`"ip_allowlist":["10.0.0.0/8"],"ip_denylist":["10.0.0.1"],"schema_validation_enabled":true,` +
				`"json_schema":{"type":"object"},"schema_action":"warn"}`,
		},
	})
}

func TestSourceUpdateRequestJSON(t *testing.T) {
	checkUpdateRequests(t, map[string]updateCase[SourceUpdateRequest]{
		"nothing": {
			req:      SourceUpdateRequest{},
			wantJSON: `{}`,
		},
		"one value": {
			req:        SourceUpdateRequest{Status: Set(StatusPaused)},
			wantJSON:   `{"status":"paused"}`,
			wantFields: []string{"status"},
		},
		"zero values are sent when set": {
			req:        SourceUpdateRequest{DedupEnabled: Set(false), DedupWindowSeconds: Set(0), Description: Set("")},
			wantJSON:   `{"description":"","dedup_enabled":false,"dedup_window_seconds":0}`,
			wantFields: []string{"dedup_enabled", "dedup_window_seconds", "description"},
		},
		"explicit nulls clear": {
			req: SourceUpdateRequest{VerificationSecret: Null[string](), IPAllowlist: Null[[]string](),
				JSONSchema: Null[json.RawMessage]()},
			wantJSON:   `{"verification_secret":null,"ip_allowlist":null,"json_schema":null}`,
			wantFields: []string{"ip_allowlist", "json_schema", "verification_secret"},
		},
		"a nil slice or RawMessage that is set sends null": {
			req:        SourceUpdateRequest{IPDenylist: Set([]string(nil)), VerificationConfig: Set(json.RawMessage(nil))},
			wantJSON:   `{"verification_config":null,"ip_denylist":null}`,
			wantFields: []string{"ip_denylist", "verification_config"},
		},
		"an empty list is sent as an empty list": {
			req:        SourceUpdateRequest{IPDenylist: Set([]string{})},
			wantJSON:   `{"ip_denylist":[]}`,
			wantFields: []string{"ip_denylist"},
		},
		"JSON objects travel as raw JSON, not base64": {
			req: SourceUpdateRequest{
				JSONSchema:         Set(json.RawMessage(`{ "type": "object", "required": ["id"] }`)),
				VerificationConfig: Set(json.RawMessage(`{}`)),
			},
			wantJSON:   `{"verification_config":{},"json_schema":{"type":"object","required":["id"]}}`,
			wantFields: []string{"json_schema", "verification_config"},
		},
		"every field": {
			req: SourceUpdateRequest{
				Name: Set("n"), Description: Null[string](), Status: Set(StatusDisabled),
				VerificationEnabled: Set(true), VerificationType: Set("hmac-sha1"), VerificationSecret: Set("whsec_2"),
				VerificationHeader: Set("X-Sig"), VerificationConfig: Set(json.RawMessage(`{"b":2}`)),
				DedupEnabled: Set(true), DedupStrategy: Set(DedupPayloadHash), DedupField: Null[string](),
				DedupWindowSeconds: Set(60), IPAllowlist: Set([]string{"10.0.0.0/8"}), IPDenylist: Set([]string{}),
				SchemaValidationEnabled: Set(false), JSONSchema: Set(json.RawMessage(`{"type":"object"}`)),
				SchemaAction: Null[string](),
			},
			wantJSON: `{"name":"n","description":null,"status":"disabled","verification_enabled":true,` +
				`"verification_type":"hmac-sha1","verification_secret":"whsec_2","verification_header":"X-Sig",` +
				`"verification_config":{"b":2},"dedup_enabled":true,"dedup_strategy":"payload_hash",` +
				`"dedup_field":null,"dedup_window_seconds":60,"ip_allowlist":["10.0.0.0/8"],"ip_denylist":[],` +
				`"schema_validation_enabled":false,"json_schema":{"type":"object"},"schema_action":null}`,
			wantFields: []string{
				"dedup_enabled", "dedup_field", "dedup_strategy", "dedup_window_seconds", "description",
				"ip_allowlist", "ip_denylist", "json_schema", "name", "schema_action", "schema_validation_enabled",
				"status", "verification_config", "verification_enabled", "verification_header",
				"verification_secret", "verification_type",
			},
		},
	})
}

// TestOptRawMessage: Opt.MarshalJSON hands the value to json.Marshal, which must emit a json.RawMessage as the
// JSON it holds, not as base64 bytes.
func TestOptRawMessage(t *testing.T) {
	tests := map[string]struct {
		opt  Opt[json.RawMessage]
		want string
	}{
		"an object":     {opt: Set(json.RawMessage(`{"type":"object"}`)), want: `{"type":"object"}`},
		"a nil value":   {opt: Set(json.RawMessage(nil)), want: `null`},
		"explicit null": {opt: Null[json.RawMessage](), want: `null`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := tc.opt.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("MarshalJSON = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestSourceIngestURL(t *testing.T) {
	client, err := New(Options{BaseURL: "https://hookstream.io/v1/", APIKey: testAPIKey})
	if err != nil {
		t.Fatal(err)
	}
	if got := client.BaseURL(); got != "https://hookstream.io/v1" {
		t.Fatalf("BaseURL() = %q", got)
	}
	tests := map[string]struct {
		source  Source
		baseURL string
		want    string
	}{
		"computed from the id, not the slug": {
			source:  Source{ID: "5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b", Slug: "stripe-payments"},
			baseURL: client.BaseURL(),
			want:    "https://hookstream.io/v1/ingest/5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b",
		},
		"a base URL with a trailing slash": {
			source:  Source{ID: "src_01HQZ6"},
			baseURL: "http://127.0.0.1:8080/v1/",
			want:    "http://127.0.0.1:8080/v1/ingest/src_01HQZ6",
		},
		"an id that needs escaping": {
			source:  Source{ID: "a/b c?d"},
			baseURL: client.BaseURL(),
			want:    "https://hookstream.io/v1/ingest/a%2Fb%20c%3Fd",
		},
		"the server's URL wins": {
			source:  Source{ID: "5e6f", ServerIngestURL: "https://in.hookstream.io/5e6f"},
			baseURL: client.BaseURL(),
			want:    "https://in.hookstream.io/5e6f",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tc.source.IngestURL(tc.baseURL); got != tc.want {
				t.Errorf("IngestURL = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSourcesPrintWithoutSecrets(t *testing.T) {
	const secret = "whsec_s3cr3t-signing-value"
	config := json.RawMessage(`{"token":"` + secret + `"}`)
	read := stripePayments(t)
	read.VerificationSecret = new(secret)
	read.VerificationConfig = config
	checkPrintsWithoutSecret(t, secret, map[string]any{
		"create request": SourceCreateRequest{Slug: "s", VerificationSecret: new(secret), VerificationConfig: config,
			SourceConfig: config},
		"create request pointer":      &SourceCreateRequest{Slug: "s", VerificationSecret: new(secret)},
		"update request":              SourceUpdateRequest{VerificationSecret: Set(secret), VerificationConfig: Set(config)},
		"update request pointer":      &SourceUpdateRequest{VerificationSecret: Set(secret)},
		"a source read in plain text": *read,
		"a source pointer":            read,
	})
}
