// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package integration

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/test/testenv"
)

// TestAggregatedRolesGrantNamespaceUsers checks the ClusterRoles that config/rbac (and the chart) aggregate into the
// default edit and view roles: a user holding the edit one in a namespace creates, updates and deletes a Destination,
// a Source and a Connection there, and one holding the view one reads them and changes nothing. This control plane
// has no kube-controller-manager, so nothing aggregates here: the users are bound to the roles themselves, which is
// what aggregation gives the members of edit and view. The aggregation labels are checked by test/gitops.
func TestAggregatedRolesGrantNamespaceUsers(t *testing.T) {
	ctx := context.Background()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	const ns = "aggregated-roles"
	if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	userClient := func(user, roleFile string) client.Client {
		t.Helper()
		role := &rbacv1.ClusterRole{}
		data, err := os.ReadFile(filepath.Join(root, "config", "rbac", roleFile))
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.UnmarshalStrict(data, role); err != nil {
			t.Fatal(err)
		}
		role.Name = "test-" + role.Name
		if err := k8s.Create(ctx, role); err != nil {
			t.Fatal(err)
		}
		binding := &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: user, Namespace: ns},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
			Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}},
		}
		if err := k8s.Create(ctx, binding); err != nil {
			t.Fatal(err)
		}
		u, err := env.AddUser(envtest.User{Name: user}, nil)
		if err != nil {
			t.Fatal(err)
		}
		c, err := client.New(u.Config(), client.Options{Scheme: env.Scheme})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	editor := userClient("editor", "aggregate_to_edit_role.yaml")
	viewer := userClient("viewer", "aggregate_to_view_role.yaml")

	objs := []client.Object{
		&v1.Destination{ObjectMeta: metav1.ObjectMeta{Name: "d", Namespace: ns},
			Spec: v1.DestinationSpec{HTTP: &v1.HTTPDestination{URL: "https://receiver.example.com/hooks"}}},
		&v1.Source{ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: ns}},
		&v1.Connection{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: ns},
			Spec: v1.ConnectionSpec{SourceRef: &v1.EndReference{Name: "s"}, DestinationRef: &v1.EndReference{Name: "d"}}},
	}
	for _, o := range objs {
		if err := viewer.Create(ctx, o.DeepCopyObject().(client.Object)); !apierrors.IsForbidden(err) {
			t.Errorf("viewer created %T %s: %v, want Forbidden", o, o.GetName(), err)
		}
		if err := editor.Create(ctx, o); err != nil {
			t.Errorf("editor cannot create %T %s: %v", o, o.GetName(), err)
			continue
		}
		if err := viewer.Get(ctx, client.ObjectKeyFromObject(o), o.DeepCopyObject().(client.Object)); err != nil {
			t.Errorf("viewer cannot get %T %s: %v", o, o.GetName(), err)
		}
		o.SetLabels(map[string]string{"team": "payments"})
		if err := editor.Update(ctx, o); err != nil {
			t.Errorf("editor cannot update %T %s: %v", o, o.GetName(), err)
		}
	}
	for _, list := range []client.ObjectList{&v1.DestinationList{}, &v1.SourceList{}, &v1.ConnectionList{}} {
		if err := viewer.List(ctx, list, client.InNamespace(ns)); err != nil {
			t.Errorf("viewer cannot list %T: %v", list, err)
		}
		if err := viewer.List(ctx, list, client.InNamespace("default")); !apierrors.IsForbidden(err) {
			t.Errorf("viewer listed %T in another namespace: %v, want Forbidden", list, err)
		}
	}
	for _, o := range objs {
		if err := viewer.Delete(ctx, o); !apierrors.IsForbidden(err) {
			t.Errorf("viewer deleted %T %s: %v, want Forbidden", o, o.GetName(), err)
		}
		if err := editor.Delete(ctx, o); err != nil {
			t.Errorf("editor cannot delete %T %s: %v", o, o.GetName(), err)
		}
	}
}
