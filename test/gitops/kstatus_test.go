// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package gitops

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/managed"
)

// TestKstatus computes what Flux (kustomize-controller and helm-controller health checks) and other kstatus
// users see for real objects of every kind.
func TestKstatus(t *testing.T) {
	tests := map[string]struct {
		situation situation
		// want is what the object's status means.
		want status.Status
	}{
		"ready and the generation observed": {
			situation: situation{status: readyStatus("active")},
			want:      status.CurrentStatus,
		},
		"ready, remote paused (kstatus has no Suspended)": {
			situation: situation{status: readyStatus("paused")},
			want:      status.CurrentStatus,
		},
		"reconciling a settled generation": {
			// Stalled on generation 1 (settled), then retrying once the Secret was fixed.
			situation: situation{status: func(obj managed.Object) {
				stalledStatus(v1.ReasonCredentialsNotFound, "Cannot read the credentials.")(obj)
				retryingStatus(v1.ReasonRateLimited, "hookstream asked to slow down; retrying in 30s.")(obj)
			}},
			want: status.InProgressStatus,
		},
		"ready while a drift check is retried": {
			situation: situation{status: driftCheckRetried},
			want:      status.InProgressStatus,
		},
		"first reconcile retrying, no observedGeneration yet": {
			situation: situation{status: retryingStatus(v1.ReasonAPIUnavailable, msgUnreachable)},
			want:      status.InProgressStatus,
		},
		"spec changed after the last observation": {
			situation: situation{status: readyStatus("active"), specChangedAfterStatus: true},
			want:      status.InProgressStatus,
		},
		"stalled for the current generation": {
			situation: situation{status: stalledStatus(v1.ReasonInvalidSpec, msgRejected)},
			want:      status.FailedStatus,
		},
		"stalled for an older generation, the new spec not observed yet": {
			situation: situation{
				status:                 stalledStatus(v1.ReasonInvalidSpec, msgRejected),
				specChangedAfterStatus: true,
			},
			want: status.InProgressStatus,
		},
		"not ready, no Reconciling or Stalled condition": {
			// A state the operator does not write, by hand on purpose: kstatus's reading of a bare Ready=False.
			situation: situation{status: func(obj managed.Object) {
				obj.GetManagedStatus().ObservedGeneration = 1
				withConditions(obj.GetManagedStatus(), condition(v1.ConditionReady, metav1.ConditionFalse, v1.ReasonCreating,
					"Creating the remote resource in hookstream."))
			}},
			want: status.InProgressStatus,
		},
		"paused, spec changed during the pause (kstatus has no Suspended)": {
			situation: situation{
				annotations:            pausedAnnotations(),
				status:                 pausedStatus,
				specChangedAfterStatus: true,
			},
			want: status.InProgressStatus,
		},
		"observe only, drift detected": {
			situation: situation{status: observedDriftStatus},
			want:      status.FailedStatus,
		},
		"stalled on a ConfigMap conflict (a Source's ingest URL)": {
			situation: situation{status: stalledStatus(v1.ReasonConfigMapConflict,
				"ConfigMap github-ingest exists and is not this Source's; it is left untouched.")},
			want: status.FailedStatus,
		},
		"new object without status": {
			situation: situation{},
			want:      status.InProgressStatus,
		},
		"waiting for the referenced Source (a Connection)": {
			situation: situation{status: retryingStatus(v1.ReasonWaitingForSource, msgWaitingForSource)},
			want:      status.InProgressStatus,
		},
		"replacing the remote connection": {
			situation: situation{status: retryingStatus(v1.ReasonReplacing,
				"Replacing the remote connection: its source changed from src_0123456789 to src_9876543210.")},
			want: status.InProgressStatus,
		},
		"stalled on a project mismatch (a Connection)": {
			situation: situation{status: stalledStatus(v1.ReasonProjectMismatch,
				`Cannot create the remote connection: Source "github" uses another hookstream API key than this Connection.`)},
			want: status.FailedStatus,
		},
		"stalled on two remote connections with the key (a Connection)": {
			situation: situation{status: stalledStatus(v1.ReasonAmbiguousRemote,
				"Cannot find the remote connection: 2 remote connections have source src_0123456789, destination "+
					"dst_0123456789 and name \"team-github-to-orders-0123abcd\".")},
			want: status.FailedStatus,
		},
		"deletion refused while a Connection uses the object": {
			situation: situation{status: readyStatus("active"), deleting: deletionInUse},
			want:      status.TerminatingStatus,
		},
		// Delivery health is not Ready: an open circuit leaves what Flux and kstatus read unchanged.
		"ready, circuit open (a Destination)": {
			situation: situation{status: circuitStatus(v1.CircuitOpen)},
			want:      status.CurrentStatus,
		},
		"ready, circuit half-open (a Destination)": {
			situation: situation{status: circuitStatus(v1.CircuitHalfOpen)},
			want:      status.CurrentStatus,
		},
	}
	for _, k := range testKinds {
		t.Run(k.kind, func(t *testing.T) {
			for name, tc := range tests {
				t.Run(name, func(t *testing.T) {
					obj := realObject(t, k, "kstatus", tc.situation)
					res, err := status.Compute(obj)
					if err != nil {
						t.Fatalf("kstatus: %v", err)
					}
					if res.Status != tc.want {
						t.Errorf("kstatus = %s (%q), want %s", res.Status, res.Message, tc.want)
					}
				})
			}
		})
	}
}

// TestKstatusTerminating checks that an object held by the operator's finalizer reads as Terminating, which is
// what Flux waits on during pruning.
func TestKstatusTerminating(t *testing.T) {
	for _, k := range testKinds {
		t.Run(k.kind, func(t *testing.T) { checkKstatusTerminating(t, k) })
	}
}

func checkKstatusTerminating(t *testing.T, k testKind) {
	ctx := context.Background()
	obj := realObject(t, k, "terminating", situation{status: readyStatus("active")})
	controllerutil.AddFinalizer(obj, v1.Finalizer)
	if err := k8s.Update(ctx, obj); err != nil {
		t.Fatal(err)
	}
	if err := k8s.Delete(ctx, obj); err != nil {
		t.Fatal(err)
	}
	releaseFinalizerAtCleanup(t, obj)
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
		t.Fatal(err)
	}
	res, err := status.Compute(obj)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != status.TerminatingStatus {
		t.Errorf("kstatus = %s (%q), want %s", res.Status, res.Message, status.TerminatingStatus)
	}
}
