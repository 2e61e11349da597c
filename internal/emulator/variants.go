// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Variant names: each is one alternative reading of the contract that the real service may serve instead of
// the one the emulator decides by default (internal/hookstream/contract/variants.md defines them).
const (
	VariantNativeJSON             = "native-json"
	VariantBoolLiterals           = "bool-literals"
	VariantSinglePage             = "single-page"
	VariantStaleCursor            = "stale-cursor"
	VariantPrefixedIDs            = "prefixed-ids"
	VariantHyphenatedVerification = "hyphenated-verification"
	VariantSecretPlaintext        = "secret-plaintext"
	VariantSecretNull             = "secret-null"
	VariantSecretOtherMask        = "secret-other-mask"
	VariantCascadeDelete          = "cascade-delete"
	VariantDanglingConnections    = "dangling-connections"
	VariantUniqueConnectionNames  = "unique-connection-names"
	VariantCoupledEnabledStatus   = "coupled-enabled-status"
	VariantJSONata400             = "jsonata-400"
	VariantIngestURLField         = "ingest-url-field"
	VariantIngestDuplicate409     = "ingest-duplicate-409"

	// VariantAll names every variant that can coexist with the others: see AllVariants.
	VariantAll = "all"
)

// variantInfo describes one variant. Variants of one group exclude each other; AllVariants takes the first
// of each group.
type variantInfo struct {
	name, group string
}

// variants lists every variant in the order of the contract's notes.
var variants = []variantInfo{
	{VariantNativeJSON, ""},
	{VariantBoolLiterals, ""},
	{VariantStaleCursor, "pages"},
	{VariantSinglePage, "pages"},
	{VariantPrefixedIDs, ""},
	{VariantHyphenatedVerification, ""},
	{VariantSecretOtherMask, "secrets"},
	{VariantSecretPlaintext, "secrets"},
	{VariantSecretNull, "secrets"},
	{VariantCascadeDelete, "deletes"},
	{VariantDanglingConnections, "deletes"},
	{VariantUniqueConnectionNames, ""},
	{VariantCoupledEnabledStatus, ""},
	{VariantJSONata400, ""},
	{VariantIngestURLField, ""},
	{VariantIngestDuplicate409, ""},
}

// VariantNames returns the name of every variant, in the order of the contract's notes.
func VariantNames() []string {
	names := make([]string, len(variants))
	for i, v := range variants {
		names[i] = v.name
	}
	return names
}

// AllVariants returns what "all" turns on: every variant, except that of the variants that exclude each other
// (the two list shapes, the three secret read-backs, the two deletes of a referenced end) only the first named
// in VariantNames.
func AllVariants() []string {
	var names []string
	groups := map[string]bool{}
	for _, v := range variants {
		if v.group != "" {
			if groups[v.group] {
				continue
			}
			groups[v.group] = true
		}
		names = append(names, v.name)
	}
	return names
}

// ParseVariants reads a comma-separated list of variant names ("all" standing for AllVariants) and checks it:
// an unknown name or two names that exclude each other are an error that lists the known names.
func ParseVariants(list string) ([]string, error) {
	var names []string
	for name := range strings.SplitSeq(list, ",") {
		switch name = strings.TrimSpace(name); name {
		case "":
		case VariantAll:
			names = append(names, AllVariants()...)
		default:
			names = append(names, name)
		}
	}
	slices.Sort(names)
	names = slices.Compact(names)
	if _, err := newVariantSet(names); err != nil {
		return nil, err
	}
	return names, nil
}

// variantSet is the variants a Server serves.
type variantSet struct {
	nativeJSON, boolLiterals, singlePage, staleCursor, prefixedIDs, hyphenated bool
	secretPlaintext, secretNull, secretOtherMask                               bool
	cascadeDelete, danglingConnections, uniqueConnectionNames                  bool
	coupledEnabledStatus, jsonata400, ingestURLField, ingestDuplicate409       bool
}

func newVariantSet(names []string) (variantSet, error) {
	var set variantSet
	flags := map[string]*bool{
		VariantNativeJSON: &set.nativeJSON, VariantBoolLiterals: &set.boolLiterals,
		VariantSinglePage: &set.singlePage, VariantStaleCursor: &set.staleCursor,
		VariantPrefixedIDs: &set.prefixedIDs, VariantHyphenatedVerification: &set.hyphenated,
		VariantSecretPlaintext: &set.secretPlaintext, VariantSecretNull: &set.secretNull,
		VariantSecretOtherMask: &set.secretOtherMask, VariantCascadeDelete: &set.cascadeDelete,
		VariantDanglingConnections: &set.danglingConnections, VariantUniqueConnectionNames: &set.uniqueConnectionNames,
		VariantCoupledEnabledStatus: &set.coupledEnabledStatus, VariantJSONata400: &set.jsonata400,
		VariantIngestURLField: &set.ingestURLField, VariantIngestDuplicate409: &set.ingestDuplicate409,
	}
	groups := map[string]string{}
	for _, name := range names {
		flag, ok := flags[name]
		if !ok {
			return variantSet{}, fmt.Errorf("unknown variant %q: known variants are %s, and %s for all that can coexist",
				name, strings.Join(VariantNames(), ", "), VariantAll)
		}
		i := slices.IndexFunc(variants, func(v variantInfo) bool { return v.name == name })
		if group := variants[i].group; group != "" {
			if other, taken := groups[group]; taken && other != name {
				return variantSet{}, fmt.Errorf("variants %q and %q exclude each other", other, name)
			}
			groups[group] = name
		}
		*flag = true
	}
	return set, nil
}

// rewritesRows reports variants that change how rows read back, beyond their secrets.
func (v variantSet) rewritesRows() bool {
	return v.nativeJSON || v.boolLiterals || v.hyphenated || v.ingestURLField
}

// newID makes the id of a new row: 32 hex digits, behind the resource's prefix under prefixed-ids.
func (s *Server) newID(prefix string) string {
	if s.variants.prefixedIDs {
		return prefix + randomHex(16)
	}
	return randomHex(16)
}

// secretView is the read-back form of a secret value: masked as the contract decides, or as the secret
// variants have it (plain text, masked in another format; null for verification_secret only).
func (s *Server) secretView(secret string) string {
	switch {
	case s.variants.secretPlaintext:
		return secret
	case s.variants.secretOtherMask:
		return otherMask(secret)
	}
	return maskSecret(secret)
}

// otherMask is a mask of another format than the contract's: bullets, then the last four characters of
// secrets of at least 12.
func otherMask(secret string) string {
	runes := []rune(secret)
	if len(runes) < 12 {
		return "••••••••"
	}
	return "••••••••" + string(runes[len(runes)-4:])
}

// rowShape lists the columns of one resource that the row-rewriting variants change.
type rowShape struct {
	encoded, flags []string
}

var (
	destinationShape = rowShape{
		encoded: []string{"headers", "auth_config", "retry_intervals", "provider_config"},
		flags:   []string{"retry_enabled", "circuit_breaker_enabled"},
	}
	sourceShape = rowShape{
		encoded: []string{"source_config", "verification_config", "ip_allowlist", "ip_denylist", "json_schema"},
		flags:   []string{"verification_enabled", "dedup_enabled", "schema_validation_enabled", "is_ephemeral"},
	}
	connectionShape = rowShape{
		encoded: []string{"filter_rules"},
		flags:   []string{"enabled", "transform_enabled"},
	}
)

// rewrite returns row as the row-rewriting variants show it: JSON-valued columns as native JSON, flags as
// true/false, the verification type hyphenated; extra members are appended.
func (v variantSet) rewrite(row any, shape rowShape, extra ...member) any {
	data, err := json.Marshal(row)
	if err != nil {
		panic("emulator: encoding a row: " + err.Error())
	}
	obj, err := splitOrdered(data)
	if err != nil {
		panic("emulator: splitting a row: " + err.Error())
	}
	for i := range obj {
		m := &obj[i]
		switch {
		case v.nativeJSON && slices.Contains(shape.encoded, m.name):
			var text string
			if bytes.HasPrefix(m.value, []byte(`"`)) && json.Unmarshal(m.value, &text) == nil {
				m.value = json.RawMessage(text)
			}
		case v.boolLiterals && slices.Contains(shape.flags, m.name):
			switch string(m.value) {
			case "0":
				m.value = json.RawMessage("false")
			case "1":
				m.value = json.RawMessage("true")
			}
		case v.hyphenated && m.name == "verification_type":
			m.value = bytes.ReplaceAll(m.value, []byte("_"), []byte("-"))
		}
	}
	return append(obj, extra...)
}

// member is one member of a JSON object.
type member struct {
	name  string
	value json.RawMessage
}

// orderedObject is a JSON object that keeps the order of its members.
type orderedObject []member

func (o orderedObject) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			buf.WriteByte(',')
		}
		name, err := json.Marshal(m.name)
		if err != nil {
			return nil, err
		}
		buf.Write(name)
		buf.WriteByte(':')
		buf.Write(m.value)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// splitOrdered splits a JSON object into its members, in order.
func splitOrdered(data []byte) (orderedObject, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("not an object")
	}
	var obj orderedObject
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, _ := tok.(string)
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, err
		}
		obj = append(obj, member{name: name, value: value})
	}
	return obj, nil
}
