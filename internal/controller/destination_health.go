// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/internal/managed"
)

var (
	circuitOpen = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "hookstream_destination_circuit_open",
		Help: "1 while the Destination's circuit breaker in hookstream is open or half-open (deliveries refused or " +
			"probing), 0 while it is closed.",
	}, []string{"namespace", "name"})
	lastDelivery = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "hookstream_destination_last_delivery_timestamp_seconds",
		Help: "Unix time of the Destination's latest delivery attempt in hookstream (status.lastDeliveryAt).",
	}, []string{"namespace", "name"})
)

func init() {
	metrics.Registry.MustRegister(circuitOpen, lastDelivery)
}

// circuitClient is what the Destination kind's health needs of its hookstream client.
type circuitClient interface {
	GetCircuit(ctx context.Context, id string) (*hookstream.Circuit, error)
	ResetCircuit(ctx context.Context, id string) (*hookstream.Circuit, error)
}

// destinationHealth observes a Destination's circuit breaker: the Health option of the Destination kind.
type destinationHealth struct {
	// circuits returns the circuit breakers' client of an API key.
	circuits func(apiKey string) (circuitClient, error)
}

var _ managed.Health[*v1.Destination, *hookstream.Destination] = (*destinationHealth)(nil)

// circuitsOf reads and resets circuit breakers with the hookstream client of a key, its errors translated.
func circuitsOf(clients ClientFactory) func(apiKey string) (circuitClient, error) {
	return func(apiKey string) (circuitClient, error) {
		c, err := clients(apiKey)
		if err != nil {
			return nil, err
		}
		return translatedCircuits{c}, nil
	}
}

// translatedCircuits is the hookstream client's circuit calls, with the machinery's errors (remoteError).
type translatedCircuits struct{ c *hookstream.Client }

func (t translatedCircuits) GetCircuit(ctx context.Context, id string) (*hookstream.Circuit, error) {
	c, err := t.c.GetCircuit(ctx, id)
	return c, remoteError(err)
}

func (t translatedCircuits) ResetCircuit(ctx context.Context, id string) (*hookstream.Circuit, error) {
	c, err := t.c.ResetCircuit(ctx, id)
	return c, remoteError(err)
}

// HealthRequested reports a circuit reset asked for by annotation and not handled yet.
func (*destinationHealth) HealthRequested(d *v1.Destination) bool {
	req := d.Annotations[v1.AnnotationResetCircuitRequestedAt]
	return req != "" && req != d.Status.LastHandledCircuitResetAt
}

// RefreshWanted reports a circuit that is not known to be closed: an open circuit turns half-open with time alone,
// without any counter moving. A circuit never read (a Destination an earlier version of the operator made) is
// wanted only with a turn of the paced first reads, and only when its status knows of a delivery: without one, its
// next drift check takes the circuit from the list row, with no read.
func (*destinationHealth) RefreshWanted(d *v1.Destination) bool {
	switch c := d.Status.Circuit; {
	case c != nil:
		return c.State != v1.CircuitClosed
	case d.Status.LastDeliveryAt == nil:
		return false
	default:
		return firstCircuitReads.grant(types.NamespacedName{Namespace: d.Namespace, Name: d.Name})
	}
}

// Reading the circuit of Destinations whose status has none. An earlier version of the operator wrote no
// status.circuit, so after an upgrade every Destination lacks one at once: one read each would take N calls at the
// start (20000 Destinations: 33 minutes of the default budget of 10 calls a second, with creates and updates
// waiting behind them). hookstream's list rows carry no circuit, but a circuit opens only after failed delivery
// attempts, and every attempt sets the row's last_delivery_at: a row without one has a closed circuit with no
// failures, as a new destination does. Only Destinations with a delivery need a read, and those reads are paced
// by firstCircuitReads, a fifth of the default budget, so that the rest of the work keeps the key's budget.
const (
	// firstCircuitReadRate is how many first circuit reads a second the manager makes, at most, on average.
	firstCircuitReadRate = 2
	// firstCircuitReadBurst lets one status refresh (every minute by default) hand over a minute's worth of first
	// reads at once; the key's rate budget spaces them.
	firstCircuitReadBurst = 120
)

// firstCircuitReads paces the first reads of circuits, for the whole manager.
var firstCircuitReads = newCircuitPacer(firstCircuitReadRate, firstCircuitReadBurst, time.Now)

// circuitPacer hands out turns to read a circuit never read. A status refresh that hands an object over for its
// turn (grant) keeps the turn for the reconcile it causes (take), so that a turn is counted once.
type circuitPacer struct {
	limiter *rate.Limiter
	now     func() time.Time
	mu      sync.Mutex
	granted map[types.NamespacedName]struct{}
}

func newCircuitPacer(perSecond float64, burst int, now func() time.Time) *circuitPacer {
	return &circuitPacer{limiter: rate.NewLimiter(rate.Limit(perSecond), burst), now: now,
		granted: map[types.NamespacedName]struct{}{}}
}

// grant reports whether the Destination may read its circuit now, and keeps the turn for take.
func (p *circuitPacer) grant(key types.NamespacedName) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.granted[key]; ok {
		return true
	}
	if !p.limiter.AllowN(p.now(), 1) {
		return false
	}
	p.granted[key] = struct{}{}
	return true
}

// take reports whether the Destination may read its circuit now, using up a turn grant gave it or a new one.
func (p *circuitPacer) take(key types.NamespacedName) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.granted[key]; ok {
		delete(p.granted, key)
		return true
	}
	return p.limiter.AllowN(p.now(), 1)
}

// forget drops the turn of a Destination that is gone.
func (p *circuitPacer) forget(key types.NamespacedName) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.granted, key)
}

// ObserveHealth reads the circuit breaker when something may have moved it (the destination's counters changed
// since the status was written, or it was not closed), resets it once per value of the reset annotation, and
// sets the Delivering condition. A destination this reconcile created has a closed circuit: nothing is read. The
// circuit of a Destination an earlier version of the operator made (unrecordedCircuit) is closed when the row shows
// no delivery attempt, and otherwise read in its turn of firstCircuitReads.
func (k *destinationHealth) ObserveHealth(ctx context.Context, d *v1.Destination, remote *hookstream.Destination,
	apiKey string, h managed.HealthObservation[*v1.Destination]) ([]managed.Event, error) {
	before := h.Before.Status.Circuit
	var events []managed.Event
	circuits, cerr := k.circuits(apiKey)
	if cerr != nil {
		return nil, cerr
	}
	var (
		circuit *hookstream.Circuit
		err     error
	)
	switch {
	case k.HealthRequested(d) && h.ReadOnly:
		req := d.Annotations[v1.AnnotationResetCircuitRequestedAt]
		d.Status.LastHandledCircuitResetAt = req
		events = append(events, managed.Event{Type: corev1.EventTypeWarning, Reason: "CircuitResetRefused", Action: "ResetCircuit",
			Note: fmt.Sprintf("Did not reset the circuit breaker for %s=%q: managementPolicy is Observe, which writes nothing "+
				"to hookstream.", v1.AnnotationResetCircuitRequestedAt, req)})
		circuit, err = circuits.GetCircuit(ctx, remote.ID)
	case k.HealthRequested(d):
		req := d.Annotations[v1.AnnotationResetCircuitRequestedAt]
		if circuit, err = circuits.ResetCircuit(ctx, remote.ID); err != nil {
			markCircuitUnknown(d, err)
			return events, err
		}
		d.Status.LastHandledCircuitResetAt = req
		events = append(events, managed.Event{Type: corev1.EventTypeNormal, Reason: "CircuitReset", Action: "ResetCircuit",
			Note: fmt.Sprintf("Reset the circuit breaker of hookstream destination %s for %s=%q (it was %s).", remote.ID,
				v1.AnnotationResetCircuitRequestedAt, req, circuitStateOf(before))})
	case h.Created:
		// hookstream creates destinations with a closed circuit and no failures.
		circuit = &hookstream.Circuit{State: hookstream.CircuitClosed}
	case unrecordedCircuit(h.Before, remote) && remote.LastDeliveryAt == nil:
		// Never delivered to: the circuit is still as hookstream created it.
		circuit = &hookstream.Circuit{State: hookstream.CircuitClosed}
	case unrecordedCircuit(h.Before, remote) && !firstCircuitReads.take(types.NamespacedName{Namespace: d.Namespace, Name: d.Name}):
		// Not its turn: a later status refresh or drift check reads it (RefreshWanted).
	case circuitMayHaveMoved(h.Before, d):
		circuit, err = circuits.GetCircuit(ctx, remote.ID)
	}
	if err != nil {
		markCircuitUnknown(d, err)
		return events, err
	}
	if circuit != nil {
		d.Status.Circuit = circuitStatus(circuit)
		events = append(events, circuitEvents(before, d.Status.Circuit)...)
	}
	SetDelivering(d)
	return events, nil
}

// unrecordedCircuit reports a Destination whose status already held the remote destination's id but no circuit:
// one an earlier version of the operator made. (A remote destination found or adopted in this reconcile has its
// circuit read at once, as before: that happens one object at a time, not to every object after a start.)
func unrecordedCircuit(before *v1.Destination, remote *hookstream.Destination) bool {
	return before.Status.Circuit == nil && before.Status.ID != "" && before.Status.ID == remote.ID
}

// circuitMayHaveMoved reports whether the circuit must be read: never read, not closed, or the counters moved since
// the status was last written (a delivery happened, and may have failed).
func circuitMayHaveMoved(before, now *v1.Destination) bool {
	b, n := &before.Status, &now.Status
	return b.Circuit == nil || b.Circuit.State != v1.CircuitClosed || b.EventCount != n.EventCount ||
		!b.LastDeliveryAt.Equal(n.LastDeliveryAt) || b.ID != n.ID
}

func circuitStatus(c *hookstream.Circuit) *v1.CircuitStatus {
	return &v1.CircuitStatus{State: v1.CircuitState(c.State), FailureCount: int64(c.FailureCount),
		LastTransitionAt: managed.Time(c.LastTransitionAt)}
}

func circuitStateOf(c *v1.CircuitStatus) string {
	if c == nil {
		return "not read yet"
	}
	return string(c.State)
}

// circuitEvents are the events of a circuit's change: a Warning when it opens, a Normal one when it closes.
func circuitEvents(before, now *v1.CircuitStatus) []managed.Event {
	was := v1.CircuitState("")
	if before != nil {
		was = before.State
	}
	switch {
	case now.State == was:
		return nil
	case now.State == v1.CircuitOpen:
		return []managed.Event{{Type: corev1.EventTypeWarning, Reason: "CircuitOpened", Action: "Observe",
			Note: fmt.Sprintf("The circuit breaker opened after %d consecutive failed deliveries; hookstream holds the "+
				"destination's events until a probe delivery succeeds.", now.FailureCount)}}
	case now.State == v1.CircuitClosed && was != "":
		return []managed.Event{{Type: corev1.EventTypeNormal, Reason: "CircuitClosed", Action: "Observe",
			Note: fmt.Sprintf("The circuit breaker closed (it was %s); hookstream delivers again.", was)}}
	}
	return nil
}

// SetDelivering sets the Delivering condition from the destination's state and circuit. It is exported so that the
// tests of what GitOps tools read use the condition the operator really writes.
func SetDelivering(d *v1.Destination) {
	c := d.Status.Circuit
	status, reason, msg := metav1.ConditionUnknown, v1.ReasonCircuitUnknown, "The circuit breaker has not been read yet."
	switch {
	case d.Status.State != "" && d.Status.State != string(v1.StateActive):
		status, reason = metav1.ConditionFalse, v1.ReasonNotActive
		msg = fmt.Sprintf("The destination's state is %s: hookstream does not deliver to it.", d.Status.State)
	case c == nil:
	case c.State == v1.CircuitClosed:
		status, reason, msg = metav1.ConditionTrue, v1.ReasonCircuitClosed, "The circuit breaker is closed; hookstream delivers."
	case c.State == v1.CircuitOpen:
		status, reason = metav1.ConditionFalse, v1.ReasonCircuitOpen
		msg = fmt.Sprintf("The circuit breaker is open after %d consecutive failed deliveries: hookstream holds the "+
			"destination's events and sends one probe delivery once the reset time has passed. Fix the receiver, or "+
			"set the annotation %s to a new value to reset the circuit.", c.FailureCount, v1.AnnotationResetCircuitRequestedAt)
	case c.State == v1.CircuitHalfOpen:
		status, reason = metav1.ConditionFalse, v1.ReasonCircuitHalfOpen
		msg = fmt.Sprintf("The circuit breaker is half-open after %d consecutive failed deliveries: the next delivery "+
			"is a probe that closes it on success and opens it again on failure.", c.FailureCount)
	}
	managed.SetCondition(d, v1.ConditionDelivering, status, reason, msg)
}

// markCircuitUnknown records a failed read or reset of the circuit breaker in the Delivering condition.
func markCircuitUnknown(d *v1.Destination, err error) {
	if c := meta.FindStatusCondition(d.Status.Conditions, v1.ConditionDelivering); c != nil && c.Status != metav1.ConditionUnknown {
		// The last reading stands until a new one succeeds; the Synced condition says why none did.
		return
	}
	managed.SetCondition(d, v1.ConditionDelivering, metav1.ConditionUnknown, v1.ReasonCircuitUnknown,
		"The circuit breaker could not be read: "+err.Error())
}

// Report sets the Destination's gauges from its status.
func (*destinationHealth) Report(d *v1.Destination) {
	open := 0.0
	if c := d.Status.Circuit; c != nil && c.State != v1.CircuitClosed {
		open = 1
	}
	if d.Status.Circuit != nil {
		circuitOpen.WithLabelValues(d.Namespace, d.Name).Set(open)
	}
	if t := d.Status.LastDeliveryAt; t != nil {
		lastDelivery.WithLabelValues(d.Namespace, d.Name).Set(float64(t.Unix()))
	}
}

// Forget drops the gauges and the circuit read turn of a Destination that is gone.
func (*destinationHealth) Forget(key types.NamespacedName) {
	circuitOpen.DeleteLabelValues(key.Namespace, key.Name)
	lastDelivery.DeleteLabelValues(key.Namespace, key.Name)
	firstCircuitReads.forget(key)
}
