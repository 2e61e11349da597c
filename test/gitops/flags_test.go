// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package gitops

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/hookstream/hookstream-operator/test/testenv"
)

// TestManifestFlagsKnownToManager fails when a manifest passes the manager a flag it does not define: the flag
// package exits on an unknown flag, so the pod would crash-loop on a renamed or removed flag.
func TestManifestFlagsKnownToManager(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "manager")
	if err := testenv.GoBuild(repoRoot, bin, "./cmd"); err != nil {
		t.Fatal(err)
	}
	// -help prints every defined flag as "  -name ..." and exits.
	usage, _ := exec.Command(bin, "-help").CombinedOutput()
	known := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s+-([a-z0-9-]+)`).FindAllStringSubmatch(string(usage), -1) {
		known[m[1]] = true
	}
	if !known["leader-elect"] {
		t.Fatalf("could not read the manager's flags from -help:\n%s", usage)
	}

	renderings := map[string]func(t *testing.T) []byte{
		"config/manager": func(t *testing.T) []byte {
			data, err := os.ReadFile(repoPath("config", "manager", "manager.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			return data
		},
		"helm chart, all options": func(t *testing.T) []byte {
			run := helm(t)
			out, stderr, err := run(withValues([]string{"template", helmRelease, chartDir}, allOptions)...)
			if err != nil {
				t.Fatalf("helm template: %v\n%s", err, stderr)
			}
			return out
		},
		"helm chart, two shards": func(t *testing.T) []byte {
			run := helm(t)
			out, stderr, err := run(withValues([]string{"template", helmRelease, chartDir}, twoShards)...)
			if err != nil {
				t.Fatalf("helm template: %v\n%s", err, stderr)
			}
			return out
		},
	}
	for name, render := range renderings {
		t.Run(name, func(t *testing.T) {
			objs, err := decodeObjects(render(t))
			if err != nil {
				t.Fatal(err)
			}
			deps := objectsOfKind(objs, kindDeployment)
			if len(deps) == 0 {
				t.Fatal("no Deployment rendered")
			}
			for _, o := range deps {
				d := &appsv1.Deployment{}
				fromUnstructured(t, o, d)
				for _, arg := range managerContainer(t, d).Args {
					flagName, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
					if !known[flagName] {
						t.Errorf("the manager has no flag --%s (argument %q)", flagName, arg)
					}
				}
			}
		})
	}
}
