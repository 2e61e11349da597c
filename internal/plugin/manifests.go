// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/controller"
	"github.com/hookstream/hookstream-operator/internal/managed"
)

// Manifests are the objects of a set of manifest files that diff reads: the hookstream objects, and the Secrets and
// ConfigMaps they may reference.
type Manifests struct {
	Objects    []managed.Object
	Secrets    map[string]*corev1.Secret
	ConfigMaps map[string]*corev1.ConfigMap
}

// LoadManifests reads YAML or JSON manifests from files, directories (recursively: *.yaml, *.yml, *.json) or
// standard input ("-"). Objects without a namespace get namespace; one in another namespace is an error. Objects of
// other kinds, and the kustomization file, are skipped.
func LoadManifests(paths []string, namespace string, stdin io.Reader) (*Manifests, error) {
	m := &Manifests{Secrets: map[string]*corev1.Secret{}, ConfigMaps: map[string]*corev1.ConfigMap{}}
	for _, p := range paths {
		if p == "-" {
			data, err := io.ReadAll(stdin)
			if err != nil {
				return nil, err
			}
			if err := m.add("standard input", data, namespace); err != nil {
				return nil, err
			}
			continue
		}
		err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			ext := strings.ToLower(filepath.Ext(path))
			if d.IsDir() || (path != p && ext != ".yaml" && ext != ".yml" && ext != ".json") {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return m.add(path, data, namespace)
		})
		if err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *Manifests) add(source string, data []byte, namespace string) error {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var u unstructured.Unstructured
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("%s: %w", source, err)
		}
		if len(u.Object) == 0 {
			continue
		}
		gvk := u.GroupVersionKind()
		var obj runtime.Object
		hookstreamKind, isHookstream := controller.KindNamed(gvk.Kind)
		switch {
		case gvk.Group == v1.GroupVersion.Group && isHookstream:
			obj = hookstreamKind.New()
		case gvk.Group == "" && gvk.Kind == "Secret":
			obj = &corev1.Secret{}
		case gvk.Group == "" && gvk.Kind == "ConfigMap":
			obj = &corev1.ConfigMap{}
		default:
			continue
		}
		if ns := u.GetNamespace(); ns != "" && ns != namespace {
			return fmt.Errorf("%s: %s %s is in namespace %q, not %q (-n)", source, gvk.Kind, u.GetName(), ns, namespace)
		}
		u.SetNamespace(namespace)
		if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, obj, true); err != nil {
			return fmt.Errorf("%s: %s %s: %w", source, gvk.Kind, u.GetName(), err)
		}
		switch o := obj.(type) {
		case *corev1.Secret:
			m.addSecret(o)
		case *corev1.ConfigMap:
			m.ConfigMaps[o.Name] = o
		case managed.Object:
			m.Objects = append(m.Objects, o)
		}
	}
}

// sortObjects orders objects as a plan needs them: Destinations and Sources (which Connections reference) first,
// then Connections, each by name.
func sortObjects(objs []managed.Object) []managed.Object {
	out := slices.Clone(objs)
	rank := func(o managed.Object) int {
		if _, ok := o.(*v1.Connection); ok {
			return 1
		}
		return 0
	}
	slices.SortStableFunc(out, func(a, b managed.Object) int {
		if d := rank(a) - rank(b); d != 0 {
			return d
		}
		if d := strings.Compare(kindOf(a), kindOf(b)); d != 0 {
			return d
		}
		return strings.Compare(a.GetName(), b.GetName())
	})
	return out
}

// addSecret records a Secret; one met again (secrets.example.yaml and its filled-in copy secrets.yaml) keeps the
// values either holds, the later one's where both do.
func (m *Manifests) addSecret(s *corev1.Secret) {
	old, ok := m.Secrets[s.Name]
	if !ok {
		m.Secrets[s.Name] = s
		return
	}
	for k, v := range s.StringData {
		if strings.TrimSpace(v) != "" {
			if old.StringData == nil {
				old.StringData = map[string]string{}
			}
			old.StringData[k] = v
			delete(old.Data, k)
		}
	}
	for k, v := range s.Data {
		if strings.TrimSpace(string(v)) != "" {
			if old.Data == nil {
				old.Data = map[string][]byte{}
			}
			old.Data[k] = v
			delete(old.StringData, k)
		}
	}
}
