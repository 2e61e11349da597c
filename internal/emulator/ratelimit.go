// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator

import (
	"math"
	"sync"
	"time"
)

// Without a configured rate limit the RateLimit-* headers still appear on every response, describing a
// generous fixed window that is counted but never enforced, like the docs' example (1000 per window).
const (
	unlimitedWindowLimit = 1000
	unlimitedWindow      = 60 * time.Second
)

// rateLimiter keeps one token bucket per org. RateLimit-Limit reports the bucket size (the burst),
// RateLimit-Remaining the whole tokens left, RateLimit-Reset the seconds until the bucket is full again.
type rateLimiter struct {
	mu      sync.Mutex
	rate    float64 // tokens per second; 0 = not enforced
	burst   float64
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time

	windowStart time.Time
	windowCount int
}

// rateDecision is what the RateLimit-* and Retry-After headers report for one request.
type rateDecision struct {
	allowed    bool
	limit      int
	remaining  int
	reset      int // seconds
	retryAfter int // seconds; only when not allowed
}

func newRateLimiter(rate float64, burst int) *rateLimiter {
	if burst <= 0 {
		burst = max(1, int(rate))
	}
	return &rateLimiter{rate: rate, burst: float64(burst), buckets: map[string]*bucket{}}
}

// take spends one request of the org's budget.
func (l *rateLimiter) take(org string, now time.Time) rateDecision {
	return l.decide(org, now, true)
}

// peek reports the org's budget without spending any, for answers that do not reach the limiter
// (unauthenticated requests, injected faults).
func (l *rateLimiter) peek(org string, now time.Time) rateDecision {
	return l.decide(org, now, false)
}

func (l *rateLimiter) decide(org string, now time.Time, spend bool) rateDecision {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[org]
	if !ok {
		b = &bucket{tokens: l.burst, last: now, windowStart: now}
		if spend {
			l.buckets[org] = b
		}
	}
	if l.rate <= 0 {
		return b.countInWindow(now, spend)
	}

	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = math.Min(l.burst, b.tokens+elapsed*l.rate)
		b.last = now
	}
	d := rateDecision{allowed: true, limit: int(l.burst)}
	if spend {
		if b.tokens >= 1 {
			b.tokens--
		} else {
			d.allowed = false
			d.retryAfter = max(1, ceilSeconds((1-b.tokens)/l.rate))
		}
	}
	d.remaining = int(math.Floor(b.tokens))
	d.reset = ceilSeconds((l.burst - b.tokens) / l.rate)
	return d
}

func (b *bucket) countInWindow(now time.Time, spend bool) rateDecision {
	if now.Sub(b.windowStart) >= unlimitedWindow || now.Before(b.windowStart) {
		b.windowStart, b.windowCount = now, 0
	}
	if spend {
		b.windowCount++
	}
	return rateDecision{
		allowed:   true,
		limit:     unlimitedWindowLimit,
		remaining: max(0, unlimitedWindowLimit-b.windowCount),
		reset:     ceilSeconds(b.windowStart.Add(unlimitedWindow).Sub(now).Seconds()),
	}
}

// ceilSeconds rounds up, ignoring float noise below a microsecond so that exactly 1 s reads as 1.
func ceilSeconds(seconds float64) int {
	if seconds <= 1e-6 {
		return 0
	}
	return int(math.Ceil(seconds - 1e-6))
}
