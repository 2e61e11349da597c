// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Destination is one destination row exactly as hookstream's store holds it and its API returns it:
// objects and arrays are JSON-encoded strings, booleans are the integers 0/1, and unset optional columns
// are nil (JSON null). Field order follows the Destination schema of the OpenAPI contract.
type Destination struct {
	ID                      string  `json:"id"`
	OrgID                   string  `json:"org_id"`
	EnvID                   string  `json:"env_id"`
	Name                    string  `json:"name"`
	Slug                    string  `json:"slug"`
	URL                     string  `json:"url"`
	Method                  string  `json:"method"`
	Headers                 *string `json:"headers"`
	TimeoutMS               int64   `json:"timeout_ms"`
	AuthType                string  `json:"auth_type"`
	AuthConfig              *string `json:"auth_config"`
	Status                  string  `json:"status"`
	EventCount              int64   `json:"event_count"`
	LastDeliveryAt          *string `json:"last_delivery_at"`
	CreatedAt               string  `json:"created_at"`
	UpdatedAt               string  `json:"updated_at"`
	RetryEnabled            *int64  `json:"retry_enabled"`
	RetryMaxAttempts        *int64  `json:"retry_max_attempts"`
	RetryBackoffType        *string `json:"retry_backoff_type"`
	RetryIntervals          *string `json:"retry_intervals"`
	CircuitBreakerEnabled   *int64  `json:"circuit_breaker_enabled"`
	CircuitBreakerThreshold *int64  `json:"circuit_breaker_threshold"`
	CircuitBreakerResetMS   *int64  `json:"circuit_breaker_reset_ms"`
	Type                    string  `json:"type"`
	ProviderConfig          *string `json:"provider_config"`
}

// Circuit is the circuit breaker state of one destination, as GET /destinations/{id}/circuit reports it.
type Circuit struct {
	State            string  `json:"state"`
	FailureCount     int64   `json:"failure_count"`
	LastTransitionAt *string `json:"last_transition_at"`
}

// Circuit breaker states.
const (
	CircuitClosed   = "closed"
	CircuitOpen     = "open"
	CircuitHalfOpen = "half-open"
)

// ErrNotFound reports an id that matches no destination.
var ErrNotFound = errors.New("destination not found")

// ErrInvalidArgument reports an argument outside its documented range.
var ErrInvalidArgument = errors.New("invalid argument")

// timeLayout is hookstream's timestamp encoding: ISO-8601 in UTC with seconds precision.
const timeLayout = "2006-01-02T15:04:05Z"

func formatTime(t time.Time) string {
	return t.UTC().Format(timeLayout)
}

// Platform defaults that a NULL retry or circuit column stands for.
const (
	defaultRetryMaxAttempts        = 5
	defaultRetryBackoffType        = "exponential"
	defaultCircuitBreakerThreshold = 5
	defaultCircuitBreakerResetMS   = 60_000
	defaultTimeoutMS               = 30_000
)

var defaultRetryIntervals = []int64{30, 300, 1800, 7200, 86400}

// Secret keys are masked on every API read; the store keeps the real values because deliveries need them.
var (
	authSecretKeys     = map[string]bool{"token": true, "password": true, "value": true}
	providerSecretKeys = map[string]bool{
		"secret_access_key":    true,
		"service_account_json": true,
		"api_secret":           true,
		"password":             true,
	}
)

// maskSecret keeps only the last four characters, and only when the secret is long enough that showing
// them does not give most of it away.
func maskSecret(secret string) string {
	runes := []rune(secret)
	if len(runes) < 8 {
		return "****"
	}
	return "****" + string(runes[len(runes)-4:])
}

// masked returns the row as the API shows it: secret values in auth_config and provider_config masked.
func (d Destination) masked() Destination { return d.maskedWith(maskSecret) }

// maskedWith returns the row with each secret value in auth_config and provider_config replaced by mask's.
func (d Destination) maskedWith(mask func(string) string) Destination {
	d.AuthConfig = maskObject(d.AuthConfig, authSecretKeys, mask)
	d.ProviderConfig = maskObject(d.ProviderConfig, providerSecretKeys, mask)
	return d
}

func maskObject(encoded *string, secretKeys map[string]bool, mask func(string) string) *string {
	if encoded == nil {
		return nil
	}
	var fields map[string]any
	if err := json.Unmarshal([]byte(*encoded), &fields); err != nil {
		// Only valid objects are ever stored; anything else cannot hold a recognisable secret.
		return encoded
	}
	changed := false
	for key, value := range fields {
		if text, ok := value.(string); ok && secretKeys[key] {
			fields[key] = mask(text)
			changed = true
		}
	}
	if !changed {
		return encoded
	}
	out := encodeJSON(fields)
	return &out
}

// encodeJSON is the one encoding of JSON-valued columns: compact, sorted object keys, no HTML escaping,
// so that re-encoding a stored value always reproduces it byte for byte.
func encodeJSON(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic("emulator: encoding a column value: " + err.Error())
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

func decodeStringMap(encoded *string) map[string]string {
	if encoded == nil {
		return nil
	}
	fields := map[string]string{}
	if err := json.Unmarshal([]byte(*encoded), &fields); err != nil {
		return nil
	}
	return fields
}

// cursorPrefix versions the cursor encoding so that a future change can reject old cursors cleanly.
const cursorPrefix = "s1:"

// encodeCursor makes the opaque list cursor: the insertion sequence of the last row of a page. Listing
// orders by that sequence, so a cursor never moves when rows are inserted or deleted elsewhere.
func encodeCursor(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.FormatInt(seq, 10)))
}

func decodeCursor(cursor string) (int64, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return 0, false
	}
	digits, ok := strings.CutPrefix(string(raw), cursorPrefix)
	if !ok {
		return 0, false
	}
	seq, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || seq <= 0 {
		return 0, false
	}
	return seq, true
}
