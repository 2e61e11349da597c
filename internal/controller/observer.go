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
	mu      sync.Mutex // held while listing, so that concurrent checks of one key share one list
	rows    map[string]*hookstream.Destination
	takenAt time.Time
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

// get returns the row with the id from a snapshot younger than maxAge, listing the key's destinations first when
// the snapshot is older. A row missing from the snapshot (created after it, or gone) is read by id.
func (s *remoteSnapshots) get(ctx context.Context, apiKey string, hs HookstreamClient, id string) (*hookstream.Destination, error) {
	snap := s.forKey(apiKey)
	snap.mu.Lock()
	if time.Since(snap.takenAt) >= s.maxAge {
		started := time.Now()
		rows := map[string]*hookstream.Destination{}
		for row, err := range hs.AllDestinations(ctx) {
			if err != nil {
				snap.mu.Unlock()
				return nil, err
			}
			rows[row.ID] = row
		}
		snap.rows, snap.takenAt = rows, started
	}
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
