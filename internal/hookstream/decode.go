// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hookstream

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"time"
)

// DecodeError is a response the client could not understand. Field names the offending field; the message never
// quotes the value, which may be a secret.
type DecodeError struct {
	Field string
	Err   error
}

func (e *DecodeError) Error() string {
	if e.Field == "" {
		return "decoding the response: " + e.Err.Error()
	}
	return "decoding the response: field " + e.Field + ": " + e.Err.Error()
}

func (e *DecodeError) Unwrap() error { return e.Err }

// The decoders accept the row encoding of the contract (package contract: objects and arrays as JSON-encoded
// strings, booleans as 0/1, unset optional columns as null, every column present, RFC 3339 timestamps) and the
// alternatives the contract says the real service answers, nothing else. An answer in any other encoding is a
// DecodeError: guessing what it means could turn a misread column into a PATCH, or a misread page into deletions.

// The JSON literals null, true and false.
const (
	jsonNull  = "null"
	jsonTrue  = "true"
	jsonFalse = "false"
)

// rawFields is a JSON object split into its members.
type rawFields map[string]json.RawMessage

func splitObject(data []byte) (rawFields, error) {
	var fields rawFields
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, errors.New("not a JSON object")
	}
	if fields == nil {
		return nil, errors.New("null instead of an object")
	}
	return fields, nil
}

// unwrap returns the object in member name of a {"name": {...}} envelope.
func unwrap(data []byte, name string) (rawFields, error) {
	fields, err := splitObject(data)
	if err != nil {
		return nil, &DecodeError{Err: err}
	}
	inner, ok := fields[name]
	if !ok {
		return nil, &DecodeError{Err: fmt.Errorf("no %q envelope", name)}
	}
	if fields, err = splitObject(inner); err != nil {
		return nil, &DecodeError{Field: name, Err: err}
	}
	return fields, nil
}

// decodeEnvelope decodes a single-row answer, {"<name>": {...}}, with the row decoder of its resource.
func decodeEnvelope[T any](data []byte, name string, decodeRow func(rawFields) (*T, error)) (*T, error) {
	fields, err := unwrap(data, name)
	if err != nil {
		return nil, err
	}
	return decodeRow(fields)
}

// decodeRowWith decodes one row into what build makes of it; build reads the fields from d, which keeps the first
// error.
func decodeRowWith[T any](fields rawFields, build func(d *rowDecoder) *T) (*T, error) {
	d := &rowDecoder{fields: fields}
	row := build(d)
	if d.err != nil {
		return nil, d.err
	}
	return row, nil
}

// decodeDestination decodes a GET/POST/PATCH answer: {"destination": {...}}.
func decodeDestination(data []byte) (*Destination, error) {
	return decodeEnvelope(data, "destination", decodeDestinationRow)
}

// decodeDestinationRow decodes one destination row.
func decodeDestinationRow(fields rawFields) (*Destination, error) {
	return decodeRowWith(fields, func(d *rowDecoder) *Destination {
		return &Destination{
			ID:    d.text("id"),
			OrgID: d.text("org_id"),
			EnvID: d.text("env_id"),
			Name:  d.text("name"),
			Slug:  d.text("slug"),
			// The API guide's short spellings (sqs, pubsub...) are documented alternatives of the long form.
			Type:   NormalizeType(d.text("type")),
			URL:    d.text("url"),
			Method: d.text("method"),

			Headers:   d.encodedObject("headers"),
			TimeoutMS: d.integer("timeout_ms"),

			AuthType:   d.text("auth_type"),
			AuthConfig: d.encodedObject("auth_config"),
			Status:     d.text("status"),

			ProviderConfig: d.encodedObject("provider_config"),

			RetryEnabled:     d.optionalFlag("retry_enabled"),
			RetryMaxAttempts: d.optionalInteger("retry_max_attempts"),
			RetryBackoffType: d.optionalText("retry_backoff_type"),
			RetryIntervals:   d.retryIntervals("retry_intervals"),

			CircuitBreakerEnabled:   d.optionalFlag("circuit_breaker_enabled"),
			CircuitBreakerThreshold: d.optionalInteger("circuit_breaker_threshold"),
			CircuitBreakerResetMS:   d.optionalInteger("circuit_breaker_reset_ms"),

			EventCount:     d.count("event_count"),
			LastDeliveryAt: d.optionalTimestamp("last_delivery_at"),
			CreatedAt:      d.timestamp("created_at"),
			UpdatedAt:      d.timestamp("updated_at"),
		}
	})
}

// decodeSource decodes a GET/POST/PATCH answer: {"source": {...}}.
func decodeSource(data []byte) (*Source, error) {
	return decodeEnvelope(data, "source", decodeSourceRow)
}

// decodeSourceRow decodes one source row. Besides the row encoding it accepts what the contract says the real
// service may answer: native JSON for the objects and lists, true/false for the flags, a hyphenated
// verification_type, and a url or ingest_url field. is_ephemeral, expires_at and request_limit concern test
// sessions only and are not read.
func decodeSourceRow(fields rawFields) (*Source, error) {
	return decodeRowWith(fields, func(d *rowDecoder) *Source {
		return &Source{
			ID:           d.text("id"),
			OrgID:        d.text("org_id"),
			EnvID:        d.text("env_id"),
			Name:         d.text("name"),
			Slug:         d.text("slug"),
			Description:  d.optionalText("description"),
			Type:         d.text("type"),
			Template:     d.optionalText("template"),
			SourceConfig: d.jsonObject("source_config"),

			VerificationEnabled: d.flag("verification_enabled"),
			VerificationType:    normalisedVerificationType(d.optionalText("verification_type")),
			VerificationSecret:  d.optionalText("verification_secret"),
			VerificationHeader:  d.optionalText("verification_header"),
			VerificationConfig:  d.jsonObject("verification_config"),

			DedupEnabled:       d.flag("dedup_enabled"),
			DedupStrategy:      d.optionalText("dedup_strategy"),
			DedupField:         d.optionalText("dedup_field"),
			DedupWindowSeconds: d.optionalInteger("dedup_window_seconds"),

			IPAllowlist: d.stringList("ip_allowlist"),
			IPDenylist:  d.stringList("ip_denylist"),

			SchemaValidationEnabled: d.flag("schema_validation_enabled"),
			JSONSchema:              d.jsonObject("json_schema"),
			SchemaAction:            d.optionalText("schema_action"),

			Status:      d.text("status"),
			EventCount:  d.count("event_count"),
			LastEventAt: d.optionalTimestamp("last_event_at"),
			// The contract prefers a URL the server sends to the computed one; ingest_url is the more specific name.
			ServerIngestURL: cmp.Or(d.extraURL("ingest_url"), d.extraURL("url")),

			CreatedAt: d.timestamp("created_at"),
			UpdatedAt: d.timestamp("updated_at"),
		}
	})
}

func normalisedVerificationType(t *string) *string {
	if t == nil {
		return nil
	}
	v := NormalizeVerificationType(*t)
	return &v
}

// decodeConnection decodes a GET/POST/PATCH answer: {"connection": {...}}.
func decodeConnection(data []byte) (*Connection, error) {
	return decodeEnvelope(data, "connection", decodeConnectionRow)
}

// decodeConnectionRow decodes one connection row. Besides the row encoding it accepts what the contract says the
// real service may answer: filter_rules as a native array and true/false for the flags. A null source_name or
// destination_name is a dangling connection, not an error.
func decodeConnectionRow(fields rawFields) (*Connection, error) {
	return decodeRowWith(fields, func(d *rowDecoder) *Connection {
		return &Connection{
			ID:            d.text("id"),
			OrgID:         d.text("org_id"),
			EnvID:         d.text("env_id"),
			SourceID:      d.text("source_id"),
			DestinationID: d.text("destination_id"),
			Name:          d.text("name"),
			Description:   d.optionalText("description"),

			Enabled: d.flag("enabled"),
			Status:  d.text("status"),

			FilterRules: d.filterRules("filter_rules"),

			TransformEnabled:    d.flag("transform_enabled"),
			TransformExpression: d.optionalText("transform_expression"),

			EventCount:  d.count("event_count"),
			LastEventAt: d.optionalTimestamp("last_event_at"),

			SourceName:      d.optionalText("source_name"),
			DestinationName: d.optionalText("destination_name"),

			CreatedAt: d.timestamp("created_at"),
			UpdatedAt: d.timestamp("updated_at"),
		}
	})
}

// decodeCircuit decodes {"circuit": {...}}.
func decodeCircuit(data []byte) (*Circuit, error) {
	fields, err := unwrap(data, "circuit")
	if err != nil {
		return nil, err
	}
	d := &rowDecoder{fields: fields, prefix: "circuit."}
	circuit := &Circuit{
		State:            d.text("state"),
		FailureCount:     d.integer("failure_count"),
		LastTransitionAt: d.optionalTimestamp("last_transition_at"),
	}
	if d.err != nil {
		return nil, d.err
	}
	switch circuit.State {
	case CircuitClosed, CircuitOpen, CircuitHalfOpen:
	default:
		return nil, &DecodeError{Field: "circuit.state", Err: errors.New("not closed, open or half-open")}
	}
	return circuit, nil
}

// page is one decoded page of a listing.
type page[T any] struct {
	Rows    []*T
	Cursor  string
	HasMore bool
}

// decodePage decodes {"<member>": [...], "cursor": ..., "has_more": ...} with the row decoder of its resource.
// The contract lets a deployment leave out both cursor and has_more (one page), and says has_more false ends the
// listing even beside a cursor.
func decodePage[T any](data []byte, member string, decodeRow func(rawFields) (*T, error)) (*page[T], error) {
	fields, err := splitObject(data)
	if err != nil {
		return nil, &DecodeError{Err: err}
	}
	rows, ok := fields[member]
	if !ok {
		// An empty page here would read as "every row is gone".
		return nil, &DecodeError{Field: member, Err: errors.New("missing")}
	}
	var items []json.RawMessage
	if err := json.Unmarshal(rows, &items); err != nil || items == nil {
		return nil, &DecodeError{Field: member, Err: errors.New("not an array")}
	}
	p := &page[T]{Rows: make([]*T, 0, len(items))}
	for i, item := range items {
		rowFields, err := splitObject(item)
		if err != nil {
			return nil, &DecodeError{Field: fmt.Sprintf("%s[%d]", member, i), Err: err}
		}
		row, err := decodeRow(rowFields)
		if err != nil {
			if decodeErr, ok := errors.AsType[*DecodeError](err); ok {
				return nil, &DecodeError{Field: fmt.Sprintf("%s[%d].%s", member, i, decodeErr.Field), Err: decodeErr.Err}
			}
			return nil, err
		}
		p.Rows = append(p.Rows, row)
	}
	_, hasCursor := fields["cursor"]
	_, hasMore := fields["has_more"]
	switch {
	case !hasCursor && !hasMore:
		return p, nil
	case !hasCursor:
		return nil, &DecodeError{Field: "cursor", Err: errors.New("missing beside has_more")}
	case !hasMore:
		return nil, &DecodeError{Field: "has_more", Err: errors.New("missing beside cursor")}
	}
	d := &rowDecoder{fields: fields}
	cursor := d.optionalText("cursor")
	p.HasMore = d.boolean("has_more")
	if d.err != nil {
		return nil, d.err
	}
	if !p.HasMore {
		return p, nil
	}
	if cursor == nil || *cursor == "" {
		// Stopping here would silently drop the rest of the listing.
		return nil, &DecodeError{Field: "cursor", Err: errors.New("has_more is true but there is no cursor")}
	}
	p.Cursor = *cursor
	return p, nil
}

// rowDecoder decodes fields one by one and keeps the first error, so that decodeRow reads as a field list. Every
// field must be present: the contract lists every column in every row, and an absent one read as null would
// mean "platform default".
type rowDecoder struct {
	fields rawFields
	// prefix is prepended to field names in errors.
	prefix string
	err    error
}

func (d *rowDecoder) fail(field string, err error) {
	if d.err == nil {
		d.err = &DecodeError{Field: d.prefix + field, Err: err}
	}
}

// value returns the field and whether it is null; it fails on an absent field.
func (d *rowDecoder) value(field string) (json.RawMessage, bool) {
	raw, ok := d.fields[field]
	if !ok {
		d.fail(field, errors.New("missing"))
		return nil, false
	}
	return raw, string(raw) == jsonNull
}

// required returns a field that must not be null.
func (d *rowDecoder) required(field string) (json.RawMessage, bool) {
	raw, isNull := d.value(field)
	if raw == nil {
		return nil, false
	}
	if isNull {
		d.fail(field, errors.New("null in a column that is never null"))
		return nil, false
	}
	return raw, true
}

// optional returns a nullable field, or false when it is null or absent.
func (d *rowDecoder) optional(field string) (json.RawMessage, bool) {
	raw, isNull := d.value(field)
	return raw, raw != nil && !isNull
}

// requiredField reads a field that is never null with decode; a missing or null one reads as the zero value, and
// d records the error.
func requiredField[T any](d *rowDecoder, field string, decode func(*rowDecoder, string, json.RawMessage) T) T {
	raw, ok := d.required(field)
	if !ok {
		var zero T
		return zero
	}
	return decode(d, field, raw)
}

// optionalField reads a nullable field with decode; null reads as nil.
func optionalField[T any](d *rowDecoder, field string, decode func(*rowDecoder, string, json.RawMessage) T) *T {
	raw, ok := d.optional(field)
	if !ok {
		return nil
	}
	v := decode(d, field, raw)
	return &v
}

func (d *rowDecoder) text(field string) string {
	return requiredField(d, field, (*rowDecoder).decodeText)
}

func (d *rowDecoder) optionalText(field string) *string {
	return optionalField(d, field, (*rowDecoder).decodeText)
}

func (d *rowDecoder) decodeText(field string, raw json.RawMessage) string {
	var v string
	if raw[0] != '"' || json.Unmarshal(raw, &v) != nil {
		d.fail(field, errors.New("expected a string"))
	}
	return v
}

func (d *rowDecoder) count(field string) int64 {
	return requiredField(d, field, func(d *rowDecoder, field string, raw json.RawMessage) int64 {
		v, err := parseInteger(raw)
		if err != nil {
			d.fail(field, err)
		}
		return v
	})
}

func (d *rowDecoder) integer(field string) int {
	return requiredField(d, field, (*rowDecoder).decodeInt32)
}

func (d *rowDecoder) optionalInteger(field string) *int {
	return optionalField(d, field, (*rowDecoder).decodeInt32)
}

func (d *rowDecoder) decodeInt32(field string, raw json.RawMessage) int {
	v, err := parseInteger(raw)
	if err == nil && (v > math.MaxInt32 || v < math.MinInt32) {
		err = errors.New("integer out of range")
	}
	if err != nil {
		d.fail(field, err)
		return 0
	}
	return int(v)
}

// parseInteger accepts a JSON integer literal only: the store's integers never carry a fraction or an exponent,
// and a quoted number is not the documented encoding.
func parseInteger(raw json.RawMessage) (int64, error) {
	if raw[0] == '"' {
		return 0, errors.New("expected an integer, got a string")
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		if numErr, ok := errors.AsType[*strconv.NumError](err); ok && numErr.Err == strconv.ErrRange {
			return 0, errors.New("integer out of range")
		}
		return 0, errors.New("expected an integer")
	}
	return n, nil
}

// optionalFlag reads a boolean column: 0 or 1, the true and false the contract says some deployments answer,
// or null.
func (d *rowDecoder) optionalFlag(field string) *bool {
	return optionalField(d, field, (*rowDecoder).decodeFlag)
}

// flag reads a boolean column that is never null: 0 or 1, or the true and false the contract says some
// deployments answer for sources and connections.
func (d *rowDecoder) flag(field string) bool {
	return requiredField(d, field, (*rowDecoder).decodeFlag)
}

func (d *rowDecoder) decodeFlag(field string, raw json.RawMessage) bool {
	switch string(raw) {
	case "0", jsonFalse:
		return false
	case "1", jsonTrue:
		return true
	}
	d.fail(field, errors.New("expected 0, 1, true or false"))
	return false
}

// boolean reads a real JSON boolean, as the envelopes (has_more) carry.
func (d *rowDecoder) boolean(field string) bool {
	raw, ok := d.required(field)
	if !ok {
		return false
	}
	switch string(raw) {
	case jsonTrue:
		return true
	case jsonFalse:
		return false
	}
	d.fail(field, errors.New("expected true or false"))
	return false
}

// encodedObject reads an object column: a JSON object of strings, encoded in a JSON string, the same object as
// native JSON (which the contract says some deployments answer), or null.
func (d *rowDecoder) encodedObject(field string) map[string]string {
	raw, ok := d.optional(field)
	if !ok {
		return nil
	}
	inner, err := nativeOrEncoded(raw, '{', "object")
	if err != nil {
		d.fail(field, err)
		return nil
	}
	var v map[string]string
	if err := json.Unmarshal(inner, &v); err != nil {
		d.fail(field, errors.New("expected an object of strings"))
		return nil
	}
	return v
}

// arrayItems reads an array column: the array encoded in a JSON string, the same array as native JSON, or null
// (ok false, as for a decoding failure, which d records).
func (d *rowDecoder) arrayItems(field string) (items []json.RawMessage, ok bool) {
	raw, ok := d.optional(field)
	if !ok {
		return nil, false
	}
	raw, err := nativeOrEncoded(raw, '[', "array")
	if err != nil {
		d.fail(field, err)
		return nil, false
	}
	if err := json.Unmarshal(raw, &items); err != nil {
		d.fail(field, errors.New("expected an array"))
		return nil, false
	}
	return items, true
}

// retryIntervals reads the retry_intervals column: an array of integers encoded in a JSON string, the same array
// as native JSON (which the contract says some deployments answer), or null.
func (d *rowDecoder) retryIntervals(field string) []int {
	items, ok := d.arrayItems(field)
	if !ok {
		return nil
	}
	out := make([]int, 0, len(items))
	for _, item := range items {
		if string(item) == jsonNull {
			d.fail(field, errors.New("null in an integer array"))
			return nil
		}
		out = append(out, d.decodeInt32(field, item))
	}
	if d.err != nil {
		return nil
	}
	return out
}

// stringList reads a list column: an array of strings encoded in a JSON string, the same array as native JSON,
// or null (nil).
func (d *rowDecoder) stringList(field string) []string {
	items, ok := d.arrayItems(field)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(items))
	for _, item := range items {
		var v string
		if item[0] != '"' || json.Unmarshal(item, &v) != nil {
			d.fail(field, errors.New("expected an array of strings"))
			return nil
		}
		out = append(out, v)
	}
	return out
}

// filterRules reads the filter_rules column: an array of {"field", "op", "value"} objects encoded in a JSON
// string, the same array as native JSON, or null (nil). Each value is returned as compact JSON text; members other
// than the three are ignored, as unknown columns are.
func (d *rowDecoder) filterRules(field string) []FilterRule {
	items, ok := d.arrayItems(field)
	if !ok {
		return nil
	}
	out := make([]FilterRule, 0, len(items))
	for i, item := range items {
		members, err := splitObject(item)
		if err != nil {
			d.fail(fmt.Sprintf("%s[%d]", field, i), err)
			return nil
		}
		rule := &rowDecoder{fields: members, prefix: fmt.Sprintf("%s%s[%d].", d.prefix, field, i)}
		r := FilterRule{Field: rule.text("field"), Op: rule.text("op"), Value: rule.jsonValue("value")}
		if rule.err != nil {
			if d.err == nil {
				d.err = rule.err
			}
			return nil
		}
		out = append(out, r)
	}
	return out
}

// jsonValue reads a member holding any JSON value, null included (returned as the text null), as compact JSON
// text.
func (d *rowDecoder) jsonValue(field string) json.RawMessage {
	raw, _ := d.value(field)
	if raw == nil {
		return nil
	}
	return d.compact(field, raw)
}

// compact returns raw as compact JSON text.
func (d *rowDecoder) compact(field string, raw json.RawMessage) json.RawMessage {
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		d.fail(field, errors.New("invalid JSON"))
		return nil
	}
	return compact.Bytes()
}

// jsonObject reads a column holding any JSON object: encoded in a JSON string, native JSON, or null. It returns
// the object as compact JSON text, nil for null.
func (d *rowDecoder) jsonObject(field string) json.RawMessage {
	raw, ok := d.optional(field)
	if !ok {
		return nil
	}
	raw, err := nativeOrEncoded(raw, '{', "object")
	if err != nil {
		d.fail(field, err)
		return nil
	}
	return d.compact(field, raw)
}

// extraURL reads a field that is not a column of the row but that some deployments add: absent and null read as
// "", anything else must be an absolute http or https URL.
func (d *rowDecoder) extraURL(field string) string {
	raw, ok := d.fields[field]
	if !ok || string(raw) == jsonNull {
		return ""
	}
	text := d.decodeText(field, raw)
	if u, err := url.Parse(text); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		d.fail(field, errors.New("expected an absolute http or https URL"))
		return ""
	}
	return text
}

// nativeOrEncoded returns the JSON text of a nested object or array (open is '{' or '['): native JSON, which the
// contract says some deployments answer, or the row encoding, JSON-encoded in a string.
func nativeOrEncoded(raw json.RawMessage, open byte, kind string) (json.RawMessage, error) {
	if raw[0] == open {
		return raw, nil
	}
	inner, err := encodedJSON(raw, open, kind)
	if err != nil {
		return nil, fmt.Errorf("expected a JSON-encoded %s in a string, or a native one", kind)
	}
	return inner, nil
}

// encodedJSON returns the JSON text inside a JSON string, which must start with open (an object or an array).
func encodedJSON(raw json.RawMessage, open byte, kind string) (json.RawMessage, error) {
	if raw[0] != '"' {
		return nil, fmt.Errorf("expected a JSON-encoded %s in a string", kind)
	}
	var text string
	if err := json.Unmarshal(raw, &text); err != nil {
		return nil, errors.New("invalid JSON string")
	}
	if len(text) == 0 || text[0] != open || !json.Valid([]byte(text)) {
		return nil, fmt.Errorf("expected a JSON-encoded %s in a string", kind)
	}
	return json.RawMessage(text), nil
}

func (d *rowDecoder) timestamp(field string) time.Time {
	return requiredField(d, field, (*rowDecoder).decodeTime)
}

func (d *rowDecoder) optionalTimestamp(field string) *time.Time {
	return optionalField(d, field, (*rowDecoder).decodeTime)
}

// decodeTime reads an RFC 3339 timestamp (the contract's ISO-8601 UTC) and returns it in UTC.
func (d *rowDecoder) decodeTime(field string, raw json.RawMessage) time.Time {
	var text string
	if raw[0] != '"' || json.Unmarshal(raw, &text) != nil {
		d.fail(field, errors.New("expected an RFC 3339 timestamp"))
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, text)
	if err != nil {
		d.fail(field, errors.New("expected an RFC 3339 timestamp"))
		return time.Time{}
	}
	return t.UTC()
}
