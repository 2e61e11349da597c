// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package managed

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"testing"
	"time"
)

// countingClient serves a fixed set of rows, 100 per list page, and counts the calls as hookstream would see them.
type countingClient struct {
	rows      map[string]*testRow
	listCalls int
	getCalls  int
}

func (c *countingClient) List(context.Context) iter.Seq2[*testRow, error] {
	return func(yield func(*testRow, error) bool) {
		i := 0
		for _, row := range c.rows {
			if i%pageSize == 0 {
				c.listCalls++
			}
			i++
			if !yield(row, nil) {
				return
			}
		}
	}
}

func (c *countingClient) Observe(_ context.Context, id string) (*testRow, error) {
	c.getCalls++
	if row, ok := c.rows[id]; ok {
		return row, nil
	}
	return nil, &RemoteError{Class: RemoteNotFound, Status: 404, Message: "Destination not found", Err: errors.New("404")}
}

// testRow is a remote row as the snapshots see it; pageSize is the rows of one list page.
type testRow struct {
	ID        string
	UpdatedAt time.Time
}

const pageSize = 100

func destinationRow(d *testRow) Row { return Row{ID: d.ID, UpdatedAt: d.UpdatedAt} }

func TestSnapshotsServePeriodicChecksFromOneList(t *testing.T) {
	c := &countingClient{rows: map[string]*testRow{}}
	for i := range 250 {
		id := fmt.Sprintf("%032x", i)
		c.rows[id] = &testRow{ID: id}
	}
	snaps := newSnapshots(destinationRow)
	ctx := context.Background()
	for id := range c.rows {
		row, err := snaps.get(ctx, "key", c, id, time.Hour)
		if err != nil || row.ID != id {
			t.Fatalf("get(%s) = %v, %v", id, row, err)
		}
	}
	if c.listCalls != 3 || c.getCalls != 0 {
		t.Errorf("250 checks made %d list page calls and %d GETs, want 3 and 0", c.listCalls, c.getCalls)
	}

	// A row created after the snapshot is read by id, once, then served from the snapshot.
	c.rows["new"] = &testRow{ID: "new"}
	for range 2 {
		if _, err := snaps.get(ctx, "key", c, "new", time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if c.getCalls != 1 {
		t.Errorf("a row missing from the snapshot was read %d times, want 1", c.getCalls)
	}
	// A row gone from hookstream is reported as not found.
	if _, err := snaps.get(ctx, "key", c, "gone", time.Hour); !IsRemote(err, RemoteNotFound) {
		t.Errorf("get(gone) error = %v, want not found", err)
	}
	// Another API key has its own snapshot.
	if _, err := snaps.get(ctx, "other-key", c, "new", time.Hour); err != nil {
		t.Fatal(err)
	}
	if c.listCalls != 6 {
		t.Errorf("list page calls after a second key = %d, want 6", c.listCalls)
	}
}

// TestSnapshotIsListedOncePerShortestInterval: objects of one key with different intervals share its snapshot; each
// reads it no older than its own interval, so the key is listed once per the shortest interval in use, and an
// object with a long interval never lists it while a short one keeps it fresh.
func TestSnapshotIsListedOncePerShortestInterval(t *testing.T) {
	c := &countingClient{rows: map[string]*testRow{"short": {ID: "short"}, "long": {ID: "long"}}}
	snaps := newSnapshots(destinationRow)
	ctx := context.Background()
	age := func(d time.Duration) {
		snap := snaps.forKey("key")
		snap.mu.Lock()
		snap.takenAt = snap.takenAt.Add(-d)
		snap.mu.Unlock()
	}
	read := func(id string, interval time.Duration) {
		t.Helper()
		if _, err := snaps.get(ctx, "key", c, id, interval); err != nil {
			t.Fatal(err)
		}
	}
	read("long", 10*time.Minute)
	// Ten minutes pass, one at a time: the object checked every minute reads at each, the other at the end.
	for range 10 {
		age(time.Minute)
		read("short", time.Minute)
	}
	read("long", 10*time.Minute)
	if c.listCalls != 11 {
		t.Errorf("list calls = %d, want 11: the first, then one per minute (the shortest interval)", c.listCalls)
	}
	// A snapshot younger than the long interval but older than the short one is listed anew for the short one only.
	age(2 * time.Minute)
	read("long", 10*time.Minute)
	if c.listCalls != 11 {
		t.Errorf("list calls = %d, want 11: a 2-minute-old snapshot serves a 10-minute interval", c.listCalls)
	}
	read("short", time.Minute)
	if c.listCalls != 12 {
		t.Errorf("list calls = %d, want 12: a 2-minute-old snapshot is too old for a 1-minute interval", c.listCalls)
	}
	if c.getCalls != 0 {
		t.Errorf("GETs = %d, want 0: every row was in the snapshot", c.getCalls)
	}
}

func TestSnapshotIsListedAgainWhenOld(t *testing.T) {
	c := &countingClient{rows: map[string]*testRow{"a": {ID: "a"}}}
	snaps := newSnapshots(destinationRow)
	ctx := context.Background()
	if _, err := snaps.get(ctx, "key", c, "a", 10*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	if _, err := snaps.get(ctx, "key", c, "a", 10*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if c.listCalls != 2 {
		t.Errorf("list calls = %d, want 2: the second check came after maxAge", c.listCalls)
	}
}

// blockingClient lists slowly: the first list waits until released.
type blockingClient struct {
	countingClient
	listing chan struct{}
	release chan struct{}
}

func (c *blockingClient) List(ctx context.Context) iter.Seq2[*testRow, error] {
	return func(yield func(*testRow, error) bool) {
		close(c.listing)
		<-c.release
		for row, err := range c.countingClient.List(ctx) {
			if !yield(row, err) {
				return
			}
		}
	}
}

// TestChecksDoNotWaitForAnotherCallersSweep: while one caller lists the key again, others read the previous
// list's rows (by id those it lacks) instead of queueing behind the sweep, so workers stay free for changes.
func TestChecksDoNotWaitForAnotherCallersSweep(t *testing.T) {
	rows := map[string]*testRow{"a": {ID: "a"}, "b": {ID: "b"}}
	snaps := newSnapshots(destinationRow)
	ctx := context.Background()
	if _, err := snaps.get(ctx, "key", &countingClient{rows: rows}, "a", time.Hour); err != nil {
		t.Fatal(err)
	}
	c := &blockingClient{countingClient: countingClient{rows: rows}, listing: make(chan struct{}), release: make(chan struct{})}
	rows["new"] = &testRow{ID: "new"}
	done := make(chan error)
	go func() { _, err := snaps.get(ctx, "key", c, "a", 0); done <- err }()
	<-c.listing
	if row, err := snaps.get(ctx, "key", c, "b", time.Hour); err != nil || row.ID != "b" || c.getCalls != 0 {
		t.Fatalf("get of a listed row during a sweep = %v, %v, %d GETs; want it from the previous list", row, err, c.getCalls)
	}
	if row, err := snaps.get(ctx, "key", c, "new", time.Hour); err != nil || row.ID != "new" || c.getCalls != 1 {
		t.Fatalf("get of a row created since = %v, %v, %d GETs; want one GET", row, err, c.getCalls)
	}
	close(c.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestChecksWaitForTheFirstList: after a start the key has no rows yet; the checks that come during its first list
// wait for it instead of reading every row by id.
func TestChecksWaitForTheFirstList(t *testing.T) {
	c := &blockingClient{
		countingClient: countingClient{rows: map[string]*testRow{"a": {ID: "a"}, "b": {ID: "b"}}},
		listing:        make(chan struct{}), release: make(chan struct{}),
	}
	snaps := newSnapshots(destinationRow)
	ctx := context.Background()
	first := make(chan error)
	go func() { _, err := snaps.get(ctx, "key", c, "a", time.Hour); first <- err }()
	<-c.listing
	second := make(chan error)
	go func() { _, err := snaps.get(ctx, "key", c, "b", time.Hour); second <- err }()
	select {
	case err := <-second:
		t.Fatalf("a check returned during the first list (err %v, %d GETs): it must wait", err, c.getCalls)
	case <-time.After(50 * time.Millisecond):
	}
	close(c.release)
	if err := errors.Join(<-first, <-second); err != nil {
		t.Fatal(err)
	}
	if c.getCalls != 0 || c.listCalls != 1 {
		t.Errorf("%d GETs and %d lists, want the one list and no GET", c.getCalls, c.listCalls)
	}

	// A waiting check gives up with its context.
	waiting := &blockingClient{countingClient: countingClient{rows: map[string]*testRow{}}, listing: make(chan struct{}),
		release: make(chan struct{})}
	other := newSnapshots(destinationRow)
	go func() { _, _ = other.get(ctx, "key", waiting, "a", time.Hour) }()
	<-waiting.listing
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := other.get(cancelled, "key", waiting, "a", time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled wait = %v, want context.Canceled", err)
	}
	close(waiting.release)
}

// TestRefreshTakesAListInFlightOrJustTaken: a status refresh that comes while a drift check lists, or just after,
// takes that list's rows instead of listing the key a second time; an older snapshot is listed anew.
func TestRefreshTakesAListInFlightOrJustTaken(t *testing.T) {
	c := &blockingClient{
		countingClient: countingClient{rows: map[string]*testRow{"a": {ID: "a"}, "b": {ID: "b"}}},
		listing:        make(chan struct{}), release: make(chan struct{}),
	}
	snaps := newSnapshots(destinationRow)
	ctx := context.Background()
	checked := make(chan error)
	go func() { _, err := snaps.get(ctx, "key", c, "a", time.Hour); checked <- err }()
	<-c.listing
	refreshed := make(chan map[string]*testRow)
	go func() {
		rows, err := snaps.relist(ctx, "key", c, time.Minute)
		if err != nil {
			t.Error(err)
		}
		refreshed <- rows
	}()
	select {
	case <-refreshed:
		t.Fatal("the refresh returned while the drift check's list was still running")
	case <-time.After(50 * time.Millisecond):
	}
	close(c.release)
	if err := <-checked; err != nil {
		t.Fatal(err)
	}
	if rows := <-refreshed; len(rows) != 2 {
		t.Errorf("the refresh got %d rows, want the 2 the drift check listed", len(rows))
	}
	if c.listCalls != 1 {
		t.Errorf("list calls = %d, want 1: the refresh took the list in flight", c.listCalls)
	}

	// Just after: the snapshot is fresh enough.
	if _, err := snaps.relist(ctx, "key", c, time.Minute); err != nil || c.listCalls != 1 {
		t.Errorf("refresh after a fresh list: err %v, %d list calls; want 1", err, c.listCalls)
	}
	// An older snapshot than the refresh accepts is listed anew.
	c.rows["c"] = &testRow{ID: "c"}
	rows, err := snaps.relist(ctx, "key", &c.countingClient, 0)
	if err != nil || c.listCalls != 2 || len(rows) != 3 {
		t.Errorf("refresh of an old snapshot: err %v, %d list calls, %d rows; want 2 and 3", err, c.listCalls, len(rows))
	}
}
