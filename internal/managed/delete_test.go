// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0
package managed

import (
	"context"
	"errors"
	"iter"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/test/testenv"
)

// keyRow is a remote row found by natural key.
type keyRow struct {
	ID        string
	CreatedAt time.Time
}

// keyRemote is a hookstream project holding at most one row for the object's natural key; it counts the calls.
type keyRemote struct {
	row      *keyRow
	lookups  int
	observed int
	// createErr, when set, is the answer to every create; a create is unexpected otherwise.
	createErr error
	creates   int
	deleted   []string
	notCalls  string
}

func (k *keyRemote) Connect(string) (External[*v1.Destination, *keyRow, planDesired, string], error) {
	return k, nil
}
func (k *keyRemote) Desired(*v1.Destination, Refs) (planDesired, error) { return planDesired{}, nil }
func (k *keyRemote) Compare(*v1.Destination, planDesired, *keyRow, bool) (Observation[string], error) {
	return Observation[string]{}, nil
}
func (k *keyRemote) SetObserved(*v1.Destination, *keyRow) {}

func (k *keyRemote) Observe(_ context.Context, id string) (*keyRow, error) {
	k.observed++
	if k.row == nil || k.row.ID != id {
		return nil, &RemoteError{Class: RemoteNotFound, Status: 404, Message: "Destination not found", Err: errors.New("404")}
	}
	return k.row, nil
}
func (k *keyRemote) List(context.Context) iter.Seq2[*keyRow, error] {
	return func(yield func(*keyRow, error) bool) { yield(nil, k.unexpected("List")) }
}
func (k *keyRemote) FindByKey(context.Context, *v1.Destination) (*keyRow, bool, error) {
	k.lookups++
	return k.row, k.row != nil, nil
}
func (k *keyRemote) Create(context.Context, planDesired) (*keyRow, error) {
	if k.createErr == nil {
		return nil, k.unexpected("Create")
	}
	k.creates++
	return nil, k.createErr
}
func (k *keyRemote) Update(context.Context, string, string) (*keyRow, error) {
	return nil, k.unexpected("Update")
}
func (k *keyRemote) Delete(_ context.Context, id string) error {
	k.deleted = append(k.deleted, id)
	return nil
}

func (k *keyRemote) unexpected(call string) error {
	k.notCalls += call + " "
	return errors.New("unexpected call: " + call)
}

// TestDeletionWaitsForACreateInFlight: a deletion that finds nothing by natural key while the recorded create may
// still land keeps the finalizer, says why, and looks again once it cannot land any more; then it deletes what
// the create made, or releases the finalizer when nothing came.
func TestDeletionWaitsForACreateInFlight(t *testing.T) {
	const settle = 30 * time.Second
	now := time.Now()
	tests := map[string]struct {
		marker string
		settle time.Duration
		wait   bool
	}{
		"a create requested 2 s ago waits":            {now.Add(-2 * time.Second).UTC().Format(time.RFC3339), settle, true},
		"a create requested 2 min ago does not wait":  {now.Add(-2 * time.Minute).UTC().Format(time.RFC3339), settle, false},
		"no settle time: no wait":                     {now.UTC().Format(time.RFC3339), 0, false},
		"an undated marker cannot be waited for":      {"not a time", settle, false},
		"a marker from the future waits its settling": {now.Add(5 * time.Second).UTC().Format(time.RFC3339), settle, true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			remote := &keyRemote{}
			r, c, key := deletingReconciler(t, remote, tc.marker, tc.settle)
			result, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: key})
			if err != nil {
				t.Fatal(err)
			}
			if remote.lookups != 1 || len(remote.deleted) != 0 || remote.notCalls != "" {
				t.Fatalf("lookups %d, deleted %v, other calls %q; want one lookup and nothing else", remote.lookups,
					remote.deleted, remote.notCalls)
			}
			d := &v1.Destination{}
			err = c.Get(ctx, key, d)
			if !tc.wait {
				if !apierrors.IsNotFound(err) || !result.IsZero() {
					t.Fatalf("object %v (err %v), result %+v; want the finalizer released at once", d.Finalizers, err, result)
				}
				return
			}
			if err != nil {
				t.Fatalf("the object is gone (%v); want it kept while the create may land", err)
			}
			marked, _ := time.Parse(time.RFC3339, tc.marker)
			wantAfter := time.Until(marked.Add(time.Second + settle))
			if result.RequeueAfter < wantAfter-time.Second || result.RequeueAfter > wantAfter+time.Second {
				t.Errorf("requeued after %v, want about %v (when the create can no longer land)", result.RequeueAfter, wantAfter)
			}
			ready := meta.FindStatusCondition(d.Status.Conditions, v1.ConditionReady)
			if ready == nil || ready.Reason != v1.ReasonDeleting || !strings.Contains(ready.Message, "may still land") ||
				!strings.Contains(ready.Message, tc.marker) {
				t.Errorf("Ready %+v; want Deleting, saying the create requested at %s may still land", ready, tc.marker)
			}

			// The create lands meanwhile: the next look finds it, made after the marker, and deletes it.
			remote.row = &keyRow{ID: "d-landed", CreatedAt: marked.Add(time.Second)}
			if _, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: key}); err != nil {
				t.Fatal(err)
			}
			if len(remote.deleted) != 1 || remote.deleted[0] != "d-landed" {
				t.Errorf("deleted %v, want the landed d-landed", remote.deleted)
			}
			if err := c.Get(ctx, key, d); !apierrors.IsNotFound(err) {
				t.Errorf("after deleting what the create made: %v, want the finalizer released", err)
			}
		})
	}
}

// deletingReconciler returns a reconciler of remote's kind, and an object being deleted whose create was marked
// at marker but never recorded.
func deletingReconciler(t *testing.T, remote *keyRemote, marker string, settle time.Duration) (*Reconciler[*v1.Destination,
	*keyRow, planDesired, string], client.Client, types.NamespacedName) {
	t.Helper()
	deleted := metav1.NewTime(time.Now())
	obj := &v1.Destination{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "orders", Generation: 1,
		Finalizers: []string{v1.Finalizer}, DeletionTimestamp: &deleted,
		Annotations: map[string]string{v1.AnnotationCreateRequested: marker}}}
	r, c := keyReconciler(t, remote, obj, nil, Options{DriftInterval: time.Hour, CreateSettleTime: settle})
	return r, c, client.ObjectKeyFromObject(obj)
}

// testAPIKey is the API key of the credentials Secret of keyReconciler's objects.
const testAPIKey = "hs_test_key"

// keyReconciler returns a reconciler of remote's kind on a fake cluster holding obj and its credentials Secret.
func keyReconciler(t *testing.T, remote *keyRemote, obj *v1.Destination, recorder events.EventRecorder,
	opts Options) (*Reconciler[*v1.Destination, *keyRow, planDesired, string], client.Client) {
	t.Helper()
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: obj.Namespace, Name: "creds"},
		Data: map[string][]byte{v1.CredentialsKey: []byte(testAPIKey)}}
	c := fake.NewClientBuilder().WithScheme(testenv.Scheme()).WithObjects(secret, obj).
		WithStatusSubresource(&v1.Destination{}).WithIndex(&v1.Destination{}, RemoteIDIndex, RemoteIDOf).Build()
	def := &Definition[*v1.Destination, *keyRow, planDesired, string]{
		Names:      Names{Kind: "Destination", Remote: "destination"},
		Kind:       remote,
		Row:        func(r *keyRow) Row { return Row{ID: r.ID, CreatedAt: r.CreatedAt} },
		SecretRefs: func(*v1.Destination) []string { return nil },
	}
	opts.DefaultCredentialsSecret = "creds"
	return NewReconciler(c, c, c, recorder, def, opts), c
}

// TestRetriedCreateRenewsASettledMarker: a create retried once the marked one can no longer land is marked anew
// before it is sent, so that a deletion after a crash waits for it; a retry while the marked create may still land
// keeps the marker, which dates the resource that create may make.
func TestRetriedCreateRenewsASettledMarker(t *testing.T) {
	const settle = 30 * time.Second
	tests := map[string]struct {
		age     time.Duration
		renewed bool
	}{
		"marked 10 min ago: renewed":  {10 * time.Minute, true},
		"marked 2 s ago: kept":        {2 * time.Second, false},
		"marked just past the settle": {settle + 3*time.Second, true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			marker := time.Now().Add(-tc.age).UTC().Format(time.RFC3339)
			obj := &v1.Destination{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "orders", Generation: 1,
				Finalizers: []string{v1.Finalizer}, Annotations: map[string]string{v1.AnnotationCreateRequested: marker}}}
			remote := &keyRemote{createErr: &RemoteError{Class: RemoteUnavailable, Status: 503, Message: "Service unavailable",
				Err: errors.New("503")}}
			r, c := keyReconciler(t, remote, obj, nil, Options{DriftInterval: time.Hour, CreateSettleTime: settle})
			sent := time.Now().Truncate(time.Second)
			if _, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(obj)}); err == nil {
				t.Fatal("no error from a create answered 503")
			}
			if remote.lookups != 1 || remote.creates != 1 || remote.notCalls != "" {
				t.Fatalf("lookups %d, creates %d, other calls %q; want the key looked up, then one create", remote.lookups,
					remote.creates, remote.notCalls)
			}
			got := &v1.Destination{}
			if err := c.Get(ctx, client.ObjectKeyFromObject(obj), got); err != nil {
				t.Fatal(err)
			}
			now := got.Annotations[v1.AnnotationCreateRequested]
			at, err := time.Parse(time.RFC3339, now)
			if err != nil {
				t.Fatalf("marker %q: %v", now, err)
			}
			switch {
			case tc.renewed && at.Before(sent):
				t.Errorf("marker %s, want it renewed to the retry (%s or later)", now, sent.Format(time.RFC3339))
			case !tc.renewed && now != marker:
				t.Errorf("marker %s, want the first attempt's %s kept", now, marker)
			}
		})
	}
}
