// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/hookstream/hookstream-operator/internal/hookstream"
)

// TestHelpDocumentsEveryFlag checks that every flag's help carries an example.
func TestHelpDocumentsEveryFlag(t *testing.T) {
	root := NewCommand(nil, &bytes.Buffer{}, &bytes.Buffer{})
	for _, cmd := range append(root.Commands(), root) {
		check := func(f *pflag.Flag) {
			if f.Name != "help" && !strings.Contains(f.Usage, "e.g.") {
				t.Errorf("%s --%s: usage %q has no example", cmd.Name(), f.Name, f.Usage)
			}
		}
		cmd.LocalFlags().VisitAll(check)
		if cmd != root && cmd.Example == "" {
			t.Errorf("%s has no examples", cmd.Name())
		}
	}
}

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Execute(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestCommands runs export and diff as the binary does, with the key from the environment and no cluster.
func TestCommands(t *testing.T) {
	_, hs := newEmulator(t)
	createFixtures(t, hs)
	noCluster := filepath.Join(t.TempDir(), "missing-kubeconfig")
	base := []string{"--url", hs.BaseURL(), "--kubeconfig", noCluster, "-n", "team"}

	t.Setenv(APIKeyEnv, "")
	if code, _, stderr := run(t, append([]string{"export"}, base...)...); code != ExitError || !strings.Contains(stderr, APIKeyEnv) {
		t.Errorf("export without a key: exit %d, %s", code, stderr)
	}
	t.Setenv(APIKeyEnv, testAPIKey)

	code, stream, stderr := run(t, append([]string{"export"}, base...)...)
	if code != 0 || strings.Count(stream, "\n---\n") != 17 || strings.Contains(stream, testAPIKey) {
		t.Fatalf("export: exit %d, stderr %s, stream:\n%s", code, stderr, stream)
	}
	if !strings.Contains(stderr, "Warning: Destination orders: header Authorization looks secret") {
		t.Errorf("export does not warn about the secret header:\n%s", stderr)
	}
	dir := filepath.Join(t.TempDir(), "out")
	code, _, stderrFiles := run(t, append([]string{"export", "--output", dir}, base...)...)
	if code != 0 {
		t.Fatalf("export --output: exit %d, %s", code, stderrFiles)
	}
	// hookstream does not mask header values: the secret ones must be in no output.
	outputs := map[string]string{"the stream": stream, "standard error": stderr + stderrFiles}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		outputs[e.Name()] = string(mustRead(t, filepath.Join(dir, e.Name())))
	}
	for _, key := range []string{"header-authorization", "header-x-webhook-signature-key"} {
		value := secretValue("orders-destination-secrets", key)
		for name, out := range outputs {
			if strings.Contains(out, value) {
				t.Errorf("%s holds the value of the secret header %s", name, key)
			}
		}
		if !strings.Contains(outputs[SecretsExampleFile], "  "+key+": \"\"\n") {
			t.Errorf("%s does not list %s:\n%s", SecretsExampleFile, key, outputs[SecretsExampleFile])
		}
	}
	if code, out, stderr := run(t, append([]string{"diff", "-f", dir}, base...)...); code != 0 {
		t.Errorf("diff of the export: exit %d\n%s\n%s", code, out, stderr)
	}

	// The filled-in copy of the Secrets survives a second export, which writes the same bytes, and diff reads it.
	if ignore := outputs[GitignoreFile]; !strings.Contains(ignore, "\n"+SecretsFile+"\n") {
		t.Errorf("%s does not keep %s out of Git:\n%s", GitignoreFile, SecretsFile, ignore)
	}
	filled := strings.Replace(outputs[SecretsExampleFile], "  password: \"\"", "  password: "+secretValue("billing-destination-secrets", "password"), 1)
	if err := os.WriteFile(filepath.Join(dir, SecretsFile), []byte(filled), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := run(t, append([]string{"export", "--output", dir}, base...)...); code != 0 {
		t.Fatalf("second export --output: exit %d, %s", code, stderr)
	}
	if got := string(mustRead(t, filepath.Join(dir, SecretsFile))); got != filled {
		t.Errorf("a second export changed %s:\n%s", SecretsFile, got)
	}
	for name, first := range outputs {
		if name == "the stream" || name == "standard error" {
			continue
		}
		if got := string(mustRead(t, filepath.Join(dir, name))); got != first {
			t.Errorf("a second export wrote another %s", name)
		}
	}
	if _, out, _ := run(t, append([]string{"diff", "-f", dir}, base...)...); strings.Contains(out, "billing-destination-secrets key password") {
		t.Errorf("diff does not read the value of %s:\n%s", SecretsFile, out)
	}
	edit(t, filepath.Join(dir, "destination-plain.yaml"), "displayName: Plain", "displayName: Plainer")
	code, out, _ := run(t, append([]string{"diff", "-f", dir}, base...)...)
	if code != ExitDifferences || !strings.Contains(out, `~ name: hookstream "Plain" -> manifest "Plainer"`) {
		t.Errorf("diff of an edit: exit %d\n%s", code, out)
	}
	if err := os.WriteFile(filepath.Join(dir, "broken.yaml"), []byte("kind: Destination\napiVersion: hookstream.io/v1alpha1\nspec: {nope: 1}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := run(t, append([]string{"diff", "-f", dir}, base...)...); code != ExitError || !strings.Contains(stderr, "nope") {
		t.Errorf("diff of a broken manifest: exit %d, %s", code, stderr)
	}
}

// TestHookstreamTrace: --hookstream-trace appends one line per exchange of the command, with the key redacted
// (the redaction of bodies is tested with the transport, in internal/hookstream).
func TestHookstreamTrace(t *testing.T) {
	_, hs := newEmulator(t)
	createFixtures(t, hs)
	trace := filepath.Join(t.TempDir(), "trace.jsonl")
	t.Setenv(APIKeyEnv, testAPIKey)
	args := []string{"export", "--url", hs.BaseURL(), "--kubeconfig", filepath.Join(t.TempDir(), "none"), "-n", "team",
		"--hookstream-trace", trace}
	if code, _, stderr := run(t, args...); code != 0 {
		t.Fatalf("export: exit %d, %s", code, stderr)
	}
	data, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) < 3 || !strings.Contains(string(data), `"path":"/v1/destinations"`) {
		t.Errorf("%d trace lines:\n%s", len(lines), data)
	}
	if strings.Contains(string(data), testAPIKey) || !strings.Contains(string(data), `"X-Api-Key":["(secret)"]`) {
		t.Error("the trace holds the API key, or does not show it redacted")
	}
}

// TestVersion checks that --version prints the version the release build stamps into the hookstream client, which
// also sends it in its User-Agent.
func TestVersion(t *testing.T) {
	old := hookstream.Version
	hookstream.Version = "v1.2.3"
	defer func() { hookstream.Version = old }()
	code, out, errOut := run(t, "--version")
	if code != 0 || !strings.Contains(out, "v1.2.3") {
		t.Errorf("--version: exit %d, output %q (%s); want the version", code, out, errOut)
	}
}
