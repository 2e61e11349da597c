// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/utils/ptr"
)

func TestRenderDescribesFieldsAndRules(t *testing.T) {
	crd := &apiextensionsv1.CustomResourceDefinition{}
	crd.Spec.Group = "example.io"
	crd.Spec.Scope = apiextensionsv1.NamespaceScoped
	crd.Spec.Names = apiextensionsv1.CustomResourceDefinitionNames{Kind: "Widget", Plural: "widgets", ShortNames: []string{"wd"}}
	spec := apiextensionsv1.JSONSchemaProps{
		Type:        "object",
		Description: "spec is\nthe desired widget.",
		Required:    []string{"size"},
		Properties: map[string]apiextensionsv1.JSONSchemaProps{
			"size": {Type: "string", Description: "size | of it.", Enum: []apiextensionsv1.JSON{{Raw: []byte(`"S"`)}, {Raw: []byte(`"L"`)}}},
			"parts": {Type: "array", MaxItems: ptr.To[int64](3), Items: &apiextensionsv1.JSONSchemaPropsOrArray{Schema: &apiextensionsv1.JSONSchemaProps{
				Type: "object", Properties: map[string]apiextensionsv1.JSONSchemaProps{
					"name": {Type: "string", Description: "name of the part.", MinLength: ptr.To[int64](1), MaxLength: ptr.To[int64](9)},
				},
			}}},
			"url": {Type: "string", XValidations: apiextensionsv1.ValidationRules{{Rule: "isURL(self)", Message: "url must be a URL"}}},
		},
	}
	crd.Spec.Versions = []apiextensionsv1.CustomResourceDefinitionVersion{{
		Name:                     "v1",
		Schema:                   &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{Type: "object", Properties: map[string]apiextensionsv1.JSONSchemaProps{"spec": spec}}},
		AdditionalPrinterColumns: []apiextensionsv1.CustomResourceColumnDefinition{{Name: "Size", JSONPath: ".spec.size", Priority: 1}},
	}}
	page := string(render([]*apiextensionsv1.CustomResourceDefinition{crd}))
	for _, want := range []string{
		"- [Widget](#widget) `example.io/v1`",
		"## Widget\n",
		"(short names: `wd`)",
		"| Size | `.spec.size` | with `-o wide` |",
		"### Widget spec\n\nspec is the desired widget.",
		"| `spec.size` | string | **Required.** size \\| of it. One of `S`, `L`. |",
		"| `spec.parts` | list of object | Items at most 3. |",
		"| `spec.parts[].name` | string | name of the part. Length 1 to 9. |",
		"| `spec.url` | string | Rules: url must be a URL. |",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q:\n%s", want, page)
		}
	}
}

// TestCommittedReferenceIsCurrent fails when docs/reference/api.md is not what the CRDs of config/crd/bases give:
// run `make manifests` and commit.
func TestCommittedReferenceIsCurrent(t *testing.T) {
	root := filepath.Join("..", "..")
	crds, err := readCRDs(filepath.Join(root, "config", "crd", "bases"))
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile(filepath.Join(root, "docs", "reference", "api.md"))
	if err != nil {
		t.Fatal(err)
	}
	if string(committed) != string(render(crds)) {
		t.Error("docs/reference/api.md is stale: run `make manifests` and commit it")
	}
}
