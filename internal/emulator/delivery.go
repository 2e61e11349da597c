// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// maxDeliveryCount bounds one delivery call.
const maxDeliveryCount = 1000

// DeliveryResult reports one delivery call. Every requested event ends up in exactly one of Succeeded,
// Failed or Skipped; Attempted = Succeeded + Failed.
type DeliveryResult struct {
	DestinationID string `json:"destination_id"`
	Type          string `json:"type"`
	// Status is the destination's status; only active destinations receive events.
	Status    string `json:"status"`
	Requested int    `json:"requested"`
	// Attempted counts events with at least one delivery attempt.
	Attempted int `json:"attempted"`
	Succeeded int `json:"succeeded"`
	// Failed counts events whose attempts all failed, or whose retries the opening circuit cut short.
	Failed int `json:"failed"`
	// Skipped counts events never attempted: the destination was not active, or its circuit was open.
	Skipped int `json:"skipped"`
	// Attempts counts delivery attempts, first tries and retries together.
	Attempts int `json:"attempts"`
	Retries  int `json:"retries"`
	// RetryScheduleSeconds is the wait before each retry under the destination's policy
	// (retry 1 first). The emulator computes these waits but does not sleep them.
	RetryScheduleSeconds []int64 `json:"retry_schedule_seconds"`
	// BackoffSeconds is the sum of the waits the retries of this call would have slept.
	BackoffSeconds int64 `json:"backoff_seconds"`
	// LastError describes the last failed attempt ("HTTP 500", or the network error).
	LastError    string  `json:"last_error,omitempty"`
	CircuitState string  `json:"circuit_state"`
	FailureCount int64   `json:"failure_count"`
	EventCount   int64   `json:"event_count"`
	LastDelivery *string `json:"last_delivery_at"`
}

type retryPolicy struct {
	maxAttempts int
	backoff     string
	intervals   []int64
}

// retryPolicyFor resolves NULL columns to the platform defaults. retry_max_attempts counts all attempts,
// the first one included; retry_enabled = 0 means a single attempt.
func retryPolicyFor(d *Destination) retryPolicy {
	p := retryPolicy{maxAttempts: defaultRetryMaxAttempts, backoff: defaultRetryBackoffType, intervals: defaultRetryIntervals}
	if d.RetryMaxAttempts != nil {
		p.maxAttempts = int(*d.RetryMaxAttempts)
	}
	if d.RetryEnabled != nil && *d.RetryEnabled == 0 {
		p.maxAttempts = 1
	}
	if d.RetryBackoffType != nil {
		p.backoff = *d.RetryBackoffType
	}
	if d.RetryIntervals != nil {
		var intervals []int64
		if err := json.Unmarshal([]byte(*d.RetryIntervals), &intervals); err == nil && len(intervals) > 0 {
			p.intervals = intervals
		}
	}
	return p
}

// wait is the documented backoff before retry n (1-based): exponential intervals[min(n-1, len-1)],
// linear intervals[0]*n, fixed intervals[0].
func (p retryPolicy) wait(n int) int64 {
	switch p.backoff {
	case "linear":
		return p.intervals[0] * int64(n)
	case "fixed":
		return p.intervals[0]
	default:
		return p.intervals[min(n-1, len(p.intervals)-1)]
	}
}

func (p retryPolicy) schedule() []int64 {
	waits := make([]int64, 0, max(0, p.maxAttempts-1))
	for n := 1; n < p.maxAttempts; n++ {
		waits = append(waits, p.wait(n))
	}
	return waits
}

type breakerPolicy struct {
	enabled   bool
	threshold int64
	resetMS   int64
}

func breakerPolicyFor(d *Destination) breakerPolicy {
	p := breakerPolicy{enabled: true, threshold: defaultCircuitBreakerThreshold, resetMS: defaultCircuitBreakerResetMS}
	if d.CircuitBreakerEnabled != nil && *d.CircuitBreakerEnabled == 0 {
		p.enabled = false
	}
	if d.CircuitBreakerThreshold != nil {
		p.threshold = *d.CircuitBreakerThreshold
	}
	if d.CircuitBreakerResetMS != nil {
		p.resetMS = *d.CircuitBreakerResetMS
	}
	return p
}

// circuitView is the state the API reports. An open circuit whose cooldown has elapsed reads as
// half-open from the moment the cooldown ended: the next event is the probe.
func (r *record) circuitView(now time.Time) Circuit {
	c := r.circuit
	view := Circuit{State: c.state, FailureCount: c.failureCount, LastTransitionAt: c.transitionAt}
	if c.state == CircuitOpen && c.openedAtMS != nil {
		probeAtMS := *c.openedAtMS + breakerPolicyFor(&r.Destination).resetMS
		if now.UnixMilli() >= probeAtMS {
			view.State = CircuitHalfOpen
			at := formatTime(time.UnixMilli(probeAtMS))
			view.LastTransitionAt = &at
		}
	}
	return view
}

func (r *record) setCircuitState(state string, now time.Time) {
	if r.circuit.state == state {
		return
	}
	r.circuit.state = state
	at := formatTime(now)
	r.circuit.transitionAt = &at
	r.circuit.openedAtMS = nil
	if state == CircuitOpen {
		ms := now.UnixMilli()
		r.circuit.openedAtMS = &ms
	}
}

func (r *record) resetCircuit(now time.Time) {
	r.setCircuitState(CircuitClosed, now)
	r.circuit.failureCount = 0
}

// allowAttempt applies the breaker before an attempt: an open circuit refuses until its cooldown has
// elapsed, then lets one probe through in the half-open state.
func (r *record) allowAttempt(now time.Time, p breakerPolicy) bool {
	if !p.enabled || r.circuit.state != CircuitOpen {
		return true
	}
	if r.circuit.openedAtMS != nil && now.UnixMilli() < *r.circuit.openedAtMS+p.resetMS {
		return false
	}
	r.setCircuitState(CircuitHalfOpen, now)
	return true
}

func (r *record) recordAttempt(now time.Time, succeeded bool, p breakerPolicy) {
	if succeeded {
		r.circuit.failureCount = 0
		r.setCircuitState(CircuitClosed, now)
		return
	}
	r.circuit.failureCount++
	if p.enabled && (r.circuit.state == CircuitHalfOpen || r.circuit.failureCount >= p.threshold) {
		r.setCircuitState(CircuitOpen, now)
	}
}

// Deliver routes count events (1..1000) to the destination with this id, in any project, the way
// hookstream would: see the package documentation. It returns ErrNotFound for an unknown id and
// ErrInvalidArgument for a count out of range. When ctx ends early, the events handled so far are
// recorded and reported together with ctx's error.
func (s *Server) Deliver(ctx context.Context, id string, count int) (DeliveryResult, error) {
	if count < 1 || count > maxDeliveryCount {
		return DeliveryResult{}, fmt.Errorf("%w: count must be between 1 and %d, got %d", ErrInvalidArgument, maxDeliveryCount, count)
	}
	unlock := s.lockDestination(id)
	defer unlock()

	r, err := s.store.destinations.lookup(ctx, "", id)
	if err != nil {
		return DeliveryResult{}, err
	}
	retry := retryPolicyFor(&r.Destination)
	breaker := breakerPolicyFor(&r.Destination)
	result := DeliveryResult{
		DestinationID:        r.ID,
		Type:                 r.Type,
		Status:               r.Status,
		Requested:            count,
		RetryScheduleSeconds: retry.schedule(),
	}

	var routed int64
	var lastDeliveryAt *string
	var deliverErr error
	if r.Status != "active" {
		// Paused and disabled destinations are not routed events at all.
		result.Skipped = count
	} else {
		for seq := 1; seq <= count; seq++ {
			if deliverErr = ctx.Err(); deliverErr != nil {
				break
			}
			routed++
			if at := s.deliverEvent(ctx, &r, retry, breaker, seq, &result); at != nil {
				lastDeliveryAt = at
			}
		}
	}

	// The store may be closing while ctx is already done; the bookkeeping must still land.
	if err := s.store.saveDeliveries(context.WithoutCancel(ctx), r.ID, routed, lastDeliveryAt, r.circuit); err != nil {
		return result, err
	}
	r.EventCount += routed
	if lastDeliveryAt != nil {
		r.LastDeliveryAt = lastDeliveryAt
	}
	view := r.circuitView(s.now())
	result.CircuitState, result.FailureCount = view.State, view.FailureCount
	result.EventCount, result.LastDelivery = r.EventCount, r.LastDeliveryAt
	return result, deliverErr
}

// deliverEvent sends one made-up event with its retries and returns the time of its last attempt, if any.
// Its id has the form of a stored event's, 32 hex digits.
func (s *Server) deliverEvent(ctx context.Context, r *record, retry retryPolicy, breaker breakerPolicy, seq int, result *DeliveryResult) *string {
	eventID := randomHex(16)
	var lastAttemptAt *string
	for attempt := 1; attempt <= retry.maxAttempts; attempt++ {
		now := s.now()
		if !r.allowAttempt(now, breaker) {
			if attempt == 1 {
				result.Skipped++
			} else {
				result.Failed++
			}
			return lastAttemptAt
		}
		if attempt == 1 {
			result.Attempted++
		} else {
			result.Retries++
			result.BackoffSeconds += retry.wait(attempt - 1)
		}
		result.Attempts++
		at := formatTime(now)
		lastAttemptAt = &at

		body := encodeJSON(map[string]any{
			"id":         eventID,
			"type":       "emulator.delivery",
			"created_at": formatTime(now),
			"data":       map[string]any{"destination_id": r.ID, "sequence": seq},
		})
		_, err := s.send(ctx, &r.Destination, outbound{
			eventID: eventID, attempt: attempt, body: []byte(body), contentType: "application/json", at: now,
		})
		r.recordAttempt(now, err == nil, breaker)
		if err == nil {
			result.Succeeded++
			return lastAttemptAt
		}
		result.LastError = err.Error()
	}
	result.Failed++
	return lastAttemptAt
}

// Delivery headers hookstream adds, spelt as its docs spell them.
const (
	headerEventID         = "X-hookstream-Event-Id"
	headerDeliveryAttempt = "X-hookstream-Delivery-Attempt"
	headerTimestamp       = "X-hookstream-Timestamp"
)

// outbound is one delivery attempt: the event it carries and the body the destination receives.
type outbound struct {
	eventID string
	attempt int
	body    []byte
	// contentType is the Content-Type of the body; "" sends none.
	contentType string
	at          time.Time
}

// send makes one delivery attempt and returns the receiver's status code, 0 when none answered. Only http
// destinations make a request; the other types have nothing local to talk to and count as delivered.
func (s *Server) send(ctx context.Context, d *Destination, out outbound) (int, error) {
	if d.Type != typeHTTP {
		return 0, nil
	}
	ctx, cancel := context.WithTimeout(ctx, time.Duration(d.TimeoutMS)*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, d.Method, d.URL, bytes.NewReader(out.body))
	if err != nil {
		return 0, err
	}
	if out.contentType != "" {
		req.Header.Set("Content-Type", out.contentType)
	}
	req.Header.Set("User-Agent", "hookstream-emulator")
	for name, value := range decodeStringMap(d.Headers) {
		req.Header.Set(name, value)
	}
	auth := decodeStringMap(d.AuthConfig)
	switch d.AuthType {
	case "bearer":
		req.Header.Set("Authorization", "Bearer "+auth["token"])
	case "basic":
		req.SetBasicAuth(auth["username"], auth["password"])
	case "api_key":
		req.Header.Set(auth["header"], auth["value"])
	}
	for name, value := range map[string]string{
		headerEventID:         out.eventID,
		headerDeliveryAttempt: strconv.Itoa(out.attempt),
		headerTimestamp:       strconv.FormatInt(out.at.Unix(), 10),
	} {
		req.Header.Del(name)
		req.Header[name] = []string{value}
	}

	resp, err := s.client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return resp.StatusCode, nil
}

// lockDestination serialises the delivery work of one destination, the admin API's and the scheduler's,
// so that its circuit moves through one breaker at a time. Deliveries to other destinations go on.
func (s *Server) lockDestination(id string) (unlock func()) {
	mu, _ := s.destinationLocks.LoadOrStore(id, &sync.Mutex{})
	m := mu.(*sync.Mutex)
	m.Lock()
	return m.Unlock
}
