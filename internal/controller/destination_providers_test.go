// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
)

// providerBlockFields returns, by JSON name, the fields of DestinationSpec that are provider blocks: pointers to a
// struct named *Destination, as every provider block of the API is (HTTPDestination, KafkaDestination, ...).
func providerBlockFields(t *testing.T) map[string]reflect.StructField {
	t.Helper()
	fields := map[string]reflect.StructField{}
	spec := reflect.TypeFor[v1.DestinationSpec]()
	for f := range spec.Fields() {
		if f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.Struct &&
			strings.HasSuffix(f.Type.Elem().Name(), "Destination") {
			fields[jsonName(f)] = f
		}
	}
	if len(fields) == 0 {
		t.Fatal("DestinationSpec has no provider block field")
	}
	return fields
}

// jsonName is the name a struct field has in JSON.
func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	return name
}

// specWithBlock returns a spec whose provider block named block is set (empty), by reflection.
func specWithBlock(t *testing.T, block string) *v1.DestinationSpec {
	t.Helper()
	f, ok := providerBlockFields(t)[block]
	if !ok {
		t.Fatalf("DestinationSpec has no provider block %q", block)
	}
	spec := &v1.DestinationSpec{}
	reflect.ValueOf(spec).Elem().FieldByIndex(f.Index).Set(reflect.New(f.Type.Elem()))
	return spec
}

// TestProviderTableMatchesTheAPI: every provider block of DestinationSpec has exactly one entry, named by its JSON
// name, whose isSet sees that block and no other; every entry's type is one the contract knows, and is unique.
func TestProviderTableMatchesTheAPI(t *testing.T) {
	blocks := providerBlockFields(t)
	entries := map[string]bool{}
	types := map[string]bool{}
	for _, p := range destinationProviders {
		if entries[p.block] {
			t.Errorf("two entries for block %q", p.block)
		}
		entries[p.block] = true
		if types[p.wireType] {
			t.Errorf("two entries for hookstream type %q", p.wireType)
		}
		types[p.wireType] = true
		if _, ok := blocks[p.block]; !ok {
			t.Errorf("entry %q names no provider block of DestinationSpec", p.block)
		}
	}
	for block := range blocks {
		if !entries[block] {
			t.Errorf("provider block %q of DestinationSpec has no entry in destinationProviders", block)
			continue
		}
		spec := specWithBlock(t, block)
		for _, p := range destinationProviders {
			if p.isSet(spec) != (p.block == block) {
				t.Errorf("entry %q: isSet = %t for a spec setting only %q", p.block, p.isSet(spec), block)
			}
		}
	}

	var known []string
	for _, v := range contractSchema(t, "DestinationType").Enum {
		if s, ok := v.(string); ok {
			known = append(known, s)
		}
	}
	for _, p := range destinationProviders {
		if !slices.Contains(known, p.wireType) {
			t.Errorf("entry %q: type %q is not in the contract's DestinationType %v", p.block, p.wireType, known)
		}
	}
}

// destinationSpecSchema is the structural schema of the Destination CRD's spec, as config/crd/bases holds it.
func destinationSpecSchema(t *testing.T) *schema.Structural {
	t.Helper()
	raw, err := os.ReadFile("../../config/crd/bases/hookstream.io_destinations.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.Unmarshal(raw, &crd); err != nil {
		t.Fatal(err)
	}
	if len(crd.Spec.Versions) != 1 || crd.Spec.Versions[0].Schema == nil {
		t.Fatalf("the Destination CRD has %d versions, want one with a schema", len(crd.Spec.Versions))
	}
	specV1, ok := crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"]
	if !ok {
		t.Fatal("the Destination CRD has no spec")
	}
	var internal apiextensions.JSONSchemaProps
	if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(&specV1, &internal, nil); err != nil {
		t.Fatal(err)
	}
	s, err := schema.NewStructural(&internal)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The API server's limits for CRD validation rules (k8s.io/apiserver/pkg/apis/cel: PerCallLimit,
// RuntimeCELCostBudget).
const (
	celPerCallLimit = 1000000
	celCostBudget   = 10000000
)

// TestCELRulesCoverEveryProvider evaluates the CRD's own rules on spec, as the API server does, for every entry of
// the table: a spec with one block is accepted and one with none or two is refused (the exactly-one rule), and an
// update from one block to another is refused while one keeping it is accepted (the immutability rule). A block
// added to the table but left out of either rule fails here. The blocks are empty, so that only the rules on spec
// itself can refuse them (rules of a block hold when its fields are unset); errors elsewhere are not counted.
func TestCELRulesCoverEveryProvider(t *testing.T) {
	s := destinationSpecSchema(t)
	validator := cel.NewValidator(s, false, celPerCallLimit)
	if validator == nil {
		t.Fatal("the Destination CRD's spec has no validation rules")
	}
	path := field.NewPath("spec")
	// refusals returns the messages of the rules on spec itself that refuse obj (an update from old when old is set).
	refusals := func(obj, old map[string]any) []string {
		var oldObj any
		if old != nil {
			oldObj = old
		}
		errs, _ := validator.Validate(context.Background(), path, s, obj, oldObj, celCostBudget)
		var out []string
		for _, e := range errs {
			if e.Field == path.String() {
				out = append(out, e.Detail)
			}
		}
		return out
	}
	spec := func(blocks ...string) map[string]any {
		m := map[string]any{}
		for _, b := range blocks {
			m[b] = map[string]any{}
		}
		return m
	}
	if got := refusals(spec(), nil); len(got) == 0 {
		t.Error("a spec without a provider block is accepted")
	}
	for i, a := range destinationProviders {
		if got := refusals(spec(a.block), nil); len(got) > 0 {
			t.Errorf("a spec with only %s is refused: %v", a.block, got)
		}
		if got := refusals(spec(a.block), spec(a.block)); len(got) > 0 {
			t.Errorf("an update keeping %s is refused: %v", a.block, got)
		}
		for j, b := range destinationProviders {
			if i == j {
				continue
			}
			if got := refusals(spec(a.block, b.block), nil); len(got) == 0 {
				t.Errorf("a spec with both %s and %s is accepted", a.block, b.block)
			}
			if got := refusals(spec(b.block), spec(a.block)); len(got) == 0 {
				t.Errorf("an update from %s to %s is accepted: the type would change", a.block, b.block)
			}
		}
	}
}

// TestCELRulesNameOnlyKnownBlocks: every field the rules on spec test with has() is a field of DestinationSpec,
// and every provider block they name is in the table.
func TestCELRulesNameOnlyKnownBlocks(t *testing.T) {
	s := destinationSpecSchema(t)
	blocks := providerBlockFields(t)
	fields := map[string]bool{}
	spec := reflect.TypeFor[v1.DestinationSpec]()
	for f := range spec.Fields() {
		if f.Anonymous {
			for inner := range f.Type.Fields() {
				fields[jsonName(inner)] = true
			}
		} else {
			fields[jsonName(f)] = true
		}
	}
	inTable := func(block string) bool {
		return slices.ContainsFunc(destinationProviders, func(p destinationProvider) bool { return p.block == block })
	}
	has := regexp.MustCompile(`has\((?:self|oldSelf)\.(\w+)\)`)
	named := 0
	for _, rule := range s.XValidations {
		for _, m := range has.FindAllStringSubmatch(rule.Rule, -1) {
			name := m[1]
			named++
			if !fields[name] {
				t.Errorf("rule %q names %s, which is no field of DestinationSpec", rule.Rule, name)
			}
			if _, block := blocks[name]; block && !inTable(name) {
				t.Errorf("rule %q names the provider block %s, which has no entry in destinationProviders", rule.Rule, name)
			}
		}
	}
	if named == 0 {
		t.Fatal("no rule on spec names a field with has(): the CRD's rules were not found")
	}
}
