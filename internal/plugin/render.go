// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// File is one file of an export.
type File struct {
	Name    string
	Content []byte
}

// Names of the files an export writes besides the manifests.
const (
	KustomizationFile  = "kustomization.yaml"
	SecretsExampleFile = "secrets.example.yaml"
	// SecretsFile is the filled-in copy of SecretsExampleFile: export never writes it, and the GitignoreFile it
	// writes keeps it out of Git.
	SecretsFile   = "secrets.yaml"
	GitignoreFile = ".gitignore"
)

// Manifest renders one object as YAML: apiVersion, kind, metadata (name and namespace) and spec; no status and
// nothing the server sets.
func Manifest(obj client.Object) ([]byte, error) {
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	delete(u, "status")
	if meta, ok := u["metadata"].(map[string]any); ok {
		delete(meta, "creationTimestamp")
	}
	return yaml.Marshal(u)
}

// FileName is the file an object is written to: <kind>-<name>.yaml.
func FileName(obj client.Object) string {
	return strings.ToLower(obj.GetObjectKind().GroupVersionKind().Kind) + "-" + obj.GetName() + ".yaml"
}

// Files renders the export as files: one manifest per object, a kustomization.yaml listing them,
// secrets.example.yaml with every Secret and key the manifests read, without values, and a .gitignore that keeps
// its filled-in copy, secrets.yaml, out of Git. Never secrets.yaml itself: a second export keeps the values.
func (e *Export) Files() ([]File, error) {
	var files []File
	var resources []string
	for _, obj := range e.Objects() {
		b, err := Manifest(obj)
		if err != nil {
			return nil, err
		}
		files = append(files, File{Name: FileName(obj), Content: b})
		resources = append(resources, FileName(obj))
	}
	var k bytes.Buffer
	k.WriteString("# The hookstream objects exported by kubectl hookstream export. Apply " + SecretsFile + ", a filled-in copy of\n# " +
		SecretsExampleFile + ", first.\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n")
	if e.Namespace != "" {
		fmt.Fprintf(&k, "namespace: %s\n", e.Namespace)
	}
	k.WriteString("resources:\n")
	for _, r := range resources {
		fmt.Fprintf(&k, "- %s\n", r)
	}
	files = append(files, File{Name: KustomizationFile, Content: k.Bytes()}, File{Name: SecretsExampleFile, Content: e.SecretsExample()},
		File{Name: GitignoreFile, Content: []byte("# The filled-in Secrets (a copy of " + SecretsExampleFile + "): never in Git.\n" + SecretsFile + "\n")})
	return files, nil
}

// SecretsExample lists the Secrets and keys the manifests read, each value empty: hookstream never shows secret
// values, so they must come from where they are kept.
func (e *Export) SecretsExample() []byte {
	var b bytes.Buffer
	b.WriteString("# The Secrets the exported manifests read. hookstream masks secret values, so none is filled in.\n" +
		"# Copy this file to " + SecretsFile + " (which .gitignore keeps out of Git), put each value in (from where it is\n" +
		"# kept) and apply it. A new export rewrites this file, never " + SecretsFile + ".\n" +
		"# An object whose spec reads a Secret gets one PATCH of its secret fields once the values are applied.\n")
	for i, s := range e.Secrets {
		if i > 0 {
			b.WriteString("---\n")
		}
		b.WriteString("apiVersion: v1\nkind: Secret\nmetadata:\n")
		fmt.Fprintf(&b, "  name: %s\n", s.Name)
		if e.Namespace != "" {
			fmt.Fprintf(&b, "  namespace: %s\n", e.Namespace)
		}
		b.WriteString("type: Opaque\nstringData:\n")
		for _, key := range s.Keys {
			fmt.Fprintf(&b, "  %s: \"\"\n", key)
		}
	}
	return b.Bytes()
}

// Stream renders every object as one YAML stream, documents separated by ---.
func (e *Export) Stream() ([]byte, error) {
	var b bytes.Buffer
	for i, obj := range e.Objects() {
		m, err := Manifest(obj)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			b.WriteString("---\n")
		}
		b.Write(m)
	}
	return b.Bytes(), nil
}

// WriteFiles writes the files into dir, creating it. Files of an earlier export that are gone from this one are
// left alone; the kustomization lists the current ones only.
func WriteFiles(dir string, files []File) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Content, 0o644); err != nil {
			return err
		}
	}
	return nil
}
