/*
Copyright 2026.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

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
