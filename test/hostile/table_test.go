// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hostile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/emulator"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/test/harness"
)

// row is one hostile input and how it must be refused. Exactly one of apply and reason is set.
type row struct {
	name string
	// objects are YAML documents created in order in the row's own namespace: the Secrets and ConfigMaps the
	// input needs first, the hostile Destination, Source or Connection last. ${NAME} stands for the value named
	// NAME that remote returned.
	objects string
	// change, when set, is YAML of objects already created by objects, sent as an update: the refusal is
	// expected on it (immutable fields). Such rows carry the hookstream.io/paused annotation, so that the valid
	// object they start from is not written to hookstream either.
	change string
	// remote, when set, prepares the row's hookstream project before objects are created (a source and a
	// destination for a Connection to route between, a slug already taken...) and returns the values that
	// objects refers to as ${NAME}. Its calls are the test's, not counted against the row.
	remote func(ctx context.Context, hs *hookstream.Client) (map[string]string, error)
	// afterReady, when set, waits until the object is Ready, then changes its project in hookstream this way
	// (such as deleting the resource it adopted) and asks for a reconcile; the refusal is expected after it.
	afterReady func(ctx context.Context, hs *hookstream.Client, values map[string]string) error
	// noCredentials leaves the row's namespace without the default credentials Secret.
	noCredentials bool

	// apply is a part of the message the API server refuses the last document (or the change) with: what
	// `kubectl apply` shows.
	apply string
	// reason is the condition reason the manager sets on Ready or Stalled of the last document.
	reason string
	// remoteCalls is how many writes (POST, PUT, PATCH, DELETE) the manager may send to hookstream for the row:
	// 0 unless the refusal can only come from hookstream's answer to one call.
	remoteCalls int
	// secret is a secret value the row's objects hold: it must appear in no refusal message, condition, event or
	// manager log.
	secret string

	// manager is the set-up whose manager handles the row; nil is the default one.
	manager *managerSetup
}

// managerSetup is a manager with its own flags, for rows that need them; each runs only if one of its rows does.
type managerSetup struct {
	name  string
	flags []string
}

var (
	defaultManager = &managerSetup{name: "default"}
	// denyInternal refuses URLs that name loopback, link-local, private or metadata addresses.
	denyInternal = &managerSetup{name: "deny-internal", flags: []string{"--destination-url-policy=deny-internal"}}
	// labelledSecrets lets objects send only Secrets carrying the label sendableLabel.
	labelledSecrets = &managerSetup{name: "labelled-secrets",
		flags: []string{"--secret-reference-label=" + sendableLabel + "=true"}}
)

const (
	sendableLabel = "hookstream.io/sendable"
	// rowTimeout bounds how long a row waits for the manager's verdict.
	rowTimeout = 60 * time.Second
)

// rowState is what a row recorded for the checks made once every row has run.
type rowState struct {
	row       row
	envID     string
	since     time.Time
	namespace string
}

func TestHostileInputs(t *testing.T) {
	rows := slices.Concat(destinationRows(), sourceRows(), connectionRows())
	seen := map[string]bool{}
	for _, r := range rows {
		if seen[r.name] {
			t.Fatalf("two rows are named %q", r.name)
		}
		seen[r.name] = true
		if (r.apply == "") == (r.reason == "") {
			t.Fatalf("row %q must set exactly one of apply and reason", r.name)
		}
	}

	keys := make([]string, len(rows))
	emuArgs := []string{}
	for i := range rows {
		keys[i] = fmt.Sprintf("hs_test_%064x", 0xbad000+i)
		emuArgs = append(emuArgs, "--api-key", keys[i])
	}
	emu, err := env.StartEmulatorWithKey(keys[0], emuArgs[2:]...)
	must(t, err)
	t.Cleanup(emu.Stop)

	k8s, err := client.New(env.ControlPlane.Config, client.Options{Scheme: env.ControlPlane.Scheme})
	must(t, err)

	// Each row has its namespace, made before the managers start so that each can be told its own.
	namespaces := make([]string, len(rows))
	byManager := map[*managerSetup][]string{}
	for i, r := range rows {
		namespaces[i] = fmt.Sprintf("hostile-%03d", i)
		byManager[managerOf(r)] = append(byManager[managerOf(r)], namespaces[i])
	}
	ctx := context.Background()
	for i, r := range rows {
		must(t, k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespaces[i]}}))
		if !r.noCredentials {
			must(t, k8s.Create(ctx, &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Name: "hookstream-credentials", Namespace: namespaces[i]},
				StringData: map[string]string{"apiKey": keys[i]},
			}))
		}
	}
	var managers []*harness.Process
	for setup, nss := range byManager {
		args := append(harness.ManagerArgs(emu), setup.flags...)
		if len(byManager) > 1 {
			// Managers of different flags share the cluster by namespace.
			args = append(args, "--watch-namespaces", strings.Join(nss, ","))
		}
		p, err := env.Start("manager-"+setup.name, env.ManagerBin, []string{"KUBECONFIG=" + env.SAKubeconfig}, args...)
		must(t, err)
		t.Cleanup(p.Stop)
		managers = append(managers, p)
	}

	var (
		mu     sync.Mutex
		states []rowState
	)
	t.Run("rows", func(t *testing.T) {
		for i, r := range rows {
			t.Run(r.name, func(t *testing.T) {
				t.Parallel()
				st := rowState{row: r, envID: emulator.ProjectForKey(keys[i]).EnvID, namespace: namespaces[i]}
				hs, err := hookstream.New(hookstream.Options{BaseURL: emu.URL + "/v1", APIKey: keys[i]})
				must(t, err)
				st.since = runRow(t, k8s, hs, emu, st)
				mu.Lock()
				states = append(states, st)
				mu.Unlock()
			})
		}
	})

	// The checks every row shares, once all have run: a write that came late is counted too.
	reqs, err := emu.Requests()
	must(t, err)
	for _, st := range states {
		if w := writesOf(reqs, st.envID, st.since); len(w) > st.row.remoteCalls {
			t.Errorf("row %q: hookstream received %d writes, at most %d allowed: %v", st.row.name, len(w),
				st.row.remoteCalls, w)
		}
	}
	for _, r := range reqs {
		if r.EnvID == "" && !strings.HasPrefix(r.Path, "/v1/ingest/") {
			t.Errorf("hookstream received a call with no known API key: %s %s (%d)", r.Method, r.Path, r.Status)
		}
	}
	for _, p := range managers {
		logs, err := os.ReadFile(p.LogPath)
		must(t, err)
		secrets := map[string][]string{}
		for _, st := range states {
			if s := st.row.secret; s != "" {
				secrets[s] = append(secrets[s], st.row.name)
			}
		}
		for s, names := range secrets {
			if bytes.Contains(logs, []byte(s)) {
				t.Errorf("a secret value of rows %q appears in the log of manager %s", names, p.Name)
			}
		}
		if strings.Contains(string(logs), "panic") {
			t.Errorf("the manager's log mentions a panic:\n%s", p.Tail(40))
		}
	}
	t.Logf("%d rows", len(rows))
}

func managerOf(r row) *managerSetup {
	if r.manager == nil {
		return defaultManager
	}
	return r.manager
}

// runRow applies the row and checks its refusal; it returns the time from which the row's writes are counted.
func runRow(t *testing.T, k8s client.Client, hs *hookstream.Client, emu *harness.Emulator, st rowState) time.Time {
	ctx, cancel := context.WithTimeout(context.Background(), rowTimeout)
	defer cancel()
	r := st.row
	values := map[string]string{}
	if r.remote != nil {
		var err error
		values, err = r.remote(ctx, hs)
		must(t, err)
	}
	since := time.Now()

	docs := decode(t, expand(r.objects, values), st.namespace)
	for i, obj := range docs {
		err := k8s.Create(ctx, obj)
		last := i == len(docs)-1
		if last && r.apply != "" && r.change == "" {
			checkRefused(t, err, r)
			checkWrites(t, emu, st.envID, since, r.remoteCalls)
			return since
		}
		if err != nil {
			t.Fatalf("creating %s %s: %v", obj.GetKind(), obj.GetName(), err)
		}
	}
	if r.change != "" {
		var err error
		for _, obj := range decode(t, expand(r.change, values), st.namespace) {
			// The spec is replaced on the stored object, whose metadata (the manager's finalizer) stays; an update
			// that raced with the manager's is made again on the newer object.
			err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
				current := &unstructured.Unstructured{}
				current.SetGroupVersionKind(obj.GroupVersionKind())
				if err := k8s.Get(ctx, client.ObjectKeyFromObject(obj), current); err != nil {
					return err
				}
				current.Object["spec"] = obj.Object["spec"]
				return k8s.Update(ctx, current)
			})
			if err != nil {
				break
			}
		}
		checkRefused(t, err, r)
		checkWrites(t, emu, st.envID, since, r.remoteCalls)
		return since
	}

	target := docs[len(docs)-1]
	if r.afterReady != nil {
		waitCondition(ctx, t, k8s, target, func(ready, _ *metav1.Condition) bool {
			return ready != nil && ready.Status == metav1.ConditionTrue
		}, "Ready")
		must(t, r.afterReady(ctx, hs, values))
		since = time.Now()
		current := target.DeepCopy()
		must(t, k8s.Get(ctx, client.ObjectKeyFromObject(target), current))
		annotations := current.GetAnnotations()
		if annotations == nil {
			annotations = map[string]string{}
		}
		annotations[v1.AnnotationReconcileRequestedAt] = since.Format(time.RFC3339Nano)
		current.SetAnnotations(annotations)
		must(t, k8s.Update(ctx, current))
	}
	got := waitCondition(ctx, t, k8s, target, func(ready, stalled *metav1.Condition) bool {
		return ready != nil && ready.Reason == r.reason ||
			stalled != nil && stalled.Status == metav1.ConditionTrue && stalled.Reason == r.reason
	}, "reason "+r.reason)
	checkWrites(t, emu, st.envID, since, r.remoteCalls)
	if r.secret != "" {
		if strings.Contains(got, r.secret) {
			t.Errorf("the secret value appears in the object's status:\n%s", got)
		}
		events := &corev1.EventList{}
		must(t, k8s.List(ctx, events, client.InNamespace(st.namespace)))
		for _, e := range events.Items {
			if strings.Contains(e.Message, r.secret) {
				t.Errorf("the secret value appears in event %s: %s", e.Reason, e.Message)
			}
		}
	}
	return since
}

// checkRefused expects err to be the API server's refusal carrying the row's message, without its secret.
func checkRefused(t *testing.T, err error, r row) {
	t.Helper()
	if err == nil {
		t.Fatalf("the API server accepted the object; want a refusal containing %q", r.apply)
	}
	if !strings.Contains(err.Error(), r.apply) {
		t.Errorf("refusal %q does not contain %q", err.Error(), r.apply)
	}
	if r.secret != "" && strings.Contains(err.Error(), r.secret) {
		t.Errorf("the refusal shows the secret value: %q", err.Error())
	}
}

// checkWrites expects at most allowed writes to hookstream in the project since the row began.
func checkWrites(t *testing.T, emu *harness.Emulator, envID string, since time.Time, allowed int) {
	t.Helper()
	reqs, err := emu.Requests()
	must(t, err)
	if w := writesOf(reqs, envID, since); len(w) > allowed {
		t.Errorf("hookstream received %d writes for the row, at most %d allowed: %v", len(w), allowed, w)
	}
}

// writesOf lists the POST, PUT, PATCH and DELETE calls of the project that arrived after since.
func writesOf(reqs []harness.Request, envID string, since time.Time) []string {
	var out []string
	for _, r := range reqs {
		if r.EnvID != envID || r.Start.Before(since) {
			continue
		}
		switch r.Method {
		case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
			out = append(out, fmt.Sprintf("%s %s (%d)", r.Method, r.Path, r.Status))
		}
	}
	return out
}

// waitCondition polls the object until done accepts its Ready and Stalled conditions, and returns its status, for
// the checks that follow. The rows' objects are never changed after they are created, so any condition is about
// their one generation (a Connection waiting for its Source leaves observedGeneration at 0).
func waitCondition(ctx context.Context, t *testing.T, k8s client.Client, target *unstructured.Unstructured,
	done func(ready, stalled *metav1.Condition) bool, what string) string {
	t.Helper()
	var last string
	for {
		obj := target.DeepCopy()
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(target), obj); err == nil {
			status, _, _ := unstructured.NestedMap(obj.Object, "status")
			observed, _, _ := unstructured.NestedInt64(obj.Object, "status", "observedGeneration")
			ready, stalled := conditions(status)
			last = fmt.Sprintf("observedGeneration %d of %d, Ready %s, Stalled %s", observed, obj.GetGeneration(),
				describe(ready), describe(stalled))
			if done(ready, stalled) {
				return fmt.Sprint(status)
			}
		} else if ctx.Err() == nil {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s %s: no %s after %s; last seen: %s", target.GetKind(), target.GetName(), what, rowTimeout, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func conditions(status map[string]any) (ready, stalled *metav1.Condition) {
	list, _, _ := unstructured.NestedSlice(status, "conditions")
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			continue
		}
		c := &metav1.Condition{}
		c.Type, _ = m["type"].(string)
		s, _ := m["status"].(string)
		c.Status = metav1.ConditionStatus(s)
		c.Reason, _ = m["reason"].(string)
		c.Message, _ = m["message"].(string)
		switch c.Type {
		case v1.ConditionReady:
			ready = c
		case v1.ConditionStalled:
			stalled = c
		}
	}
	return ready, stalled
}

func describe(c *metav1.Condition) string {
	if c == nil {
		return "(none)"
	}
	return fmt.Sprintf("%s/%s %q", c.Status, c.Reason, c.Message)
}

// expand replaces each ${NAME} of values in the manifest.
func expand(manifest string, values map[string]string) string {
	for k, v := range values {
		manifest = strings.ReplaceAll(manifest, "${"+k+"}", v)
	}
	return manifest
}

// decode reads the YAML documents of a manifest, each into the namespace.
func decode(t *testing.T, manifest, namespace string) []*unstructured.Unstructured {
	t.Helper()
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(manifest), 4096)
	var out []*unstructured.Unstructured
	for {
		obj := &unstructured.Unstructured{}
		err := dec.Decode(&obj.Object)
		if errors.Is(err, io.EOF) {
			break
		}
		must(t, err)
		if len(obj.Object) == 0 {
			continue
		}
		obj.SetNamespace(namespace)
		out = append(out, obj)
	}
	if len(out) == 0 {
		t.Fatal("the row has no objects")
	}
	return out
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
