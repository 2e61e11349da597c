// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hookstream

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

const (
	// defaultRateLimitPause is the pause after a 429 that carries neither Retry-After nor RateLimit-Reset, so
	// that a bare 429 still slows every caller down.
	defaultRateLimitPause = time.Second
	// maxServerPause caps what a header may ask for: a broken or hostile value must not stop the key for days.
	maxServerPause = time.Hour
	// unixTimeThreshold tells a reset given as a Unix timestamp (some gateways do) from one given in seconds.
	unixTimeThreshold = 1_000_000_000
)

// Limiter gates requests; implementations are shared by all clients of one API key, because hookstream counts
// its limits per key (per org) and not per client.
type Limiter interface {
	// Wait blocks until a request may be sent, or returns an error when ctx ends first or cannot last long enough.
	Wait(ctx context.Context) error
	// Observe is told the server's rate-limit headers after each response (remaining, reset) and, for a 429 or
	// Remaining == 0, how long the server asks to pause; a shared limiter pauses every caller of the key.
	Observe(info RateLimitInfo)
}

// RateLimitInfo is what one response says about the key's budget.
type RateLimitInfo struct {
	// Limit is RateLimit-Limit: requests per window.
	Limit int
	// Remaining is RateLimit-Remaining; meaningful only when HasHeaders.
	Remaining int
	// Reset is RateLimit-Reset: time until the window resets.
	Reset time.Duration
	// RetryAfter is how long the server asks every caller to pause: Retry-After, else Reset, for a 429 or an
	// exhausted window (Remaining == 0); Retry-After only, for a 503; zero otherwise.
	RetryAfter time.Duration
	// HasHeaders reports whether the response carried RateLimit-Remaining.
	HasHeaders bool
	// StatusCode is the response's HTTP status.
	StatusCode int
}

// parseRateLimit reads the IETF RateLimit-* headers, falling back to the common X-RateLimit-* spelling.
func parseRateLimit(status int, header http.Header, now time.Time) RateLimitInfo {
	info := RateLimitInfo{StatusCode: status}
	if limit, ok := headerInt(header, "RateLimit-Limit", "X-RateLimit-Limit"); ok {
		info.Limit = int(min(limit, math.MaxInt32))
	}
	if remaining, ok := headerInt(header, "RateLimit-Remaining", "X-RateLimit-Remaining"); ok {
		info.Remaining = int(min(remaining, math.MaxInt32))
		info.HasHeaders = true
	}
	if reset, ok := headerInt(header, "RateLimit-Reset", "X-RateLimit-Reset"); ok {
		info.Reset = resetDuration(reset, now)
	}
	exhausted := info.HasHeaders && info.Remaining <= 0
	if status != http.StatusTooManyRequests && status != http.StatusServiceUnavailable && !exhausted {
		return info
	}
	if retryAfter, ok := parseRetryAfter(header.Get("Retry-After"), now); ok {
		info.RetryAfter = retryAfter
	} else if status != http.StatusServiceUnavailable || exhausted {
		// RateLimit-Reset times the rate window; it says nothing about when an unavailable service returns.
		info.RetryAfter = info.Reset
	}
	if info.RetryAfter == 0 && status == http.StatusTooManyRequests {
		info.RetryAfter = defaultRateLimitPause
	}
	info.RetryAfter = min(info.RetryAfter, maxServerPause)
	return info
}

func headerInt(header http.Header, names ...string) (int64, bool) {
	for _, name := range names {
		raw := strings.TrimSpace(header.Get(name))
		if raw == "" {
			continue
		}
		// Structured-field variants may carry parameters ("100;w=60"); the number comes first.
		raw, _, _ = strings.Cut(raw, ";")
		if n, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64); err == nil && n >= 0 {
			return n, true
		}
	}
	return 0, false
}

func resetDuration(reset int64, now time.Time) time.Duration {
	if reset >= unixTimeThreshold {
		return max(time.Unix(reset, 0).Sub(now), 0)
	}
	return time.Duration(min(reset, int64(maxServerPause/time.Second))) * time.Second
}

// parseRetryAfter accepts both forms of RFC 9110: delay-seconds and an HTTP-date.
func parseRetryAfter(raw string, now time.Time) (time.Duration, bool) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return 0, false
	}
	if seconds, err := strconv.ParseInt(raw, 10, 64); err == nil {
		if seconds < 0 {
			return 0, false
		}
		return time.Duration(min(seconds, int64(maxServerPause/time.Second))) * time.Second, true
	}
	if at, err := http.ParseTime(raw); err == nil {
		return max(at.Sub(now), 0), true
	}
	return 0, false
}

// keyLimiter is the request budget of one API key: a token bucket for the client's own pace, plus a pause that
// the server imposes (429, Retry-After, an exhausted window) and that holds every caller of the key at once.
type keyLimiter struct {
	bucket *rate.Limiter

	mu          sync.Mutex
	pausedUntil time.Time

	// Counters for KeyStats, never reset.
	admitted    atomic.Uint64
	waitedNanos atomic.Int64
	rateLimited atomic.Uint64

	// health follows the key's failures and recoveries (recovery.go).
	health KeyHealth
}

// newKeyLimiter returns a limiter allowing rps requests per second with bursts of burst; rps <= 0 leaves only
// the server's pauses.
func newKeyLimiter(rps float64, burst int) *keyLimiter {
	limit := rate.Limit(rps)
	if rps <= 0 {
		limit = rate.Inf
	}
	return &keyLimiter{bucket: rate.NewLimiter(limit, max(burst, 1))}
}

// Wait blocks through any server pause, then for a token. When ctx's deadline falls before the wait would end it
// returns a *WaitError at once, so that the caller can schedule a retry instead of holding a worker.
func (l *keyLimiter) Wait(ctx context.Context) error {
	start := time.Now()
	err := l.wait(ctx)
	l.waitedNanos.Add(int64(time.Since(start)))
	if err == nil {
		l.admitted.Add(1)
	}
	return err
}

func (l *keyLimiter) wait(ctx context.Context) error {
	for {
		if err := l.waitForPause(ctx); err != nil {
			return err
		}
		reservation := l.bucket.Reserve()
		if delay := reservation.Delay(); delay > 0 {
			if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < delay {
				reservation.Cancel()
				return &WaitError{Wait: delay}
			}
			if err := sleep(ctx, delay); err != nil {
				reservation.Cancel()
				return err
			}
		}
		if time.Until(l.pauseEnd()) <= 0 {
			return nil
		}
		// A pause started while this caller waited for its token, which is spent. Holding it through the pause
		// would let every caller the pause held go at the same moment when it ends, beyond the budget; instead
		// each queues for a new token after the pause.
	}
}

func (l *keyLimiter) waitForPause(ctx context.Context) error {
	for {
		remaining := time.Until(l.pauseEnd())
		if remaining <= 0 {
			return nil
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < remaining {
			return &WaitError{Wait: remaining, ServerPause: true}
		}
		// Loop: the pause may have been extended while sleeping.
		if err := sleep(ctx, remaining); err != nil {
			return err
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// Observe pauses every caller of the key for info.RetryAfter. Pauses only ever extend, never shorten.
func (l *keyLimiter) Observe(info RateLimitInfo) {
	if info.StatusCode == http.StatusTooManyRequests {
		l.rateLimited.Add(1)
	}
	if info.RetryAfter <= 0 {
		return
	}
	l.pauseUntil(time.Now().Add(min(info.RetryAfter, maxServerPause)))
}

func (l *keyLimiter) pauseUntil(until time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if until.After(l.pausedUntil) {
		l.pausedUntil = until
	}
}

// pauseEnd returns when the current server pause ends (in the past when there is none).
func (l *keyLimiter) pauseEnd() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pausedUntil
}

// KeyStats is what the limiter of one API key has counted since the registry made it.
type KeyStats struct {
	// KeyHash names the key without revealing it: KeyHashLength hexadecimal digits of the SHA-256 of the key.
	KeyHash string
	// Admitted is the number of requests the limiter let through.
	Admitted uint64
	// Waited is the total time callers spent waiting for the budget (token bucket and server pauses), including
	// waits that ended with an error.
	Waited time.Duration
	// RateLimited is the number of 429 answers.
	RateLimited uint64
}

// KeyHashLength is the number of hexadecimal digits of KeyHash: enough to tell a project's keys apart, too few
// to confirm a guessed key.
const KeyHashLength = 8

// KeyHash returns the short hash that names apiKey in metrics: the first KeyHashLength hexadecimal digits of the
// SHA-256 of the key with surrounding whitespace removed (`printf %s "$KEY" | sha256sum | cut -c1-8`).
func KeyHash(apiKey string) string {
	digest := sha256.Sum256([]byte(strings.TrimSpace(apiKey)))
	return hexPrefix(digest)
}

func hexPrefix(digest [sha256.Size]byte) string {
	return hex.EncodeToString(digest[:KeyHashLength/2])
}

// LimiterRegistry hands out one limiter per API key, so that every client of a key shares one budget. Keys are
// held only as SHA-256 digests. The zero value allows any pace and honours only the server's pauses.
type LimiterRegistry struct {
	rps   float64
	burst int

	mu       sync.Mutex
	limiters map[[sha256.Size]byte]*keyLimiter
}

// NewLimiterRegistry returns a registry whose limiters allow rps requests per second with bursts of burst.
func NewLimiterRegistry(rps float64, burst int) *LimiterRegistry {
	return &LimiterRegistry{rps: rps, burst: burst}
}

// Rate returns the budget of every key in requests per second (0: unlimited, only the server's pauses apply).
func (r *LimiterRegistry) Rate() float64 {
	return max(r.rps, 0)
}

// Stats returns the counters of every key's limiter, one KeyStats per key used so far.
func (r *LimiterRegistry) Stats() []KeyStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	stats := make([]KeyStats, 0, len(r.limiters))
	for digest, l := range r.limiters {
		stats = append(stats, KeyStats{
			KeyHash:     hexPrefix(digest),
			Admitted:    l.admitted.Load(),
			Waited:      time.Duration(l.waitedNanos.Load()),
			RateLimited: l.rateLimited.Load(),
		})
	}
	return stats
}

// For returns the limiter of apiKey, creating it on first use.
func (r *LimiterRegistry) For(apiKey string) Limiter {
	return r.keyLimiter(apiKey)
}

func (r *LimiterRegistry) keyLimiter(apiKey string) *keyLimiter {
	digest := sha256.Sum256([]byte(strings.TrimSpace(apiKey)))
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.limiters == nil {
		r.limiters = make(map[[sha256.Size]byte]*keyLimiter)
	}
	limiter, ok := r.limiters[digest]
	if !ok {
		limiter = newKeyLimiter(r.rps, r.burst)
		r.limiters[digest] = limiter
	}
	return limiter
}
