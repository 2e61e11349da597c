// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/internal/managed"
	"github.com/hookstream/hookstream-operator/test/testenv"
)

// fakeHookstream is a kind's hookstream client with one function field per call and a log of the calls made. A
// call whose field is nil is unexpected: it is logged and fails.
type fakeHookstream[O managed.Object, R any, D managed.Desired, P fielder] struct {
	get       func(id string) (R, error)
	findByKey func(key string) (R, bool, error)
	create    func(want D) (R, error)
	update    func(id string, patch P) (R, error)
	delete    func(id string) error
	list      func() ([]R, error)
	// circuit and reset answer a Destination's circuit breaker calls.
	circuit func(id string) (*hookstream.Circuit, error)
	reset   func(id string) (*hookstream.Circuit, error)
	calls   []string
}

// fielder is an update request: it names the fields it carries.
type fielder interface{ Fields() []string }

type (
	fakeDestinations = fakeHookstream[*v1.Destination, *hookstream.Destination, *desiredDestination, *hookstream.UpdateRequest]
	fakeSources      = fakeHookstream[*v1.Source, *hookstream.Source, *desiredSource, *hookstream.SourceUpdateRequest]
	fakeConnections  = fakeHookstream[*v1.Connection, *hookstream.Connection, *desiredConnection, *hookstream.ConnectionUpdateRequest]
)

var errUnexpectedCall = errors.New("unexpected call")

// naturalKey is the slug of an object or of a desired state, for the call log.
func naturalKey(v any) string {
	switch v := v.(type) {
	case *v1.Destination:
		return destinationSlug(v)
	case *v1.Source:
		return sourceSlug(v)
	case *desiredDestination:
		return v.request.Slug
	case *desiredSource:
		return v.request.Slug
	case *v1.Connection:
		return connectionName(v)
	case *desiredConnection:
		return v.request.Name
	}
	panic(fmt.Sprintf("no natural key for %T", v))
}

func (f *fakeHookstream[O, R, D, P]) Observe(_ context.Context, id string) (R, error) {
	f.calls = append(f.calls, "Get "+id)
	if f.get == nil {
		var zero R
		return zero, errUnexpectedCall
	}
	return f.get(id)
}

func (f *fakeHookstream[O, R, D, P]) List(context.Context) iter.Seq2[R, error] {
	f.calls = append(f.calls, "List")
	return func(yield func(R, error) bool) {
		var zero R
		if f.list == nil {
			yield(zero, errUnexpectedCall)
			return
		}
		rows, err := f.list()
		if err != nil {
			yield(zero, err)
			return
		}
		for _, row := range rows {
			if !yield(row, nil) {
				return
			}
		}
	}
}

func (f *fakeHookstream[O, R, D, P]) GetCircuit(_ context.Context, id string) (*hookstream.Circuit, error) {
	f.calls = append(f.calls, "GetCircuit "+id)
	if f.circuit == nil {
		return nil, errUnexpectedCall
	}
	return f.circuit(id)
}

func (f *fakeHookstream[O, R, D, P]) ResetCircuit(_ context.Context, id string) (*hookstream.Circuit, error) {
	f.calls = append(f.calls, "ResetCircuit "+id)
	if f.reset == nil {
		return nil, errUnexpectedCall
	}
	return f.reset(id)
}

// closedCircuit answers a circuit read with a closed circuit.
func closedCircuit(string) (*hookstream.Circuit, error) {
	return &hookstream.Circuit{State: hookstream.CircuitClosed}, nil
}

func (f *fakeHookstream[O, R, D, P]) FindByKey(_ context.Context, obj O) (R, bool, error) {
	key := naturalKey(obj)
	f.calls = append(f.calls, "FindByKey "+key)
	if f.findByKey == nil {
		var zero R
		return zero, false, errUnexpectedCall
	}
	return f.findByKey(key)
}

func (f *fakeHookstream[O, R, D, P]) Create(_ context.Context, want D) (R, error) {
	f.calls = append(f.calls, "Create "+naturalKey(want))
	if f.create == nil {
		var zero R
		return zero, errUnexpectedCall
	}
	return f.create(want)
}

func (f *fakeHookstream[O, R, D, P]) Update(_ context.Context, id string, patch P) (R, error) {
	f.calls = append(f.calls, "Update "+id+" "+strings.Join(patch.Fields(), ","))
	if f.update == nil {
		var zero R
		return zero, errUnexpectedCall
	}
	return f.update(id, patch)
}

func (f *fakeHookstream[O, R, D, P]) Delete(_ context.Context, id string) error {
	f.calls = append(f.calls, "Delete "+id)
	if f.delete == nil {
		return errUnexpectedCall
	}
	return f.delete(id)
}

const (
	tableID   = "0123456789abcdef0123456789abcdef"
	tableSlug = "orders-slug"
	tableURL  = "https://receiver.example.com/orders"
)

// tableRow is what hookstream holds for the table's Destination, created at created, with url.
func tableRow(url string, created time.Time) *hookstream.Destination {
	d := tableDestination(nil)
	want, err := buildDesired(d, resolveTestSecret)
	if err != nil {
		panic(err)
	}
	row := remoteFor(want)
	row.ID, row.URL, row.CreatedAt, row.UpdatedAt = tableID, url, created, created
	return row
}

func tableDestination(change func(*v1.Destination)) *v1.Destination {
	d := &v1.Destination{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "orders", Generation: 1, UID: "uid-orders"},
		Spec:       v1.DestinationSpec{Slug: tableSlug, HTTP: &v1.HTTPDestination{URL: tableURL}},
	}
	if change != nil {
		change(d)
	}
	return d
}

func apiError(code int, msg string) error {
	return &hookstream.APIError{StatusCode: code, Message: msg}
}

// TestReconcileBranches runs one reconcile per row against a fake hookstream and a fake API server, and checks the
// hookstream calls made, the conditions and the events: every branch of the machinery with the Destination kind.
func TestReconcileBranches(t *testing.T) {
	now := time.Now()
	withStatusID := func(d *v1.Destination) {
		d.Finalizers = []string{v1.Finalizer}
		d.Status.ID = tableID
		d.Status.Circuit = &v1.CircuitStatus{State: v1.CircuitClosed}
	}
	deleting := func(d *v1.Destination) {
		withStatusID(d)
		d.DeletionTimestamp = &metav1.Time{Time: now}
	}
	tests := map[string]destinationCase{
		"create": {
			fake: fakeDestinations{create: func(*desiredDestination) (*hookstream.Destination, error) {
				return tableRow(tableURL, now), nil
			}},
			calls: []string{"Create " + tableSlug}, ready: "True", reason: v1.ReasonAvailable, events: []string{"Normal Created"},
			check: func(t *testing.T, d *v1.Destination) {
				if d.Status.ID != tableID || d.Annotations[v1.AnnotationCreateRequested] == "" || !hasFinalizer(d) {
					t.Errorf("after a create: id %q, marker %q, finalizers %v", d.Status.ID, d.Annotations[v1.AnnotationCreateRequested], d.Finalizers)
				}
				if d.Status.ObservedGeneration != 1 {
					t.Errorf("observedGeneration = %d, want 1", d.Status.ObservedGeneration)
				}
			},
		},
		"unchanged: no write": {
			object: withStatusID,
			fake:   fakeDestinations{get: func(string) (*hookstream.Destination, error) { return tableRow(tableURL, now), nil }},
			calls:  []string{"Get " + tableID}, ready: "True", reason: v1.ReasonAvailable,
		},
		"update the differing field only": {
			object: withStatusID,
			fake: fakeDestinations{
				get: func(string) (*hookstream.Destination, error) {
					return tableRow("https://elsewhere.example.com", now), nil
				},
				update: func(string, *hookstream.UpdateRequest) (*hookstream.Destination, error) {
					return tableRow(tableURL, now), nil
				},
			},
			calls: []string{"Get " + tableID, "Update " + tableID + " url"}, ready: "True", reason: v1.ReasonAvailable,
			events: []string{"Normal Updated"},
		},
		"adopt by id": {
			object: func(d *v1.Destination) { d.Spec.AdoptID = tableID },
			fake: fakeDestinations{get: func(string) (*hookstream.Destination, error) { return tableRow(tableURL, now), nil },
				circuit: closedCircuit},
			calls: []string{"Get " + tableID, "GetCircuit " + tableID}, ready: "True", reason: v1.ReasonAvailable,
		},
		"adoptID naming nothing": {
			object: func(d *v1.Destination) { d.Spec.AdoptID = tableID },
			fake:   fakeDestinations{get: func(string) (*hookstream.Destination, error) { return nil, apiError(404, "Destination not found") }},
			calls:  []string{"Get " + tableID}, ready: "False", reason: v1.ReasonNotFound, events: []string{"Warning RemoteNotFound"},
			wantErr: true,
		},
		"adopted by id, then deleted outside the operator: never created anew": {
			object: func(d *v1.Destination) { withStatusID(d); d.Spec.AdoptID = tableID },
			fake:   fakeDestinations{get: func(string) (*hookstream.Destination, error) { return nil, apiError(404, "Destination not found") }},
			calls:  []string{"Get " + tableID}, ready: "False", reason: v1.ReasonNotFound, events: []string{"Warning RemoteNotFound"},
			wantErr: true,
			check: func(t *testing.T, d *v1.Destination) {
				if c := meta.FindStatusCondition(d.Status.Conditions, v1.ConditionStalled); c == nil || !strings.Contains(c.Message, "was deleted outside the operator") {
					t.Errorf("Stalled = %+v, want the adopted remote reported gone", c)
				}
			},
		},
		"hookstream refuses the create as too large": {
			fake: fakeDestinations{create: func(*desiredDestination) (*hookstream.Destination, error) {
				return nil, apiError(413, "Payload Too Large")
			}},
			calls: []string{"Create " + tableSlug}, ready: "False", reason: v1.ReasonTooLarge, events: []string{"Warning TooLarge"},
			wantErr: true, check: refusedInputRecorded,
		},
		"hookstream answers 404 to a create": {
			fake: fakeDestinations{create: func(*desiredDestination) (*hookstream.Destination, error) {
				return nil, apiError(404, "Not found")
			}},
			calls: []string{"Create " + tableSlug}, ready: "False", reason: v1.ReasonInvalidSpec, events: []string{"Warning InvalidSpec"},
			wantErr: true, check: refusedInputRecorded,
		},
		"a header from the credentials Secret: nothing sent": {
			object: func(d *v1.Destination) {
				d.Spec.HTTP.HeadersFrom = []v1.HeaderFromSecret{{Name: "X-Leak", ValueFrom: v1.SecretKeySelector{Name: "hookstream-credentials", Key: v1.CredentialsKey}}}
			},
			ready: "False", reason: v1.ReasonSecretNotAllowed, events: []string{"Warning SecretNotAllowed"}, wantErr: true,
		},
		"a bearer token from a Secret with a line break: nothing sent": {
			object: func(d *v1.Destination) {
				d.Spec.HTTP.Auth = &v1.HTTPAuth{Type: v1.HTTPAuthBearer, Bearer: &v1.BearerAuth{
					TokenSecretRef: v1.SecretKeySelector{Name: "receiver-token", Key: "token"}}}
			},
			objects: []client.Object{&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "receiver-token"},
				Data: map[string][]byte{"token": []byte("abc\r\nX-Injected: 1")}}},
			ready: "False", reason: v1.ReasonInvalidSpec, events: []string{"Warning InvalidSpec"}, wantErr: true,
		},
		"a long object name: the default display name fits": {
			object: func(d *v1.Destination) { d.Name = strings.Repeat("orders-", 30) },
			fake: fakeDestinations{create: func(want *desiredDestination) (*hookstream.Destination, error) {
				if len(want.request.Name) > 128 {
					return nil, apiError(400, "name must be at most 128 characters")
				}
				row := tableRow(tableURL, now)
				row.Name = want.request.Name
				return row, nil
			}},
			calls: []string{"Create " + tableSlug}, ready: "True", reason: v1.ReasonAvailable, events: []string{"Normal Created"},
		},
		"slug taken by someone else": {
			fake: fakeDestinations{
				create: func(*desiredDestination) (*hookstream.Destination, error) {
					return nil, apiError(409, "Destination slug already exists")
				},
				findByKey: func(string) (*hookstream.Destination, bool, error) {
					return tableRow(tableURL, now.Add(-time.Hour)), true, nil
				},
			},
			calls: []string{"Create " + tableSlug, "FindByKey " + tableSlug}, ready: "False", reason: v1.ReasonConflict,
			events: []string{"Warning SlugConflict"}, wantErr: true,
			check: func(t *testing.T, d *v1.Destination) {
				if _, marked := d.Annotations[v1.AnnotationCreateRequested]; marked || d.Status.ID != "" {
					t.Errorf("a conflict left the marker (%v) or an id (%q)", marked, d.Status.ID)
				}
				refusedInputRecorded(t, d)
			},
		},
		"slug taken, adoption allowed": {
			object: func(d *v1.Destination) { d.Spec.AdoptionPolicy = v1.AdoptBySlug },
			fake: fakeDestinations{
				create: func(*desiredDestination) (*hookstream.Destination, error) {
					return nil, apiError(409, "Destination slug already exists")
				},
				findByKey: func(string) (*hookstream.Destination, bool, error) {
					return tableRow(tableURL, now.Add(-time.Hour)), true, nil
				},
				circuit: closedCircuit,
			},
			calls: []string{"Create " + tableSlug, "FindByKey " + tableSlug, "GetCircuit " + tableID},
			ready: "True", reason: v1.ReasonAvailable,
			events: []string{"Normal Adopted"},
		},
		"unrecorded create found after a crash": {
			object: func(d *v1.Destination) {
				d.Finalizers = []string{v1.Finalizer}
				d.Annotations = map[string]string{v1.AnnotationCreateRequested: now.UTC().Format(time.RFC3339)}
			},
			fake: fakeDestinations{findByKey: func(string) (*hookstream.Destination, bool, error) { return tableRow(tableURL, now), true, nil },
				circuit: closedCircuit},
			calls: []string{"FindByKey " + tableSlug, "GetCircuit " + tableID}, ready: "True", reason: v1.ReasonAvailable,
			events: []string{"Normal Adopted"},
		},
		"observe only, drifted": {
			object: func(d *v1.Destination) { d.Spec.ManagementPolicy = v1.ManagementObserve },
			fake: fakeDestinations{findByKey: func(string) (*hookstream.Destination, bool, error) {
				return tableRow("https://elsewhere.example.com", now), true, nil
			}, circuit: closedCircuit},
			calls: []string{"FindByKey " + tableSlug, "GetCircuit " + tableID}, ready: "False", reason: v1.ReasonDriftDetected,
			check: func(t *testing.T, d *v1.Destination) {
				if len(d.Status.Drift) != 1 || d.Status.Drift[0].Field != "url" || hasFinalizer(d) {
					t.Errorf("drift %+v, finalizers %v; want url and no finalizer", d.Status.Drift, d.Finalizers)
				}
			},
		},
		"observe only, nothing there": {
			object: func(d *v1.Destination) { d.Spec.ManagementPolicy = v1.ManagementObserve },
			fake:   fakeDestinations{findByKey: func(string) (*hookstream.Destination, bool, error) { return nil, false, nil }},
			calls:  []string{"FindByKey " + tableSlug}, ready: "False", reason: v1.ReasonNotFound,
			events: []string{"Warning " + v1.ReasonNotFound},
		},
		"type changed remotely": {
			object: withStatusID,
			fake: fakeDestinations{get: func(string) (*hookstream.Destination, error) {
				row := tableRow(tableURL, now)
				row.Type = hookstream.TypeKafka
				return row, nil
			}},
			calls: []string{"Get " + tableID}, ready: "False", reason: v1.ReasonTypeMismatch, events: []string{"Warning TypeMismatch"},
		},
		"delete": {
			object: deleting,
			fake:   fakeDestinations{delete: func(string) error { return nil }},
			calls:  []string{"Delete " + tableID}, events: []string{"Normal Deleted"}, gone: true,
		},
		"delete, remote already gone": {
			object: deleting,
			fake:   fakeDestinations{delete: func(string) error { return apiError(404, "Destination not found") }},
			calls:  []string{"Delete " + tableID}, gone: true,
		},
		"delete fails: the finalizer stays": {
			object: deleting,
			fake:   fakeDestinations{delete: func(string) error { return apiError(503, "Service Unavailable") }},
			calls:  []string{"Delete " + tableID}, ready: "False", reason: v1.ReasonDeleting, wantErr: true,
			events: []string{"Warning APIUnavailable"},
		},
		"orphan": {
			object: func(d *v1.Destination) { deleting(d); d.Spec.DeletionPolicy = v1.DeletionOrphan },
			events: []string{"Normal Orphaned"}, gone: true,
		},
		"paused: no call at all": {
			object: func(d *v1.Destination) { deleting(d); d.Annotations = map[string]string{v1.AnnotationPaused: "true"} },
			check: func(t *testing.T, d *v1.Destination) {
				if c := meta.FindStatusCondition(d.Status.Conditions, v1.ConditionSynced); c == nil || c.Reason != v1.ReasonPaused {
					t.Errorf("Synced = %+v, want reason Paused", c)
				}
			},
		},
		"spec the mapping rejects (no provider block)": {
			object: func(d *v1.Destination) { d.Spec.HTTP = nil },
			ready:  "False", reason: v1.ReasonInvalidSpec, events: []string{"Warning InvalidSpec"}, wantErr: true,
		},
		"referenced Secret missing": {
			object: func(d *v1.Destination) {
				d.Spec.HTTP.Auth = &v1.HTTPAuth{Type: v1.HTTPAuthBearer, Bearer: &v1.BearerAuth{
					TokenSecretRef: v1.SecretKeySelector{Name: "receiver-token", Key: "token"}}}
			},
			ready: "False", reason: v1.ReasonSecretNotFound, events: []string{"Warning SecretNotFound"},
		},
		"API key only whitespace": {
			apiKey: " \n\t", ready: "False", reason: v1.ReasonCredentialsInvalid, events: []string{"Warning CredentialsInvalid"},
		},
		"client cannot be built": {
			connect: errors.New("hookstream: the API key contains characters that cannot travel in an HTTP header"),
			ready:   "False", reason: v1.ReasonCredentialsInvalid, events: []string{"Warning CredentialsInvalid"},
		},
		"hookstream rejects the key": {
			object: withStatusID,
			fake:   fakeDestinations{get: func(string) (*hookstream.Destination, error) { return nil, apiError(401, "Invalid API key") }},
			calls:  []string{"Get " + tableID}, ready: "False", reason: v1.ReasonUnauthorized, events: []string{"Warning Unauthorized"},
		},
		"hookstream rejects the spec": {
			fake: fakeDestinations{create: func(*desiredDestination) (*hookstream.Destination, error) {
				return nil, apiError(400, "url must be https")
			}},
			calls: []string{"Create " + tableSlug}, ready: "False", reason: v1.ReasonInvalidSpec, events: []string{"Warning InvalidSpec"},
			wantErr: true, check: refusedInputRecorded,
		},
		"hookstream rate limit": {
			object: withStatusID,
			fake: fakeDestinations{get: func(string) (*hookstream.Destination, error) {
				return nil, &hookstream.APIError{StatusCode: 429, Message: "Too many requests", RetryAfter: 20 * time.Second}
			}},
			calls: []string{"Get " + tableID}, ready: "False", reason: v1.ReasonRateLimited,
		},
		"hookstream down": {
			object: withStatusID,
			fake:   fakeDestinations{get: func(string) (*hookstream.Destination, error) { return nil, apiError(502, "Bad Gateway") }},
			calls:  []string{"Get " + tableID}, ready: "False", reason: v1.ReasonAPIUnavailable, events: []string{"Warning APIUnavailable"},
			wantErr: true,
		},
		"finalizer patch refused by RBAC: no create": {
			faults: branchFaults{patchErr: apierrors.NewForbidden(v1.GroupVersion.WithResource("destinations").GroupResource(), "orders", errors.New("no patch"))},
			ready:  "False", reason: v1.ReasonKubernetesForbidden, events: []string{"Warning KubernetesForbidden"}, wantErr: true,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) { runBranch(t, tc, tableDestination(tc.object), newDestinationKind) })
	}
}

// refusedInputRecorded checks that a request refused for good is remembered, so that it is not sent again.
func refusedInputRecorded(t *testing.T, d *v1.Destination) {
	t.Helper()
	if d.Status.RefusedInputHash == "" {
		t.Errorf("status.refusedInputHash is empty after a refusal for good")
	}
}

// TestRefusedInputIsNotSentAgain: a request hookstream refused for good is not sent again, however often the
// object is reconciled (a restart, a status refresh), until the reconcile-requested annotation or the spec changes.
func TestRefusedInputIsNotSentAgain(t *testing.T) {
	ctx := context.Background()
	hs := fakeDestinations{
		create: func(*desiredDestination) (*hookstream.Destination, error) {
			return nil, apiError(400, "url must be https")
		},
		// A retry looks up what the marked attempt may have made first.
		findByKey: func(string) (*hookstream.Destination, bool, error) { return nil, false, nil },
	}
	obj := tableDestination(nil)
	cluster, recorder, _, r := newBranchReconciler(obj.Namespace, testAPIKey, branchFaults{}, []client.Object{obj}, newDestinationKind,
		func(string) (destinationExternal, error) { return &hs, nil })
	key := client.ObjectKeyFromObject(obj)
	reconcile := func() {
		t.Helper()
		if _, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: key}); err != nil && errors.Is(err, errUnexpectedCall) {
			t.Fatal(err)
		}
	}
	change := func(mutate func(*v1.Destination)) {
		t.Helper()
		stored := &v1.Destination{}
		if err := cluster.Get(ctx, key, stored); err != nil {
			t.Fatal(err)
		}
		mutate(stored)
		if err := cluster.Update(ctx, stored); err != nil {
			t.Fatal(err)
		}
	}
	creates := func() int {
		n := 0
		for _, c := range hs.calls {
			if strings.HasPrefix(c, "Create ") {
				n++
			}
		}
		return n
	}
	for range 3 {
		reconcile()
	}
	if got := creates(); got != 1 {
		t.Fatalf("%d creates over 3 reconciles of one refused spec, want 1 (calls %v)", got, hs.calls)
	}
	if got := drain(recorder); !cmp.Equal(got, []string{"Warning InvalidSpec"}) {
		t.Errorf("events %q, want one Warning InvalidSpec", got)
	}
	change(func(d *v1.Destination) {
		d.Annotations = map[string]string{v1.AnnotationReconcileRequestedAt: "now"}
	})
	reconcile()
	reconcile()
	if got := creates(); got != 2 {
		t.Fatalf("%d creates after a requested check, want 2 (calls %v)", got, hs.calls)
	}
	change(func(d *v1.Destination) { d.Spec.HTTP.URL = "https://receiver.example.com/v2"; d.Generation++ })
	reconcile()
	if got := creates(); got != 3 {
		t.Fatalf("%d creates after a spec change, want 3 (calls %v)", got, hs.calls)
	}
}

func newDestinationKind(c client.Client, connect func(string) (destinationExternal, error)) *managed.Definition[*v1.Destination,
	*hookstream.Destination, *desiredDestination, *hookstream.UpdateRequest] {
	def := destinationDefinition(testKindEnv(c), Settings{Clients: noClients})
	def.Kind.(*destinationKind).connect = connect
	def.Health = &destinationHealth{circuits: func(apiKey string) (circuitClient, error) {
		hs, err := connect(apiKey)
		if err != nil {
			return nil, err
		}
		if t, ok := hs.(translated[*v1.Destination, *hookstream.Destination, *desiredDestination, *hookstream.UpdateRequest]); ok {
			hs = t.hs
		}
		return hs.(circuitClient), nil
	}}
	return def
}

// testKindEnv is the kindEnv of a fake API server.
func testKindEnv(c client.Client) kindEnv {
	return kindEnv{objects: c, api: c, referrers: referrersOf(c)}
}

// noClients refuses to build a hookstream client: the tests' kinds connect to fakes.
func noClients(string) (*hookstream.Client, error) {
	return nil, errors.New("no hookstream client in this test")
}

// branchCase is one row of a kind's branch table.
type branchCase[O managed.Object, R any, D managed.Desired, P fielder] struct {
	object  func(O)
	apiKey  string
	fake    fakeHookstream[O, R, D, P]
	connect error
	// faults fails the operator's writes to the API server.
	faults branchFaults
	// objects are put in the cluster besides the object and its credentials Secret.
	objects []client.Object

	calls []string
	// ready is the Ready condition's status and reason after the reconcile; "" for no Ready condition.
	ready, reason string
	events        []string
	wantErr       bool
	gone          bool
	check         func(t *testing.T, stored O)
	// inCluster checks the cluster after the reconcile, the object gone or not.
	inCluster func(t *testing.T, c client.Client)
}

type destinationCase = branchCase[*v1.Destination, *hookstream.Destination, *desiredDestination, *hookstream.UpdateRequest]

// runBranch reconciles obj once with the kind newKind returns, on the row's fake hookstream and a fake API server,
// and checks the calls, the events and the stored object.
func runBranch[O managed.Object, R any, D managed.Desired, P fielder](t *testing.T, tc branchCase[O, R, D, P], obj O,
	newKind func(client.Client, func(string) (managed.External[O, R, D, P], error)) *managed.Definition[O, R, D, P]) {
	t.Helper()
	ctx := context.Background()
	apiKey := tc.apiKey
	if apiKey == "" {
		apiKey = testAPIKey
	}
	hs := tc.fake
	cluster, recorder, kind, r := newBranchReconciler(obj.GetNamespace(), apiKey, tc.faults,
		append([]client.Object{obj}, tc.objects...), newKind, func(string) (managed.External[O, R, D, P], error) {
			if tc.connect != nil {
				return nil, tc.connect
			}
			return &hs, nil
		})
	_, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(obj)})
	if (err != nil) != tc.wantErr {
		t.Errorf("Reconcile error = %v, want an error: %v", err, tc.wantErr)
	}
	if err != nil && errors.Is(err, errUnexpectedCall) {
		t.Errorf("an unexpected hookstream call: %v", err)
	}
	if diff := cmp.Diff(tc.calls, hs.calls); diff != "" {
		t.Errorf("hookstream calls (-want +got):\n%s", diff)
	}
	if got := drain(recorder); !cmp.Equal(tc.events, got) {
		t.Errorf("events = %q, want %q", got, tc.events)
	}
	if tc.inCluster != nil {
		tc.inCluster(t, cluster)
	}
	stored := managed.NewObject[O]()
	err = cluster.Get(ctx, client.ObjectKeyFromObject(obj), stored)
	if tc.gone {
		if !apierrors.IsNotFound(err) {
			t.Errorf("the %s is still there (finalizers %v, err %v)", kind.Names.Kind, stored.GetFinalizers(), err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	ready := meta.FindStatusCondition(stored.GetManagedStatus().Conditions, v1.ConditionReady)
	switch {
	case tc.ready == "" && ready != nil:
		t.Errorf("Ready = %+v, want none", ready)
	case tc.ready != "" && (ready == nil || string(ready.Status) != tc.ready || ready.Reason != tc.reason || ready.Message == ""):
		t.Errorf("Ready = %+v, want %s with reason %s and a message", ready, tc.ready, tc.reason)
	}
	if tc.check != nil {
		tc.check(t, stored)
	}
}

// newBranchReconciler returns a reconciler of the kind newKind returns on a fake API server holding objects (the
// status of the first, and of objects of its kind, a subresource) and the namespace's credentials Secret with apiKey; patchErr fails every patch.
// branchFaults are failures of the operator's writes to the fake API server.
type branchFaults struct {
	// patchErr fails every metadata patch (finalizer, marker).
	patchErr error
	// statusErr fails the status writes after the first statusWritesOK.
	statusErr      error
	statusWritesOK int
}

func newBranchReconciler[O managed.Object, R any, D managed.Desired, P fielder](namespace, apiKey string, faults branchFaults,
	objects []client.Object, newKind func(client.Client, func(string) (managed.External[O, R, D, P], error)) *managed.Definition[O, R, D, P],
	connect func(string) (managed.External[O, R, D, P], error)) (client.Client, *events.FakeRecorder, *managed.Definition[O, R, D, P],
	*managed.Reconciler[O, R, D, P]) {
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "hookstream-credentials"},
		Data:       map[string][]byte{v1.CredentialsKey: []byte(apiKey)},
	}
	builder := fake.NewClientBuilder().WithScheme(testenv.Scheme()).WithObjects(secret).WithObjects(objects...).
		WithStatusSubresource(objects[0]).
		WithIndex(objects[0], managed.RemoteIDIndex, managed.RemoteIDOf).
		WithIndex(&v1.Connection{}, connectionEndsIndex, func(o client.Object) []string { return connectionEnds(o.(*v1.Connection)) })
	statusWrites := 0
	builder = builder.WithInterceptorFuncs(interceptor.Funcs{
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			if faults.patchErr != nil {
				return faults.patchErr
			}
			return c.Patch(ctx, obj, patch, opts...)
		},
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch,
			opts ...client.SubResourcePatchOption) error {
			if statusWrites++; faults.statusErr != nil && statusWrites > faults.statusWritesOK {
				return faults.statusErr
			}
			return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
		},
	})
	cluster := builder.Build()
	recorder := events.NewFakeRecorder(20)
	kind := newKind(cluster, translating(connect))
	r := managed.NewReconciler(cluster, cluster, cluster, recorder, kind, managed.Options{
		DefaultCredentialsSecret: "hookstream-credentials", DriftInterval: 10 * time.Minute,
	})
	return cluster, recorder, kind, r
}

// translating makes connect's fakes answer with the machinery's errors, as every kind's Connect does.
func translating[O managed.Object, R any, D managed.Desired, P any](connect func(string) (managed.External[O, R, D, P],
	error)) func(string) (managed.External[O, R, D, P], error) {
	return func(apiKey string) (managed.External[O, R, D, P], error) {
		hs, err := connect(apiKey)
		if err != nil {
			return nil, err
		}
		return translated[O, R, D, P]{hs}, nil
	}
}

// drain returns the recorded events as "type reason", in order.
func drain(r *events.FakeRecorder) []string {
	var got []string
	for {
		select {
		case e := <-r.Events:
			f := strings.Fields(e)
			got = append(got, fmt.Sprintf("%s %s", f[0], f[1]))
		default:
			return got
		}
	}
}
