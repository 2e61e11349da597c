// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/hookstream/hookstream-operator/test/docs"
	"github.com/hookstream/hookstream-operator/test/testenv"
)

// docsExampleNamespace receives the namespaced objects of an example that names no namespace, as
// `kubectl apply -n` would.
const docsExampleNamespace = "docs-examples"

func readDocs(t *testing.T) (string, map[string]docs.Page) {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	pages, err := docs.Read(root)
	if err != nil {
		t.Fatal(err)
	}
	return root, pages
}

// TestDocsYAMLExamplesApply applies every YAML block of README.md and docs/ to the API server with server-side dry
// run, so that every field, value and rule an example shows is one the installed CRDs (and Kubernetes' own types)
// accept. Blocks marked as fragments are skipped; every other YAML block must hold whole objects.
func TestDocsYAMLExamplesApply(t *testing.T) {
	_, pages := readDocs(t)
	ctx := context.Background()
	namespaces := map[string]bool{docsExampleNamespace: true}
	type example struct {
		block docs.Block
		objs  []*unstructured.Unstructured
	}
	var examples []example
	fragments := 0
	for _, page := range pages {
		for _, b := range page.Blocks {
			if b.Lang != "yaml" && b.Lang != "yml" {
				continue
			}
			if b.Fragment {
				fragments++
				continue
			}
			objs, err := decodeObjects(b.Body)
			if err != nil {
				t.Errorf("%s: %v (mark a block that is not whole objects with %q on the line before its fence)", b, err, docs.FragmentMarker+" ... -->")
				continue
			}
			for _, o := range objs {
				if ns := o.GetNamespace(); ns != "" {
					namespaces[ns] = true
				}
			}
			examples = append(examples, example{b, objs})
		}
	}
	if len(examples) < 5 {
		t.Fatalf("only %d YAML examples found outside fragments: the docs lost their examples, or the parser broke", len(examples))
	}
	for ns := range namespaces {
		err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("creating namespace %s: %v", ns, err)
		}
	}
	applied := 0
	for _, ex := range examples {
		for _, o := range ex.objs {
			namespaced, err := k8s.IsObjectNamespaced(o)
			if err != nil {
				t.Errorf("%s: %s %s: %v", ex.block, o.GetKind(), o.GetName(), err)
				continue
			}
			if namespaced && o.GetNamespace() == "" {
				o.SetNamespace(docsExampleNamespace)
			}
			err = k8s.Apply(ctx, client.ApplyConfigurationFromUnstructured(o), client.DryRunAll, client.FieldOwner("docs-examples"),
				client.ForceOwnership)
			if err != nil {
				t.Errorf("%s: %s %s is refused by the API server: %v", ex.block, o.GetKind(), o.GetName(), err)
				continue
			}
			applied++
		}
	}
	t.Logf("applied %d objects of %d YAML examples with server-side dry run; %d fragments skipped", applied, len(examples), fragments)
}

// decodeObjects reads a YAML stream of Kubernetes objects; every document must have an apiVersion, a kind and a name.
func decodeObjects(body string) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(body), 4096)
	var objs []*unstructured.Unstructured
	for {
		o := &unstructured.Unstructured{}
		err := dec.Decode(&o.Object)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if o.Object == nil {
			continue
		}
		if o.GetAPIVersion() == "" || o.GetKind() == "" || o.GetName() == "" {
			return nil, fmt.Errorf("a document without apiVersion, kind or metadata.name")
		}
		objs = append(objs, o)
	}
	if len(objs) == 0 {
		return nil, fmt.Errorf("no object")
	}
	return objs, nil
}

// TestDocsRunnableShellBlocks runs the shell blocks marked runnable, in the repository root, with a kubectl of the
// test's control plane on the PATH. They must be few and fast.
func TestDocsRunnableShellBlocks(t *testing.T) {
	root, pages := readDocs(t)
	admin, err := kubectlAdmin()
	if err != nil {
		t.Fatal(err)
	}
	k, err := admin.Kubectl()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	wrapper := "#!/bin/sh\nexec " + shellQuote(k.Path)
	for _, o := range k.Opts {
		wrapper += " " + shellQuote(o)
	}
	wrapper += ` "$@"` + "\n"
	if err := os.WriteFile(filepath.Join(bin, "kubectl"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, page := range pages {
		for _, b := range page.Blocks {
			if !b.Runnable {
				continue
			}
			if b.Lang != "sh" && b.Lang != "bash" {
				t.Errorf("%s: only sh and bash blocks can be runnable", b)
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", b.Body)
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			cancel()
			if err != nil {
				t.Errorf("%s failed: %v\n%s", b, err, out.String())
			}
			ran++
		}
	}
	if ran == 0 {
		t.Fatal("no runnable shell block found: the marker or the parser broke")
	}
	t.Logf("ran %d shell blocks", ran)
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
