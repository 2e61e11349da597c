// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
)

// createRemote creates a destination in hookstream behind the operator's back.
func createRemote(t *testing.T, slug, url string) *hookstream.Destination {
	t.Helper()
	row, err := remote.CreateDestination(context.Background(), &hookstream.CreateRequest{
		Name: "made elsewhere", Slug: slug, URL: url, CircuitBreakerThreshold: new(42),
	})
	if err != nil {
		t.Fatal(err)
	}
	return row
}

func httpSpec(url string) v1.DestinationSpec {
	return v1.DestinationSpec{HTTP: &v1.HTTPDestination{URL: url}}
}

func setAnnotation(t *testing.T, key client.ObjectKey, name, value string) {
	t.Helper()
	d := getDestination(t, key)
	patch := client.MergeFrom(d.DeepCopy())
	if d.Annotations == nil {
		d.Annotations = map[string]string{}
	}
	if value == "" {
		delete(d.Annotations, name)
	} else {
		d.Annotations[name] = value
	}
	if err := k8s.Patch(context.Background(), d, patch); err != nil {
		t.Fatal(err)
	}
}

func TestAdoptByID(t *testing.T) {
	ns := newNamespace(t)
	existing := createRemote(t, "adopt-by-id-"+ns, "https://old.example.com/")
	before := emu.Stats()
	spec := httpSpec("https://new.example.com/")
	spec.AdoptID = existing.ID
	spec.DisplayName = "made elsewhere"
	key := createDestination(t, ns, "adopter", spec)
	d := waitForReady(t, key)
	if d.Status.ID != existing.ID || d.Status.Slug != existing.Slug {
		t.Fatalf("status id/slug = %s/%s, want the adopted %s/%s", d.Status.ID, d.Status.Slug, existing.ID, existing.Slug)
	}
	after := emu.Stats()
	if n := after.Count(routeCreate) - before.Count(routeCreate); n != 0 {
		t.Errorf("%d POSTs while adopting", n)
	}
	row := remoteRow(t, existing.ID)
	if row.URL != "https://new.example.com/" || ptr.Deref(row.CircuitBreakerThreshold, 0) != 42 {
		t.Errorf("after adoption: url %q (want the spec's), circuit threshold %v (unmanaged, want 42 kept)", row.URL, row.CircuitBreakerThreshold)
	}
}

func TestSlugConflictIsReportedThenAdoptedWhenAllowed(t *testing.T) {
	ns := newNamespace(t)
	slug := "taken-" + ns
	existing := createRemote(t, slug, "https://old.example.com/")
	spec := httpSpec("https://new.example.com/")
	spec.Slug = slug
	key := createDestination(t, ns, "conflict", spec)
	d := waitForCondition(t, key, v1.ConditionReady, metav1.ConditionFalse, v1.ReasonConflict)
	if msg := findCondition(d, v1.ConditionReady).Message; !strings.Contains(msg, "adoptionPolicy: BySlug") {
		t.Errorf("conflict message %q does not say how to adopt", msg)
	}
	if _, marked := d.Annotations[v1.AnnotationCreateRequested]; d.Status.ID != "" || marked {
		t.Errorf("after a conflict: status.id %q, create marker kept %v", d.Status.ID, marked)
	}
	if row := remoteRow(t, existing.ID); row.URL != "https://old.example.com/" || !row.UpdatedAt.Equal(existing.UpdatedAt) {
		t.Errorf("the existing destination was changed: %+v", row)
	}

	updateSpec(t, key, func(s *v1.DestinationSpec) { s.AdoptionPolicy = v1.AdoptBySlug })
	d = waitForReady(t, key)
	if d.Status.ID != existing.ID {
		t.Errorf("status.id = %q, want the adopted %q", d.Status.ID, existing.ID)
	}
	if row := remoteRow(t, existing.ID); row.URL != "https://new.example.com/" {
		t.Errorf("adopted destination not converged: url %q", row.URL)
	}
	waitForEvent(t, key, "Adopted")
}

func TestObserveNeverWritesAndPublishesDrift(t *testing.T) {
	ns := newNamespace(t)
	createSecret(t, ns, "auth", map[string]string{"token": "observed-token-1234"})
	slug := "observed-" + ns
	existing := createRemote(t, slug, "https://remote.example.com/")
	before := emu.Stats()
	spec := httpSpec("https://git.example.com/")
	spec.Slug = slug
	spec.ManagementPolicy = v1.ManagementObserve
	spec.HTTP.Auth = &v1.HTTPAuth{Type: v1.HTTPAuthBearer, Bearer: &v1.BearerAuth{TokenSecretRef: v1.SecretKeySelector{Name: "auth", Key: "token"}}}
	key := createDestination(t, ns, "observer", spec)
	d := waitForCondition(t, key, v1.ConditionReady, metav1.ConditionFalse, v1.ReasonDriftDetected)
	if d.Status.ID != existing.ID {
		t.Errorf("status.id = %q, want %q", d.Status.ID, existing.ID)
	}
	drift := map[string]v1.FieldDrift{}
	for _, f := range d.Status.Drift {
		drift[f.Field] = f
	}
	if f := drift["url"]; f.Desired != "https://git.example.com/" || f.Observed != "https://remote.example.com/" {
		t.Errorf("url drift = %+v", f)
	}
	if f, ok := drift["auth_config.token"]; !ok || f.Desired != "(secret)" {
		t.Errorf("secret drift = %+v (present %v), want shown as (secret)", f, ok)
	}
	if strings.Contains(fmt.Sprint(d.Status), "observed-token") {
		t.Errorf("status reveals the secret")
	}

	deleteAndWaitGone(t, key)
	if n := emu.Stats().Writes() - before.Writes(); n != 0 {
		t.Errorf("%d writes to hookstream under managementPolicy Observe", n)
	}
	remoteRow(t, existing.ID) // still there
}

func TestPauseStopsAllCallsAndResumes(t *testing.T) {
	ns := newNamespace(t)
	key := createDestination(t, ns, "pausable", httpSpec("https://pause.example.com/a"))
	d := waitForReady(t, key)
	setAnnotation(t, key, v1.AnnotationPaused, "true")
	waitForCondition(t, key, v1.ConditionSynced, metav1.ConditionFalse, v1.ReasonPaused)

	before := emu.Stats().Total()
	updateSpec(t, key, func(s *v1.DestinationSpec) { s.HTTP.URL = "https://pause.example.com/b" })
	setAnnotation(t, key, v1.AnnotationReconcileRequestedAt, "now")
	time.Sleep(2 * time.Second)
	if n := emu.Stats().Total() - before; n != 0 {
		t.Errorf("%d hookstream calls while paused", n)
	}
	if row := remoteRow(t, d.Status.ID); row.URL != "https://pause.example.com/a" {
		t.Errorf("a paused spec change reached hookstream: %q", row.URL)
	}

	setAnnotation(t, key, v1.AnnotationPaused, "")
	waitForReady(t, key)
	if row := remoteRow(t, d.Status.ID); row.URL != "https://pause.example.com/b" {
		t.Errorf("the spec change was not applied after resuming: %q", row.URL)
	}
}

// crashedDestination creates a paused Destination, then puts it in the state a manager leaves when it dies between
// the POST and the status write: the create marker set at markedAt, a remote destination with its slug, no id.
func crashedDestination(t *testing.T, ns, name string, markedAt time.Time) (client.ObjectKey, *hookstream.Destination) {
	t.Helper()
	d := &v1.Destination{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: map[string]string{v1.AnnotationPaused: "true"}},
		Spec:       httpSpec("https://crash.example.com/"),
	}
	if err := k8s.Create(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	key := client.ObjectKeyFromObject(d)
	waitForCondition(t, key, v1.ConditionSynced, metav1.ConditionFalse, v1.ReasonPaused)
	lost := createRemote(t, defaultSlug(ns, name), "https://crash.example.com/")
	d = getDestination(t, key)
	d.Finalizers = []string{v1.Finalizer}
	d.Annotations[v1.AnnotationCreateRequested] = markedAt.UTC().Format(time.RFC3339)
	if err := k8s.Update(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	return key, lost
}

// TestCreateRecordedAfterCrashIsAdopted: the next reconcile finds the lost destination by slug and uses it.
func TestCreateRecordedAfterCrashIsAdopted(t *testing.T) {
	ns := newNamespace(t)
	key, lost := crashedDestination(t, ns, "crashed", time.Now())
	before := emu.Stats()
	setAnnotation(t, key, v1.AnnotationPaused, "")
	d := waitForReady(t, key)
	if d.Status.ID != lost.ID {
		t.Errorf("status.id %q, want the lost destination %q", d.Status.ID, lost.ID)
	}
	if n := emu.Stats().Count(routeCreate) - before.Count(routeCreate); n > 1 {
		t.Errorf("%d POSTs after the crash, want at most 1 (answered 409)", n)
	}
	waitForEvent(t, key, "Adopted")
}

// TestOlderDestinationWithTheSlugIsNotTakenForOurs: a destination that existed before the marked attempt is
// someone else's, even with the marker set.
func TestOlderDestinationWithTheSlugIsNotTakenForOurs(t *testing.T) {
	ns := newNamespace(t)
	key, foreign := crashedDestination(t, ns, "not-ours", time.Now().Add(time.Hour))
	setAnnotation(t, key, v1.AnnotationPaused, "")
	d := waitForCondition(t, key, v1.ConditionReady, metav1.ConditionFalse, v1.ReasonConflict)
	if d.Status.ID != "" {
		t.Errorf("status.id = %q: took over a destination that existed before the attempt", d.Status.ID)
	}
	if row := remoteRow(t, foreign.ID); !row.UpdatedAt.Equal(foreign.UpdatedAt) {
		t.Errorf("the foreign destination was changed")
	}
}

// TestDeleteAfterCrashBeforeRecordDeletesBySlug: deleting a Destination whose create was never recorded deletes
// the destination that create made.
func TestDeleteAfterCrashBeforeRecordDeletesBySlug(t *testing.T) {
	ns := newNamespace(t)
	key, lost := crashedDestination(t, ns, "crashed-delete", time.Now())
	if err := k8s.Delete(context.Background(), getDestination(t, key)); err != nil {
		t.Fatal(err)
	}
	setAnnotation(t, key, v1.AnnotationPaused, "")
	eventually(t, "remote deleted", func() error {
		if _, err := remote.GetDestination(context.Background(), lost.ID); !hookstream.IsNotFound(err) {
			return fmt.Errorf("remote still there (err %v)", err)
		}
		return nil
	})
}

// TestOneRemoteOneOwner: two namespaces with one API key adopt the same destination by id. The first manages it;
// the second is AlreadyManaged, writes nothing over three checks, and its deletion leaves the remote. Once the
// owner is gone (orphaning it), a waiting object takes over at its next check.
func TestOneRemoteOneOwner(t *testing.T) {
	existing := createRemote(t, "shared-"+newNamespace(t), "https://shared.example.com/")
	spec := httpSpec("https://shared.example.com/v2")
	spec.AdoptID = existing.ID
	owner := createDestination(t, newNamespace(t), "owner", spec)
	waitForReady(t, owner)

	before := emu.Stats()
	second := createDestination(t, newNamespace(t), "second", spec)
	d := waitForCondition(t, second, v1.ConditionReady, metav1.ConditionFalse, v1.ReasonAlreadyManaged)
	if msg := findCondition(d, v1.ConditionStalled).Message; !strings.Contains(msg, "a Destination of another namespace") ||
		strings.Contains(msg, owner.Namespace) {
		t.Errorf("AlreadyManaged message %q: want the owner as another namespace's, without naming it", msg)
	}
	for i := range 3 {
		// Each check reads the destination by its id, then stops before any write.
		reads := emu.Stats().Count(routeGet)
		setAnnotation(t, second, v1.AnnotationReconcileRequestedAt, fmt.Sprintf("check-%d", i))
		eventually(t, "the check's read", func() error {
			if emu.Stats().Count(routeGet) == reads {
				return fmt.Errorf("no read yet")
			}
			return nil
		})
	}
	deleteAndWaitGone(t, second)
	if n := emu.Stats().Writes() - before.Writes(); n != 0 {
		t.Errorf("%d writes to hookstream from the object that does not own the destination, its deletion included", n)
	}
	remoteRow(t, existing.ID) // still there

	waiting := createDestination(t, newNamespace(t), "waiting", spec)
	waitForCondition(t, waiting, v1.ConditionReady, metav1.ConditionFalse, v1.ReasonAlreadyManaged)
	updateSpec(t, owner, func(s *v1.DestinationSpec) { s.DeletionPolicy = v1.DeletionOrphan })
	waitForReady(t, owner)
	deleteAndWaitGone(t, owner)
	setAnnotation(t, waiting, v1.AnnotationReconcileRequestedAt, "owner-gone")
	if d := waitForReady(t, waiting); d.Status.ID != existing.ID {
		t.Errorf("the waiting object took over %q, want %s", d.Status.ID, existing.ID)
	}
}

// checkTimes asks for n checks of key, one after the other, each seen reading hookstream.
func checkTimes(t *testing.T, key client.ObjectKey, n int, name string) {
	t.Helper()
	for i := range n {
		reads := emu.Stats().Count(routeGet)
		setAnnotation(t, key, v1.AnnotationReconcileRequestedAt, fmt.Sprintf("%s-%d", name, i))
		eventually(t, "the check's read", func() error {
			if emu.Stats().Count(routeGet) == reads {
				return fmt.Errorf("no read yet")
			}
			return nil
		})
	}
}

// TestHeldDriftSurvivesChecksUntilTheHoldEnds: on-call holds the drift, changes the url in the dashboard; three
// checks keep it (status.drift shows it held), and once the time passes the operator reverts it.
func TestHeldDriftSurvivesChecksUntilTheHoldEnds(t *testing.T) {
	ns := newNamespace(t)
	key := createDestination(t, ns, "held", httpSpec("https://held.example.com/"))
	d := waitForReady(t, key)
	until := time.Now().Add(15 * time.Second).UTC().Truncate(time.Second)
	setAnnotation(t, key, v1.AnnotationHoldDriftUntil, until.Format(time.RFC3339))
	waitForEvent(t, key, "DriftHeld")
	if _, err := remote.UpdateDestination(context.Background(), d.Status.ID, &hookstream.UpdateRequest{
		URL: hookstream.Set("https://on-call.example.com/")}); err != nil {
		t.Fatal(err)
	}
	checkTimes(t, key, 3, "held")
	if got := remoteRow(t, d.Status.ID).URL; got != "https://on-call.example.com/" {
		t.Fatalf("the held url is %q after 3 checks, want on-call's kept", got)
	}
	eventually(t, "the held url in status.drift", func() error {
		drift := getDestination(t, key).Status.Drift
		if len(drift) != 1 || drift[0].Field != "url" || drift[0].HeldUntil == nil || !drift[0].HeldUntil.Time.Equal(until) {
			return fmt.Errorf("drift %+v", drift)
		}
		return nil
	})
	if time.Now().After(until) {
		t.Fatal("the checks outlasted the hold: make it longer")
	}
	eventually(t, "the url reverted once the hold ended", func() error {
		if got := remoteRow(t, d.Status.ID).URL; got != "https://held.example.com/" {
			return fmt.Errorf("url %q", got)
		}
		return nil
	})
	waitForEvent(t, key, "DriftHoldEnded")
	if d := getDestination(t, key); d.Status.DriftHeldUntil != nil {
		t.Errorf("status.driftHeldUntil %v after the hold", d.Status.DriftHeldUntil)
	}
}

// TestIgnoredFieldIsNeverCorrected: with spec.ignoreChanges [status], on-call pauses the destination in the
// dashboard, and it stays paused, listed as ignored in status.drift.
func TestIgnoredFieldIsNeverCorrected(t *testing.T) {
	ns := newNamespace(t)
	spec := httpSpec("https://ignored.example.com/")
	spec.State = v1.StateActive
	spec.IgnoreChanges = []string{"status"}
	key := createDestination(t, ns, "ignoring", spec)
	d := waitForReady(t, key)
	before := emu.Stats()
	if _, err := remote.UpdateDestination(context.Background(), d.Status.ID, &hookstream.UpdateRequest{
		Status: hookstream.Set("paused")}); err != nil {
		t.Fatal(err)
	}
	checkTimes(t, key, 2, "ignored")
	eventually(t, "status listed as ignored", func() error {
		drift := getDestination(t, key).Status.Drift
		if len(drift) != 1 || drift[0].Field != "status" || !drift[0].Ignored {
			return fmt.Errorf("drift %+v", drift)
		}
		return nil
	})
	if got := remoteRow(t, d.Status.ID).Status; got != "paused" {
		t.Errorf("remote status %q, want on-call's paused kept", got)
	}
	if n := emu.Stats().Count(routePatch) - before.Count(routePatch) - 1; n != 0 {
		t.Errorf("%d PATCHes from the operator for an ignored field", n)
	}
}
