// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hookstream

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func mustTime(t testing.TB, value string) time.Time {
	t.Helper()
	parsed, err := time.Parse(time.RFC3339Nano, value)
	if err != nil {
		t.Fatal(err)
	}
	return parsed.UTC()
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// ordersSQS is the destination the testdata row describes.
func ordersSQS(t *testing.T) *Destination {
	return &Destination{
		ID:         "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6",
		OrgID:      "org_5f2c",
		EnvID:      "env_9a1b",
		Name:       "Orders SQS",
		Slug:       "orders-sqs",
		Type:       TypeAWSSQS,
		URL:        "",
		Method:     "POST",
		Headers:    map[string]string{"X-Team": "payments"},
		TimeoutMS:  30000,
		AuthType:   "bearer",
		AuthConfig: map[string]string{"token": "****f00d"},
		Status:     StatusActive,
		ProviderConfig: map[string]string{
			"queue_url":         "https://sqs.eu-west-1.amazonaws.com/123456789012/orders",
			"region":            "eu-west-1",
			"access_key_id":     "AKIAEXAMPLE",
			"secret_access_key": "****wxyz",
		},
		RetryEnabled:          new(true),
		RetryMaxAttempts:      new(5),
		RetryBackoffType:      new("exponential"),
		RetryIntervals:        []int{30, 300, 1800, 7200, 86400},
		CircuitBreakerEnabled: new(false),
		EventCount:            42,
		LastDeliveryAt:        new(mustTime(t, "2026-02-28T10:05:00.123Z")),
		CreatedAt:             mustTime(t, "2026-02-28T10:00:00Z"),
		UpdatedAt:             mustTime(t, "2026-02-28T10:01:00Z"),
	}
}

// envelopeWith is the documented testdata row in its envelope, edited: values set to a json.RawMessage are sent
// as that exact JSON text.
func envelopeWith(t testing.TB, edit func(row map[string]any)) []byte {
	t.Helper()
	return envelopeOf(t, "destination", documentedRow(t, "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"), edit)
}

func TestDecodeDestination(t *testing.T) {
	tests := map[string]decodeCase[Destination]{
		"documented row encoding in the envelope": {
			body: readTestdata(t, "row-documented.json"),
		},
		"retry_intervals as a native array, which some deployments answer": {
			body: envelopeWith(t, func(r map[string]any) { r["retry_intervals"] = []int{30, 300, 1800, 7200, 86400} }),
		},
		"objects as native JSON and booleans as true/false, which some deployments answer": {
			body: envelopeWith(t, func(r map[string]any) {
				for _, field := range []string{"headers", "auth_config", "provider_config"} {
					if text, ok := r[field].(string); ok {
						r[field] = json.RawMessage(text)
					}
				}
				for _, field := range []string{"retry_enabled", "circuit_breaker_enabled"} {
					if n, ok := r[field].(float64); ok {
						r[field] = n == 1
					}
				}
			}),
		},
		"the long form of the type": {
			body: envelopeWith(t, func(r map[string]any) { r["type"] = "aws_sqs" }),
		},
		"an id with a dst_ prefix is an opaque string": {
			body: envelopeWith(t, func(r map[string]any) { r["id"] = "dst_01HQZ6" }),
			edit: func(want *Destination) { want.ID = "dst_01HQZ6" },
		},
		"unknown fields are ignored": {
			body: envelopeWith(t, func(r map[string]any) {
				r["signing_config"] = `{"secret":"x"}`
				r["future"] = []int{1, 2}
			}),
		},
		"nulls in the nullable columns": {
			body: envelopeWith(t, func(r map[string]any) {
				for _, field := range []string{"headers", "auth_config", "provider_config", "retry_enabled",
					"retry_max_attempts", "retry_backoff_type", "retry_intervals", "circuit_breaker_enabled",
					"circuit_breaker_threshold", "circuit_breaker_reset_ms", "last_delivery_at"} {
					r[field] = nil
				}
			}),
			edit: func(want *Destination) {
				want.Headers, want.AuthConfig, want.ProviderConfig = nil, nil, nil
				want.RetryEnabled, want.RetryMaxAttempts, want.RetryBackoffType, want.RetryIntervals = nil, nil, nil, nil
				want.CircuitBreakerEnabled, want.CircuitBreakerThreshold, want.CircuitBreakerResetMS = nil, nil, nil
				want.LastDeliveryAt = nil
			},
		},
		"empty objects and arrays stay empty, not null": {
			body: envelopeWith(t, func(r map[string]any) { r["headers"], r["retry_intervals"] = "{}", "[]" }),
			edit: func(want *Destination) { want.Headers, want.RetryIntervals = map[string]string{}, []int{} },
		},
		"a timestamp with an offset becomes UTC": {
			body: envelopeWith(t, func(r map[string]any) { r["created_at"] = "2026-02-28T12:00:00+02:00" }),
		},
	}
	checkDecodes(t, decodeDestination, func() *Destination { return ordersSQS(t) }, func(r *Destination) time.Time { return r.CreatedAt }, tests, nil)
}

// TestDecodeDestinationRejects: encodings the contract does not document are refused with the field and the
// reason, instead of being guessed at.
func TestDecodeDestinationRejects(t *testing.T) {
	set := func(field string, value any) func(map[string]any) {
		return func(r map[string]any) { r[field] = value }
	}
	raw := func(field, text string) func(map[string]any) { return set(field, json.RawMessage(text)) }
	bareRow, err := json.Marshal(documentedRow(t, "a1"))
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]rejectCase{
		"not JSON":                {body: []byte(`<html>`), wantErr: "not a JSON object"},
		"an array":                {body: []byte(`[]`), wantErr: "not a JSON object"},
		"null":                    {body: []byte(`null`), wantErr: "null instead of an object"},
		"a bare row":              {body: bareRow, wantErr: `no "destination" envelope`},
		"null destination":        {body: []byte(`{"destination":null}`), wantField: "destination"},
		"destination is a string": {body: []byte(`{"destination":"x"}`), wantField: "destination"},
		"an absent column": {
			body:      envelopeWith(t, func(r map[string]any) { delete(r, "retry_intervals") }),
			wantField: "retry_intervals", wantErr: "missing",
		},
		"null in a column that is never null": {body: envelopeWith(t, set("name", nil)), wantField: "name", wantErr: "never null"},
		"an object column as an array": {
			body:      envelopeWith(t, set("headers", []string{"X-Team"})),
			wantField: "headers", wantErr: "expected a JSON-encoded object in a string, or a native one",
		},
		"an object encoded twice": {
			body:      envelopeWith(t, set("headers", `"{\"X-Team\":\"payments\"}"`)),
			wantField: "headers", wantErr: "expected a JSON-encoded object in a string",
		},
		"an empty string for an object": {body: envelopeWith(t, set("auth_config", "")), wantField: "auth_config"},
		"an object with a number":       {body: envelopeWith(t, set("provider_config", `{"region":5}`)), wantField: "provider_config", wantErr: "object of strings"},
		"an array in an object column":  {body: envelopeWith(t, set("headers", `["x"]`)), wantField: "headers"},
		"comma-separated intervals":     {body: envelopeWith(t, set("retry_intervals", "30,300")), wantField: "retry_intervals", wantErr: "JSON-encoded array"},
		"intervals with a null":         {body: envelopeWith(t, raw("retry_intervals", `[30,null]`)), wantField: "retry_intervals"},
		"intervals as strings":          {body: envelopeWith(t, set("retry_intervals", `["30"]`)), wantField: "retry_intervals"},
		"a boolean as 2":                {body: envelopeWith(t, set("retry_enabled", 2)), wantField: "retry_enabled", wantErr: "expected 0, 1, true or false"},
		"a boolean as a string":         {body: envelopeWith(t, set("circuit_breaker_enabled", "1")), wantField: "circuit_breaker_enabled"},
		"an integer as a string":        {body: envelopeWith(t, set("timeout_ms", "30000")), wantField: "timeout_ms", wantErr: "got a string"},
		"an integer with a fraction":    {body: envelopeWith(t, raw("timeout_ms", `30000.0`)), wantField: "timeout_ms", wantErr: "expected an integer"},
		"an integer with an exponent":   {body: envelopeWith(t, raw("timeout_ms", `3e4`)), wantField: "timeout_ms"},
		"an integer out of range":       {body: envelopeWith(t, raw("retry_max_attempts", `4294967296`)), wantField: "retry_max_attempts", wantErr: "out of range"},
		"a count beyond int64":          {body: envelopeWith(t, raw("event_count", `9223372036854775808`)), wantField: "event_count", wantErr: "out of range"},
		"a numeric id":                  {body: envelopeWith(t, set("id", 12345)), wantField: "id", wantErr: "expected a string"},
		"an object as a string field":   {body: envelopeWith(t, set("name", map[string]any{})), wantField: "name"},
		"a SQLite timestamp":            {body: envelopeWith(t, set("updated_at", "2026-02-28 10:01:00")), wantField: "updated_at", wantErr: "RFC 3339"},
		"a Unix timestamp":              {body: envelopeWith(t, set("last_delivery_at", 1772272800)), wantField: "last_delivery_at", wantErr: "RFC 3339"},
		"an empty timestamp":            {body: envelopeWith(t, set("last_delivery_at", "")), wantField: "last_delivery_at"},
	}
	checkDecodeRejects(t, decodeDestination, tests)
}

func TestDecodeCircuit(t *testing.T) {
	tests := map[string]struct {
		body string
		want *Circuit
	}{
		"documented": {
			body: `{"circuit":{"state":"open","failure_count":5,"last_transition_at":"2026-02-28T10:00:00Z"}}`,
			want: &Circuit{State: CircuitOpen, FailureCount: 5, LastTransitionAt: new(mustTime(t, "2026-02-28T10:00:00Z"))},
		},
		"never transitioned": {
			body: `{"circuit":{"state":"closed","failure_count":0,"last_transition_at":null}}`,
			want: &Circuit{State: CircuitClosed},
		},
		"half-open": {
			body: `{"circuit":{"state":"half-open","failure_count":5,"last_transition_at":"2026-02-28T10:01:00Z"}}`,
			want: &Circuit{State: CircuitHalfOpen, FailureCount: 5, LastTransitionAt: new(mustTime(t, "2026-02-28T10:01:00Z"))},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := decodeCircuit([]byte(tc.body))
			if err != nil {
				t.Fatalf("decodeCircuit: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeCircuitRejects(t *testing.T) {
	tests := map[string]struct {
		body      string
		wantField string
	}{
		"a bare object":          {body: `{"state":"open","failure_count":5,"last_transition_at":null}`, wantField: ""},
		"another state spelling": {body: `{"circuit":{"state":"HALF_OPEN","failure_count":5,"last_transition_at":null}}`, wantField: "circuit.state"},
		"a count as a string":    {body: `{"circuit":{"state":"open","failure_count":"5","last_transition_at":null}}`, wantField: "circuit.failure_count"},
		"an absent field":        {body: `{"circuit":{"state":"open","failure_count":5}}`, wantField: "circuit.last_transition_at"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := decodeCircuit([]byte(tc.body))
			var decodeErr *DecodeError
			if !errors.As(err, &decodeErr) {
				t.Fatalf("error %v, want a *DecodeError", err)
			}
			if decodeErr.Field != tc.wantField {
				t.Errorf("DecodeError.Field = %q, want %q", decodeErr.Field, tc.wantField)
			}
		})
	}
}

func TestNormalizeType(t *testing.T) {
	tests := map[string]string{
		"http": TypeHTTP, "sqs": TypeAWSSQS, "aws_sqs": TypeAWSSQS, "s3": TypeAWSS3, "aws_s3": TypeAWSS3,
		"eventbridge": TypeAWSEventBridge, "aws_eventbridge": TypeAWSEventBridge, "pubsub": TypeGCPPubSub,
		"gcp_pubsub": TypeGCPPubSub, "kafka": TypeKafka, "rabbitmq": TypeRabbitMQ, "websocket": TypeWebSocket,
		" SQS ": TypeAWSSQS, "": "", "carrier-pigeon": "carrier-pigeon",
	}
	for in, want := range tests {
		t.Run(in, func(t *testing.T) {
			if got := NormalizeType(in); got != want {
				t.Errorf("NormalizeType(%q) = %q, want %q", in, got, want)
			}
		})
	}
}
