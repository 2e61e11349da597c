// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hookstream/hookstream-operator/internal/emulator"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/test/harness"
	"github.com/hookstream/hookstream-operator/test/harness/harnesstest"
	"github.com/hookstream/hookstream-operator/test/testenv"
)

// TestKubectlPlugin migrates a project made through the API to manifests with the plugin, invoked by the real
// kubectl from PATH: the export applied with the manager running becomes Ready without a single write to
// hookstream, the Connection refers to the exported objects by name, diff exits 0 on the export (with the key from the
// credentials Secret) and 1 on an edit, an export after the apply writes the same bytes, and status lists every
// buildPlugin builds kubectl-hookstream into a folder of its own, for kubectl to find on the PATH.
func buildPlugin(t *testing.T) (binDir string) {
	t.Helper()
	binDir = t.TempDir()
	if err := testenv.GoBuild(s.Root, filepath.Join(binDir, "kubectl-hookstream"), "./cmd/kubectl-hookstream"); err != nil {
		t.Fatal(err)
	}
	return binDir
}

// object.
func TestKubectlPlugin(t *testing.T) {
	ctx := context.Background()
	binDir := buildPlugin(t)
	emu := s.StartEmulator(t)
	hs := emu.Client(t)
	ns := s.NewNamespace(t, "plugin")

	// kubectl finds plugins only before any flag, so the kubeconfig comes from the environment.
	plugin := func(args ...string) (stdout, stderr string, code int) {
		t.Helper()
		cmd := exec.Command(s.KubectlPath, append([]string{"hookstream"}, args...)...)
		cmd.Env = append(os.Environ(), "KUBECONFIG="+s.AdminKubeconfig, "PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"),
			"HOOKSTREAM_API_KEY="+emu.APIKey)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		if exit, ok := errors.AsType[*exec.ExitError](err); ok {
			return out.String(), errOut.String(), exit.ExitCode()
		} else if err != nil {
			t.Fatalf("kubectl hookstream %s: %v", strings.Join(args, " "), err)
		}
		return out.String(), errOut.String(), 0
	}
	url := emu.URL + "/v1"

	// The project as a dashboard would have left it.
	orders, err := hs.CreateDestination(ctx, &hookstream.CreateRequest{Name: "Orders", Slug: "orders", Type: "http",
		URL: "https://orders.example.com/hooks", Headers: map[string]string{"X-Team": "orders"}, TimeoutMS: new(10000),
		RetryMaxAttempts: new(3)})
	harnesstest.Must(t, err)
	_, err = hs.CreateDestination(ctx, &hookstream.CreateRequest{Name: "Audit log", Slug: "audit-log", Type: "websocket",
		ProviderConfig: map[string]string{"channel_name": "audit"}})
	harnesstest.Must(t, err)
	github, err := hs.CreateSource(ctx, &hookstream.SourceCreateRequest{Name: "GitHub events", Slug: "github-events",
		Description: new("pushes"), DedupStrategy: new("payload_hash"), IPAllowlist: []string{"192.0.2.0/24"}})
	harnesstest.Must(t, err)
	_, err = hs.CreateConnection(ctx, &hookstream.ConnectionCreateRequest{SourceID: github.ID, DestinationID: orders.ID,
		Name: "GitHub to orders", FilterRules: []hookstream.FilterRule{{Field: "headers.x-github-event", Op: "eq", Value: json.RawMessage(`"push"`)}},
		TransformExpression: new(`{"ref": ref}`)})
	harnesstest.Must(t, err)

	dir := filepath.Join(t.TempDir(), "export")
	if _, stderr, code := plugin("export", "-n", ns, "--url", url, "--output", dir); code != 0 {
		t.Fatalf("export: exit %d: %s", code, stderr)
	}
	stream, stderr, code := plugin("export", "-n", ns, "--url", url)
	if code != 0 || strings.Count(stream, "kind: ") != 4 {
		t.Fatalf("export as a stream: exit %d: %s\n%s", code, stderr, stream)
	}
	conn, err := os.ReadFile(filepath.Join(dir, "connection-github-to-orders.yaml"))
	harnesstest.Must(t, err)
	for _, want := range []string{"sourceRef:\n    name: github-events\n", "destinationRef:\n    name: orders\n"} {
		if !strings.Contains(string(conn), want) {
			t.Errorf("the connection's manifest lacks %q:\n%s", want, conn)
		}
	}

	before := emu.Stats(t)
	mgr := s.StartManager(t, emu, ns)
	s.MustKubectl(t, "apply", "-k", dir)
	if _, err := s.Kubectl("wait", "destination,source,connection", "--all", "-n", ns, "--for=condition=Ready", "--timeout=60s"); err != nil {
		t.Fatalf("%v\nmanager logs:\n%s", err, mgr.Tail(40))
	}
	if writes := harness.StatsSince(emu.Stats(t), before); writes.Writes() != 0 {
		t.Errorf("adopting the export wrote to hookstream: %v", writes.Routes)
	}

	// The key from the namespace's credentials Secret this time, not the environment.
	if out, stderr, code := plugin("diff", "-f", dir, "-n", ns, "--url", url, "--credentials-secret", "hookstream-credentials"); code != 0 {
		t.Errorf("diff of the export, key from the credentials Secret: exit %d\n%s%s", code, out, stderr)
	}
	// Adopting changed nothing an export shows: a second export writes the same bytes.
	again := filepath.Join(t.TempDir(), "again")
	if _, stderr, code := plugin("export", "-n", ns, "--url", url, "--output", again); code != 0 {
		t.Fatalf("export after the apply: exit %d: %s", code, stderr)
	}
	entries, err := os.ReadDir(dir)
	harnesstest.Must(t, err)
	for _, e := range entries {
		first, err := os.ReadFile(filepath.Join(dir, e.Name()))
		harnesstest.Must(t, err)
		second, err := os.ReadFile(filepath.Join(again, e.Name()))
		if err != nil || !bytes.Equal(first, second) {
			t.Errorf("the export after the apply differs in %s (%v):\n%s", e.Name(), err, second)
		}
	}
	edit := filepath.Join(dir, "destination-orders.yaml")
	manifest, err := os.ReadFile(edit)
	harnesstest.Must(t, err)
	harnesstest.Must(t, os.WriteFile(edit, bytes.Replace(manifest, []byte("https://orders.example.com/hooks"), []byte("https://orders.example.com/v2"), 1), 0o644))
	beforeDiff := emu.Stats(t)
	out, stderr, code := plugin("diff", "-f", dir, "-n", ns, "--url", url)
	if want := `~ url: hookstream "https://orders.example.com/hooks" -> manifest "https://orders.example.com/v2"`; code != 1 || !strings.Contains(out, want) {
		t.Errorf("diff of an edit: exit %d, want 1 and %q:\n%s%s", code, want, out, stderr)
	}
	if writes := harness.StatsSince(emu.Stats(t), beforeDiff); writes.Writes() != 0 || writes.Count(emulator.RouteUpdateDestination) != 0 {
		t.Errorf("diff wrote to hookstream: %v", writes.Routes)
	}

	table, stderr, code := plugin("status", "-A")
	if code != 0 {
		t.Fatalf("status -A: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"NAMESPACE", "orders", "audit-log", "github-events", "github-to-orders", ns} {
		if !strings.Contains(table, want) {
			t.Errorf("status -A lacks %q:\n%s", want, table)
		}
	}
	js, stderr, code := plugin("status", "-n", ns, "-o", "json")
	if code != 0 {
		t.Fatalf("status -o json: exit %d: %s", code, stderr)
	}
	var rows []struct {
		Kind, Name, ID, Ready string
	}
	harnesstest.Must(t, json.Unmarshal([]byte(js), &rows))
	var got []string
	for _, r := range rows {
		if r.ID == "" || r.Ready != "True" {
			t.Errorf("status row %+v: want an id and Ready True", r)
		}
		got = append(got, r.Kind+"/"+r.Name)
	}
	want := []string{"Destination/audit-log", "Destination/orders", "Source/github-events", "Connection/github-to-orders"}
	if !slices.Equal(got, want) {
		t.Errorf("status -o json lists %v, want %v", got, want)
	}
}
