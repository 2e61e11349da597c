// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hookstream/hookstream-operator/internal/emulator"
)

type rateHeaders struct {
	Status     int
	Limit      string
	Remaining  string
	Reset      string
	RetryAfter string
}

func rateHeadersOf(res response) rateHeaders {
	return rateHeaders{
		Status:     res.status,
		Limit:      res.header.Get("RateLimit-Limit"),
		Remaining:  res.header.Get("RateLimit-Remaining"),
		Reset:      res.header.Get("RateLimit-Reset"),
		RetryAfter: res.header.Get("Retry-After"),
	}
}

func TestRateLimitTokenBucket(t *testing.T) {
	env := newEnv(t, emulator.Options{RateLimit: 2, RateLimitBurst: 3})
	steps := []struct {
		advance time.Duration
		key     string
		want    rateHeaders
	}{
		{0, keyA, rateHeaders{200, "3", "2", "1", ""}},
		{0, keyA, rateHeaders{200, "3", "1", "1", ""}},
		{0, keyA, rateHeaders{200, "3", "0", "2", ""}},
		{0, keyA, rateHeaders{429, "3", "0", "2", "1"}},
		{0, keyB, rateHeaders{200, "3", "2", "1", ""}}, // per org
		{250 * time.Millisecond, keyA, rateHeaders{429, "3", "0", "2", "1"}},
		{250 * time.Millisecond, keyA, rateHeaders{200, "3", "0", "2", ""}},
		{2 * time.Second, keyA, rateHeaders{200, "3", "2", "1", ""}},
		{10 * time.Second, keyA, rateHeaders{200, "3", "2", "1", ""}}, // never more than the burst
	}
	for i, step := range steps {
		env.clock.Advance(step.advance)
		res := env.do(http.MethodGet, "/v1/destinations", step.key, "")
		if diff := cmp.Diff(step.want, rateHeadersOf(res)); diff != "" {
			t.Errorf("step %d (-want +got):\n%s", i, diff)
		}
		if res.status == http.StatusTooManyRequests {
			if got := errorOf(t, res); got != "Rate limit exceeded" {
				t.Errorf("step %d: error %q", i, got)
			}
		}
	}
	stats := env.server.Stats()
	if got := stats.CountStatus(emulator.RouteListDestinations, http.StatusTooManyRequests); got != 2 {
		t.Errorf("429s counted: %d, want 2", got)
	}
}

func TestRateLimitSlowRate(t *testing.T) {
	env := newEnv(t, emulator.Options{RateLimit: 0.2}) // one request per 5 s, burst 1
	first := rateHeadersOf(env.do(http.MethodGet, "/v1/destinations", keyA, ""))
	second := rateHeadersOf(env.do(http.MethodGet, "/v1/destinations", keyA, ""))
	want := []rateHeaders{{200, "1", "0", "5", ""}, {429, "1", "0", "5", "5"}}
	if diff := cmp.Diff(want, []rateHeaders{first, second}); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	env.clock.Advance(4 * time.Second)
	if got := rateHeadersOf(env.do(http.MethodGet, "/v1/destinations", keyA, "")); got.Status != 429 || got.RetryAfter != "1" {
		t.Errorf("after 4 s: %+v, want 429 with Retry-After 1", got)
	}
	env.clock.Advance(time.Second)
	if got := rateHeadersOf(env.do(http.MethodGet, "/v1/destinations", keyA, "")); got.Status != 200 {
		t.Errorf("after 5 s: %+v, want 200", got)
	}
}

func TestRateLimitHeadersWithoutLimit(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	steps := []struct {
		advance time.Duration
		key     string
		want    rateHeaders
	}{
		{0, keyA, rateHeaders{200, "1000", "999", "60", ""}},
		{20 * time.Second, keyA, rateHeaders{200, "1000", "998", "40", ""}},
		{0, "", rateHeaders{401, "1000", "1000", "60", ""}},
		{40 * time.Second, keyA, rateHeaders{200, "1000", "999", "60", ""}}, // a new window
	}
	for i, step := range steps {
		env.clock.Advance(step.advance)
		if diff := cmp.Diff(step.want, rateHeadersOf(env.do(http.MethodGet, "/v1/destinations", step.key, ""))); diff != "" {
			t.Errorf("step %d (-want +got):\n%s", i, diff)
		}
	}
	for range 1200 {
		env.do(http.MethodGet, "/v1/destinations/x", keyB, "")
	}
	if got := rateHeadersOf(env.do(http.MethodGet, "/v1/destinations", keyB, "")); got.Status != 200 || got.Remaining != "0" {
		t.Errorf("after 1200 requests without a limit: %+v, want 200 with 0 remaining", got)
	}
}

func TestRateLimitedRequestsAreNotHandled(t *testing.T) {
	env := newEnv(t, emulator.Options{RateLimit: 1})
	env.create(keyA, withFields(map[string]any{"slug": "first"}))
	res := env.do(http.MethodPost, "/v1/destinations", keyA, withFields(map[string]any{"slug": "second"}))
	if res.status != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429", res.status)
	}
	retryAfter, err := strconv.Atoi(res.header.Get("Retry-After"))
	if err != nil || retryAfter < 1 {
		t.Errorf("Retry-After %q", res.header.Get("Retry-After"))
	}
	env.clock.Advance(time.Duration(retryAfter) * time.Second)
	if got := len(env.list(keyA, "").Rows); got != 1 {
		t.Errorf("%d rows, want only the first: a rate limited create must not happen", got)
	}
}
