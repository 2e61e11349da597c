// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hookstream

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var sentinels = map[string]error{
	"ErrInvalid": ErrInvalid, "ErrUnauthorized": ErrUnauthorized, "ErrForbidden": ErrForbidden,
	"ErrNotFound": ErrNotFound, "ErrConflict": ErrConflict, "ErrRateLimited": ErrRateLimited, "ErrServer": ErrServer,
}

// matchedSentinels lists the sentinels err matches, by name.
func matchedSentinels(err error) []string {
	var names []string
	for name, sentinel := range sentinels {
		if errors.Is(err, sentinel) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

func TestAPIErrorIs(t *testing.T) {
	tests := map[int][]string{
		400: {"ErrInvalid"},
		401: {"ErrUnauthorized"},
		403: {"ErrForbidden"},
		404: {"ErrNotFound"},
		409: {"ErrConflict"},
		422: {"ErrInvalid"},
		429: {"ErrRateLimited"},
		500: {"ErrServer"},
		502: {"ErrServer"},
		503: {"ErrServer"},
		302: nil,
		418: nil,
	}
	for status, want := range tests {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			err := fmt.Errorf("wrapped: %w", &APIError{StatusCode: status})
			if diff := cmp.Diff(want, matchedSentinels(err)); diff != "" {
				t.Errorf("sentinels matched (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAPIErrorMessage(t *testing.T) {
	tests := map[string]struct {
		err  *APIError
		want string
	}{
		"documented envelope": {
			err: &APIError{StatusCode: 400, Message: "Invalid body: 'slug' must match pattern ^[a-z0-9-]+$",
				RequestID: "req_0a1b", Route: "PATCH /destinations/{id}"},
			want: "hookstream: PATCH /destinations/{id}: 400 Invalid body: 'slug' must match pattern ^[a-z0-9-]+$ (request req_0a1b)",
		},
		"no message, no request id": {
			err:  &APIError{StatusCode: 503, Route: "GET /destinations"},
			want: "hookstream: GET /destinations: 503 Service Unavailable",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.err.Error()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestIsRetryable(t *testing.T) {
	tests := map[string]struct {
		err  error
		want bool
	}{
		"nil":                   {err: nil, want: false},
		"400":                   {err: &APIError{StatusCode: 400}, want: false},
		"401":                   {err: &APIError{StatusCode: 401}, want: false},
		"404":                   {err: &APIError{StatusCode: 404}, want: false},
		"409":                   {err: &APIError{StatusCode: 409}, want: false},
		"408":                   {err: &APIError{StatusCode: 408}, want: true},
		"429":                   {err: &APIError{StatusCode: 429}, want: true},
		"500":                   {err: &APIError{StatusCode: 500}, want: true},
		"503 wrapped":           {err: fmt.Errorf("x: %w", &APIError{StatusCode: 503}), want: true},
		"limiter wait":          {err: &WaitError{Wait: time.Second}, want: true},
		"deadline":              {err: &TransportError{Route: routeGetDestination, Err: context.DeadlineExceeded}, want: true},
		"cancelled":             {err: &TransportError{Route: routeGetDestination, Err: context.Canceled}, want: false},
		"connection refused":    {err: &TransportError{Route: routeGetDestination, Err: syscall.ECONNREFUSED}, want: true},
		"connection reset":      {err: &TransportError{Route: routeGetDestination, Err: syscall.ECONNRESET}, want: true},
		"EOF":                   {err: &TransportError{Route: routeGetDestination, Err: io.EOF}, want: true},
		"unexpected EOF":        {err: &TransportError{Route: routeGetDestination, Err: io.ErrUnexpectedEOF}, want: true},
		"untrusted certificate": {err: &TransportError{Route: routeGetDestination, Err: x509.UnknownAuthorityError{}}, want: false},
		"undecodable answer":    {err: &DecodeError{Field: "id", Err: errors.New("x")}, want: false},
		"refused locally":       {err: fmt.Errorf("x: %w", ErrInvalid), want: false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := IsRetryable(tc.err); got != tc.want {
				t.Errorf("IsRetryable(%v) = %t, want %t", tc.err, got, tc.want)
			}
		})
	}
}

func TestIsRateLimited(t *testing.T) {
	type result struct {
		Wait time.Duration
		OK   bool
	}
	tests := map[string]struct {
		err  error
		want result
	}{
		"429 with a wait":       {err: fmt.Errorf("x: %w", &APIError{StatusCode: 429, RetryAfter: 7 * time.Second}), want: result{7 * time.Second, true}},
		"server pause locally":  {err: &WaitError{Wait: 3 * time.Second, ServerPause: true}, want: result{3 * time.Second, true}},
		"local budget":          {err: &WaitError{Wait: 50 * time.Millisecond}, want: result{50 * time.Millisecond, true}},
		"503 with Retry-After":  {err: &APIError{StatusCode: 503, RetryAfter: time.Second}, want: result{}},
		"not an API error":      {err: io.EOF, want: result{}},
		"nil":                   {err: nil, want: result{}},
		"is ErrRateLimited too": {err: &WaitError{}, want: result{0, true}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			wait, ok := IsRateLimited(tc.err)
			if diff := cmp.Diff(tc.want, result{wait, ok}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if ok != errors.Is(tc.err, ErrRateLimited) {
				t.Errorf("IsRateLimited and errors.Is(ErrRateLimited) disagree")
			}
		})
	}
}

func TestParseRateLimit(t *testing.T) {
	now := time.Date(2026, 2, 28, 10, 0, 0, 0, time.UTC)
	tests := map[string]struct {
		status int
		header map[string]string
		want   RateLimitInfo
	}{
		"no headers": {
			status: 200,
			want:   RateLimitInfo{StatusCode: 200},
		},
		"documented example": {
			status: 200,
			header: map[string]string{"RateLimit-Limit": "1000", "RateLimit-Remaining": "742", "RateLimit-Reset": "37"},
			want:   RateLimitInfo{Limit: 1000, Remaining: 742, Reset: 37 * time.Second, HasHeaders: true, StatusCode: 200},
		},
		"window exhausted pauses until the reset": {
			status: 200,
			header: map[string]string{"RateLimit-Limit": "1000", "RateLimit-Remaining": "0", "RateLimit-Reset": "12"},
			want: RateLimitInfo{Limit: 1000, Remaining: 0, Reset: 12 * time.Second, RetryAfter: 12 * time.Second,
				HasHeaders: true, StatusCode: 200},
		},
		"429 prefers Retry-After": {
			status: 429,
			header: map[string]string{"RateLimit-Remaining": "0", "RateLimit-Reset": "30", "Retry-After": "5"},
			want: RateLimitInfo{Reset: 30 * time.Second, RetryAfter: 5 * time.Second, HasHeaders: true,
				StatusCode: 429},
		},
		"429 falls back to RateLimit-Reset": {
			status: 429,
			header: map[string]string{"RateLimit-Reset": "9"},
			want:   RateLimitInfo{Reset: 9 * time.Second, RetryAfter: 9 * time.Second, StatusCode: 429},
		},
		"429 as an HTTP-date": {
			status: 429,
			header: map[string]string{"Retry-After": "Sat, 28 Feb 2026 10:00:20 GMT"},
			want:   RateLimitInfo{RetryAfter: 20 * time.Second, StatusCode: 429},
		},
		"bare 429 still pauses": {
			status: 429,
			want:   RateLimitInfo{RetryAfter: defaultRateLimitPause, StatusCode: 429},
		},
		"absurd Retry-After is capped": {
			status: 429,
			header: map[string]string{"Retry-After": "999999999"},
			want:   RateLimitInfo{RetryAfter: maxServerPause, StatusCode: 429},
		},
		"503 with Retry-After": {
			status: 503,
			header: map[string]string{"Retry-After": "2"},
			want:   RateLimitInfo{RetryAfter: 2 * time.Second, StatusCode: 503},
		},
		"Retry-After ignored on a success with budget left": {
			status: 201,
			header: map[string]string{"RateLimit-Remaining": "5", "Retry-After": "2"},
			want:   RateLimitInfo{Remaining: 5, HasHeaders: true, StatusCode: 201},
		},
		"X-RateLimit spelling, reset as a Unix time": {
			status: 200,
			header: map[string]string{"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "10",
				"X-RateLimit-Reset": fmt.Sprint(now.Add(45 * time.Second).Unix())},
			want: RateLimitInfo{Limit: 60, Remaining: 10, Reset: 45 * time.Second, HasHeaders: true, StatusCode: 200},
		},
		"garbage is ignored": {
			status: 200,
			header: map[string]string{"RateLimit-Limit": "lots", "RateLimit-Remaining": "-1", "Retry-After": "soon"},
			want:   RateLimitInfo{StatusCode: 200},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			header := http.Header{}
			for key, value := range tc.header {
				header.Set(key, value)
			}
			if diff := cmp.Diff(tc.want, parseRateLimit(tc.status, header, now)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
