// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hookstream/hookstream-operator/internal/emulator"
	"github.com/hookstream/hookstream-operator/test/harness/harnesstest"
)

const (
	routeCreate = emulator.RouteCreateDestination
	routeGet    = emulator.RouteGetDestination
)

// destinationJSON is the part of a Destination the tests read through kubectl.
type destinationJSON struct {
	Metadata struct {
		Name            string `json:"name"`
		ResourceVersion string `json:"resourceVersion"`
	} `json:"metadata"`
	Status struct {
		ID             string `json:"id"`
		State          string `json:"state"`
		EventCount     int64  `json:"eventCount"`
		LastDeliveryAt string `json:"lastDeliveryAt"`
	} `json:"status"`
}

func getDestination(t *testing.T, namespace, name string) destinationJSON {
	t.Helper()
	var d destinationJSON
	if err := json.Unmarshal([]byte(s.MustKubectl(t, "get", "destination", name, "-n", namespace, "-o", "json")), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func listDestinations(t *testing.T, namespace string) []destinationJSON {
	t.Helper()
	var list struct {
		Items []destinationJSON `json:"items"`
	}
	if err := json.Unmarshal([]byte(s.MustKubectl(t, "get", "destinations", "-n", namespace, "-o", "json")), &list); err != nil {
		t.Fatal(err)
	}
	return list.Items
}

func TestLifecycleWithKubectl(t *testing.T) {
	emu := s.StartEmulator(t)
	ns := s.NewNamespace(t, "lifecycle")
	mgr := s.StartManager(t, emu, ns)
	rcv := harnesstest.NewReceiver(t)

	s.Apply(t, ns, fmt.Sprintf(`
apiVersion: v1
kind: Secret
metadata: {name: receiver-auth}
stringData: {token: e2e-bearer-token-0001, signature: e2e-signature-0002}
---
apiVersion: hookstream.io/v1alpha1
kind: Destination
metadata: {name: orders}
spec:
  displayName: Orders
  http:
    url: %s/hooks
    headers: {X-Team: payments}
    headersFrom:
    - name: X-Signature
      valueFrom: {name: receiver-auth, key: signature}
    auth:
      type: bearer
      bearer:
        tokenSecretRef: {name: receiver-auth, key: token}
  retry: {maxAttempts: 2, intervalsSeconds: [1]}
`, rcv.URL))
	if _, err := s.Kubectl("wait", "destination/orders", "-n", ns, "--for=condition=Ready", "--timeout=60s"); err != nil {
		t.Fatalf("%v\nmanager logs:\n%s", err, mgr.Logs())
	}

	wide := s.MustKubectl(t, "get", "destinations", "-n", ns, "-o", "wide")
	d := getDestination(t, ns, "orders")
	for _, want := range []string{"ID", "STATE", "READY", "SYNCED", "LAST DELIVERY", "SLUG", d.Status.ID, "active", "True"} {
		if !strings.Contains(wide, want) {
			t.Errorf("kubectl get -o wide lacks %q:\n%s", want, wide)
		}
	}
	describe := s.MustKubectl(t, "describe", "destination", "orders", "-n", ns)
	for _, want := range []string{"Ready", "Available", "Created", "Applied Secrets Hash"} {
		if !strings.Contains(describe, want) {
			t.Errorf("kubectl describe lacks %q:\n%s", want, describe)
		}
	}

	// Deliveries reach the receiver with the headers taken from the Secret.
	var result emulator.DeliveryResult
	emu.Admin(t, "POST", "/_emulator/destinations/"+d.Status.ID+"/deliveries", map[string]int{"count": 3}, &result)
	got := rcv.Received()
	if len(got) != 3 {
		t.Fatalf("receiver got %d deliveries, want 3 (result %+v)", len(got), result)
	}
	for _, req := range got {
		if req.Header.Get("Authorization") != "Bearer e2e-bearer-token-0001" || req.Header.Get("X-Signature") != "e2e-signature-0002" ||
			req.Header.Get("X-Team") != "payments" || req.Header.Get("X-hookstream-Event-Id") == "" {
			t.Errorf("delivery headers = %v", req.Header)
		}
	}
	s.MustKubectl(t, "annotate", "destination", "orders", "-n", ns, "--overwrite", "hookstream.io/reconcile-requested-at="+time.Now().Format(time.RFC3339Nano))
	harnesstest.WaitUntil(t, 30*time.Second, "event count in status", func() error {
		if d = getDestination(t, ns, "orders"); d.Status.EventCount != 3 || d.Status.LastDeliveryAt == "" {
			return fmt.Errorf("eventCount %d lastDeliveryAt %q", d.Status.EventCount, d.Status.LastDeliveryAt)
		}
		return nil
	})

	// An edit of the spec reaches hookstream as a PATCH.
	before := emu.Stats(t)
	s.MustKubectl(t, "patch", "destination", "orders", "-n", ns, "--type=merge", "-p", `{"spec":{"state":"paused"}}`)
	harnesstest.WaitUntil(t, 30*time.Second, "state paused", func() error {
		if d = getDestination(t, ns, "orders"); d.Status.State != "paused" {
			return fmt.Errorf("state %q", d.Status.State)
		}
		return nil
	})
	if n := emu.Stats(t).Count(emulator.RouteUpdateDestination) - before.Count(emulator.RouteUpdateDestination); n != 1 {
		t.Errorf("%d PATCHes for one edit", n)
	}

	s.MustKubectl(t, "delete", "destination", "orders", "-n", ns, "--timeout=60s")
	if n := emu.Stats(t).CountStatus(emulator.RouteDeleteDestination, 200); n != 1 {
		t.Errorf("%d successful DELETEs, want 1", n)
	}
}

func TestInvalidManifestsAreRejected(t *testing.T) {
	ns := s.NewNamespace(t, "invalid")
	tests := map[string]struct {
		spec    string
		message string
	}{
		"bad url":        {spec: `http: {url: "not a url"}`, message: "url must be an absolute http:// or https:// URL"},
		"unknown method": {spec: `http: {url: "https://e.com", method: GET}`, message: `Unsupported value: "GET"`},
		"retry out of range": {spec: "http: {url: \"https://e.com\"}\n  retry: {maxAttempts: 50}",
			message: "spec.retry.maxAttempts in body should be less than or equal to 10"},
		"two provider blocks": {spec: "http: {url: \"https://e.com\"}\n  websocket: {channelName: x}", message: "set exactly one provider block"},
		"inline secret": {spec: `http: {url: "https://e.com", auth: {type: bearer, bearer: {token: abc}}}`,
			message: `unknown field "spec.http.auth.bearer.token"`},
		"secret in another namespace": {spec: `http: {url: "https://e.com", auth: {type: bearer, bearer: {tokenSecretRef: {name: s, key: k, namespace: other}}}}`,
			message: `unknown field "spec.http.auth.bearer.tokenSecretRef.namespace"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			manifest := fmt.Sprintf("apiVersion: hookstream.io/v1alpha1\nkind: Destination\nmetadata: {name: bad}\nspec:\n  %s\n", tc.spec)
			_, err := s.KubectlStdin(strings.NewReader(manifest), "apply", "-n", ns, "-f", "-")
			if err == nil {
				t.Fatalf("kubectl apply accepted:\n%s", manifest)
			}
			if !strings.Contains(err.Error(), tc.message) {
				t.Errorf("kubectl apply error does not contain %q:\n%v", tc.message, err)
			}
		})
	}

	// The slug cannot be changed once set.
	s.Apply(t, ns, "apiVersion: hookstream.io/v1alpha1\nkind: Destination\nmetadata: {name: fixed}\nspec:\n  slug: one\n  http: {url: \"https://e.com\"}\n")
	_, err := s.KubectlStdin(strings.NewReader("apiVersion: hookstream.io/v1alpha1\nkind: Destination\nmetadata: {name: fixed}\nspec:\n  slug: two\n  http: {url: \"https://e.com\"}\n"),
		"apply", "-n", ns, "-f", "-")
	if err == nil || !strings.Contains(err.Error(), "spec.slug is immutable") {
		t.Errorf("changing the slug: err = %v", err)
	}
}

func TestExplainDocumentsTheSpec(t *testing.T) {
	out := strings.Join(strings.Fields(s.MustKubectl(t, "explain", "destination.spec")), " ")
	for _, want := range []string{"credentialsRef", "managementPolicy", "deletionPolicy", "http", "awsSqs", "retry", "circuitBreaker",
		"Defaults to metadata.name", "Fields left unset are not managed"} {
		if !strings.Contains(out, want) {
			t.Errorf("kubectl explain destination.spec lacks %q", want)
		}
	}
	out = strings.Join(strings.Fields(s.MustKubectl(t, "explain", "destination.spec.http.timeoutSeconds")), " ")
	if !strings.Contains(out, "1 to 120 seconds") {
		t.Errorf("kubectl explain destination.spec.http.timeoutSeconds:\n%s", out)
	}
}

// TestRestartMakesNoWrites restarts the manager with Ready destinations: it must read hookstream and write nothing,
// neither to hookstream nor to Kubernetes.
func TestRestartMakesNoWrites(t *testing.T) {
	emu := s.StartEmulator(t)
	ns := s.NewNamespace(t, "restart")
	mgr := s.StartManager(t, emu, ns)
	const n = 8
	var manifest strings.Builder
	for i := range n {
		fmt.Fprintf(&manifest, "---\napiVersion: hookstream.io/v1alpha1\nkind: Destination\nmetadata: {name: d%d}\nspec:\n  http: {url: \"https://e.com/%d\"}\n  retry: {maxAttempts: 3}\n", i, i)
	}
	s.Apply(t, ns, manifest.String())
	if _, err := s.Kubectl("wait", "destinations", "--all", "-n", ns, "--for=condition=Ready", "--timeout=60s"); err != nil {
		t.Fatalf("%v\n%s", err, mgr.Logs())
	}
	mgr.Stop()
	versions := map[string]string{}
	for _, d := range listDestinations(t, ns) {
		versions[d.Metadata.Name] = d.Metadata.ResourceVersion
	}
	before := emu.Stats(t)

	// A short interval makes the restarted manager spread its first checks over 3 s, and run them from one list.
	s.StartManager(t, emu, ns, "--drift-interval", "3s")
	harnesstest.WaitUntil(t, 60*time.Second, "the first checks after the restart", func() error {
		if got := emu.Stats(t).Count(emulator.RouteListDestinations) - before.Count(emulator.RouteListDestinations); got < 1 {
			return fmt.Errorf("%d list calls", got)
		}
		return nil
	})
	time.Sleep(5 * time.Second) // every first check has run by now; a write, if any, would have landed
	after := emu.Stats(t)
	if g := after.Count(routeGet) - before.Count(routeGet); g != 0 {
		t.Errorf("%d GETs by id after the restart: the periodic checks should share the list", g)
	}
	if w := after.Writes() - before.Writes(); w != 0 {
		t.Errorf("%d writes to hookstream after a restart", w)
	}
	for _, d := range listDestinations(t, ns) {
		if versions[d.Metadata.Name] != d.Metadata.ResourceVersion {
			t.Errorf("%s was written after the restart (resourceVersion %s -> %s)", d.Metadata.Name, versions[d.Metadata.Name], d.Metadata.ResourceVersion)
		}
	}
}
