// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0
package managed

import (
	"context"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
)

// TestDriftIntervalAnnotation: the hookstream.io/drift-interval annotation sets when an object is checked next,
// "0" never (the reconcile itself still reaches hookstream), and a value it cannot take stalls the object with
// InvalidAnnotation and a Warning event, without a hookstream call.
func TestDriftIntervalAnnotation(t *testing.T) {
	const flag = 10 * time.Minute
	tests := map[string]struct {
		annotation string
		set        bool
		// next is the interval the requeue is jittered from; 0 for none.
		next    time.Duration
		invalid string
	}{
		"no annotation: --drift-interval": {next: flag},
		"2m":                              {annotation: "2m", set: true, next: 2 * time.Minute},
		"1h30m":                           {annotation: "1h30m", set: true, next: 90 * time.Minute},
		"0 is never":                      {annotation: "0", set: true},
		"0s is never":                     {annotation: "0s", set: true},
		"surrounding spaces":              {annotation: " 90s ", set: true, next: 90 * time.Second},
		"not a duration":                  {annotation: "soon", set: true, invalid: "not a duration"},
		"a number without unit":           {annotation: "60", set: true, invalid: "not a duration"},
		"negative":                        {annotation: "-5m", set: true, invalid: "shorter than the shortest interval taken: set at least 10s"},
		"shorter than the shortest taken": {annotation: "5s", set: true, invalid: "shorter than the shortest interval taken: set at least 10s"},
		"empty":                           {annotation: "", set: true, invalid: "not a duration"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			obj := &v1.Destination{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "orders", Generation: 1,
				Finalizers: []string{v1.Finalizer}}}
			obj.Status.ID = "d1"
			if tc.set {
				obj.Annotations = map[string]string{v1.AnnotationDriftInterval: tc.annotation}
			}
			remote := &keyRemote{row: &keyRow{ID: "d1"}}
			recorder := events.NewFakeRecorder(10)
			r, c := keyReconciler(t, remote, obj, recorder, Options{DriftInterval: flag})
			result, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(obj)})
			got := &v1.Destination{}
			if gerr := c.Get(ctx, client.ObjectKeyFromObject(obj), got); gerr != nil {
				t.Fatal(gerr)
			}
			if tc.invalid != "" {
				stalled := meta.FindStatusCondition(got.Status.Conditions, v1.ConditionStalled)
				if stalled == nil || stalled.Status != metav1.ConditionTrue || stalled.Reason != v1.ReasonInvalidAnnotation ||
					!strings.Contains(stalled.Message, v1.AnnotationDriftInterval) || !strings.Contains(stalled.Message, tc.invalid) {
					t.Errorf("Stalled %+v; want True, InvalidAnnotation, naming the annotation and %q", stalled, tc.invalid)
				}
				if remote.observed != 0 || remote.notCalls != "" {
					t.Errorf("%d reads and calls %q of hookstream, want none", remote.observed, remote.notCalls)
				}
				select {
				case e := <-recorder.Events:
					if !strings.HasPrefix(e, "Warning InvalidAnnotation ") {
						t.Errorf("event %q, want a Warning InvalidAnnotation", e)
					}
				default:
					t.Error("no event")
				}
				if err == nil || result.RequeueAfter != 0 {
					t.Errorf("result %+v, error %v; want no retry until the annotation changes", result, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ready := meta.FindStatusCondition(got.Status.Conditions, v1.ConditionReady); ready == nil ||
				ready.Status != metav1.ConditionTrue {
				t.Errorf("Ready %+v, want True: the reconcile compares with hookstream whatever the interval", ready)
			}
			if remote.observed != 1 {
				t.Errorf("%d reads of the remote row, want 1", remote.observed)
			}
			if tc.next == 0 {
				if result.RequeueAfter != 0 || !result.IsZero() {
					t.Errorf("result %+v, want no requeue: never checked", result)
				}
				return
			}
			if result.RequeueAfter < tc.next || result.RequeueAfter > tc.next+tc.next/10 {
				t.Errorf("requeued after %v, want %v jittered by up to 10%%", result.RequeueAfter, tc.next)
			}
		})
	}
}

// TestNeverCheckedMakesNoCall: a reconcile that only time asked for (a restart, a status refresh) makes no
// hookstream call and writes nothing for an object whose interval is "0"; a requested check still reaches hookstream.
func TestNeverCheckedMakesNoCall(t *testing.T) {
	ctx := context.Background()
	obj := &v1.Destination{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "orders", Generation: 1,
		Finalizers: []string{v1.Finalizer}, Annotations: map[string]string{v1.AnnotationDriftInterval: "0"}}}
	obj.Status.ID = "d1"
	obj.Status.ObservedGeneration = 1
	obj.Status.AppliedSecretsHash = SecretsHash(planDesired{}.SecretMaterial(), testAPIKey)
	SetAvailable(obj, "destination")
	remote := &keyRemote{row: &keyRow{ID: "d1"}}
	r, c := keyReconciler(t, remote, obj, nil, Options{DriftInterval: time.Minute})
	key := client.ObjectKeyFromObject(obj)
	before := &v1.Destination{}
	if err := c.Get(ctx, key, before); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the first sight after a start, then a later one
		result, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: key})
		if err != nil || !result.IsZero() {
			t.Fatalf("result %+v, error %v; want nothing to do", result, err)
		}
	}
	after := &v1.Destination{}
	if err := c.Get(ctx, key, after); err != nil {
		t.Fatal(err)
	}
	if remote.observed != 0 || remote.notCalls != "" || after.ResourceVersion != before.ResourceVersion {
		t.Errorf("%d reads, calls %q, resourceVersion %s -> %s; want no call and no write", remote.observed,
			remote.notCalls, before.ResourceVersion, after.ResourceVersion)
	}

	// A requested check is no periodic one.
	after.Annotations[v1.AnnotationReconcileRequestedAt] = "now"
	if err := c.Update(ctx, after); err != nil {
		t.Fatal(err)
	}
	result, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: key})
	if err != nil || !result.IsZero() {
		t.Fatalf("result %+v, error %v; want no requeue", result, err)
	}
	if remote.observed != 1 {
		t.Errorf("%d reads of the remote row on a requested check, want 1", remote.observed)
	}
}
