// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hookstream

import (
	"encoding/json"
	"net/url"
	"strings"
	"time"
)

// Source types.
const (
	SourceTypeHTTP      = "http"
	SourceTypeWebSocket = "websocket"
)

// Signature verification schemes of a source, in the underscore form the server stores.
const (
	VerificationHMACSHA256       = "hmac_sha256"
	VerificationHMACSHA1         = "hmac_sha1"
	VerificationStandardWebhooks = "standard_webhooks"
)

// Deduplication strategies of a source.
const (
	DedupPayloadHash = "payload_hash"
	DedupHeaderField = "header_field"
	DedupBodyField   = "body_field"
)

// What a source does with a payload its JSON schema rejects. A null schema_action behaves as warn.
const (
	SchemaActionReject = "reject"
	SchemaActionWarn   = "warn"
)

// NormalizeVerificationType maps a verification type to the underscore form the server stores ("hmac-sha256" ->
// "hmac_sha256"): one of hookstream's guides spells them with hyphens, and the server accepts both. Unknown types
// are returned lower-cased, to be judged by the server.
func NormalizeVerificationType(t string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(t)), "-", "_")
}

// Source is a decoded, normalised remote source: the public ingest endpoint webhooks arrive at. Pointer and nil
// fields are columns the server left null.
type Source struct {
	ID          string
	OrgID       string
	EnvID       string
	Name        string
	Slug        string
	Description *string
	Type        string
	// Template is the provider template the source was created from (stripe, github...), which pre-filled the
	// verification settings.
	Template *string
	// SourceConfig is the provider-specific configuration given on create, as compact JSON text; nil when null.
	SourceConfig json.RawMessage

	VerificationEnabled bool
	VerificationType    *string // normalised, see NormalizeVerificationType
	// VerificationSecret is the secret as the server reads it back: masked ("****" + its last 4 characters), in
	// plain text or null, depending on the deployment. Never compare it with a desired secret, and never send it
	// back: the server would store the masked value.
	VerificationSecret *string
	VerificationHeader *string
	// VerificationConfig is a JSON object as compact JSON text; nil when null.
	VerificationConfig json.RawMessage

	DedupEnabled       bool
	DedupStrategy      *string
	DedupField         *string
	DedupWindowSeconds *int

	IPAllowlist []string // nil when null
	IPDenylist  []string // nil when null

	SchemaValidationEnabled bool
	// JSONSchema is the JSON schema payloads are validated against, as compact JSON text; nil when null.
	JSONSchema   json.RawMessage
	SchemaAction *string

	Status      string
	EventCount  int64
	LastEventAt *time.Time
	// ServerIngestURL is the row's ingest_url or url field when the server sends one, else "". Use IngestURL.
	ServerIngestURL string

	CreatedAt time.Time
	UpdatedAt time.Time
}

// IngestURL returns the public URL webhooks are sent to: the server's own when it sent one, else baseURL +
// "/ingest/" + the escaped source id (not its slug). baseURL is the API base URL, for example
// "https://hookstream.io/v1" (Client.BaseURL). The URL is not a secret: hookstream shows the id in every read.
func (s *Source) IngestURL(baseURL string) string {
	if s.ServerIngestURL != "" {
		return s.ServerIngestURL
	}
	return strings.TrimRight(baseURL, "/") + "/ingest/" + url.PathEscape(s.ID)
}

// String names the source without its verification secret, which some deployments read back in plain text.
func (s Source) String() string {
	return "hookstream.Source{ID: " + s.ID + ", Slug: " + s.Slug + ", Status: " + s.Status + "}"
}

// GoString keeps the secret out of %#v as well.
func (s Source) GoString() string { return s.String() }

// SourceCreateRequest is the body of POST /sources. Requests send real JSON types; unset fields take the server's
// defaults. The slug is the natural key: a slug already used in the project answers 409.
type SourceCreateRequest struct {
	Name        string  `json:"name"`
	Slug        string  `json:"slug"`
	Description *string `json:"description,omitempty"`
	// Type, Template and SourceConfig can only be set on create.
	Type         string          `json:"type,omitempty"`
	Template     string          `json:"template,omitempty"`
	SourceConfig json.RawMessage `json:"source_config,omitempty"` // a JSON object

	VerificationEnabled *bool           `json:"verification_enabled,omitempty"`
	VerificationType    *string         `json:"verification_type,omitempty"`
	VerificationSecret  *string         `json:"verification_secret,omitempty"`
	VerificationHeader  *string         `json:"verification_header,omitempty"`
	VerificationConfig  json.RawMessage `json:"verification_config,omitempty"` // a JSON object

	DedupEnabled       *bool   `json:"dedup_enabled,omitempty"`
	DedupStrategy      *string `json:"dedup_strategy,omitempty"`
	DedupField         *string `json:"dedup_field,omitempty"`
	DedupWindowSeconds *int    `json:"dedup_window_seconds,omitempty"`

	// IPAllowlist and IPDenylist are left out when empty, which the server stores as null.
	IPAllowlist []string `json:"ip_allowlist,omitempty"`
	IPDenylist  []string `json:"ip_denylist,omitempty"`

	SchemaValidationEnabled *bool           `json:"schema_validation_enabled,omitempty"`
	JSONSchema              json.RawMessage `json:"json_schema,omitempty"` // a JSON object
	SchemaAction            *string         `json:"schema_action,omitempty"`
}

// String names the request without its secrets.
func (r SourceCreateRequest) String() string {
	return "hookstream.SourceCreateRequest{Slug: " + r.Slug + ", Type: " + r.Type + ", Template: " + r.Template + "}"
}

// GoString keeps secrets out of %#v as well.
func (r SourceCreateRequest) GoString() string { return r.String() }

// SourceUpdateRequest is the body of PATCH /sources/{id}: only the fields present change, lists and objects are
// replaced whole, and an explicit null clears a nullable field (Set of a nil slice or RawMessage sends null too).
// slug, type, template and source_config are immutable and have no field here. Leave VerificationSecret out to
// keep the stored secret.
type SourceUpdateRequest struct {
	Name        Opt[string] `json:"name,omitzero"`
	Description Opt[string] `json:"description,omitzero"`
	Status      Opt[string] `json:"status,omitzero"`

	VerificationEnabled Opt[bool]            `json:"verification_enabled,omitzero"`
	VerificationType    Opt[string]          `json:"verification_type,omitzero"`
	VerificationSecret  Opt[string]          `json:"verification_secret,omitzero"`
	VerificationHeader  Opt[string]          `json:"verification_header,omitzero"`
	VerificationConfig  Opt[json.RawMessage] `json:"verification_config,omitzero"` // a JSON object

	DedupEnabled       Opt[bool]   `json:"dedup_enabled,omitzero"`
	DedupStrategy      Opt[string] `json:"dedup_strategy,omitzero"`
	DedupField         Opt[string] `json:"dedup_field,omitzero"`
	DedupWindowSeconds Opt[int]    `json:"dedup_window_seconds,omitzero"`

	IPAllowlist Opt[[]string] `json:"ip_allowlist,omitzero"`
	IPDenylist  Opt[[]string] `json:"ip_denylist,omitzero"`

	SchemaValidationEnabled Opt[bool]            `json:"schema_validation_enabled,omitzero"`
	JSONSchema              Opt[json.RawMessage] `json:"json_schema,omitzero"` // a JSON object
	SchemaAction            Opt[string]          `json:"schema_action,omitzero"`
}

// IsEmpty reports a request with no field present; hookstream answers such a PATCH with 400.
func (r *SourceUpdateRequest) IsEmpty() bool { return len(r.Fields()) == 0 }

// Fields returns the JSON names of the fields present, sorted. It never returns values, so it is safe for events
// and logs.
func (r *SourceUpdateRequest) Fields() []string { return presentFieldsOf(r) }

// String lists the fields present without their values, which may be secrets.
func (r SourceUpdateRequest) String() string {
	return "hookstream.SourceUpdateRequest{" + strings.Join(r.Fields(), ", ") + "}"
}

// GoString keeps secrets out of %#v as well.
func (r SourceUpdateRequest) GoString() string { return r.String() }
