// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hookstream

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
)

type optState uint8

const (
	optOmitted optState = iota
	optNull
	optSet
)

// Opt is one PATCH field: omitted (the zero value), an explicit null (clears a nullable column back to the
// platform default), or a value. With the `omitzero` tag an omitted Opt leaves the JSON key out entirely, which
// is how hookstream tells "unchanged" from "cleared".
type Opt[T any] struct {
	state optState
	value T
}

// Set returns an Opt carrying v.
func Set[T any](v T) Opt[T] { return Opt[T]{state: optSet, value: v} }

// Null returns an Opt that sends an explicit JSON null.
func Null[T any]() Opt[T] { return Opt[T]{state: optNull} }

// IsZero reports an omitted field; encoding/json's omitzero consults it.
func (o Opt[T]) IsZero() bool { return o.state == optOmitted }

// IsSet reports a field carrying a value.
func (o Opt[T]) IsSet() bool { return o.state == optSet }

// IsNull reports an explicit null.
func (o Opt[T]) IsNull() bool { return o.state == optNull }

// Value returns the value and whether there is one.
func (o Opt[T]) Value() (T, bool) { return o.value, o.state == optSet }

// MarshalJSON encodes the value, or null for an explicit null (and for an omitted field sent without omitzero).
func (o Opt[T]) MarshalJSON() ([]byte, error) {
	if o.state != optSet {
		return []byte(jsonNull), nil
	}
	return json.Marshal(o.value)
}

// UpdateRequest is the body of PATCH /destinations/{id}: only the fields present change. slug and type are
// immutable and have no field here.
type UpdateRequest struct {
	Name           Opt[string]            `json:"name,omitzero"`
	URL            Opt[string]            `json:"url,omitzero"`
	Method         Opt[string]            `json:"method,omitzero"`
	Headers        Opt[map[string]string] `json:"headers,omitzero"`
	TimeoutMS      Opt[int]               `json:"timeout_ms,omitzero"`
	AuthType       Opt[string]            `json:"auth_type,omitzero"`
	AuthConfig     Opt[map[string]string] `json:"auth_config,omitzero"`
	Status         Opt[string]            `json:"status,omitzero"`
	ProviderConfig Opt[map[string]string] `json:"provider_config,omitzero"`

	RetryEnabled     Opt[bool]   `json:"retry_enabled,omitzero"`
	RetryMaxAttempts Opt[int]    `json:"retry_max_attempts,omitzero"`
	RetryBackoffType Opt[string] `json:"retry_backoff_type,omitzero"`
	RetryIntervals   Opt[[]int]  `json:"retry_intervals,omitzero"`

	CircuitBreakerEnabled   Opt[bool] `json:"circuit_breaker_enabled,omitzero"`
	CircuitBreakerThreshold Opt[int]  `json:"circuit_breaker_threshold,omitzero"`
	CircuitBreakerResetMS   Opt[int]  `json:"circuit_breaker_reset_ms,omitzero"`
}

type zeroer interface{ IsZero() bool }

// IsEmpty reports a request with no field present; hookstream answers such a PATCH with 400.
func (r *UpdateRequest) IsEmpty() bool { return len(r.Fields()) == 0 }

// Fields returns the JSON names of the fields present, sorted. It never returns values, so it is safe for events
// and logs.
func (r *UpdateRequest) Fields() []string { return presentFieldsOf(r) }

// presentFieldsOf is presentFields of the request r points to, and nil for a nil request.
func presentFieldsOf[R any](r *R) []string {
	if r == nil {
		return nil
	}
	return presentFields(*r)
}

// presentFields returns the JSON names of the Opt fields of a PATCH request struct that are not omitted, sorted,
// or nil when there is none.
func presentFields(req any) []string {
	value := reflect.ValueOf(req)
	fields := make([]string, 0, value.NumField())
	for i := range value.NumField() {
		if opt, ok := reflect.TypeAssert[zeroer](value.Field(i)); ok && !opt.IsZero() {
			name, _, _ := strings.Cut(value.Type().Field(i).Tag.Get("json"), ",")
			fields = append(fields, name)
		}
	}
	slices.Sort(fields)
	if len(fields) == 0 {
		return nil
	}
	return fields
}

// String lists the fields present without their values, which may be secrets.
func (r UpdateRequest) String() string {
	return "hookstream.UpdateRequest{" + strings.Join(r.Fields(), ", ") + "}"
}

// GoString keeps secrets out of %#v as well.
func (r UpdateRequest) GoString() string { return r.String() }
