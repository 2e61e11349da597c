// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/test/harness"
	"github.com/hookstream/hookstream-operator/test/harness/harnesstest"
)

// sourceJSON is the part of a Source the tests read through kubectl.
type sourceJSON struct {
	Status struct {
		ID                 string `json:"id"`
		IngestURL          string `json:"ingestURL"`
		IngestURLConfigMap string `json:"ingestURLConfigMap"`
		EventCount         int64  `json:"eventCount"`
		LastEventAt        string `json:"lastEventAt"`
	} `json:"status"`
}

func getSource(t *testing.T, namespace, name string) sourceJSON {
	t.Helper()
	var src sourceJSON
	if err := json.Unmarshal([]byte(s.MustKubectl(t, "get", "source", name, "-n", namespace, "-o", "json")), &src); err != nil {
		t.Fatal(err)
	}
	return src
}

// TestSourceSampleWithKubectl applies the GitHub source sample as a user would, with the real manager under the
// ServiceAccount's RBAC, and checks what the issue of Sources promises: Ready, the id and ingest URL in status,
// the ConfigMap, a signed webhook accepted and a badly signed one refused, the event count after a check, and a
// deletion that removes the remote source and the ConfigMap.
func TestSourceSampleWithKubectl(t *testing.T) {
	ctx := context.Background()
	emu := s.StartEmulator(t)
	ns := s.NewNamespace(t, "source")
	mgr := s.StartManager(t, emu, ns)
	s.MustKubectl(t, "apply", "-n", ns, "-f", filepath.Join(s.Root, "config", "samples", "source_github.yaml"))
	if _, err := s.Kubectl("wait", "source/github", "-n", ns, "--for=condition=Ready", "--timeout=60s"); err != nil {
		t.Fatalf("%v\nmanager logs:\n%s", err, mgr.Logs())
	}

	src := getSource(t, ns, "github")
	if src.Status.ID == "" || !strings.HasSuffix(src.Status.IngestURL, "/ingest/"+src.Status.ID) {
		t.Fatalf("status: id %q, ingestURL %q", src.Status.ID, src.Status.IngestURL)
	}
	wide := s.MustKubectl(t, "get", "hookstream", "-n", ns, "-o", "wide")
	for _, want := range []string{"source.hookstream.io/github", "INGEST URL", src.Status.IngestURL, "True"} {
		if !strings.Contains(wide, want) {
			t.Errorf("kubectl get hookstream -o wide lacks %q:\n%s", want, wide)
		}
	}
	data := s.MustKubectl(t, "get", "configmap", "github-ingest", "-n", ns, "-o", "jsonpath={.data.ingestURL} {.data.sourceID}")
	if data != src.Status.IngestURL+" "+src.Status.ID {
		t.Errorf("ConfigMap github-ingest holds %q, want the ingest URL and the id", data)
	}

	encoded := s.MustKubectl(t, "get", "secret", "github-webhook", "-n", ns, "-o", "jsonpath={.data.secret}")
	secret, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		t.Fatal(err)
	}
	body := `{"action":"opened"}`
	if code, answer, err := harness.PostGitHubWebhook(ctx, src.Status.IngestURL, secret, body); err != nil || code != http.StatusOK {
		t.Errorf("correctly signed webhook: %d %s (%v), want 200", code, answer, err)
	}
	if code, answer, err := harness.PostGitHubWebhook(ctx, src.Status.IngestURL, []byte("wrong"), body); err != nil || code != http.StatusUnauthorized {
		t.Errorf("badly signed webhook: %d %s (%v), want 401", code, answer, err)
	}
	s.MustKubectl(t, "annotate", "source", "github", "-n", ns, "--overwrite", "hookstream.io/reconcile-requested-at="+time.Now().Format(time.RFC3339Nano))
	harnesstest.WaitUntil(t, 30*time.Second, "event count in status", func() error {
		if src = getSource(t, ns, "github"); src.Status.EventCount != 1 || src.Status.LastEventAt == "" {
			return fmt.Errorf("eventCount %d lastEventAt %q", src.Status.EventCount, src.Status.LastEventAt)
		}
		return nil
	})

	s.MustKubectl(t, "delete", "source", "github", "-n", ns, "--timeout=60s")
	if _, err := emu.Client(t).GetSource(ctx, src.Status.ID); !hookstream.IsNotFound(err) {
		t.Errorf("remote source after delete: %v, want not found", err)
	}
	if out := s.MustKubectl(t, "get", "configmap", "github-ingest", "-n", ns, "--ignore-not-found"); out != "" {
		t.Errorf("ConfigMap github-ingest after delete:\n%s", out)
	}
}
