// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"encoding/json"
	"fmt"

	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/internal/managed"
)

// compareConnection compares the remote row with the desired connection, for the fields the user set only, and
// returns the PATCH that converges it. The ids are not compared here: CheckIdentity replaces a connection whose
// ends changed.
func compareConnection(want *desiredConnection, got *hookstream.Connection, _ bool) managed.Observation[*hookstream.ConnectionUpdateRequest] {
	req := &want.request
	obs := managed.Observation[*hookstream.ConnectionUpdateRequest]{Patch: &hookstream.ConnectionUpdateRequest{}}
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
	// hookstream may couple status and enabled: they are one setting, always sent together.
	if want.status != "" && (want.status != got.Status || want.enabled != got.Enabled) {
		p.Status = hookstream.Set(want.status)
		p.Enabled = hookstream.Set(want.enabled)
		if want.status != got.Status {
			add("status", want.status, got.Status)
		}
		if want.enabled != got.Enabled {
			add("enabled", fmt.Sprint(want.enabled), fmt.Sprint(got.Enabled))
		}
	}
	if want.manageFilters && !filterRulesEqual(req.FilterRules, got.FilterRules) {
		if len(req.FilterRules) == 0 {
			p.FilterRules = hookstream.Null[[]hookstream.FilterRule]()
		} else {
			p.FilterRules = hookstream.Set(req.FilterRules)
		}
		add("filter_rules", rulesString(req.FilterRules), rulesString(got.FilterRules))
	}
	if want.manageTransform {
		compareTransform(req, got, p, add)
	}
	return obs
}

// compareTransform converges the transform: an expression enables it, none disables and clears it.
func compareTransform(req *hookstream.ConnectionCreateRequest, got *hookstream.Connection, p *hookstream.ConnectionUpdateRequest,
	add func(field, desired, observed string)) {
	if req.TransformExpression == nil {
		if got.TransformEnabled || got.TransformExpression != nil {
			p.TransformEnabled = hookstream.Set(false)
			p.TransformExpression = hookstream.Null[string]()
			add("transform_expression", shownNull, ptrString(got.TransformExpression))
		}
		return
	}
	if !got.TransformEnabled {
		p.TransformEnabled = hookstream.Set(true)
		add("transform_enabled", "true", "false")
	}
	if !ptrEqual(req.TransformExpression, got.TransformExpression) {
		p.TransformExpression = hookstream.Set(*req.TransformExpression)
		add("transform_expression", *req.TransformExpression, ptrString(got.TransformExpression))
	}
}

// filterRulesEqual compares rule lists in order (the API keeps it), values by JSON value.
func filterRulesEqual(a, b []hookstream.FilterRule) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Field != b[i].Field || a[i].Op != b[i].Op || !jsonEqual(a[i].Value, b[i].Value) {
			return false
		}
	}
	return true
}

// rulesString shows rules in a diff as compact JSON, shortened.
func rulesString(rules []hookstream.FilterRule) string {
	if len(rules) == 0 {
		return "[]"
	}
	b, err := json.Marshal(rules)
	if err != nil {
		return fmt.Sprintf("%d rules", len(rules))
	}
	return summariseJSON(b)
}
