// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/test/harness"
)

// grantSources lets the Connections of namespace from route from the Source named source of namespace ns.
func grantSources(t *testing.T, ns, from, source string) *v1.HookstreamReferenceGrant {
	t.Helper()
	g := &v1.HookstreamReferenceGrant{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "orders-may-route"},
		Spec: v1.HookstreamReferenceGrantSpec{
			From: []v1.ReferenceGrantFrom{{Group: v1.GroupVersion.Group, Kind: kindConnection, Namespace: from}},
			To:   []v1.ReferenceGrantTo{{Group: v1.GroupVersion.Group, Kind: kindSource, Name: source}},
		}}
	if err := k8s.Create(context.Background(), g); err != nil {
		t.Fatal(err)
	}
	return g
}

// TestConnectionAcrossNamespacesByGrant routes, from a Connection of one namespace (orders), the webhooks of a
// Source of another (platform), which only a HookstreamReferenceGrant of platform allows: without one nothing is
// created; with one the route works; revoking it pauses the remote connection (never deleted), and a new grant
// resumes it. A deletion of the Source that hookstream refuses names the Connection by its namespace only.
func TestConnectionAcrossNamespacesByGrant(t *testing.T) {
	ctx := context.Background()
	platform, orders := newNamespace(t), newNamespace(t)
	rcv := newReceiver(t)
	createSecret(t, platform, "github-signing", map[string]string{"secret": "github-signing-secret-0002"})
	srcKey := createSource(t, platform, "github", v1.SourceSpec{Template: "github",
		Verification: &v1.SourceVerification{SecretRef: v1.SecretKeySelector{Name: "github-signing", Key: "secret"}}})
	dstKey := createDestination(t, orders, "bot", v1.DestinationSpec{HTTP: &v1.HTTPDestination{URL: rcv.URL + "/hooks"}})
	src, dst := waitForReadyOf(t, srcKey, &v1.Source{}), waitForReadyOf(t, dstKey, &v1.Destination{})
	remoteBetween := func() []*hookstream.Connection {
		t.Helper()
		var rows []*hookstream.Connection
		for row, err := range remote.AllConnections(ctx, hookstream.ConnectionListOptions{SourceID: src.Status.ID}) {
			if err != nil {
				t.Fatal(err)
			}
			rows = append(rows, row)
		}
		return rows
	}

	// No grant: nothing is created, and the condition says what would allow it.
	connKey := createConnection(t, orders, "from-platform", v1.ConnectionSpec{
		SourceRef:      &v1.EndReference{Namespace: platform, Name: "github"},
		DestinationRef: &v1.EndReference{Name: "bot"},
	})
	c := waitForConditionOf(t, connKey, &v1.Connection{}, v1.ConditionReady, metav1.ConditionFalse, v1.ReasonRefNotPermitted)
	ready := meta.FindStatusCondition(c.Status.Conditions, v1.ConditionReady)
	if !strings.Contains(ready.Message, "HookstreamReferenceGrant") || !strings.Contains(ready.Message, platform) {
		t.Errorf("Ready message %q does not say which grant is missing", ready.Message)
	}
	waitForEvent(t, connKey, v1.ReasonRefNotPermitted)
	if rows := remoteBetween(); len(rows) != 0 {
		t.Fatalf("%d remote connections from the Source without a grant", len(rows))
	}

	// A grant: the Connection is created at once (the grant's watch starts it), and the route delivers.
	grant := grantSources(t, platform, orders, "github")
	c = waitForReadyOf(t, connKey, &v1.Connection{})
	if c.Status.SourceID != src.Status.ID || c.Status.DestinationID != dst.Status.ID || c.Status.State != "active" {
		t.Fatalf("connection %s -> %s (%s), want %s -> %s, active", c.Status.SourceID, c.Status.DestinationID,
			c.Status.State, src.Status.ID, dst.Status.ID)
	}
	src = waitForReadyOf(t, srcKey, &v1.Source{})
	if code, answer, err := harness.PostGitHubWebhook(ctx, src.Status.IngestURL, []byte("github-signing-secret-0002"),
		`{"action":"opened"}`); err != nil || code != http.StatusOK {
		t.Fatalf("webhook: %d %s (%v)", code, answer, err)
	}
	eventually(t, "the webhook delivered across namespaces", func() error {
		if got := rcv.Bodies(); len(got) != 1 {
			return fmt.Errorf("receiver got %d bodies", len(got))
		}
		return nil
	})

	// Revoked: the remote connection is paused, not deleted, at once even when the Connection is never checked by
	// time (the revocation is no periodic check).
	c.Annotations = map[string]string{v1.AnnotationDriftInterval: "0"}
	if err := k8s.Update(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := k8s.Delete(ctx, grant); err != nil {
		t.Fatal(err)
	}
	c = waitForConditionOf(t, connKey, &v1.Connection{}, v1.ConditionReady, metav1.ConditionFalse, v1.ReasonRefNotPermitted)
	if row := remoteConnection(t, c.Status.ID); row.Status != "paused" {
		t.Errorf("remote connection after the grant was revoked: status %q, want paused", row.Status)
	}
	if !c.Status.PausedWithoutGrant || c.Status.State != "paused" {
		t.Errorf("status.pausedWithoutGrant = %v, state %q; want true, paused", c.Status.PausedWithoutGrant, c.Status.State)
	}

	// Granted again: resumed.
	grantSources(t, platform, orders, "github")
	eventually(t, "the connection resumed", func() error {
		c = waitForReadyOf(t, connKey, &v1.Connection{})
		if row := remoteConnection(t, c.Status.ID); row.Status != "active" || c.Status.PausedWithoutGrant {
			return fmt.Errorf("remote status %q, status.pausedWithoutGrant %v", row.Status, c.Status.PausedWithoutGrant)
		}
		return nil
	})

	// The Source's deletion waits for the Connection, which its message names by namespace only.
	if err := k8s.Delete(ctx, src); err != nil {
		t.Fatal(err)
	}
	note := waitForEvent(t, srcKey, v1.ReasonInUse)
	if !strings.Contains(note, fmt.Sprintf("Connections of namespace %q", orders)) || strings.Contains(note, "from-platform") {
		t.Errorf("InUse note %q: want the other namespace named, not its Connection", note)
	}
	if err := k8s.Delete(ctx, c); err != nil {
		t.Fatal(err)
	}
	waitForGone(t, srcKey, &v1.Source{})
	if _, err := remote.GetConnection(ctx, c.Status.ID); !hookstream.IsNotFound(err) {
		t.Errorf("remote connection after delete: %v", err)
	}
}
