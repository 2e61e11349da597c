// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/internal/managed"
)

// compareDestination compares the remote row with the desired destination, for the fields the user set only, and
// returns the PATCH that converges it. secretsRotated says the Secret values differ from the ones last applied,
// which the masked remote row cannot show.
func compareDestination(want *desiredDestination, got *hookstream.Destination, secretsRotated bool) managed.Observation[*hookstream.UpdateRequest] {
	req := &want.request
	obs := managed.Observation[*hookstream.UpdateRequest]{Patch: &hookstream.UpdateRequest{}}
	p := obs.Patch
	add := obs.Add

	if req.Name != got.Name {
		p.Name = hookstream.Set(req.Name)
		add("name", req.Name, got.Name)
	}
	if want.status != "" && want.status != got.Status {
		p.Status = hookstream.Set(want.status)
		add("status", want.status, got.Status)
	}
	if provider := providerByType(req.Type); provider != nil {
		provider.compare(want, got, &obs, secretsRotated)
	}
	comparePolicies(req, got, p, add)
	return obs
}

// compareHTTP compares the top-level fields of an http destination that the user set.
func compareHTTP(want *desiredDestination, got *hookstream.Destination, obs *destinationObservation, secretsRotated bool) {
	req, p, add := &want.request, obs.Patch, obs.Add
	if req.URL != got.URL {
		p.URL = hookstream.Set(req.URL)
		add("url", req.URL, got.URL)
	}
	if req.Method != "" && !strings.EqualFold(req.Method, got.Method) {
		p.Method = hookstream.Set(req.Method)
		add("method", req.Method, got.Method)
	}
	if req.TimeoutMS != nil && *req.TimeoutMS != got.TimeoutMS {
		p.TimeoutMS = hookstream.Set(*req.TimeoutMS)
		add("timeout_ms", fmt.Sprint(*req.TimeoutMS), fmt.Sprint(got.TimeoutMS))
	}
	if want.manageHeaders && !maps.Equal(req.Headers, got.Headers) {
		p.Headers = hookstream.Set(req.Headers)
		// Header values may come from Secrets: only the names are recorded.
		add("headers", strings.Join(slices.Sorted(maps.Keys(req.Headers)), ","),
			strings.Join(slices.Sorted(maps.Keys(got.Headers)), ","))
	}
	if !want.manageAuth {
		return
	}
	if req.AuthType != got.AuthType {
		p.AuthType = hookstream.Set(req.AuthType)
		add("auth_type", req.AuthType, got.AuthType)
	}
	secrets := want.secretFields[objAuthConfig]
	if req.AuthConfig == nil {
		if got.AuthConfig != nil {
			p.AuthConfig = hookstream.Null[map[string]string]()
			add("auth_config", "null", "set")
		}
	} else if changed := compareObject(objAuthConfig, req.AuthConfig, got.AuthConfig, secrets, secretsRotated); len(changed) > 0 {
		p.AuthConfig = hookstream.Set(req.AuthConfig)
		obs.Diffs = append(obs.Diffs, changed...)
	}
}

// compareProviderConfig compares the provider_config keys the user set, for the types configured there.
func compareProviderConfig(want *desiredDestination, got *hookstream.Destination, obs *destinationObservation, secretsRotated bool) {
	req := &want.request
	secrets := want.secretFields[objProviderConfig]
	if changed := compareObject(objProviderConfig, req.ProviderConfig, got.ProviderConfig, secrets, secretsRotated); len(changed) > 0 {
		obs.Patch.ProviderConfig = hookstream.Set(req.ProviderConfig)
		obs.Diffs = append(obs.Diffs, changed...)
	}
}

// comparePolicies compares the retry and circuit breaker settings the user set.
func comparePolicies(req *hookstream.CreateRequest, got *hookstream.Destination, p *hookstream.UpdateRequest,
	add func(field, desired, observed string)) {
	if req.RetryEnabled != nil && !ptrEqual(req.RetryEnabled, got.RetryEnabled) {
		p.RetryEnabled = hookstream.Set(*req.RetryEnabled)
		add("retry_enabled", fmt.Sprint(*req.RetryEnabled), ptrString(got.RetryEnabled))
	}
	if req.RetryMaxAttempts != nil && !ptrEqual(req.RetryMaxAttempts, got.RetryMaxAttempts) {
		p.RetryMaxAttempts = hookstream.Set(*req.RetryMaxAttempts)
		add("retry_max_attempts", fmt.Sprint(*req.RetryMaxAttempts), ptrString(got.RetryMaxAttempts))
	}
	if req.RetryBackoffType != nil && !ptrEqual(req.RetryBackoffType, got.RetryBackoffType) {
		p.RetryBackoffType = hookstream.Set(*req.RetryBackoffType)
		add("retry_backoff_type", *req.RetryBackoffType, ptrString(got.RetryBackoffType))
	}
	if req.RetryIntervals != nil && !slices.Equal(req.RetryIntervals, got.RetryIntervals) {
		p.RetryIntervals = hookstream.Set(req.RetryIntervals)
		add("retry_intervals", fmt.Sprint(req.RetryIntervals), nullableString(got.RetryIntervals))
	}
	if req.CircuitBreakerEnabled != nil && !ptrEqual(req.CircuitBreakerEnabled, got.CircuitBreakerEnabled) {
		p.CircuitBreakerEnabled = hookstream.Set(*req.CircuitBreakerEnabled)
		add("circuit_breaker_enabled", fmt.Sprint(*req.CircuitBreakerEnabled), ptrString(got.CircuitBreakerEnabled))
	}
	if req.CircuitBreakerThreshold != nil && !ptrEqual(req.CircuitBreakerThreshold, got.CircuitBreakerThreshold) {
		p.CircuitBreakerThreshold = hookstream.Set(*req.CircuitBreakerThreshold)
		add("circuit_breaker_threshold", fmt.Sprint(*req.CircuitBreakerThreshold), ptrString(got.CircuitBreakerThreshold))
	}
	if req.CircuitBreakerResetMS != nil && !ptrEqual(req.CircuitBreakerResetMS, got.CircuitBreakerResetMS) {
		p.CircuitBreakerResetMS = hookstream.Set(*req.CircuitBreakerResetMS)
		add("circuit_breaker_reset_ms", fmt.Sprint(*req.CircuitBreakerResetMS), ptrString(got.CircuitBreakerResetMS))
	}
}

// compareObject compares the keys the spec sets in one remote JSON object. Secret keys read back masked
// ("****" + last 4), so they count as different when that mask shows other last characters, or when the Secret
// was rotated since the last write; plain text equal to the secret and masks of another format count as the same
// (secretChanged).
func compareObject(object string, want, got map[string]string, secretKeys []string, secretsRotated bool) []managed.FieldDiff {
	var diffs []managed.FieldDiff
	for _, key := range slices.Sorted(maps.Keys(want)) {
		path := object + "." + key
		observed, present := got[key]
		if slices.Contains(secretKeys, key) {
			if !present || secretsRotated || secretChanged(want[key], &observed) {
				diffs = append(diffs, managed.FieldDiff{Field: path, Desired: shownSecret, Observed: shownSecret, Secret: true})
			}
			continue
		}
		if !present || observed != want[key] {
			diffs = append(diffs, managed.FieldDiff{Field: path, Desired: want[key], Observed: observed})
		}
	}
	return diffs
}

// How diffs show a secret value and a null column.
const (
	shownSecret = "(secret)"
	shownNull   = "null"
)

// maskSecret is hookstream's read-back form of a secret value: "****" and its last 4 characters, or "****" alone
// when the value is shorter than 8.
func maskSecret(v string) string {
	if len(v) < 8 {
		return "****"
	}
	return "****" + v[len(v)-4:]
}

func ptrEqual[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func ptrString[T any](p *T) string {
	if p == nil {
		return shownNull
	}
	return fmt.Sprint(*p)
}

func nullableString(v []int) string {
	if v == nil {
		return shownNull
	}
	return fmt.Sprint(v)
}
