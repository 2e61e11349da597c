// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/internal/managed"
)

// desiredSource is the remote source the spec asks for, secrets resolved: a pure function of the spec and the
// referenced Secret and ConfigMap values, compared with the remote row.
type desiredSource struct {
	// request is the full create body; the blocks the spec sets are the ones under management.
	request hookstream.SourceCreateRequest
	// status is the remote `status` to converge to; empty when spec.state is unset.
	status string
	// Blocks the user set, so they are compared; the others keep hookstream's values.
	manageVerification bool
	manageDedup        bool
	// manageAllowlist, manageDenylist: the list is set, possibly empty (which clears it).
	manageAllowlist bool
	manageDenylist  bool
	manageSchema    bool
	// secretMaterial is "field=value" of every secret value sent, and of the schema when a ConfigMap holds it;
	// only its keyed hash ever leaves memory.
	secretMaterial []string
}

// Field names of the sources API, as shown in diffs and events.
const (
	fieldVerificationSecret = "verification_secret"
	fieldJSONSchema         = "json_schema"
)

// buildSourceDesired maps a Source's spec to the remote source it asks for.
func buildSourceDesired(s *v1.Source, refs managed.Refs) (*desiredSource, error) {
	spec := &s.Spec
	want := &desiredSource{
		request: hookstream.SourceCreateRequest{
			Name:     spec.DisplayName,
			Slug:     sourceSlug(s),
			Type:     hookstream.SourceTypeHTTP,
			Template: string(spec.Template),
		},
		status: string(spec.State),
	}
	req := &want.request
	if req.Name == "" {
		req.Name = defaultDisplayName(s.Name)
	}
	if spec.Description != "" {
		req.Description = new(spec.Description)
	}
	if v := spec.Verification; v != nil {
		secret, err := refs.Secret(v.SecretRef)
		if err != nil {
			return nil, err
		}
		want.manageVerification = true
		want.secretMaterial = append(want.secretMaterial, fieldVerificationSecret+"="+secret)
		req.VerificationEnabled = new(true)
		req.VerificationSecret = &secret
		if v.Type != "" {
			req.VerificationType = new(string(v.Type))
		}
		if v.Header != "" {
			req.VerificationHeader = new(v.Header)
		}
	}
	if d := spec.Deduplication; d != nil {
		want.manageDedup = true
		req.DedupEnabled = new(true)
		req.DedupStrategy = new(string(d.Strategy))
		if d.Field != "" {
			req.DedupField = new(d.Field)
		}
		req.DedupWindowSeconds = int32PtrToInt(d.WindowSeconds)
	}
	if spec.IPAllowlist != nil {
		want.manageAllowlist = true
		req.IPAllowlist = ipList(spec.IPAllowlist)
	}
	if spec.IPDenylist != nil {
		want.manageDenylist = true
		req.IPDenylist = ipList(spec.IPDenylist)
	}
	if sv := spec.SchemaValidation; sv != nil {
		schema, err := sourceSchema(sv, refs)
		if err != nil {
			return nil, err
		}
		want.manageSchema = true
		if sv.SchemaConfigMapRef != nil {
			// Part of the hash of applied references: a change of the ConfigMap is an update, not drift.
			want.secretMaterial = append(want.secretMaterial, fieldJSONSchema+"="+string(schema))
		}
		req.SchemaValidationEnabled = new(true)
		req.SchemaAction = new(string(sv.Action))
		req.JSONSchema = schema
	}
	slices.Sort(want.secretMaterial)
	return want, nil
}

// sourceSchema returns the JSON Schema of the spec, compact: inline, or read from the referenced ConfigMap key.
func sourceSchema(sv *v1.SourceSchemaValidation, refs managed.Refs) (json.RawMessage, error) {
	var raw []byte
	where := "spec.schemaValidation.schema"
	switch {
	case sv.Schema != nil:
		raw = sv.Schema.Raw
	case sv.SchemaConfigMapRef != nil:
		ref := *sv.SchemaConfigMapRef
		text, err := refs.ConfigMap(ref)
		if err != nil {
			return nil, err
		}
		raw = []byte(text)
		where = fmt.Sprintf("key %q of ConfigMap %q", ref.Key, ref.Name)
	default:
		return nil, fmt.Errorf("spec.schemaValidation sets neither schema nor schemaConfigMapRef")
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil || !bytes.HasPrefix(compact.Bytes(), []byte("{")) {
		return nil, fmt.Errorf("%s is not a JSON object: a JSON Schema must be one", where)
	}
	return compact.Bytes(), nil
}

// ipList turns the spec's list into the API's; an empty list stays empty (not nil), since it clears the remote one.
func ipList(entries []v1.IPv4OrCIDR) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = string(e)
	}
	return out
}

// Request is the remote source the spec asks for, as one JSON value.
func (want *desiredSource) Request() any {
	return struct {
		Request hookstream.SourceCreateRequest `json:"request"`
		Status  string                         `json:"status"`
	}{want.request, want.status}
}

// KeyDescription names the slug, the source's natural key, for messages.
func (want *desiredSource) KeyDescription() string {
	return fmt.Sprintf("slug %q", want.request.Slug)
}

// SecretMaterial lists the secret values the request carries, and the schema read from a ConfigMap, each with its
// field, sorted.
func (want *desiredSource) SecretMaterial() []string { return want.secretMaterial }
