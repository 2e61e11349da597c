// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package testenv

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// GoBuild builds the package pkg of the repository at root into out, as a test that runs the binary needs it.
//
// `go test` caches a package's result by its test binary and the files the test opened. A binary built with `go
// build` from inside the test is neither: without more, a test of the manager binary would report an old pass after
// the manager's source changed. So every Go source of the repository is opened first, which makes them inputs of
// the cached result (go test compares their size and modification time).
func GoBuild(root, out, pkg string) error {
	if err := openSources(root); err != nil {
		return fmt.Errorf("reading the sources of %s: %w", pkg, err)
	}
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = root
	if output, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building %s: %v\n%s", pkg, err, output)
	}
	return nil
}

// openSources opens every file a build of the repository at root can read: the Go sources, go.mod and go.sum, and
// every file under internal/, where the packages embed theirs (the OpenAPI contract). Folders that hold no build
// input (bin, dist, testdata, hidden ones) are skipped.
func openSources(root string) error {
	internal := filepath.Join(root, "internal") + string(filepath.Separator)
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "bin" || name == "dist" || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") && name != "go.mod" && name != "go.sum" && !strings.HasPrefix(path, internal) {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		return f.Close()
	})
}
