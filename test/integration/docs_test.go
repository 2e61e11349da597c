// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/test/testenv"
)

// TestEveryFieldDocumented walks the schema of every installed hookstream.io CRD, as the API server publishes it for
// `kubectl explain`, and fails on any field without a description: a missing doc comment on an API type shows up
// here, whichever kind it belongs to.
func TestEveryFieldDocumented(t *testing.T) {
	crds := &unstructured.UnstructuredList{}
	crds.SetGroupVersionKind(schema.GroupVersionKind{
		Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinitionList",
	})
	if err := k8s.List(context.Background(), crds); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, crd := range crds.Items {
		if group, _, _ := unstructured.NestedString(crd.Object, "spec", "group"); group != v1.GroupVersion.Group {
			continue
		}
		kind, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "kind")
		kinds = append(kinds, kind)
		versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
		for _, version := range versions {
			name, _, _ := unstructured.NestedString(version.(map[string]any), "name")
			root, found, _ := unstructured.NestedMap(version.(map[string]any), "schema", "openAPIV3Schema")
			if !found {
				t.Errorf("%s %s has no openAPIV3Schema", kind, name)
				continue
			}
			// The API server publishes the standard ObjectMeta schema, with its documentation, for metadata.
			delete(root["properties"].(map[string]any), "metadata")
			for _, path := range undocumented(strings.ToLower(kind), root) {
				t.Errorf("%s %s: %s has no description (document the Go field; kubectl explain shows nothing)",
					kind, name, path)
			}
		}
	}
	// The list names the kinds the walk covered, so a CRD of config/crd/bases that failed to install does not pass
	// unnoticed.
	for _, crd := range projectCRDs(t) {
		if want := crd.Spec.Names.Kind; !slices.Contains(kinds, want) {
			t.Errorf("hookstream.io CRDs installed for %v, none for %s", kinds, want)
		}
	}
}

// projectCRDs reads every CRD of config/crd/bases, which `make manifests` generates: one per kind the operator
// manages. Tests that must cover every kind take the list from here, so a new kind cannot be forgotten.
func projectCRDs(t *testing.T) []*apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(root, "config", "crd", "bases", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	crds := make([]*apiextensionsv1.CustomResourceDefinition, 0, len(files))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.UnmarshalStrict(data, crd); err != nil || crd.Kind != "CustomResourceDefinition" {
			t.Fatalf("%s does not hold a CustomResourceDefinition (kind %q, %v)", f, crd.Kind, err)
		}
		crds = append(crds, crd)
	}
	if len(crds) == 0 {
		t.Fatal("config/crd/bases holds no CRD")
	}
	return crds
}

// undocumented returns the paths of the schema's properties, at any depth (objects, list items and map values),
// that have no description.
func undocumented(path string, s map[string]any) []string {
	var missing []string
	if description, _ := s["description"].(string); strings.TrimSpace(description) == "" {
		missing = append(missing, path)
	}
	if properties, ok := s["properties"].(map[string]any); ok {
		for name, child := range properties {
			if c, ok := child.(map[string]any); ok {
				missing = append(missing, undocumented(path+"."+name, c)...)
			} else {
				missing = append(missing, fmt.Sprintf("%s.%s (not a schema)", path, name))
			}
		}
	}
	// Items and map values are described by the field that holds them; only their own fields need descriptions.
	for _, nested := range []string{"items", "additionalProperties"} {
		if c, ok := s[nested].(map[string]any); ok {
			for name, child := range propertiesOf(c) {
				missing = append(missing, undocumented(path+"[]."+name, child)...)
			}
		}
	}
	slices.Sort(missing)
	return missing
}

func propertiesOf(s map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	if properties, ok := s["properties"].(map[string]any); ok {
		for name, child := range properties {
			if c, ok := child.(map[string]any); ok {
				out[name] = c
			}
		}
	}
	return out
}
