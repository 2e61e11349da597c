/*
Copyright 2026.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package controller

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
)

// selectorSetter sets, in a value of the type it was found in, the SecretKeySelector at path, allocating what
// leads to it (pointers, one slice element, one map entry).
type selectorSetter struct {
	path string
	set  func(v reflect.Value, ref v1.SecretKeySelector)
}

var selectorType = reflect.TypeFor[v1.SecretKeySelector]()

// selectorSetters walks t for every SecretKeySelector it can hold. inPath guards against recursive types.
func selectorSetters(t reflect.Type, path string, inPath map[reflect.Type]bool) []selectorSetter {
	if t == selectorType {
		return []selectorSetter{{path: path, set: func(v reflect.Value, ref v1.SecretKeySelector) { v.Set(reflect.ValueOf(ref)) }}}
	}
	if inPath[t] {
		return nil
	}
	inPath[t] = true
	defer delete(inPath, t)
	var out []selectorSetter
	wrap := func(inner []selectorSetter, path func(string) string, set func(v reflect.Value, inner func(reflect.Value))) {
		for _, s := range inner {
			out = append(out, selectorSetter{path: path(s.path), set: func(v reflect.Value, ref v1.SecretKeySelector) {
				set(v, func(e reflect.Value) { s.set(e, ref) })
			}})
		}
	}
	same := func(p string) string { return p }
	switch t.Kind() {
	case reflect.Pointer:
		wrap(selectorSetters(t.Elem(), path, inPath), same, func(v reflect.Value, inner func(reflect.Value)) {
			if v.IsNil() {
				v.Set(reflect.New(t.Elem()))
			}
			inner(v.Elem())
		})
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			p := path
			if name := jsonName(f); !f.Anonymous && name != "" && name != "-" {
				p = path + "." + name
			}
			wrap(selectorSetters(f.Type, p, inPath), same, func(v reflect.Value, inner func(reflect.Value)) {
				inner(v.Field(i))
			})
		}
	case reflect.Slice:
		wrap(selectorSetters(t.Elem(), path+"[0]", inPath), same, func(v reflect.Value, inner func(reflect.Value)) {
			if v.Len() == 0 {
				v.Set(reflect.MakeSlice(t, 1, 1))
			}
			inner(v.Index(0))
		})
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			break
		}
		wrap(selectorSetters(t.Elem(), path+"[k]", inPath), same, func(v reflect.Value, inner func(reflect.Value)) {
			e := reflect.New(t.Elem()).Elem()
			inner(e)
			if v.IsNil() {
				v.Set(reflect.MakeMap(t))
			}
			v.SetMapIndex(reflect.ValueOf("k").Convert(t.Key()), e)
		})
	default:
	}
	return out
}

// TestSecretRefsNameEverySecretKeySelector walks the spec of every kind by reflection, and for every
// SecretKeySelector it finds builds an object setting that one selector, naming a Secret of its own: the kind's
// SecretRefs must return that Secret, or the Secret is never watched and its rotation goes unseen. A new field
// holding a SecretKeySelector, at any depth, is covered without a change here.
func TestSecretRefsNameEverySecretKeySelector(t *testing.T) {
	type kindCase struct {
		spec reflect.Type
		// refs builds the object around spec (a pointer to a spec) and returns the kind's SecretRefs of it.
		refs func(spec reflect.Value) []string
	}
	kinds := map[string]kindCase{
		"Destination": {reflect.TypeFor[v1.DestinationSpec](), func(spec reflect.Value) []string {
			return (&destinationKind{}).SecretRefs(&v1.Destination{Spec: *spec.Interface().(*v1.DestinationSpec)})
		}},
		"Source": {reflect.TypeFor[v1.SourceSpec](), func(spec reflect.Value) []string {
			return (&sourceKind{}).SecretRefs(&v1.Source{Spec: *spec.Interface().(*v1.SourceSpec)})
		}},
		"Connection": {reflect.TypeFor[v1.ConnectionSpec](), func(spec reflect.Value) []string {
			return (&connectionKind{}).SecretRefs(&v1.Connection{Spec: *spec.Interface().(*v1.ConnectionSpec)})
		}},
	}

	// Every kind of the API group is here: a new kind's spec is walked too, or this fails.
	scheme := runtime.NewScheme()
	if err := v1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	for kind, typ := range scheme.KnownTypes(v1.GroupVersion) {
		if _, ok := typ.FieldByName("Spec"); !ok || strings.HasSuffix(kind, "List") {
			continue
		}
		if _, ok := kinds[kind]; !ok {
			t.Errorf("kind %s has a spec this test does not walk: add it to kinds", kind)
		}
	}

	found := 0
	for name, k := range kinds {
		for i, s := range selectorSetters(k.spec, "spec", map[reflect.Type]bool{}) {
			found++
			secret := fmt.Sprintf("secret-%d", i)
			spec := reflect.New(k.spec)
			s.set(spec.Elem(), v1.SecretKeySelector{Name: secret, Key: "key"})
			if got := k.refs(spec); !slices.Contains(got, secret) {
				t.Errorf("%s: SecretRefs of an object setting %s = %v, want it to name %s", name, s.path, got, secret)
			}
		}
	}
	// The http block alone holds four and every other provider block but websocket's one: fewer than there are
	// provider types means the walk is broken.
	if found < len(destinationProviders) {
		t.Fatalf("found %d SecretKeySelector fields in the specs, want at least %d", found, len(destinationProviders))
	}
}
