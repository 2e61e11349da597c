// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hookstream

import (
	"encoding/json"
	"maps"
	"testing"
	"time"
)

// secretMarker is planted in malformed values: no error may repeat it.
const secretMarker = "s3cr3t-marker"

// documentedSourceRow is the testdata source row in the documented encoding, with its id replaced.
func documentedSourceRow(t testing.TB, id string) map[string]any {
	t.Helper()
	return documentedRowOf(t, "source-row-documented.json", "source", id)
}

// stripePayments is the source the testdata row describes.
func stripePayments(t testing.TB) *Source {
	return &Source{
		ID:           "5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b",
		OrgID:        "org_5f2c",
		EnvID:        "env_9a1b",
		Name:         "Stripe payments",
		Slug:         "stripe-payments",
		Description:  new("Payment events from Stripe"),
		Type:         SourceTypeHTTP,
		Template:     new("stripe"),
		SourceConfig: json.RawMessage(`{"account":"acct_1Nx"}`),

		VerificationEnabled: true,
		VerificationType:    new(VerificationHMACSHA256),
		VerificationSecret:  new("****c0de"),
		VerificationHeader:  new("Stripe-Signature"),
		VerificationConfig:  json.RawMessage(`{"prefix":"sha256=","tolerance_seconds":300}`),

		DedupEnabled:       true,
		DedupStrategy:      new(DedupHeaderField),
		DedupField:         new("Idempotency-Key"),
		DedupWindowSeconds: new(600),

		IPAllowlist: []string{"203.0.113.0/24", "198.51.100.7"},
		IPDenylist:  []string{},

		SchemaValidationEnabled: true,
		JSONSchema:              json.RawMessage(`{"type":"object","required":["id","type"]}`),
		SchemaAction:            new(SchemaActionReject),

		Status:      StatusActive,
		EventCount:  1287,
		LastEventAt: new(mustTime(t, "2026-02-28T10:05:00.123Z")),
		CreatedAt:   mustTime(t, "2026-02-28T10:00:00Z"),
		UpdatedAt:   mustTime(t, "2026-02-28T10:01:00Z"),
	}
}

// sourceEnvelopeWith is the documented testdata source row in its envelope, edited: values set to a
// json.RawMessage are sent as that exact JSON text.
func sourceEnvelopeWith(t testing.TB, edit func(row map[string]any)) []byte {
	t.Helper()
	return envelopeOf(t, "source", documentedSourceRow(t, "5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"), edit)
}

func TestDecodeSource(t *testing.T) {
	set := func(values map[string]any) func(map[string]any) {
		return func(r map[string]any) { maps.Copy(r, values) }
	}
	tests := map[string]decodeCase[Source]{
		"documented row encoding in the envelope": {
			body: readTestdata(t, "source-row-documented.json"),
		},
		"lists, objects and the schema as native JSON": {
			body: sourceEnvelopeWith(t, set(map[string]any{
				"ip_allowlist":        []string{"203.0.113.0/24", "198.51.100.7"},
				"ip_denylist":         []string{},
				"json_schema":         json.RawMessage(`{"type":"object","required":["id","type"]}`),
				"verification_config": json.RawMessage(`{"prefix":"sha256=","tolerance_seconds":300}`),
				"source_config":       json.RawMessage(`{"account":"acct_1Nx"}`),
			})),
		},
		"JSON-encoded objects are compacted": {
			body: sourceEnvelopeWith(t, set(map[string]any{
				"json_schema":         "{ \"type\": \"object\",\n  \"required\": [\"id\", \"type\"] }",
				"verification_config": "{\"prefix\": \"sha256=\", \"tolerance_seconds\": 300}",
			})),
		},
		"flags as true and false": {
			body: sourceEnvelopeWith(t, set(map[string]any{
				"verification_enabled": true, "dedup_enabled": false, "schema_validation_enabled": true,
			})),
			edit: func(want *Source) { want.DedupEnabled = false },
		},
		"flags as 0": {
			body: sourceEnvelopeWith(t, set(map[string]any{
				"verification_enabled": 0, "dedup_enabled": 0, "schema_validation_enabled": 0,
			})),
			edit: func(want *Source) {
				want.VerificationEnabled, want.DedupEnabled, want.SchemaValidationEnabled = false, false, false
			},
		},
		"a hyphenated verification type": {
			body: sourceEnvelopeWith(t, set(map[string]any{"verification_type": "hmac-sha256"})),
		},
		"another hyphenated verification type, upper case": {
			body: sourceEnvelopeWith(t, set(map[string]any{"verification_type": "Standard-Webhooks"})),
			edit: func(want *Source) { want.VerificationType = new(VerificationStandardWebhooks) },
		},
		"an id with a src_ prefix is an opaque string": {
			body: sourceEnvelopeWith(t, set(map[string]any{"id": "src_01HQZ6"})),
			edit: func(want *Source) { want.ID = "src_01HQZ6" },
		},
		"a verification secret in plain text": {
			body: sourceEnvelopeWith(t, set(map[string]any{"verification_secret": "whsec_plain0123"})),
			edit: func(want *Source) { want.VerificationSecret = new("whsec_plain0123") },
		},
		"a verification secret masked another way": {
			body: sourceEnvelopeWith(t, set(map[string]any{"verification_secret": "whsec_••••••"})),
			edit: func(want *Source) { want.VerificationSecret = new("whsec_••••••") },
		},
		"a url field": {
			body: sourceEnvelopeWith(t, set(map[string]any{"url": "https://hookstream.io/v1/ingest/5e6f"})),
			edit: func(want *Source) { want.ServerIngestURL = "https://hookstream.io/v1/ingest/5e6f" },
		},
		"an ingest_url field": {
			body: sourceEnvelopeWith(t, set(map[string]any{"ingest_url": "https://in.hookstream.io/5e6f"})),
			edit: func(want *Source) { want.ServerIngestURL = "https://in.hookstream.io/5e6f" },
		},
		"ingest_url wins over url": {
			body: sourceEnvelopeWith(t, set(map[string]any{
				"url": "https://hookstream.io/v1/ingest/5e6f", "ingest_url": "https://in.hookstream.io/5e6f",
			})),
			edit: func(want *Source) { want.ServerIngestURL = "https://in.hookstream.io/5e6f" },
		},
		"null url fields": {
			body: sourceEnvelopeWith(t, set(map[string]any{"url": nil, "ingest_url": nil})),
		},
		"nulls in the nullable columns": {
			body: sourceEnvelopeWith(t, func(r map[string]any) {
				for _, field := range []string{"description", "source_config", "template", "verification_type",
					"verification_secret", "verification_header", "verification_config", "dedup_strategy",
					"dedup_field", "dedup_window_seconds", "ip_allowlist", "ip_denylist", "json_schema",
					"schema_action", "last_event_at"} {
					r[field] = nil
				}
			}),
			edit: func(want *Source) {
				want.Description, want.SourceConfig, want.Template = nil, nil, nil
				want.VerificationType, want.VerificationSecret, want.VerificationHeader = nil, nil, nil
				want.VerificationConfig = nil
				want.DedupStrategy, want.DedupField, want.DedupWindowSeconds = nil, nil, nil
				want.IPAllowlist, want.IPDenylist, want.JSONSchema, want.SchemaAction = nil, nil, nil, nil
				want.LastEventAt = nil
			},
		},
		"empty objects and lists stay empty, not null": {
			body: sourceEnvelopeWith(t, set(map[string]any{"ip_allowlist": "[]", "json_schema": "{}", "verification_config": "{}"})),
			edit: func(want *Source) {
				want.IPAllowlist, want.JSONSchema, want.VerificationConfig = []string{}, json.RawMessage(`{}`), json.RawMessage(`{}`)
			},
		},
		"the test-session columns are not read, unknown fields are ignored": {
			body: sourceEnvelopeWith(t, func(r map[string]any) {
				delete(r, "is_ephemeral")
				delete(r, "expires_at")
				delete(r, "request_limit")
				r["future"] = []int{1, 2}
			}),
		},
		"a timestamp with an offset becomes UTC": {
			body: sourceEnvelopeWith(t, set(map[string]any{"created_at": "2026-02-28T12:00:00+02:00"})),
		},
	}
	checkDecodes(t, decodeSource, func() *Source { return stripePayments(t) }, func(r *Source) time.Time { return r.CreatedAt }, tests, nil)
}

// TestDecodeSourceRejects: encodings the contract does not document are refused with the field and the reason,
// never with the value.
func TestDecodeSourceRejects(t *testing.T) {
	set := func(field string, value any) func(map[string]any) {
		return func(r map[string]any) { r[field] = value }
	}
	raw := func(field, text string) func(map[string]any) { return set(field, json.RawMessage(text)) }
	bareRow, err := json.Marshal(documentedSourceRow(t, "a1"))
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]rejectCase{
		"not JSON":             {body: []byte(`<html>`), wantErr: "not a JSON object"},
		"a bare row":           {body: bareRow, wantErr: `no "source" envelope`},
		"a destination answer": {body: envelopeWith(t, nil), wantErr: `no "source" envelope`},
		"null source":          {body: []byte(`{"source":null}`), wantField: "source"},
		"an absent column": {
			body:      sourceEnvelopeWith(t, func(r map[string]any) { delete(r, "ip_denylist") }),
			wantField: "ip_denylist", wantErr: "missing",
		},
		"null in a column that is never null": {body: sourceEnvelopeWith(t, set("slug", nil)), wantField: "slug", wantErr: "never null"},
		"a null flag":                         {body: sourceEnvelopeWith(t, set("dedup_enabled", nil)), wantField: "dedup_enabled", wantErr: "never null"},
		"a flag as 2":                         {body: sourceEnvelopeWith(t, set("verification_enabled", 2)), wantField: "verification_enabled", wantErr: "expected 0, 1, true or false"},
		"a flag as a string": {
			body:      sourceEnvelopeWith(t, set("schema_validation_enabled", secretMarker)),
			wantField: "schema_validation_enabled", wantErr: "expected 0, 1, true or false",
		},
		"a numeric verification type": {body: sourceEnvelopeWith(t, set("verification_type", 1)), wantField: "verification_type", wantErr: "expected a string"},
		"a secret as an object": {
			body:      sourceEnvelopeWith(t, set("verification_secret", map[string]string{"value": secretMarker})),
			wantField: "verification_secret", wantErr: "expected a string",
		},
		"comma-separated IPs": {
			body:      sourceEnvelopeWith(t, set("ip_allowlist", "10.0.0.1,"+secretMarker)),
			wantField: "ip_allowlist", wantErr: "JSON-encoded array",
		},
		"IPs encoded twice": {
			body:      sourceEnvelopeWith(t, set("ip_denylist", `"[\"10.0.0.1\"]"`)),
			wantField: "ip_denylist", wantErr: "JSON-encoded array",
		},
		"a null IP":              {body: sourceEnvelopeWith(t, raw("ip_allowlist", `["10.0.0.1",null]`)), wantField: "ip_allowlist", wantErr: "array of strings"},
		"a numeric IP, encoded":  {body: sourceEnvelopeWith(t, set("ip_allowlist", `[167772161]`)), wantField: "ip_allowlist", wantErr: "array of strings"},
		"an IP list as a number": {body: sourceEnvelopeWith(t, set("ip_denylist", 0)), wantField: "ip_denylist", wantErr: "JSON-encoded array"},
		"an IP list as an object": {
			body: sourceEnvelopeWith(t, raw("ip_allowlist", `{"ip":"10.0.0.1"}`)), wantField: "ip_allowlist", wantErr: "JSON-encoded array",
		},
		"a schema as a native array": {body: sourceEnvelopeWith(t, raw("json_schema", `[1]`)), wantField: "json_schema", wantErr: "JSON-encoded object"},
		"a schema as an encoded array": {
			body: sourceEnvelopeWith(t, set("json_schema", `["`+secretMarker+`"]`)), wantField: "json_schema", wantErr: "JSON-encoded object",
		},
		"a schema as a bare word": {body: sourceEnvelopeWith(t, set("json_schema", secretMarker)), wantField: "json_schema", wantErr: "JSON-encoded object"},
		"a schema as true":        {body: sourceEnvelopeWith(t, set("json_schema", true)), wantField: "json_schema"},
		"truncated verification config": {
			body:      sourceEnvelopeWith(t, set("verification_config", `{"key":"`+secretMarker+`"`)),
			wantField: "verification_config", wantErr: "JSON-encoded object",
		},
		"a source config as a number":     {body: sourceEnvelopeWith(t, set("source_config", 7)), wantField: "source_config"},
		"an empty string for an object":   {body: sourceEnvelopeWith(t, set("verification_config", "")), wantField: "verification_config"},
		"a window as a string":            {body: sourceEnvelopeWith(t, set("dedup_window_seconds", "300")), wantField: "dedup_window_seconds", wantErr: "got a string"},
		"a window with a fraction":        {body: sourceEnvelopeWith(t, raw("dedup_window_seconds", `300.5`)), wantField: "dedup_window_seconds"},
		"a window out of range":           {body: sourceEnvelopeWith(t, raw("dedup_window_seconds", `4294967296`)), wantField: "dedup_window_seconds", wantErr: "out of range"},
		"a count beyond int64":            {body: sourceEnvelopeWith(t, raw("event_count", `9223372036854775808`)), wantField: "event_count", wantErr: "out of range"},
		"a SQLite timestamp":              {body: sourceEnvelopeWith(t, set("last_event_at", "2026-02-28 10:05:00")), wantField: "last_event_at", wantErr: "RFC 3339"},
		"an object as a description":      {body: sourceEnvelopeWith(t, set("description", map[string]any{})), wantField: "description"},
		"a numeric url":                   {body: sourceEnvelopeWith(t, set("url", 5)), wantField: "url", wantErr: "expected a string"},
		"a relative url":                  {body: sourceEnvelopeWith(t, set("url", "/ingest/"+secretMarker)), wantField: "url", wantErr: "absolute http or https URL"},
		"an ingest_url in another scheme": {body: sourceEnvelopeWith(t, set("ingest_url", "ftp://"+secretMarker+".test/x")), wantField: "ingest_url", wantErr: "absolute http or https URL"},
		"an ingest_url with no host":      {body: sourceEnvelopeWith(t, set("ingest_url", "https:///ingest")), wantField: "ingest_url"},
		"a valid ingest_url beside a bad url": {
			body: sourceEnvelopeWith(t, func(r map[string]any) {
				r["ingest_url"], r["url"] = "https://in.hookstream.io/5e6f", "x"
			}),
			wantField: "url",
		},
	}
	checkDecodeRejects(t, decodeSource, tests, secretMarker, "10.0.0.1")
}

func TestNormalizeVerificationType(t *testing.T) {
	tests := map[string]string{
		"hmac_sha256": VerificationHMACSHA256, "hmac-sha256": VerificationHMACSHA256, " HMAC-SHA256 ": VerificationHMACSHA256,
		"hmac_sha1": VerificationHMACSHA1, "hmac-sha1": VerificationHMACSHA1,
		"standard_webhooks": VerificationStandardWebhooks, "standard-webhooks": VerificationStandardWebhooks,
		"": "", "Ed25519-Sig": "ed25519_sig",
	}
	for in, want := range tests {
		t.Run(in, func(t *testing.T) {
			if got := NormalizeVerificationType(in); got != want {
				t.Errorf("NormalizeVerificationType(%q) = %q, want %q", in, got, want)
			}
		})
	}
}
