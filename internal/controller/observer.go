/*
Copyright 2026.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package controller

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"

	"github.com/hookstream/hookstream-operator/internal/hookstream"
)

// Observation modes of periodic drift checks.
const (
	// ObserveByList reads every destination of an API key with one paginated list per drift interval, shared by
	// all of the key's Destinations: ceil(N/100) calls per interval instead of N.
	ObserveByList = "list"
	// ObserveByGet reads each destination by id on every check (the baseline the list mode is measured against).
	ObserveByGet = "get"
)

// remoteSnapshots holds, per API key, the rows of the last full list. Periodic checks read a row from it while it
// is younger than maxAge; a reconcile caused by a change (of the spec, a Secret, or a requested check) always reads
// hookstream directly, so the snapshot only ever delays the detection of changes made outside the operator.
type remoteSnapshots struct {
	maxAge time.Duration
	mu     sync.Mutex
	byKey  map[[sha256.Size]byte]*snapshot
}

type snapshot struct {
	mu         sync.Mutex
	rows       map[string]*hookstream.Destination
	takenAt    time.Time
	refreshing bool
}

func newRemoteSnapshots(maxAge time.Duration) *remoteSnapshots {
	return &remoteSnapshots{maxAge: maxAge, byKey: map[[sha256.Size]byte]*snapshot{}}
}

func (s *remoteSnapshots) forKey(apiKey string) *snapshot {
	id := sha256.Sum256([]byte(apiKey))
	s.mu.Lock()
	defer s.mu.Unlock()
	snap, ok := s.byKey[id]
	if !ok {
		snap = &snapshot{}
		s.byKey[id] = snap
	}
	return snap
}

// get returns the row with the id from the key's snapshot. The one caller that finds the snapshot older than
// maxAge lists the key's destinations; callers meanwhile read the previous snapshot rather than wait, so that no
// more than one worker is ever busy with a sweep and a user's change always finds a free one. A row missing from
// the snapshot (created after it, or gone) is read by id.
func (s *remoteSnapshots) get(ctx context.Context, apiKey string, hs HookstreamClient, id string) (*hookstream.Destination, error) {
	snap := s.forKey(apiKey)
	snap.mu.Lock()
	refresh := !snap.refreshing && time.Since(snap.takenAt) >= s.maxAge
	if refresh {
		snap.refreshing = true
	}
	snap.mu.Unlock()
	if refresh {
		if err := snap.refresh(ctx, hs); err != nil {
			return nil, err
		}
	}
	snap.mu.Lock()
	row, ok := snap.rows[id]
	snap.mu.Unlock()
	if ok {
		return row, nil
	}
	row, err := hs.GetDestination(ctx, id)
	if err == nil {
		s.put(apiKey, row)
	}
	return row, err
}

// refresh replaces the snapshot with a full list of the key's destinations.
func (snap *snapshot) refresh(ctx context.Context, hs HookstreamClient) error {
	started := time.Now()
	rows := map[string]*hookstream.Destination{}
	var listErr error
	for row, err := range hs.AllDestinations(ctx) {
		if err != nil {
			listErr = err
			break
		}
		rows[row.ID] = row
	}
	snap.mu.Lock()
	defer snap.mu.Unlock()
	snap.refreshing = false
	if listErr != nil {
		return listErr
	}
	// Rows the operator wrote while the list ran are newer than what the list saw.
	for id, row := range snap.rows {
		if listed, ok := rows[id]; ok && row.UpdatedAt.After(listed.UpdatedAt) {
			rows[id] = row
		}
	}
	snap.rows, snap.takenAt = rows, started
	return nil
}

// put records a row the operator just read or wrote, so the snapshot never holds an older version of it.
func (s *remoteSnapshots) put(apiKey string, row *hookstream.Destination) {
	snap := s.forKey(apiKey)
	snap.mu.Lock()
	defer snap.mu.Unlock()
	if snap.rows != nil {
		snap.rows[row.ID] = row
	}
}

// forget drops a deleted row.
func (s *remoteSnapshots) forget(apiKey, id string) {
	snap := s.forKey(apiKey)
	snap.mu.Lock()
	defer snap.mu.Unlock()
	delete(snap.rows, id)
}
