// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"errors"
	"maps"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/internal/managed"
)

var testSecrets = map[string]map[string]string{
	"creds": {"token": "tok-0123456789", "password": "pw-abcdefgh", "short": "abc", "hdr": "header-secret"},
}

// errTestMissing is what resolveTestSecret answers for a reference it does not hold.
type errTestMissing struct{ ref v1.SecretKeySelector }

func (e *errTestMissing) Error() string { return "no " + e.ref.Name + "/" + e.ref.Key }

func resolveTestSecret(ref v1.SecretKeySelector) (string, error) {
	v, ok := testSecrets[ref.Name][ref.Key]
	if !ok {
		return "", &errTestMissing{ref: ref}
	}
	return v, nil
}

func newDestination(spec v1.DestinationSpec) *v1.Destination {
	return &v1.Destination{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "orders"}, Spec: spec}
}

// remoteFor returns the row hookstream holds after creating want: secrets masked, unset fields at their defaults.
func remoteFor(want *desiredDestination) *hookstream.Destination {
	r := want.request
	got := &hookstream.Destination{
		ID: "0123456789abcdef0123456789abcdef", Name: r.Name, Slug: r.Slug, Type: r.Type, URL: r.URL,
		Method: "POST", TimeoutMS: 30000, AuthType: "none", Status: "active", Headers: r.Headers,
		RetryEnabled: r.RetryEnabled, RetryMaxAttempts: r.RetryMaxAttempts, RetryBackoffType: r.RetryBackoffType,
		RetryIntervals: r.RetryIntervals, CircuitBreakerEnabled: r.CircuitBreakerEnabled,
		CircuitBreakerThreshold: r.CircuitBreakerThreshold, CircuitBreakerResetMS: r.CircuitBreakerResetMS,
	}
	if r.Method != "" {
		got.Method = r.Method
	}
	if r.TimeoutMS != nil {
		got.TimeoutMS = *r.TimeoutMS
	}
	if r.AuthType != "" {
		got.AuthType = r.AuthType
	}
	if want.status != "" {
		got.Status = want.status
	}
	mask := func(object string, in map[string]string) map[string]string {
		if in == nil {
			return nil
		}
		out := map[string]string{}
		maps.Copy(out, in)
		for _, k := range want.secretFields[object] {
			out[k] = maskSecret(out[k])
		}
		return out
	}
	got.AuthConfig = mask(objAuthConfig, r.AuthConfig)
	got.ProviderConfig = mask(objProviderConfig, r.ProviderConfig)
	return got
}

func TestCompareFindsOnlyTheChangedFields(t *testing.T) {
	spec := v1.DestinationSpec{
		State: v1.StateActive,
		HTTP: &v1.HTTPDestination{
			URL: "https://example.com/h", TimeoutSeconds: ptr.To[int32](10),
			Auth: &v1.HTTPAuth{Type: v1.HTTPAuthBearer, Bearer: &v1.BearerAuth{TokenSecretRef: v1.SecretKeySelector{Name: "creds", Key: "token"}}},
		},
		Retry: &v1.RetryPolicy{IntervalsSeconds: []int32{5, 10}},
	}
	tests := map[string]struct {
		change  func(got *hookstream.Destination)
		rotated bool
		fields  []string // differing fields reported
		patched []string // fields the PATCH carries
	}{
		"nothing":                 {change: func(*hookstream.Destination) {}},
		"unmanaged field changed": {change: func(g *hookstream.Destination) { g.Method = "PUT"; g.CircuitBreakerThreshold = new(3) }},
		"url": {change: func(g *hookstream.Destination) { g.URL = "https://evil.example.com" },
			fields: []string{"url"}, patched: []string{"url"}},
		"status": {change: func(g *hookstream.Destination) { g.Status = "disabled" },
			fields: []string{"status"}, patched: []string{"status"}},
		"timeout": {change: func(g *hookstream.Destination) { g.TimeoutMS = 5000 },
			fields: []string{"timeout_ms"}, patched: []string{"timeout_ms"}},
		"intervals": {change: func(g *hookstream.Destination) { g.RetryIntervals = nil },
			fields: []string{"retry_intervals"}, patched: []string{"retry_intervals"}},
		"secret changed outside": {change: func(g *hookstream.Destination) { g.AuthConfig = map[string]string{"token": "****zzzz"} },
			fields: []string{"auth_config.token"}, patched: []string{"auth_config"}},
		"secret rotated in Kubernetes": {change: func(*hookstream.Destination) {}, rotated: true,
			fields: []string{"auth_config.token"}, patched: []string{"auth_config"}},
		"auth type": {change: func(g *hookstream.Destination) { g.AuthType = "none"; g.AuthConfig = nil },
			fields: []string{"auth_config.token", "auth_type"}, patched: []string{"auth_config", "auth_type"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			want, err := buildDesired(newDestination(spec), resolveTestSecret)
			if err != nil {
				t.Fatal(err)
			}
			got := remoteFor(want)
			tc.change(got)
			obs := compareDestination(want, got, tc.rotated)
			if diff := cmp.Diff(tc.fields, obs.Fields(), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("differing fields (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.patched, obs.Patch.Fields(), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("patched fields (-want +got):\n%s", diff)
			}
			for _, d := range obs.Diffs {
				if d.Secret && (d.Desired != "(secret)" || d.Observed != "(secret)") {
					t.Errorf("secret field %s keeps a value in the diff", d.Field)
				}
			}
		})
	}
}

func TestBuildDesiredReportsTheMissingSecret(t *testing.T) {
	spec := v1.DestinationSpec{GCPPubSub: &v1.GCPPubSubDestination{
		ProjectID: "p", TopicID: "t", ServiceAccountJSONSecretRef: v1.SecretKeySelector{Name: "creds", Key: "nope"},
	}}
	_, err := buildDesired(newDestination(spec), resolveTestSecret)
	var missing *errTestMissing
	if !errors.As(err, &missing) || missing.ref.Name != "creds" || missing.ref.Key != "nope" {
		t.Fatalf("buildDesired error = %v, want a missing key nope in creds", err)
	}
}

func TestSecretsHash(t *testing.T) {
	ref := v1.SecretKeySelector{Name: "creds", Key: "token"}
	spec := v1.DestinationSpec{HTTP: &v1.HTTPDestination{URL: "https://e.com", Auth: &v1.HTTPAuth{Type: v1.HTTPAuthBearer, Bearer: &v1.BearerAuth{TokenSecretRef: ref}}}}
	want, err := buildDesired(newDestination(spec), resolveTestSecret)
	if err != nil {
		t.Fatal(err)
	}
	h1 := managed.SecretsHash(want.SecretMaterial(), "key-1")
	if h1 == "" || h1 != managed.SecretsHash(want.SecretMaterial(), "key-1") {
		t.Fatalf("hash is empty or unstable: %q", h1)
	}
	if h1 == managed.SecretsHash(want.SecretMaterial(), "key-2") {
		t.Errorf("hash does not depend on the API key")
	}
	plain, _ := buildDesired(newDestination(v1.DestinationSpec{HTTP: &v1.HTTPDestination{URL: "https://e.com"}}), resolveTestSecret)
	if got := managed.SecretsHash(plain.SecretMaterial(), "key-1"); got != "" {
		t.Errorf("a spec without secrets hashes to %q, want empty", got)
	}
}

// TestSecretKeysReadBackInOtherForms: a secret key of a destination object read back in plain text or masked in
// another format is the same; the contract's mask with other last characters, or no key, differs.
func TestSecretKeysReadBackInOtherForms(t *testing.T) {
	const token = "tok-0123456789"
	want := map[string]string{"token": token}
	for observed, differs := range map[string]bool{
		maskSecret(token): false, token: false, "••••••••6789": false, "****0000": true, "": true,
	} {
		got := map[string]string{"token": observed}
		if observed == "" {
			got = map[string]string{}
		}
		if diffs := compareObject("auth_config", want, got, []string{"token"}, false); (len(diffs) > 0) != differs {
			t.Errorf("read back as %q: diffs %+v, want differing %v", observed, diffs, differs)
		}
	}
}
