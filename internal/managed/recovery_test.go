// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package managed

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/hookstream/hookstream-operator/internal/hookstream"
)

// fakeHookstream answers 503 to the keys that are down and 404 (hookstream serving, no such resource) to the
// others.
type fakeHookstream struct {
	mu   sync.Mutex
	down map[string]bool
}

func (f *fakeHookstream) setDown(key string, down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down[key] = down
}

func (f *fakeHookstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	down := f.down[r.Header.Get("X-API-Key")]
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if down {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"error":{"code":"unavailable","message":"down"}}`))
		return
	}
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte(`{"error":{"code":"not_found","message":"no such destination"}}`))
}

// recoveryRig drives a recovery the way a controller does: a real controller-runtime priority queue whose backoff
// is long (a minute), and a reconciler whose only work is one hookstream call with its object's key.
type recoveryRig struct {
	t       *testing.T
	hs      *fakeHookstream
	clients map[string]*hookstream.Client
	// keyOf is the API key of each object.
	keyOf     map[string]string
	rec       *recovery
	reconcile reconcile.Reconciler
	queue     priorityqueue.PriorityQueue[reconcile.Request]
	// got receives the objects the queue hands out, with the time.
	got chan handedOut
}

type handedOut struct {
	name string
	at   time.Time
}

const (
	rigRate  = 20
	rigBurst = 2
)

func newRecoveryRig(t *testing.T, keys ...string) *recoveryRig {
	t.Helper()
	hs := &fakeHookstream{down: map[string]bool{}}
	server := httptest.NewServer(hs)
	t.Cleanup(server.Close)
	limiters := hookstream.NewLimiterRegistry(rigRate, rigBurst)
	rig := &recoveryRig{t: t, hs: hs, clients: map[string]*hookstream.Client{}, keyOf: map[string]string{},
		rec: newRecovery("Test", testCalls, hookstream.ProbeInterval), got: make(chan handedOut, 100)}
	for _, key := range keys {
		c, err := hookstream.New(hookstream.Options{BaseURL: server.URL + "/v1", APIKey: key, Limiter: limiters.For(key)})
		if err != nil {
			t.Fatal(err)
		}
		rig.clients[key] = c
	}
	rig.queue = priorityqueue.New[reconcile.Request]("recovery-test", func(o *priorityqueue.Opts[reconcile.Request]) {
		o.RateLimiter = workqueue.NewTypedItemExponentialFailureRateLimiter[reconcile.Request](time.Minute, time.Hour)
	})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() {
		cancel()
		rig.queue.ShutDown()
	})
	if err := rig.rec.source().Start(ctx, rig.queue); err != nil {
		t.Fatal(err)
	}
	rig.reconcile = rig.rec.wrap(reconcile.Func(func(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
		_, err := rig.clients[rig.keyOf[req.Name]].GetDestination(ctx, req.Name)
		if hookstream.IsNotFound(err) {
			return reconcile.Result{}, nil
		}
		return reconcile.Result{}, err
	}))
	go func() {
		for {
			req, shutdown := rig.queue.Get()
			if shutdown {
				return
			}
			rig.got <- handedOut{name: req.Name, at: time.Now()}
		}
	}()
	return rig
}

func request(name string) reconcile.Request {
	return reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "ns", Name: name}}
}

// fail reconciles the objects, which must fail, and puts them on backoff as the controller does.
func (rig *recoveryRig) fail(key string, names ...string) {
	rig.t.Helper()
	for _, name := range names {
		rig.keyOf[name] = key
		if _, err := rig.reconcile.Reconcile(context.Background(), request(name)); err == nil {
			rig.t.Fatalf("%s: the reconcile succeeded while its key is down", name)
		}
		rig.queue.AddRateLimited(request(name))
	}
}

// handOut reconciles an object the queue handed out, as the controller does.
func (rig *recoveryRig) handOut(name string) error {
	req := request(name)
	defer rig.queue.Done(req)
	_, err := rig.reconcile.Reconcile(context.Background(), req)
	if err != nil {
		rig.queue.AddRateLimited(req)
	} else {
		rig.queue.Forget(req)
	}
	return err
}

// call makes one call with key outside any reconcile, and reports whether it failed.
func (rig *recoveryRig) call(key string) bool {
	_, err := rig.clients[key].GetDestination(context.Background(), "other")
	return !hookstream.IsNotFound(err)
}

// expect waits for the queue to hand out exactly the objects named, in any order, and returns them in order.
func (rig *recoveryRig) expect(within time.Duration, names ...string) []handedOut {
	rig.t.Helper()
	var got []handedOut
	timeout := time.After(within)
	for len(got) < len(names) {
		select {
		case h := <-rig.got:
			if !slices.Contains(names, h.name) {
				rig.t.Fatalf("the queue handed out %s; expected only %v", h.name, names)
			}
			got = append(got, h)
		case <-timeout:
			rig.t.Fatalf("after %s the queue handed out %v of %v", within, got, names)
		}
	}
	return got
}

// expectNone checks that the queue hands nothing out for d.
func (rig *recoveryRig) expectNone(d time.Duration, while string) {
	rig.t.Helper()
	select {
	case h := <-rig.got:
		rig.t.Fatalf("%s, the queue handed out %s before its backoff ended", while, h.name)
	case <-time.After(d):
	}
}

func TestRecoveryReleasesTheObjectsOfTheKeyThatRecovered(t *testing.T) {
	rig := newRecoveryRig(t, "key-a", "key-b")
	rig.hs.setDown("key-a", true)
	rig.hs.setDown("key-b", true)
	keyA := []string{"a1", "a2", "a3", "a4", "a5", "a6"}
	rig.fail("key-a", keyA...)
	rig.fail("key-b", "b1", "b2")

	// Calls that keep failing release nothing: the objects keep their backoff (a minute).
	for range 3 {
		if !rig.call("key-a") || !rig.call("key-b") {
			t.Fatal("a call succeeded while its key is down")
		}
	}
	rig.expectNone(300*time.Millisecond, "while every call failed")

	// Key B recovers while key A keeps failing: B's objects go, A's stay.
	if !rig.call("key-a") {
		t.Fatal("key A's call succeeded while it is down")
	}
	rig.hs.setDown("key-b", false)
	if rig.call("key-b") {
		t.Fatal("key B's call failed after it recovered")
	}
	rig.expect(2*time.Second, "b1", "b2")
	rig.expectNone(300*time.Millisecond, "after key B recovered")

	// Key A recovers: its objects go, oldest failure first, no faster than its budget.
	rig.hs.setDown("key-a", false)
	if rig.call("key-a") {
		t.Fatal("key A's call failed after it recovered")
	}
	got := rig.expect(5*time.Second, keyA...)
	var order []string
	for _, h := range got {
		order = append(order, h.name)
	}
	if !slices.Equal(order, keyA) {
		t.Errorf("released in the order %v; want the order of their failures, %v", order, keyA)
	}
	// A token bucket lets at most burst + rate·w through in any window w; 10 ms cover the scheduling between the
	// turn and the queue handing the object out.
	for i := range got {
		for j := i + 1; j < len(got); j++ {
			w := got[j].at.Sub(got[i].at)
			if allowed := rigBurst + int(rigRate*(w+10*time.Millisecond).Seconds()); j-i+1 > allowed {
				t.Errorf("%d objects released within %s, beyond the budget of %d (rate %d/s, burst %d)",
					j-i+1, w, allowed, rigRate, rigBurst)
			}
		}
	}
	for _, name := range keyA {
		if err := rig.handOut(name); err != nil {
			t.Errorf("%s after the recovery: %v", name, err)
		}
	}
}

func TestRecoveryStopsWhenTheKeyFailsAgain(t *testing.T) {
	rig := newRecoveryRig(t, "key-a")
	rig.hs.setDown("key-a", true)
	var names []string
	for i := range 12 {
		names = append(names, "a"+string(rune('a'+i)))
	}
	rig.fail("key-a", names...)
	// Up for one call, then down again, from two callers: what was not released yet keeps its backoff.
	rig.hs.setDown("key-a", false)
	if rig.call("key-a") {
		t.Fatal("the call failed while the key was up")
	}
	rig.hs.setDown("key-a", true)
	rig.call("key-a")
	rig.call("key-a")
	var released []handedOut
	// Shorter than hookstream.ProbeInterval, so that no probe comes in.
	timeout := time.After(600 * time.Millisecond)
collect:
	for {
		select {
		case h := <-rig.got:
			released = append(released, h)
		case <-timeout:
			break collect
		}
	}
	if len(released) >= len(names) {
		t.Errorf("all %d objects were released although the key failed again after the first call", len(released))
	}
}

func TestRecoveryProbesASilentKeyThatIsDown(t *testing.T) {
	rig := newRecoveryRig(t, "key-a")
	rig.hs.setDown("key-a", true)
	rig.fail("key-a", "a1", "a2", "a3")
	// Nobody calls: after hookstream.ProbeInterval of silence the oldest object alone tries the key.
	got := rig.expect(hookstream.ProbeInterval+time.Second, "a1")
	rig.expectNone(hookstream.ProbeInterval/2, "right after a probe")
	if err := rig.handOut(got[0].name); err == nil {
		t.Fatal("the probe succeeded while the key is down")
	}
	// The next probe is the next oldest; once hookstream is back, the probe's success releases the rest.
	rig.hs.setDown("key-a", false)
	rig.expect(hookstream.ProbeInterval+time.Second, "a2")
	if err := rig.handOut("a2"); err != nil {
		t.Fatal(err)
	}
	rig.expect(2*time.Second, "a3", "a1")
}

// failAlone hands out name while its key fails, then makes a call that succeeds: name failed alone, the key is up.
func (rig *recoveryRig) failAlone(key, name string) {
	rig.t.Helper()
	rig.hs.setDown(key, true)
	if err := rig.handOut(name); err == nil {
		rig.t.Fatalf("%s succeeded while its key fails", name)
	}
	rig.hs.setDown(key, false)
	if rig.call(key) {
		rig.t.Fatal("a call failed while the key is up")
	}
}

func TestRecoveryUsesTheBudgetOfAKeyThatIsUpAndSilent(t *testing.T) {
	rig := newRecoveryRig(t, "key-a")
	rig.hs.setDown("key-a", true)
	rig.fail("key-a", "a1")
	rig.hs.setDown("key-a", false)
	// One object failed, so the key never counted as down and no recovery comes; its backoff is a minute. Once
	// no call has used the key's budget for hookstream.ProbeInterval, the object goes.
	start := time.Now()
	got := rig.expect(hookstream.ProbeInterval+time.Second, "a1")
	if waited := got[0].at.Sub(start); waited < hookstream.ProbeInterval-100*time.Millisecond {
		t.Errorf("released after %s, before the key was silent for %s", waited, hookstream.ProbeInterval)
	}
	if err := rig.handOut("a1"); err != nil {
		t.Fatal(err)
	}
	rig.expectNone(hookstream.ProbeInterval+500*time.Millisecond, "after a1 succeeded")
}

func TestRecoveryKeepsTheBackoffOfAnObjectThatFailsAloneAgainAndAgain(t *testing.T) {
	rig := newRecoveryRig(t, "key-a")
	rig.hs.setDown("key-a", true)
	rig.fail("key-a", "a1", "a2")
	rig.hs.setDown("key-a", false)
	rig.call("key-a")
	rig.expect(2*time.Second, "a1", "a2")
	if err := rig.handOut("a2"); err != nil {
		t.Fatal(err)
	}
	// a1 fails again, each time alone, while the key's other calls succeed: it is brought forward again a few
	// times (a share of random failures), then keeps its backoff (a request hookstream always fails).
	for range maxAloneRetries {
		rig.failAlone("key-a", "a1")
		rig.expect(hookstream.ProbeInterval+time.Second, "a1")
	}
	rig.failAlone("key-a", "a1")
	rig.expectNone(hookstream.ProbeInterval+500*time.Millisecond, "after a1 failed alone "+
		fmt.Sprint(maxAloneRetries+1)+" times in a row")
	// A success forgets the count: the next failure alone is brought forward again.
	rig.rec.finished(request("a1"), nil, false, nil)
	rig.failAlone("key-a", "a1")
	rig.expect(hookstream.ProbeInterval+time.Second, "a1")
}

func TestRecoveryIgnoresFailuresOtherThanHookstreams(t *testing.T) {
	rec := newRecovery("Test", testCalls, hookstream.ProbeInterval)
	rec.finished(request("a"), nil, false, errors.New("the Kubernetes API server failed"))
	rec.finished(request("b"), nil, false, reconcile.TerminalError(errors.New("refused")))
	if len(rec.waitingOn) != 0 || len(rec.keys) != 0 {
		t.Errorf("objects that did not fail for hookstream wait for a key: %v", rec.waitingOn)
	}
}

// testCalls is managed.Calls on the hookstream client's call log, as the controllers wire it.
func testCalls(ctx context.Context) (context.Context, CallLog) {
	ctx, log := hookstream.WithCallLog(ctx)
	return ctx, testCallLog{log}
}

type testCallLog struct{ log *hookstream.CallLog }

func (c testCallLog) Failed() KeyHealth {
	if h := c.log.Failed(); h != nil {
		return h
	}
	return nil
}

func (c testCallLog) RecoveredSince() bool { return c.log.RecoveredSince() }
