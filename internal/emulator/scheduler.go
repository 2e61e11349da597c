// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator

import (
	"context"
	"encoding/base64"
	"errors"
	"sync"
	"time"
	"unicode/utf8"
)

// Delivery states.
const (
	// deliveryQueued waits in its destination's queue: not tried yet, held while the destination is paused
	// or its circuit open, or cut short by the circuit opening during its retries.
	deliveryQueued    = "queued"
	deliverySucceeded = "succeeded"
	deliveryFailed    = "failed"
)

// Delivery is one event routed through one connection, as GET /_emulator/connections/{id}/deliveries shows
// it.
type Delivery struct {
	ID            string `json:"id"`
	EventID       string `json:"event_id"`
	ConnectionID  string `json:"connection_id"`
	DestinationID string `json:"destination_id"`
	// Status is queued, succeeded or failed.
	Status string `json:"status"`
	// Body is what the destination receives, the event's body or the transform's output, encoded as Event's
	// Body is; null when the transform failed.
	Body         *string `json:"body"`
	BodyEncoding string  `json:"body_encoding"`
	ContentType  *string `json:"content_type"`
	CreatedAt    string  `json:"created_at"`
	// CompletedAt is the time the delivery succeeded or failed for good; null while queued.
	CompletedAt *string           `json:"completed_at"`
	Attempts    []DeliveryAttempt `json:"attempts"`
}

// DeliveryAttempt is one attempt of a Delivery. A transform that failed is one failed attempt, made when
// the event was routed, with the error "Transform failed: <reason>".
type DeliveryAttempt struct {
	Attempt     int    `json:"attempt"`
	AttemptedAt string `json:"attempted_at"`
	Succeeded   bool   `json:"succeeded"`
	// ResponseStatus is the receiver's HTTP status; null when none answered or nothing was sent.
	ResponseStatus *int    `json:"response_status"`
	Error          *string `json:"error"`
}

// deliveryRecord is a stored delivery: the admin view plus what the scheduler needs.
type deliveryRecord struct {
	Delivery
	body         []byte
	attemptsMade int
}

// view fills in the admin view's body from the stored one.
func (d deliveryRecord) view() Delivery {
	out := d.Delivery
	if d.body != nil {
		text, encoding := string(d.body), "text"
		if !utf8.Valid(d.body) {
			text, encoding = base64.StdEncoding.EncodeToString(d.body), "base64"
		}
		out.Body, out.BodyEncoding = &text, encoding
	} else {
		out.BodyEncoding = "text"
	}
	return out
}

// scheduler runs the queue of each destination: one goroutine per destination with queued deliveries,
// taking them oldest first, so that a slow receiver holds up its own queue only.
type scheduler struct {
	mu sync.Mutex
	// running marks the destinations whose queue a goroutine is draining; again, those kicked meanwhile,
	// whose queue is looked at once more before the goroutine ends.
	running, again map[string]bool
	// timers wake the queue of a destination when its open circuit lets a probe through.
	timers map[string]*time.Timer
	// idle is closed while no queue is being drained.
	idle   chan struct{}
	closed bool
	wg     sync.WaitGroup
	// ctx ends when the server closes, cutting in-flight attempts short.
	ctx    context.Context
	cancel context.CancelFunc
}

func (q *scheduler) init() {
	q.running, q.again, q.timers = map[string]bool{}, map[string]bool{}, map[string]*time.Timer{}
	q.idle = make(chan struct{})
	close(q.idle)
	q.ctx, q.cancel = context.WithCancel(context.Background())
}

// kick makes sure the queue of a destination is drained, now or, when it is being drained, once more.
func (s *Server) kick(destinationID string) {
	q := &s.scheduler
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	if q.running[destinationID] {
		q.again[destinationID] = true
		return
	}
	if len(q.running) == 0 {
		q.idle = make(chan struct{})
	}
	q.running[destinationID] = true
	q.wg.Go(func() {
		for {
			s.drain(q.ctx, destinationID)
			q.mu.Lock()
			if q.again[destinationID] && !q.closed {
				delete(q.again, destinationID)
				q.mu.Unlock()
				continue
			}
			delete(q.again, destinationID)
			delete(q.running, destinationID)
			if len(q.running) == 0 {
				close(q.idle)
			}
			q.mu.Unlock()
			return
		}
	})
}

// wakeAt kicks a destination's queue after d, unless something kicks it earlier. The wait is on the real
// clock: with a fake Options.Now, WaitForDeliveries is what looks at held queues again.
func (s *Server) wakeAt(destinationID string, d time.Duration) {
	q := &s.scheduler
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	if t := q.timers[destinationID]; t != nil {
		t.Stop()
	}
	q.timers[destinationID] = time.AfterFunc(max(d, 0), func() { s.kick(destinationID) })
}

// stop ends the scheduler: no queue starts draining, in-flight attempts are cut short (and not recorded),
// and stop returns once every drain has ended.
func (q *scheduler) stop() {
	q.mu.Lock()
	q.closed = true
	for _, t := range q.timers {
		t.Stop()
	}
	q.mu.Unlock()
	q.cancel()
	q.wg.Wait()
}

// WaitForDeliveries looks at every queue with deliveries in it again, on the current clock, and waits until
// none is being drained: each delivery has then succeeded, failed, or waits for its destination (paused, or
// an open circuit). It returns how many deliveries still wait. Routing queues deliveries before the ingest
// call answers, so a WaitForDeliveries after an ingest call sees them.
func (s *Server) WaitForDeliveries(ctx context.Context) (int, error) {
	destinations, _, err := s.store.queuedDestinations(ctx)
	if err != nil {
		return 0, err
	}
	for _, id := range destinations {
		s.kick(id)
	}
	q := &s.scheduler
	for {
		q.mu.Lock()
		busy, idle := len(q.running) > 0, q.idle
		q.mu.Unlock()
		if !busy {
			break
		}
		select {
		case <-idle:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	_, queued, err := s.store.queuedDestinations(ctx)
	return queued, err
}

// ConnectionDeliveries returns the deliveries a connection of any project routed, oldest first.
func (s *Server) ConnectionDeliveries(ctx context.Context, id string) ([]Delivery, error) {
	if _, err := s.store.connections.lookup(ctx, "", id); err != nil {
		return nil, err
	}
	records, err := s.store.connectionDeliveries(ctx, id)
	if err != nil {
		return nil, err
	}
	deliveries := make([]Delivery, 0, len(records))
	for _, r := range records {
		deliveries = append(deliveries, r.view())
	}
	return deliveries, nil
}

// drain delivers the queue of one destination, oldest first, until it is empty or held.
func (s *Server) drain(ctx context.Context, destinationID string) {
	for ctx.Err() == nil {
		done, err := s.deliverNext(ctx, destinationID)
		if err != nil {
			if ctx.Err() == nil {
				s.logger.Error("delivery failed", "destination_id", destinationID, "error", err)
			}
			return
		}
		if !done {
			return
		}
	}
}

// deliverNext makes the attempts of the oldest queued delivery of a destination, under its policies, as
// Deliver does (retries back to back; their waits are not slept). It reports whether that delivery
// finished, so that the next one can go. A paused or disabled destination, or an open circuit, holds the
// queue; a circuit that opens during the retries holds the delivery, which goes on with its next attempt
// when the circuit lets a probe through.
func (s *Server) deliverNext(ctx context.Context, destinationID string) (bool, error) {
	unlock := s.lockDestination(destinationID)
	defer unlock()
	r, err := s.store.destinations.lookup(ctx, "", destinationID)
	if errors.Is(err, ErrNotFound) {
		// Deleting a destination deletes its deliveries; nothing is left to send.
		return false, nil
	}
	if err != nil || r.Status != "active" {
		return false, err
	}
	d, found, err := s.store.nextQueued(ctx, destinationID)
	if err != nil || !found {
		return false, err
	}
	retry, breaker := retryPolicyFor(&r.Destination), breakerPolicyFor(&r.Destination)
	step := deliveryStep{delivery: &d, destination: &r}
	if d.attemptsMade == 0 {
		step.routed = 1
	}
	closing := false
	for d.attemptsMade < retry.maxAttempts {
		now := s.now()
		if !r.allowAttempt(now, breaker) {
			s.wakeAt(destinationID, time.UnixMilli(*r.circuit.openedAtMS+breaker.resetMS).Sub(now))
			break
		}
		attempt := d.attemptsMade + 1
		status, err := s.send(ctx, &r.Destination, outbound{
			eventID: d.EventID, attempt: attempt, body: d.body, contentType: derefString(d.ContentType), at: now,
		})
		if ctx.Err() != nil {
			// The server is closing: this attempt did not happen; the earlier ones of this turn are kept.
			closing = true
			break
		}
		r.recordAttempt(now, err == nil, breaker)
		at := formatTime(now)
		record := DeliveryAttempt{Attempt: attempt, AttemptedAt: at, Succeeded: err == nil}
		if status != 0 {
			record.ResponseStatus = &status
		}
		if err != nil {
			message := err.Error()
			record.Error = &message
		}
		step.attempts = append(step.attempts, record)
		step.lastDeliveryAt = &at
		d.attemptsMade = attempt
		if err == nil {
			d.Status = deliverySucceeded
			break
		}
	}
	if len(step.attempts) == 0 && d.attemptsMade < retry.maxAttempts {
		// Held by the circuit, or closing, before anything was sent: nothing changed.
		return false, ctx.Err()
	}
	if len(step.attempts) == 0 {
		step.routed = 0
	}
	if d.Status == deliveryQueued && d.attemptsMade >= retry.maxAttempts {
		d.Status = deliveryFailed
	}
	if d.Status != deliveryQueued {
		at := formatTime(s.now())
		d.CompletedAt = &at
	}
	// The store may be closing while ctx is already done; the bookkeeping of attempts made must still land.
	if err := s.store.saveDeliveryStep(context.WithoutCancel(ctx), step); err != nil {
		return false, err
	}
	if closing {
		return false, ctx.Err()
	}
	return d.Status != deliveryQueued, nil
}

func derefString(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
