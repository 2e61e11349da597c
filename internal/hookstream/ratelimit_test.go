// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hookstream

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

func TestKeyLimiterPausesEveryCaller(t *testing.T) {
	limiter := newKeyLimiter(0, 1)
	limiter.Observe(RateLimitInfo{StatusCode: 429, RetryAfter: 150 * time.Millisecond})
	pausedUntil := limiter.pauseEnd()

	const callers = 5
	released := make([]time.Time, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			errs[i] = limiter.Wait(context.Background())
			released[i] = time.Now()
		})
	}
	wg.Wait()
	for i := range callers {
		if errs[i] != nil {
			t.Errorf("caller %d: Wait: %v", i, errs[i])
		}
		if released[i].Before(pausedUntil) {
			t.Errorf("caller %d released %s before the pause ended", i, pausedUntil.Sub(released[i]))
		}
	}
}

func TestKeyLimiterWait(t *testing.T) {
	tests := map[string]struct {
		rps   float64
		burst int
		// pause is the server pause observed before the wait; spend takes tokens first.
		pause       time.Duration
		spend       int
		ctxTimeout  time.Duration
		cancelFirst bool

		wantServerPause bool
		wantLocal       bool
		wantCancelled   bool
	}{
		"no pause, no limit":                  {},
		"a pause beyond the deadline fails":   {pause: time.Minute, ctxTimeout: 50 * time.Millisecond, wantServerPause: true},
		"a token beyond the deadline fails":   {rps: 0.01, burst: 1, spend: 1, ctxTimeout: 50 * time.Millisecond, wantLocal: true},
		"a cancelled context ends a pause":    {pause: time.Minute, cancelFirst: true, wantCancelled: true},
		"a zero pause is no pause":            {pause: 0, ctxTimeout: 50 * time.Millisecond},
		"a burst is served without any delay": {rps: 1, burst: 3, spend: 2, ctxTimeout: 50 * time.Millisecond},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			limiter := newKeyLimiter(tc.rps, tc.burst)
			for range tc.spend {
				if err := limiter.Wait(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			limiter.Observe(RateLimitInfo{StatusCode: 429, RetryAfter: tc.pause})
			ctx := context.Background()
			if tc.ctxTimeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.ctxTimeout)
				defer cancel()
			}
			if tc.cancelFirst {
				var cancel context.CancelFunc
				ctx, cancel = context.WithCancel(ctx)
				cancel()
			}
			err := limiter.Wait(ctx)

			var waitErr *WaitError
			isWaitErr := errors.As(err, &waitErr)
			if got := isWaitErr && waitErr.ServerPause; got != tc.wantServerPause {
				t.Errorf("server pause error = %t, want %t (err %v)", got, tc.wantServerPause, err)
			}
			if got := isWaitErr && !waitErr.ServerPause; got != tc.wantLocal {
				t.Errorf("local budget error = %t, want %t (err %v)", got, tc.wantLocal, err)
			}
			if got := errors.Is(err, context.Canceled); got != tc.wantCancelled {
				t.Errorf("cancelled = %t, want %t (err %v)", got, tc.wantCancelled, err)
			}
			if isWaitErr {
				if wait, ok := IsRateLimited(err); !ok || wait <= 0 {
					t.Errorf("IsRateLimited = %s, %t; want a positive wait", wait, ok)
				}
			}
			if !tc.wantServerPause && !tc.wantLocal && !tc.wantCancelled && err != nil {
				t.Errorf("Wait: %v", err)
			}
		})
	}
}

func TestLimiterRegistry(t *testing.T) {
	registry := NewLimiterRegistry(5, 2)
	first := registry.For(testAPIKey)
	tests := map[string]struct {
		key  string
		same bool
	}{
		"same key":                    {key: testAPIKey, same: true},
		"same key with a newline":     {key: testAPIKey + "\n", same: true},
		"another key":                 {key: "hs_test_other", same: false},
		"a key differing by one char": {key: testAPIKey[:len(testAPIKey)-1] + "0", same: false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := registry.For(tc.key) == first; got != tc.same {
				t.Errorf("same limiter = %t, want %t", got, tc.same)
			}
		})
	}

	for _, format := range []string{"%v", "%+v", "%#v"} {
		if out := fmt.Sprintf(format, registry); containsKey(out) {
			t.Errorf("%s of the registry prints the key", format)
		}
	}
}

func TestLimiterRegistryZeroValue(t *testing.T) {
	var registry LimiterRegistry
	limiter := registry.For(testAPIKey)
	for range 50 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		err := limiter.Wait(ctx)
		cancel()
		if err != nil {
			t.Fatalf("Wait on an unlimited limiter: %v", err)
		}
	}
}

// TestUnavailableWithoutRetryAfterDoesNotPause: a 503 carrying only the rate window's headers is an outage, not
// a request to pause the key until the window resets.
func TestUnavailableWithoutRetryAfterDoesNotPause(t *testing.T) {
	h := http.Header{}
	h.Set("RateLimit-Limit", "1000")
	h.Set("RateLimit-Remaining", "900")
	h.Set("RateLimit-Reset", "53")
	if info := parseRateLimit(http.StatusServiceUnavailable, h, time.Now()); info.RetryAfter != 0 {
		t.Errorf("503 without Retry-After: pause %v, want none", info.RetryAfter)
	}
	h.Set("Retry-After", "7")
	if info := parseRateLimit(http.StatusServiceUnavailable, h, time.Now()); info.RetryAfter != 7*time.Second {
		t.Errorf("503 with Retry-After 7: pause %v, want 7s", info.RetryAfter)
	}
}

// TestPauseDoesNotReleaseHeldCallersAtOnce queues eight callers for tokens on a 20/s key with a burst of 2, then
// pauses the key for a second the way a 429 with Retry-After: 1 does. When the pause ends they must go through the
// bucket again, not all at once with the tokens they reserved before it.
func TestPauseDoesNotReleaseHeldCallersAtOnce(t *testing.T) {
	l := newKeyLimiter(20, 2)
	const callers = 8
	var (
		mu    sync.Mutex
		sends []time.Time
		wg    sync.WaitGroup
	)
	for range 2 { // spend the burst: the callers below wait 50 ms apart for their tokens
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	for range callers {
		wg.Go(func() {
			if err := l.Wait(context.Background()); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			sends = append(sends, time.Now())
			mu.Unlock()
		})
	}
	time.Sleep(20 * time.Millisecond)
	l.Observe(RateLimitInfo{StatusCode: http.StatusTooManyRequests, RetryAfter: time.Second})
	pauseEnd := l.pauseEnd()
	wg.Wait()
	first := 0
	for _, at := range sends {
		if at.Before(pauseEnd) {
			t.Errorf("a caller went %s before the pause ended", pauseEnd.Sub(at))
		}
		if at.Before(pauseEnd.Add(100 * time.Millisecond)) {
			first++
		}
	}
	// The burst (2) plus what 20/s refills in 100 ms (2).
	if first > 4 {
		t.Errorf("%d of %d held callers went within 100 ms of the pause's end; the budget allows 4", first, callers)
	}
}

// TestLimiterRegistryStats: each key's counters, named by a short hash that is the prefix of the key's SHA-256
// and never the key.
func TestLimiterRegistryStats(t *testing.T) {
	registry := NewLimiterRegistry(50, 1)
	if got := registry.Rate(); got != 50 {
		t.Errorf("Rate() = %v, want 50", got)
	}
	limiter := registry.For(testAPIKey)
	other := registry.For("hs_test_other")
	for range 3 {
		if err := limiter.Wait(context.Background()); err != nil {
			t.Fatalf("Wait: %v", err)
		}
	}
	// A wait that cannot end before the deadline fails at once and admits nothing.
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	if err := limiter.Wait(ctx); err == nil {
		t.Fatal("Wait with a deadline shorter than the next token: no error")
	}
	limiter.Observe(RateLimitInfo{StatusCode: http.StatusTooManyRequests, RetryAfter: time.Millisecond})
	limiter.Observe(RateLimitInfo{StatusCode: http.StatusServiceUnavailable})
	limiter.Observe(RateLimitInfo{StatusCode: http.StatusOK})
	if err := other.Wait(context.Background()); err != nil {
		t.Fatalf("Wait: %v", err)
	}

	byHash := map[string]KeyStats{}
	for _, s := range registry.Stats() {
		byHash[s.KeyHash] = s
	}
	if len(byHash) != 2 {
		t.Fatalf("Stats() = %+v, want one entry per key (2)", registry.Stats())
	}
	digest := sha256.Sum256([]byte(testAPIKey))
	wantHash := hex.EncodeToString(digest[:])[:KeyHashLength]
	if got := KeyHash(testAPIKey + "\n"); got != wantHash {
		t.Errorf("KeyHash = %q, want %q (the key's SHA-256 prefix, surrounding whitespace ignored)", got, wantHash)
	}
	s, ok := byHash[wantHash]
	if !ok {
		t.Fatalf("no stats for hash %s in %+v", wantHash, byHash)
	}
	if s.Admitted != 3 || s.RateLimited != 1 {
		t.Errorf("key stats = %+v, want 3 admitted and 1 rate-limited answer", s)
	}
	// The burst is 1 at 50 per second: the second and third requests waited for their tokens.
	if s.Waited <= 0 {
		t.Errorf("Waited = %v after waiting for tokens, want > 0", s.Waited)
	}
	if o := byHash[KeyHash("hs_test_other")]; o.Admitted != 1 || o.RateLimited != 0 {
		t.Errorf("other key stats = %+v, want 1 admitted, 0 rate-limited", o)
	}
	for _, format := range []string{"%v", "%+v"} {
		if out := fmt.Sprintf(format, registry.Stats()); containsKey(out) {
			t.Errorf("%s of the stats prints the key", format)
		}
	}
}
