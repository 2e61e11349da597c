// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/internal/managed"
)

// TestDestinationHealthBranches runs one reconcile per row of a Destination whose remote row matches its spec, and
// checks when the circuit breaker is read or reset, the Delivering condition, the events, and that Ready keeps
// meaning "the remote matches the spec".
func TestDestinationHealthBranches(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	earlier := now.Add(-time.Hour)
	// ready is a Destination that was Ready with a closed circuit, 3 events and a delivery an hour ago.
	ready := func(change func(d *v1.Destination)) func(d *v1.Destination) {
		return func(d *v1.Destination) {
			d.Finalizers = []string{v1.Finalizer}
			// A requested check: read now, not spread over the interval as a first periodic check would be.
			d.Annotations = map[string]string{v1.AnnotationReconcileRequestedAt: "check"}
			d.Status.ID = tableID
			d.Status.ObservedGeneration = d.Generation
			d.Status.EventCount = 3
			d.Status.LastDeliveryAt = &metav1.Time{Time: earlier}
			d.Status.Circuit = &v1.CircuitStatus{State: v1.CircuitClosed}
			managed.SetAvailable(d, "destination")
			if change != nil {
				change(d)
			}
		}
	}
	circuitState := func(state v1.CircuitState) func(d *v1.Destination) {
		return func(d *v1.Destination) { d.Status.Circuit = &v1.CircuitStatus{State: state, FailureCount: 5} }
	}
	// row is the remote row with count events, the latest delivery at last.
	row := func(count int64, last time.Time) func(string) (*hookstream.Destination, error) {
		return func(string) (*hookstream.Destination, error) {
			r := tableRow(tableURL, earlier)
			r.EventCount, r.LastDeliveryAt = count, &last
			return r, nil
		}
	}
	circuit := func(state string, failures int) func(string) (*hookstream.Circuit, error) {
		return func(string) (*hookstream.Circuit, error) {
			return &hookstream.Circuit{State: state, FailureCount: failures, LastTransitionAt: &now}, nil
		}
	}
	reset := func(value string) func(d *v1.Destination) {
		return func(d *v1.Destination) {
			metav1.SetMetaDataAnnotation(&d.ObjectMeta, v1.AnnotationResetCircuitRequestedAt, value)
		}
	}
	delivering := func(status metav1.ConditionStatus, reason string, circuit v1.CircuitState) func(*testing.T, *v1.Destination) {
		return func(t *testing.T, d *v1.Destination) {
			t.Helper()
			c := meta.FindStatusCondition(d.Status.Conditions, v1.ConditionDelivering)
			if c == nil || c.Status != status || c.Reason != reason || c.Message == "" {
				t.Errorf("Delivering = %+v, want %s with reason %s and a message", c, status, reason)
			}
			got := v1.CircuitState("")
			if d.Status.Circuit != nil {
				got = d.Status.Circuit.State
			}
			if got != circuit {
				t.Errorf("status.circuit.state = %q, want %q", got, circuit)
			}
		}
	}
	tests := map[string]destinationCase{
		"counters unchanged, circuit closed: no circuit read": {
			object: ready(nil),
			fake:   fakeDestinations{get: row(3, earlier)},
			calls:  []string{"Get " + tableID}, ready: "True", reason: v1.ReasonAvailable,
			check: delivering(metav1.ConditionTrue, v1.ReasonCircuitClosed, v1.CircuitClosed),
		},
		"deliveries since, circuit opened: read, Warning, Ready stays True": {
			object: ready(nil),
			fake:   fakeDestinations{get: row(9, now), circuit: circuit(hookstream.CircuitOpen, 5)},
			calls:  []string{"Get " + tableID, "GetCircuit " + tableID}, ready: "True", reason: v1.ReasonAvailable,
			events: []string{"Warning CircuitOpened"},
			check: func(t *testing.T, d *v1.Destination) {
				delivering(metav1.ConditionFalse, v1.ReasonCircuitOpen, v1.CircuitOpen)(t, d)
				if d.Status.Circuit.FailureCount != 5 || d.Status.Circuit.LastTransitionAt == nil || d.Status.EventCount != 9 {
					t.Errorf("circuit %+v, eventCount %d; want 5 failures, a transition time and 9 events", d.Status.Circuit, d.Status.EventCount)
				}
			},
		},
		"deliveries since, still closed: read, no event": {
			object: ready(nil),
			fake:   fakeDestinations{get: row(4, now), circuit: circuit(hookstream.CircuitClosed, 0)},
			calls:  []string{"Get " + tableID, "GetCircuit " + tableID}, ready: "True", reason: v1.ReasonAvailable,
			check: delivering(metav1.ConditionTrue, v1.ReasonCircuitClosed, v1.CircuitClosed),
		},
		"open circuit, no delivery since: read again, now half-open": {
			object: ready(circuitState(v1.CircuitOpen)),
			fake:   fakeDestinations{get: row(3, earlier), circuit: circuit(hookstream.CircuitHalfOpen, 5)},
			calls:  []string{"Get " + tableID, "GetCircuit " + tableID}, ready: "True", reason: v1.ReasonAvailable,
			check: delivering(metav1.ConditionFalse, v1.ReasonCircuitHalfOpen, v1.CircuitHalfOpen),
		},
		"half-open circuit closes: Normal event": {
			object: ready(circuitState(v1.CircuitHalfOpen)),
			fake:   fakeDestinations{get: row(4, now), circuit: circuit(hookstream.CircuitClosed, 0)},
			calls:  []string{"Get " + tableID, "GetCircuit " + tableID}, ready: "True", reason: v1.ReasonAvailable,
			events: []string{"Normal CircuitClosed"},
			check:  delivering(metav1.ConditionTrue, v1.ReasonCircuitClosed, v1.CircuitClosed),
		},
		"reset requested: reset once, echoed": {
			object: ready(func(d *v1.Destination) { circuitState(v1.CircuitOpen)(d); reset("2026-11-30T10:00:00Z")(d) }),
			fake:   fakeDestinations{get: row(3, earlier), reset: circuit(hookstream.CircuitClosed, 0)},
			calls:  []string{"Get " + tableID, "ResetCircuit " + tableID}, ready: "True", reason: v1.ReasonAvailable,
			events: []string{"Normal CircuitReset", "Normal CircuitClosed"},
			check: func(t *testing.T, d *v1.Destination) {
				delivering(metav1.ConditionTrue, v1.ReasonCircuitClosed, v1.CircuitClosed)(t, d)
				if d.Status.LastHandledCircuitResetAt != "2026-11-30T10:00:00Z" {
					t.Errorf("lastHandledCircuitResetAt = %q, want the annotation's value", d.Status.LastHandledCircuitResetAt)
				}
			},
		},
		"reset already handled: no call": {
			object: ready(func(d *v1.Destination) {
				reset("2026-11-30T10:00:00Z")(d)
				d.Status.LastHandledCircuitResetAt = "2026-11-30T10:00:00Z"
			}),
			fake:  fakeDestinations{get: row(3, earlier)},
			calls: []string{"Get " + tableID}, ready: "True", reason: v1.ReasonAvailable,
		},
		"reset fails: not echoed, retried, Ready stays True": {
			object: ready(func(d *v1.Destination) { circuitState(v1.CircuitOpen)(d); reset("again")(d) }),
			fake: fakeDestinations{get: row(3, earlier), reset: func(string) (*hookstream.Circuit, error) {
				return nil, apiError(502, "Bad Gateway")
			}},
			calls: []string{"Get " + tableID, "ResetCircuit " + tableID}, ready: "True", reason: v1.ReasonAvailable,
			events: []string{"Warning APIUnavailable"}, wantErr: true,
			check: func(t *testing.T, d *v1.Destination) {
				if d.Status.LastHandledCircuitResetAt != "" || d.Status.Circuit.State != v1.CircuitOpen {
					t.Errorf("a failed reset echoed %q, circuit %+v", d.Status.LastHandledCircuitResetAt, d.Status.Circuit)
				}
				if c := meta.FindStatusCondition(d.Status.Conditions, v1.ConditionSynced); c == nil || c.Reason != v1.ReasonAPIUnavailable {
					t.Errorf("Synced = %+v, want reason APIUnavailable", c)
				}
			},
		},
		"circuit read fails: Delivering unknown, retried": {
			object: ready(func(d *v1.Destination) { d.Status.Circuit = nil }),
			fake: fakeDestinations{get: row(3, earlier), circuit: func(string) (*hookstream.Circuit, error) {
				return nil, apiError(503, "Service Unavailable")
			}},
			calls: []string{"Get " + tableID, "GetCircuit " + tableID}, ready: "True", reason: v1.ReasonAvailable,
			events: []string{"Warning APIUnavailable"}, wantErr: true,
			check: func(t *testing.T, d *v1.Destination) {
				c := meta.FindStatusCondition(d.Status.Conditions, v1.ConditionDelivering)
				if c == nil || c.Status != metav1.ConditionUnknown || c.Reason != v1.ReasonCircuitUnknown {
					t.Errorf("Delivering = %+v, want Unknown CircuitUnknown", c)
				}
			},
		},
		"observe only: a reset is refused, the circuit read": {
			object: func(d *v1.Destination) {
				d.Spec.ManagementPolicy = v1.ManagementObserve
				reset("now")(d)
			},
			fake: fakeDestinations{findByKey: func(string) (*hookstream.Destination, bool, error) {
				return tableRow(tableURL, earlier), true, nil
			}, circuit: circuit(hookstream.CircuitOpen, 7)},
			calls: []string{"FindByKey " + tableSlug, "GetCircuit " + tableID}, ready: "True", reason: v1.ReasonObserved,
			events: []string{"Warning CircuitResetRefused", "Warning CircuitOpened"},
			check: func(t *testing.T, d *v1.Destination) {
				delivering(metav1.ConditionFalse, v1.ReasonCircuitOpen, v1.CircuitOpen)(t, d)
				if d.Status.LastHandledCircuitResetAt != "now" {
					t.Errorf("lastHandledCircuitResetAt = %q, want the refused value, handled once", d.Status.LastHandledCircuitResetAt)
				}
			},
		},
		"paused in hookstream: not delivering": {
			object: ready(nil),
			fake: fakeDestinations{get: func(string) (*hookstream.Destination, error) {
				r, _ := row(3, earlier)("")
				r.Status = string(v1.StatePaused)
				return r, nil
			}},
			calls: []string{"Get " + tableID}, ready: "True", reason: v1.ReasonAvailable,
			check: delivering(metav1.ConditionFalse, v1.ReasonNotActive, v1.CircuitClosed),
		},
		"never read, never delivered to (an earlier manager's): closed from the row, no read": {
			object: ready(func(d *v1.Destination) {
				d.Status.Circuit, d.Status.EventCount, d.Status.LastDeliveryAt = nil, 0, nil
				d.Status.Conditions = nil
				managed.SetAvailable(d, "destination")
			}),
			fake:  fakeDestinations{get: func(string) (*hookstream.Destination, error) { return tableRow(tableURL, earlier), nil }},
			calls: []string{"Get " + tableID}, ready: "True", reason: v1.ReasonAvailable,
			check: func(t *testing.T, d *v1.Destination) {
				delivering(metav1.ConditionTrue, v1.ReasonCircuitClosed, v1.CircuitClosed)(t, d)
				if c := d.Status.Circuit; c.FailureCount != 0 || c.LastTransitionAt != nil {
					t.Errorf("circuit %+v, want no failures and no transition, as hookstream creates it", c)
				}
			},
		},
		"never read, delivered to, its turn: one read": {
			object: ready(func(d *v1.Destination) { d.Status.Circuit = nil }),
			fake:   fakeDestinations{get: row(3, earlier), circuit: circuit(hookstream.CircuitOpen, 5)},
			calls:  []string{"Get " + tableID, "GetCircuit " + tableID}, ready: "True", reason: v1.ReasonAvailable,
			events: []string{"Warning CircuitOpened"},
			check:  delivering(metav1.ConditionFalse, v1.ReasonCircuitOpen, v1.CircuitOpen),
		},
		"created: closed without a read": {
			fake: fakeDestinations{create: func(*desiredDestination) (*hookstream.Destination, error) {
				return tableRow(tableURL, now), nil
			}},
			calls: []string{"Create " + tableSlug}, ready: "True", reason: v1.ReasonAvailable, events: []string{"Normal Created"},
			check: delivering(metav1.ConditionTrue, v1.ReasonCircuitClosed, v1.CircuitClosed),
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) { runBranch(t, tc, tableDestination(tc.object), newDestinationKind) })
	}
}

// withCircuitPacer replaces the manager's pacer of first circuit reads for the test.
func withCircuitPacer(t *testing.T, p *circuitPacer) {
	saved := firstCircuitReads
	firstCircuitReads = p
	t.Cleanup(func() { firstCircuitReads = saved })
}

// TestFirstCircuitReadWaitsForItsTurn reconciles a Destination whose circuit was never read and whose row has a
// delivery while no turn is left: no read, no error, Delivering Unknown, Ready kept; and the next turn reads it.
func TestFirstCircuitReadWaitsForItsTurn(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	clock := now
	withCircuitPacer(t, newCircuitPacer(1, 1, func() time.Time { return clock }))
	if !firstCircuitReads.take(types.NamespacedName{Namespace: "other", Name: "d"}) {
		t.Fatal("a fresh pacer gave no turn")
	}
	object := func(d *v1.Destination) {
		d.Finalizers = []string{v1.Finalizer}
		d.Annotations = map[string]string{v1.AnnotationReconcileRequestedAt: "check"}
		d.Status.ID, d.Status.ObservedGeneration = tableID, d.Generation
		d.Status.EventCount, d.Status.LastDeliveryAt = 3, &metav1.Time{Time: now}
		managed.SetAvailable(d, "destination")
	}
	get := func(string) (*hookstream.Destination, error) {
		r := tableRow(tableURL, now)
		r.EventCount, r.LastDeliveryAt = 3, &now
		return r, nil
	}
	tc := destinationCase{
		fake:  fakeDestinations{get: get},
		calls: []string{"Get " + tableID}, ready: "True", reason: v1.ReasonAvailable,
		check: func(t *testing.T, d *v1.Destination) {
			c := meta.FindStatusCondition(d.Status.Conditions, v1.ConditionDelivering)
			if d.Status.Circuit != nil || c == nil || c.Status != metav1.ConditionUnknown || c.Reason != v1.ReasonCircuitUnknown {
				t.Errorf("circuit %+v, Delivering %+v; want no circuit and Delivering Unknown", d.Status.Circuit, c)
			}
		},
	}
	runBranch(t, tc, tableDestination(object), newDestinationKind)

	clock = clock.Add(time.Second)
	tc.fake = fakeDestinations{get: get, circuit: func(string) (*hookstream.Circuit, error) {
		return &hookstream.Circuit{State: hookstream.CircuitClosed}, nil
	}}
	tc.calls = []string{"Get " + tableID, "GetCircuit " + tableID}
	tc.check = func(t *testing.T, d *v1.Destination) {
		if d.Status.Circuit == nil || d.Status.Circuit.State != v1.CircuitClosed {
			t.Errorf("circuit %+v after its turn, want closed", d.Status.Circuit)
		}
	}
	runBranch(t, tc, tableDestination(object), newDestinationKind)
}

// TestCircuitPacerSpreadsFirstReads checks the pace of first circuit reads: a burst, then the rate, and a turn a
// status refresh granted counted once by the reconcile that uses it.
func TestCircuitPacerSpreadsFirstReads(t *testing.T) {
	clock := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	p := newCircuitPacer(firstCircuitReadRate, firstCircuitReadBurst, func() time.Time { return clock })
	key := func(i int) types.NamespacedName { return types.NamespacedName{Namespace: "team", Name: fmt.Sprint(i)} }
	turns := func(from, to int) int {
		n := 0
		for i := from; i < to; i++ {
			if p.take(key(i)) {
				n++
			}
		}
		return n
	}
	if n := turns(0, 1000); n != firstCircuitReadBurst {
		t.Errorf("%d of 1000 Destinations read at once, want the burst of %d", n, firstCircuitReadBurst)
	}
	clock = clock.Add(10 * time.Second)
	if n := turns(1000, 2000); n != 10*firstCircuitReadRate {
		t.Errorf("%d read 10 s later, want %d", n, 10*firstCircuitReadRate)
	}
	clock = clock.Add(time.Second)
	if !p.grant(key(1)) {
		t.Fatal("a refresh got no turn after a second")
	}
	if again := p.grant(key(1)); !again {
		t.Fatal("a refresh asking again for its turn lost it")
	}
	if !p.grant(key(2)) {
		t.Fatal("a second refresh got no turn")
	}
	if p.grant(key(3)) {
		t.Error("a third turn within a second at 2 a second")
	}
	if !p.take(key(1)) || !p.take(key(2)) {
		t.Error("a reconcile found no turn its refresh was granted")
	}
	if p.take(key(1)) {
		t.Error("a granted turn served twice")
	}
	p.grant(key(4))
	p.forget(key(4))
	if p.take(key(4)) {
		t.Error("the turn of a Destination that is gone stayed")
	}
}

// TestDestinationGauges checks the gauges a Destination's status sets, and that they go with the Destination.
func TestDestinationGauges(t *testing.T) {
	k := &destinationHealth{}
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	d := tableDestination(func(d *v1.Destination) {
		d.Name = "gauged"
		d.Status.Circuit = &v1.CircuitStatus{State: v1.CircuitOpen}
		d.Status.LastDeliveryAt = &metav1.Time{Time: at}
	})
	k.Report(d)
	if got := testutil.ToFloat64(circuitOpen.WithLabelValues(d.Namespace, d.Name)); got != 1 {
		t.Errorf("circuit_open = %v, want 1", got)
	}
	if got := testutil.ToFloat64(lastDelivery.WithLabelValues(d.Namespace, d.Name)); got != float64(at.Unix()) {
		t.Errorf("last_delivery_timestamp_seconds = %v, want %d", got, at.Unix())
	}
	d.Status.Circuit.State = v1.CircuitClosed
	k.Report(d)
	if got := testutil.ToFloat64(circuitOpen.WithLabelValues(d.Namespace, d.Name)); got != 0 {
		t.Errorf("circuit_open after closing = %v, want 0", got)
	}
	series := func() int { return testutil.CollectAndCount(circuitOpen) + testutil.CollectAndCount(lastDelivery) }
	before := series()
	k.Forget(types.NamespacedName{Namespace: d.Namespace, Name: d.Name})
	if gone := before - series(); gone != 2 {
		t.Errorf("%d series went with the Destination, want its 2", gone)
	}
}

// TestStatusRefreshPacesCircuitsNeverRead runs one status refresh over Destinations an earlier manager made (no
// status.circuit) with their rows unchanged: those without a delivery are not handed over (their drift check takes
// the circuit from the row), those with one only while turns last.
func TestStatusRefreshPacesCircuitsNeverRead(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	withCircuitPacer(t, newCircuitPacer(1, 2, func() time.Time { return now }))
	var rows []*hookstream.Destination
	var objects []client.Object
	for i := range 6 {
		delivered := i%2 == 1
		r := tableRow(tableURL, now)
		r.ID = fmt.Sprintf("id-%d", i)
		if delivered {
			r.EventCount, r.LastDeliveryAt = 1, &now
		}
		rows = append(rows, r)
		objects = append(objects, tableDestination(func(d *v1.Destination) {
			d.Name, d.UID = fmt.Sprintf("d%d", i), types.UID(fmt.Sprintf("uid-%d", i))
			d.Finalizers = []string{v1.Finalizer}
			(&destinationKind{}).SetObserved(d, r)
			d.Status.ID = r.ID
		}))
	}
	fake := fakeDestinations{list: func() ([]*hookstream.Destination, error) { return rows, nil }}
	_, _, _, r := newBranchReconciler("team", testAPIKey, branchFaults{}, objects, newDestinationKind,
		func(string) (destinationExternal, error) { return &fake, nil })
	var handed []string
	res := r.RefreshStatus(context.Background(), func() client.ObjectList { return &v1.DestinationList{} },
		func(_ context.Context, d *v1.Destination) bool { handed = append(handed, d.Name); return true })
	if len(handed) != 2 || res.Changed != 2 || res.Unchanged != 4 {
		t.Errorf("handed over %v (%+v), want 2 of the 3 delivered to, for the 2 turns", handed, res)
	}
	for _, name := range handed {
		if name != "d1" && name != "d3" && name != "d5" {
			t.Errorf("handed over %s, which was never delivered to", name)
		}
	}
}

// TestStatusRefreshHandsOverChangedObjectsOnly runs one status refresh over Destinations of one API key and checks
// that it lists once and hands over exactly those whose counters moved, whose circuit is not closed, or whose
// remote row is gone.
func TestStatusRefreshHandsOverChangedObjectsOnly(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	row := func(id string, count int64) *hookstream.Destination {
		r := tableRow(tableURL, now)
		r.ID, r.EventCount = id, count
		return r
	}
	object := func(name, id string, count int64, circuit v1.CircuitState) client.Object {
		d := tableDestination(func(d *v1.Destination) {
			d.Name, d.UID = name, types.UID("uid-"+name)
			d.Finalizers = []string{v1.Finalizer}
		})
		kind := &destinationKind{}
		kind.SetObserved(d, row(id, count))
		d.Status.ID = id
		d.Status.Circuit = &v1.CircuitStatus{State: circuit}
		return d
	}
	fake := fakeDestinations{list: func() ([]*hookstream.Destination, error) {
		return []*hookstream.Destination{row("id-quiet", 2), row("id-busy", 7), row("id-open", 1)}, nil
	}}
	objects := []client.Object{
		object("quiet", "id-quiet", 2, v1.CircuitClosed),
		object("busy", "id-busy", 5, v1.CircuitClosed),
		object("open", "id-open", 1, v1.CircuitOpen),
		object("gone", "id-gone", 1, v1.CircuitClosed),
		tableDestination(func(d *v1.Destination) { d.Name = "new" }),
	}
	_, _, _, r := newBranchReconciler("team", testAPIKey, branchFaults{}, objects, newDestinationKind,
		func(string) (destinationExternal, error) { return &fake, nil })
	var handed []string
	res := r.RefreshStatus(context.Background(), func() client.ObjectList { return &v1.DestinationList{} },
		func(_ context.Context, d *v1.Destination) bool { handed = append(handed, d.Name); return true })
	slices.Sort(handed)
	if want := []string{"busy", "gone", "open"}; !slices.Equal(handed, want) {
		t.Errorf("handed over %v, want %v", handed, want)
	}
	if want := (managed.RefreshResult{Keys: 1, Changed: 3, Unchanged: 1, Skipped: 1}); res != want {
		t.Errorf("result %+v, want %+v", res, want)
	}
	if want := []string{"List"}; !slices.Equal(fake.calls, want) {
		t.Errorf("hookstream calls %v, want one list", fake.calls)
	}
}
