// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package gitops

import (
	"debug/buildinfo"
	"debug/elf"
	"path/filepath"
	"testing"
)

// TestDockerBuild runs hack/docker-build-check.sh, which builds the manager with the Dockerfile's own build
// script, and checks the binary a second way, with Go's ELF reader: distroless/static has no libc or loader, so a
// dynamically linked manager would not even start in the image. The script also checks the stamped version,
// which go version -m cannot show for a -trimpath build.
func TestDockerBuild(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "manager")
	out := runTool(t, "hack/docker-build-check.sh", bin)
	t.Logf("%s", out)

	f, err := elf.Open(bin)
	if err != nil {
		t.Fatalf("the manager is not an ELF executable: %v", err)
	}
	defer func() { _ = f.Close() }()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("the manager has a %s program header: it is dynamically linked", p.Type)
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("the manager imports shared libraries %v (%v)", libs, err)
	}

	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	for key, want := range map[string]string{"CGO_ENABLED": "0", "-trimpath": "true"} {
		if settings[key] != want {
			t.Errorf("build setting %s = %q, want %q", key, settings[key], want)
		}
	}
	// -s -w: the image carries no symbol table or debug information.
	for _, section := range []string{".symtab", ".debug_info", ".zdebug_info"} {
		if f.Section(section) != nil {
			t.Errorf("the manager has a %s section: it is not stripped", section)
		}
	}
}
