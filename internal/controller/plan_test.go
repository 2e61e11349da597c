// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/internal/managed"
)

// TestPlanAgreesWithReconciler runs, per row, one reconcile of the managed reconciler and one plan on the same
// object and the same hookstream answers: the plan must announce what the reconcile did.
func TestPlanAgreesWithReconciler(t *testing.T) {
	now := time.Now()
	marker := func(d *v1.Destination) {
		d.Finalizers = []string{v1.Finalizer}
		d.Annotations = map[string]string{v1.AnnotationCreateRequested: now.UTC().Format(time.RFC3339)}
	}
	const newID = "fedcba9876543210fedcba9876543210"
	created := func(*desiredDestination) (*hookstream.Destination, error) {
		row := tableRow(tableURL, now)
		row.ID = newID
		return row, nil
	}
	taken := func(*desiredDestination) (*hookstream.Destination, error) {
		return nil, apiError(409, "Destination slug already exists")
	}
	notFound := func(string) (*hookstream.Destination, error) { return nil, apiError(404, "Destination not found") }
	nothing := func(string) (*hookstream.Destination, bool, error) { return nil, false, nil }
	older := func(string) (*hookstream.Destination, bool, error) {
		return tableRow(tableURL, now.Add(-time.Hour)), true, nil
	}
	tests := map[string]struct {
		object func(*v1.Destination)
		fake   fakeDestinations
		want   string
	}{
		"recorded resource gone: created anew": {
			object: func(d *v1.Destination) {
				d.Finalizers = []string{v1.Finalizer}
				d.Status.ID = tableID
			},
			fake: fakeDestinations{get: notFound, findByKey: nothing, create: created},
			want: "create",
		},
		"adopted resource gone: never created anew": {
			object: func(d *v1.Destination) {
				d.Finalizers = []string{v1.Finalizer}
				d.Spec.AdoptID, d.Status.ID = tableID, tableID
			},
			// spec.adoptID names the one to manage: nothing is created in its place.
			fake: fakeDestinations{get: notFound},
			want: "blocked " + v1.ReasonNotFound,
		},
		"slug taken": {
			fake: fakeDestinations{findByKey: older, create: taken},
			want: "blocked " + v1.ReasonConflict,
		},
		"slug taken, adoption by slug": {
			object: func(d *v1.Destination) { d.Spec.AdoptionPolicy = v1.AdoptBySlug },
			fake:   fakeDestinations{findByKey: older, create: taken},
			want:   "unchanged",
		},
		"unrecorded create with the marker": {
			object: marker,
			fake: fakeDestinations{findByKey: func(string) (*hookstream.Destination, bool, error) {
				return tableRow(tableURL, now), true, nil
			}},
			want: "unchanged",
		},
		"marker, slug taken before it": {
			object: marker,
			fake:   fakeDestinations{findByKey: older, create: taken},
			want:   "blocked " + v1.ReasonConflict,
		},
		"observe only, not found": {
			object: func(d *v1.Destination) { d.Spec.ManagementPolicy = v1.ManagementObserve },
			fake:   fakeDestinations{findByKey: nothing},
			want:   "blocked " + v1.ReasonNotFound,
		},
		"adoptID naming nothing": {
			object: func(d *v1.Destination) { d.Spec.AdoptID = tableID },
			fake:   fakeDestinations{get: notFound},
			want:   "blocked " + v1.ReasonNotFound,
		},
		"paused": {
			object: func(d *v1.Destination) {
				d.Status.ID = tableID
				d.Annotations = map[string]string{v1.AnnotationPaused: "true"}
			},
			want: "paused",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			obj := tableDestination(tc.object)

			// The plan, on a fake that refuses every write.
			reads := tc.fake
			reads.create, reads.update, reads.delete = nil, nil, nil
			def := newDestinationKind(nil, nil)
			p, err := managed.Preview(ctx, def, translated[*v1.Destination, *hookstream.Destination, *desiredDestination,
				*hookstream.UpdateRequest]{&reads}, obj.DeepCopy(), managed.Refs{Secret: resolveTestSecret}, testAPIKey)
			if err != nil {
				t.Fatalf("plan: %v (calls %v)", err, reads.calls)
			}
			planned := string(p.Action)
			if p.Action == managed.PlanBlocked {
				planned += " " + p.Reason
			}

			// The reconcile.
			hs := tc.fake
			hs.circuit = closedCircuit
			cluster, _, _, r := newBranchReconciler(obj.GetNamespace(), testAPIKey, branchFaults{}, []client.Object{obj.DeepCopy()},
				newDestinationKind, func(string) (destinationExternal, error) { return &hs, nil })
			_, _ = r.Reconcile(ctx, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(obj)})
			stored := &v1.Destination{}
			if err := cluster.Get(ctx, client.ObjectKeyFromObject(obj), stored); err != nil {
				t.Fatal(err)
			}
			did := reconciled(hs.calls, stored)

			if planned != tc.want || did != tc.want {
				t.Errorf("plan %q (%s), reconcile %q (calls %v), want both %q", planned, p.Message, did, hs.calls, tc.want)
			}
		})
	}
}

// createConflicted reports a create that met a taken key: the reconciler looks the key up after it.
func createConflicted(calls []string) bool {
	i := slices.IndexFunc(calls, func(c string) bool { return strings.HasPrefix(c, "Create ") })
	return i >= 0 && slices.ContainsFunc(calls[i:], func(c string) bool { return strings.HasPrefix(c, "FindByKey ") })
}

// reconciled names what a reconcile did, in the plan's words, from its hookstream calls and the stored conditions.
func reconciled(calls []string, stored *v1.Destination) string {
	did := func(verb string) bool {
		return slices.ContainsFunc(calls, func(c string) bool { return strings.HasPrefix(c, verb+" ") })
	}
	synced := meta.FindStatusCondition(stored.Status.Conditions, v1.ConditionSynced)
	ready := meta.FindStatusCondition(stored.Status.Conditions, v1.ConditionReady)
	switch {
	case synced != nil && synced.Reason == v1.ReasonPaused:
		return string(managed.PlanPaused)
	case ready != nil && ready.Status == metav1.ConditionTrue && did("Create") && !createConflicted(calls):
		return string(managed.PlanCreate)
	case ready != nil && ready.Status == metav1.ConditionTrue && did("Update"):
		return string(managed.PlanUpdate)
	case ready != nil && ready.Status == metav1.ConditionTrue:
		return string(managed.PlanUnchanged)
	case ready != nil:
		return string(managed.PlanBlocked) + " " + ready.Reason
	}
	return "nothing"
}
