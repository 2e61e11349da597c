// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package gitops

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"
)

const chartDir = "charts/hookstream-operator"

// TestChartCopies fails when a file the chart carries a copy of (Helm cannot read outside the chart) differs from
// its source, and says how to refresh it.
func TestChartCopies(t *testing.T) {
	tests := map[string]struct{ source, chartCopy string }{
		"manager ClusterRole":     {"config/rbac/role.yaml", chartDir + "/files/manager-role.yaml"},
		"Argo CD health check":    {"config/argocd/health.lua", chartDir + "/files/argocd-health.lua"},
		"Prometheus alert rules":  {"config/prometheus/alert-rules.yaml", chartDir + "/files/prometheus-alert-rules.yaml"},
		"Grafana dashboard":       {"config/grafana/hookstream-operator-dashboard.json", chartDir + "/files/grafana-dashboard.json"},
		"aggregate-to-edit role":  {"config/rbac/aggregate_to_edit_role.yaml", chartDir + "/files/aggregate-to-edit-role.yaml"},
		"aggregate-to-view role":  {"config/rbac/aggregate_to_view_role.yaml", chartDir + "/files/aggregate-to-view-role.yaml"},
		"aggregate-to-admin role": {"config/rbac/aggregate_to_admin_role.yaml", chartDir + "/files/aggregate-to-admin-role.yaml"},
	}
	crds := projectCRDs(t)
	for _, crd := range crds {
		tests["CRD "+crd.file] = struct{ source, chartCopy string }{
			"config/crd/bases/" + crd.file, chartDir + "/crds/" + crd.file,
		}
	}
	// Helm installs every file of crds/: one left behind by a removed or renamed kind would still be installed.
	chartCRDs, err := filepath.Glob(repoPath(chartDir, "crds", "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range chartCRDs {
		if !slices.ContainsFunc(crds, func(crd projectCRD) bool { return crd.file == filepath.Base(f) }) {
			t.Errorf("%s/crds/%s has no source in config/crd/bases; remove it", chartDir, filepath.Base(f))
		}
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			source, err := os.ReadFile(repoPath(tc.source))
			if err != nil {
				t.Fatal(err)
			}
			chartCopy, err := os.ReadFile(repoPath(tc.chartCopy))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(source, chartCopy) {
				t.Errorf("%s differs from %s; refresh it with: cp %s %s", tc.chartCopy, tc.source, tc.source, tc.chartCopy)
			}
		})
	}
}

// helm runs the pinned helm of hack/helm.sh, which builds it from the Go module proxy on first use, with its
// caches and configuration kept out of the user's.
func helm(t *testing.T) func(args ...string) (stdout, stderr []byte, err error) {
	t.Helper()
	if os.Getenv("HOOKSTREAM_SKIP_HELM") == "1" {
		t.Skip("HOOKSTREAM_SKIP_HELM=1: the Helm chart is not rendered or linted")
	}
	home := t.TempDir()
	env := []string{
		"HELM_CACHE_HOME=" + home + "/cache", "HELM_CONFIG_HOME=" + home + "/config", "HELM_DATA_HOME=" + home + "/data",
	}
	return func(args ...string) ([]byte, []byte, error) {
		return tryTool(env, "hack/helm.sh", args...)
	}
}

// withValues appends a --set for each value to helm arguments.
func withValues(args, values []string) []string {
	out := make([]string, 0, len(args)+2*len(values))
	out = append(out, args...)
	for _, v := range values {
		out = append(out, "--set", v)
	}
	return out
}

func TestHelmLint(t *testing.T) {
	run := helm(t)
	for name, set := range map[string][]string{
		"defaults":    nil,
		"all options": allOptions,
		"two shards":  twoShards,
	} {
		t.Run(name, func(t *testing.T) {
			out, stderr, err := run(withValues([]string{"lint", "--strict", chartDir}, set)...)
			if err != nil {
				t.Fatalf("helm lint: %v\n%s%s", err, out, stderr)
			}
		})
	}
}

// The release the tests render, and the full name the chart derives from it.
const (
	helmRelease  = "hs"
	helmFullname = "hs-hookstream-operator"
)

const testCA = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----"

// twoShards splits the objects between a shard of those labelled a and one of the unlabelled ones.
var twoShards = []string{"shards[0].name=a", "shards[0].selector=hookstream.io/shard=a",
	"shards[1].name=rest", "shards[1].selector=!hookstream.io/shard", "shards[1].replicaCount=2",
	"shards[1].extraArgs={--hookstream-rate-limit=5}"}

// mirrorRunbooks is where a fork keeps docs/runbooks.md in the all-options rendering.
const mirrorRunbooks = "https://git.example.com/platform/hookstream-operator/-/blob/main/docs/runbooks.md"

// allOptions turns on every optional part of the chart.
var allOptions = []string{
	"hookstream.url=https://hookstream.internal.example.com/v1",
	"hookstream.caBundle=" + testCA,
	"credentials.create=true",
	"credentials.apiKey=hs_test_1111111111111111111111111111111111111111111111111111111111111111",
	"credentials.defaultSecretName=team-hookstream",
	"driftInterval=2m",
	"statusRefreshInterval=30s",
	"maxConcurrentReconciles=8",
	"leaderElection.enabled=false",
	"metrics.port=9443",
	"metrics.serviceMonitor.enabled=true",
	"prometheusRule.enabled=true",
	"prometheusRule.labels.release=prometheus",
	"prometheusRule.runbookBaseURL=" + mirrorRunbooks,
	"grafanaDashboard.enabled=true",
	"argocd.healthCheck.configMap=true",
	"replicaCount=2",
	"extraArgs={--zap-log-level=debug}",
	"watchNamespaces={team-a,team-b}",
}

func TestHelmTemplate(t *testing.T) {
	run := helm(t)
	tests := map[string]struct {
		set   []string
		kinds map[string]int
		check func(t *testing.T, ns string, objs []*unstructured.Unstructured)
	}{
		"defaults": {
			kinds: map[string]int{
				kindServiceAccount: 1, kindDeployment: 1, kindService: 1, kindRole: 1, kindRoleBinding: 1,
				kindClusterRole: 6, kindClusterRoleBinding: 2,
			},
			check: checkChartDefaults,
		},
		"all options": {
			set: allOptions,
			kinds: map[string]int{
				kindServiceAccount: 1, kindDeployment: 1, kindService: 1, kindClusterRole: 6, kindClusterRoleBinding: 2,
				"Secret": 1, "ConfigMap": 3, "ServiceMonitor": 1, "PrometheusRule": 1,
			},
			check: checkChartAllOptions,
		},
		"metrics disabled": {
			set: []string{"metrics.enabled=false", "metrics.serviceMonitor.enabled=true"},
			kinds: map[string]int{
				kindServiceAccount: 1, kindDeployment: 1, kindRole: 1, kindRoleBinding: 1,
				kindClusterRole: 4, kindClusterRoleBinding: 1,
			},
			check: func(t *testing.T, ns string, objs []*unstructured.Unstructured) {
				checkArgs(t, managerContainer(t, onlyDeployment(t, objs)).Args,
					[]string{"--metrics-bind-address=0"}, []string{"--metrics-secure"})
			},
		},
		"metrics over plain HTTP": {
			set: []string{"metrics.secure=false", "metrics.port=8080"},
			kinds: map[string]int{
				kindServiceAccount: 1, kindDeployment: 1, kindService: 1, kindRole: 1, kindRoleBinding: 1,
				kindClusterRole: 4, kindClusterRoleBinding: 1,
			},
			check: func(t *testing.T, ns string, objs []*unstructured.Unstructured) {
				checkArgs(t, managerContainer(t, onlyDeployment(t, objs)).Args,
					[]string{"--metrics-bind-address=:8080", "--metrics-secure=false"}, nil)
				svc := &corev1.Service{}
				fromUnstructured(t, objectsOfKind(objs, kindService)[0], svc)
				if p := svc.Spec.Ports[0]; p.Name != "http" || p.Port != 8080 {
					t.Errorf("metrics port %s/%d, want http/8080", p.Name, p.Port)
				}
			},
		},
		"two shards": {
			set: twoShards,
			kinds: map[string]int{
				kindServiceAccount: 1, kindDeployment: 2, kindService: 1, kindRole: 1, kindRoleBinding: 1,
				kindClusterRole: 6, kindClusterRoleBinding: 2,
			},
			check: checkChartShards,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ns := newNamespace(t, "helm")
			out, stderr, err := run(withValues([]string{"template", helmRelease, chartDir, "--namespace", ns}, tc.set)...)
			if err != nil {
				t.Fatalf("helm template: %v\n%s", err, stderr)
			}
			objs, err := decodeObjects(out)
			if err != nil {
				t.Fatalf("decoding the rendering: %v", err)
			}
			kinds := map[string]int{}
			for _, o := range objs {
				kinds[o.GetKind()]++
			}
			if diff := cmp.Diff(tc.kinds, kinds); diff != "" {
				t.Errorf("rendered kinds differ (-want +got):\n%s", diff)
			}
			// Every variant must give the manager exactly the permissions controller-gen generated.
			if diff := cmp.Diff(generatedManagerRules(t), clusterRoleRules(t, objs, helmFullname+"-manager")); diff != "" {
				t.Errorf("the chart's manager ClusterRole differs from config/rbac/role.yaml (-want +got):\n%s", diff)
			}
			tc.check(t, ns, objs)
			// The test control plane has no Prometheus Operator CRDs.
			dryRunAll(t, objs, "ServiceMonitor", "PrometheusRule")
		})
	}
}

func TestHelmTemplateRejectsBadShards(t *testing.T) {
	run := helm(t)
	tests := map[string]struct {
		set  []string
		want string
	}{
		"no name":        {set: []string{"shards[0].selector=hookstream.io/shard=a"}, want: "shards[0].name is required"},
		"no selector":    {set: []string{"shards[0].name=a"}, want: "shards[0].selector is required"},
		"upper case":     {set: []string{"shards[0].name=A", "shards[0].selector=x=a"}, want: `shards[0].name "A" must be`},
		"duplicate name": {set: []string{"shards[0].name=a", "shards[0].selector=x=a", "shards[1].name=a", "shards[1].selector=x=b"}, want: `shards[1].name "a" is used by another shard`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, stderr, err := run(withValues([]string{"template", helmRelease, chartDir}, tc.set)...)
			if err == nil {
				t.Fatal("helm template succeeded")
			}
			if !strings.Contains(string(stderr), tc.want) {
				t.Errorf("helm template failed with %q, want it to say %q", stderr, tc.want)
			}
		})
	}
}

// TestHelmTemplateRejectsBadValueTypes checks that values.schema.json stops a value of the wrong type or an unknown
// key before anything renders, with a message that names the value.
func TestHelmTemplateRejectsBadValueTypes(t *testing.T) {
	run := helm(t)
	admin, err := controlPlane.AddUser(envtest.User{Name: "helm-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	kubeconfigData, err := admin.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, kubeconfigData, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		set  []string
		want string
	}{
		"string for an integer":   {set: []string{"replicaCount=two"}, want: "/replicaCount"},
		"number for a duration":   {set: []string{"driftInterval=10"}, want: "/driftInterval"},
		"not a duration":          {set: []string{"statusRefreshInterval=soon"}, want: "/statusRefreshInterval"},
		"port out of range":       {set: []string{"metrics.port=70000"}, want: "/metrics/port"},
		"misspelt key":            {set: []string{"metrics.prot=8443"}, want: "prot"},
		"string for a boolean":    {set: []string{"rbac.aggregateToDefaultRoles=yes"}, want: "/rbac/aggregateToDefaultRoles"},
		"shard replicas a string": {set: []string{"shards[0].name=a", "shards[0].selector=x=a", "shards[0].replicaCount=x"}, want: "/shards/0/replicaCount"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			for _, cmd := range []string{"template", "install"} {
				args := []string{cmd, helmRelease, chartDir}
				if cmd == "install" {
					args = append(args, "--dry-run=server", "--kubeconfig", kubeconfig, "--namespace", "default")
				}
				_, stderr, err := run(withValues(args, tc.set)...)
				if err == nil {
					t.Fatalf("helm %s succeeded", cmd)
				}
				if !strings.Contains(string(stderr), "schema") || !strings.Contains(string(stderr), tc.want) {
					t.Errorf("helm %s failed with %q, want a schema error naming %q", cmd, stderr, tc.want)
				}
			}
		})
	}
}

// TestChartAggregatedRoles checks the ClusterRoles that give the default admin, edit and view roles access to the
// kinds: the rules of config/rbac, the aggregation labels, every kind of config/crd/bases (grants for admins only),
// and none with aggregation turned off.
func TestChartAggregatedRoles(t *testing.T) {
	run := helm(t)
	out, stderr, err := run("template", helmRelease, chartDir)
	if err != nil {
		t.Fatalf("helm template: %v\n%s", err, stderr)
	}
	objs, err := decodeObjects(out)
	if err != nil {
		t.Fatal(err)
	}
	write := []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}
	for _, tc := range []struct {
		suffix, source string
		labels         []string
		verbs          []string
		// covers says which CRDs the role's first rule covers.
		covers func(projectCRD) bool
	}{
		{"-aggregate-to-edit", "config/rbac/aggregate_to_edit_role.yaml",
			[]string{"rbac.authorization.k8s.io/aggregate-to-admin", "rbac.authorization.k8s.io/aggregate-to-edit"},
			write, func(c projectCRD) bool { return c.managed }},
		{"-aggregate-to-view", "config/rbac/aggregate_to_view_role.yaml",
			[]string{"rbac.authorization.k8s.io/aggregate-to-view"}, []string{"get", "list", "watch"},
			func(projectCRD) bool { return true }},
		// Grants open a namespace to others: the namespace's admins write them, not its editors.
		{"-aggregate-to-admin", "config/rbac/aggregate_to_admin_role.yaml",
			[]string{"rbac.authorization.k8s.io/aggregate-to-admin"}, write, func(c projectCRD) bool { return !c.managed }},
	} {
		name := helmFullname + tc.suffix
		var role *unstructured.Unstructured
		for _, o := range objectsOfKind(objs, kindClusterRole) {
			if o.GetName() == name {
				role = o
			}
		}
		if role == nil {
			t.Errorf("no ClusterRole %s rendered", name)
			continue
		}
		for _, l := range tc.labels {
			if role.GetLabels()[l] != "true" {
				t.Errorf("%s lacks the label %s: \"true\"", name, l)
			}
		}
		source := &rbacv1.ClusterRole{}
		data, err := os.ReadFile(repoPath(tc.source))
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.UnmarshalStrict(data, source); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(source.Rules, clusterRoleRules(t, objs, name)); diff != "" {
			t.Errorf("%s rules differ from %s (-want +got):\n%s", name, tc.source, diff)
		}
		if len(source.Rules) == 0 || !slices.Equal(source.Rules[0].Verbs, tc.verbs) {
			t.Errorf("%s grants %v on the kinds, want %v", tc.source, source.Rules, tc.verbs)
			continue
		}
		for _, crd := range projectCRDs(t) {
			if covered := slices.Contains(source.Rules[0].Resources, crd.plural); covered != tc.covers(crd) {
				t.Errorf("%s covers %s: %v, want %v", tc.source, crd.plural, covered, tc.covers(crd))
			}
		}
	}
	out, stderr, err = run("template", helmRelease, chartDir, "--set", "rbac.aggregateToDefaultRoles=false")
	if err != nil {
		t.Fatalf("helm template: %v\n%s", err, stderr)
	}
	objs, err = decodeObjects(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objectsOfKind(objs, kindClusterRole) {
		if strings.Contains(o.GetName(), "aggregate-to") {
			t.Errorf("%s rendered with rbac.aggregateToDefaultRoles=false", o.GetName())
		}
	}
}

func TestHelmTemplateRejectsCreateWithoutKey(t *testing.T) {
	run := helm(t)
	_, stderr, err := run("template", "hs", chartDir, "--set", "credentials.create=true")
	if err == nil {
		t.Fatal("helm template succeeded with credentials.create=true and no apiKey")
	}
	if want := "credentials.apiKey is required when credentials.create is true"; !strings.Contains(string(stderr), want) {
		t.Errorf("helm template failed with %q, want it to say %q", stderr, want)
	}
}

// checkChartDefaults checks the rendering with the default values.
func checkChartDefaults(t *testing.T, ns string, objs []*unstructured.Unstructured) {
	d := onlyDeployment(t, objs)
	checkHardened(t, d)
	checkArgs(t, managerContainer(t, d).Args, []string{
		argLeaderElect,
		"--metrics-bind-address=:8443",
		"--metrics-secure=true",
		"--hookstream-url=https://hookstream.io/v1",
		"--drift-interval=10m",
		"--default-credentials-secret=hookstream-credentials",
		"--max-concurrent-reconciles=0",
	}, []string{"--hookstream-ca-file", "--watch-namespaces", "--watch-selector", "--leader-election-id"})
	if got := managerContainer(t, d).Image; got != "ghcr.io/hookstream/hookstream-operator:0.1.0" {
		t.Errorf("image %s, want the appVersion tag", got)
	}
	if diff := cmp.Diff(metricsAuthRules, clusterRoleRules(t, objs, helmFullname+"-metrics-auth")); diff != "" {
		t.Errorf("metrics auth rules differ (-want +got):\n%s", diff)
	}
	role := &rbacv1.Role{}
	fromUnstructured(t, objectsOfKind(objs, kindRole)[0], role)
	if diff := cmp.Diff(leaderElectionRules, role.Rules); diff != "" {
		t.Errorf("leader election rules differ (-want +got):\n%s", diff)
	}
	for _, kind := range []string{kindClusterRoleBinding, kindRoleBinding} {
		for _, o := range objectsOfKind(objs, kind) {
			subjects, _, _ := unstructured.NestedSlice(o.Object, "subjects")
			want := []any{map[string]any{
				"kind": kindServiceAccount, "name": d.Spec.Template.Spec.ServiceAccountName, "namespace": ns,
			}}
			if diff := cmp.Diff(want, subjects); diff != "" {
				t.Errorf("%s binds someone else than the manager (-want +got):\n%s", describe(o), diff)
			}
		}
	}
}

// checkChartShards checks a rendering with two shards: a Deployment each, with the shard's selector, its own
// lease and pods no other Deployment selects, sharing the ServiceAccount and the metrics Service.
func checkChartShards(t *testing.T, _ string, objs []*unstructured.Unstructured) {
	deps := map[string]*appsv1.Deployment{}
	for _, o := range objectsOfKind(objs, kindDeployment) {
		d := &appsv1.Deployment{}
		fromUnstructured(t, o, d)
		deps[d.Name] = d
	}
	tests := map[string]struct {
		selector, lease string
		replicas        int32
		extra           []string
		unwanted        []string
	}{
		helmFullname + "-a": {selector: "hookstream.io/shard=a", lease: helmFullname + "-a", replicas: 1,
			unwanted: []string{"--hookstream-rate-limit"}},
		helmFullname + "-rest": {selector: "!hookstream.io/shard", lease: helmFullname + "-rest", replicas: 2,
			extra: []string{"--hookstream-rate-limit=5"}},
	}
	svc := &corev1.Service{}
	fromUnstructured(t, objectsOfKind(objs, kindService)[0], svc)
	for name, want := range tests {
		d, ok := deps[name]
		if !ok {
			t.Errorf("no Deployment %s among %v", name, slices.Collect(maps.Keys(deps)))
			continue
		}
		checkHardened(t, d)
		args := managerContainer(t, d).Args
		checkArgs(t, args, append([]string{argLeaderElect, "--watch-selector=" + want.selector,
			"--leader-election-id=" + want.lease}, want.extra...), want.unwanted)
		if got := ptr.Deref(d.Spec.Replicas, 0); got != want.replicas {
			t.Errorf("%s: %d replicas, want %d", name, got, want.replicas)
		}
		if d.Spec.Template.Spec.ServiceAccountName != helmFullname {
			t.Errorf("%s runs as %s, want the shared ServiceAccount", name, d.Spec.Template.Spec.ServiceAccountName)
		}
		pods := labels.Set(d.Spec.Template.Labels)
		if !labels.SelectorFromSet(svc.Spec.Selector).Matches(pods) {
			t.Errorf("the metrics Service does not select the pods of %s", name)
		}
		for other, o := range deps {
			sel, err := metav1.LabelSelectorAsSelector(o.Spec.Selector)
			if err != nil {
				t.Fatal(err)
			}
			if sel.Matches(pods) != (other == name) {
				t.Errorf("the selector of %s matches the pods of %s: %v", other, name, sel.Matches(pods))
			}
		}
	}
}

// checkChartAllOptions checks the rendering with every optional part turned on.
// checkPrometheusRule checks that the chart's PrometheusRule holds the groups of config/prometheus/alert-rules.yaml
// as they are, but for the runbook links pointed at the mirror, and the labels asked for.
func checkPrometheusRule(t *testing.T, rule *unstructured.Unstructured) {
	t.Helper()
	data, err := os.ReadFile(repoPath("config", "prometheus", "alert-rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	const projectRunbooks = "https://github.com/hookstream/hookstream-operator/blob/main/docs/runbooks.md"
	if !strings.Contains(string(data), projectRunbooks+"#") {
		t.Fatalf("config/prometheus/alert-rules.yaml links no runbook at %s", projectRunbooks)
	}
	data = []byte(strings.ReplaceAll(string(data), projectRunbooks, mirrorRunbooks))
	var file map[string]any
	if err := yaml.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	groups, _, _ := unstructured.NestedSlice(rule.Object, "spec", "groups")
	if diff := cmp.Diff(file["groups"], any(groups)); diff != "" {
		t.Errorf("the PrometheusRule's groups differ from config/prometheus/alert-rules.yaml (-want +got):\n%s", diff)
	}
	if rule.GetLabels()["release"] != "prometheus" {
		t.Errorf("PrometheusRule labels %v, want release=prometheus among them", rule.GetLabels())
	}
}

func checkChartAllOptions(t *testing.T, ns string, objs []*unstructured.Unstructured) {
	checkPrometheusRule(t, objectsOfKind(objs, "PrometheusRule")[0])
	d := onlyDeployment(t, objs)
	checkHardened(t, d)
	c := managerContainer(t, d)
	checkArgs(t, c.Args, []string{
		"--metrics-bind-address=:9443",
		"--hookstream-url=https://hookstream.internal.example.com/v1",
		"--hookstream-ca-file=/etc/hookstream-ca/ca.crt",
		"--drift-interval=2m",
		"--status-refresh-interval=30s",
		"--default-credentials-secret=team-hookstream",
		"--max-concurrent-reconciles=8",
		"--zap-log-level=debug",
		"--watch-namespaces=team-a,team-b",
	}, []string{argLeaderElect})
	if *d.Spec.Replicas != 2 {
		t.Errorf("replicas %d, want 2", *d.Spec.Replicas)
	}
	if len(c.VolumeMounts) != 1 || c.VolumeMounts[0].MountPath != "/etc/hookstream-ca" || !c.VolumeMounts[0].ReadOnly {
		t.Errorf("volume mounts %+v, want the CA bundle read-only at /etc/hookstream-ca", c.VolumeMounts)
	}
	configMaps := map[string]*corev1.ConfigMap{}
	for _, o := range objectsOfKind(objs, "ConfigMap") {
		cm := &corev1.ConfigMap{}
		fromUnstructured(t, o, cm)
		configMaps[cm.Name] = cm
	}
	ca := configMaps[helmFullname+"-hookstream-ca"]
	if ca == nil || strings.TrimSpace(ca.Data["ca.crt"]) != testCA {
		t.Errorf("CA ConfigMap = %+v, want ca.crt holding the bundle", ca)
	}
	vols := d.Spec.Template.Spec.Volumes
	if len(vols) != 1 || vols[0].ConfigMap == nil || vols[0].ConfigMap.Name != helmFullname+"-hookstream-ca" {
		t.Errorf("volumes %+v, want the CA ConfigMap", vols)
	}
	argo := configMaps[helmFullname+"-argocd-health"]
	if argo == nil {
		t.Fatal("no Argo CD health ConfigMap rendered")
	}
	// A kind without a status (a grant) has no health: Argo CD shows none for it.
	crds := managedCRDs(t)
	wantKeys := make([]string, 0, len(crds))
	for _, crd := range crds {
		key := argocdHealthKey(crd.kind)
		wantKeys = append(wantKeys, key)
		if argo.Data[key] != readHealthScript(t) {
			t.Errorf("the Argo CD ConfigMap does not hold config/argocd/health.lua under %s", key)
		}
	}
	if len(argo.Data) != len(wantKeys) {
		t.Errorf("the Argo CD ConfigMap holds the keys %v, want only %v", slices.Sorted(maps.Keys(argo.Data)), wantKeys)
	}
	checkGrafanaDashboard(t, ns, configMaps[helmFullname+"-dashboard"])
	secret := &corev1.Secret{}
	fromUnstructured(t, objectsOfKind(objs, "Secret")[0], secret)
	if secret.Name != "team-hookstream" || secret.Namespace != ns ||
		string(secret.Data["apiKey"]) != "hs_test_1111111111111111111111111111111111111111111111111111111111111111" {
		t.Errorf("credentials Secret %s/%s holds %q, want team-hookstream in the release namespace with the apiKey",
			secret.Namespace, secret.Name, secret.Data["apiKey"])
	}
}

// checkGrafanaDashboard checks the dashboard ConfigMap: in the release's namespace, labelled for Grafana's sidecar,
// holding config/grafana/hookstream-operator-dashboard.json as it is.
func checkGrafanaDashboard(t *testing.T, ns string, cm *corev1.ConfigMap) {
	t.Helper()
	if cm == nil {
		t.Fatal("no Grafana dashboard ConfigMap rendered")
	}
	if cm.Namespace != ns || cm.Labels["grafana_dashboard"] != "1" {
		t.Errorf("dashboard ConfigMap %s/%s labels %v, want namespace %s and grafana_dashboard=1",
			cm.Namespace, cm.Name, cm.Labels, ns)
	}
	want, err := os.ReadFile(repoPath("config", "grafana", "hookstream-operator-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got := cm.Data["hookstream-operator.json"]; got != strings.TrimSuffix(string(want), "\n") {
		t.Errorf("the dashboard ConfigMap does not hold config/grafana/hookstream-operator-dashboard.json (%d bytes, want %d)",
			len(got), len(want))
	}
}
