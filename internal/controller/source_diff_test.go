// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/internal/managed"
)

const testSchema = `{"type":"object","required":["id"]}`

func testSourceRefs() managed.Refs {
	return managed.Refs{
		Secret: resolveTestSecret,
		ConfigMap: func(ref v1.ConfigMapKeySelector) (string, error) {
			if ref.Name == "schemas" && ref.Key == "orders.json" {
				return testSchema, nil
			}
			return "", errors.New("no " + ref.Name + "/" + ref.Key)
		},
	}
}

// fullSource sets every field of the spec.
func fullSource() *v1.Source {
	return &v1.Source{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "orders"},
		Spec: v1.SourceSpec{
			DisplayName: "Orders", Description: "orders from the shop", Template: "github", State: v1.StatePaused,
			Verification: &v1.SourceVerification{Type: v1.VerificationHMACSHA256, Header: "X-Hub-Signature-256",
				SecretRef: v1.SecretKeySelector{Name: "creds", Key: "token"}},
			Deduplication: &v1.SourceDeduplication{Strategy: "body_field", Field: "$.data.id", WindowSeconds: ptr.To[int32](600)},
			IPAllowlist:   []v1.IPv4OrCIDR{"203.0.113.0/24", "198.51.100.7"},
			IPDenylist:    []v1.IPv4OrCIDR{"203.0.113.9"},
			SchemaValidation: &v1.SourceSchemaValidation{Action: "reject",
				SchemaConfigMapRef: &v1.ConfigMapKeySelector{Name: "schemas", Key: "orders.json"}},
		},
	}
}

// convergedRow is a row that holds what fullSource asks for, in the forms hookstream may read it back in: the
// secret masked, the verification type hyphenated, the body path without `$.`, the lists in another order, the
// schema with its keys reordered.
func convergedRow(secret string) *hookstream.Source {
	return &hookstream.Source{
		ID: tableID, Name: "Orders", Description: new("orders from the shop"), Slug: "team-orders", Type: "http",
		Template: new("github"), Status: "paused",
		VerificationEnabled: true, VerificationType: new("hmac-sha256"), VerificationHeader: new("x-hub-signature-256"),
		VerificationSecret: new(maskSecret(secret)),
		DedupEnabled:       true, DedupStrategy: new("body_field"), DedupField: new("data.id"), DedupWindowSeconds: new(600),
		IPAllowlist: []string{"198.51.100.7", "203.0.113.0/24"}, IPDenylist: []string{"203.0.113.9"},
		SchemaValidationEnabled: true, SchemaAction: new("reject"), JSONSchema: json.RawMessage(`{"required":["id"],"type":"object"}`),
	}
}

// TestSourceCompareFindsEachField changes one remote field per row and checks that exactly that field differs and
// that the PATCH carries exactly it.
func TestSourceCompareFindsEachField(t *testing.T) {
	want, err := buildSourceDesired(fullSource(), testSourceRefs())
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := resolveTestSecret(v1.SecretKeySelector{Name: "creds", Key: "token"})
	if obs := compareSource(want, convergedRow(secret), false); !obs.UpToDate() {
		t.Fatalf("the converged row differs: %+v", obs.Diffs)
	}
	tests := map[string]struct {
		change func(*hookstream.Source)
		field  string
	}{
		"name":                   {func(r *hookstream.Source) { r.Name = "Other" }, "name"},
		"description":            {func(r *hookstream.Source) { r.Description = nil }, "description"},
		"status":                 {func(r *hookstream.Source) { r.Status = "active" }, "status"},
		"verification off":       {func(r *hookstream.Source) { r.VerificationEnabled = false }, "verification_enabled"},
		"verification type":      {func(r *hookstream.Source) { r.VerificationType = new("hmac_sha1") }, "verification_type"},
		"verification header":    {func(r *hookstream.Source) { r.VerificationHeader = new("X-Other") }, "verification_header"},
		"secret with other mask": {func(r *hookstream.Source) { r.VerificationSecret = new("****zzzz") }, fieldVerificationSecret},
		"dedup off":              {func(r *hookstream.Source) { r.DedupEnabled = false }, "dedup_enabled"},
		"dedup strategy":         {func(r *hookstream.Source) { r.DedupStrategy = new("payload_hash") }, "dedup_strategy"},
		"dedup field":            {func(r *hookstream.Source) { r.DedupField = new("data.other") }, "dedup_field"},
		"dedup window":           {func(r *hookstream.Source) { r.DedupWindowSeconds = new(300) }, "dedup_window_seconds"},
		"allowlist entry added":  {func(r *hookstream.Source) { r.IPAllowlist = append(r.IPAllowlist, "0.0.0.0/0") }, "ip_allowlist"},
		"denylist cleared":       {func(r *hookstream.Source) { r.IPDenylist = nil }, "ip_denylist"},
		"schema off":             {func(r *hookstream.Source) { r.SchemaValidationEnabled = false }, "schema_validation_enabled"},
		"schema action":          {func(r *hookstream.Source) { r.SchemaAction = nil }, "schema_action"},
		"schema":                 {func(r *hookstream.Source) { r.JSONSchema = json.RawMessage(`{"type":"object"}`) }, fieldJSONSchema},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			row := convergedRow(secret)
			tc.change(row)
			obs := compareSource(want, row, false)
			if diff := cmp.Diff([]string{tc.field}, obs.Fields()); diff != "" {
				t.Errorf("differing fields (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{tc.field}, obs.Patch.Fields()); diff != "" {
				t.Errorf("PATCH fields (-want +got):\n%s", diff)
			}
			for _, d := range obs.Diffs {
				if strings.Contains(d.Desired+d.Observed, secret) {
					t.Errorf("the diff shows the secret: %+v", d)
				}
			}
		})
	}
}

func TestSourceCompareLeavesUnsetBlocksAlone(t *testing.T) {
	want, err := buildSourceDesired(&v1.Source{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "orders"}}, testSourceRefs())
	if err != nil {
		t.Fatal(err)
	}
	row := convergedRow("anything-at-all")
	row.Name = "orders"
	if obs := compareSource(want, row, true); !obs.UpToDate() {
		t.Errorf("a spec without blocks manages them anyway: %v", obs.Fields())
	}
}

func TestSourceRotatedSecretIsSentAgain(t *testing.T) {
	want, err := buildSourceDesired(fullSource(), testSourceRefs())
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := resolveTestSecret(v1.SecretKeySelector{Name: "creds", Key: "token"})
	obs := compareSource(want, convergedRow(secret), true)
	if got, ok := obs.Patch.VerificationSecret.Value(); !ok || got != secret || !obs.Diffs[0].Secret {
		t.Errorf("after a rotation the PATCH carries %q (set %v), diffs %+v", got, ok, obs.Diffs)
	}
}

func TestEmptyIPListClearsTheRemoteOne(t *testing.T) {
	s := fullSource()
	s.Spec.IPAllowlist = []v1.IPv4OrCIDR{}
	want, err := buildSourceDesired(s, testSourceRefs())
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := resolveTestSecret(v1.SecretKeySelector{Name: "creds", Key: "token"})
	obs := compareSource(want, convergedRow(secret), false)
	if !obs.Patch.IPAllowlist.IsNull() || !slices.Equal(obs.Fields(), []string{"ip_allowlist"}) {
		t.Errorf("an empty allowlist should PATCH ip_allowlist to null; fields %v", obs.Fields())
	}
	row := convergedRow(secret)
	row.IPAllowlist = nil
	if obs := compareSource(want, row, false); !obs.UpToDate() {
		t.Errorf("an empty allowlist differs from none: %v", obs.Fields())
	}
}

func TestSourceSchemaMustBeAnObject(t *testing.T) {
	for name, raw := range map[string]string{"array": `["a"]`, "not JSON": `{"type":`, "string": `"object"`} {
		t.Run(name, func(t *testing.T) {
			s := fullSource()
			s.Spec.SchemaValidation = &v1.SourceSchemaValidation{Action: "warn", Schema: &runtime.RawExtension{Raw: []byte(raw)}}
			if _, err := buildSourceDesired(s, testSourceRefs()); err == nil || !strings.Contains(err.Error(), "JSON object") {
				t.Errorf("error = %v, want one saying the schema must be a JSON object", err)
			}
		})
	}
}

func TestSourceSecretMaterialCoversTheSchemaConfigMap(t *testing.T) {
	want, err := buildSourceDesired(fullSource(), testSourceRefs())
	if err != nil {
		t.Fatal(err)
	}
	m := want.SecretMaterial()
	if !slices.IsSorted(m) || len(m) != 2 || !strings.HasPrefix(m[0], fieldJSONSchema+"=") || !strings.HasPrefix(m[1], fieldVerificationSecret+"=") {
		t.Errorf("secret material = %d entries, sorted %v", len(m), slices.IsSorted(m))
	}
}

// TestSourceNullSecret: a null secret with verification on is a read-back form that tells nothing; with
// verification off, the secret goes with it.
func TestSourceNullSecret(t *testing.T) {
	want, err := buildSourceDesired(fullSource(), testSourceRefs())
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := resolveTestSecret(v1.SecretKeySelector{Name: "creds", Key: "token"})
	row := convergedRow(secret)
	row.VerificationSecret = nil
	if obs := compareSource(want, row, false); !obs.UpToDate() {
		t.Errorf("a null secret with verification on differs: %+v", obs.Diffs)
	}
	row.VerificationEnabled = false
	obs := compareSource(want, row, false)
	if diff := cmp.Diff([]string{"verification_enabled", fieldVerificationSecret}, obs.Patch.Fields()); diff != "" {
		t.Errorf("PATCH fields (-want +got):\n%s", diff)
	}
}

func TestSecretChanged(t *testing.T) {
	const secret = "whsec-0123456789"
	tests := map[string]struct {
		got  *string
		want bool
	}{
		"none":                {nil, true},
		"empty":               {new(""), true},
		"our mask, same tail": {new(maskSecret(secret)), false},
		"our mask, other":     {new("****0000"), true},
		"plain, same":         {new(secret), false},
		"unknown mask format": {new("whs•••••789"), false},
	}
	for name, tc := range tests {
		if got := secretChanged(secret, tc.got); got != tc.want {
			t.Errorf("%s: secretChanged = %v, want %v", name, got, tc.want)
		}
	}
}

// TestSourceNullSchemaActionIsWarn: hookstream applies warn for a null schema_action, so a spec asking for warn
// matches it, and one asking for reject does not.
func TestSourceNullSchemaActionIsWarn(t *testing.T) {
	secret, _ := resolveTestSecret(v1.SecretKeySelector{Name: "creds", Key: "token"})
	for action, differs := range map[v1.SchemaAction]bool{"warn": false, "reject": true} {
		s := fullSource()
		s.Spec.SchemaValidation.Action = action
		want, err := buildSourceDesired(s, testSourceRefs())
		if err != nil {
			t.Fatal(err)
		}
		row := convergedRow(secret)
		row.SchemaAction = nil
		if obs := compareSource(want, row, false); obs.UpToDate() == differs {
			t.Errorf("spec action %s against a null one: differing fields %v, want a difference: %t", action, obs.Fields(), differs)
		}
	}
}
