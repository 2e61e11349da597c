// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hookstream/hookstream-operator/internal/emulator"
)

// sourceWith returns a valid source create body with fields added or replaced; a nil value removes one.
func sourceWith(fields map[string]any) string {
	return bodyWith(map[string]any{"name": "Stripe", "slug": "stripe"}, fields)
}

const orderSchema = `{"type":"object","required":["id","amount"],"properties":{"id":{"type":"string"},"amount":{"type":"number","minimum":0}}}`

func TestSourceRowEncoding(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	full := `{"name":"Stripe payments","slug":"stripe-payments","description":"Charges","type":"http",
		"source_config":{"region":"eu","retries":3},"template":"stripe","verification_secret":"sk_test_secret_1234",
		"dedup_strategy":"header_field","dedup_field":"Idempotency-Key","dedup_window_seconds":600,
		"ip_allowlist":["10.0.0.0/8","192.0.2.1"],"ip_denylist":["10.1.0.0/16"],"schema_validation_enabled":true,
		"json_schema":` + orderSchema + `,"schema_action":"reject"}`
	created := sources.create(env, keyA, full)
	project, _ := env.server.Project(keyA)

	want := emulator.Source{
		ID: created.ID, OrgID: project.OrgID, EnvID: project.EnvID, Name: "Stripe payments", Slug: "stripe-payments",
		Description: new("Charges"), Type: "http", SourceConfig: new(`{"region":"eu","retries":3}`), Template: new("stripe"),
		VerificationEnabled: 1, VerificationType: new("hmac_sha256"), VerificationSecret: new("****1234"),
		VerificationHeader: new("Stripe-Signature"), DedupEnabled: 1, DedupStrategy: new("header_field"),
		DedupField: new("Idempotency-Key"), DedupWindowSeconds: 600, IPAllowlist: new(`["10.0.0.0/8","192.0.2.1"]`),
		IPDenylist: new(`["10.1.0.0/16"]`), SchemaValidationEnabled: 1,
		JSONSchema:   new(`{"properties":{"amount":{"minimum":0,"type":"number"},"id":{"type":"string"}},"required":["id","amount"],"type":"object"}`),
		SchemaAction: new("reject"), Status: "active", CreatedAt: "2026-02-28T10:00:00Z", UpdatedAt: "2026-02-28T10:00:00Z",
	}
	checkCreatedRow(t, env, sources, want, created,
		`"last_event_at":null`, `"expires_at":null`, `"request_limit":null`, `"is_ephemeral":0`)
	stored, err := env.server.Source(t.Context(), created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(new("sk_test_secret_1234"), stored.VerificationSecret); diff != "" {
		t.Errorf("stored secret (-want +got):\n%s", diff)
	}
}

func TestSourceCreateDefaults(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	got := sources.create(env, keyA, `{"name":"Minimal","slug":"minimal"}`)
	want := emulator.Source{
		ID: got.ID, OrgID: got.OrgID, EnvID: got.EnvID, Name: "Minimal", Slug: "minimal", Type: "http",
		DedupWindowSeconds: 300, Status: "active", CreatedAt: "2026-02-28T10:00:00Z", UpdatedAt: "2026-02-28T10:00:00Z",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}

func TestSourceCreateValidation(t *testing.T) {
	hmac := map[string]any{"verification_type": "hmac_sha256", "verification_secret": "s3cr3t-value"}
	tooMany := make([]string, 101)
	for i := range tooMany {
		tooMany[i] = fmt.Sprintf("10.0.0.%d", i)
	}
	tests := map[string]rejection{
		"missing name":                {map[string]any{"name": nil}, "Invalid body: 'name' is required"},
		"missing slug":                {map[string]any{"slug": nil}, "Invalid body: 'slug' is required"},
		"name empty":                  {map[string]any{"name": ""}, "Invalid body: 'name' must be between 1 and 128 characters"},
		"name too long":               {map[string]any{"name": strings.Repeat("n", 129)}, "Invalid body: 'name' must be between 1 and 128 characters"},
		"name null":                   {map[string]any{"name": null}, "Invalid body: 'name' cannot be null"},
		"slug uppercase":              {map[string]any{"slug": "Stripe"}, "Invalid body: 'slug' must match pattern ^[a-z0-9-]+$"},
		"slug too long":               {map[string]any{"slug": strings.Repeat("s", 65)}, "Invalid body: 'slug' must be between 1 and 64 characters"},
		"description too long":        {map[string]any{"description": strings.Repeat("d", 1025)}, "Invalid body: 'description' must be at most 1024 characters"},
		"description number":          {map[string]any{"description": 1}, "Invalid body: 'description' must be a string"},
		"type unknown":                {map[string]any{"type": "grpc"}, "Invalid body: 'type' must be one of http, websocket"},
		"type null":                   {map[string]any{"type": null}, "Invalid body: 'type' cannot be null"},
		"source_config array":         {map[string]any{"source_config": []string{}}, "Invalid body: 'source_config' must be an object"},
		"source_config string":        {map[string]any{"source_config": `{"a":1}`}, "Invalid body: 'source_config' must be an object"},
		"template unknown":            {map[string]any{"template": "gitlab"}, "Invalid body: 'template' must be one of stripe, github, shopify, slack, twilio, sendgrid, intercom, linear, clerk, svix, paddle, resend, postmark, typeform, custom"},
		"template null":               {map[string]any{"template": null}, "Invalid body: 'template' cannot be null"},
		"template with no secret":     {map[string]any{"template": "github"}, "Invalid body: 'verification_secret' is required when verification is enabled"},
		"org_id number":               {map[string]any{"org_id": 5}, "Invalid body: 'org_id' must be a string"},
		"status on create":            {map[string]any{"status": "paused"}, "Invalid body: 'status' cannot be set on create; change it with PATCH"},
		"read-only event_count":       {map[string]any{"event_count": 0}, "Invalid body: 'event_count' is read-only"},
		"read-only is_ephemeral":      {map[string]any{"is_ephemeral": false}, "Invalid body: 'is_ephemeral' is read-only"},
		"read-only request_limit":     {map[string]any{"request_limit": 5}, "Invalid body: 'request_limit' is read-only"},
		"unknown field":               {map[string]any{"url": "https://example.com"}, "Invalid body: 'url' is not allowed"},
		"verification_enabled number": {map[string]any{"verification_enabled": 1}, "Invalid body: 'verification_enabled' must be a boolean"},
		"verification_enabled null":   {map[string]any{"verification_enabled": null}, "Invalid body: 'verification_enabled' cannot be null"},
		"verification_type unknown":   {map[string]any{"verification_type": "hmac_md5"}, "Invalid body: 'verification_type' must be one of hmac_sha256, hmac_sha1, standard_webhooks (or the same with hyphens)"},
		"verification_type case":      {map[string]any{"verification_type": "HMAC_SHA256"}, "Invalid body: 'verification_type' must be one of hmac_sha256, hmac_sha1, standard_webhooks (or the same with hyphens)"},
		"type without secret":         {map[string]any{"verification_type": "hmac_sha1"}, "Invalid body: 'verification_secret' is required when verification is enabled"},
		"enabled without type":        {map[string]any{"verification_enabled": true, "verification_secret": "s3cr3t-value"}, "Invalid body: 'verification_type' is required when verification is enabled"},
		"secret empty":                {withMap(hmac, map[string]any{"verification_secret": ""}), "Invalid body: 'verification_secret' must be between 1 and 1024 characters"},
		"standard secret not base64":  {map[string]any{"verification_type": "standard_webhooks", "verification_secret": "whsec_!!!"}, "Invalid body: 'verification_secret' must be base64, optionally prefixed whsec_, for standard_webhooks"},
		"header not a name":           {withMap(hmac, map[string]any{"verification_header": "X Signature"}), "Invalid body: 'verification_header' must be an HTTP header name"},
		"header too long":             {withMap(hmac, map[string]any{"verification_header": strings.Repeat("h", 257)}), "Invalid body: 'verification_header' must be between 1 and 256 characters"},
		"config array":                {map[string]any{"verification_config": []any{}}, "Invalid body: 'verification_config' must be an object or a JSON-encoded object"},
		"config string not object":    {map[string]any{"verification_config": "[1]"}, "Invalid body: 'verification_config' must be an object or a JSON-encoded object"},
		"config string malformed":     {map[string]any{"verification_config": "{"}, "Invalid body: 'verification_config' must be an object or a JSON-encoded object"},
		"config encoding unknown":     {map[string]any{"verification_config": map[string]any{"encoding": "base32"}}, "Invalid body: 'verification_config.encoding' must be one of hex, base64"},
		"dedup_enabled string":        {map[string]any{"dedup_enabled": "yes"}, "Invalid body: 'dedup_enabled' must be a boolean"},
		"dedup enabled no strategy":   {map[string]any{"dedup_enabled": true}, "Invalid body: 'dedup_strategy' is required when dedup is enabled"},
		"dedup strategy unknown":      {map[string]any{"dedup_strategy": "random"}, "Invalid body: 'dedup_strategy' must be one of payload_hash, header_field, body_field"},
		"header_field without field":  {map[string]any{"dedup_strategy": "header_field"}, "Invalid body: 'dedup_field' is required for dedup_strategy header_field"},
		"body_field without field":    {map[string]any{"dedup_strategy": "body_field"}, "Invalid body: 'dedup_field' is required for dedup_strategy body_field"},
		"header_field not a name":     {map[string]any{"dedup_strategy": "header_field", "dedup_field": "a b"}, "Invalid body: 'dedup_field' must be an HTTP header name for dedup_strategy header_field"},
		"body_field empty key":        {map[string]any{"dedup_strategy": "body_field", "dedup_field": "data..id"}, "Invalid body: 'dedup_field' must be a dot path such as data.id or $.data.id for dedup_strategy body_field"},
		"body_field only $.":          {map[string]any{"dedup_strategy": "body_field", "dedup_field": "$."}, "Invalid body: 'dedup_field' must be a dot path such as data.id or $.data.id for dedup_strategy body_field"},
		"dedup_field empty":           {map[string]any{"dedup_field": ""}, "Invalid body: 'dedup_field' must be between 1 and 256 characters"},
		"window zero":                 {map[string]any{"dedup_window_seconds": 0}, "Invalid body: 'dedup_window_seconds' must be an integer between 1 and 604800"},
		"window too long":             {map[string]any{"dedup_window_seconds": 604801}, "Invalid body: 'dedup_window_seconds' must be an integer between 1 and 604800"},
		"window null":                 {map[string]any{"dedup_window_seconds": null}, "Invalid body: 'dedup_window_seconds' cannot be null"},
		"allowlist string":            {map[string]any{"ip_allowlist": "10.0.0.1"}, "Invalid body: 'ip_allowlist' must be an array of IPv4 addresses or CIDRs"},
		"allowlist IPv6":              {map[string]any{"ip_allowlist": []string{"10.0.0.1", "2001:db8::1"}}, "Invalid body: 'ip_allowlist[1]' must be an IPv4 address or CIDR; IPv6 is unsupported"},
		"allowlist IPv6 CIDR":         {map[string]any{"ip_allowlist": []string{"2001:db8::/32"}}, "Invalid body: 'ip_allowlist[0]' must be an IPv4 address or CIDR; IPv6 is unsupported"},
		"allowlist mapped IPv6":       {map[string]any{"ip_allowlist": []string{"::ffff:10.0.0.1"}}, "Invalid body: 'ip_allowlist[0]' must be an IPv4 address or CIDR; IPv6 is unsupported"},
		"denylist hostname":           {map[string]any{"ip_denylist": []string{"example.com"}}, "Invalid body: 'ip_denylist[0]' must be an IPv4 address or CIDR; IPv6 is unsupported"},
		"denylist bad prefix":         {map[string]any{"ip_denylist": []string{"10.0.0.0/33"}}, "Invalid body: 'ip_denylist[0]' must be an IPv4 address or CIDR; IPv6 is unsupported"},
		"denylist padded":             {map[string]any{"ip_denylist": []string{" 10.0.0.1"}}, "Invalid body: 'ip_denylist[0]' must be an IPv4 address or CIDR; IPv6 is unsupported"},
		"denylist number":             {map[string]any{"ip_denylist": []any{1}}, "Invalid body: 'ip_denylist[0]' must be a string"},
		"allowlist 101 entries":       {map[string]any{"ip_allowlist": tooMany}, "Invalid body: 'ip_allowlist' must have at most 100 entries"},
		"schema enabled, no schema":   {map[string]any{"schema_validation_enabled": true}, "Invalid body: 'json_schema' is required when schema validation is enabled"},
		"schema string":               {map[string]any{"json_schema": `{"type":"object"}`}, "Invalid body: 'json_schema' must be an object"},
		"schema bad type":             {map[string]any{"json_schema": map[string]any{"type": "nope"}}, "Invalid body: 'json_schema' is not a usable JSON Schema (draft 4, 6 or 7): at '/type': value must be one of 'array', 'boolean', 'integer', 'null', 'number', 'object', 'string'"},
		"schema bad regex":            {map[string]any{"json_schema": map[string]any{"pattern": "("}}, "Invalid body: 'json_schema' is not a usable JSON Schema (draft 4, 6 or 7): at '/pattern': '(' is not valid regex: error parsing regexp: missing closing ): `(`"},
		"schema draft 2020-12":        {map[string]any{"json_schema": map[string]any{"$schema": "https://json-schema.org/draft/2020-12/schema"}}, "Invalid body: 'json_schema' is not a usable JSON Schema (draft 4, 6 or 7): $schema https://json-schema.org/draft/2020-12/schema is not draft 4, 6 or 7"},
		"schema remote ref":           {map[string]any{"json_schema": map[string]any{"$ref": "https://example.com/order.json"}}, "Invalid body: 'json_schema' is not a usable JSON Schema (draft 4, 6 or 7): failing loading \"https://example.com/order.json\": the emulator resolves no references outside the schema (https://example.com/order.json)"},
		"schema file ref":             {map[string]any{"json_schema": map[string]any{"$ref": "file:///etc/passwd"}}, "Invalid body: 'json_schema' is not a usable JSON Schema (draft 4, 6 or 7): failing loading \"file:///etc/passwd\": the emulator resolves no references outside the schema (file:///etc/passwd)"},
		"schema_action unknown":       {map[string]any{"schema_action": "drop"}, "Invalid body: 'schema_action' must be one of reject, warn"},
	}
	env := newEnv(t, emulator.Options{})
	checkBadRequests(t, env, sources.kind, http.MethodPost, "/v1/sources", bodiesOf(sourceWith, tests))
	if rows := sources.list(env, keyA, "").Rows; len(rows) != 0 {
		t.Errorf("rejected bodies left %d rows behind", len(rows))
	}
}

// withMap returns base with fields added or replaced.
func withMap(base, fields map[string]any) map[string]any {
	out := maps.Clone(base)
	maps.Copy(out, fields)
	return out
}

func TestSourceCreateAcceptsEdgeValues(t *testing.T) {
	hundred := make([]string, 100)
	for i := range hundred {
		hundred[i] = fmt.Sprintf("10.%d.0.0/16", i)
	}
	tests := map[string]struct {
		fields map[string]any
		check  func(emulator.Source) string
	}{
		"hyphenated type stored with underscores": {map[string]any{"verification_type": "standard-webhooks", "verification_secret": "whsec_c2VjcmV0LWtleQ=="}, func(s emulator.Source) string {
			return cmp.Diff([]any{new("standard_webhooks"), int64(1)}, []any{s.VerificationType, s.VerificationEnabled})
		}},
		"hmac-sha1": {map[string]any{"verification_type": "hmac-sha1", "verification_secret": "k"}, func(s emulator.Source) string {
			return cmp.Diff([]any{new("hmac_sha1"), new("****")}, []any{s.VerificationType, s.VerificationSecret})
		}},
		"type set, verification off": {map[string]any{"verification_type": "hmac_sha256", "verification_enabled": false}, func(s emulator.Source) string {
			return cmp.Diff([]any{int64(0), (*string)(nil)}, []any{s.VerificationEnabled, s.VerificationSecret})
		}},
		"verification_config as a JSON string": {map[string]any{"verification_config": `{"encoding":"base64", "tolerance": 300}`}, func(s emulator.Source) string {
			return cmp.Diff(new(`{"encoding":"base64","tolerance":300}`), s.VerificationConfig)
		}},
		"verification_config as an object": {map[string]any{"verification_config": map[string]any{"b": 1.50, "a": []int{1}}}, func(s emulator.Source) string {
			return cmp.Diff(new(`{"a":[1],"b":1.5}`), s.VerificationConfig)
		}},
		"verification_config null": {map[string]any{"verification_config": null}, func(s emulator.Source) string {
			return cmp.Diff((*string)(nil), s.VerificationConfig)
		}},
		"dedup_field with $. kept as sent": {map[string]any{"dedup_strategy": "body_field", "dedup_field": "$.data.id"}, func(s emulator.Source) string {
			return cmp.Diff([]any{new("$.data.id"), int64(1)}, []any{s.DedupField, s.DedupEnabled})
		}},
		"dedup strategy set, dedup off": {map[string]any{"dedup_strategy": "payload_hash", "dedup_enabled": false}, func(s emulator.Source) string {
			return cmp.Diff(int64(0), s.DedupEnabled)
		}},
		"dedup_field kept for payload_hash": {map[string]any{"dedup_strategy": "payload_hash", "dedup_field": "unused"}, func(s emulator.Source) string {
			return cmp.Diff(new("unused"), s.DedupField)
		}},
		"window 604800": {map[string]any{"dedup_window_seconds": 604800}, func(s emulator.Source) string {
			return cmp.Diff(int64(604800), s.DedupWindowSeconds)
		}},
		"100 CIDRs": {map[string]any{"ip_allowlist": hundred}, func(s emulator.Source) string {
			return cmp.Diff(100, strings.Count(*s.IPAllowlist, "/16"))
		}},
		"CIDR with host bits kept as sent": {map[string]any{"ip_denylist": []string{"10.1.2.3/8"}}, func(s emulator.Source) string {
			return cmp.Diff(new(`["10.1.2.3/8"]`), s.IPDenylist)
		}},
		"empty allowlist": {map[string]any{"ip_allowlist": []string{}}, func(s emulator.Source) string {
			return cmp.Diff(new(`[]`), s.IPAllowlist)
		}},
		"draft 4 schema": {map[string]any{"json_schema": map[string]any{"$schema": "http://json-schema.org/draft-04/schema#", "type": "object"}}, func(s emulator.Source) string {
			return cmp.Diff(new(`{"$schema":"http://json-schema.org/draft-04/schema#","type":"object"}`), s.JSONSchema)
		}},
		"draft 6 schema": {map[string]any{"json_schema": map[string]any{"$schema": "http://json-schema.org/draft-06/schema#"}}, func(s emulator.Source) string {
			return cmp.Diff(int64(0), s.SchemaValidationEnabled)
		}},
		"draft 7 schema over https": {map[string]any{"json_schema": map[string]any{"$schema": "https://json-schema.org/draft-07/schema", "definitions": map[string]any{"id": map[string]any{"type": "string"}}, "properties": map[string]any{"id": map[string]any{"$ref": "#/definitions/id"}}}}, func(s emulator.Source) string {
			return cmp.Diff(true, s.JSONSchema != nil)
		}},
		"schema numbers kept exact": {map[string]any{"json_schema": json.RawMessage(`{"maximum":12345678901234567890}`)}, func(s emulator.Source) string {
			return cmp.Diff(new(`{"maximum":12345678901234567890}`), s.JSONSchema)
		}},
		"null schema_action": {map[string]any{"schema_action": null}, func(s emulator.Source) string {
			return cmp.Diff((*string)(nil), s.SchemaAction)
		}},
		"empty description": {map[string]any{"description": ""}, func(s emulator.Source) string {
			return cmp.Diff(new(""), s.Description)
		}},
		"websocket": {map[string]any{"type": "websocket"}, func(s emulator.Source) string {
			return cmp.Diff("websocket", s.Type)
		}},
		"own org_id and env_id": {map[string]any{"org_id": "", "env_id": ""}, nil},
	}
	env := newEnv(t, emulator.Options{})
	project, _ := env.server.Project(keyA)
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			fields := maps.Clone(tc.fields)
			fields["slug"] = slugFor(name)
			if _, ok := fields["org_id"]; ok {
				fields["org_id"], fields["env_id"] = project.OrgID, project.EnvID
			}
			got := sources.create(env, keyA, sourceWith(fields))
			if tc.check == nil {
				return
			}
			if diff := tc.check(got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestSourceTemplates(t *testing.T) {
	tests := map[string]struct {
		fields                 map[string]any
		wantType, wantHeader   *string
		wantConfig             *string
		wantEnabled            int64
		wantSecretRequiredText bool
	}{
		"stripe":   {wantType: new("hmac_sha256"), wantHeader: new("Stripe-Signature"), wantEnabled: 1},
		"github":   {wantType: new("hmac_sha256"), wantHeader: new("X-Hub-Signature-256"), wantEnabled: 1},
		"shopify":  {wantType: new("hmac_sha256"), wantHeader: new("X-Shopify-Hmac-Sha256"), wantConfig: new(`{"encoding":"base64"}`), wantEnabled: 1},
		"slack":    {wantType: new("hmac_sha256"), wantHeader: new("X-Slack-Signature"), wantEnabled: 1},
		"twilio":   {wantType: new("hmac_sha1"), wantHeader: new("X-Twilio-Signature"), wantConfig: new(`{"encoding":"base64"}`), wantEnabled: 1},
		"sendgrid": {},
		"intercom": {wantType: new("hmac_sha1"), wantHeader: new("X-Hub-Signature"), wantEnabled: 1},
		"linear":   {wantType: new("hmac_sha256"), wantHeader: new("Linear-Signature"), wantEnabled: 1},
		"clerk":    {wantType: new("standard_webhooks"), wantEnabled: 1},
		"svix":     {wantType: new("standard_webhooks"), wantEnabled: 1},
		"paddle":   {wantType: new("hmac_sha256"), wantHeader: new("Paddle-Signature"), wantEnabled: 1},
		"resend":   {wantType: new("standard_webhooks"), wantEnabled: 1},
		"postmark": {},
		"typeform": {wantType: new("hmac_sha256"), wantHeader: new("Typeform-Signature"), wantConfig: new(`{"encoding":"base64"}`), wantEnabled: 1},
		"custom":   {},
		"github, header sent": {fields: map[string]any{"template": "github", "verification_header": "X-Hub-Signature"},
			wantType: new("hmac_sha256"), wantHeader: new("X-Hub-Signature"), wantEnabled: 1},
		"github, type sent": {fields: map[string]any{"template": "github", "verification_type": "hmac-sha1"},
			wantType: new("hmac_sha1"), wantHeader: new("X-Hub-Signature-256"), wantEnabled: 1},
		"github, verification off": {fields: map[string]any{"template": "github", "verification_enabled": false},
			wantType: new("hmac_sha256"), wantHeader: new("X-Hub-Signature-256")},
		"shopify, config null wins": {fields: map[string]any{"template": "shopify", "verification_config": null},
			wantType: new("hmac_sha256"), wantHeader: new("X-Shopify-Hmac-Sha256"), wantEnabled: 1},
		"stripe, type null wins": {fields: map[string]any{"template": "stripe", "verification_type": null},
			wantHeader: new("Stripe-Signature")},
	}
	env := newEnv(t, emulator.Options{})
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			fields := map[string]any{"template": name, "verification_secret": "whsec_c2VjcmV0LWtleQ=="}
			maps.Copy(fields, tc.fields)
			fields["slug"] = slugFor(name)
			got := sources.create(env, keyA, sourceWith(fields))
			want := []any{fields["template"], tc.wantType, tc.wantHeader, tc.wantConfig, tc.wantEnabled}
			if diff := cmp.Diff(want, []any{*got.Template, got.VerificationType, got.VerificationHeader, got.VerificationConfig, got.VerificationEnabled}); diff != "" {
				t.Errorf("template, type, header, config, enabled (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSourceScope(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	a, _ := env.server.Project(keyA)
	b, _ := env.server.Project(keyB)
	tests := map[string]struct {
		fields     map[string]any
		wantStatus int
		wantError  string
	}{
		"own org_id":                   {map[string]any{"org_id": a.OrgID}, http.StatusCreated, ""},
		"own env_id":                   {map[string]any{"env_id": a.EnvID}, http.StatusCreated, ""},
		"other org_id":                 {map[string]any{"org_id": b.OrgID}, http.StatusForbidden, "Forbidden"},
		"other env_id":                 {map[string]any{"org_id": a.OrgID, "env_id": b.EnvID}, http.StatusForbidden, "Forbidden"},
		"made-up env_id":               {map[string]any{"env_id": "env_0000"}, http.StatusForbidden, "Forbidden"},
		"validation before the scope":  {map[string]any{"env_id": b.EnvID, "dedup_window_seconds": 0}, http.StatusBadRequest, "Invalid body: 'dedup_window_seconds' must be an integer between 1 and 604800"},
		"scope before the slug in use": {map[string]any{"slug": "taken", "org_id": b.OrgID}, http.StatusForbidden, "Forbidden"},
	}
	sources.create(env, keyA, sourceWith(map[string]any{"slug": "taken"}))
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			fields := map[string]any{"slug": slugFor(name)}
			maps.Copy(fields, tc.fields)
			res := env.call(http.MethodPost, "/v1/sources", keyA, sourceWith(fields))
			if !checkAnswer(t, "", res, tc.wantStatus, tc.wantError) {
				return
			}
			if got := sources.decode(t, res); got.OrgID != a.OrgID || got.EnvID != a.EnvID {
				t.Errorf("org_id %s env_id %s, want the key's", got.OrgID, got.EnvID)
			}
		})
	}
}

func TestSourceSlugConflictAndPlanLimit(t *testing.T) {
	env := newEnv(t, emulator.Options{MaxSources: 2, MaxDestinations: 1})
	first := sources.create(env, keyA, sourceWith(map[string]any{"slug": "a"}))
	env.create(keyA, withFields(map[string]any{"slug": "c"})) // destinations count apart
	runCreateSteps(t, env, sources.kind, []createStep{
		{name: "same slug", key: keyA, body: sourceWith(map[string]any{"slug": "a", "name": "Other"}), wantStatus: http.StatusConflict, wantError: "Source slug already exists"},
		{name: "slug of a destination", key: keyA, body: sourceWith(map[string]any{"slug": "c"}), wantStatus: http.StatusCreated},
		{name: "third source", key: keyA, body: sourceWith(map[string]any{"slug": "d"}), wantStatus: http.StatusForbidden, wantError: "Plan limit reached: 2 sources"},
		{name: "duplicate slug at the limit answers 409", key: keyA, body: sourceWith(map[string]any{"slug": "a"}), wantStatus: http.StatusConflict, wantError: "Source slug already exists"},
		{name: "same slug, other project", key: keyB, body: sourceWith(map[string]any{"slug": "a"}), wantStatus: http.StatusCreated},
		{name: "validation before the limit", key: keyA, body: sourceWith(map[string]any{"slug": "A"}), wantStatus: http.StatusBadRequest, wantError: "Invalid body: 'slug' must match pattern ^[a-z0-9-]+$"},
		{name: "after a delete", key: keyA, body: sourceWith(map[string]any{"slug": "d"}), deleteID: first.ID, wantStatus: http.StatusCreated},
		{name: "the deleted slug is free", key: keyA, body: sourceWith(map[string]any{"slug": "a"}), wantStatus: http.StatusForbidden, wantError: "Plan limit reached: 2 sources"},
	})
}

const fullSourceBody = `{"name":"Orders","slug":"orders","description":"d","template":"github","verification_secret":"gh-secret-5678",
	"dedup_strategy":"body_field","dedup_field":"id","ip_allowlist":["10.0.0.0/8"],"ip_denylist":["10.9.0.0/16"],
	"schema_validation_enabled":true,"json_schema":{"type":"object"},"schema_action":"reject"}`

// sourcePatches are PATCHes of a source created from fullSourceBody and the change each makes.
var sourcePatches = map[string]patchCase[emulator.Source]{
	"name":             {`{"name":"Renamed"}`, func(s *emulator.Source) { s.Name = "Renamed" }},
	"description":      {`{"description":"new"}`, func(s *emulator.Source) { s.Description = new("new") }},
	"null description": {`{"description":null}`, func(s *emulator.Source) { s.Description = nil }},
	"paused":           {`{"status":"paused"}`, func(s *emulator.Source) { s.Status = "paused" }},
	"disabled":         {`{"status":"disabled"}`, func(s *emulator.Source) { s.Status = "disabled" }},
	"secret rotated":   {`{"verification_secret":"rotated-9999"}`, func(s *emulator.Source) { s.VerificationSecret = new("****9999") }},
	"verification off": {`{"verification_enabled":false}`, func(s *emulator.Source) { s.VerificationEnabled = 0 }},
	"verification cleared": {`{"verification_enabled":false,"verification_type":null,"verification_secret":null,"verification_header":null}`, func(s *emulator.Source) {
		s.VerificationEnabled, s.VerificationType, s.VerificationSecret, s.VerificationHeader = 0, nil, nil, nil
	}},
	"type hyphenated":   {`{"verification_type":"hmac-sha1"}`, func(s *emulator.Source) { s.VerificationType = new("hmac_sha1") }},
	"header":            {`{"verification_header":"X-Sig"}`, func(s *emulator.Source) { s.VerificationHeader = new("X-Sig") }},
	"config as string":  {`{"verification_config":"{\"encoding\":\"hex\"}"}`, func(s *emulator.Source) { s.VerificationConfig = new(`{"encoding":"hex"}`) }},
	"config as object":  {`{"verification_config":{"encoding":"base64"}}`, func(s *emulator.Source) { s.VerificationConfig = new(`{"encoding":"base64"}`) }},
	"dedup off":         {`{"dedup_enabled":false}`, func(s *emulator.Source) { s.DedupEnabled = 0 }},
	"dedup by hash":     {`{"dedup_strategy":"payload_hash"}`, func(s *emulator.Source) { s.DedupStrategy = new("payload_hash") }},
	"dedup field":       {`{"dedup_field":"$.data.id"}`, func(s *emulator.Source) { s.DedupField = new("$.data.id") }},
	"window":            {`{"dedup_window_seconds":1}`, func(s *emulator.Source) { s.DedupWindowSeconds = 1 }},
	"allowlist":         {`{"ip_allowlist":["192.0.2.0/24","198.51.100.7"]}`, func(s *emulator.Source) { s.IPAllowlist = new(`["192.0.2.0/24","198.51.100.7"]`) }},
	"allowlist cleared": {`{"ip_allowlist":null}`, func(s *emulator.Source) { s.IPAllowlist = nil }},
	"denylist emptied":  {`{"ip_denylist":[]}`, func(s *emulator.Source) { s.IPDenylist = new(`[]`) }},
	"schema off":        {`{"schema_validation_enabled":false}`, func(s *emulator.Source) { s.SchemaValidationEnabled = 0 }},
	"schema replaced":   {`{"json_schema":{"required":["id"]}}`, func(s *emulator.Source) { s.JSONSchema = new(`{"required":["id"]}`) }},
	"schema off and cleared": {`{"schema_validation_enabled":false,"json_schema":null}`, func(s *emulator.Source) {
		s.SchemaValidationEnabled, s.JSONSchema = 0, nil
	}},
	"action warn":          {`{"schema_action":"warn"}`, func(s *emulator.Source) { s.SchemaAction = new("warn") }},
	"action null":          {`{"schema_action":null}`, func(s *emulator.Source) { s.SchemaAction = nil }},
	"same value still 200": {`{"name":"Orders"}`, func(*emulator.Source) {}},
	"masked secret stored": {`{"verification_secret":"****5678"}`, func(s *emulator.Source) { s.VerificationSecret = new("****5678") }},
}

func TestSourcePatchValidation(t *testing.T) {
	tests := map[string]badRequest{
		"empty object":          {`{}`, "No fields to update"},
		"slug":                  {`{"slug":"new"}`, "Invalid body: 'slug' cannot be changed"},
		"template":              {`{"template":"stripe"}`, "Invalid body: 'template' cannot be changed"},
		"type":                  {`{"type":"websocket"}`, "Invalid body: 'type' cannot be changed"},
		"source_config":         {`{"source_config":{}}`, "Invalid body: 'source_config' cannot be changed"},
		"source_config null":    {`{"source_config":null}`, "Invalid body: 'source_config' cannot be changed"},
		"org_id":                {`{"org_id":"org_x"}`, "Invalid body: 'org_id' cannot be changed"},
		"env_id":                {`{"env_id":"env_x"}`, "Invalid body: 'env_id' cannot be changed"},
		"id":                    {`{"id":"x"}`, "Invalid body: 'id' is read-only"},
		"last_event_at":         {`{"last_event_at":null}`, "Invalid body: 'last_event_at' is read-only"},
		"expires_at":            {`{"expires_at":null}`, "Invalid body: 'expires_at' is read-only"},
		"unknown":               {`{"ingest_url":"x"}`, "Invalid body: 'ingest_url' is not allowed"},
		"null name":             {`{"name":null}`, "Invalid body: 'name' cannot be null"},
		"null status":           {`{"status":null}`, "Invalid body: 'status' cannot be null"},
		"null enabled":          {`{"verification_enabled":null}`, "Invalid body: 'verification_enabled' cannot be null"},
		"null window":           {`{"dedup_window_seconds":null}`, "Invalid body: 'dedup_window_seconds' cannot be null"},
		"status unknown":        {`{"status":"archived"}`, "Invalid body: 'status' must be one of active, paused, disabled"},
		"clear the secret":      {`{"verification_secret":null}`, "Invalid body: 'verification_secret' is required when verification is enabled"},
		"clear the type":        {`{"verification_type":null}`, "Invalid body: 'verification_type' is required when verification is enabled"},
		"standard, hex secret":  {`{"verification_type":"standard_webhooks"}`, "Invalid body: 'verification_secret' must be base64, optionally prefixed whsec_, for standard_webhooks"},
		"header strategy":       {`{"dedup_strategy":"header_field","dedup_field":null}`, "Invalid body: 'dedup_field' is required for dedup_strategy header_field"},
		"clear the strategy":    {`{"dedup_strategy":null}`, "Invalid body: 'dedup_strategy' is required when dedup is enabled"},
		"clear the dedup field": {`{"dedup_field":null}`, "Invalid body: 'dedup_field' is required for dedup_strategy body_field"},
		"clear the schema":      {`{"json_schema":null}`, "Invalid body: 'json_schema' is required when schema validation is enabled"},
		"bad schema":            {`{"json_schema":{"required":"id"}}`, "Invalid body: 'json_schema' is not a usable JSON Schema (draft 4, 6 or 7): at '/required': got string, want array"},
		"IPv6 denylist":         {`{"ip_denylist":["::1"]}`, "Invalid body: 'ip_denylist[0]' must be an IPv4 address or CIDR; IPv6 is unsupported"},
		"malformed":             {`{"name":`, "Invalid body: malformed JSON"},
		"array":                 {`[]`, "Invalid body: expected a JSON object"},
	}
	env := newEnv(t, emulator.Options{})
	created := sources.create(env, keyA, fullSourceBody)
	checkBadRequests(t, env, sources.kind, http.MethodPatch, "/v1/sources/"+created.ID, tests)
	if diff := cmp.Diff(created, sources.get(env, keyA, created.ID)); diff != "" {
		t.Errorf("rejected PATCHes changed the row (-want +got):\n%s", diff)
	}
}

func TestSourceList(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	for i := 1; i <= 25; i++ {
		sources.create(env, keyA, sourceWith(map[string]any{"slug": fmt.Sprintf("s-%03d", i), "verification_type": "hmac_sha1", "verification_secret": "secret-value-" + fmt.Sprint(i)}))
	}
	sources.create(env, keyB, sourceWith(nil))
	paused := sources.list(env, keyA, "?limit=1").Rows[0]
	env.call(http.MethodPatch, "/v1/sources/"+paused.ID, keyA, `{"status":"paused"}`)

	pages := 1
	var slugs []string
	for _, s := range sources.walk(env, keyA, "", 10, func(int) { pages++ }) {
		slugs = append(slugs, s.Slug)
		if !strings.HasPrefix(*s.VerificationSecret, "****") {
			t.Errorf("list shows a secret: %s", *s.VerificationSecret)
		}
	}
	if pages != 3 {
		t.Errorf("%d pages, want 3", pages)
	}
	if diff := cmp.Diff(descending("s-%03d", 1, 25), slugs); diff != "" {
		t.Errorf("walk, newest first (-want +got):\n%s", diff)
	}

	checkListQueries(t, env, sources, map[string]listQuery{
		"default page":   {"", http.StatusOK, 20, ""},
		"status paused":  {"?status=paused", http.StatusOK, 1, ""},
		"status active":  {"?status=active&limit=100", http.StatusOK, 24, ""},
		"status unknown": {"?status=deleted", http.StatusBadRequest, 0, "Invalid query: 'status' must be one of active, paused, disabled"},
		"limit 101":      {"?limit=101", http.StatusBadRequest, 0, "Invalid query: 'limit' must be an integer between 1 and 100"},
		"bad cursor":     {"?cursor=abc", http.StatusBadRequest, 0, "Invalid query: 'cursor' is not a cursor this API returned"},
		"type ignored":   {"?type=websocket&limit=100", http.StatusOK, 25, ""},
	})
}

func TestSourceSecretMasking(t *testing.T) {
	tests := map[string]struct{ secret, want string }{
		"one character":    {"a", "****"},
		"seven characters": {"1234567", "****"},
		"eight characters": {"12345678", "****5678"},
		"multibyte":        {"pässwörd-ünïcö", "****nïcö"},
	}
	env := newEnv(t, emulator.Options{})
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			created := sources.create(env, keyA, sourceWith(map[string]any{"slug": slugFor(name), "verification_type": "hmac_sha256", "verification_secret": tc.secret}))
			for _, got := range []emulator.Source{created, sources.get(env, keyA, created.ID)} {
				if diff := cmp.Diff(new(tc.want), got.VerificationSecret); diff != "" {
					t.Errorf("verification_secret (-want +got):\n%s", diff)
				}
			}
			stored, err := env.server.Source(t.Context(), created.ID)
			if err != nil {
				t.Fatal(err)
			}
			if *stored.VerificationSecret != tc.secret {
				t.Errorf("store lost the real secret: %s", *stored.VerificationSecret)
			}
		})
	}
}

// Sources share the org's API budget with destinations.
func TestSourceRateLimit(t *testing.T) {
	env := newEnv(t, emulator.Options{RateLimit: 1, RateLimitBurst: 2})
	sources.create(env, keyA, sourceWith(nil))
	env.call(http.MethodGet, "/v1/destinations", keyA, "")
	res := env.call(http.MethodGet, "/v1/sources", keyA, "")
	if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") != "1" {
		t.Fatalf("status %d, Retry-After %q; want 429 and 1", res.status, res.header.Get("Retry-After"))
	}
	if got := errorOf(t, res); got != "Rate limit exceeded" {
		t.Errorf("error %q", got)
	}
	env.clock.Advance(time.Second)
	if res := env.call(http.MethodGet, "/v1/sources", keyA, ""); res.status != http.StatusOK {
		t.Errorf("after a second: status %d", res.status)
	}
	if res := env.call(http.MethodGet, "/v1/sources", keyB, ""); res.status != http.StatusOK {
		t.Errorf("another org: status %d", res.status)
	}
}
