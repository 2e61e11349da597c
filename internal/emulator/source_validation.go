// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"slices"
	"strings"
)

const (
	sourceTypeHTTP = "http"

	verificationHMACSHA256       = "hmac_sha256"
	verificationHMACSHA1         = "hmac_sha1"
	verificationStandardWebhooks = "standard_webhooks"

	dedupPayloadHash = "payload_hash"
	dedupHeaderField = "header_field"
	dedupBodyField   = "body_field"

	schemaActionReject = "reject"
	schemaActionWarn   = "warn"

	// maxIPListEntries bounds ip_allowlist and ip_denylist.
	maxIPListEntries = 100
)

var (
	sourceTypes       = []string{sourceTypeHTTP, "websocket"}
	verificationTypes = []string{verificationHMACSHA256, verificationHMACSHA1, verificationStandardWebhooks}
	dedupStrategies   = []string{dedupPayloadHash, dedupHeaderField, dedupBodyField}
	schemaActions     = []string{schemaActionReject, schemaActionWarn}
	hmacEncodings     = []string{"hex", "base64"}
)

// sourceTemplate is what a template pre-fills on create. Fields the body sends win, an explicit null
// included.
type sourceTemplate struct {
	verificationType   string
	verificationHeader string
	verificationConfig string // a JSON object, "" for none
}

// sourceTemplates pre-fill the verification settings each provider signs its webhooks with, as far as the
// three documented verification types can express them:
//
//	template   verification_type   verification_header     verification_config
//	stripe     hmac_sha256         Stripe-Signature        -  (t=…,v1=… is verified as Stripe signs it)
//	github     hmac_sha256         X-Hub-Signature-256     -  (sha256=<hex>)
//	shopify    hmac_sha256         X-Shopify-Hmac-Sha256   {"encoding":"base64"}
//	slack      hmac_sha256         X-Slack-Signature       -  (v0=<hex>)
//	twilio     hmac_sha1           X-Twilio-Signature      {"encoding":"base64"}
//	intercom   hmac_sha1           X-Hub-Signature         -  (sha1=<hex>)
//	linear     hmac_sha256         Linear-Signature        -
//	paddle     hmac_sha256         Paddle-Signature        -
//	typeform   hmac_sha256         Typeform-Signature      {"encoding":"base64"}  (sha256=<base64>)
//	clerk      standard_webhooks   -                       -  (Clerk signs through Svix)
//	svix       standard_webhooks   -                       -
//	resend     standard_webhooks   -                       -  (Resend signs through Svix)
//	sendgrid   -                   -                       -  (ECDSA signatures: no documented type fits)
//	postmark   -                   -                       -  (Postmark does not sign; use the IP lists)
//	custom     -                   -                       -
//
// HMAC signs the raw body, except Stripe's t=…,v1=… form: Slack's, Twilio's and Paddle's own signed strings
// are not reproduced, so the emulator verifies what those templates receive as hookstream documents it.
var sourceTemplates = map[string]sourceTemplate{
	"stripe":   {verificationType: verificationHMACSHA256, verificationHeader: "Stripe-Signature"},
	"github":   {verificationType: verificationHMACSHA256, verificationHeader: "X-Hub-Signature-256"},
	"shopify":  {verificationType: verificationHMACSHA256, verificationHeader: "X-Shopify-Hmac-Sha256", verificationConfig: `{"encoding":"base64"}`},
	"slack":    {verificationType: verificationHMACSHA256, verificationHeader: "X-Slack-Signature"},
	"twilio":   {verificationType: verificationHMACSHA1, verificationHeader: "X-Twilio-Signature", verificationConfig: `{"encoding":"base64"}`},
	"sendgrid": {},
	"intercom": {verificationType: verificationHMACSHA1, verificationHeader: "X-Hub-Signature"},
	"linear":   {verificationType: verificationHMACSHA256, verificationHeader: "Linear-Signature"},
	"clerk":    {verificationType: verificationStandardWebhooks},
	"svix":     {verificationType: verificationStandardWebhooks},
	"paddle":   {verificationType: verificationHMACSHA256, verificationHeader: "Paddle-Signature"},
	"resend":   {verificationType: verificationStandardWebhooks},
	"postmark": {},
	"typeform": {verificationType: verificationHMACSHA256, verificationHeader: "Typeform-Signature", verificationConfig: `{"encoding":"base64"}`},
	"custom":   {},
}

// templateNames lists the templates in the order of the docs, for messages.
var templateNames = []string{"stripe", "github", "shopify", "slack", "twilio", "sendgrid", "intercom", "linear",
	"clerk", "svix", "paddle", "resend", "postmark", "typeform", "custom"}

// sourceDraft is a source being built from a create body or edited by a PATCH body.
type sourceDraft struct {
	row *Source
	// orgID and envID are what a create body sent, "" when it sent nothing.
	orgID, envID string
}

func newSourceDraft(row *Source) *sourceDraft {
	return &sourceDraft{row: row}
}

// sourceBody holds the rules of SourceCreate and SourceUpdate.
var sourceBody = bodyRules[*sourceDraft]{
	fields: sourceFields,
	readOnly: []string{"id", "event_count", "last_event_at", "created_at", "updated_at", "is_ephemeral", "expires_at",
		"request_limit"},
	immutable: []string{"slug", "template", "type", "source_config", "org_id", "env_id"},
	patchOnly: []string{"status"},
	finish:    finishSource,
}

// sourceFields lists the request fields in the order of the request schemas.
var sourceFields = []fieldRule[*sourceDraft]{
	{name: "name", requiredOnCreate: true, apply: func(d *sourceDraft, field string, raw json.RawMessage) error {
		return applyString(field, raw, 1, 128, &d.row.Name)
	}},
	{name: "slug", requiredOnCreate: true, apply: func(d *sourceDraft, field string, raw json.RawMessage) error {
		return applySlug(field, raw, &d.row.Slug)
	}},
	{name: "description", nullOnCreate: true, nullOnPatch: true,
		apply: func(d *sourceDraft, field string, raw json.RawMessage) error {
			return applyOptionalString(field, raw, 0, 1024, &d.row.Description)
		},
		clear: func(d *sourceDraft) { d.row.Description = nil }},
	{name: "type", apply: func(d *sourceDraft, field string, raw json.RawMessage) error {
		return applyEnum(field, raw, sourceTypes, &d.row.Type)
	}},
	{name: "source_config", nullOnCreate: true,
		apply: func(d *sourceDraft, field string, raw json.RawMessage) error {
			return applyObject(field, raw, &d.row.SourceConfig)
		},
		clear: func(d *sourceDraft) { d.row.SourceConfig = nil }},
	{name: "template", apply: func(d *sourceDraft, field string, raw json.RawMessage) error {
		var name string
		if err := applyEnum(field, raw, templateNames, &name); err != nil {
			return err
		}
		d.row.Template = &name
		return nil
	}},
	{name: "org_id", apply: func(d *sourceDraft, field string, raw json.RawMessage) error {
		return applyString(field, raw, 1, 256, &d.orgID)
	}},
	{name: "env_id", apply: func(d *sourceDraft, field string, raw json.RawMessage) error {
		return applyString(field, raw, 1, 256, &d.envID)
	}},
	{name: "verification_enabled", apply: func(d *sourceDraft, field string, raw json.RawMessage) error {
		return applyFlag(field, raw, &d.row.VerificationEnabled)
	}},
	{name: "verification_type", nullOnCreate: true, nullOnPatch: true,
		apply: func(d *sourceDraft, field string, raw json.RawMessage) error {
			name, ok := decodeString(raw)
			canonical := strings.ReplaceAll(name, "-", "_")
			if !ok || !slices.Contains(verificationTypes, canonical) {
				return invalidField("'%s' must be one of %s (or the same with hyphens)", field, strings.Join(verificationTypes, ", "))
			}
			d.row.VerificationType = &canonical
			return nil
		},
		clear: func(d *sourceDraft) { d.row.VerificationType = nil }},
	{name: "verification_secret", nullOnCreate: true, nullOnPatch: true,
		apply: func(d *sourceDraft, field string, raw json.RawMessage) error {
			return applyOptionalString(field, raw, 1, 1024, &d.row.VerificationSecret)
		},
		clear: func(d *sourceDraft) { d.row.VerificationSecret = nil }},
	{name: "verification_header", nullOnCreate: true, nullOnPatch: true,
		apply: func(d *sourceDraft, field string, raw json.RawMessage) error {
			if err := applyOptionalString(field, raw, 1, 256, &d.row.VerificationHeader); err != nil {
				return err
			}
			if !isHeaderName(*d.row.VerificationHeader) {
				return invalidField("'%s' must be an HTTP header name", field)
			}
			return nil
		},
		clear: func(d *sourceDraft) { d.row.VerificationHeader = nil }},
	{name: "verification_config", nullOnCreate: true, nullOnPatch: true,
		apply: applyVerificationConfig,
		clear: func(d *sourceDraft) { d.row.VerificationConfig = nil }},
	{name: "dedup_enabled", apply: func(d *sourceDraft, field string, raw json.RawMessage) error {
		return applyFlag(field, raw, &d.row.DedupEnabled)
	}},
	{name: "dedup_strategy", nullOnCreate: true, nullOnPatch: true,
		apply: func(d *sourceDraft, field string, raw json.RawMessage) error {
			return applyOptionalEnum(field, raw, dedupStrategies, &d.row.DedupStrategy)
		},
		clear: func(d *sourceDraft) { d.row.DedupStrategy = nil }},
	{name: "dedup_field", nullOnCreate: true, nullOnPatch: true,
		apply: func(d *sourceDraft, field string, raw json.RawMessage) error {
			return applyOptionalString(field, raw, 1, 256, &d.row.DedupField)
		},
		clear: func(d *sourceDraft) { d.row.DedupField = nil }},
	{name: "dedup_window_seconds", apply: func(d *sourceDraft, field string, raw json.RawMessage) error {
		value, err := decodeIntInRange(field, raw, 1, 604_800)
		d.row.DedupWindowSeconds = value
		return err
	}},
	{name: "ip_allowlist", nullOnCreate: true, nullOnPatch: true,
		apply: func(d *sourceDraft, field string, raw json.RawMessage) error {
			return applyIPList(field, raw, &d.row.IPAllowlist)
		},
		clear: func(d *sourceDraft) { d.row.IPAllowlist = nil }},
	{name: "ip_denylist", nullOnCreate: true, nullOnPatch: true,
		apply: func(d *sourceDraft, field string, raw json.RawMessage) error {
			return applyIPList(field, raw, &d.row.IPDenylist)
		},
		clear: func(d *sourceDraft) { d.row.IPDenylist = nil }},
	{name: "schema_validation_enabled", apply: func(d *sourceDraft, field string, raw json.RawMessage) error {
		return applyFlag(field, raw, &d.row.SchemaValidationEnabled)
	}},
	{name: "json_schema", nullOnCreate: true, nullOnPatch: true,
		apply: func(d *sourceDraft, field string, raw json.RawMessage) error {
			encoded, err := checkJSONSchema(field, raw)
			if err != nil {
				return err
			}
			d.row.JSONSchema = &encoded
			return nil
		},
		clear: func(d *sourceDraft) { d.row.JSONSchema = nil }},
	{name: "schema_action", nullOnCreate: true, nullOnPatch: true,
		apply: func(d *sourceDraft, field string, raw json.RawMessage) error {
			return applyOptionalEnum(field, raw, schemaActions, &d.row.SchemaAction)
		},
		clear: func(d *sourceDraft) { d.row.SchemaAction = nil }},
	{name: "status", apply: func(d *sourceDraft, field string, raw json.RawMessage) error {
		return applyEnum(field, raw, statuses, &d.row.Status)
	}},
}

// finishSource fills in what a create leaves to defaults, then checks the resulting row: a PATCH is checked
// against the stored settings it does not touch. A foreign org_id or env_id is reported only once the body
// is otherwise valid.
func finishSource(d *sourceDraft, fields map[string]json.RawMessage, mode bodyMode) error {
	row := d.row
	if mode == createBody {
		applyTemplate(row, fields)
		if _, sent := fields["verification_enabled"]; !sent && row.VerificationType != nil {
			row.VerificationEnabled = 1
		}
		if _, sent := fields["dedup_enabled"]; !sent && row.DedupStrategy != nil {
			row.DedupEnabled = 1
		}
	}
	for _, check := range []func(*Source) error{checkVerification, checkDedup, checkSchemaValidation} {
		if err := check(row); err != nil {
			return err
		}
	}
	if (d.orgID != "" && d.orgID != row.OrgID) || (d.envID != "" && d.envID != row.EnvID) {
		return errForbidden
	}
	return nil
}

// applyTemplate pre-fills the verification settings of the row's template that the body did not send.
func applyTemplate(row *Source, fields map[string]json.RawMessage) {
	if row.Template == nil {
		return
	}
	t := sourceTemplates[*row.Template]
	prefill := func(field, value string, target **string) {
		if _, sent := fields[field]; !sent && value != "" {
			*target = &value
		}
	}
	prefill("verification_type", t.verificationType, &row.VerificationType)
	prefill("verification_header", t.verificationHeader, &row.VerificationHeader)
	prefill("verification_config", t.verificationConfig, &row.VerificationConfig)
}

func checkVerification(row *Source) error {
	if row.VerificationEnabled == 1 {
		if row.VerificationType == nil {
			return invalidField("'verification_type' is required when verification is enabled")
		}
		if row.VerificationSecret == nil {
			return invalidField("'verification_secret' is required when verification is enabled")
		}
	}
	if row.VerificationType != nil && *row.VerificationType == verificationStandardWebhooks && row.VerificationSecret != nil {
		if _, ok := standardWebhooksKey(*row.VerificationSecret); !ok {
			return invalidField("'verification_secret' must be base64, optionally prefixed whsec_, for standard_webhooks")
		}
	}
	return nil
}

func checkDedup(row *Source) error {
	if row.DedupEnabled == 1 && row.DedupStrategy == nil {
		return invalidField("'dedup_strategy' is required when dedup is enabled")
	}
	if row.DedupStrategy == nil {
		return nil
	}
	switch strategy := *row.DedupStrategy; strategy {
	case dedupHeaderField:
		if row.DedupField == nil {
			return invalidField("'dedup_field' is required for dedup_strategy %s", strategy)
		}
		if !isHeaderName(*row.DedupField) {
			return invalidField("'dedup_field' must be an HTTP header name for dedup_strategy %s", strategy)
		}
	case dedupBodyField:
		if row.DedupField == nil {
			return invalidField("'dedup_field' is required for dedup_strategy %s", strategy)
		}
		if bodyPath(*row.DedupField) == nil {
			return invalidField("'dedup_field' must be a dot path such as data.id or $.data.id for dedup_strategy %s", strategy)
		}
	}
	return nil
}

func checkSchemaValidation(row *Source) error {
	if row.SchemaValidationEnabled == 1 && row.JSONSchema == nil {
		return invalidField("'json_schema' is required when schema validation is enabled")
	}
	return nil
}

// bodyPath splits a body_field path into its keys: a leading "$." is dropped, and no key may be empty. It
// returns nil for a path that names nothing.
func bodyPath(path string) []string {
	path = strings.TrimPrefix(path, "$.")
	keys := strings.Split(path, ".")
	if slices.Contains(keys, "") {
		return nil
	}
	return keys
}

func applyVerificationConfig(d *sourceDraft, field string, raw json.RawMessage) error {
	// The docs call it "Verification config JSON": a JSON-encoded object is taken like the object itself.
	if text, ok := decodeString(raw); ok {
		raw = json.RawMessage(text)
	}
	config, ok := decodeObject(raw)
	if !ok {
		return invalidField("'%s' must be an object or a JSON-encoded object", field)
	}
	if encoding, present := config["encoding"]; present {
		if name, ok := encoding.(string); !ok || !slices.Contains(hmacEncodings, name) {
			return invalidField("'%s.encoding' must be one of %s", field, strings.Join(hmacEncodings, ", "))
		}
	}
	encoded := encodeJSON(config)
	d.row.VerificationConfig = &encoded
	return nil
}

// applyIPList accepts an array of at most maxIPListEntries IPv4 addresses or CIDRs and stores it as sent.
func applyIPList(field string, raw json.RawMessage, target **string) error {
	items, err := boundedArray(field, raw, maxIPListEntries, "IPv4 addresses or CIDRs", "entries")
	if err != nil {
		return err
	}
	entries := make([]string, len(items))
	for i, item := range items {
		entry, ok := decodeString(bytes.TrimSpace(item))
		if !ok {
			return invalidField("'%s[%d]' must be a string", field, i)
		}
		if _, ok := parseIPv4Prefix(entry); !ok {
			return invalidField("'%s[%d]' must be an IPv4 address or CIDR; IPv6 is unsupported", field, i)
		}
		entries[i] = entry
	}
	encoded := encodeJSON(entries)
	*target = &encoded
	return nil
}

// parseIPv4Prefix reads an IPv4 address (a /32) or an IPv4 CIDR; host bits in a CIDR are ignored.
func parseIPv4Prefix(entry string) (netip.Prefix, bool) {
	if strings.Contains(entry, "/") {
		prefix, err := netip.ParsePrefix(entry)
		if err != nil || !prefix.Addr().Is4() {
			return netip.Prefix{}, false
		}
		return prefix.Masked(), true
	}
	addr, err := netip.ParseAddr(entry)
	if err != nil || !addr.Is4() {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(addr, 32), true
}

// applyObject stores any JSON object, encoded the one way encodeJSON has.
func applyObject(field string, raw json.RawMessage, target **string) error {
	object, ok := decodeObject(raw)
	if !ok {
		return invalidField("'%s' must be an object", field)
	}
	encoded := encodeJSON(object)
	*target = &encoded
	return nil
}

// decodeObject decodes a JSON object keeping its numbers exact.
func decodeObject(raw json.RawMessage) (map[string]any, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var object map[string]any
	if err := dec.Decode(&object); err != nil || dec.More() {
		return nil, false
	}
	return object, true
}

// isHeaderName reports an RFC 9110 field name: one or more token characters.
func isHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("!#$%&'*+-.^_`|~", r):
		default:
			return false
		}
	}
	return true
}
