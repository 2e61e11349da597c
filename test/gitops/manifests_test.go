// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package gitops

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Both installation paths (kustomize and Helm) must produce a manager that passes these checks.

const (
	kindDeployment         = "Deployment"
	kindClusterRole        = "ClusterRole"
	kindServiceAccount     = "ServiceAccount"
	kindService            = "Service"
	kindRole               = "Role"
	kindRoleBinding        = "RoleBinding"
	kindClusterRoleBinding = "ClusterRoleBinding"
	argLeaderElect         = "--leader-elect"
	verbCreate             = "create"
)

// runTool runs a command from the repository root and returns its standard output; a failure reports stderr.
func runTool(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	out, stderr, err := tryTool(nil, name, args...)
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, stderr)
	}
	return out
}

// tryTool is runTool for commands expected to fail.
func tryTool(env []string, name string, args ...string) (stdout, stderr []byte, err error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.Bytes(), errOut.Bytes(), err
}

func fromUnstructured(t *testing.T, u *unstructured.Unstructured, into any) {
	t.Helper()
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, into, true); err != nil {
		t.Fatalf("%s: %v", describe(u), err)
	}
}

// onlyDeployment returns the single Deployment of a rendering.
func onlyDeployment(t *testing.T, objs []*unstructured.Unstructured) *appsv1.Deployment {
	t.Helper()
	deps := objectsOfKind(objs, kindDeployment)
	if len(deps) != 1 {
		t.Fatalf("%d Deployments rendered, want 1", len(deps))
	}
	d := &appsv1.Deployment{}
	fromUnstructured(t, deps[0], d)
	return d
}

// managerContainer returns the container named manager.
func managerContainer(t *testing.T, d *appsv1.Deployment) corev1.Container {
	t.Helper()
	for _, c := range d.Spec.Template.Spec.Containers {
		if c.Name == "manager" {
			return c
		}
	}
	t.Fatalf("Deployment %s has no container named manager", d.Name)
	return corev1.Container{}
}

// checkHardened asserts the restricted Pod Security Standard, the resources and the probes of the manager.
func checkHardened(t *testing.T, d *appsv1.Deployment) {
	t.Helper()
	pod := d.Spec.Template.Spec
	c := managerContainer(t, d)
	psc := pod.SecurityContext
	if psc == nil {
		psc = &corev1.PodSecurityContext{}
	}
	sc := c.SecurityContext
	if sc == nil {
		t.Fatal("the manager container has no securityContext")
	}

	runAsNonRoot := (psc.RunAsNonRoot != nil && *psc.RunAsNonRoot) || (sc.RunAsNonRoot != nil && *sc.RunAsNonRoot)
	if !runAsNonRoot {
		t.Error("runAsNonRoot is not true")
	}
	for _, uid := range []*int64{psc.RunAsUser, sc.RunAsUser} {
		if uid != nil && *uid == 0 {
			t.Error("runAsUser is 0 (root)")
		}
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Error("readOnlyRootFilesystem is not true")
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Error("allowPrivilegeEscalation is not false")
	}
	if sc.Privileged != nil && *sc.Privileged {
		t.Error("the container is privileged")
	}
	if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
		t.Errorf("capabilities = %+v, want drop [ALL] and nothing added", sc.Capabilities)
	}
	seccomp := psc.SeccompProfile
	if sc.SeccompProfile != nil {
		seccomp = sc.SeccompProfile
	}
	if seccomp == nil || seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("seccompProfile = %+v, want RuntimeDefault", seccomp)
	}

	wantResources := corev1.ResourceRequirements{
		Requests: corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse("50m"), corev1.ResourceMemory: resource.MustParse("64Mi"),
		},
		Limits: corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("256Mi"),
		},
	}
	if diff := cmp.Diff(wantResources, c.Resources); diff != "" {
		t.Errorf("resources differ (-want +got):\n%s", diff)
	}

	for name, probe := range map[string]struct {
		p    *corev1.Probe
		path string
	}{"liveness": {c.LivenessProbe, "/healthz"}, "readiness": {c.ReadinessProbe, "/readyz"}} {
		if probe.p == nil || probe.p.HTTPGet == nil {
			t.Errorf("no HTTP %s probe", name)
			continue
		}
		if probe.p.HTTPGet.Path != probe.path || probe.p.HTTPGet.Port != intstr.FromInt32(8081) {
			t.Errorf("%s probe is %s on port %s, want %s on 8081",
				name, probe.p.HTTPGet.Path, probe.p.HTTPGet.Port.String(), probe.path)
		}
	}
	if !slices.Contains(c.Args, "--health-probe-bind-address=:8081") {
		t.Errorf("args %v do not bind the probes to :8081", c.Args)
	}
}

// checkArgs asserts that each wanted argument appears exactly once and each unwanted flag not at all.
func checkArgs(t *testing.T, args, want, unwantedPrefixes []string) {
	t.Helper()
	for _, a := range want {
		if n := countExact(args, a); n != 1 {
			t.Errorf("argument %s appears %d times in %v, want once", a, n, args)
		}
	}
	for _, p := range unwantedPrefixes {
		if n := countPrefix(args, p); n != 0 {
			t.Errorf("argument %s... appears in %v, want it absent", p, args)
		}
	}
}

func countExact(list []string, s string) int {
	n := 0
	for _, v := range list {
		if v == s {
			n++
		}
	}
	return n
}

// clusterRoleRules returns the rules of the ClusterRole with the given name.
func clusterRoleRules(t *testing.T, objs []*unstructured.Unstructured, name string) []rbacv1.PolicyRule {
	t.Helper()
	for _, o := range objectsOfKind(objs, kindClusterRole) {
		if o.GetName() == name {
			r := &rbacv1.ClusterRole{}
			fromUnstructured(t, o, r)
			return r.Rules
		}
	}
	t.Fatalf("no ClusterRole %s rendered", name)
	return nil
}

// generatedManagerRules reads the rules controller-gen wrote to config/rbac/role.yaml.
func generatedManagerRules(t *testing.T) []rbacv1.PolicyRule {
	t.Helper()
	data, err := os.ReadFile(repoPath("config", "rbac", "role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	objs, err := decodeObjects(data)
	if err != nil {
		t.Fatal(err)
	}
	return clusterRoleRules(t, objs, "manager-role")
}

// metricsAuthRules are what authenticated metrics need: a TokenReview and a SubjectAccessReview per scrape.
var metricsAuthRules = []rbacv1.PolicyRule{
	{APIGroups: []string{"authentication.k8s.io"}, Resources: []string{"tokenreviews"}, Verbs: []string{verbCreate}},
	{
		APIGroups: []string{"authorization.k8s.io"}, Resources: []string{"subjectaccessreviews"},
		Verbs: []string{verbCreate},
	},
}

// leaderElectionRules are what leader election needs: a Lease, and events when leadership changes hands.
var leaderElectionRules = []rbacv1.PolicyRule{
	{
		APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"},
		Verbs: []string{"get", "list", "watch", verbCreate, "update", "patch", "delete"},
	},
	{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{verbCreate, "patch"}},
}

// dryRunAll sends every object to the API server in dry-run mode, with unknown fields rejected, so schema errors in
// rendered manifests show up without a cluster. Kinds whose API the test control plane lacks are skipped by name.
func dryRunAll(t *testing.T, objs []*unstructured.Unstructured, skipKinds ...string) {
	t.Helper()
	for _, o := range objs {
		if slices.Contains(skipKinds, o.GetKind()) {
			continue
		}
		if err := k8s.Create(context.Background(), o.DeepCopy(), client.DryRunAll); err != nil {
			t.Errorf("the API server rejects %s: %v", describe(o), err)
		}
	}
}
