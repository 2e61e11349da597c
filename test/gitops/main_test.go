// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

// Package gitops checks what the project ships for installation and GitOps tools against a real kube-apiserver:
// the Argo CD health check and Flux's kstatus on the real status of every kind, the samples, the kustomize and Helm
// renderings, and the container build.
package gitops

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hookstream/hookstream-operator/internal/controller"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/hookstream/hookstream-operator/test/testenv"
)

var (
	// k8s rejects unknown fields instead of silently pruning them, so a typo in a manifest fails the test.
	k8s      client.Client
	repoRoot string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

// controlPlane is the test's API server, for tools that need a kubeconfig of their own (helm install).
var controlPlane *envtest.Environment

func run(m *testing.M) int {
	var err error
	if repoRoot, err = testenv.RepoRoot(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	env, err := testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	controlPlane = env
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}()
	k8s, err = client.New(env.Config, client.Options{Scheme: env.Scheme, FieldValidation: metav1.FieldValidationStrict})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

var namespaceSeq atomic.Int32

// newNamespace creates a namespace of its own for one test. The control plane has no namespace controller, so
// namespaces are never removed; the control plane goes away with the test binary.
func newNamespace(t *testing.T, prefix string) string {
	t.Helper()
	name := fmt.Sprintf("%s-%d", prefix, namespaceSeq.Add(1))
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := k8s.Create(context.Background(), ns); err != nil {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
	return name
}

// repoPath joins path elements to the repository root.
func repoPath(elem ...string) string {
	return filepath.Join(append([]string{repoRoot}, elem...)...)
}

// decodeObjects splits a multi-document YAML (or JSON) stream into objects, skipping empty documents.
func decodeObjects(data []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var objs []*unstructured.Unstructured
	for {
		var obj map[string]any
		err := dec.Decode(&obj)
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, err
		}
		if len(obj) == 0 {
			continue
		}
		objs = append(objs, &unstructured.Unstructured{Object: obj})
	}
}

// objectsOfKind returns the objects of one kind, in order.
func objectsOfKind(objs []*unstructured.Unstructured, kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind {
			out = append(out, o)
		}
	}
	return out
}

// describe names an object in failure messages.
func describe(o *unstructured.Unstructured) string {
	if ns := o.GetNamespace(); ns != "" {
		return fmt.Sprintf("%s %s/%s", o.GetKind(), ns, o.GetName())
	}
	return fmt.Sprintf("%s %s", o.GetKind(), o.GetName())
}

// countPrefix counts the entries of list that start with prefix.
func countPrefix(list []string, prefix string) int {
	n := 0
	for _, v := range list {
		if strings.HasPrefix(v, prefix) {
			n++
		}
	}
	return n
}

// projectCRD is one CustomResourceDefinition of config/crd/bases.
type projectCRD struct {
	// file is the file name in config/crd/bases.
	file string
	// name is the CRD's metadata.name, such as destinations.hookstream.io.
	name string
	// kind, plural and singular are the CRD's spec.names.
	kind, plural, singular string
	// managed says that the kind has a remote counterpart (controller.Kinds), a status and health; the others
	// (HookstreamReferenceGrant) are settings the operator reads.
	managed bool
}

// managedCRDs are the CRDs of the managed kinds.
func managedCRDs(t *testing.T) []projectCRD {
	t.Helper()
	var out []projectCRD
	for _, crd := range projectCRDs(t) {
		if crd.managed {
			out = append(out, crd)
		}
	}
	return out
}

// projectCRDs reads every CRD of config/crd/bases, which `make manifests` generates: one per kind the operator
// manages. Tests that must cover every kind take the list from here, so a new kind cannot be forgotten.
func projectCRDs(t *testing.T) []projectCRD {
	t.Helper()
	files, err := filepath.Glob(repoPath("config", "crd", "bases", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	crds := make([]projectCRD, 0, len(files))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := decodeObjects(data)
		if err != nil || len(objs) != 1 || objs[0].GetKind() != "CustomResourceDefinition" {
			t.Fatalf("%s does not hold exactly one CustomResourceDefinition (%d objects, %v)", f, len(objs), err)
		}
		name := func(field string) string {
			v, _, _ := unstructured.NestedString(objs[0].Object, "spec", "names", field)
			return v
		}
		crds = append(crds, projectCRD{
			file: filepath.Base(f), name: objs[0].GetName(),
			kind: name("kind"), plural: name("plural"), singular: name("singular"),
		})
		_, crds[len(crds)-1].managed = controller.KindNamed(name("kind"))
	}
	if len(crds) == 0 {
		t.Fatal("config/crd/bases holds no CRD")
	}
	return crds
}
