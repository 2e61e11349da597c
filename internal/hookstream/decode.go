/*
Copyright 2026.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package hookstream

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
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

// maxStringWrapping bounds how often an object or array may arrive JSON-encoded inside a string.
const maxStringWrapping = 2

// rawFields is a JSON object split into its members; a member that is absent or null reads as null.
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

// decodeDestination decodes a GET/POST/PATCH answer: the documented {"destination": {...}} envelope, or a bare
// row, which some deployments return.
func decodeDestination(data []byte) (*Destination, error) {
	fields, err := splitObject(data)
	if err != nil {
		return nil, &DecodeError{Err: err}
	}
	if row, ok := fields["destination"]; ok {
		if fields, err = splitObject(row); err != nil {
			return nil, &DecodeError{Field: "destination", Err: err}
		}
	} else if _, ok := fields["id"]; !ok {
		return nil, &DecodeError{Err: errors.New(`neither a "destination" envelope nor a destination row`)}
	}
	return decodeRow(fields)
}

// decodeRow decodes one destination row, whatever encoding each column arrives in.
func decodeRow(fields rawFields) (*Destination, error) {
	d := &rowDecoder{fields: fields}
	dest := &Destination{
		ID:     d.text("id"),
		OrgID:  d.text("org_id"),
		EnvID:  d.text("env_id"),
		Name:   d.text("name"),
		Slug:   d.text("slug"),
		Type:   NormalizeType(d.text("type")),
		URL:    d.text("url"),
		Method: strings.ToUpper(strings.TrimSpace(d.text("method"))),

		Headers:   d.stringMap("headers"),
		TimeoutMS: intOrZero(d.number("timeout_ms")),

		AuthType:   d.text("auth_type"),
		AuthConfig: d.stringMap("auth_config"),
		Status:     d.text("status"),

		ProviderConfig: d.stringMap("provider_config"),

		RetryEnabled:     d.flag("retry_enabled"),
		RetryMaxAttempts: d.number("retry_max_attempts"),
		RetryBackoffType: d.optionalText("retry_backoff_type"),
		RetryIntervals:   d.intSlice("retry_intervals"),

		CircuitBreakerEnabled:   d.flag("circuit_breaker_enabled"),
		CircuitBreakerThreshold: d.number("circuit_breaker_threshold"),
		CircuitBreakerResetMS:   d.number("circuit_breaker_reset_ms"),

		EventCount:     d.count("event_count"),
		LastDeliveryAt: d.timestamp("last_delivery_at"),
		CreatedAt:      timeOrZero(d.timestamp("created_at")),
		UpdatedAt:      timeOrZero(d.timestamp("updated_at")),
	}
	if d.err != nil {
		return nil, d.err
	}
	return dest, nil
}

// decodeCircuit decodes {"circuit": {...}}, or a bare circuit object.
func decodeCircuit(data []byte) (*Circuit, error) {
	fields, err := splitObject(data)
	if err != nil {
		return nil, &DecodeError{Err: err}
	}
	if inner, ok := fields["circuit"]; ok {
		if fields, err = splitObject(inner); err != nil {
			return nil, &DecodeError{Field: "circuit", Err: err}
		}
	}
	d := &rowDecoder{fields: fields}
	circuit := &Circuit{
		// "half_open" and "HALF-OPEN" are the same state.
		State:            strings.ReplaceAll(strings.ToLower(strings.TrimSpace(d.text("state"))), "_", "-"),
		FailureCount:     intOrZero(d.number("failure_count")),
		LastTransitionAt: d.timestamp("last_transition_at"),
	}
	if d.err != nil {
		return nil, d.err
	}
	return circuit, nil
}

// decodeListPage decodes {"destinations": [...], "cursor": ..., "has_more": ...}. Without has_more a cursor
// means another page; without a cursor there is none, whatever has_more says, since it could not be fetched.
func decodeListPage(data []byte) (*ListPage, error) {
	fields, err := splitObject(data)
	if err != nil {
		return nil, &DecodeError{Err: err}
	}
	rows, ok := fields["destinations"]
	if !ok {
		// An empty page here would read as "every destination is gone".
		return nil, &DecodeError{Field: "destinations", Err: errors.New("missing")}
	}
	var items []json.RawMessage
	if err := json.Unmarshal(rows, &items); err != nil {
		return nil, &DecodeError{Field: "destinations", Err: errors.New("not an array")}
	}
	page := &ListPage{Destinations: make([]*Destination, 0, len(items))}
	for i, item := range items {
		if isNull(item) {
			continue
		}
		rowFields, err := splitObject(item)
		if err != nil {
			return nil, &DecodeError{Field: fmt.Sprintf("destinations[%d]", i), Err: err}
		}
		dest, err := decodeRow(rowFields)
		if err != nil {
			if decodeErr, ok := errors.AsType[*DecodeError](err); ok {
				return nil, &DecodeError{Field: fmt.Sprintf("destinations[%d].%s", i, decodeErr.Field), Err: decodeErr.Err}
			}
			return nil, err
		}
		page.Destinations = append(page.Destinations, dest)
	}
	d := &rowDecoder{fields: fields}
	page.Cursor = d.text("cursor")
	hasMore := d.flag("has_more")
	if d.err != nil {
		return nil, d.err
	}
	if hasMore != nil {
		page.HasMore = *hasMore
	} else {
		page.HasMore = page.Cursor != ""
	}
	page.HasMore = page.HasMore && page.Cursor != ""
	return page, nil
}

// rowDecoder decodes fields one by one and keeps the first error, so that decodeRow reads as a field list.
type rowDecoder struct {
	fields rawFields
	err    error
}

func (d *rowDecoder) fail(field string, err error) {
	if d.err == nil {
		d.err = &DecodeError{Field: field, Err: err}
	}
}

func (d *rowDecoder) text(field string) string {
	v, err := decodeString(d.fields[field])
	if err != nil {
		d.fail(field, err)
	}
	return v
}

// optionalText reads a nullable column; "" is null too, as for every other nullable column.
func (d *rowDecoder) optionalText(field string) *string {
	v := d.text(field)
	if v == "" {
		return nil
	}
	return &v
}

func (d *rowDecoder) count(field string) int64 {
	v, _, err := decodeInt(d.fields[field])
	if err != nil {
		d.fail(field, err)
	}
	return v
}

func (d *rowDecoder) number(field string) *int {
	v, ok, err := decodeInt(d.fields[field])
	if err == nil && (v > math.MaxInt32 || v < math.MinInt32) {
		err = errors.New("integer out of range")
	}
	if err != nil {
		d.fail(field, err)
		return nil
	}
	if !ok {
		return nil
	}
	n := int(v)
	return &n
}

func (d *rowDecoder) flag(field string) *bool {
	v, ok, err := decodeBool(d.fields[field])
	if err != nil {
		d.fail(field, err)
		return nil
	}
	if !ok {
		return nil
	}
	return &v
}

func (d *rowDecoder) stringMap(field string) map[string]string {
	v, err := decodeStringMap(d.fields[field], maxStringWrapping)
	if err != nil {
		d.fail(field, err)
	}
	return v
}

func (d *rowDecoder) intSlice(field string) []int {
	v, err := decodeIntSlice(d.fields[field], maxStringWrapping)
	if err != nil {
		d.fail(field, err)
	}
	return v
}

func (d *rowDecoder) timestamp(field string) *time.Time {
	v, err := decodeTime(d.fields[field])
	if err != nil {
		d.fail(field, err)
	}
	return v
}

func intOrZero(v *int) int {
	if v == nil {
		return 0
	}
	return *v
}

func timeOrZero(v *time.Time) time.Time {
	if v == nil {
		return time.Time{}
	}
	return *v
}

// jsonNull is the JSON null literal.
const jsonNull = "null"

// isNull reports an absent member or a JSON null.
func isNull(raw json.RawMessage) bool {
	trimmed := bytes.TrimSpace(raw)
	return len(trimmed) == 0 || string(trimmed) == jsonNull
}

// jsonKind is the first byte of a JSON value, which decides its type.
func jsonKind(raw json.RawMessage) byte {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 {
		return 0
	}
	return trimmed[0]
}

func isNumberStart(c byte) bool { return c == '-' || (c >= '0' && c <= '9') }

// decodeString accepts a string, and renders a number or a boolean as its JSON text (ids may arrive as numbers).
func decodeString(raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	switch kind := jsonKind(raw); {
	case kind == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", errors.New("invalid JSON string")
		}
		return s, nil
	case kind == 't' || kind == 'f' || isNumberStart(kind):
		var scalar any
		if err := json.Unmarshal(raw, &scalar); err != nil {
			return "", errors.New("invalid JSON scalar")
		}
		return string(bytes.TrimSpace(raw)), nil
	default:
		return "", errors.New("expected a string")
	}
}

// decodeInt accepts a number (30000 or 30000.0), a numeric string, or null/"" (ok == false).
func decodeInt(raw json.RawMessage) (v int64, ok bool, err error) {
	if isNull(raw) {
		return 0, false, nil
	}
	var text string
	switch kind := jsonKind(raw); {
	case kind == '"':
		if err := json.Unmarshal(raw, &text); err != nil {
			return 0, false, errors.New("invalid JSON string")
		}
		text = strings.TrimSpace(text)
		if text == "" || text == jsonNull {
			return 0, false, nil
		}
	case isNumberStart(kind):
		text = string(bytes.TrimSpace(raw))
	default:
		return 0, false, errors.New("expected an integer")
	}
	n, err := parseInteger(text)
	if err != nil {
		return 0, false, err
	}
	return n, true, nil
}

func parseInteger(text string) (int64, error) {
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, errors.New("expected an integer")
	}
	if f != math.Trunc(f) {
		return 0, errors.New("expected an integer, got a fraction")
	}
	// 2^63 itself is representable as a float64 but not as an int64.
	if f >= math.MaxInt64 || f < math.MinInt64 {
		return 0, errors.New("integer out of range")
	}
	return int64(f), nil
}

// decodeBool accepts true/false, numbers (SQLite's 0/1; any non-zero is true, as in SQLite), the same as strings,
// or null/"" (ok == false).
func decodeBool(raw json.RawMessage) (v bool, ok bool, err error) {
	if isNull(raw) {
		return false, false, nil
	}
	var text string
	switch jsonKind(raw) {
	case '"':
		if err := json.Unmarshal(raw, &text); err != nil {
			return false, false, errors.New("invalid JSON string")
		}
		text = strings.ToLower(strings.TrimSpace(text))
		if text == "" || text == jsonNull {
			return false, false, nil
		}
	default:
		text = string(bytes.TrimSpace(raw))
	}
	switch text {
	case "true":
		return true, true, nil
	case "false":
		return false, true, nil
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsNaN(f) {
		return false, false, errors.New("expected a boolean")
	}
	return f != 0, true, nil
}

// unwrapString returns the text of a JSON-encoded value sent as a string, and whether raw was such a string.
func unwrapString(raw json.RawMessage) (json.RawMessage, bool, error) {
	if jsonKind(raw) != '"' {
		return raw, false, nil
	}
	var text string
	if err := json.Unmarshal(raw, &text); err != nil {
		return nil, false, errors.New("invalid JSON string")
	}
	return json.RawMessage(strings.TrimSpace(text)), true, nil
}

// decodeStringMap accepts an object, the same object JSON-encoded in a string, or null/"" (nil). Non-string
// member values are kept as their compact JSON text.
func decodeStringMap(raw json.RawMessage, wrapping int) (map[string]string, error) {
	if isNull(raw) {
		return nil, nil
	}
	inner, wrapped, err := unwrapString(raw)
	if err != nil {
		return nil, err
	}
	if wrapped {
		if wrapping == 0 {
			return nil, errors.New("expected an object, got a string")
		}
		if len(inner) == 0 {
			return nil, nil
		}
		if !json.Valid(inner) {
			return nil, errors.New("expected an object, got a string that is not JSON")
		}
		return decodeStringMap(inner, wrapping-1)
	}
	if jsonKind(raw) != '{' {
		return nil, errors.New("expected an object")
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return nil, errors.New("invalid JSON object")
	}
	out := make(map[string]string, len(members))
	for key, value := range members {
		if jsonKind(value) == '"' {
			var s string
			if err := json.Unmarshal(value, &s); err != nil {
				return nil, errors.New("invalid JSON string in object")
			}
			out[key] = s
			continue
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, value); err != nil {
			return nil, errors.New("invalid JSON value in object")
		}
		out[key] = compact.String()
	}
	return out, nil
}

// decodeIntSlice accepts an array of integers, the same array JSON-encoded in a string, a comma-separated list,
// or null/"" (nil).
func decodeIntSlice(raw json.RawMessage, wrapping int) ([]int, error) {
	if isNull(raw) {
		return nil, nil
	}
	inner, wrapped, err := unwrapString(raw)
	if err != nil {
		return nil, err
	}
	if wrapped {
		if len(inner) == 0 || string(inner) == jsonNull {
			return nil, nil
		}
		if jsonKind(inner) == '[' && wrapping > 0 {
			return decodeIntSlice(inner, wrapping-1)
		}
		return parseIntList(string(inner))
	}
	if jsonKind(raw) != '[' {
		return nil, errors.New("expected an array")
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, errors.New("invalid JSON array")
	}
	out := make([]int, 0, len(items))
	for _, item := range items {
		n, ok, err := decodeInt(item)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errors.New("null in an integer array")
		}
		if n > math.MaxInt32 || n < math.MinInt32 {
			return nil, errors.New("integer out of range")
		}
		out = append(out, int(n))
	}
	return out, nil
}

func parseIntList(text string) ([]int, error) {
	parts := strings.Split(text, ",")
	out := make([]int, 0, len(parts))
	for _, part := range parts {
		n, err := parseInteger(strings.TrimSpace(part))
		if err != nil {
			return nil, err
		}
		if n > math.MaxInt32 || n < math.MinInt32 {
			return nil, errors.New("integer out of range")
		}
		out = append(out, int(n))
	}
	return out, nil
}

// timeLayouts are tried in order. Layouts without a zone are UTC: SQLite's datetime('now') has no zone and is UTC.
var timeLayouts = []string{
	time.RFC3339Nano, // fractional seconds are optional when parsing
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04:05.999999999 -0700",
	"2006-01-02",
}

// decodeTime accepts the layouts above, Unix seconds or milliseconds as numbers, or null/"" (nil). It returns UTC.
func decodeTime(raw json.RawMessage) (*time.Time, error) {
	if isNull(raw) {
		return nil, nil
	}
	if isNumberStart(jsonKind(raw)) {
		n, err := parseInteger(string(bytes.TrimSpace(raw)))
		if err != nil {
			return nil, errors.New("expected a timestamp")
		}
		t := unixTime(n)
		return &t, nil
	}
	text, err := decodeString(raw)
	if err != nil {
		return nil, errors.New("expected a timestamp")
	}
	text = strings.TrimSpace(text)
	if text == "" || text == jsonNull {
		return nil, nil
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, text); err == nil {
			t = t.UTC()
			return &t, nil
		}
	}
	return nil, errors.New("unrecognised timestamp format")
}

// unixTime reads n as milliseconds when seconds would land beyond the year 5000.
func unixTime(n int64) time.Time {
	const maxSeconds = 95_617_584_000 // 5000-01-01
	if n > maxSeconds || n < -maxSeconds {
		return time.UnixMilli(n).UTC()
	}
	return time.Unix(n, 0).UTC()
}
