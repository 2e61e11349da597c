// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

// Package release runs `make release` in a copy of the repository and checks every artifact it writes. It takes
// minutes (four cross-compiled plugins, helm, krew's validator), so it runs only with HOOKSTREAM_TEST_RELEASE=1:
// `make test-release`.
package release

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/hookstream/hookstream-operator/test/testenv"
)

const (
	version    = "v0.1.0"
	releaseURL = "https://example.com/releases/" + version
)

var platforms = []struct{ os, arch string }{{"linux", "amd64"}, {"linux", "arm64"}, {"darwin", "amd64"}, {"darwin", "arm64"}}

func TestRelease(t *testing.T) {
	if os.Getenv("HOOKSTREAM_TEST_RELEASE") != "1" {
		t.Skip("set HOOKSTREAM_TEST_RELEASE=1 (make test-release) to build and check a release")
	}
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	repo := copyRepo(t, root)
	localbin := os.Getenv("LOCALBIN")
	if localbin == "" {
		localbin = filepath.Join(root, "bin")
	}

	sh(t, repo, 40*time.Minute, "make", "release", "VERSION="+version, "RELEASE_URL="+releaseURL, "LOCALBIN="+localbin)
	if out := sh(t, repo, time.Minute, "git", "status", "--porcelain"); out != "" {
		t.Errorf("make release left changes in the tree:\n%s", out)
	}
	dist := filepath.Join(repo, "dist")

	archives := map[string]string{} // os/arch -> archive name
	var names []string
	for _, p := range platforms {
		a := fmt.Sprintf("kubectl-hookstream_%s_%s_%s.tar.gz", version, p.os, p.arch)
		archives[p.os+"/"+p.arch] = a
		names = append(names, a)
	}
	chart := "hookstream-operator-" + strings.TrimPrefix(version, "v") + ".tgz"
	wantFiles := append([]string{"install.yaml", chart, "checksums.txt", "plugins/hookstream.yaml", "release-notes.md"}, names...)
	slices.Sort(wantFiles)
	if got := listFiles(t, dist); !slices.Equal(got, wantFiles) {
		t.Fatalf("dist holds %v, want %v", got, wantFiles)
	}

	t.Run("checksums", func(t *testing.T) { checkChecksums(t, dist, append([]string{"install.yaml", chart}, names...)) })
	t.Run("archives", func(t *testing.T) { checkArchives(t, dist, archives) })
	t.Run("krew manifest", func(t *testing.T) { checkKrewManifest(t, repo, dist, archives) })
	t.Run("release notes", func(t *testing.T) { checkReleaseNotes(t, repo, dist) })
	t.Run("install.yaml and chart", func(t *testing.T) { checkInstallAndChart(t, repo, dist, chart) })

	t.Run("build-installer leaves the tree clean", func(t *testing.T) {
		sh(t, repo, 20*time.Minute, "make", "build-installer", "IMG=registry.example.com/hookstream-operator:test", "LOCALBIN="+localbin)
		if out := sh(t, repo, time.Minute, "git", "status", "--porcelain"); out != "" {
			t.Errorf("make build-installer left changes in the tree:\n%s", out)
		}
		objs := decode(t, readFile(t, filepath.Join(repo, "dist", "install.yaml")))
		if got := managerImage(t, objs); got != "registry.example.com/hookstream-operator:test" {
			t.Errorf("build-installer's install.yaml runs %s", got)
		}
	})
}

// copyRepo copies the files git tracks or would track (committed, changed or new; not ignored) into a new
// repository with one commit, so that `git status` there shows what a make target changed.
func copyRepo(t *testing.T, root string) string {
	t.Helper()
	repo := filepath.Join(t.TempDir(), "repo")
	listed := sh(t, root, time.Minute, "git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	for f := range strings.SplitSeq(strings.TrimRight(listed, "\x00"), "\x00") {
		src := filepath.Join(root, f)
		info, err := os.Lstat(src)
		if errors.Is(err, os.ErrNotExist) {
			continue // deleted in the work tree
		}
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(repo, f)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, info.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	git := []string{"git", "-c", "user.name=release test", "-c", "user.email=release@test.invalid"}
	sh(t, repo, time.Minute, "git", "init", "-q")
	sh(t, repo, time.Minute, "git", "add", "-A")
	sh(t, repo, time.Minute, append(git, "commit", "-q", "-m", "copy")...)
	return repo
}

// sh runs a command in dir and returns its standard output; a failure fails the test with both outputs.
func sh(t *testing.T, dir string, timeout time.Duration, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Dir = dir
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s\n%s", strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return out.String()
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	return files
}

func sha256Of(t *testing.T, path string) string {
	t.Helper()
	sum := sha256.Sum256(readFile(t, path))
	return hex.EncodeToString(sum[:])
}

// checkChecksums checks that checksums.txt lists exactly the files given, each with its sha256, as sha256sum writes.
func checkChecksums(t *testing.T, dist string, files []string) {
	listed := map[string]string{}
	for line := range strings.SplitSeq(strings.TrimSpace(string(readFile(t, filepath.Join(dist, "checksums.txt")))), "\n") {
		sum, name, ok := strings.Cut(line, "  ")
		if !ok || len(sum) != 64 {
			t.Errorf("checksums.txt: line %q is not '<sha256>  <file>'", line)
			continue
		}
		listed[name] = sum
	}
	for _, f := range files {
		if got, want := listed[f], sha256Of(t, filepath.Join(dist, f)); got != want {
			t.Errorf("checksums.txt gives %s %q, the file's sha256 is %s", f, got, want)
		}
		delete(listed, f)
	}
	for f := range listed {
		t.Errorf("checksums.txt lists %s, which is not a release file", f)
	}
}

// checkArchives checks that each archive holds the plugin and LICENSE only, and runs the one built for this machine.
func checkArchives(t *testing.T, dist string, archives map[string]string) {
	for platform, name := range archives {
		entries := map[string][]byte{}
		f, err := os.Open(filepath.Join(dist, name))
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(zr)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			entries[h.Name] = data
			if h.Name == "kubectl-hookstream" && h.FileInfo().Mode().Perm()&0o111 == 0 {
				t.Errorf("%s: kubectl-hookstream is not executable", name)
			}
		}
		_ = f.Close()
		if got := slices.Sorted(maps.Keys(entries)); !slices.Equal(got, []string{"LICENSE", "kubectl-hookstream"}) {
			t.Errorf("%s holds %v, want LICENSE and kubectl-hookstream", name, got)
			continue
		}
		if platform != runtime.GOOS+"/"+runtime.GOARCH {
			continue
		}
		bin := filepath.Join(t.TempDir(), "kubectl-hookstream")
		if err := os.WriteFile(bin, entries["kubectl-hookstream"], 0o755); err != nil {
			t.Fatal(err)
		}
		if out := sh(t, filepath.Dir(bin), time.Minute, bin, "--version"); !strings.Contains(out, version) {
			t.Errorf("%s --version printed %q, want %s", name, out, version)
		}
	}
}

// krewPlugin is the part of krew's Plugin manifest (krew.googlecontainertools.github.com/v1alpha2) the test reads.
type krewPlugin struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Version   string `json:"version"`
		Platforms []struct {
			Selector struct {
				MatchLabels map[string]string `json:"matchLabels"`
			} `json:"selector"`
			URI    string `json:"uri"`
			Sha256 string `json:"sha256"`
			Bin    string `json:"bin"`
		} `json:"platforms"`
	} `json:"spec"`
}

// checkKrewManifest checks that each platform of the manifest points at its archive under the release URL with the
// archive's sha256, and runs krew's own validation on it.
func checkKrewManifest(t *testing.T, repo, dist string, archives map[string]string) {
	path := filepath.Join(dist, "plugins", "hookstream.yaml")
	p := &krewPlugin{}
	if err := yaml.Unmarshal(readFile(t, path), p); err != nil {
		t.Fatal(err)
	}
	if p.Kind != "Plugin" || p.Metadata.Name != "hookstream" || p.Spec.Version != version {
		t.Errorf("manifest is %s %s version %s, want Plugin hookstream %s", p.Kind, p.Metadata.Name, p.Spec.Version, version)
	}
	seen := map[string]bool{}
	for _, pl := range p.Spec.Platforms {
		platform := pl.Selector.MatchLabels["os"] + "/" + pl.Selector.MatchLabels["arch"]
		name, ok := archives[platform]
		if !ok {
			t.Errorf("manifest has a platform %s the release has no archive for", platform)
			continue
		}
		seen[platform] = true
		if want := releaseURL + "/" + name; pl.URI != want {
			t.Errorf("%s: uri %s, want %s", platform, pl.URI, want)
		}
		if want := sha256Of(t, filepath.Join(dist, name)); pl.Sha256 != want {
			t.Errorf("%s: sha256 %s, the archive's is %s", platform, pl.Sha256, want)
		}
		if pl.Bin != "kubectl-hookstream" {
			t.Errorf("%s: bin %q", platform, pl.Bin)
		}
	}
	for platform := range archives {
		if !seen[platform] {
			t.Errorf("manifest has no platform %s", platform)
		}
	}
	sh(t, repo, 20*time.Minute, "hack/validate-krew-manifest.sh", "-manifest", path, "-skip-install")
}

// checkReleaseNotes checks that the notes are the version's section of CHANGELOG.md.
func checkReleaseNotes(t *testing.T, repo, dist string) {
	notes := strings.TrimSpace(string(readFile(t, filepath.Join(dist, "release-notes.md"))))
	changelog := string(readFile(t, filepath.Join(repo, "CHANGELOG.md")))
	heading := "## [" + strings.TrimPrefix(version, "v") + "]"
	start := strings.Index(changelog, heading+"\n")
	if start < 0 {
		t.Fatalf("CHANGELOG.md has no %s", heading)
	}
	section := changelog[start+len(heading)+1:]
	if end := strings.Index(section, "\n## ["); end >= 0 {
		section = section[:end]
	}
	if want := strings.TrimSpace(section); notes != want || notes == "" {
		t.Errorf("release notes differ from the CHANGELOG section (-want +got):\n%s", cmp.Diff(want, notes))
	}
}

func decode(t *testing.T, data []byte) []*unstructured.Unstructured {
	t.Helper()
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var objs []*unstructured.Unstructured
	for {
		o := &unstructured.Unstructured{}
		if err := dec.Decode(&o.Object); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if len(o.Object) > 0 {
			objs = append(objs, o)
		}
	}
	return objs
}

func ofKind(objs []*unstructured.Unstructured, kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind {
			out = append(out, o)
		}
	}
	return out
}

func convert(t *testing.T, o *unstructured.Unstructured, into any) {
	t.Helper()
	if err := k8sruntime.DefaultUnstructuredConverter.FromUnstructured(o.Object, into); err != nil {
		t.Fatal(err)
	}
}

func managerImage(t *testing.T, objs []*unstructured.Unstructured) string {
	t.Helper()
	deps := ofKind(objs, "Deployment")
	if len(deps) != 1 {
		t.Fatalf("%d Deployments, want 1", len(deps))
	}
	d := &appsv1.Deployment{}
	convert(t, deps[0], d)
	return d.Spec.Template.Spec.Containers[0].Image
}

// checkInstallAndChart checks the packaged chart's version and appVersion, and that install.yaml and the chart
// render the same objects apart from names and labels: the same CRDs, the same image and hardening of the manager,
// and the same rules in the same kinds of roles. install.yaml has, besides, the Namespace (Helm installs into one)
// and the per-kind admin, editor and viewer ClusterRoles of config/rbac, which the chart replaces with the
// aggregated roles both carry.
func checkInstallAndChart(t *testing.T, repo, dist, chart string) {
	helm := func(args ...string) string {
		return sh(t, repo, 20*time.Minute, append([]string{"hack/helm.sh"}, args...)...)
	}
	meta := map[string]any{}
	if err := yaml.Unmarshal([]byte(helm("show", "chart", filepath.Join(dist, chart))), &meta); err != nil {
		t.Fatal(err)
	}
	if meta["version"] != strings.TrimPrefix(version, "v") || meta["appVersion"] != version {
		t.Errorf("chart version %v appVersion %v, want %s and %s", meta["version"], meta["appVersion"], strings.TrimPrefix(version, "v"), version)
	}
	install := decode(t, readFile(t, filepath.Join(dist, "install.yaml")))
	rendered := decode(t, []byte(helm("template", "hookstream-operator", filepath.Join(dist, chart), "-n", "hookstream-operator-system", "--include-crds")))

	want := "ghcr.io/hookstream/hookstream-operator:" + version
	if got := managerImage(t, install); got != want {
		t.Errorf("install.yaml runs %s, want %s", got, want)
	}
	if got := managerImage(t, rendered); got != want {
		t.Errorf("the chart runs %s, want %s", got, want)
	}

	crds := func(objs []*unstructured.Unstructured) map[string]apiextensionsv1.CustomResourceDefinitionSpec {
		out := map[string]apiextensionsv1.CustomResourceDefinitionSpec{}
		for _, o := range ofKind(objs, "CustomResourceDefinition") {
			c := &apiextensionsv1.CustomResourceDefinition{}
			convert(t, o, c)
			out[c.Name] = c.Spec
		}
		return out
	}
	if diff := cmp.Diff(crds(install), crds(rendered)); diff != "" || len(crds(install)) == 0 {
		t.Errorf("CRDs differ (-install.yaml +chart):\n%s", diff)
	}

	pod := func(objs []*unstructured.Unstructured) any {
		d := &appsv1.Deployment{}
		convert(t, ofKind(objs, "Deployment")[0], d)
		c := d.Spec.Template.Spec.Containers[0]
		return []any{c.Image, c.SecurityContext, c.Resources, d.Spec.Template.Spec.SecurityContext}
	}
	if diff := cmp.Diff(pod(install), pod(rendered)); diff != "" {
		t.Errorf("the manager's image, security contexts or resources differ (-install.yaml +chart):\n%s", diff)
	}

	rules := func(objs []*unstructured.Unstructured, kind string, skip func(string) bool) []string {
		var out []string
		for _, o := range ofKind(objs, kind) {
			if skip(o.GetName()) {
				continue
			}
			var r []rbacv1.PolicyRule
			if kind == "Role" {
				role := &rbacv1.Role{}
				convert(t, o, role)
				r = role.Rules
			} else {
				role := &rbacv1.ClusterRole{}
				convert(t, o, role)
				r = role.Rules
			}
			data, err := yaml.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, string(data))
		}
		slices.Sort(out)
		return out
	}
	perKindHelper := func(name string) bool {
		return strings.HasSuffix(name, "-admin-role") || strings.HasSuffix(name, "-editor-role") || strings.HasSuffix(name, "-viewer-role")
	}
	none := func(string) bool { return false }
	for _, kind := range []string{"ClusterRole", "Role"} {
		if diff := cmp.Diff(rules(install, kind, perKindHelper), rules(rendered, kind, none)); diff != "" {
			t.Errorf("%s rules differ (-install.yaml +chart):\n%s", kind, diff)
		}
	}
	if n := len(ofKind(install, "ClusterRole")) - len(rules(install, "ClusterRole", perKindHelper)); n != 9 {
		t.Errorf("install.yaml has %d per-kind admin, editor and viewer ClusterRoles, want 9 (3 kinds)", n)
	}
	for _, kind := range []string{"ServiceAccount", "Deployment", "Service", "RoleBinding", "ClusterRoleBinding"} {
		if a, b := len(ofKind(install, kind)), len(ofKind(rendered, kind)); a != b {
			t.Errorf("%d %s in install.yaml, %d in the chart", a, kind, b)
		}
	}
}
