// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hookstream

import (
	"encoding/json"
	"time"
)

// Filter rule operators. What each compares, and which value it takes, is in the contract (section 7).
const (
	OpEq       = "eq"       // strict JSON equality with a string, number, boolean or null
	OpNeq      = "neq"      // the inverse of eq; true on a missing field
	OpContains = "contains" // substring of a string
	OpGt       = "gt"       // numeric, no coercion
	OpGte      = "gte"      // numeric, no coercion
	OpLt       = "lt"       // numeric, no coercion
	OpLte      = "lte"      // numeric, no coercion
	OpExists   = "exists"   // the field is present (value true) or absent (value false)
	OpIn       = "in"       // the field's value is one of an array
)

// FilterRule is one rule of a connection; an event is routed through the connection only when all its rules match.
// Field is a path: payload.<dot.path>, headers.<name> (case-insensitive name), method, content_type or source_ip.
type FilterRule struct {
	Field string `json:"field"`
	Op    string `json:"op"`
	// Value is JSON text: compact when decoded, and JSON null is the text null, never a nil Value. A request
	// whose Value is not valid JSON (nil included) is refused without a call. For OpExists it is a boolean.
	Value json.RawMessage `json:"value"`
}

// Connection is a decoded, normalised remote connection: it routes the events of one source to one destination,
// filtering and transforming them on the way. Pointer and nil fields are columns the server left null.
type Connection struct {
	ID    string
	OrgID string
	EnvID string
	// SourceID and DestinationID are immutable: re-pointing a connection means deleting it and creating another.
	SourceID      string
	DestinationID string
	// Name is not unique on the emulator; the contract says the real service may refuse a duplicate with 409.
	Name        string
	Description *string

	// Enabled and Status are one setting as far as routing goes: the server may couple them.
	Enabled bool
	Status  string

	// FilterRules is nil when null. A null and an empty list both match every event.
	FilterRules []FilterRule

	TransformEnabled bool
	// TransformExpression is a JSONata expression; it runs only when TransformEnabled is set and it is non-empty.
	TransformExpression *string

	EventCount  int64
	LastEventAt *time.Time

	// SourceName and DestinationName are the current names of the linked source and destination, nil when the
	// linked row is gone (a deployment that leaves a connection dangling when its source or destination is
	// deleted): such a connection routes nothing, and is reported as broken.
	SourceName      *string
	DestinationName *string

	CreatedAt time.Time
	UpdatedAt time.Time
}

// Dangling reports a connection whose source or destination is gone: SourceName or DestinationName reads null.
func (c *Connection) Dangling() bool { return c.SourceName == nil || c.DestinationName == nil }

// ConnectionCreateRequest is the body of POST /connections. Requests send real JSON types; unset fields take the
// server's defaults. A connection has no natural key: see Client.CreateConnection.
type ConnectionCreateRequest struct {
	SourceID      string  `json:"source_id"`
	DestinationID string  `json:"destination_id"`
	Name          string  `json:"name"`
	Description   *string `json:"description,omitempty"`
	// Enabled defaults to true.
	Enabled *bool `json:"enabled,omitempty"`
	// FilterRules is left out when empty, which the server stores as null: every event matches.
	FilterRules []FilterRule `json:"filter_rules,omitempty"`
	// TransformEnabled defaults to true when TransformExpression is non-empty.
	TransformEnabled    *bool   `json:"transform_enabled,omitempty"`
	TransformExpression *string `json:"transform_expression,omitempty"`
}

// ConnectionUpdateRequest is the body of PATCH /connections/{id}: only the fields present change, the rules are
// replaced whole, and an explicit null clears a nullable field (Set of a nil slice sends null too). source_id and
// destination_id are immutable and have no field here. Send Enabled and Status together: the server may couple
// them.
type ConnectionUpdateRequest struct {
	Name                Opt[string]       `json:"name,omitzero"`
	Description         Opt[string]       `json:"description,omitzero"`
	Enabled             Opt[bool]         `json:"enabled,omitzero"`
	Status              Opt[string]       `json:"status,omitzero"`
	FilterRules         Opt[[]FilterRule] `json:"filter_rules,omitzero"`
	TransformEnabled    Opt[bool]         `json:"transform_enabled,omitzero"`
	TransformExpression Opt[string]       `json:"transform_expression,omitzero"`
}

// IsEmpty reports a request with no field present; hookstream answers such a PATCH with 400.
func (r *ConnectionUpdateRequest) IsEmpty() bool { return len(r.Fields()) == 0 }

// Fields returns the JSON names of the fields present, sorted. It never returns values, so it is safe for events
// and logs.
func (r *ConnectionUpdateRequest) Fields() []string { return presentFieldsOf(r) }
