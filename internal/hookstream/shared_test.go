// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hookstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// sharedRig is a client of one key with a budget of rps requests per second and a burst of one, against a server
// that counts the requests and answers a list with one row whose id is the request's number (des_1, des_2, ...),
// so that a caller can tell which request answered it.
type sharedRig struct {
	requests atomic.Int32
	status   atomic.Int32
	client   *Client
}

func newSharedRig(t *testing.T, rps float64) *sharedRig {
	t.Helper()
	rig := &sharedRig{}
	rig.status.Store(http.StatusOK)
	// The documented row, its id changed to tell the requests apart.
	raw, err := os.ReadFile(filepath.Join("testdata", "row-documented.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Destination map[string]any `json:"destination"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	row := doc.Destination
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := rig.requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		status := int(rig.status.Load())
		w.WriteHeader(status)
		if status != http.StatusOK {
			_, _ = w.Write([]byte(`{"error":"unavailable","status":503}`))
			return
		}
		row["id"] = fmt.Sprintf("des_%d", n)
		_ = json.NewEncoder(w).Encode(map[string]any{"destinations": []any{row}})
	}))
	t.Cleanup(server.Close)
	c, err := New(Options{BaseURL: server.URL, APIKey: "key", Limiter: NewLimiterRegistry(rps, 1).For("key")})
	if err != nil {
		t.Fatal(err)
	}
	rig.client = c
	return rig
}

// firstID lists the destinations and returns the id of the first one.
func (rig *sharedRig) firstID(ctx context.Context) (string, error) {
	for d, err := range rig.client.AllDestinations(ctx) {
		if err != nil {
			return "", err
		}
		return d.ID, nil
	}
	return "", errors.New("no destination")
}

func TestIdenticalReadsWaitingForTheBudgetShareOneRequest(t *testing.T) {
	rig := newSharedRig(t, 2)
	// The burst of one goes to the first read; the readers below queue for the next turn, half a second away.
	first, err := rig.firstID(context.Background())
	if err != nil || first != "des_1" {
		t.Fatalf("first read: %q, %v", first, err)
	}
	const readers = 6
	ids := make([]string, readers)
	var wg sync.WaitGroup
	for i := range readers {
		wg.Go(func() {
			var err error
			if ids[i], err = rig.firstID(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := rig.requests.Load(); n != 2 {
		t.Errorf("%d requests for 1 + %d identical reads queued together, want 2", n, readers)
	}
	for i, id := range ids {
		if id != "des_2" {
			t.Errorf("reader %d got %q, want the answer of the second request, des_2", i, id)
		}
	}
	if got := rig.client.SharedReads(); got != readers-1 {
		t.Errorf("%d shared reads, want %d", got, readers-1)
	}
}

func TestAReadAfterTheRequestWasSentMakesItsOwn(t *testing.T) {
	// The server holds the first request until the second read has started: that read must not take an answer
	// that may predate what its caller did before asking.
	var requests atomic.Int32
	release := make(chan struct{})
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if requests.Add(1) == 1 {
			<-release
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"destinations":[]}`))
	}))
	t.Cleanup(server.Close)
	c, err := New(Options{BaseURL: server.URL, APIKey: "key", Limiter: NewLimiterRegistry(0, 1).For("key")})
	if err != nil {
		t.Fatal(err)
	}
	list := func() error {
		for _, err := range c.AllDestinations(context.Background()) {
			return err
		}
		return nil
	}
	firstDone := make(chan error, 1)
	go func() { firstDone <- list() }()
	deadline := time.Now().Add(5 * time.Second)
	for requests.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	secondDone := make(chan error, 1)
	go func() { secondDone <- list() }()
	// The second read is under way: it either joined the first request (wrong) or sent its own.
	for requests.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	close(release)
	for _, done := range []chan error{firstDone, secondDone} {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
	if n := requests.Load(); n != 2 {
		t.Errorf("%d requests, want 2: a read that starts after an identical request was sent makes its own", n)
	}
	if c.SharedReads() != 0 {
		t.Errorf("%d shared reads, want 0", c.SharedReads())
	}
}

func TestASharedFailureIsInTheCallLogOfEveryReader(t *testing.T) {
	rig := newSharedRig(t, 2)
	if _, err := rig.firstID(context.Background()); err != nil {
		t.Fatal(err)
	}
	rig.status.Store(http.StatusServiceUnavailable)
	const readers = 4
	logs := make([]*CallLog, readers)
	var wg sync.WaitGroup
	for i := range readers {
		ctx, log := WithCallLog(context.Background())
		logs[i] = log
		wg.Go(func() {
			if _, err := rig.firstID(ctx); !isStatus(err, http.StatusServiceUnavailable) {
				t.Errorf("reader %d: %v, want the 503", i, err)
			}
		})
	}
	wg.Wait()
	if n := rig.requests.Load(); n != 2 {
		t.Fatalf("%d requests, want 2", n)
	}
	for i, log := range logs {
		if log.Failed() != rig.client.Health() {
			t.Errorf("reader %d: its call log has no failure of the key", i)
		}
	}
	if rig.client.Health().Down() {
		// One request failed: the key's health counts it once, whoever shared it.
		t.Error("the key is down after one failed request")
	}
}

func TestReadersTryAgainWhenTheSharedRequestIsNeverSent(t *testing.T) {
	rig := newSharedRig(t, 2)
	if _, err := rig.firstID(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The first reader queues for the next turn and gives up before it comes; the second joined it, and must
	// make the read itself.
	ctx, cancel := context.WithCancel(context.Background())
	gaveUp := make(chan error, 1)
	go func() {
		_, err := rig.firstID(ctx)
		gaveUp <- err
	}()
	waitUntil(t, func() bool { return rig.client.reads.waitingFor("/destinations?limit=100") })
	second := make(chan string, 1)
	go func() {
		id, err := rig.firstID(context.Background())
		if err != nil {
			t.Error(err)
		}
		second <- id
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	if err := <-gaveUp; !errors.Is(err, context.Canceled) {
		t.Errorf("the reader that gave up: %v", err)
	}
	if id := <-second; id != "des_2" {
		t.Errorf("the other reader got %q, want des_2 from a request of its own", id)
	}
	if n := rig.requests.Load(); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

// waitingFor reports whether a read of key waits for the budget.
func (g *readGroup) waitingFor(key string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.waiting[key] != nil
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5 s")
		}
		time.Sleep(time.Millisecond)
	}
}

func isStatus(err error, status int) bool {
	apiErr, ok := errors.AsType[*APIError](err)
	return ok && apiErr.StatusCode == status
}
