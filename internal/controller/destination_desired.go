// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/internal/managed"
)

// desiredDestination is the remote destination the spec asks for, secrets resolved. It is built by a pure function
// of the spec and the referenced Secret values, and is what the remote row is compared with.
type desiredDestination struct {
	// request is the full create body; its set fields are also the fields under management.
	request hookstream.CreateRequest
	// status is the remote `status` to converge to; empty when spec.state is unset.
	status string
	// manageHeaders, manageAuth: the user set these blocks, so they are compared and replaced whole.
	manageHeaders bool
	manageAuth    bool
	// secretFields lists, per remote object, the keys whose values are secret (masked on read).
	secretFields map[string][]string
	// secretMaterial is "path=value" of every secret value sent; only its keyed hash ever leaves memory.
	secretMaterial []string
}

// secret objects of the API whose values hookstream masks on read.
const (
	objAuthConfig     = "auth_config"
	objProviderConfig = "provider_config"
)

// authTypes maps the spec's auth types to the API's.
var authTypes = map[v1.HTTPAuthType]string{
	v1.HTTPAuthNone:   "none",
	v1.HTTPAuthBearer: "bearer",
	v1.HTTPAuthBasic:  "basic",
	v1.HTTPAuthAPIKey: "api_key",
}

// buildDesired maps a Destination's spec to the remote destination it asks for.
func buildDesired(d *v1.Destination, resolve managed.SecretResolver) (*desiredDestination, error) {
	spec := &d.Spec
	provider := providerOf(spec)
	if provider == nil {
		return nil, fmt.Errorf("the spec has no provider block")
	}
	want := &desiredDestination{
		request: hookstream.CreateRequest{
			Name: spec.DisplayName,
			Slug: destinationSlug(d),
			Type: provider.wireType,
		},
		status:       string(spec.State),
		secretFields: map[string][]string{},
	}
	if want.request.Name == "" {
		want.request.Name = defaultDisplayName(d.Name)
	}
	if err := provider.desire(spec, &desiredBuilder{want: want, resolve: resolve}); err != nil {
		return nil, err
	}

	if r := spec.Retry; r != nil {
		want.request.RetryEnabled = r.Enabled
		want.request.RetryMaxAttempts = int32PtrToInt(r.MaxAttempts)
		if r.Backoff != "" {
			b := string(r.Backoff)
			want.request.RetryBackoffType = &b
		}
		for _, s := range r.IntervalsSeconds {
			want.request.RetryIntervals = append(want.request.RetryIntervals, int(s))
		}
	}
	if c := spec.CircuitBreaker; c != nil {
		want.request.CircuitBreakerEnabled = c.Enabled
		want.request.CircuitBreakerThreshold = int32PtrToInt(c.Threshold)
		if c.ResetSeconds != nil {
			ms := int(*c.ResetSeconds) * 1000
			want.request.CircuitBreakerResetMS = &ms
		}
	}
	slices.Sort(want.secretMaterial)
	return want, nil
}

// desiredBuilder is what a provider type's mapping writes to: the request being built, and the Secrets it reads.
type desiredBuilder struct {
	want    *desiredDestination
	resolve managed.SecretResolver
}

// secret reads a secret value sent in the key of a remote object (auth_config, provider_config): it is recorded
// as secret, masked on read, and its value goes into the secret material that is hashed.
func (b *desiredBuilder) secret(object, key string, ref v1.SecretKeySelector) (string, error) {
	v, err := b.resolve(ref)
	if err != nil {
		return "", err
	}
	b.want.secretFields[object] = append(b.want.secretFields[object], key)
	b.want.secretMaterial = append(b.want.secretMaterial, object+"."+key+"="+v)
	return v, nil
}

func (want *desiredDestination) mapHTTP(h *v1.HTTPDestination, resolve managed.SecretResolver,
	secret func(object, key string, ref v1.SecretKeySelector) (string, error)) error {
	want.request.URL = h.URL
	want.request.Method = string(h.Method)
	if h.TimeoutSeconds != nil {
		ms := int(*h.TimeoutSeconds) * 1000
		want.request.TimeoutMS = &ms
	}
	if len(h.Headers) > 0 || len(h.HeadersFrom) > 0 {
		want.manageHeaders = true
		headers := make(map[string]string, len(h.Headers)+len(h.HeadersFrom))
		maps.Copy(headers, h.Headers)
		for _, hf := range h.HeadersFrom {
			// hookstream does not mask header values, so drift in them is visible without a hash.
			v, err := resolve(hf.ValueFrom)
			if err == nil {
				err = headerSafe(hf.ValueFrom, v)
			}
			if err != nil {
				return err
			}
			headers[hf.Name] = v
		}
		want.request.Headers = headers
	}
	if h.Auth == nil {
		return nil
	}
	want.manageAuth = true
	want.request.AuthType = authTypes[h.Auth.Type]
	// Every auth value ends up in a request header of each delivery.
	sent := secret
	secret = func(object, key string, ref v1.SecretKeySelector) (string, error) {
		v, err := sent(object, key, ref)
		if err == nil {
			err = headerSafe(ref, v)
		}
		return v, err
	}
	var err error
	switch h.Auth.Type {
	case v1.HTTPAuthBearer:
		var token string
		token, err = secret(objAuthConfig, "token", h.Auth.Bearer.TokenSecretRef)
		want.request.AuthConfig = map[string]string{"token": token}
	case v1.HTTPAuthBasic:
		var password string
		password, err = secret(objAuthConfig, "password", h.Auth.Basic.PasswordSecretRef)
		want.request.AuthConfig = map[string]string{"username": h.Auth.Basic.Username, "password": password}
	case v1.HTTPAuthAPIKey:
		var value string
		value, err = secret(objAuthConfig, "value", h.Auth.APIKey.ValueSecretRef)
		want.request.AuthConfig = map[string]string{"header": h.Auth.APIKey.Header, "value": value}
	}
	return err
}

// headerSafe refuses a Secret value that an HTTP header cannot carry: a control character other than a tab (CR
// and LF split the header; hookstream would store it and every delivery would fail). The message names the Secret
// and key, never the value.
func headerSafe(ref v1.SecretKeySelector, value string) error {
	if i := strings.IndexFunc(value, func(r rune) bool { return (r < 0x20 && r != '\t') || r == 0x7f }); i >= 0 {
		return managed.Refuse(v1.ReasonInvalidSpec, "key %q of Secret %q holds a control character (such as CR or "+
			"LF) at byte %d, which an HTTP header cannot carry; store the value without it (no trailing newline)",
			ref.Key, ref.Name, i)
	}
	return nil
}

// Request is the remote destination the spec asks for, as one JSON value.
func (want *desiredDestination) Request() any {
	return struct {
		Request hookstream.CreateRequest `json:"request"`
		Status  string                   `json:"status"`
	}{want.request, want.status}
}

// KeyDescription names the slug, the destination's natural key, for messages.
func (want *desiredDestination) KeyDescription() string {
	return fmt.Sprintf("slug %q", want.request.Slug)
}

// SecretMaterial lists the secret values the request carries, each with its field, sorted.
func (want *desiredDestination) SecretMaterial() []string { return want.secretMaterial }

func int32PtrToInt(p *int32) *int {
	if p == nil {
		return nil
	}
	v := int(*p)
	return &v
}

// httpSecretRefs lists the Secret keys an http block reads: its headersFrom and its auth's.
func httpSecretRefs(s *v1.DestinationSpec) []v1.SecretKeySelector {
	h := s.HTTP
	refs := make([]v1.SecretKeySelector, 0, len(h.HeadersFrom)+1)
	for _, hf := range h.HeadersFrom {
		refs = append(refs, hf.ValueFrom)
	}
	if a := h.Auth; a != nil {
		switch {
		case a.Bearer != nil:
			refs = append(refs, a.Bearer.TokenSecretRef)
		case a.Basic != nil:
			refs = append(refs, a.Basic.PasswordSecretRef)
		case a.APIKey != nil:
			refs = append(refs, a.APIKey.ValueSecretRef)
		}
	}
	return refs
}
