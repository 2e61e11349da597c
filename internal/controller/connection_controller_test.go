// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/test/harness"
)

func newReceiver(t *testing.T) *harness.Receiver {
	t.Helper()
	r, err := harness.StartReceiver()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

func createConnection(t *testing.T, namespace, name string, spec v1.ConnectionSpec) client.ObjectKey {
	t.Helper()
	c := &v1.Connection{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}, Spec: spec}
	if err := k8s.Create(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return client.ObjectKeyFromObject(c)
}

// gatewayRoute creates a GitHub Source, an http Destination pointing at the receiver and a Connection between them
// with a filter and a transform, and waits for all three to be Ready.
func gatewayRoute(t *testing.T, ns string, rcv *harness.Receiver) (src *v1.Source, dst *v1.Destination, conn *v1.Connection) {
	t.Helper()
	createSecret(t, ns, "github-signing", map[string]string{"secret": "github-signing-secret-0001"})
	srcKey := createSource(t, ns, "github", v1.SourceSpec{Template: "github",
		Verification: &v1.SourceVerification{SecretRef: v1.SecretKeySelector{Name: "github-signing", Key: "secret"}}})
	// The Connection comes first: it waits for the other two.
	connKey := createConnection(t, ns, "opened-prs", v1.ConnectionSpec{
		SourceRef: &v1.EndReference{Name: "github"}, DestinationRef: &v1.EndReference{Name: "bot"},
		Filters:   []v1.FilterRule{{Field: "payload.action", Op: "eq", Value: jsonValue(`"opened"`)}},
		Transform: new(`{"event": "pr-opened", "number": pull_request.number}`),
	})
	waitForConditionOf(t, connKey, &v1.Connection{}, v1.ConditionReady, metav1.ConditionFalse, v1.ReasonWaitingForDestination)
	dstKey := createDestination(t, ns, "bot", v1.DestinationSpec{HTTP: &v1.HTTPDestination{URL: rcv.URL + "/hooks"}})
	return waitForReadyOf(t, srcKey, &v1.Source{}), waitForReadyOf(t, dstKey, &v1.Destination{}),
		waitForReadyOf(t, connKey, &v1.Connection{})
}

// TestConnectionRoutesAWebhook is a whole route on a real API server and the emulator: a matching webhook reaches
// the receiver transformed, a non-matching one does not, a filter changed in hookstream is reverted, and deleting
// all three objects at once leaves nothing in hookstream and nothing stuck.
func TestConnectionRoutesAWebhook(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	rcv := newReceiver(t)
	src, dst, conn := gatewayRoute(t, ns, rcv)
	if conn.Status.SourceID != src.Status.ID || conn.Status.DestinationID != dst.Status.ID {
		t.Fatalf("connection between %s and %s, want %s and %s", conn.Status.SourceID, conn.Status.DestinationID,
			src.Status.ID, dst.Status.ID)
	}

	for _, body := range []string{`{"action":"closed","pull_request":{"number":7}}`, `{"action":"opened","pull_request":{"number":42}}`} {
		if code, answer, err := harness.PostGitHubWebhook(ctx, src.Status.IngestURL, []byte("github-signing-secret-0001"), body); err != nil || code != http.StatusOK {
			t.Fatalf("webhook %s: %d %s (%v)", body, code, answer, err)
		}
	}
	eventually(t, "the matching webhook delivered, transformed", func() error {
		got := rcv.Bodies()
		if len(got) != 1 {
			return fmt.Errorf("receiver got %d bodies: %q", len(got), got)
		}
		var delivered map[string]any
		if err := json.Unmarshal([]byte(got[0]), &delivered); err != nil || delivered["event"] != "pr-opened" || delivered["number"] != float64(42) {
			return fmt.Errorf("receiver got %s", got[0])
		}
		return nil
	})

	// A filter changed in hookstream is reverted.
	if _, err := remote.UpdateConnection(ctx, conn.Status.ID, &hookstream.ConnectionUpdateRequest{FilterRules: hookstream.Null[[]hookstream.FilterRule]()}); err != nil {
		t.Fatal(err)
	}
	connKey := client.ObjectKeyFromObject(conn)
	requestReconcileOf(t, connKey, &v1.Connection{})
	if rules := remoteConnection(t, conn.Status.ID).FilterRules; len(rules) != 1 || rules[0].Field != "payload.action" {
		t.Errorf("filter_rules after a check = %+v, want the spec's", rules)
	}
	if note := waitForEvent(t, connKey, "DriftCorrected"); !strings.Contains(note, "filter_rules") {
		t.Errorf("DriftCorrected note %q does not name filter_rules", note)
	}

	// Everything at once, as `kubectl delete -k` does: the Connection goes first in hookstream, the others follow.
	for _, obj := range []client.Object{src, dst, conn} {
		if err := k8s.Delete(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	for _, obj := range []client.Object{src, dst, conn} {
		waitForGone(t, client.ObjectKeyFromObject(obj), obj)
	}
	if _, err := remote.GetConnection(ctx, conn.Status.ID); !hookstream.IsNotFound(err) {
		t.Errorf("remote connection after delete: %v", err)
	}
	if _, err := remote.GetSource(ctx, src.Status.ID); !hookstream.IsNotFound(err) {
		t.Errorf("remote source after delete: %v", err)
	}
	if _, err := remote.GetDestination(ctx, dst.Status.ID); !hookstream.IsNotFound(err) {
		t.Errorf("remote destination after delete: %v", err)
	}
}

// TestDestinationDeletionWaitsForItsConnection deletes only the Destination a Connection routes to: it waits,
// naming the Connection, and goes as soon as the Connection does.
func TestDestinationDeletionWaitsForItsConnection(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	_, dst, conn := gatewayRoute(t, ns, newReceiver(t))
	dstKey := client.ObjectKeyFromObject(dst)
	if err := k8s.Delete(ctx, dst); err != nil {
		t.Fatal(err)
	}
	if note := waitForEvent(t, dstKey, v1.ReasonInUse); !strings.Contains(note, "Connection opened-prs") {
		t.Errorf("InUse event %q does not name the Connection", note)
	}
	if _, err := remote.GetDestination(ctx, dst.Status.ID); err != nil {
		t.Errorf("the destination went from hookstream while a connection used it: %v", err)
	}
	// The remote connection still exists and matches: Ready stays, Synced says what the Connection waits for.
	waitForConditionOf(t, client.ObjectKeyFromObject(conn), &v1.Connection{}, v1.ConditionSynced, metav1.ConditionFalse,
		v1.ReasonWaitingForDestination)

	if err := k8s.Delete(ctx, conn); err != nil {
		t.Fatal(err)
	}
	waitForGone(t, dstKey, &v1.Destination{})
	if _, err := remote.GetDestination(ctx, dst.Status.ID); !hookstream.IsNotFound(err) {
		t.Errorf("remote destination after delete: %v", err)
	}
}

// TestConnectionReplacedWhenItsDestinationChanges re-points a Connection: hookstream cannot, so the operator
// deletes the remote connection and creates one to the new destination.
func TestConnectionReplacedWhenItsDestinationChanges(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	rcv := newReceiver(t)
	_, _, conn := gatewayRoute(t, ns, rcv)
	otherKey := createDestination(t, ns, "archive", v1.DestinationSpec{HTTP: &v1.HTTPDestination{URL: rcv.URL + "/archive"}})
	other := waitForReadyOf(t, otherKey, &v1.Destination{})

	connKey := client.ObjectKeyFromObject(conn)
	c := &v1.Connection{}
	if err := k8s.Get(ctx, connKey, c); err != nil {
		t.Fatal(err)
	}
	c.Spec.DestinationRef = &v1.EndReference{Name: "archive"}
	if err := k8s.Update(ctx, c); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the connection replaced", func() error {
		c = waitForReadyOf(t, connKey, &v1.Connection{})
		if c.Status.DestinationID != other.Status.ID || c.Status.ID == conn.Status.ID {
			return fmt.Errorf("connection %s to %s", c.Status.ID, c.Status.DestinationID)
		}
		return nil
	})
	waitForEvent(t, connKey, v1.ReasonReplacing)
	if _, err := remote.GetConnection(ctx, conn.Status.ID); !hookstream.IsNotFound(err) {
		t.Errorf("the replaced connection is still in hookstream: %v", err)
	}
}

func remoteConnection(t *testing.T, id string) *hookstream.Connection {
	t.Helper()
	row, err := remote.GetConnection(context.Background(), id)
	if err != nil {
		t.Fatalf("reading remote connection %s: %v", id, err)
	}
	return row
}
