// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/internal/managed"
)

// compareSource compares the remote row with the desired source, for the blocks the user set only, and returns
// the PATCH that converges it. secretsRotated says the signing secret differs from the one last applied, which
// the masked remote row cannot show.
func compareSource(want *desiredSource, got *hookstream.Source, secretsRotated bool) managed.Observation[*hookstream.SourceUpdateRequest] {
	req := &want.request
	obs := managed.Observation[*hookstream.SourceUpdateRequest]{Patch: &hookstream.SourceUpdateRequest{}}
	p := obs.Patch
	add := obs.Add

	if req.Name != got.Name {
		p.Name = hookstream.Set(req.Name)
		add("name", req.Name, got.Name)
	}
	if req.Description != nil && !ptrEqual(req.Description, got.Description) {
		p.Description = hookstream.Set(*req.Description)
		add("description", *req.Description, ptrString(got.Description))
	}
	if want.status != "" && want.status != got.Status {
		p.Status = hookstream.Set(want.status)
		add("status", want.status, got.Status)
	}
	if want.manageVerification {
		compareVerification(req, got, p, secretsRotated, add, &obs.Diffs)
	}
	if want.manageDedup {
		if !got.DedupEnabled {
			p.DedupEnabled = hookstream.Set(true)
			add("dedup_enabled", "true", "false")
		}
		if !ptrEqual(req.DedupStrategy, got.DedupStrategy) {
			p.DedupStrategy = hookstream.Set(*req.DedupStrategy)
			add("dedup_strategy", *req.DedupStrategy, ptrString(got.DedupStrategy))
		}
		if req.DedupField != nil && (got.DedupField == nil || dedupPath(*req.DedupField) != dedupPath(*got.DedupField)) {
			p.DedupField = hookstream.Set(*req.DedupField)
			add("dedup_field", *req.DedupField, ptrString(got.DedupField))
		}
		if req.DedupWindowSeconds != nil && !ptrEqual(req.DedupWindowSeconds, got.DedupWindowSeconds) {
			p.DedupWindowSeconds = hookstream.Set(*req.DedupWindowSeconds)
			add("dedup_window_seconds", fmt.Sprint(*req.DedupWindowSeconds), ptrString(got.DedupWindowSeconds))
		}
	}
	if want.manageAllowlist {
		if patch, differs := compareIPList(req.IPAllowlist, got.IPAllowlist); differs {
			p.IPAllowlist = patch
			add("ip_allowlist", ipListString(req.IPAllowlist), ipListString(got.IPAllowlist))
		}
	}
	if want.manageDenylist {
		if patch, differs := compareIPList(req.IPDenylist, got.IPDenylist); differs {
			p.IPDenylist = patch
			add("ip_denylist", ipListString(req.IPDenylist), ipListString(got.IPDenylist))
		}
	}
	if want.manageSchema {
		if !got.SchemaValidationEnabled {
			p.SchemaValidationEnabled = hookstream.Set(true)
			add("schema_validation_enabled", "true", "false")
		}
		// A null schema_action behaves as warn (the API contract): a spec asking for warn matches it.
		gotAction := got.SchemaAction
		if gotAction == nil {
			gotAction = new(hookstream.SchemaActionWarn)
		}
		if !ptrEqual(req.SchemaAction, gotAction) {
			p.SchemaAction = hookstream.Set(*req.SchemaAction)
			add("schema_action", *req.SchemaAction, ptrString(got.SchemaAction))
		}
		if !jsonEqual(req.JSONSchema, got.JSONSchema) {
			p.JSONSchema = hookstream.Set(req.JSONSchema)
			add(fieldJSONSchema, summariseJSON(req.JSONSchema), summariseJSON(got.JSONSchema))
		}
	}
	return obs
}

// compareVerification compares the signature check. The secret cannot be read back: it differs when the Secret
// was rotated since it was sent, when hookstream holds none (verification off), or when hookstream's mask shows
// other last characters. A secret read back in a form the operator does not know, or null with verification on,
// counts as unchanged.
func compareVerification(req *hookstream.SourceCreateRequest, got *hookstream.Source, p *hookstream.SourceUpdateRequest,
	secretsRotated bool, add func(field, desired, observed string), diffs *[]managed.FieldDiff) {
	if !got.VerificationEnabled {
		p.VerificationEnabled = hookstream.Set(true)
		add("verification_enabled", "true", "false")
	}
	if req.VerificationType != nil && (got.VerificationType == nil ||
		*req.VerificationType != hookstream.NormalizeVerificationType(*got.VerificationType)) {
		p.VerificationType = hookstream.Set(*req.VerificationType)
		add("verification_type", *req.VerificationType, ptrString(got.VerificationType))
	}
	if req.VerificationHeader != nil && (got.VerificationHeader == nil || !strings.EqualFold(*req.VerificationHeader, *got.VerificationHeader)) {
		p.VerificationHeader = hookstream.Set(*req.VerificationHeader)
		add("verification_header", *req.VerificationHeader, ptrString(got.VerificationHeader))
	}
	// A null secret with verification on is how some deployments read every secret back: it tells nothing.
	unreadable := got.VerificationSecret == nil && got.VerificationEnabled
	if secret := *req.VerificationSecret; secretsRotated || (!unreadable && secretChanged(secret, got.VerificationSecret)) {
		p.VerificationSecret = hookstream.Set(secret)
		*diffs = append(*diffs, managed.FieldDiff{Field: fieldVerificationSecret, Desired: shownSecret, Observed: shownSecret, Secret: true})
	}
}

// secretChanged reports a remote secret that is certainly not the one wanted: absent, or masked with other last
// characters. Plain text equal to the secret, and masks of another format, do not count.
func secretChanged(want string, got *string) bool {
	switch {
	case got == nil || *got == "":
		return true
	case *got == want:
		return false
	case strings.HasPrefix(*got, "****") && len(*got) <= len("****")+4:
		return *got != maskSecret(want)
	}
	return false
}

// compareIPList compares an IP list as a set. An empty wanted list clears the remote one with null.
func compareIPList(want, got []string) (hookstream.Opt[[]string], bool) {
	if slices.Equal(sortedCopy(want), sortedCopy(got)) {
		return hookstream.Opt[[]string]{}, false
	}
	if len(want) == 0 {
		return hookstream.Null[[]string](), true
	}
	return hookstream.Set(want), true
}

func sortedCopy(v []string) []string {
	out := slices.Clone(v)
	slices.Sort(out)
	return slices.Compact(out)
}

func ipListString(v []string) string {
	if len(v) == 0 {
		return "[]"
	}
	return "[" + strings.Join(v, ",") + "]"
}

// dedupPath is a body path without the `$.` prefix hookstream accepts.
func dedupPath(field string) string { return strings.TrimPrefix(field, "$.") }

// jsonEqual compares two JSON documents by value, so that key order and spacing do not count.
func jsonEqual(a, b json.RawMessage) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}

// summariseJSON shows a JSON document in a diff, shortened: schemas can be long.
func summariseJSON(v json.RawMessage) string {
	const limit = 120
	if v == nil {
		return shownNull
	}
	if s := string(v); len(s) > limit {
		return s[:limit] + "..."
	}
	return string(v)
}
