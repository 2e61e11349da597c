// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"fmt"
	"reflect"
	"slices"
	"testing"

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
	// Every kind of the registry, which TestRegistryHasEveryKind holds to the API.
	found := 0
	for _, k := range Kinds {
		specType := reflect.TypeOf(k.New()).Elem()
		field, ok := specType.FieldByName("Spec")
		if !ok {
			t.Errorf("%s has no spec", k.Kind)
			continue
		}
		for i, s := range selectorSetters(field.Type, "spec", map[reflect.Type]bool{}) {
			found++
			secret := fmt.Sprintf("secret-%d", i)
			obj := k.New()
			s.set(reflect.ValueOf(obj).Elem().FieldByIndex(field.Index), v1.SecretKeySelector{Name: secret, Key: "key"})
			if got := k.SecretRefs(obj); !slices.Contains(got, secret) {
				t.Errorf("%s: SecretRefs of an object setting %s = %v, want it to name %s", k.Kind, s.path, got, secret)
			}
		}
	}
	// The http block alone holds four and every other provider block but websocket's one: fewer than there are
	// provider types means the walk is broken.
	if found < len(destinationProviders) {
		t.Fatalf("found %d SecretKeySelector fields in the specs, want at least %d", found, len(destinationProviders))
	}
}
