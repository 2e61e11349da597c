// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/controller"
	"github.com/hookstream/hookstream-operator/internal/emulator"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/internal/managed"
)

// exportDir exports the fixtures' project into a folder, as `kubectl hookstream export --output` does.
func exportDir(t *testing.T) (string, *DiffOptions) {
	t.Helper()
	emu, hs := newEmulator(t)
	createFixtures(t, hs)
	exp, err := ExportProject(context.Background(), hs, ExportOptions{Namespace: "team"})
	if err != nil {
		t.Fatal(err)
	}
	files, err := exp.Files()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := WriteFiles(dir, files); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if w := emu.Stats().Writes(); w != int64(11+4+3+3) {
			// The fixtures' creates and state changes only: diff never writes.
			t.Errorf("hookstream saw %d writes, want the fixtures' 21", w)
		}
	})
	return dir, &DiffOptions{Namespace: "team", Hookstream: hs, APIKey: testAPIKey}
}

func runDiff(t *testing.T, opts *DiffOptions, paths ...string) ([]ObjectDiff, string, bool) {
	t.Helper()
	m, err := LoadManifests(paths, opts.Namespace, nil)
	if err != nil {
		t.Fatal(err)
	}
	diffs, err := Diff(context.Background(), m, *opts)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	differs := PrintDiff(&out, diffs)
	return diffs, out.String(), differs
}

func edit(t *testing.T, path, old, replacement string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%s lacks %q:\n%s", path, old, b)
	}
	if err := os.WriteFile(path, bytes.Replace(b, []byte(old), []byte(replacement), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDiffOfExportedFiles(t *testing.T) {
	dir, opts := exportDir(t)
	diffs, out, differs := runDiff(t, opts, dir)
	if differs {
		t.Errorf("the exported files differ:\n%s", out)
	}
	if len(diffs) != 18 {
		t.Errorf("%d objects compared, want 18", len(diffs))
	}
	// secrets.example.yaml holds no values: the secret fields are reported as not comparable, never as changes.
	for _, want := range []string{"? auth_config.token: cannot be compared without its value (", "Secret orders-destination-secrets key token)",
		"? headers: cannot be compared without its value (Secret orders-destination-secrets key header-authorization, "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestDiffReportsEdits(t *testing.T) {
	dir, opts := exportDir(t)
	edit(t, filepath.Join(dir, "destination-plain.yaml"), "url: http://plain.example.com/in", "url: https://plain.example.com/v2")
	edit(t, filepath.Join(dir, "connection-github-to-orders.yaml"), "state: active", "state: paused")
	diffs, out, differs := runDiff(t, opts, dir)
	if !differs {
		t.Fatalf("no difference reported:\n%s", out)
	}
	for _, want := range []string{
		`Destination plain (hookstream id `,
		`  ~ url: hookstream "http://plain.example.com/in" -> manifest "https://plain.example.com/v2"`,
		`  ~ status: hookstream "active" -> manifest "paused"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	updates := 0
	for _, d := range diffs {
		if d.Plan.Action == managed.PlanUpdate && d.Differs() {
			updates++
		}
	}
	if updates != 2 {
		t.Errorf("%d objects to update, want 2:\n%s", updates, out)
	}
}

// TestDiffPlans covers what the operator would do besides updates, from manifests written by hand.
func TestDiffPlans(t *testing.T) {
	_, opts := exportDir(t)
	manifest := `apiVersion: hookstream.io/v1alpha1
kind: Destination
metadata: {name: fresh}
spec: {slug: fresh, http: {url: "https://fresh.example.com/"}}
---
apiVersion: hookstream.io/v1alpha1
kind: Destination
metadata: {name: taken}
spec: {slug: orders, http: {url: "https://orders.example.com/hooks"}}
---
apiVersion: hookstream.io/v1alpha1
kind: Destination
metadata: {name: by-slug}
spec: {slug: plain, adoptionPolicy: BySlug, displayName: Plain, http: {url: "http://plain.example.com/in"}}
---
apiVersion: hookstream.io/v1alpha1
kind: Destination
metadata: {name: gone}
spec: {adoptID: 0123456789abcdef0123456789abcdef, http: {url: "https://gone.example.com/"}}
---
apiVersion: hookstream.io/v1alpha1
kind: Source
metadata: {name: new-source}
spec: {slug: new-source}
---
apiVersion: hookstream.io/v1alpha1
kind: Connection
metadata: {name: waits}
spec: {sourceRef: {name: new-source}, destinationRef: {name: fresh}}
`
	path := filepath.Join(t.TempDir(), "hand.yaml")
	if err := os.WriteFile(path, []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	diffs, out, differs := runDiff(t, opts, path)
	if !differs {
		t.Errorf("no difference reported:\n%s", out)
	}
	want := map[string]managed.PlanAction{
		"Destination/fresh": managed.PlanCreate, "Destination/taken": managed.PlanBlocked,
		"Destination/by-slug": managed.PlanUnchanged, "Destination/gone": managed.PlanBlocked,
		"Source/new-source": managed.PlanCreate, "Connection/waits": managed.PlanWait,
	}
	for _, d := range diffs {
		if got := d.Plan.Action; got != want[d.Kind+"/"+d.Name] {
			t.Errorf("%s %s: %s (%s), want %s", d.Kind, d.Name, got, d.Plan.Message, want[d.Kind+"/"+d.Name])
		}
	}
	for _, line := range []string{"Destination taken (hookstream id", "blocked (SlugConflict)", "blocked (RemoteNotFound)",
		`would create a destination with slug "fresh"`, "wait (WaitingForSource)"} {
		if !strings.Contains(out, line) {
			t.Errorf("output lacks %q:\n%s", line, out)
		}
	}
}

// TestDiffSecrets compares secret fields by what the operator records: the values of the manifests' Secrets, and
// the hash of the values last applied, which the cluster's status holds.
func TestDiffSecrets(t *testing.T) {
	dir, opts := exportDir(t)
	m, err := LoadManifests([]string{filepath.Join(dir, "destination-orders.yaml")}, "team", nil)
	if err != nil {
		t.Fatal(err)
	}
	secret := func(value string) *corev1.Secret {
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "orders-destination-secrets", Namespace: "team"},
			Data: map[string][]byte{"token": []byte(value),
				"header-authorization":           []byte(secretValue("orders-destination-secrets", "header-authorization")),
				"header-x-webhook-signature-key": []byte(secretValue("orders-destination-secrets", "header-x-webhook-signature-key"))}}
	}
	plan := func(cluster client.Reader, value string) ObjectDiff {
		t.Helper()
		m.Secrets = map[string]*corev1.Secret{"orders-destination-secrets": secret(value)}
		o := *opts
		o.Cluster = cluster
		diffs, err := Diff(context.Background(), m, o)
		if err != nil {
			t.Fatal(err)
		}
		return diffs[0]
	}
	right := secretValue("orders-destination-secrets", "token")
	// Not yet applied by the operator: the adoption sends the secret once.
	if d := plan(nil, right); d.Plan.Action != managed.PlanUpdate || len(d.Plan.Diffs) != 1 || !d.Plan.Diffs[0].Secret {
		t.Errorf("before the operator applied it: %+v", d.Plan)
	}
	applied := plan(nil, right).Plan.SecretsHash
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = v1.AddToScheme(scheme)
	live := m.Objects[0].DeepCopyObject().(*v1.Destination)
	live.Status.ID = live.Spec.AdoptID
	live.Status.AppliedSecretsHash = applied
	cluster := fake.NewClientBuilder().WithScheme(scheme).WithObjects(live).WithStatusSubresource(live).Build()
	if d := plan(cluster, right); d.Plan.Action != managed.PlanUnchanged {
		t.Errorf("applied and unchanged: %+v", d.Plan)
	}
	// A rotated value in the Secret is sent again: the masked remote value cannot show it, the hash does.
	d := plan(cluster, "another-secret-value")
	var out bytes.Buffer
	PrintDiff(&out, []ObjectDiff{d})
	if d.Plan.Action != managed.PlanUpdate || !strings.Contains(out.String(), "~ auth_config.token: (secret) -> (secret)") {
		t.Errorf("rotated: %+v\n%s", d.Plan, out.String())
	}
	if strings.Contains(out.String(), "another-secret-value") || strings.Contains(out.String(), right) {
		t.Errorf("a secret value is printed:\n%s", out.String())
	}
}

// TestDiffReplace reports a Connection whose source or destination changed as a replacement: hookstream cannot
// re-point a connection, so the operator deletes it and creates another.
func TestDiffReplace(t *testing.T) {
	dir, opts := exportDir(t)
	m, err := LoadManifests([]string{filepath.Join(dir, "connection-github-to-orders.yaml")}, "team", nil)
	if err != nil {
		t.Fatal(err)
	}
	live := m.Objects[0].DeepCopyObject().(*v1.Connection)
	live.Spec.AdoptID = ""
	live.Status.ID = m.Objects[0].GetManagedSpec().AdoptID
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = v1.AddToScheme(scheme)
	opts.Cluster = fake.NewClientBuilder().WithScheme(scheme).WithObjects(live).WithStatusSubresource(live).Build()

	hand := filepath.Join(t.TempDir(), "moved.yaml")
	manifest := strings.Replace(strings.Replace(string(mustRead(t, filepath.Join(dir, "connection-github-to-orders.yaml"))),
		"name: orders", "name: plain", 1), "  adoptID: "+live.Status.ID+"\n", "", 1)
	if err := os.WriteFile(hand, []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	diffs, out, differs := runDiff(t, opts, hand, filepath.Join(dir, "source-github.yaml"), filepath.Join(dir, "destination-plain.yaml"))
	var conn ObjectDiff
	for _, d := range diffs {
		if d.Kind == kindConnection {
			conn = d
		}
	}
	if !differs || conn.Plan.Action != managed.PlanReplace || !strings.Contains(out, "would delete it and create it anew: its destination changed") {
		t.Errorf("plan %+v\n%s", conn.Plan, out)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDiffHeaders compares the headers that can be compared: a changed plain header is a difference even when a
// Secret of the object is unavailable; only a header read from an unavailable Secret is not comparable.
func TestDiffHeaders(t *testing.T) {
	dir, opts := exportDir(t)
	path := filepath.Join(dir, "destination-orders.yaml")
	original := string(mustRead(t, path))
	// The exported secret headers' values; the bearer token stays unavailable.
	secrets := filepath.Join(t.TempDir(), "secrets.yaml")
	value := func(key string) string { return secretValue("orders-destination-secrets", key) }
	if err := os.WriteFile(secrets, []byte("apiVersion: v1\nkind: Secret\nmetadata: {name: orders-destination-secrets}\nstringData:\n"+
		"  header-authorization: "+value("header-authorization")+"\n"+
		"  header-x-webhook-signature-key: "+value("header-x-webhook-signature-key")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := "    - name: X-Team\n      valueFrom: {name: missing, key: team}\n"
	cases := map[string]struct {
		old, replacement string
		differs          bool
		line             string
	}{
		"plain header changed": {"X-Team: orders", "X-Team: orders-v2", true, "  ~ headers: hookstream"},
		"header from an unavailable Secret": {"    headers:\n      X-Team: orders\n    headersFrom:\n",
			"    headersFrom:\n" + missing, false, "  ? headers: cannot be compared without its value"},
		"header from an unavailable Secret and a plain one changed": {"    headers:\n      X-Team: orders\n    headersFrom:\n",
			"    headers:\n      X-Extra: \"1\"\n    headersFrom:\n" + missing, true, "  ~ headers: hookstream"},
		"header from an unavailable Secret that hookstream lacks": {"    headersFrom:\n",
			"    headersFrom:\n    - name: X-Other\n      valueFrom: {name: missing, key: other}\n", true, "  ~ headers: hookstream"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(path, []byte(original), 0o644); err != nil {
				t.Fatal(err)
			}
			edit(t, path, tc.old, tc.replacement)
			_, out, differs := runDiff(t, opts, path, secrets)
			if differs != tc.differs || !strings.Contains(out, tc.line) {
				t.Errorf("differs %t, want %t and a line %q:\n%s", differs, tc.differs, tc.line, out)
			}
		})
	}
}

// TestDiffConnectionWaitsForBlockedEnd: a Connection whose Destination would be created or stops on a conflict
// waits for it; it never takes the id of the resource the conflict names, which is someone else's.
func TestDiffConnectionWaitsForBlockedEnd(t *testing.T) {
	dir, opts := exportDir(t)
	manifest := `apiVersion: hookstream.io/v1alpha1
kind: Destination
metadata: {name: taken}
spec: {slug: orders, http: {url: "https://orders.example.com/hooks"}}
---
apiVersion: hookstream.io/v1alpha1
kind: Destination
metadata: {name: fresh}
spec: {slug: fresh, http: {url: "https://fresh.example.com/"}}
---
apiVersion: hookstream.io/v1alpha1
kind: Connection
metadata: {name: to-taken}
spec: {sourceRef: {name: github}, destinationRef: {name: taken}}
---
apiVersion: hookstream.io/v1alpha1
kind: Connection
metadata: {name: to-fresh}
spec: {sourceRef: {name: github}, destinationRef: {name: fresh}}
`
	path := filepath.Join(t.TempDir(), "hand.yaml")
	if err := os.WriteFile(path, []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	diffs, out, _ := runDiff(t, opts, path, filepath.Join(dir, "source-github.yaml"))
	for _, d := range diffs {
		if d.Kind != kindConnection {
			continue
		}
		if d.Plan.Action != managed.PlanWait || d.Plan.Reason != v1.ReasonWaitingForDestination || d.Plan.RemoteID != "" {
			t.Errorf("Connection %s: %+v, want a wait for its Destination", d.Name, d.Plan)
		}
	}
	if strings.Count(out, "wait (WaitingForDestination)") != 2 {
		t.Errorf("output:\n%s", out)
	}
}

// TestDiffReadsClusterAnnotations: the pause and the create marker of the cluster's object, which the manifests do
// not carry, decide the plan as they decide the reconcile.
func TestDiffReadsClusterAnnotations(t *testing.T) {
	dir, opts := exportDir(t)
	m, err := LoadManifests([]string{filepath.Join(dir, "destination-plain.yaml")}, "team", nil)
	if err != nil {
		t.Fatal(err)
	}
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = v1.AddToScheme(scheme)
	live := m.Objects[0].DeepCopyObject().(*v1.Destination)
	live.Annotations = map[string]string{v1.AnnotationPaused: "true"}
	opts.Cluster = fake.NewClientBuilder().WithScheme(scheme).WithObjects(live).Build()
	diffs, err := Diff(context.Background(), m, *opts)
	if err != nil {
		t.Fatal(err)
	}
	if d := diffs[0]; d.Plan.Action != managed.PlanPaused || d.Differs() {
		t.Errorf("paused in the cluster: %+v", d.Plan)
	}
}

// TestDiffEmptyManifestSecretFallsBackToCluster: a key an unfilled Secret manifest leaves empty is read from the
// cluster's Secret.
func TestDiffEmptyManifestSecretFallsBackToCluster(t *testing.T) {
	dir, opts := exportDir(t)
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = v1.AddToScheme(scheme)
	inCluster := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "billing-destination-secrets", Namespace: "team"},
		Data: map[string][]byte{"password": []byte(secretValue("billing-destination-secrets", "password"))}}
	opts.Cluster = fake.NewClientBuilder().WithScheme(scheme).WithObjects(inCluster).Build()
	diffs, out, _ := runDiff(t, opts, filepath.Join(dir, "destination-billing.yaml"), filepath.Join(dir, SecretsExampleFile))
	if d := diffs[0]; len(d.Unavailable) != 0 {
		t.Errorf("the cluster's value is hidden by the empty manifest one: unavailable %v\n%s", d.Unavailable, out)
	}
}

// TestDiffPerObjectCredentials reads each object with the API key of its own credentials Secret: an object of
// another project is found there, and the plugin's key neither reads it nor keys its secrets hash.
func TestDiffPerObjectCredentials(t *testing.T) {
	const otherKey = "hs_test_plugin000000000000000000000000000000000000000000000000000002"
	emu, err := emulator.New(emulator.Options{APIKeys: []string{testAPIKey, otherKey}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	t.Cleanup(func() {
		srv.Close()
		_ = emu.Close()
	})
	connect := func(key string) (*hookstream.Client, error) {
		return hookstream.New(hookstream.Options{BaseURL: srv.URL + "/v1", APIKey: key})
	}
	mine, _ := connect(testAPIKey)
	other, _ := connect(otherKey)
	token := "a-bearer-token-of-the-other-project"
	d, err := other.CreateDestination(context.Background(), &hookstream.CreateRequest{Name: "Other", Slug: "other", Type: "http",
		URL: "https://other.example.com/", AuthType: "bearer", AuthConfig: map[string]string{"token": token}})
	if err != nil {
		t.Fatal(err)
	}
	manifest := `apiVersion: v1
kind: Secret
metadata: {name: other-project}
stringData: {apiKey: ` + otherKey + `}
---
apiVersion: v1
kind: Secret
metadata: {name: other-token}
stringData: {token: ` + token + `}
---
apiVersion: hookstream.io/v1alpha1
kind: Destination
metadata: {name: other}
spec:
  adoptID: ` + d.ID + `
  credentialsRef: {name: other-project}
  displayName: Other
  slug: other
  http:
    url: https://other.example.com/
    auth: {type: bearer, bearer: {tokenSecretRef: {name: other-token, key: token}}}
`
	path := filepath.Join(t.TempDir(), "other.yaml")
	if err := os.WriteFile(path, []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := LoadManifests([]string{path}, "team", nil)
	if err != nil {
		t.Fatal(err)
	}
	// The cluster recorded the id and the hash of the token as applied with the other project's key.
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = v1.AddToScheme(scheme)
	live := m.Objects[0].DeepCopyObject().(*v1.Destination)
	live.Status.ID = d.ID
	live.Status.AppliedSecretsHash = managed.SecretsHash([]string{"auth_config.token=" + token}, otherKey)
	cluster := fake.NewClientBuilder().WithScheme(scheme).WithObjects(live).WithStatusSubresource(live).Build()

	opts := DiffOptions{Namespace: "team", Hookstream: mine, APIKey: testAPIKey, Connect: connect, Cluster: cluster}
	plan, err := controller.Planner{Client: other, APIKey: otherKey}.Plan(context.Background(), live.DeepCopy(), managed.Refs{
		Secret: func(v1.SecretKeySelector) (string, error) { return token, nil }})
	if err != nil || plan.Action != managed.PlanUnchanged {
		t.Fatalf("the fixture's recorded hash is not the operator's: %+v, %v", plan, err)
	}
	diffs, err := Diff(context.Background(), m, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := diffs[0].Plan; got.Action != managed.PlanUnchanged || got.RemoteID != d.ID {
		t.Errorf("the other project's Destination: %+v, want unchanged", got)
	}
}
