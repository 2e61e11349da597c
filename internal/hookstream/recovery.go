// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hookstream

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

const (
	// ProbeInterval is how long a key that is down may stay without any call before one caller may probe it
	// (TryProbe): the longest a recovery goes unnoticed when every caller of the key waits on its backoff.
	ProbeInterval = time.Second
	// downAfterCallers is how many distinct callers must have failed in a row for the key to count as down: one
	// caller failing alone (a request hookstream chokes on) says nothing about the others.
	downAfterCallers = 2
)

// KeyHealth follows whether hookstream serves the calls of one API key: it tells when the key goes down (calls of
// several callers fail in a row: transport errors, timeouts, 429 and 5xx answers) and when it recovers (a call
// succeeds after that), and paces what waited for the recovery at the key's rate budget. Every client of the key
// shares it through the key's limiter (LimiterRegistry).
type KeyHealth struct {
	limiter *keyLimiter

	once sync.Once
	pace *rate.Limiter

	mu        sync.Mutex
	lastCall  time.Time
	lastProbe time.Time
	// failures counts the failed calls in a row; callers the distinct callers (CallLogs) among them.
	failures   int
	callers    int
	lastFailer *CallLog
	down       bool
	// recoveries counts the recoveries so far.
	recoveries uint64
	watchers   map[uint64]func()
	nextID     uint64
}

// Health returns the KeyHealth of the client's API key, shared by every client of the key; nil when the client
// has no limiter of a LimiterRegistry.
func (c *Client) Health() *KeyHealth {
	if l, ok := c.limiter.(*keyLimiter); ok {
		return l.keyHealth()
	}
	return nil
}

// keyHealth returns the limiter's KeyHealth, bound to the limiter on first use.
func (l *keyLimiter) keyHealth() *KeyHealth {
	l.health.once.Do(func() {
		l.health.limiter = l
		l.health.pace = rate.NewLimiter(l.bucket.Limit(), l.bucket.Burst())
	})
	return &l.health
}

// Down reports whether the last calls of the key failed, from more than one caller.
func (h *KeyHealth) Down() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.down
}

// OnRecovered calls f each time a call of the key succeeds while the key is down. f runs on the goroutine of the
// call that succeeded, so it must not block. The returned function stops the calls.
func (h *KeyHealth) OnRecovered(f func()) (stop func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.watchers == nil {
		h.watchers = map[uint64]func(){}
	}
	id := h.nextID
	h.nextID++
	h.watchers[id] = f
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.watchers, id)
	}
}

// TryProbe reports whether the caller may try the key now although it is down: no call was made for
// ProbeInterval, and no probe was granted within it. Without probes, a recovery would go unnoticed until the
// first backoff of a caller ends.
func (h *KeyHealth) TryProbe() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := time.Now()
	if !h.down || now.Sub(h.lastCall) < ProbeInterval || now.Sub(h.lastProbe) < ProbeInterval {
		return false
	}
	h.lastProbe = now
	return true
}

// TryIdle reports whether the caller may use the key's budget, left unused, for one call: the key is up, no call
// was made for ProbeInterval, and no such call (or probe) was granted within it. What waits on its backoff for the
// key can then go at once, with a budget that would otherwise stay unused.
func (h *KeyHealth) TryIdle() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := time.Now()
	if h.down || now.Sub(h.lastCall) < ProbeInterval || now.Sub(h.lastProbe) < ProbeInterval {
		return false
	}
	h.lastProbe = now
	return true
}

// WaitTurn blocks until one more caller may be let go after a recovery: through any pause hookstream asked the
// key for, then for a turn at the key's rate and burst (--hookstream-rate-limit, --hookstream-rate-burst), so
// that what waited for the recovery goes in no faster than the key's budget lets it. The turns are separate from
// the budget's tokens, which the released callers' own calls take.
func (h *KeyHealth) WaitTurn(ctx context.Context) error {
	if err := h.limiter.waitForPause(ctx); err != nil {
		return err
	}
	return h.pace.Wait(ctx)
}

// outcome is what one call told its key's health: whether it failed, and the key's count of recoveries then; health
// is nil when nothing was recorded (no KeyHealth, or a call cut short by its caller).
type outcome struct {
	health     *KeyHealth
	failed     bool
	recoveries uint64
}

// tell records a failed outcome in log too, for a caller that shared the call (shared.go) and so made none of its
// own: the key's health counted the call once, when it ended.
func (o outcome) tell(log *CallLog) {
	if o.health != nil && o.failed && log != nil {
		log.failed(o.health, o.recoveries)
	}
}

// record notes the outcome of one call made for log (nil: a call outside any CallLog).
func (h *KeyHealth) record(log *CallLog, failed bool) outcome {
	h.mu.Lock()
	h.lastCall = time.Now()
	var notify []func()
	if failed {
		if h.failures == 0 || log == nil || log != h.lastFailer {
			h.callers++
		}
		h.failures++
		h.lastFailer = log
		h.down = h.down || h.callers >= downAfterCallers
	} else {
		if h.down {
			h.recoveries++
			for _, f := range h.watchers {
				notify = append(notify, f)
			}
		}
		h.failures, h.callers, h.lastFailer, h.down = 0, 0, nil, false
	}
	recoveries := h.recoveries
	h.mu.Unlock()
	if failed && log != nil {
		log.failed(h, recoveries)
	}
	for _, f := range notify {
		f()
	}
	return outcome{health: h, failed: failed, recoveries: recoveries}
}

// recordOutcome tells the key's health, and the CallLog of ctx, how a call that reached the network ended: code
// is the HTTP status, 0 when no answer came. A call cut short by its caller says nothing about hookstream.
func (c *Client) recordOutcome(ctx context.Context, code int) outcome {
	h := c.Health()
	if h == nil || (code == 0 && errors.Is(ctx.Err(), context.Canceled)) {
		return outcome{}
	}
	failed := code == 0 || code == http.StatusTooManyRequests || code >= http.StatusInternalServerError
	log := callLogFrom(ctx)
	return h.record(log, failed)
}

// CallLog collects what the calls made with one context (one unit of work, such as a reconcile) met: the key of
// the last call that failed.
type CallLog struct {
	mu         sync.Mutex
	lastFailed *KeyHealth
	// recoveries is lastFailed's count of recoveries when the call failed.
	recoveries uint64
}

type callLogKey struct{}

// WithCallLog returns a context whose calls are recorded in the returned CallLog.
func WithCallLog(ctx context.Context) (context.Context, *CallLog) {
	log := &CallLog{}
	return context.WithValue(ctx, callLogKey{}, log), log
}

func callLogFrom(ctx context.Context) *CallLog {
	log, _ := ctx.Value(callLogKey{}).(*CallLog)
	return log
}

func (l *CallLog) failed(h *KeyHealth, recoveries uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lastFailed, l.recoveries = h, recoveries
}

// Failed returns the health of the key whose call failed last (a transport error, a timeout, a 429 or 5xx answer),
// nil when no call failed.
func (l *CallLog) Failed() *KeyHealth {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lastFailed
}

// RecoveredSince reports whether the key of Failed has recovered since that call failed: what waits for its
// recovery need not wait.
func (l *CallLog) RecoveredSince() bool {
	l.mu.Lock()
	h, at := l.lastFailed, l.recoveries
	l.mu.Unlock()
	if h == nil {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.recoveries != at
}
