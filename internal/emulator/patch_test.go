// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hookstream/hookstream-operator/internal/emulator"
)

const fullHTTPBody = `{"name":"Orders","slug":"orders","url":"https://example.com/hook","method":"PUT",
	"headers":{"X-Team":"payments"},"timeout_ms":5000,"auth_type":"bearer","auth_config":{"token":"token-12345678"},
	"retry_enabled":true,"retry_max_attempts":3,"retry_backoff_type":"linear","retry_intervals":[10,20],
	"circuit_breaker_enabled":true,"circuit_breaker_threshold":7,"circuit_breaker_reset_ms":2000}`

// destinationPatches are PATCHes of a destination created from fullHTTPBody and the change each makes.
var destinationPatches = map[string]patchCase[emulator.Destination]{
	"name":        {`{"name":"Renamed"}`, func(d *emulator.Destination) { d.Name = "Renamed" }},
	"url":         {`{"url":"http://other.example/x"}`, func(d *emulator.Destination) { d.URL = "http://other.example/x" }},
	"method":      {`{"method":"PATCH"}`, func(d *emulator.Destination) { d.Method = "PATCH" }},
	"timeout":     {`{"timeout_ms":120000}`, func(d *emulator.Destination) { d.TimeoutMS = 120000 }},
	"status":      {`{"status":"paused"}`, func(d *emulator.Destination) { d.Status = "paused" }},
	"disabled":    {`{"status":"disabled"}`, func(d *emulator.Destination) { d.Status = "disabled" }},
	"headers":     {`{"headers":{"X-New":"1"}}`, func(d *emulator.Destination) { d.Headers = new(`{"X-New":"1"}`) }},
	"headers {}":  {`{"headers":{}}`, func(d *emulator.Destination) { d.Headers = new(`{}`) }},
	"auth_config": {`{"auth_config":{"token":"rotated-token-9999"}}`, func(d *emulator.Destination) { d.AuthConfig = new(`{"token":"****9999"}`) }},
	"switch to basic": {`{"auth_type":"basic","auth_config":{"username":"u","password":"pass-word-1"}}`, func(d *emulator.Destination) {
		d.AuthType, d.AuthConfig = "basic", new(`{"password":"****rd-1","username":"u"}`)
	}},
	"switch to none keeps config": {`{"auth_type":"none"}`, func(d *emulator.Destination) { d.AuthType = "none" }},
	"switch to none and clear": {`{"auth_type":"none","auth_config":null}`, func(d *emulator.Destination) {
		d.AuthType, d.AuthConfig = "none", nil
	}},
	"null headers":         {`{"headers":null}`, func(d *emulator.Destination) { d.Headers = nil }},
	"null retry_enabled":   {`{"retry_enabled":null}`, func(d *emulator.Destination) { d.RetryEnabled = nil }},
	"null retry_max":       {`{"retry_max_attempts":null}`, func(d *emulator.Destination) { d.RetryMaxAttempts = nil }},
	"null backoff":         {`{"retry_backoff_type":null}`, func(d *emulator.Destination) { d.RetryBackoffType = nil }},
	"null intervals":       {`{"retry_intervals":null}`, func(d *emulator.Destination) { d.RetryIntervals = nil }},
	"null breaker":         {`{"circuit_breaker_enabled":null}`, func(d *emulator.Destination) { d.CircuitBreakerEnabled = nil }},
	"null threshold":       {`{"circuit_breaker_threshold":null}`, func(d *emulator.Destination) { d.CircuitBreakerThreshold = nil }},
	"null reset":           {`{"circuit_breaker_reset_ms":null}`, func(d *emulator.Destination) { d.CircuitBreakerResetMS = nil }},
	"null provider_config": {`{"provider_config":null}`, func(*emulator.Destination) {}},
	"retry_enabled false":  {`{"retry_enabled":false}`, func(d *emulator.Destination) { d.RetryEnabled = ptr[int64](0) }},
	"intervals replaced":   {`{"retry_intervals":[1]}`, func(d *emulator.Destination) { d.RetryIntervals = new(`[1]`) }},
	"breaker off":          {`{"circuit_breaker_enabled":false}`, func(d *emulator.Destination) { d.CircuitBreakerEnabled = ptr[int64](0) }},
	"several fields": {`{"name":"N","retry_max_attempts":10,"circuit_breaker_threshold":100}`, func(d *emulator.Destination) {
		d.Name, d.RetryMaxAttempts, d.CircuitBreakerThreshold = "N", ptr[int64](10), ptr[int64](100)
	}},
	"same value still 200":  {`{"name":"Orders"}`, func(*emulator.Destination) {}},
	"masked secret is kept": {`{"auth_config":{"token":"****5678"}}`, func(d *emulator.Destination) { d.AuthConfig = new(`{"token":"****5678"}`) }},
}

func TestPatchStoresMaskedSecretAsValue(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	created := env.create(keyA, fullHTTPBody)
	res := env.do(http.MethodPatch, "/v1/destinations/"+created.ID, keyA, `{"auth_config":{"token":"****5678"}}`)
	if res.status != http.StatusOK {
		t.Fatalf("status %d, body %s", res.status, res.body)
	}
	stored, err := env.server.Destination(t.Context(), created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(new(`{"token":"****5678"}`), stored.AuthConfig); diff != "" {
		t.Errorf("stored auth_config (-want +got):\n%s", diff)
	}
}

func TestPatchValidation(t *testing.T) {
	tests := map[string]badRequest{
		"empty object":         {`{}`, "No fields to update"},
		"empty with spaces":    {` { } `, "No fields to update"},
		"slug":                 {`{"slug":"new"}`, "Invalid body: 'slug' cannot be changed"},
		"slug unchanged value": {`{"slug":"orders"}`, "Invalid body: 'slug' cannot be changed"},
		"type":                 {`{"type":"http"}`, "Invalid body: 'type' cannot be changed"},
		"org_id":               {`{"org_id":"org_x"}`, "Invalid body: 'org_id' cannot be changed"},
		"env_id":               {`{"env_id":"env_x"}`, "Invalid body: 'env_id' cannot be changed"},
		"id":                   {`{"id":"x"}`, "Invalid body: 'id' is read-only"},
		"created_at":           {`{"created_at":"2026-01-01T00:00:00Z"}`, "Invalid body: 'created_at' is read-only"},
		"last_delivery_at":     {`{"last_delivery_at":null}`, "Invalid body: 'last_delivery_at' is read-only"},
		"unknown":              {`{"signing_config":{}}`, "Invalid body: 'signing_config' is not allowed"},
		"unknown with valid":   {`{"name":"x","nmae":"y"}`, "Invalid body: 'nmae' is not allowed"}, //nolint:misspell // a misspelt field
		"null name":            {`{"name":null}`, "Invalid body: 'name' cannot be null"},
		"null url":             {`{"url":null}`, "Invalid body: 'url' cannot be null"},
		"null method":          {`{"method":null}`, "Invalid body: 'method' cannot be null"},
		"null timeout":         {`{"timeout_ms":null}`, "Invalid body: 'timeout_ms' cannot be null"},
		"null auth_type":       {`{"auth_type":null}`, "Invalid body: 'auth_type' cannot be null"},
		"null status":          {`{"status":null}`, "Invalid body: 'status' cannot be null"},
		"status unknown":       {`{"status":"deleted"}`, "Invalid body: 'status' must be one of active, paused, disabled"},
		"status number":        {`{"status":1}`, "Invalid body: 'status' must be one of active, paused, disabled"},
		"name empty":           {`{"name":""}`, "Invalid body: 'name' must be between 1 and 128 characters"},
		"url empty for http":   {`{"url":""}`, "Invalid body: 'url' is required for type http"},
		"url relative":         {`{"url":"example.com"}`, "Invalid body: 'url' must be an absolute http or https URL"},
		"timeout low":          {`{"timeout_ms":10}`, "Invalid body: 'timeout_ms' must be an integer between 1000 and 120000"},
		"intervals empty":      {`{"retry_intervals":[]}`, "Invalid body: 'retry_intervals' must be an array of 1 to 10 integers"},
		"basic without config": {`{"auth_type":"basic"}`, "Invalid body: 'auth_config.token' is not allowed for auth_type basic"},
		"clear bearer config":  {`{"auth_config":null}`, "Invalid body: 'auth_config' is required for auth_type bearer"},
		"bearer config wrong":  {`{"auth_config":{"username":"u","password":"p"}}`, "Invalid body: 'auth_config.password' is not allowed for auth_type bearer"},
		"http provider_config": {`{"provider_config":{"topic":"t"}}`, "Invalid body: 'provider_config.topic' is not allowed for type http"},
		"malformed":            {`{"name":`, "Invalid body: malformed JSON"},
		"array":                {`[]`, "Invalid body: expected a JSON object"},
		"empty body":           {``, "Invalid body: expected a JSON object"},
	}
	env := newEnv(t, emulator.Options{})
	created := env.create(keyA, withFields(map[string]any{"auth_type": "bearer", "auth_config": map[string]string{"token": "t-123456789"}}))
	checkBadRequests(t, env, destinations.kind, http.MethodPatch, "/v1/destinations/"+created.ID, tests)
	if diff := cmp.Diff(created, env.get(keyA, created.ID)); diff != "" {
		t.Errorf("rejected PATCHes changed the row (-want +got):\n%s", diff)
	}
}

// A PATCH is checked against the stored type and configs it does not send.
func TestPatchValidatesTheResultingRow(t *testing.T) {
	tests := map[string]struct {
		create     string
		patch      string
		wantStatus int
		wantError  string
	}{
		"provider_config checked against stored type": {
			create:     withFields(map[string]any{"type": "sqs", "url": nil, "provider_config": sqsConfig}),
			patch:      `{"provider_config":{"queue_url":"q"}}`,
			wantStatus: http.StatusBadRequest, wantError: "Invalid body: 'provider_config.region' is required for type aws_sqs",
		},
		"alias names itself": {
			create:     withFields(map[string]any{"type": "sqs", "url": nil, "provider_config": sqsConfig}),
			patch:      `{"config":{"queue_url":"q","region":"r","access_key_id":"a","secret_access_key":"s","topic":"t"}}`,
			wantStatus: http.StatusBadRequest, wantError: "Invalid body: 'config.topic' is not allowed for type aws_sqs",
		},
		"provider_config cannot be cleared for sqs": {
			create:     withFields(map[string]any{"type": "sqs", "url": nil, "provider_config": sqsConfig}),
			patch:      `{"provider_config":null}`,
			wantStatus: http.StatusBadRequest, wantError: "Invalid body: 'provider_config' is required for type aws_sqs",
		},
		"url cannot be set for sqs": {
			create:     withFields(map[string]any{"type": "sqs", "url": nil, "provider_config": sqsConfig}),
			patch:      `{"url":"https://example.com"}`,
			wantStatus: http.StatusBadRequest, wantError: "Invalid body: 'url' must be empty for type aws_sqs",
		},
		"provider_config replaced whole": {
			create:     withFields(map[string]any{"type": "websocket", "url": nil, "provider_config": map[string]any{"channel_name": "a"}}),
			patch:      `{"config":{"channel_name":"b.c"}}`,
			wantStatus: http.StatusOK,
		},
		"switch to bearer without config": {
			create:     withFields(nil),
			patch:      `{"auth_type":"bearer"}`,
			wantStatus: http.StatusBadRequest, wantError: "Invalid body: 'auth_config' is required for auth_type bearer",
		},
		"switch to api_key with config": {
			create:     withFields(nil),
			patch:      `{"auth_type":"api_key","auth_config":{"header":"X-Key","value":"v"}}`,
			wantStatus: http.StatusOK,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			env := newEnv(t, emulator.Options{})
			created := env.create(keyA, tc.create)
			res := env.do(http.MethodPatch, "/v1/destinations/"+created.ID, keyA, tc.patch)
			checkAnswer(t, "", res, tc.wantStatus, tc.wantError)
		})
	}
}

func TestPatchSetsUpdatedAt(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	created := env.create(keyA, withFields(nil))
	for i, name := range []string{"one", "two", "three"} {
		env.clock.Advance(time.Minute + 500*time.Millisecond)
		res := env.do(http.MethodPatch, "/v1/destinations/"+created.ID, keyA, `{"name":"`+name+`"}`)
		if res.status != http.StatusOK {
			t.Fatalf("status %d", res.status)
		}
		got := destinations.decode(t, res)
		want := startTime.Add(time.Duration(i+1) * (time.Minute + 500*time.Millisecond)).Truncate(time.Second).Format(time.RFC3339)
		if got.UpdatedAt != want || got.CreatedAt != "2026-02-28T10:00:00Z" {
			t.Errorf("patch %d: created_at %s updated_at %s, want created_at unchanged and updated_at %s", i, got.CreatedAt, got.UpdatedAt, want)
		}
	}
}

func TestPatchUnknownIDs(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	other := env.create(keyB, withFields(nil))
	tests := map[string]struct {
		id, body   string
		wantStatus int
	}{
		"missing id, valid body":       {"0123456789abcdef0123456789abcdef", `{"name":"x"}`, http.StatusNotFound},
		"other project's id":           {other.ID, `{"name":"x"}`, http.StatusNotFound},
		"missing id, field error":      {"0123456789abcdef0123456789abcdef", `{"slug":"x"}`, http.StatusNotFound},
		"missing id, malformed body":   {"0123456789abcdef0123456789abcdef", `{"name"`, http.StatusBadRequest},
		"missing id, no fields":        {"0123456789abcdef0123456789abcdef", `{}`, http.StatusBadRequest},
		"id with odd characters":       {"dst_" + strings.Repeat("z", 10), `{"name":"x"}`, http.StatusNotFound},
		"percent-encoded slash in id":  {"a%2Fb", `{"name":"x"}`, http.StatusNotFound},
		"id of a deleted destination":  {"", `{"name":"x"}`, http.StatusNotFound},
		"other project's id, no field": {other.ID, `{}`, http.StatusBadRequest},
	}
	deleted := env.create(keyA, withFields(map[string]any{"slug": "gone"}))
	env.do(http.MethodDelete, "/v1/destinations/"+deleted.ID, keyA, "")
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			id := tc.id
			if id == "" {
				id = deleted.ID
			}
			res := env.do(http.MethodPatch, "/v1/destinations/"+id, keyA, tc.body)
			if res.status != tc.wantStatus {
				t.Fatalf("status %d, want %d; body %s", res.status, tc.wantStatus, res.body)
			}
			if tc.wantStatus == http.StatusNotFound {
				if got := errorOf(t, res); got != "Destination not found" {
					t.Errorf("error %q", got)
				}
			}
		})
	}
	if got := env.get(keyB, other.ID); got.Name != "Orders" {
		t.Errorf("the other project's row changed: %q", got.Name)
	}
}
