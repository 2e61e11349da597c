// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hookstream

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
)

// readGroup lets identical reads of one client share one request while it waits for the rate budget. Under a
// saturated budget every call queues at the limiter for seconds, and callers of the same kind often queue for the
// same read: the lookups by natural key of several objects list the same page. A read that finds an identical
// one waiting for its turn joins it instead of queueing a request of its own, and takes its answer.
//
// Only a request not yet sent takes joiners: it is sent after each of them asked, so it sees every change made
// before they asked (a lookup after a create whose answer was lost finds what that create made). Once the limiter
// lets the request go, a new identical read makes a request of its own.
type readGroup struct {
	mu      sync.Mutex
	waiting map[string]*sharedRead
	// joined counts the reads that took another's answer instead of making a request.
	joined atomic.Uint64
}

// sharedRead is one request and the reads that take its answer.
type sharedRead struct {
	done chan struct{}
	// sent reports that the request went out; when it did not (its caller gave up while waiting for the budget),
	// the joiners try again on their own.
	sent bool
	// abandoned reports that the caller of the request gave up while it was under way: its answer says nothing of
	// hookstream, and the joiners try again.
	abandoned bool
	resp      *response
	told      outcome
	err       error
}

// do makes the read req with client c, sharing the request of an identical read that waits for the rate budget.
func (g *readGroup) do(ctx context.Context, c *Client, req call) (*response, error) {
	key := req.path
	if len(req.query) > 0 {
		key += "?" + req.query.Encode()
	}
	for {
		g.mu.Lock()
		if s := g.waiting[key]; s != nil {
			g.mu.Unlock()
			select {
			case <-s.done:
			case <-ctx.Done():
				return nil, fmt.Errorf("hookstream: %s: waiting for an identical read: %w", req.route, ctx.Err())
			}
			if !s.sent || s.abandoned {
				continue
			}
			g.joined.Add(1)
			s.told.tell(callLogFrom(ctx))
			return s.resp, s.err
		}
		s := &sharedRead{done: make(chan struct{})}
		if g.waiting == nil {
			g.waiting = map[string]*sharedRead{}
		}
		g.waiting[key] = s
		g.mu.Unlock()

		stopWaiting := func() {
			g.mu.Lock()
			defer g.mu.Unlock()
			if g.waiting[key] == s {
				delete(g.waiting, key)
			}
		}
		resp, told, err := c.send(ctx, req, func() {
			stopWaiting()
			s.sent = true
		})
		stopWaiting()
		s.resp, s.told, s.err = resp, told, err
		s.abandoned = err != nil && ctx.Err() != nil
		close(s.done)
		return resp, err
	}
}

// SharedReads returns how many reads took the answer of an identical read instead of making a request.
func (c *Client) SharedReads() uint64 {
	if c.reads == nil {
		return 0
	}
	return c.reads.joined.Load()
}
