// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package variants

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/emulator"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/internal/managed"
	"github.com/hookstream/hookstream-operator/test/harness"
)

const (
	waitFor       = 60 * time.Second
	webhookSecret = "github-webhook-secret-0123456789"
	bearerToken   = "bearer-token-0123456789abcdef"
)

// deleteOrders are the orders a row deletes its route's three objects in, one per row in turn.
var deleteOrders = [][]string{
	{"source", "connection", "destination"},
	{"destination", "source", "connection"},
	{"connection", "source", "destination"},
	{"source", "destination", "connection"},
}

// TestLifecycleUnderEveryVariant runs, for the default contract, each variant alone and all of them: create a
// Destination, a Source and a Connection between them; reconcile them again with no write; edit each spec and see
// one PATCH of the changed field; change each remote resource behind the operator's back and see it reverted;
// adopt an existing destination and source by id; ingest a signed webhook and see it routed and transformed;
// delete everything in one of several orders; and find hookstream empty.
func TestLifecycleUnderEveryVariant(t *testing.T) {
	rows := map[string][]string{"default": nil, "all": emulator.AllVariants()}
	for _, name := range emulator.VariantNames() {
		rows[name] = []string{name}
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for name := range rows {
			if !yield(name) {
				return
			}
		}
	})
	for i, name := range names {
		variants := rows[name]
		order := deleteOrders[i%len(deleteOrders)]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			lifecycle(t, variants, order)
		})
	}
}

type lifecycleRow struct {
	t        *testing.T
	ns       string
	row      *row
	remote   *hookstream.Client
	variants []string
}

func lifecycle(t *testing.T, variants, order []string) {
	r := &lifecycleRow{t: t, row: router.newRow(t, variants), variants: variants}
	r.remote = remoteClient(t, r.row)
	r.ns = r.namespace()
	receiver, err := harness.StartReceiver()
	if err != nil {
		t.Fatal(err)
	}
	defer receiver.Close()

	route := r.createRoute(receiver.URL)
	r.steadyThenEdits(route)
	r.driftReverted(route)
	adopted := r.adopt()
	r.ingest(route, receiver)
	// A transform hookstream refuses at write time is a spec error, reported once, not retried.
	if slices.Contains(variants, emulator.VariantJSONata400) {
		r.refusedTransform()
	}
	r.deleteAll(route, order, adopted)
	r.expectEmpty()
}

// route is a row's Destination, Source and Connection.
type route struct {
	dst                     *v1.Destination
	src                     *v1.Source
	conn                    *v1.Connection
	dstKey, srcKey, connKey client.ObjectKey
}

// createRoute creates a Destination delivering to receiverURL, a GitHub Source and a Connection between them, and
// waits until the three are Ready.
func (r *lifecycleRow) createRoute(receiverURL string) *route {
	t := r.t
	// Create.
	dst := &v1.Destination{ObjectMeta: metav1.ObjectMeta{Namespace: r.ns, Name: "orders"}, Spec: v1.DestinationSpec{
		DisplayName: "Orders",
		HTTP: &v1.HTTPDestination{URL: receiverURL + "/hook", Auth: &v1.HTTPAuth{Type: v1.HTTPAuthBearer,
			Bearer: &v1.BearerAuth{TokenSecretRef: v1.SecretKeySelector{Name: "receiver", Key: "token"}}}},
	}}
	src := &v1.Source{ObjectMeta: metav1.ObjectMeta{Namespace: r.ns, Name: "github"}, Spec: v1.SourceSpec{
		DisplayName:   "GitHub",
		Template:      "github",
		Verification:  &v1.SourceVerification{SecretRef: v1.SecretKeySelector{Name: "github-webhook", Key: "secret"}},
		Deduplication: &v1.SourceDeduplication{Strategy: "header_field", Field: "X-GitHub-Delivery"},
		IPAllowlist:   []v1.IPv4OrCIDR{"127.0.0.0/8"},
	}}
	transform := `{"event": "pr-opened", "number": pull_request.number}`
	conn := &v1.Connection{ObjectMeta: metav1.ObjectMeta{Namespace: r.ns, Name: "prs"}, Spec: v1.ConnectionSpec{
		SourceRef:      &v1.EndReference{Name: "github"},
		DestinationRef: &v1.EndReference{Name: "orders"},
		Filters: []v1.FilterRule{{Field: "payload.action", Op: "eq",
			Value: &apiextensionsv1.JSON{Raw: []byte(`"opened"`)}}},
		Transform: &transform,
	}}
	for _, obj := range []client.Object{conn, src, dst} {
		r.create(obj)
	}
	rt := &route{dst: dst, src: src, conn: conn, dstKey: client.ObjectKeyFromObject(dst),
		srcKey: client.ObjectKeyFromObject(src), connKey: client.ObjectKeyFromObject(conn)}
	dstKey, srcKey, connKey := rt.dstKey, rt.srcKey, rt.connKey
	waitReady(t, dstKey, &v1.Destination{})
	waitReady(t, srcKey, &v1.Source{})
	waitReady(t, connKey, &v1.Connection{})

	return rt
}

// steadyThenEdits reconciles the route again and expects no write, then edits one field of each and expects one
// PATCH of it.
func (r *lifecycleRow) steadyThenEdits(rt *route) {
	t := r.t
	dstKey, srcKey, connKey := rt.dstKey, rt.srcKey, rt.connKey
	// A steady check writes nothing.
	before := r.row.writeCount()
	r.reconcileAgain(dstKey, &v1.Destination{})
	r.reconcileAgain(srcKey, &v1.Source{})
	r.reconcileAgain(connKey, &v1.Connection{})
	if w := r.row.writesSince(before); len(w) != 0 {
		t.Fatalf("a steady check wrote to hookstream: %v", w)
	}

	// A spec edit is one PATCH of the changed field.
	r.editIsOnePatch(dstKey, &v1.Destination{}, func(d *v1.Destination) { d.Spec.HTTP.TimeoutSeconds = new(int32(12)) },
		"/destinations/", `{"timeout_ms":12000}`)
	r.editIsOnePatch(srcKey, &v1.Source{}, func(s *v1.Source) { s.Spec.Description = "pull requests" },
		"/sources/", `{"description":"pull requests"}`)
	r.editIsOnePatch(connKey, &v1.Connection{}, func(c *v1.Connection) { c.Spec.Description = "opened ones" },
		"/connections/", `{"description":"opened ones"}`)

}

// driftReverted changes each remote resource behind the operator's back and expects the change reverted.
func (r *lifecycleRow) driftReverted(rt *route) {
	t, ctx := r.t, context.Background()
	dstKey, srcKey, connKey := rt.dstKey, rt.srcKey, rt.connKey
	// Drift is reverted.
	d := getObject(t, dstKey, &v1.Destination{})
	s := getObject(t, srcKey, &v1.Source{})
	c := getObject(t, connKey, &v1.Connection{})
	if _, err := r.remote.UpdateDestination(ctx, d.Status.ID, &hookstream.UpdateRequest{Name: hookstream.Set("drifted")}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.remote.UpdateSource(ctx, s.Status.ID, &hookstream.SourceUpdateRequest{Name: hookstream.Set("drifted")}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.remote.UpdateConnection(ctx, c.Status.ID, &hookstream.ConnectionUpdateRequest{
		Description: hookstream.Set("drifted")}); err != nil {
		t.Fatal(err)
	}
	r.reconcileAgain(dstKey, &v1.Destination{})
	r.reconcileAgain(srcKey, &v1.Source{})
	r.reconcileAgain(connKey, &v1.Connection{})
	eventually(t, "drift reverted", func() error {
		rd, err := r.remote.GetDestination(ctx, d.Status.ID)
		if err != nil {
			return err
		}
		rs, err := r.remote.GetSource(ctx, s.Status.ID)
		if err != nil {
			return err
		}
		rc, err := r.remote.GetConnection(ctx, c.Status.ID)
		if err != nil {
			return err
		}
		if rd.Name != "Orders" || rs.Name != "GitHub" || rc.Description == nil || *rc.Description != "opened ones" {
			return fmt.Errorf("destination %q, source %q, connection description %v", rd.Name, rs.Name, rc.Description)
		}
		return nil
	})

}

// adopt creates a destination and a source in hookstream and objects that adopt them by id; it returns the objects.
func (r *lifecycleRow) adopt() []client.Object {
	t, ctx := r.t, context.Background()
	// Adopt a destination and a source by id.
	theirs, err := r.remote.CreateDestination(ctx, &hookstream.CreateRequest{Name: "Theirs", Slug: "theirs",
		URL: "https://theirs.example.com/"})
	if err != nil {
		t.Fatal(err)
	}
	theirSource, err := r.remote.CreateSource(ctx, &hookstream.SourceCreateRequest{Name: "Their source", Slug: "their-source"})
	if err != nil {
		t.Fatal(err)
	}
	adoptedDst := &v1.Destination{ObjectMeta: metav1.ObjectMeta{Namespace: r.ns, Name: "theirs"}, Spec: v1.DestinationSpec{
		ManagedSpec: v1.ManagedSpec{AdoptID: theirs.ID}, DisplayName: "Adopted", Slug: "theirs",
		HTTP: &v1.HTTPDestination{URL: "https://theirs.example.com/"},
	}}
	adoptedSrc := &v1.Source{ObjectMeta: metav1.ObjectMeta{Namespace: r.ns, Name: "their-source"}, Spec: v1.SourceSpec{
		ManagedSpec: v1.ManagedSpec{AdoptID: theirSource.ID}, DisplayName: "Adopted source", Slug: "their-source",
	}}
	r.create(adoptedDst)
	r.create(adoptedSrc)
	if got := waitReady(t, client.ObjectKeyFromObject(adoptedDst), &v1.Destination{}); got.Status.ID != theirs.ID {
		t.Errorf("adopted destination has id %q, want %q", got.Status.ID, theirs.ID)
	}
	if got := waitReady(t, client.ObjectKeyFromObject(adoptedSrc), &v1.Source{}); got.Status.ID != theirSource.ID {
		t.Errorf("adopted source has id %q, want %q", got.Status.ID, theirSource.ID)
	}
	eventually(t, "adopted rows renamed", func() error {
		rd, err := r.remote.GetDestination(ctx, theirs.ID)
		if err != nil {
			return err
		}
		rs, err := r.remote.GetSource(ctx, theirSource.ID)
		if err != nil {
			return err
		}
		if rd.Name != "Adopted" || rs.Name != "Adopted source" {
			return fmt.Errorf("names %q, %q", rd.Name, rs.Name)
		}
		return nil
	})

	return []client.Object{adoptedDst, adoptedSrc}
}

// ingest posts two signed webhooks to the Source and expects the one the filter passes delivered, transformed.
func (r *lifecycleRow) ingest(rt *route, receiver *harness.Receiver) {
	t, ctx, variants := r.t, context.Background(), r.variants
	srcKey := rt.srcKey
	// A signed webhook is routed and transformed; one the filter refuses is not delivered.
	s := getObject(t, srcKey, &v1.Source{})
	if slices.Contains(variants, emulator.VariantIngestURLField) && !strings.Contains(s.Status.IngestURL, "/in/") {
		t.Errorf("status.ingestURL %q is not the URL the source names", s.Status.IngestURL)
	}
	opened := `{"action":"opened","pull_request":{"number":7}}`
	closed := `{"action":"closed","pull_request":{"number":8}}`
	for _, body := range []string{closed, opened} {
		if code, answer, err := harness.PostGitHubWebhook(ctx, s.Status.IngestURL, []byte(webhookSecret), body); err != nil || code != http.StatusOK {
			t.Fatalf("ingest to %s: %d %s %v", s.Status.IngestURL, code, answer, err)
		}
	}
	eventually(t, "the opened pull request delivered, transformed", func() error {
		bodies := receiver.Bodies()
		if len(bodies) == 0 {
			return errors.New("nothing delivered")
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(bodies[0]), &got); err != nil {
			return err
		}
		if got["event"] != "pr-opened" || got["number"] != float64(7) || len(bodies) != 1 {
			return fmt.Errorf("delivered %q", bodies)
		}
		if auth := receiver.Received()[0].Header.Get("Authorization"); auth != "Bearer "+bearerToken {
			return errors.New("the delivery does not carry the bearer token of the Secret")
		}
		return nil
	})

}

// deleteAll deletes the route's objects in order, then the adopted ones, and waits until all are gone.
func (r *lifecycleRow) deleteAll(rt *route, order []string, adopted []client.Object) {
	t, ctx := r.t, context.Background()
	src, dst, conn := rt.src, rt.dst, rt.conn
	adoptedDst, adoptedSrc := adopted[0], adopted[1]
	// Delete the route in this row's order, then the adopted objects; hookstream ends empty.
	objects := map[string]client.Object{"source": src, "destination": dst, "connection": conn}
	for _, kind := range order {
		if err := k8s.Delete(ctx, objects[kind]); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond) // let the reconcile of this delete start before the next one
	}
	for _, obj := range []client.Object{adoptedDst, adoptedSrc} {
		if err := k8s.Delete(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	for _, obj := range []client.Object{src, dst, conn, adoptedDst, adoptedSrc} {
		eventually(t, "deleted "+obj.GetName(), func() error {
			err := k8s.Get(ctx, client.ObjectKeyFromObject(obj), obj.DeepCopyObject().(client.Object))
			if apierrors.IsNotFound(err) {
				return nil
			}
			return fmt.Errorf("still there (%v)", err)
		})
	}
}

// refusedTransform creates a Connection whose transform does not compile and checks that it stalls with
// InvalidSpec after at most one create (the operator compiles transforms itself, so hookstream's 400 is its
// second line), then deletes it.
func (r *lifecycleRow) refusedTransform() {
	r.t.Helper()
	broken := "{ broken"
	c := &v1.Connection{ObjectMeta: metav1.ObjectMeta{Namespace: r.ns, Name: "broken"}, Spec: v1.ConnectionSpec{
		SourceRef: &v1.EndReference{Name: "github"}, DestinationRef: &v1.EndReference{Name: "orders"},
		Transform: &broken,
	}}
	before := r.row.writeCount()
	r.create(c)
	key := client.ObjectKeyFromObject(c)
	eventually(r.t, "InvalidSpec", func() error {
		got := getObject(r.t, key, &v1.Connection{})
		ready := meta.FindStatusCondition(got.Status.Conditions, v1.ConditionReady)
		stalled := meta.FindStatusCondition(got.Status.Conditions, v1.ConditionStalled)
		if ready == nil || ready.Reason != v1.ReasonInvalidSpec || stalled == nil || stalled.Status != metav1.ConditionTrue ||
			!strings.Contains(ready.Message, "JSONata") {
			return fmt.Errorf("conditions %+v", got.Status.Conditions)
		}
		return nil
	})
	time.Sleep(2 * time.Second)
	if w := r.row.writesSince(before); len(w) > 1 {
		r.t.Errorf("a refused transform made %d writes, want at most the one create: %v", len(w), w)
	}
	if err := k8s.Delete(context.Background(), c); err != nil {
		r.t.Fatal(err)
	}
	eventually(r.t, "broken deleted", func() error {
		if err := k8s.Get(context.Background(), key, &v1.Connection{}); !apierrors.IsNotFound(err) {
			return fmt.Errorf("still there (%v)", err)
		}
		return nil
	})
}

func (r *lifecycleRow) namespace() string {
	r.t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "v-"}}
	if err := k8s.Create(context.Background(), ns); err != nil {
		r.t.Fatal(err)
	}
	for name, data := range map[string]map[string]string{
		"hookstream-credentials": {v1.CredentialsKey: r.row.key},
		"github-webhook":         {"secret": webhookSecret},
		"receiver":               {"token": bearerToken},
	} {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: name}, StringData: data}
		if err := k8s.Create(context.Background(), s); err != nil {
			r.t.Fatal(err)
		}
	}
	return ns.Name
}

func (r *lifecycleRow) create(obj client.Object) {
	r.t.Helper()
	if err := k8s.Create(context.Background(), obj); err != nil {
		r.t.Fatal(err)
	}
}

// reconcileAgain asks for a reconcile through the annotation and waits until it was handled.
func (r *lifecycleRow) reconcileAgain(key client.ObjectKey, empty managed.Object) {
	r.t.Helper()
	token := time.Now().Format(time.RFC3339Nano)
	obj := getObject(r.t, key, empty)
	patch := client.MergeFrom(obj.DeepCopyObject().(client.Object))
	anns := obj.GetAnnotations()
	if anns == nil {
		anns = map[string]string{}
	}
	anns[v1.AnnotationReconcileRequestedAt] = token
	obj.SetAnnotations(anns)
	if err := k8s.Patch(context.Background(), obj, patch); err != nil {
		r.t.Fatal(err)
	}
	eventually(r.t, "reconcile handled", func() error {
		got := getObject(r.t, key, empty)
		if handled := got.GetManagedStatus().LastHandledReconcileAt; handled != token {
			return fmt.Errorf("lastHandledReconcileAt %q", handled)
		}
		return nil
	})
}

// editIsOnePatch edits the spec, waits until the object is Ready for it, and checks that the operator wrote one
// PATCH, to path, of exactly want.
func editIsOnePatch[O managed.Object](r *lifecycleRow, key client.ObjectKey, empty O, edit func(O), path, want string) {
	r.t.Helper()
	before := r.row.writeCount()
	obj := getObject(r.t, key, empty)
	patch := client.MergeFrom(obj.DeepCopyObject().(O))
	edit(obj)
	if err := k8s.Patch(context.Background(), obj, patch); err != nil {
		r.t.Fatal(err)
	}
	waitReady(r.t, key, empty)
	writes := r.row.writesSince(before)
	if len(writes) != 1 || writes[0].method != http.MethodPatch || !strings.HasPrefix(writes[0].path, path) ||
		!jsonEqual(writes[0].body, want) {
		r.t.Errorf("the edit wrote %v, want one PATCH %s... of %s", writes, path, want)
	}
}

func (r *lifecycleRow) editIsOnePatch(key client.ObjectKey, empty managed.Object, edit any, path, want string) {
	r.t.Helper()
	switch e := edit.(type) {
	case func(*v1.Destination):
		editIsOnePatch(r, key, empty.(*v1.Destination), e, path, want)
	case func(*v1.Source):
		editIsOnePatch(r, key, empty.(*v1.Source), e, path, want)
	case func(*v1.Connection):
		editIsOnePatch(r, key, empty.(*v1.Connection), e, path, want)
	}
}

func jsonEqual(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return string(ja) == string(jb)
}

// expectEmpty checks that the row's hookstream project holds no destination, source or connection.
func (r *lifecycleRow) expectEmpty() {
	r.t.Helper()
	ctx := context.Background()
	var left []string
	for d, err := range r.remote.AllDestinations(ctx) {
		if err != nil {
			r.t.Fatal(err)
		}
		left = append(left, "destination "+d.Slug)
	}
	for s, err := range r.remote.AllSources(ctx) {
		if err != nil {
			r.t.Fatal(err)
		}
		left = append(left, "source "+s.Slug)
	}
	for c, err := range r.remote.AllConnections(ctx, hookstream.ConnectionListOptions{}) {
		if err != nil {
			r.t.Fatal(err)
		}
		left = append(left, "connection "+c.Name)
	}
	if len(left) > 0 {
		r.t.Errorf("hookstream still holds %v", left)
	}
}

func getObject[O managed.Object](t *testing.T, key client.ObjectKey, empty O) O {
	t.Helper()
	obj := empty.DeepCopyObject().(O)
	if err := k8s.Get(context.Background(), key, obj); err != nil {
		t.Fatal(err)
	}
	return obj
}

// waitReady waits until the object is Ready for its generation and settled.
func waitReady[O managed.Object](t *testing.T, key client.ObjectKey, empty O) O {
	t.Helper()
	var obj O
	eventually(t, fmt.Sprintf("%s Ready", key), func() error {
		obj = empty.DeepCopyObject().(O)
		if err := k8s.Get(context.Background(), key, obj); err != nil {
			return err
		}
		st := obj.GetManagedStatus()
		c := meta.FindStatusCondition(st.Conditions, v1.ConditionReady)
		switch {
		case c == nil:
			return errors.New("no Ready condition")
		case c.Status != metav1.ConditionTrue || c.ObservedGeneration != obj.GetGeneration():
			return fmt.Errorf("Ready %s/%s for generation %d: %s", c.Status, c.Reason, c.ObservedGeneration, c.Message)
		case st.ObservedGeneration != obj.GetGeneration():
			return fmt.Errorf("observedGeneration %d, generation %d", st.ObservedGeneration, obj.GetGeneration())
		}
		return nil
	})
	return obj
}

func eventually(t *testing.T, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	var err error
	for time.Now().Before(deadline) {
		if err = cond(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: still not true after %s: %v", what, waitFor, err)
}
