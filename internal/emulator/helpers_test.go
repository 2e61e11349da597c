// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookstream/hookstream-operator/internal/emulator"
)

const (
	keyA = "hs_test_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	keyB = "hs_test_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

var startTime = time.Date(2026, 2, 28, 10, 0, 0, 0, time.UTC)

// fakeClock is a settable clock for timestamps, rate limits and circuit cooldowns.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: startTime} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type testEnv struct {
	t      testing.TB
	server *emulator.Server
	clock  *fakeClock
}

// newEnv starts an emulator with keys A and B on a fake clock; opts may override anything.
func newEnv(t testing.TB, opts emulator.Options) *testEnv {
	t.Helper()
	clock := newFakeClock()
	if opts.APIKeys == nil {
		opts.APIKeys = []string{keyA, keyB}
	}
	if opts.Now == nil {
		opts.Now = clock.Now
	}
	server, err := emulator.New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := server.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &testEnv{t: t, server: server, clock: clock}
}

// with returns the environment reporting to t, for subtests and fuzz inputs that share one server.
func (e *testEnv) with(t testing.TB) *testEnv {
	copied := *e
	copied.t = t
	return &copied
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// newRequest is a request to the API with key ("" sends no credentials) and a JSON body, when there is one.
func newRequest(method, path, key, body string) *http.Request {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// do sends one request straight to the handler; key "" sends no credentials.
func (e *testEnv) do(method, path, key, body string) response {
	e.t.Helper()
	req := newRequest(method, path, key, body)
	rec := httptest.NewRecorder()
	e.server.ServeHTTP(rec, req)
	res := rec.Result()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatalf("reading body: %v", err)
	}
	return response{status: res.StatusCode, header: res.Header, body: data}
}

// create creates a destination with key and fails the test unless it answers 201.
func (e *testEnv) create(key, body string) emulator.Destination {
	e.t.Helper()
	return destinations.create(e, key, body)
}

func (e *testEnv) get(key, id string) emulator.Destination {
	e.t.Helper()
	return destinations.get(e, key, id)
}

// decodeStrict fails on fields the target does not know, so an extra response field cannot go unnoticed.
func decodeStrict(t testing.TB, data []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decoding %s: %v", data, err)
	}
}

type errorEnvelope struct {
	Error     string `json:"error"`
	Status    int    `json:"status"`
	RequestID string `json:"request_id"`
}

var requestIDPattern = regexp.MustCompile(`^req_[0-9a-f]+$`)

// errorOf checks the error envelope of res and returns its message.
func errorOf(t testing.TB, res response) string {
	t.Helper()
	var env errorEnvelope
	decodeStrict(t, res.body, &env)
	if env.Status != res.status {
		t.Errorf("envelope status %d, HTTP status %d", env.Status, res.status)
	}
	if !requestIDPattern.MatchString(env.RequestID) || env.RequestID != res.header.Get("X-Request-Id") {
		t.Errorf("request_id %q, X-Request-Id %q", env.RequestID, res.header.Get("X-Request-Id"))
	}
	return env.Error
}

func ptr[T any](v T) *T { return new(v) }

func mkdirAll(dir string) error { return os.MkdirAll(dir, 0o755) }

// slugFor turns a test case name into a valid slug, so that each case has its own.
func slugFor(name string) string {
	return strings.Map(func(r rune) rune {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			return r
		}
		if r >= 'A' && r <= 'Z' {
			return r - 'A' + 'a'
		}
		return '-'
	}, name)
}

// checkAnswer fails the test unless res has wantStatus and, when wantError is set, that error message; what,
// when set, names the step in the messages. It reports whether res is an answer without an expected error,
// whose body the caller may look at further.
func checkAnswer(t testing.TB, what string, res response, wantStatus int, wantError string) bool {
	t.Helper()
	if what != "" {
		what += ": "
	}
	if res.status != wantStatus {
		t.Fatalf("%sstatus %d, want %d; body %s", what, res.status, wantStatus, res.body)
	}
	if wantError == "" {
		return true
	}
	if got := errorOf(t, res); got != wantError {
		t.Errorf("%serror %q, want %q", what, got, wantError)
	}
	return false
}
