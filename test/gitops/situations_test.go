// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package gitops

import (
	"context"
	"fmt"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/controller"
	"github.com/hookstream/hookstream-operator/internal/managed"
)

// testKind is a hookstream kind as the health tests create it and as health.lua names it.
type testKind struct {
	// kind is the Kubernetes kind.
	kind string
	// noun names the remote resource in messages, as the operator and health.lua do.
	noun string
	// pausedMeans and disabledMeans say what the remote states paused and disabled do, as health.lua reports them.
	pausedMeans, disabledMeans string
	// newObject returns a valid object of the kind.
	newObject func(meta metav1.ObjectMeta) managed.Object
	// changeSpec changes the spec, so that metadata.generation moves.
	changeSpec func(obj managed.Object)
}

// testKinds are every kind the operator manages; the GitOps health checks must read each of them.
var testKinds = []testKind{
	{
		kind:          "Destination",
		noun:          "destination",
		pausedMeans:   "events are held and not delivered",
		disabledMeans: "events are dropped and not delivered",
		newObject: func(meta metav1.ObjectMeta) managed.Object {
			return &v1.Destination{
				ObjectMeta: meta,
				Spec:       v1.DestinationSpec{HTTP: &v1.HTTPDestination{URL: "https://receiver.example.com/hooks"}},
			}
		},
		changeSpec: func(obj managed.Object) {
			obj.(*v1.Destination).Spec.HTTP.URL = "https://receiver.example.com/hooks/v2"
		},
	},
	{
		kind:          "Source",
		noun:          "source",
		pausedMeans:   "webhooks are accepted and stored but not routed",
		disabledMeans: "webhooks are refused with 403",
		newObject: func(meta metav1.ObjectMeta) managed.Object {
			return &v1.Source{
				ObjectMeta: meta,
				Spec: v1.SourceSpec{
					Template:           "github",
					Verification:       &v1.SourceVerification{SecretRef: v1.SecretKeySelector{Name: "github-webhook", Key: "secret"}},
					IngestURLConfigMap: "github-ingest",
				},
			}
		},
		changeSpec: func(obj managed.Object) {
			obj.(*v1.Source).Spec.Description = "Webhooks of the GitHub organisation"
		},
	},
	{
		kind:          "Connection",
		noun:          "connection",
		pausedMeans:   "events that arrive meanwhile skip it and are not delivered through it after it resumes",
		disabledMeans: "events skip it and are not delivered through it",
		newObject: func(meta metav1.ObjectMeta) managed.Object {
			return &v1.Connection{
				ObjectMeta: meta,
				Spec: v1.ConnectionSpec{
					SourceRef:      &v1.EndReference{Name: "github"},
					DestinationRef: &v1.EndReference{Name: "orders-http"},
				},
			}
		},
		changeSpec: func(obj managed.Object) {
			obj.(*v1.Connection).Spec.Description = "Opened pull requests to the orders service"
		},
	},
}

// situation describes an object as the operator would have left it. The health checks under test only ever see
// what the API server returns, so every situation is written through the API server and read back.
type situation struct {
	// annotations are set on the object when it is created.
	annotations map[string]string
	// status, when set, is written through the status subresource after creation (metadata.generation 1).
	status func(obj managed.Object)
	// specChangedAfterStatus changes the spec after the status was written, so metadata.generation moves to 2
	// while the status still describes generation 1.
	specChangedAfterStatus bool
	// deleting, when set, deletes the object after the status was written, while the operator's finalizer holds it
	// (the API server moves metadata.generation to 2 as it marks the object for deletion), then changes the status
	// as the operator does during the deletion.
	deleting func(obj managed.Object)
}

// Condition messages in the operator's style, the same for every kind.
const (
	msgReached     = "The last reconcile reached hookstream."
	msgUnreachable = "hookstream could not be reached; retrying."
	msgRetry503    = "hookstream answered 503; retrying."
	msgRejected    = "hookstream rejected the spec: url: must be reachable."
	msgPaused      = "Reconciliation is paused by the hookstream.io/paused annotation; remove it to resume."
	msgDrift       = "hookstream differs from the spec in http.url (see status.drift). managementPolicy is Observe, " +
		"so nothing is changed; set it to Manage to apply the spec."
)

// msgAvailable is the Ready message of a kind's object that matches hookstream, as managed.SetAvailable writes it.
func (k testKind) msgAvailable() string {
	return "The " + k.noun + " exists in hookstream and matches the spec."
}

// msgObserved is the Ready message under managementPolicy Observe, as managed.SetObservedMatch writes it.
func (k testKind) msgObserved() string {
	return "The " + k.noun + " exists in hookstream and matches the spec (observed only: managementPolicy is Observe)."
}

// condition returns a condition as the operator writes it: for the object's current generation.
func condition(condType string, status metav1.ConditionStatus, reason, message string) metav1.Condition {
	return metav1.Condition{Type: condType, Status: status, Reason: reason, Message: message, ObservedGeneration: 1}
}

// withConditions sets conditions the way meta.SetStatusCondition does, stamping the transition time.
func withConditions(s *v1.ManagedStatus, conds ...metav1.Condition) {
	for _, c := range conds {
		meta.SetStatusCondition(&s.Conditions, c)
	}
}

// The situations below are written by the operator's own condition setters (package managed), so the health
// checks are tested against the statuses the operator really writes. observedGeneration is set as the reconciler
// sets it: once a reconcile settled the generation.

// mirrorRemote fills the kind's own status fields as the operator does from a remote row in the given state, and
// returns the noun the operator uses for the remote resource.
func mirrorRemote(obj managed.Object, state string) string {
	switch o := obj.(type) {
	case *v1.Destination:
		o.Status.ID = "dst_0123456789"
		o.Status.Slug = "team-orders"
		o.Status.Type = "http"
		o.Status.State = state
		return "destination"
	case *v1.Source:
		o.Status.ID = "src_0123456789"
		o.Status.Slug = "team-github"
		o.Status.Template = "github"
		o.Status.VerificationType = "hmac_sha256"
		o.Status.IngestURL = "https://hookstream.io/v1/ingest/src_0123456789"
		o.Status.IngestURLConfigMap = o.Spec.IngestURLConfigMap
		o.Status.State = state
		return "source"
	case *v1.Connection:
		o.Status.ID = "con_0123456789"
		o.Status.Name = "health-github-to-orders-0123abcd"
		o.Status.SourceID = "src_0123456789"
		o.Status.DestinationID = "dst_0123456789"
		o.Status.State = state
		return "connection"
	}
	panic(fmt.Sprintf("mirrorRemote: no status fields known for %T", obj))
}

// readyStatus is the status of an object whose remote resource exists and matches the spec.
func readyStatus(state string) func(obj managed.Object) {
	return func(obj managed.Object) {
		managed.SetAvailable(obj, mirrorRemote(obj, state))
		obj.GetManagedStatus().ObservedGeneration = obj.GetGeneration()
	}
}

// circuitStatus is the status of a Ready object whose Destination circuit breaker is in the state: Delivering as
// the operator writes it. Other kinds have no circuit and are only Ready.
func circuitStatus(state v1.CircuitState) func(obj managed.Object) {
	return func(obj managed.Object) {
		readyStatus("active")(obj)
		if d, ok := obj.(*v1.Destination); ok {
			d.Status.Circuit = &v1.CircuitStatus{State: state, FailureCount: 5}
			controller.SetDelivering(d)
		}
	}
}

// deliveringMessage is the Delivering condition's message of a Destination whose circuit is in the state.
func deliveringMessage(state v1.CircuitState) string {
	d := &v1.Destination{}
	circuitStatus(state)(d)
	return meta.FindStatusCondition(d.Status.Conditions, v1.ConditionDelivering).Message
}

// stalledStatus is the status after a failure that retrying cannot fix.
func stalledStatus(reason, message string) func(obj managed.Object) {
	return func(obj managed.Object) {
		managed.SetStalled(obj, reason, message)
		obj.GetManagedStatus().ObservedGeneration = obj.GetGeneration()
	}
}

// retryingStatus is the status after a transient failure the operator retries by itself. observedGeneration stays
// unset: the operator records a generation only once it has settled it.
func retryingStatus(reason, message string) func(obj managed.Object) {
	return func(obj managed.Object) { managed.SetRetrying(obj, reason, message) }
}

// driftCheckRetried is an object that was ready for its generation when a periodic check of hookstream failed:
// the operator keeps Ready (the last observation still holds) and retries.
func driftCheckRetried(obj managed.Object) {
	readyStatus("active")(obj)
	managed.SetRetrying(obj, v1.ReasonAPIUnavailable, msgRetry503)
}

// msgWaitingForSource is the message of a Connection waiting for its Source, as the operator writes it.
const msgWaitingForSource = `Waiting for Source "github" to have a hookstream id (it is not Ready yet).`

// names are the names the operator uses for the object's kind and remote resource.
func names(obj managed.Object) managed.Names {
	switch obj.(type) {
	case *v1.Destination:
		return managed.Names{Kind: "Destination", Remote: "destination"}
	case *v1.Source:
		return managed.Names{Kind: "Source", Remote: "source"}
	case *v1.Connection:
		return managed.Names{Kind: "Connection", Remote: "connection"}
	}
	panic(fmt.Sprintf("names: unknown kind %T", obj))
}

// msgInUse is the Synced message of an object whose remote deletion hookstream refuses while a Connection uses it.
func msgInUse(remote string) string {
	return "Cannot delete the remote " + remote + ": hookstream refuses to delete the " + remote +
		" while connections use it; waiting for Connection github-to-orders to go."
}

// deletionInUse is the status the operator writes while hookstream refuses to delete the remote resource (409)
// because a Connection still uses it: a retried failure (InUse), then Ready says that the deletion waits.
func deletionInUse(obj managed.Object) {
	n := names(obj)
	managed.SetRetrying(obj, v1.ReasonInUse, msgInUse(n.Remote))
	managed.SetDeleting(obj, n)
}

// pausedAnnotations pause an object; a new map each time, as the client decodes responses into it.
func pausedAnnotations() map[string]string {
	return map[string]string{v1.AnnotationPaused: "true"}
}

// pausedStatus is a ready object after the operator saw the paused annotation: it only records the pause.
func pausedStatus(obj managed.Object) {
	readyStatus("active")(obj)
	managed.SetPaused(obj)
}

// observedDriftStatus is an object with managementPolicy Observe whose remote differs from the spec: a settled
// state, since the operator never writes to hookstream in that mode.
func observedDriftStatus(obj managed.Object) {
	managed.SetObservedDrift(obj, []string{"http.url"})
	obj.GetManagedStatus().ObservedGeneration = obj.GetGeneration()
}

// observedMatchStatus is an object with managementPolicy Observe whose remote matches the spec.
func observedMatchStatus(obj managed.Object) {
	managed.SetObservedMatch(obj, mirrorRemote(obj, "active"))
	obj.GetManagedStatus().ObservedGeneration = obj.GetGeneration()
}

// realObject creates an object of the kind in the given situation in a namespace of its own and returns it as the
// API server serves it, the way Argo CD and Flux see it.
func realObject(t *testing.T, k testKind, name string, sit situation) *unstructured.Unstructured {
	t.Helper()
	ctx := context.Background()
	obj := k.newObject(metav1.ObjectMeta{Name: name, Namespace: newNamespace(t, "health"), Annotations: sit.annotations})
	if sit.deleting != nil {
		controllerutil.AddFinalizer(obj, v1.Finalizer)
	}
	if err := k8s.Create(ctx, obj); err != nil {
		t.Fatalf("creating %s: %v", k.kind, err)
	}
	if sit.status != nil {
		sit.status(obj)
		if err := k8s.Status().Update(ctx, obj); err != nil {
			t.Fatalf("writing status: %v", err)
		}
	}
	if sit.specChangedAfterStatus {
		k.changeSpec(obj)
		if err := k8s.Update(ctx, obj); err != nil {
			t.Fatalf("changing the spec: %v", err)
		}
	}
	if sit.deleting != nil {
		if err := k8s.Delete(ctx, obj); err != nil {
			t.Fatalf("deleting %s: %v", k.kind, err)
		}
		releaseFinalizerAtCleanup(t, obj)
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			t.Fatalf("reading %s back after the delete: %v", k.kind, err)
		}
		sit.deleting(obj)
		if err := k8s.Status().Update(ctx, obj); err != nil {
			t.Fatalf("writing the status of the deletion: %v", err)
		}
	}
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(v1.GroupVersion.WithKind(k.kind))
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(obj), u); err != nil {
		t.Fatalf("reading %s back: %v", k.kind, err)
	}
	wantGeneration := int64(1)
	if sit.specChangedAfterStatus || sit.deleting != nil {
		wantGeneration = 2
	}
	if u.GetGeneration() != wantGeneration {
		t.Fatalf("metadata.generation is %d, the situation needs %d", u.GetGeneration(), wantGeneration)
	}
	return u
}

// releaseFinalizerAtCleanup removes the operator's finalizer from an object being deleted when the test ends, so that
// the API server can delete it.
func releaseFinalizerAtCleanup(t *testing.T, obj client.Object) {
	t.Helper()
	t.Cleanup(func() {
		ctx := context.Background()
		latest := &unstructured.Unstructured{}
		gvk, err := apiutil.GVKForObject(obj, k8s.Scheme())
		if err != nil {
			t.Error(err)
			return
		}
		latest.SetGroupVersionKind(gvk)
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(obj), latest); err == nil {
			controllerutil.RemoveFinalizer(latest, v1.Finalizer)
			_ = k8s.Update(ctx, latest)
		}
	})
}
