// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hookstream/hookstream-operator/internal/conformance"
	"github.com/hookstream/hookstream-operator/internal/emulator"
)

func TestRunStartsItsOwnEmulator(t *testing.T) {
	dir := t.TempDir()
	var out strings.Builder
	code, err := run(context.Background(), []string{"--report-dir", dir}, func(string) string { return "" }, &out)
	if code != 0 || err != nil {
		t.Fatalf("exit %d, %v\n%s", code, err, out.String())
	}
	if !strings.Contains(out.String(), "running against an emulator") || !strings.Contains(out.String(), "variants seen: none") {
		t.Errorf("output:\n%s", out.String())
	}
	for _, name := range []string{"conformance-report.md", "conformance-report.json"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Error(err)
		}
	}
}

// TestRunAgainstAnAccountBehindTLS: HOOKSTREAM_URL, HOOKSTREAM_API_KEY and HOOKSTREAM_CA_FILE point the run at an
// emulator serving every variant behind TLS; the report names the variants.
func TestRunAgainstAnAccountBehindTLS(t *testing.T) {
	const key = "hs_test_00000000000000000000000000000000000000000000000000000000000000aa"
	emu, err := emulator.New(emulator.Options{APIKeys: []string{key}, Variants: emulator.AllVariants()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(emu)
	defer func() { srv.Close(); _ = emu.Close() }()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HOOKSTREAM_URL": srv.URL + "/v1", "HOOKSTREAM_API_KEY": key, "HOOKSTREAM_CA_FILE": ca}
	var out strings.Builder
	code, err := run(context.Background(), []string{"--report-dir", dir}, func(k string) string { return env[k] }, &out)
	if code != 0 || err != nil {
		t.Fatalf("exit %d, %v\n%s", code, err, out.String())
	}
	data, err := os.ReadFile(filepath.Join(dir, "conformance-report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var report conformance.Report
	if err := json.Unmarshal(data, &report); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{emulator.VariantNativeJSON, emulator.VariantPrefixedIDs, emulator.VariantCascadeDelete} {
		if !slices.Contains(report.Variants, v) {
			t.Errorf("the report names %v, not %s", report.Variants, v)
		}
	}
	if strings.Contains(string(data), key) {
		t.Error("the report holds the API key")
	}

	// --cleanup finds nothing left by the finished run.
	out.Reset()
	if code, err := run(context.Background(), []string{"--cleanup"}, func(k string) string { return env[k] }, &out); code != 0 || err != nil {
		t.Fatalf("cleanup: exit %d, %v", code, err)
	}
	if !strings.Contains(out.String(), "deleted 0 resources") {
		t.Errorf("cleanup output %q", out.String())
	}
}
