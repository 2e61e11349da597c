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

package gitops

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/managed"
)

// situation describes a Destination as the operator would have left it. The health checks under test only ever
// see what the API server returns, so every situation is written through the API server and read back.
type situation struct {
	// annotations are set on the Destination when it is created.
	annotations map[string]string
	// status, when set, is written through the status subresource after creation (metadata.generation 1).
	status func(d *v1.Destination)
	// specChangedAfterStatus changes the spec after the status was written, so metadata.generation moves to 2
	// while the status still describes generation 1.
	specChangedAfterStatus bool
}

// Condition messages in the operator's style.
const (
	msgAvailable   = "The destination exists in hookstream and matches the spec."
	msgReached     = "The last reconcile reached hookstream."
	msgUnreachable = "hookstream could not be reached; retrying."
	msgRetry503    = "hookstream answered 503; retrying."
	msgRejected    = "hookstream rejected the spec: url: must be reachable."
	msgPaused      = "Reconciliation is paused by the hookstream.io/paused annotation; remove it to resume."
	msgObserved    = "The destination exists in hookstream and matches the spec " +
		"(observed only: managementPolicy is Observe)."
	msgDrift = "hookstream differs from the spec in http.url (see status.drift). managementPolicy is Observe, " +
		"so nothing is changed; set it to Manage to apply the spec."
)

// condition returns a condition as the operator writes it: for the object's current generation.
func condition(condType string, status metav1.ConditionStatus, reason, message string) metav1.Condition {
	return metav1.Condition{Type: condType, Status: status, Reason: reason, Message: message, ObservedGeneration: 1}
}

// withConditions sets conditions the way meta.SetStatusCondition does, stamping the transition time.
func withConditions(s *v1.DestinationStatus, conds ...metav1.Condition) {
	for _, c := range conds {
		meta.SetStatusCondition(&s.Conditions, c)
	}
}

// The situations below are written by the operator's own condition setters (package managed), so the health
// checks are tested against the statuses the operator really writes. observedGeneration is set as the reconciler
// sets it: once a reconcile settled the generation.

// readyStatus is the status of a Destination whose remote destination exists and matches the spec.
func readyStatus(state string) func(d *v1.Destination) {
	return func(d *v1.Destination) {
		d.Status.ID = "dst_0123456789"
		d.Status.Slug = "team-orders"
		d.Status.Type = "http"
		d.Status.State = state
		managed.SetAvailable(d, "destination")
		d.Status.ObservedGeneration = d.Generation
	}
}

// stalledStatus is the status after a failure that retrying cannot fix.
func stalledStatus(reason, message string) func(d *v1.Destination) {
	return func(d *v1.Destination) {
		managed.SetStalled(d, reason, message)
		d.Status.ObservedGeneration = d.Generation
	}
}

// retryingStatus is the status after a transient failure the operator retries by itself. observedGeneration stays
// unset: the operator records a generation only once it has settled it.
func retryingStatus(reason, message string) func(d *v1.Destination) {
	return func(d *v1.Destination) { managed.SetRetrying(d, reason, message) }
}

// driftCheckRetried is a Destination that was ready for its generation when a periodic check of hookstream failed:
// the operator keeps Ready (the last observation still holds) and retries.
func driftCheckRetried(d *v1.Destination) {
	readyStatus("active")(d)
	managed.SetRetrying(d, v1.ReasonAPIUnavailable, msgRetry503)
}

// pausedAnnotations pause a Destination; a new map each time, as the client decodes responses into it.
func pausedAnnotations() map[string]string {
	return map[string]string{v1.AnnotationPaused: "true"}
}

// pausedStatus is a ready Destination after the operator saw the paused annotation: it only records the pause.
func pausedStatus(d *v1.Destination) {
	readyStatus("active")(d)
	managed.SetPaused(d)
}

// observedDriftStatus is a Destination with managementPolicy Observe whose remote differs from the spec: a settled
// state, since the operator never writes to hookstream in that mode.
func observedDriftStatus(d *v1.Destination) {
	managed.SetObservedDrift(d, []string{"http.url"})
	d.Status.ObservedGeneration = d.Generation
}

// observedMatchStatus is a Destination with managementPolicy Observe whose remote matches the spec.
func observedMatchStatus(d *v1.Destination) {
	readyStatus("active")(d)
	managed.SetObservedMatch(d, "destination")
}

// realDestination creates a Destination in the given situation in a namespace of its own and returns it as the
// API server serves it, the way Argo CD and Flux see it.
func realDestination(t *testing.T, name string, sit situation) *unstructured.Unstructured {
	t.Helper()
	ctx := context.Background()
	d := &v1.Destination{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: newNamespace(t, "health"), Annotations: sit.annotations},
		Spec:       v1.DestinationSpec{HTTP: &v1.HTTPDestination{URL: "https://receiver.example.com/hooks"}},
	}
	if err := k8s.Create(ctx, d); err != nil {
		t.Fatalf("creating Destination: %v", err)
	}
	if sit.status != nil {
		sit.status(d)
		if err := k8s.Status().Update(ctx, d); err != nil {
			t.Fatalf("writing status: %v", err)
		}
	}
	if sit.specChangedAfterStatus {
		d.Spec.HTTP.URL = "https://receiver.example.com/hooks/v2"
		if err := k8s.Update(ctx, d); err != nil {
			t.Fatalf("changing the spec: %v", err)
		}
	}
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(v1.GroupVersion.WithKind("Destination"))
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(d), u); err != nil {
		t.Fatalf("reading Destination back: %v", err)
	}
	wantGeneration := int64(1)
	if sit.specChangedAfterStatus {
		wantGeneration = 2
	}
	if u.GetGeneration() != wantGeneration {
		t.Fatalf("metadata.generation is %d, the situation needs %d", u.GetGeneration(), wantGeneration)
	}
	return u
}
