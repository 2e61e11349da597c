// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/test/harness"
	"github.com/hookstream/hookstream-operator/test/harness/harnesstest"
)

// gatewayManifests is a whole webhook route: a GitHub Source, an http Destination at the receiver, and a
// Connection with a filter and a transform.
const gatewayManifests = `
apiVersion: v1
kind: Secret
metadata: {name: github-signing}
stringData: {secret: e2e-github-secret-0001}
---
apiVersion: hookstream.io/v1alpha1
kind: Source
metadata: {name: github}
spec:
  template: github
  verification:
    secretRef: {name: github-signing, key: secret}
---
apiVersion: hookstream.io/v1alpha1
kind: Destination
metadata: {name: bot}
spec:
  http: {url: "%s/hooks"}
---
apiVersion: hookstream.io/v1alpha1
kind: Connection
metadata: {name: opened-prs}
spec:
  sourceRef: {name: github}
  destinationRef: {name: bot}
  filters:
  - {field: payload.action, op: eq, value: opened}
  transform: '{"event": "pr-opened", "number": pull_request.number}'
`

// TestGatewayWithKustomize applies a whole route with one `kubectl apply -k`, as a user or a GitOps tool does,
// sends a matching and a non-matching webhook, and removes it all with one `kubectl delete -k`.
func TestGatewayWithKustomize(t *testing.T) {
	ctx := context.Background()
	emu := s.StartEmulator(t)
	ns := s.NewNamespace(t, "gateway")
	mgr := s.StartManager(t, emu, ns)
	rcv := harnesstest.NewReceiver(t)

	dir := t.TempDir()
	harnesstest.Must(t, os.WriteFile(filepath.Join(dir, "route.yaml"), fmt.Appendf(nil, gatewayManifests, rcv.URL), 0o600))
	harnesstest.Must(t, os.WriteFile(filepath.Join(dir, "kustomization.yaml"),
		[]byte("namespace: "+ns+"\nresources: [route.yaml]\n"), 0o600))
	s.MustKubectl(t, "apply", "-k", dir)
	if _, err := s.Kubectl("wait", "source,destination,connection", "--all", "-n", ns, "--for=condition=Ready", "--timeout=90s"); err != nil {
		t.Fatalf("%v\n%s\nmanager logs:\n%s", err, s.MustKubectl(t, "get", "hookstream", "-n", ns, "-o", "wide"), mgr.Logs())
	}
	all := s.MustKubectl(t, "get", "hookstream", "-n", ns)
	for _, want := range []string{"source.hookstream.io/github", "destination.hookstream.io/bot", "connection.hookstream.io/opened-prs"} {
		if !strings.Contains(all, want) {
			t.Errorf("kubectl get hookstream lacks %s:\n%s", want, all)
		}
	}

	ingest := s.MustKubectl(t, "get", "source", "github", "-n", ns, "-o", "jsonpath={.status.ingestURL}")
	for _, body := range []string{`{"action":"closed","pull_request":{"number":7}}`, `{"action":"opened","pull_request":{"number":42}}`} {
		if code, answer, err := harness.PostGitHubWebhook(ctx, ingest, []byte("e2e-github-secret-0001"), body); err != nil || code != http.StatusOK {
			t.Fatalf("webhook %s: %d %s (%v)", body, code, answer, err)
		}
	}
	harnesstest.WaitUntil(t, 30*time.Second, "the matching webhook at the receiver, transformed", func() error {
		bodies := rcv.Bodies()
		if len(bodies) != 1 {
			return fmt.Errorf("receiver got %d bodies: %q", len(bodies), bodies)
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(bodies[0]), &got); err != nil || got["event"] != "pr-opened" || got["number"] != float64(42) {
			return fmt.Errorf("receiver got %s", bodies[0])
		}
		return nil
	})

	s.MustKubectl(t, "delete", "-k", dir, "--timeout=90s")
	hs := emu.Client(t)
	for name, count := range map[string]func() (int, error){
		"sources":      func() (int, error) { return harness.CountRows(hs.AllSources(ctx)) },
		"destinations": func() (int, error) { return harness.CountRows(hs.AllDestinations(ctx)) },
		"connections": func() (int, error) {
			return harness.CountRows(hs.AllConnections(ctx, hookstream.ConnectionListOptions{}))
		},
	} {
		n, err := count()
		if err != nil || n != 0 {
			t.Errorf("hookstream holds %d %s after delete -k (%v)", n, name, err)
		}
	}
	if left := s.MustKubectl(t, "get", "hookstream", "-n", ns, "-o", "name"); left != "" {
		t.Errorf("objects left after delete -k:\n%s", left)
	}
}
