// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package integration

import (
	"context"
	"io"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
)

// kubectlAdmin is a cluster admin of the control plane; its Kubectl runs the real kubectl (from the control-plane
// binaries) with a kubeconfig of its own.
var kubectlAdmin = sync.OnceValues(func() (*envtest.AuthenticatedUser, error) {
	return env.AddUser(envtest.User{Name: "kubectl-admin", Groups: []string{"system:masters"}}, nil)
})

// kubectl runs kubectl as the cluster admin and returns its output.
func kubectl(t *testing.T, args ...string) string {
	t.Helper()
	admin, err := kubectlAdmin()
	if err != nil {
		t.Fatalf("adding the kubectl user: %v", err)
	}
	k, err := admin.Kubectl()
	if err != nil {
		t.Fatalf("setting up kubectl: %v", err)
	}
	stdout, stderr, err := k.Run(args...)
	out, _ := io.ReadAll(stdout)
	if err != nil {
		errOut, _ := io.ReadAll(stderr)
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	return string(out)
}

// readyStatus is the status the operator writes once the remote resource matches the spec.
func readyStatus(s v1.ManagedStatus) v1.ManagedStatus {
	for condType, reason := range map[string]string{
		v1.ConditionReady: v1.ReasonAvailable, v1.ConditionSynced: v1.ReasonReconcileSuccess,
	} {
		meta.SetStatusCondition(&s.Conditions, metav1.Condition{
			Type: condType, Status: metav1.ConditionTrue, Reason: reason, Message: "Matches.", ObservedGeneration: 1,
		})
	}
	s.ObservedGeneration = 1
	return s
}

// TestKubectlGet checks what users see with kubectl get: the columns of Sources and Connections, the Source's ingest
// URL with -o wide only, the short names hss, hsc and hsrg, and every kind of config/crd/bases under the hookstream
// category.
func TestKubectlGet(t *testing.T) {
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kubectl-get"}}
	if err := k8s.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	const ingestURL = "https://hookstream.io/v1/ingest/src_0123456789"

	dst := httpDestination("orders")
	dst.Namespace = ns.Name
	src := githubSource("github")
	src.Namespace = ns.Name
	src.Spec.IngestURLConfigMap = "github-ingest"
	conn := githubToOrders("github-to-orders")
	conn.Namespace = ns.Name
	grant := sourcesGrant("orders-may-route")
	grant.Namespace = ns.Name
	for _, obj := range []client.Object{dst, src, conn, grant} {
		if err := k8s.Create(ctx, obj); err != nil {
			t.Fatalf("create: %v", err)
		}
	}
	dst.Status.ManagedStatus = readyStatus(dst.Status.ManagedStatus)
	dst.Status.ID = "dst_0123456789"
	dst.Status.State = "active"
	src.Status.ManagedStatus = readyStatus(src.Status.ManagedStatus)
	src.Status.ID = "src_0123456789"
	src.Status.State = "active"
	src.Status.Slug = "kubectl-get-github"
	src.Status.IngestURL = ingestURL
	src.Status.EventCount = 42
	conn.Status.ManagedStatus = readyStatus(conn.Status.ManagedStatus)
	conn.Status.ID = "con_0123456789"
	conn.Status.Name = "kubectl-get-github-to-orders-0123abcd"
	conn.Status.SourceID = src.Status.ID
	conn.Status.DestinationID = dst.Status.ID
	conn.Status.State = "paused"
	conn.Status.EventCount = 7
	for _, obj := range []client.Object{dst, src, conn} {
		if err := k8s.Status().Update(ctx, obj); err != nil {
			t.Fatalf("status: %v", err)
		}
	}

	// header returns the column names of a kubectl table, joined by single spaces.
	header := func(table string) string {
		first, _, _ := strings.Cut(table, "\n")
		return strings.Join(strings.Fields(first), " ")
	}

	plain := kubectl(t, "get", "hss", "-n", ns.Name)
	if got, want := header(plain), "NAME ID STATE READY SYNCED LAST EVENT AGE"; got != want {
		t.Errorf("kubectl get hss columns:\n%s\nwant %s", got, want)
	}
	if strings.Contains(plain, ingestURL) {
		t.Errorf("kubectl get hss shows the ingest URL without -o wide:\n%s", plain)
	}
	wide := kubectl(t, "get", "sources", "-n", ns.Name, "-o", "wide")
	if got, want := header(wide), "NAME ID STATE READY SYNCED INGEST URL LAST EVENT AGE SLUG EVENTS REASON"; got != want {
		t.Errorf("kubectl get sources -o wide columns:\n%s\nwant %s", got, want)
	}
	for _, want := range []string{"src_0123456789", ingestURL, "kubectl-get-github", "42", v1.ReasonAvailable} {
		if !strings.Contains(wide, want) {
			t.Errorf("kubectl get sources -o wide lacks %q:\n%s", want, wide)
		}
	}

	plain = kubectl(t, "get", "hsc", "-n", ns.Name)
	if got, want := header(plain), "NAME ID SOURCE DESTINATION STATE READY AGE"; got != want {
		t.Errorf("kubectl get hsc columns:\n%s\nwant %s", got, want)
	}
	for _, want := range []string{"con_0123456789", "src_0123456789", "dst_0123456789", "paused"} {
		if !strings.Contains(plain, want) {
			t.Errorf("kubectl get hsc lacks %q:\n%s", want, plain)
		}
	}
	wide = kubectl(t, "get", "connections", "-n", ns.Name, "-o", "wide")
	if got, want := header(wide), "NAME ID SOURCE DESTINATION STATE READY AGE SYNCED EVENTS LAST EVENT REASON"; got != want {
		t.Errorf("kubectl get connections -o wide columns:\n%s\nwant %s", got, want)
	}
	for _, want := range []string{" 7 ", v1.ReasonAvailable} {
		if !strings.Contains(wide, want) {
			t.Errorf("kubectl get connections -o wide lacks %q:\n%s", want, wide)
		}
	}

	if plain = kubectl(t, "get", "hsrg", "-n", ns.Name); !strings.Contains(plain, "orders-may-route") {
		t.Errorf("kubectl get hsrg lacks the grant:\n%s", plain)
	}

	// One object of every kind was created above: the category must list each of them.
	all := kubectl(t, "get", "hookstream", "-n", ns.Name, "-o", "name")
	for _, crd := range projectCRDs(t) {
		if prefix := crd.Spec.Names.Singular + "." + crd.Spec.Group + "/"; !strings.Contains(all, prefix) {
			t.Errorf("kubectl get hookstream lists no %s (is it in the hookstream category, and created above?):\n%s",
				crd.Spec.Names.Kind, all)
		}
	}
	for _, want := range []string{
		"destination.hookstream.io/orders", "source.hookstream.io/github", "connection.hookstream.io/github-to-orders",
	} {
		if !strings.Contains(all, want+"\n") {
			t.Errorf("kubectl get hookstream lacks %s:\n%s", want, all)
		}
	}
	explain := strings.Join(strings.Fields(kubectl(t, "explain", "source.spec.ingestURLConfigMap")), " ")
	if want := "keys `ingestURL` and `sourceID`"; !strings.Contains(explain, want) {
		t.Errorf("kubectl explain source.spec.ingestURLConfigMap lacks %q:\n%s", want, explain)
	}
	explain = strings.Join(strings.Fields(kubectl(t, "explain", "connection.spec.filters.field")), " ")
	if want := "`payload.<dot.path>`"; !strings.Contains(explain, want) {
		t.Errorf("kubectl explain connection.spec.filters.field lacks %q:\n%s", want, explain)
	}
}
