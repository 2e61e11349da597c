// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator_test

import (
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hookstream/hookstream-operator/internal/emulator"
)

type receivedRequest struct {
	Method  string
	Path    string
	Header  http.Header
	Body    map[string]any
	BodyRaw string
}

// receiver is a webhook endpoint that records what it receives and answers with scripted statuses.
type receiver struct {
	t        *testing.T
	server   *httptest.Server
	mu       sync.Mutex
	requests []receivedRequest
	statuses []int // answered in order; the last one repeats; empty means 200
	delay    time.Duration
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	rcv := &receiver{t: t, statuses: statuses}
	rcv.server = httptest.NewServer(http.HandlerFunc(rcv.serve))
	t.Cleanup(rcv.server.Close)
	return rcv
}

func (rcv *receiver) serve(w http.ResponseWriter, r *http.Request) {
	data, _ := io.ReadAll(r.Body)
	var body map[string]any
	_ = json.Unmarshal(data, &body)
	rcv.mu.Lock()
	rcv.requests = append(rcv.requests, receivedRequest{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body, BodyRaw: string(data)})
	status := http.StatusOK
	if n := len(rcv.statuses); n > 0 {
		status = rcv.statuses[min(len(rcv.requests)-1, n-1)]
	}
	delay := rcv.delay
	rcv.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	w.WriteHeader(status)
}

func (rcv *receiver) received() []receivedRequest {
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	return append([]receivedRequest(nil), rcv.requests...)
}

func (rcv *receiver) setStatuses(statuses ...int) {
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	rcv.statuses, rcv.requests = statuses, nil
}

func TestDeliveryRequest(t *testing.T) {
	tests := map[string]struct {
		auth       map[string]any
		wantHeader map[string]string
	}{
		"no auth": {
			auth:       map[string]any{},
			wantHeader: map[string]string{"Authorization": ""},
		},
		"bearer": {
			auth:       map[string]any{"auth_type": "bearer", "auth_config": map[string]string{"token": "tok-abcdefgh"}},
			wantHeader: map[string]string{"Authorization": "Bearer tok-abcdefgh"},
		},
		"basic": {
			auth:       map[string]any{"auth_type": "basic", "auth_config": map[string]string{"username": "hook", "password": "s3cret-pass"}},
			wantHeader: map[string]string{"Authorization": "Basic aG9vazpzM2NyZXQtcGFzcw=="},
		},
		"api_key": {
			auth:       map[string]any{"auth_type": "api_key", "auth_config": map[string]string{"header": "X-Receiver-Key", "value": "key-value-1"}},
			wantHeader: map[string]string{"X-Receiver-Key": "key-value-1", "Authorization": ""},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			env := newEnv(t, emulator.Options{})
			rcv := newReceiver(t)
			fields := map[string]any{"url": rcv.server.URL + "/hooks/orders", "method": "PUT", "headers": map[string]string{"X-Team": "payments", "X-Hookstream-Event-Id": "spoofed"}}
			maps.Copy(fields, tc.auth)
			created := env.create(keyA, withFields(fields))

			result, err := env.server.Deliver(t.Context(), created.ID, 2)
			if err != nil {
				t.Fatal(err)
			}
			want := emulator.DeliveryResult{
				DestinationID: created.ID, Type: "http", Status: "active", Requested: 2, Attempted: 2, Succeeded: 2,
				Attempts: 2, RetryScheduleSeconds: []int64{30, 300, 1800, 7200}, CircuitState: "closed",
				EventCount: 2, LastDelivery: new("2026-02-28T10:00:00Z"),
			}
			if diff := cmp.Diff(want, result); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}

			got := rcv.received()
			if len(got) != 2 {
				t.Fatalf("%d requests, want 2", len(got))
			}
			for i, req := range got {
				if req.Method != http.MethodPut || req.Path != "/hooks/orders" {
					t.Errorf("request %d: %s %s", i, req.Method, req.Path)
				}
				wantHeader := map[string]string{
					"Content-Type":                  "application/json",
					"X-Team":                        "payments",
					"X-Hookstream-Delivery-Attempt": "1",
					"X-Hookstream-Timestamp":        strconv.FormatInt(startTime.Unix(), 10),
				}
				maps.Copy(wantHeader, tc.wantHeader)
				gotHeader := map[string]string{}
				for k := range wantHeader {
					gotHeader[k] = req.Header.Get(k)
				}
				if diff := cmp.Diff(wantHeader, gotHeader); diff != "" {
					t.Errorf("request %d headers (-want +got):\n%s", i, diff)
				}
				eventID := req.Header.Get("X-Hookstream-Event-Id")
				if !hexID.MatchString(eventID) || eventID != req.Body["id"] {
					t.Errorf("request %d: event id header %q, body id %v", i, eventID, req.Body["id"])
				}
				data, _ := req.Body["data"].(map[string]any)
				if data["destination_id"] != created.ID || data["sequence"] != float64(i+1) {
					t.Errorf("request %d: body %s", i, req.BodyRaw)
				}
			}
			if got[0].Header.Get("X-Hookstream-Event-Id") == got[1].Header.Get("X-Hookstream-Event-Id") {
				t.Error("two events share an event id")
			}

			after := env.get(keyA, created.ID)
			if after.EventCount != 2 || after.LastDeliveryAt == nil || *after.LastDeliveryAt != "2026-02-28T10:00:00Z" || after.UpdatedAt != created.UpdatedAt {
				t.Errorf("row after delivery: event_count %d, last_delivery_at %v, updated_at %s", after.EventCount, after.LastDeliveryAt, after.UpdatedAt)
			}
		})
	}
}

func TestDeliveryRetries(t *testing.T) {
	tests := map[string]struct {
		policy       map[string]any
		statuses     []int
		want         emulator.DeliveryResult
		wantAttempts []string
	}{
		"succeeds on the third attempt": {
			statuses: []int{500, 503, 200},
			want: emulator.DeliveryResult{Attempted: 1, Succeeded: 1, Attempts: 3, Retries: 2,
				RetryScheduleSeconds: []int64{30, 300, 1800, 7200}, BackoffSeconds: 330, LastError: "HTTP 503",
				CircuitState: "closed", EventCount: 1},
			wantAttempts: []string{"1", "2", "3"},
		},
		"redirect is a failure": {
			policy:   map[string]any{"retry_max_attempts": 2, "retry_backoff_type": "fixed", "retry_intervals": []int{7}},
			statuses: []int{302},
			want: emulator.DeliveryResult{Attempted: 1, Failed: 1, Attempts: 2, Retries: 1,
				RetryScheduleSeconds: []int64{7}, BackoffSeconds: 7, LastError: "HTTP 302",
				CircuitState: "closed", FailureCount: 2, EventCount: 1},
			wantAttempts: []string{"1", "2"},
		},
		"linear backoff": {
			policy:   map[string]any{"retry_max_attempts": 4, "retry_backoff_type": "linear", "retry_intervals": []int{10, 999}},
			statuses: []int{500, 500, 500, 204},
			want: emulator.DeliveryResult{Attempted: 1, Succeeded: 1, Attempts: 4, Retries: 3,
				RetryScheduleSeconds: []int64{10, 20, 30}, BackoffSeconds: 60, LastError: "HTTP 500",
				CircuitState: "closed", EventCount: 1},
			wantAttempts: []string{"1", "2", "3", "4"},
		},
		"exponential repeats the last interval": {
			policy:   map[string]any{"retry_max_attempts": 4, "retry_intervals": []int{1, 2}, "circuit_breaker_enabled": false},
			statuses: []int{500},
			want: emulator.DeliveryResult{Attempted: 1, Failed: 1, Attempts: 4, Retries: 3,
				RetryScheduleSeconds: []int64{1, 2, 2}, BackoffSeconds: 5, LastError: "HTTP 500",
				CircuitState: "closed", FailureCount: 4, EventCount: 1},
			wantAttempts: []string{"1", "2", "3", "4"},
		},
		"retries disabled": {
			policy:   map[string]any{"retry_enabled": false, "retry_max_attempts": 9},
			statuses: []int{500},
			want: emulator.DeliveryResult{Attempted: 1, Failed: 1, Attempts: 1,
				RetryScheduleSeconds: []int64{}, LastError: "HTTP 500", CircuitState: "closed", FailureCount: 1, EventCount: 1},
			wantAttempts: []string{"1"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			env := newEnv(t, emulator.Options{})
			rcv := newReceiver(t, tc.statuses...)
			fields := map[string]any{"url": rcv.server.URL}
			maps.Copy(fields, tc.policy)
			created := env.create(keyA, withFields(fields))
			result, err := env.server.Deliver(t.Context(), created.ID, 1)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.want
			want.DestinationID, want.Type, want.Status, want.Requested = created.ID, "http", "active", 1
			want.LastDelivery = new("2026-02-28T10:00:00Z")
			if diff := cmp.Diff(want, result); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			var attempts []string
			eventIDs := map[string]bool{}
			for _, req := range rcv.received() {
				attempts = append(attempts, req.Header.Get("X-Hookstream-Delivery-Attempt"))
				eventIDs[req.Header.Get("X-Hookstream-Event-Id")] = true
			}
			if diff := cmp.Diff(tc.wantAttempts, attempts); diff != "" {
				t.Errorf("attempt headers (-want +got):\n%s", diff)
			}
			if len(eventIDs) != 1 {
				t.Errorf("retries of one event carry %d event ids, want 1", len(eventIDs))
			}
		})
	}
}

func circuitOf(t *testing.T, env *testEnv, id string) emulator.Circuit {
	t.Helper()
	res := env.do(http.MethodGet, "/v1/destinations/"+id+"/circuit", keyA, "")
	if res.status != http.StatusOK {
		t.Fatalf("circuit: status %d", res.status)
	}
	var got circuitEnvelope
	decodeStrict(t, res.body, &got)
	return got.Circuit
}

func TestDeliveryCircuitBreaker(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	rcv := newReceiver(t, http.StatusInternalServerError)
	created := env.create(keyA, withFields(map[string]any{
		"url": rcv.server.URL, "retry_enabled": false, "circuit_breaker_threshold": 3, "circuit_breaker_reset_ms": 30000,
	}))

	result, err := env.server.Deliver(t.Context(), created.ID, 5)
	if err != nil {
		t.Fatal(err)
	}
	summary := func(r emulator.DeliveryResult) []any {
		return []any{r.Attempted, r.Failed, r.Skipped, r.Succeeded, r.CircuitState, r.FailureCount, r.EventCount}
	}
	if diff := cmp.Diff([]any{3, 3, 2, 0, "open", int64(3), int64(5)}, summary(result)); diff != "" {
		t.Errorf("first run: attempted, failed, skipped, succeeded, circuit, failures, events (-want +got):\n%s", diff)
	}
	if got := len(rcv.received()); got != 3 {
		t.Errorf("receiver got %d requests, want 3: an open circuit sends nothing", got)
	}
	opened := "2026-02-28T10:00:00Z"
	if diff := cmp.Diff(emulator.Circuit{State: "open", FailureCount: 3, LastTransitionAt: &opened}, circuitOf(t, env, created.ID)); diff != "" {
		t.Errorf("circuit after opening (-want +got):\n%s", diff)
	}

	env.clock.Advance(29 * time.Second)
	if result, _ = env.server.Deliver(t.Context(), created.ID, 1); result.Skipped != 1 {
		t.Errorf("during the cooldown: %+v, want the event skipped", result)
	}

	env.clock.Advance(time.Second)
	probeAt := "2026-02-28T10:00:30Z"
	if diff := cmp.Diff(emulator.Circuit{State: "half-open", FailureCount: 3, LastTransitionAt: &probeAt}, circuitOf(t, env, created.ID)); diff != "" {
		t.Errorf("circuit after the cooldown (-want +got):\n%s", diff)
	}

	// A failed probe opens the circuit again at once.
	rcv.setStatuses(http.StatusInternalServerError)
	result, _ = env.server.Deliver(t.Context(), created.ID, 2)
	if diff := cmp.Diff([]any{1, 1, 1, 0, "open", int64(4), int64(8)}, summary(result)); diff != "" {
		t.Errorf("failed probe (-want +got):\n%s", diff)
	}

	// A successful probe closes it.
	env.clock.Advance(30 * time.Second)
	rcv.setStatuses(http.StatusOK)
	result, _ = env.server.Deliver(t.Context(), created.ID, 2)
	if diff := cmp.Diff([]any{2, 0, 0, 2, "closed", int64(0), int64(10)}, summary(result)); diff != "" {
		t.Errorf("successful probe (-want +got):\n%s", diff)
	}
	closedAt := "2026-02-28T10:01:00Z"
	if diff := cmp.Diff(emulator.Circuit{State: "closed", LastTransitionAt: &closedAt}, circuitOf(t, env, created.ID)); diff != "" {
		t.Errorf("circuit after closing (-want +got):\n%s", diff)
	}
}

func TestCircuitReset(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	rcv := newReceiver(t, http.StatusBadGateway)
	created := env.create(keyA, withFields(map[string]any{"url": rcv.server.URL}))
	if result, _ := env.server.Deliver(t.Context(), created.ID, 1); result.CircuitState != "open" {
		t.Fatalf("five failed attempts under the default policy left the circuit %s", result.CircuitState)
	}
	env.clock.Advance(5 * time.Second)
	res := env.do(http.MethodPost, "/v1/destinations/"+created.ID+"/circuit/reset", keyA, "")
	if res.status != http.StatusOK {
		t.Fatalf("reset: status %d", res.status)
	}
	var got circuitEnvelope
	decodeStrict(t, res.body, &got)
	resetAt := "2026-02-28T10:00:05Z"
	if diff := cmp.Diff(emulator.Circuit{State: "closed", LastTransitionAt: &resetAt}, got.Circuit); diff != "" {
		t.Errorf("reset answer (-want +got):\n%s", diff)
	}
	rcv.setStatuses(http.StatusOK)
	if result, _ := env.server.Deliver(t.Context(), created.ID, 1); result.Succeeded != 1 {
		t.Errorf("after reset: %+v, want the event delivered", result)
	}
}

func TestDeliveryWithoutHTTP(t *testing.T) {
	tests := map[string]struct {
		fields map[string]any
		patch  string
		want   emulator.DeliveryResult
	}{
		"sqs counts as delivered": {
			fields: map[string]any{"type": "sqs", "url": nil, "provider_config": sqsConfig},
			want: emulator.DeliveryResult{Type: "aws_sqs", Status: "active", Requested: 3, Attempted: 3, Succeeded: 3, Attempts: 3,
				RetryScheduleSeconds: []int64{30, 300, 1800, 7200}, CircuitState: "closed", EventCount: 3, LastDelivery: new("2026-02-28T10:00:00Z")},
		},
		"paused receives nothing": {
			fields: map[string]any{"url": "http://127.0.0.1:1/unreachable"},
			patch:  `{"status":"paused"}`,
			want: emulator.DeliveryResult{Type: "http", Status: "paused", Requested: 3, Skipped: 3,
				RetryScheduleSeconds: []int64{30, 300, 1800, 7200}, CircuitState: "closed"},
		},
		"disabled receives nothing": {
			fields: map[string]any{"type": "websocket", "url": nil, "provider_config": map[string]any{"channel_name": "c"}},
			patch:  `{"status":"disabled"}`,
			want: emulator.DeliveryResult{Type: "websocket", Status: "disabled", Requested: 3, Skipped: 3,
				RetryScheduleSeconds: []int64{30, 300, 1800, 7200}, CircuitState: "closed"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			env := newEnv(t, emulator.Options{})
			created := env.create(keyA, withFields(tc.fields))
			if tc.patch != "" {
				env.do(http.MethodPatch, "/v1/destinations/"+created.ID, keyA, tc.patch)
			}
			result, err := env.server.Deliver(t.Context(), created.ID, 3)
			if err != nil {
				t.Fatal(err)
			}
			tc.want.DestinationID = created.ID
			if diff := cmp.Diff(tc.want, result); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			if got := env.get(keyA, created.ID); got.EventCount != tc.want.EventCount {
				t.Errorf("event_count %d, want %d", got.EventCount, tc.want.EventCount)
			}
		})
	}
}

func TestDeliveryNetworkErrorsAndTimeout(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	rcv := newReceiver(t)
	rcv.delay = 3 * time.Second
	slow := env.create(keyA, withFields(map[string]any{"slug": "slow", "url": rcv.server.URL, "timeout_ms": 1000, "retry_enabled": false}))
	closed := env.create(keyA, withFields(map[string]any{"slug": "closed", "url": "http://127.0.0.1:1/", "retry_max_attempts": 2}))

	started := time.Now()
	result, err := env.server.Deliver(t.Context(), slow.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(started); elapsed > 2500*time.Millisecond {
		t.Errorf("delivery took %v, want about timeout_ms (1 s)", elapsed)
	}
	if result.Failed != 1 || !strings.Contains(result.LastError, "deadline exceeded") {
		t.Errorf("slow receiver: %+v, want a failure by timeout", result)
	}

	result, err = env.server.Deliver(t.Context(), closed.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if result.Failed != 1 || result.Attempts != 2 || result.LastError == "" {
		t.Errorf("unreachable receiver: %+v, want one failed event after 2 attempts", result)
	}
}

func TestDeliverArguments(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	created := env.create(keyB, withFields(map[string]any{"type": "websocket", "url": nil, "provider_config": map[string]any{"channel_name": "c"}}))
	tests := map[string]struct {
		id      string
		count   int
		wantErr error
	}{
		"zero":            {created.ID, 0, emulator.ErrInvalidArgument},
		"too many":        {created.ID, 1001, emulator.ErrInvalidArgument},
		"unknown id":      {"0123456789abcdef0123456789abcdef", 1, emulator.ErrNotFound},
		"maximum":         {created.ID, 1000, nil},
		"another project": {created.ID, 1, nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := env.server.Deliver(t.Context(), tc.id, tc.count)
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("error %v, want %v", err, tc.wantErr)
			}
		})
	}
	if got := env.get(keyB, created.ID).EventCount; got != 1001 {
		t.Errorf("event_count %d, want 1001", got)
	}
}

func TestAdminDeliveries(t *testing.T) {
	env := newEnv(t, emulator.Options{Admin: true})
	rcv := newReceiver(t)
	created := env.create(keyA, withFields(map[string]any{
		"url": rcv.server.URL, "auth_type": "bearer", "auth_config": map[string]string{"token": "admin-token-123"},
	}))
	path := "/_emulator/destinations/" + created.ID + "/deliveries"
	tests := map[string]struct {
		path, body string
		wantStatus int
		wantError  string
		wantEvents int
	}{
		"count 3":         {path, `{"count":3}`, http.StatusOK, "", 3},
		"empty body is 1": {path, ``, http.StatusOK, "", 1},
		"count 0":         {path, `{"count":0}`, http.StatusBadRequest, "Invalid body: count must be between 1 and 1000, got 0", 0},
		"count 1001":      {path, `{"count":1001}`, http.StatusBadRequest, "Invalid body: count must be between 1 and 1000, got 1001", 0},
		"count text":      {path, `{"count":"3"}`, http.StatusBadRequest, `Invalid body: expected {"count": <1..1000>}`, 0},
		"unknown field":   {path, `{"count":1,"n":2}`, http.StatusBadRequest, `Invalid body: expected {"count": <1..1000>}`, 0},
		"unknown id":      {"/_emulator/destinations/nope/deliveries", `{"count":1}`, http.StatusNotFound, "Destination not found", 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			before := len(rcv.received())
			res := env.do(http.MethodPost, tc.path, "", tc.body)
			if checkAnswer(t, "", res, tc.wantStatus, tc.wantError) {
				var result emulator.DeliveryResult
				decodeStrict(t, res.body, &result)
				if result.Succeeded != tc.wantEvents {
					t.Errorf("succeeded %d, want %d", result.Succeeded, tc.wantEvents)
				}
			}
			if got := len(rcv.received()) - before; got != tc.wantEvents {
				t.Errorf("receiver got %d requests, want %d", got, tc.wantEvents)
			}
		})
	}

	res := env.do(http.MethodGet, "/_emulator/destinations/"+created.ID, "", "")
	unmasked := destinations.decode(t, res)
	if diff := cmp.Diff(created, unmasked, cmpopts.IgnoreFields(emulator.Destination{}, "EventCount", "LastDeliveryAt", "AuthConfig")); diff != "" {
		t.Errorf("admin row (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(new(`{"token":"admin-token-123"}`), unmasked.AuthConfig); diff != "" {
		t.Errorf("admin row shows the real secret (-want +got):\n%s", diff)
	}
	if unmasked.EventCount != 4 {
		t.Errorf("event_count %d, want 4", unmasked.EventCount)
	}
}
