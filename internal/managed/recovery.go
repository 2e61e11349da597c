// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package managed

import (
	"container/list"
	"context"
	"errors"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"
)

// Triggers of a release, the values of the trigger label of recoveryReleases.
// KeyHealth follows the failures and recoveries of one API key's calls, as the kinds' API client sees them
// (hookstream.KeyHealth): the recovery needs no more of it.
type KeyHealth interface {
	// Down reports that calls of several callers fail in a row.
	Down() bool
	// OnRecovered calls f at each recovery (a call succeeds while the key is down), until stop.
	OnRecovered(f func()) (stop func())
	// TryProbe reports whether the caller may try the key, down and silent for a while, with one call.
	TryProbe() bool
	// TryIdle reports whether the caller may make one call with the key's budget left unused: the key is up and
	// silent for a while.
	TryIdle() bool
	// WaitTurn waits for a turn at the key's rate budget.
	WaitTurn(ctx context.Context) error
}

// CallLog tells what the calls of one reconcile met: the key of the last call that failed (nil when none did),
// and whether that key recovered since.
type CallLog interface {
	Failed() KeyHealth
	RecoveredSince() bool
}

// Calls starts the CallLog of a reconcile: the context its calls are made with records into it.
type Calls func(ctx context.Context) (context.Context, CallLog)

const (
	triggerRecovered = "recovered"
	triggerProbe     = "probe"
	triggerIdle      = "idle"
)

// maxAloneRetries is how many times in a row an object brought forward that then fails on its own (while the
// key's other calls succeed) is brought forward again before its own backoff applies: enough that an object
// unlucky under a share of random failures does not wait out a backoff its failures grew while the budget goes
// unused, few enough that a request hookstream always fails costs only a few calls more than its backoff allows.
const maxAloneRetries = 5

var recoveryReleases = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "hookstream_recovery_releases_total",
	Help: "Objects whose retry after a hookstream failure was brought forward, by kind and trigger: recovered (a " +
		"call of their API key succeeded again), probe (one object tries a key that is down and silent) or idle " +
		"(one object uses the budget of a key that is up and silent).",
}, []string{labelKind, "trigger"})

func init() {
	metrics.Registry.MustRegister(recoveryReleases)
}

// recovery brings forward the retries of the objects of one kind that wait on their backoff after hookstream
// failed for their API key, as soon as a call with that key succeeds again. Without it, each object waits out its
// own exponential backoff after an outage, up to minutes.
//
// An object waits for its key when its reconcile failed with a call of that key failing (transport error,
// timeout, 429, 5xx). When the key recovers (a call succeeds after calls of several objects failed,
// hookstream.KeyHealth), the objects waiting for it are put back in the work queue, oldest failure first, one at a
// time at the key's rate budget, and only while the key stays up: a new failure stops the release and the rest
// keep their backoff until the next recovery. Their backoff is not forgotten, so one that fails again waits
// longer next time. An object released that then fails alone (the key is not down) is released again at most
// maxAloneRetries times before it succeeds: a request hookstream always fails keeps its backoff, while one that
// met a share of random failures does not wait out a backoff they grew. While the key is down and no call tries
// it, the oldest waiting object is retried every probeEvery (hookstream.ProbeInterval), so that a recovery is
// noticed at once; while the key is up and no call uses its budget for probeEvery, the oldest waiting object is
// retried with it (the tail of a backlog under random failures, when the key never counts as down).
type recovery struct {
	kind  string
	calls Calls
	// probeEvery is how often the oldest waiting object tries a key that is down and silent.
	probeEvery time.Duration

	mu    sync.Mutex
	ctx   context.Context
	queue workqueue.TypedRateLimitingInterface[reconcile.Request]
	keys  map[KeyHealth]*keyWaiters
	// waitingOn says which key an object waits for; released holds the objects brought forward that have not
	// succeeded since, with the number of times they failed alone after that.
	waitingOn map[reconcile.Request]KeyHealth
	released  map[reconcile.Request]int
}

// keyWaiters are the objects waiting for one key, oldest failure first.
type keyWaiters struct {
	order     *list.List
	elems     map[reconcile.Request]*list.Element
	recovered chan struct{}
}

func newRecovery(kind string, calls Calls, probeEvery time.Duration) *recovery {
	return &recovery{kind: kind, calls: calls, probeEvery: probeEvery, keys: map[KeyHealth]*keyWaiters{},
		waitingOn: map[reconcile.Request]KeyHealth{}, released: map[reconcile.Request]int{}}
}

// source hands the recovery the controller's work queue when the controller starts; it enqueues nothing itself.
func (r *recovery) source() source.Source {
	return source.Func(func(ctx context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request]) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.ctx, r.queue = ctx, q
		return nil
	})
}

// wrap returns inner, recording which objects fail for which key; inner itself when no Calls tell it.
func (r *recovery) wrap(inner reconcile.Reconciler) reconcile.Reconciler {
	if r.calls == nil {
		return inner
	}
	return reconcile.Func(func(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
		r.started(req)
		ctx, calls := r.calls(ctx)
		result, err := inner.Reconcile(ctx, req)
		r.finished(req, calls.Failed(), calls.RecoveredSince(), err)
		return result, err
	})
}

// started forgets that req waits: it is being reconciled.
func (r *recovery) started(req reconcile.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.unwait(req)
}

// finished records an object whose reconcile failed with a call of key failing: it now waits on its backoff, and
// for key; recoveredSince says that the key recovered after that call failed. Other outcomes leave it out.
func (r *recovery) finished(req reconcile.Request, key KeyHealth, recoveredSince bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case err == nil || errors.Is(err, reconcile.TerminalError(nil)) || key == nil:
		// Not on backoff, or not for hookstream's sake.
		delete(r.released, req)
		return
	case r.ctx == nil:
		// The controller has not started its sources: nothing to enqueue into.
		return
	}
	if alone, released := r.released[req]; released && !key.Down() {
		// Released, and failed again while the key's other calls succeed: after a few such failures in a row its
		// own backoff applies.
		if alone >= maxAloneRetries {
			return
		}
		r.released[req] = alone + 1
	}
	w := r.keys[key]
	if w == nil {
		w = &keyWaiters{order: list.New(), elems: map[reconcile.Request]*list.Element{}, recovered: make(chan struct{}, 1)}
		r.keys[key] = w
		stop := key.OnRecovered(func() { signal(w.recovered) })
		go r.run(r.ctx, key, w, stop)
	}
	w.elems[req] = w.order.PushBack(req)
	r.waitingOn[req] = key
	if recoveredSince {
		// The recovery came before this object was recorded: it must not wait for the next one.
		signal(w.recovered)
	}
}

// signal wakes the receiver of c, a channel of capacity 1, without blocking.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// newProbeTicker ticks often enough that a key is probed soon after probeEvery of silence.
func (r *recovery) newProbeTicker() *time.Ticker {
	return time.NewTicker(max(r.probeEvery/4, time.Millisecond))
}

// unwait removes req from the objects waiting for a key. r.mu must be held.
func (r *recovery) unwait(req reconcile.Request) {
	key, ok := r.waitingOn[req]
	if !ok {
		return
	}
	delete(r.waitingOn, req)
	if w := r.keys[key]; w != nil {
		if e, ok := w.elems[req]; ok {
			w.order.Remove(e)
			delete(w.elems, req)
		}
	}
}

// run releases the objects waiting for key when it recovers, and probes it while it is down, until no object
// waits for it or ctx ends.
func (r *recovery) run(ctx context.Context, key KeyHealth, w *keyWaiters, stop func()) {
	defer stop()
	probe := r.newProbeTicker()
	defer probe.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.recovered:
			r.releaseAll(ctx, key, w)
		case <-probe.C:
			switch {
			case !r.waiting(w):
			case key.TryProbe():
				r.releaseNext(w, triggerProbe)
			case key.TryIdle():
				r.releaseNext(w, triggerIdle)
			}
		}
		if r.dropIfIdle(key, w) {
			return
		}
	}
}

// releaseAll puts the objects waiting for key back in the queue, oldest first, at the key's pace, while the key
// stays up.
func (r *recovery) releaseAll(ctx context.Context, key KeyHealth, w *keyWaiters) {
	for r.waiting(w) {
		if err := key.WaitTurn(ctx); err != nil || key.Down() {
			return
		}
		r.releaseNext(w, triggerRecovered)
	}
}

func (r *recovery) waiting(w *keyWaiters) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return w.order.Len() > 0
}

// releaseNext enqueues the object that has waited longest, now: the work queue moves it out of its backoff.
func (r *recovery) releaseNext(w *keyWaiters, trigger string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := w.order.Front()
	if e == nil {
		return
	}
	req := e.Value.(reconcile.Request)
	r.unwait(req)
	if _, ok := r.released[req]; !ok {
		// Brought forward for the first time since it last succeeded; a count of its failures alone stays.
		r.released[req] = 0
	}
	r.queue.Add(req)
	recoveryReleases.WithLabelValues(r.kind, trigger).Inc()
}

// dropIfIdle forgets key when no object waits for it, and reports whether it did.
func (r *recovery) dropIfIdle(key KeyHealth, w *keyWaiters) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if w.order.Len() > 0 {
		return false
	}
	delete(r.keys, key)
	return true
}
