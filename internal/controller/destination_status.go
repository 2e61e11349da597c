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
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
)

// The setters below are pure functions of the object; the reconciler writes the result once, at the end.

// setAvailable records a reconcile that left the remote destination matching the spec.
func setAvailable(d *v1.Destination) {
	setCondition(d, v1.ConditionReady, metav1.ConditionTrue, v1.ReasonAvailable,
		"The destination exists in hookstream and matches the spec.")
	setCondition(d, v1.ConditionSynced, metav1.ConditionTrue, v1.ReasonReconcileSuccess,
		"The last reconcile reached hookstream.")
	meta.RemoveStatusCondition(&d.Status.Conditions, v1.ConditionReconciling)
	meta.RemoveStatusCondition(&d.Status.Conditions, v1.ConditionStalled)
}

// setStalled records a failure that retrying cannot fix: the spec, a Secret or hookstream must change first.
func setStalled(d *v1.Destination, reason, message string) {
	setCondition(d, v1.ConditionReady, metav1.ConditionFalse, reason, message)
	setCondition(d, v1.ConditionSynced, metav1.ConditionFalse, reason, message)
	setCondition(d, v1.ConditionStalled, metav1.ConditionTrue, reason, message)
	meta.RemoveStatusCondition(&d.Status.Conditions, v1.ConditionReconciling)
}

// setRetrying records a transient failure that the operator retries by itself. A destination that was Ready for
// the current generation stays Ready: the last observation still holds, only this attempt failed.
func setRetrying(d *v1.Destination, reason, message string) {
	ready := meta.FindStatusCondition(d.Status.Conditions, v1.ConditionReady)
	stillReady := ready != nil && ready.Status == metav1.ConditionTrue && d.Status.ObservedGeneration == d.Generation
	if !stillReady {
		setCondition(d, v1.ConditionReady, metav1.ConditionFalse, reason, message)
	}
	setCondition(d, v1.ConditionSynced, metav1.ConditionFalse, reason, message)
	setCondition(d, v1.ConditionReconciling, metav1.ConditionTrue, reason, message)
	meta.RemoveStatusCondition(&d.Status.Conditions, v1.ConditionStalled)
}

// setDeleting marks a Destination whose remote deletion has not happened yet; Synced says why.
func setDeleting(d *v1.Destination) {
	msg := "The Destination is being deleted; the remote destination is not deleted yet."
	if synced := meta.FindStatusCondition(d.Status.Conditions, v1.ConditionSynced); synced != nil {
		msg += " " + synced.Message
	}
	setCondition(d, v1.ConditionReady, metav1.ConditionFalse, v1.ReasonDeleting, msg)
}

func setCondition(d *v1.Destination, condType string, status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(&d.Status.Conditions, metav1.Condition{
		Type:               condType,
		Status:             status,
		Reason:             reason,
		Message:            message,
		ObservedGeneration: d.Generation,
	})
}

// setObserved mirrors the remote row into status.
func setObserved(d *v1.Destination, remote *hookstream.Destination) {
	s := &d.Status
	s.ID = remote.ID
	s.Slug = remote.Slug
	s.Type = remote.Type
	s.State = remote.Status
	s.EventCount = remote.EventCount
	s.LastDeliveryAt = timePtr(remote.LastDeliveryAt)
	s.CreatedAt = timeValue(remote.CreatedAt)
	s.UpdatedAt = timeValue(remote.UpdatedAt)
}

func timePtr(t *time.Time) *metav1.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	mt := metav1.NewTime(t.UTC())
	return &mt
}

func timeValue(t time.Time) *metav1.Time {
	return timePtr(&t)
}

// setPaused records that the paused annotation stops every hookstream call. Ready keeps its last value.
func setPaused(d *v1.Destination) {
	setCondition(d, v1.ConditionSynced, metav1.ConditionFalse, v1.ReasonPaused,
		"Reconciliation is paused by the hookstream.io/paused annotation; remove it to resume.")
	meta.RemoveStatusCondition(&d.Status.Conditions, v1.ConditionReconciling)
}

// setObservedMatch records, under managementPolicy Observe, a remote destination that matches the spec.
func setObservedMatch(d *v1.Destination) {
	setCondition(d, v1.ConditionReady, metav1.ConditionTrue, v1.ReasonObserved,
		"The destination exists in hookstream and matches the spec (observed only: managementPolicy is Observe).")
	setCondition(d, v1.ConditionSynced, metav1.ConditionTrue, v1.ReasonReconcileSuccess, "The last reconcile reached hookstream.")
	meta.RemoveStatusCondition(&d.Status.Conditions, v1.ConditionReconciling)
	meta.RemoveStatusCondition(&d.Status.Conditions, v1.ConditionStalled)
}

// setObservedDrift records, under managementPolicy Observe, a remote destination that differs from the spec.
func setObservedDrift(d *v1.Destination, fields []string) {
	setCondition(d, v1.ConditionReady, metav1.ConditionFalse, v1.ReasonDriftDetected,
		fmt.Sprintf("hookstream differs from the spec in %s (see status.drift). managementPolicy is Observe, so nothing "+
			"is changed; set it to Manage to apply the spec.", strings.Join(fields, ", ")))
	setCondition(d, v1.ConditionSynced, metav1.ConditionTrue, v1.ReasonReconcileSuccess, "The last reconcile reached hookstream.")
	// The operator will never change hookstream under Observe: only a person can resolve the drift.
	setCondition(d, v1.ConditionStalled, metav1.ConditionTrue, v1.ReasonDriftDetected,
		"hookstream differs from the spec and managementPolicy Observe never changes it; see status.drift.")
	meta.RemoveStatusCondition(&d.Status.Conditions, v1.ConditionReconciling)
}

// setDrift publishes the differing fields, secret values hidden. The time moves only when the list changes.
func setDrift(d *v1.Destination, diffs []fieldDiff) {
	var drift []v1.FieldDrift
	for _, f := range diffs {
		fd := v1.FieldDrift{Field: f.Field, Desired: f.Desired, Observed: f.Observed}
		if f.Secret {
			fd.Desired, fd.Observed = "(secret)", "(secret, differs)"
		}
		drift = append(drift, fd)
	}
	if equality.Semantic.DeepEqual(drift, d.Status.Drift) {
		return
	}
	d.Status.Drift = drift
	now := metav1.Now()
	d.Status.DriftObservedAt = &now
	if drift == nil {
		d.Status.DriftObservedAt = nil
	}
}
