// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package gitops

import (
	"context"
	"os"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
)

// kustomize returns the kustomize the Makefile installs (`make kustomize`, pinned there).
func kustomize(t *testing.T) string {
	t.Helper()
	bin := repoPath("bin", "kustomize")
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("bin/kustomize not found: run `make kustomize` (make test builds it) to check the kustomize renderings")
	}
	return bin
}

// TestKustomizeDefault renders config/default, which `make build-installer` ships as dist/install.yaml, and
// checks it against the API server.
func TestKustomizeDefault(t *testing.T) {
	objs, err := decodeObjects(runTool(t, kustomize(t), "build", "config/default"))
	if err != nil {
		t.Fatalf("decoding the rendering: %v", err)
	}
	const namespace = "hookstream-operator-system"

	d := onlyDeployment(t, objs)
	checkHardened(t, d)
	checkArgs(t, managerContainer(t, d).Args, []string{
		argLeaderElect,
		"--metrics-bind-address=:8443",
		"--hookstream-url=https://hookstream.io/v1",
		"--drift-interval=10m",
		"--default-credentials-secret=hookstream-credentials",
	}, []string{"--metrics-secure=false"})
	if d.Namespace != namespace {
		t.Errorf("Deployment in namespace %q, want %q", d.Namespace, namespace)
	}

	// The metrics Service must reach the pods, and the manager must be allowed to authenticate scrapers.
	var metricsService *corev1.Service
	for _, o := range objectsOfKind(objs, kindService) {
		s := &corev1.Service{}
		fromUnstructured(t, o, s)
		if len(s.Spec.Ports) == 1 && s.Spec.Ports[0].Port == 8443 {
			metricsService = s
		}
	}
	if metricsService == nil {
		t.Fatal("no metrics Service on port 8443")
	}
	if !labels.SelectorFromSet(metricsService.Spec.Selector).Matches(labels.Set(d.Spec.Template.Labels)) {
		t.Errorf("metrics Service selector %v does not select the manager pods %v",
			metricsService.Spec.Selector, d.Spec.Template.Labels)
	}
	if diff := cmp.Diff(metricsAuthRules, clusterRoleRules(t, objs, "hookstream-operator-metrics-auth-role")); diff != "" {
		t.Errorf("metrics auth rules differ (-want +got):\n%s", diff)
	}
	managerRules := clusterRoleRules(t, objs, "hookstream-operator-manager-role")
	if diff := cmp.Diff(generatedManagerRules(t), managerRules); diff != "" {
		t.Errorf("manager rules differ from config/rbac/role.yaml (-want +got):\n%s", diff)
	}
	roles := objectsOfKind(objs, kindRole)
	if len(roles) != 1 {
		t.Fatalf("%d Roles rendered, want the leader election Role", len(roles))
	}
	role := &rbacv1.Role{}
	fromUnstructured(t, roles[0], role)
	if diff := cmp.Diff(leaderElectionRules, role.Rules); diff != "" {
		t.Errorf("leader election rules differ (-want +got):\n%s", diff)
	}
	for _, o := range objectsOfKind(objs, kindClusterRoleBinding) {
		b := &rbacv1.ClusterRoleBinding{}
		fromUnstructured(t, o, b)
		want := []rbacv1.Subject{
			{Kind: kindServiceAccount, Name: d.Spec.Template.Spec.ServiceAccountName, Namespace: namespace},
		}
		if diff := cmp.Diff(want, b.Subjects); diff != "" {
			t.Errorf("ClusterRoleBinding %s binds someone else than the manager (-want +got):\n%s", b.Name, diff)
		}
	}

	checkCRDsAndUserRoles(t, objs)

	// The namespace exists for real so that the namespaced objects can be checked; the CRDs are already installed.
	for _, o := range objectsOfKind(objs, "Namespace") {
		if err := k8s.Create(context.Background(), o.DeepCopy()); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("creating %s: %v", describe(o), err)
		}
	}
	var rest []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() != "Namespace" && o.GetKind() != "CustomResourceDefinition" {
			rest = append(rest, o)
		}
	}
	dryRunAll(t, rest)
}

// checkCRDsAndUserRoles checks that the rendering installs every CRD of config/crd/bases, unchanged, and for each
// kind the admin, editor and viewer ClusterRoles that cluster admins bind to users (config/rbac/<kind>_*_role.yaml).
func checkCRDsAndUserRoles(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	crds := projectCRDs(t)
	var rendered []string
	for _, o := range objectsOfKind(objs, "CustomResourceDefinition") {
		rendered = append(rendered, o.GetName())
	}
	want := make([]string, 0, len(crds))
	for _, crd := range crds {
		want = append(want, crd.name)
	}
	slices.Sort(want)
	slices.Sort(rendered)
	if diff := cmp.Diff(want, rendered); diff != "" {
		t.Errorf("rendered CRDs differ from config/crd/bases (list them in config/crd/kustomization.yaml) (-want +got):\n%s",
			diff)
	}

	userVerbs := map[string][]string{
		"admin":  {"*"},
		"editor": {verbCreate, "delete", "get", "list", "patch", "update", "watch"},
		"viewer": {"get", "list", "watch"},
	}
	for _, crd := range crds {
		for role, verbs := range userVerbs {
			name := "hookstream-operator-" + crd.singular + "-" + role + "-role"
			want := []rbacv1.PolicyRule{
				{APIGroups: []string{v1.GroupVersion.Group}, Resources: []string{crd.plural}, Verbs: verbs},
			}
			if crd.managed {
				// A managed kind has a status, which the operator writes.
				want = append(want, rbacv1.PolicyRule{APIGroups: []string{v1.GroupVersion.Group},
					Resources: []string{crd.plural + "/status"}, Verbs: []string{"get"}})
			}
			if !slices.ContainsFunc(objectsOfKind(objs, kindClusterRole), func(o *unstructured.Unstructured) bool {
				return o.GetName() == name
			}) {
				t.Errorf("no ClusterRole %s rendered: add config/rbac/%s_%s_role.yaml to config/rbac/kustomization.yaml",
					name, crd.singular, role)
				continue
			}
			if diff := cmp.Diff(want, clusterRoleRules(t, objs, name)); diff != "" {
				t.Errorf("ClusterRole %s rules differ (-want +got):\n%s", name, diff)
			}
		}
	}
}

// TestKustomizeSamples renders config/samples the way `kubectl apply -k config/samples` would.
func TestKustomizeSamples(t *testing.T) {
	objs, err := decodeObjects(runTool(t, kustomize(t), "build", "config/samples"))
	if err != nil {
		t.Fatalf("decoding the rendering: %v", err)
	}
	for kind, want := range map[string]int{"Destination": 3, "Source": 2, "Connection": 1} {
		if n := len(objectsOfKind(objs, kind)); n != want {
			t.Errorf("%d %ss rendered, want the %d samples", n, kind, want)
		}
	}
	ns := newNamespace(t, "kustomize-samples")
	for _, o := range objs {
		o.SetNamespace(ns)
	}
	dryRunAll(t, objs)
}

// TestKustomizeGrafana renders config/grafana: one ConfigMap, labelled for Grafana's dashboard sidecar, holding the
// dashboard JSON as it is.
func TestKustomizeGrafana(t *testing.T) {
	objs, err := decodeObjects(runTool(t, kustomize(t), "build", "config/grafana"))
	if err != nil {
		t.Fatalf("decoding the rendering: %v", err)
	}
	if len(objs) != 1 || objs[0].GetKind() != "ConfigMap" {
		t.Fatalf("config/grafana renders %d objects, want one ConfigMap", len(objs))
	}
	cm := &corev1.ConfigMap{}
	fromUnstructured(t, objs[0], cm)
	if cm.Labels["grafana_dashboard"] != "1" {
		t.Errorf("dashboard ConfigMap labels %v, want grafana_dashboard=1", cm.Labels)
	}
	want, err := os.ReadFile(repoPath("config", "grafana", "hookstream-operator-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	if cm.Data["hookstream-operator.json"] != string(want) {
		t.Error("the dashboard ConfigMap does not hold config/grafana/hookstream-operator-dashboard.json as it is")
	}
}
