// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package managed

import (
	"context"

	"k8s.io/apimachinery/pkg/types"
)

// Health observes the delivery health of a kind's remote resources, such as a Destination's circuit breaker: an
// option of the kind's Definition.
type Health[O Object, R any] interface {
	// HealthRequested reports an annotation asking for an action the kind has not handled yet (a circuit reset):
	// the reconcile is then no periodic check.
	HealthRequested(obj O) bool
	// ObserveHealth brings obj's health status up to date once its row was mirrored into obj, and handles what
	// HealthRequested reports, with the hookstream client of apiKey (the object's own). It returns the events of
	// the changes it saw.
	ObserveHealth(ctx context.Context, obj O, remote R, apiKey string, h HealthObservation[O]) ([]Event, error)
	// RefreshWanted reports that the next status refresh must observe obj even if its row did not change (an open
	// circuit turns half-open with time alone).
	RefreshWanted(obj O) bool
	// Report publishes obj's health in the kind's metrics.
	Report(obj O)
	// Forget drops the metrics of an object that is gone.
	Forget(key types.NamespacedName)
}

// HealthObservation tells ObserveHealth how the object came to this observation.
type HealthObservation[O Object] struct {
	// Before is the object before this reconcile mirrored the remote row: its previous counters.
	Before O
	// Created says that this reconcile created the remote resource.
	Created bool
	// ReadOnly says that nothing may be written to hookstream (managementPolicy Observe).
	ReadOnly bool
}

// Event is an event a kind asks the machinery to record on the object.
type Event struct {
	// Type is corev1.EventTypeNormal or corev1.EventTypeWarning.
	Type   string
	Reason string
	// Action is what the operator did or observed, such as "Observe".
	Action string
	Note   string
}

// healthRequested reports a pending health action of obj.
func (r *Reconciler[O, R, D, P]) healthRequested(obj O) bool {
	return r.def.Health != nil && r.def.Health.HealthRequested(obj)
}

// observeHealth lets the kind observe the remote resource's health after the row was mirrored into obj; before
// is obj as it was read. A failure is the reconcile's like any failed hookstream call.
func (r *Reconciler[O, R, D, P]) observeHealth(ctx context.Context, obj, before O, remote R, apiKey string,
	created, readOnly bool) error {
	h := r.def.Health
	if h == nil {
		return nil
	}
	events, err := h.ObserveHealth(ctx, obj, remote, apiKey, HealthObservation[O]{Before: before, Created: created, ReadOnly: readOnly})
	for _, e := range events {
		r.event(obj, e.Type, e.Reason, e.Action, e.Note)
	}
	h.Report(obj)
	return err
}

// forget drops what the kind publishes of an object that is gone.
func (r *Reconciler[O, R, D, P]) forget(key types.NamespacedName) {
	if r.def.Health != nil {
		r.def.Health.Forget(key)
	}
}
