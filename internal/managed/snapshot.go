// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0
package managed

import (
	"context"
	"crypto/sha256"
	"iter"
	"maps"
	"sync"
	"time"
)

const (
	// ObserveByList reads every remote row of an API key with one paginated list per drift interval, shared by
	// all of the key's objects of a kind: ceil(N/100) calls per interval instead of N.
	ObserveByList = "list"
	// ObserveByGet reads each remote row by id on every check (the baseline the list mode is measured against).
	ObserveByGet = "get"
)

// Lister is what a snapshot reads: one kind's rows of one API key.
type Lister[R any] interface {
	Observe(ctx context.Context, id string) (R, error)
	List(ctx context.Context) iter.Seq2[R, error]
}

// snapshots holds, per API key, the rows of one kind as last listed. Periodic checks read them instead of one GET
// each; a row missing from the snapshot (created since) is read by id.
type snapshots[R any] struct {
	row   func(R) Row
	mu    sync.Mutex
	byKey map[[sha256.Size]byte]*snapshot[R]
}

type snapshot[R any] struct {
	mu      sync.Mutex
	rows    map[string]R
	takenAt time.Time
	// listing is closed when the list in flight ends; nil while none is.
	listing chan struct{}
	// lists counts the lists that succeeded.
	lists int
}

func newSnapshots[R any](row func(R) Row) *snapshots[R] {
	return &snapshots[R]{row: row, byKey: map[[sha256.Size]byte]*snapshot[R]{}}
}

// forKey returns the snapshot of an API key. Keys are held hashed, never in clear.
func (s *snapshots[R]) forKey(apiKey string) *snapshot[R] {
	id := sha256.Sum256([]byte(apiKey))
	s.mu.Lock()
	defer s.mu.Unlock()
	snap, ok := s.byKey[id]
	if !ok {
		snap = &snapshot[R]{}
		s.byKey[id] = snap
	}
	return snap
}

// get returns the row with the id from the key's snapshot, listing anew when it is older than maxAge, the
// interval of the object that reads it: objects of several intervals list the key once per the shortest. One
// caller lists; the others read the previous list's rows meanwhile (by id those it lacks) instead of waiting
// behind the sweep, except during the key's first list, which they wait for.
func (s *snapshots[R]) get(ctx context.Context, apiKey string, hs Lister[R], id string, maxAge time.Duration) (R, error) {
	snap := s.forKey(apiKey)
	snap.mu.Lock()
	for snap.lists == 0 && snap.listing != nil {
		// The key's first list is in flight (after a start): there are no rows to read yet, and reading each by id
		// meanwhile would cost one call per object. Wait for it.
		inFlight := snap.listing
		snap.mu.Unlock()
		select {
		case <-inFlight:
		case <-ctx.Done():
			var zero R
			return zero, ctx.Err()
		}
		snap.mu.Lock()
	}
	refresh := snap.listing == nil && time.Since(snap.takenAt) >= maxAge
	if refresh {
		snap.listing = make(chan struct{})
	}
	snap.mu.Unlock()
	if refresh {
		if err := s.refresh(ctx, snap, hs); err != nil {
			var zero R
			return zero, err
		}
	}
	snap.mu.Lock()
	row, ok := snap.rows[id]
	snap.mu.Unlock()
	if ok {
		return row, nil
	}
	row, err := hs.Observe(ctx, id)
	if err == nil {
		s.put(apiKey, row)
	}
	return row, err
}

// refresh lists the rows into snap; the caller set snap.listing, which refresh closes however the list ends.
func (s *snapshots[R]) refresh(ctx context.Context, snap *snapshot[R], hs Lister[R]) error {
	started := time.Now()
	rows := map[string]R{}
	complete := false
	defer func() {
		snap.mu.Lock()
		defer snap.mu.Unlock()
		close(snap.listing)
		snap.listing = nil
		if !complete {
			return
		}
		// Rows the operator wrote while the list ran are newer than what the list saw.
		for id, row := range snap.rows {
			if listed, ok := rows[id]; ok && s.row(row).UpdatedAt.After(s.row(listed).UpdatedAt) {
				rows[id] = row
			}
		}
		snap.rows, snap.takenAt = rows, started
		snap.lists++
	}()
	for row, err := range hs.List(ctx) {
		if err != nil {
			return err
		}
		rows[s.row(row).ID] = row
	}
	complete = true
	return nil
}

// relist returns a copy of the key's rows as freshly listed: it waits for a list in flight (a drift check's) and
// takes its rows when it succeeds, however long it took, or takes those of a list begun less than fresh ago, and
// lists anew only when neither is there. Without it, a status refresh and the drift checks whose snapshot expires
// at the same moment would each list the key within the same interval.
func (s *snapshots[R]) relist(ctx context.Context, apiKey string, hs Lister[R], fresh time.Duration) (map[string]R, error) {
	snap := s.forKey(apiKey)
	snap.mu.Lock()
	for snap.listing != nil {
		inFlight, lists := snap.listing, snap.lists
		snap.mu.Unlock()
		select {
		case <-inFlight:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		snap.mu.Lock()
		if snap.lists > lists {
			defer snap.mu.Unlock()
			return maps.Clone(snap.rows), nil
		}
	}
	if snap.rows != nil && time.Since(snap.takenAt) < fresh {
		defer snap.mu.Unlock()
		return maps.Clone(snap.rows), nil
	}
	snap.listing = make(chan struct{})
	snap.mu.Unlock()
	if err := s.refresh(ctx, snap, hs); err != nil {
		return nil, err
	}
	snap.mu.Lock()
	defer snap.mu.Unlock()
	return maps.Clone(snap.rows), nil
}

// put records a row the operator just wrote or read.
func (s *snapshots[R]) put(apiKey string, row R) {
	snap := s.forKey(apiKey)
	snap.mu.Lock()
	defer snap.mu.Unlock()
	if snap.rows != nil {
		snap.rows[s.row(row).ID] = row
	}
}

// forget drops a row that hookstream no longer has.
func (s *snapshots[R]) forget(apiKey, id string) {
	snap := s.forKey(apiKey)
	snap.mu.Lock()
	defer snap.mu.Unlock()
	delete(snap.rows, id)
}
