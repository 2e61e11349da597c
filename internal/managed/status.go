// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package managed

import (
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
)

// The setters below are pure functions of the object; the reconciler writes the result once, at the end. They
// are exported so that the tests of what GitOps tools read use the statuses the operator really writes.

// SetAvailable records a reconcile that left the remote resource matching the spec.
func SetAvailable(obj Object, remote string) {
	setCondition(obj, v1.ConditionReady, metav1.ConditionTrue, v1.ReasonAvailable,
		fmt.Sprintf("The %s exists in hookstream and matches the spec.", remote))
	setCondition(obj, v1.ConditionSynced, metav1.ConditionTrue, v1.ReasonReconcileSuccess,
		"The last reconcile reached hookstream.")
	removeCondition(obj, v1.ConditionReconciling)
	removeCondition(obj, v1.ConditionStalled)
}

// SetStalled records a failure that retrying cannot fix: the spec, a Secret or hookstream must change first.
func SetStalled(obj Object, reason, message string) {
	setCondition(obj, v1.ConditionReady, metav1.ConditionFalse, reason, message)
	setCondition(obj, v1.ConditionSynced, metav1.ConditionFalse, reason, message)
	setCondition(obj, v1.ConditionStalled, metav1.ConditionTrue, reason, message)
	removeCondition(obj, v1.ConditionReconciling)
}

// SetRetrying records a transient failure that the operator retries by itself. An object that was Ready for the
// current generation stays Ready: the last observation still holds, only this attempt failed.
func SetRetrying(obj Object, reason, message string) {
	s := obj.GetManagedStatus()
	ready := meta.FindStatusCondition(s.Conditions, v1.ConditionReady)
	stillReady := ready != nil && ready.Status == metav1.ConditionTrue && s.ObservedGeneration == obj.GetGeneration()
	if !stillReady {
		setCondition(obj, v1.ConditionReady, metav1.ConditionFalse, reason, message)
	}
	setCondition(obj, v1.ConditionSynced, metav1.ConditionFalse, reason, message)
	setCondition(obj, v1.ConditionReconciling, metav1.ConditionTrue, reason, message)
	removeCondition(obj, v1.ConditionStalled)
}

// SetDeleting marks an object whose remote deletion has not happened yet; Synced says why.
func SetDeleting(obj Object, names Names) {
	msg := fmt.Sprintf("The %s is being deleted; the remote %s is not deleted yet.", names.Kind, names.Remote)
	if synced := meta.FindStatusCondition(obj.GetManagedStatus().Conditions, v1.ConditionSynced); synced != nil {
		msg += " " + synced.Message
	}
	setCondition(obj, v1.ConditionReady, metav1.ConditionFalse, v1.ReasonDeleting, msg)
}

// SetPaused records that the paused annotation stops every hookstream call. Ready keeps its last value.
func SetPaused(obj Object) {
	setCondition(obj, v1.ConditionSynced, metav1.ConditionFalse, v1.ReasonPaused,
		"Reconciliation is paused by the hookstream.io/paused annotation; remove it to resume.")
	removeCondition(obj, v1.ConditionReconciling)
}

// SetObservedMatch records, under managementPolicy Observe, a remote resource that matches the spec.
func SetObservedMatch(obj Object, remote string) {
	setCondition(obj, v1.ConditionReady, metav1.ConditionTrue, v1.ReasonObserved,
		fmt.Sprintf("The %s exists in hookstream and matches the spec (observed only: managementPolicy is Observe).", remote))
	setCondition(obj, v1.ConditionSynced, metav1.ConditionTrue, v1.ReasonReconcileSuccess, "The last reconcile reached hookstream.")
	removeCondition(obj, v1.ConditionReconciling)
	removeCondition(obj, v1.ConditionStalled)
}

// SetObservedDrift records, under managementPolicy Observe, a remote resource that differs from the spec.
func SetObservedDrift(obj Object, fields []string) {
	msg := fmt.Sprintf("hookstream differs from the spec in %s (see status.drift). managementPolicy is Observe, so nothing "+
		"is changed; set it to Manage to apply the spec.", strings.Join(fields, ", "))
	setCondition(obj, v1.ConditionReady, metav1.ConditionFalse, v1.ReasonDriftDetected, msg)
	setCondition(obj, v1.ConditionSynced, metav1.ConditionTrue, v1.ReasonReconcileSuccess, "The last reconcile reached hookstream.")
	// The operator will never change hookstream under Observe: only a person can resolve the drift. Stalled names
	// the fields too, since it is the condition GitOps tools show first.
	setCondition(obj, v1.ConditionStalled, metav1.ConditionTrue, v1.ReasonDriftDetected, msg)
	removeCondition(obj, v1.ConditionReconciling)
}

// SetDrift publishes the differing fields, secret values hidden. The time moves only when the list changes.
func SetDrift(obj Object, diffs []FieldDiff) {
	s := obj.GetManagedStatus()
	// nil, not empty, when nothing differs: the field is then left out of the status.
	var drift []v1.FieldDrift
	if len(diffs) > 0 {
		drift = make([]v1.FieldDrift, 0, len(diffs))
	}
	for _, f := range diffs {
		fd := v1.FieldDrift{Field: f.Field, Desired: f.Desired, Observed: f.Observed, Ignored: f.Ignored,
			HeldUntil: Time(f.HeldUntil)}
		if f.Secret {
			fd.Desired, fd.Observed = "(secret)", "(secret, differs)"
		}
		drift = append(drift, fd)
	}
	if equality.Semantic.DeepEqual(drift, s.Drift) {
		return
	}
	s.Drift = drift
	now := metav1.Now()
	s.DriftObservedAt = &now
	if drift == nil {
		s.DriftObservedAt = nil
	}
}

// MarkCheckHandled echoes a requested check once it has read hookstream and concluded. A check that failed stays
// requested, so its retry reads hookstream again instead of a snapshot.
func MarkCheckHandled(obj Object) {
	if req := obj.GetAnnotations()[v1.AnnotationReconcileRequestedAt]; req != "" {
		obj.GetManagedStatus().LastHandledReconcileAt = req
	}
}

// isStalledBy reports a Stalled condition that is True with this reason and message.
func isStalledBy(obj Object, reason, message string) bool {
	c := meta.FindStatusCondition(obj.GetManagedStatus().Conditions, v1.ConditionStalled)
	return c != nil && c.Status == metav1.ConditionTrue && c.Reason == reason && c.Message == message
}

// isStalled reports a Stalled condition that is True.
func isStalled(obj Object) bool {
	return meta.IsStatusConditionTrue(obj.GetManagedStatus().Conditions, v1.ConditionStalled)
}

// isSettled reports whether the reconcile concluded on the current generation: Ready for it, or stalled (nothing
// more happens until a change). A retried failure has not concluded, so the generation stays unobserved.
func isSettled(obj Object) bool {
	ready := meta.FindStatusCondition(obj.GetManagedStatus().Conditions, v1.ConditionReady)
	return isStalled(obj) || (ready != nil && ready.Status == metav1.ConditionTrue && ready.ObservedGeneration == obj.GetGeneration())
}

// SetCondition sets a condition of a kind's own, such as a Destination's Delivering.
func SetCondition(obj Object, condType string, status metav1.ConditionStatus, reason, message string) {
	setCondition(obj, condType, status, reason, message)
}

func setCondition(obj Object, condType string, status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(&obj.GetManagedStatus().Conditions, metav1.Condition{
		Type:               condType,
		Status:             status,
		Reason:             reason,
		Message:            message,
		ObservedGeneration: obj.GetGeneration(),
	})
}

func removeCondition(obj Object, condType string) {
	meta.RemoveStatusCondition(&obj.GetManagedStatus().Conditions, condType)
}

// Time converts a remote time for status; nil for none.
func Time(t *time.Time) *metav1.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	mt := metav1.NewTime(t.UTC())
	return &mt
}
