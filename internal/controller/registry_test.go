// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0
package controller

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/yaml"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/test/testenv"
)

// TestRegistryHasEveryKind fails when a kind of the API is missing from controller.Kinds, so that no consumer of
// the registry (setup, shard cache, planner, plugin, health tests) can miss it.
func TestRegistryHasEveryKind(t *testing.T) {
	var registered []string
	for _, k := range Kinds {
		registered = append(registered, k.Kind)
	}
	slices.Sort(registered)
	if api := APIKinds(); !slices.Equal(registered, api) || len(api) == 0 {
		t.Errorf("controller.Kinds has %v, the API has %v", registered, api)
	}
}

// TestRegistryEntriesMatchTheAPI checks each entry against the API's types and the generated manifests: its
// objects, its list, its CRD and its rules in the manager's role (from the RBAC markers beside each kind).
func TestRegistryEntriesMatchTheAPI(t *testing.T) {
	role := readRole(t)
	for _, k := range Kinds {
		t.Run(k.Kind, func(t *testing.T) {
			gvk, err := apiutil.GVKForObject(k.New(), testenv.Scheme())
			if err != nil || gvk.Kind != k.Kind || gvk.GroupVersion() != v1.GroupVersion {
				t.Errorf("New() returns a %s (%v), want a %s", gvk, err, k.Kind)
			}
			list, err := apiutil.GVKForObject(k.NewList(), testenv.Scheme())
			if err != nil || list.Kind != k.Kind+"List" {
				t.Errorf("NewList() returns a %s (%v)", list, err)
			}
			if found, ok := KindOf(k.New()); !ok || found.Kind != k.Kind {
				t.Errorf("KindOf(New()) = %q, %v", found.Kind, ok)
			}
			crd := readCRD(t, k.Resource)
			if crd.Spec.Names.Kind != k.Kind || crd.Spec.Names.Plural != k.Resource {
				t.Errorf("CRD %s names kind %s, plural %s", crd.Name, crd.Spec.Names.Kind, crd.Spec.Names.Plural)
			}
			for resource, verbs := range map[string][]string{
				k.Resource:                 {"get", "list", "watch", "update", "patch"},
				k.Resource + "/status":     {"get", "update", "patch"},
				k.Resource + "/finalizers": {"update"},
			} {
				for _, verb := range verbs {
					if !allows(role, v1.GroupVersion.Group, resource, verb) {
						t.Errorf("the manager's role does not allow %s on %s: the kind's RBAC markers are missing", verb, resource)
					}
				}
			}
		})
	}
}

func readRole(t *testing.T) *rbacv1.ClusterRole {
	return readYAML[rbacv1.ClusterRole](t, "config", "rbac", "role.yaml")
}

func readCRD(t *testing.T, resource string) *apiextensionsv1.CustomResourceDefinition {
	return readYAML[apiextensionsv1.CustomResourceDefinition](t, "config", "crd", "bases",
		v1.GroupVersion.Group+"_"+resource+".yaml")
}

// readYAML decodes a manifest of the repository, given by its path from the root.
func readYAML[T any](t *testing.T, path ...string) *T {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(append([]string{"..", ".."}, path...)...))
	if err != nil {
		t.Fatal(err)
	}
	out := new(T)
	if err := yaml.Unmarshal(data, out); err != nil {
		t.Fatal(err)
	}
	return out
}

// allows reports whether a rule of role grants verb on resource of group.
func allows(role *rbacv1.ClusterRole, group, resource, verb string) bool {
	return slices.ContainsFunc(role.Rules, func(r rbacv1.PolicyRule) bool {
		return slices.Contains(r.APIGroups, group) && slices.Contains(r.Resources, resource) && slices.Contains(r.Verbs, verb)
	})
}
