// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"encoding/json"
	"maps"
	"strings"
	"testing"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
)

// FuzzSpecToRequest feeds arbitrary specs to the spec-to-request mapping. For every spec with one provider block,
// the row hookstream would create from the request must compare as up to date: a spec can never cause an update
// loop.
func FuzzSpecToRequest(f *testing.F) {
	f.Add([]byte(`{"http":{"url":"https://e.com","method":"PUT","timeoutSeconds":5,"headers":{"A":"b"},
		"auth":{"type":"basic","basic":{"username":"u","passwordSecretRef":{"name":"creds","key":"password"}}}},
		"retry":{"enabled":true,"maxAttempts":3,"backoff":"linear","intervalsSeconds":[1,2]},
		"circuitBreaker":{"threshold":4,"resetSeconds":9},"state":"paused","displayName":"x"}`))
	f.Add([]byte(`{"rabbitmq":{"url":"amqps://r","exchange":"e","routingKey":"k","username":"u",
		"passwordSecretRef":{"name":"creds","key":"short"}}}`))
	f.Add([]byte(`{"awsS3":{"bucket":"b","region":"r","accessKeyId":"a","secretAccessKeySecretRef":{"name":"creds","key":"token"}}}`))
	f.Add([]byte(`{"websocket":{"channelName":"c"},"retry":{"intervalsSeconds":[]}}`))
	f.Add([]byte(`{"http":{"url":"u","headersFrom":[{"name":"X","valueFrom":{"name":"creds","key":"hdr"}}],"auth":{"type":"none"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var spec v1.DestinationSpec
		if err := json.Unmarshal(data, &spec); err != nil || !oneProvider(&spec) {
			return
		}
		if a := spec.HTTP; a != nil && a.Auth != nil && !authBlockMatches(a.Auth) {
			return // rejected by the schema's CEL rules
		}
		want, err := buildDesired(newDestination(spec), resolveTestSecret)
		if err != nil {
			return // a reference to a Secret the test resolver does not have
		}
		if want.request.Name == "" || want.request.Slug == "" || want.request.Type != providerOf(&spec).wireType {
			t.Fatalf("request misses name, slug or type: %+v", want.request)
		}
		if obs := compareDestination(want, remoteFor(want), false); !obs.UpToDate() {
			t.Fatalf("the row created from the spec differs in %v", obs.Fields())
		}
		for _, material := range want.secretMaterial {
			value := material[strings.Index(material, "=")+1:]
			if len(value) >= 4 && strings.Contains(want.request.Name+want.request.Slug, value) {
				t.Fatalf("a secret value leaks into the name or slug")
			}
		}
	})
}

func oneProvider(s *v1.DestinationSpec) bool {
	n := 0
	for _, p := range destinationProviders {
		if p.isSet(s) {
			n++
		}
	}
	return n == 1
}

func authBlockMatches(a *v1.HTTPAuth) bool {
	switch a.Type {
	case v1.HTTPAuthBearer:
		return a.Bearer != nil
	case v1.HTTPAuthBasic:
		return a.Basic != nil
	case v1.HTTPAuthAPIKey:
		return a.APIKey != nil
	case v1.HTTPAuthNone:
		return true
	}
	return false
}

// FuzzDriftConvergesInOnePatch changes a remote row in arbitrary ways and checks the drift normalisation: the
// PATCH computed from the difference, applied as hookstream applies it, leaves nothing to change, and touches no
// field the spec leaves unmanaged.
func FuzzDriftConvergesInOnePatch(f *testing.F) {
	f.Add("https://other.example.com", "put", 5000, "disabled", int8(0), 9, []byte{3, 4}, "X-New", "v", "****zzzz", int8(1), 70)
	f.Add("", "", 0, "", int8(-1), 0, []byte(nil), "", "", "", int8(-1), 0)
	f.Fuzz(func(t *testing.T, url, method string, timeoutMS int, status string, retryEnabled int8, attempts int,
		intervals []byte, headerName, headerValue, token string, cbEnabled int8, cbThreshold int) {
		spec := v1.DestinationSpec{
			State: v1.StateActive,
			HTTP: &v1.HTTPDestination{
				URL: "https://receiver.example.com/hooks", Headers: map[string]string{"X-Team": "payments"},
				Auth: &v1.HTTPAuth{Type: v1.HTTPAuthBearer, Bearer: &v1.BearerAuth{TokenSecretRef: v1.SecretKeySelector{Name: "creds", Key: "token"}}},
			},
			Retry: &v1.RetryPolicy{Enabled: new(true), IntervalsSeconds: []int32{10, 20}},
		}
		want, err := buildDesired(newDestination(spec), resolveTestSecret)
		if err != nil {
			t.Fatal(err)
		}
		got := remoteFor(want)
		got.URL, got.Method, got.TimeoutMS, got.Status = url, method, timeoutMS, status
		got.RetryEnabled = tristate(retryEnabled)
		if attempts != 0 {
			got.RetryMaxAttempts = &attempts
		}
		got.RetryIntervals = nil
		for _, b := range intervals {
			got.RetryIntervals = append(got.RetryIntervals, int(b))
		}
		if headerName != "" {
			got.Headers = map[string]string{headerName: headerValue}
		}
		got.AuthConfig = map[string]string{"token": token}
		got.CircuitBreakerEnabled = tristate(cbEnabled)
		if cbThreshold != 0 {
			got.CircuitBreakerThreshold = &cbThreshold
		}
		unmanagedBefore := got.CircuitBreakerThreshold

		obs := compareDestination(want, got, false)
		applyPatch(got, obs.Patch)
		if again := compareDestination(want, got, false); !again.UpToDate() {
			t.Fatalf("after one PATCH the row still differs in %v", again.Fields())
		}
		if got.CircuitBreakerThreshold != unmanagedBefore || obs.Patch.CircuitBreakerEnabled.IsSet() {
			t.Fatalf("the PATCH changed circuit breaker fields the spec leaves unmanaged")
		}
	})
}

//go:fix inline

func tristate(v int8) *bool {
	switch {
	case v < 0:
		return nil
	case v == 0:
		return new(false)
	}
	return new(true)
}

// applyPatch applies a PATCH body to a row the way hookstream does: present fields replace, null clears, and
// secrets read back masked.
func applyPatch(d *hookstream.Destination, p *hookstream.UpdateRequest) {
	set := func(o hookstream.Opt[string], dst *string) {
		if v, ok := o.Value(); ok {
			*dst = v
		}
	}
	set(p.Name, &d.Name)
	set(p.URL, &d.URL)
	set(p.Method, &d.Method)
	set(p.Status, &d.Status)
	set(p.AuthType, &d.AuthType)
	if v, ok := p.TimeoutMS.Value(); ok {
		d.TimeoutMS = v
	}
	if v, ok := p.Headers.Value(); ok {
		d.Headers = maps.Clone(v)
	} else if p.Headers.IsNull() {
		d.Headers = nil
	}
	if v, ok := p.AuthConfig.Value(); ok {
		d.AuthConfig = maps.Clone(v)
		if t, has := v["token"]; has {
			d.AuthConfig["token"] = maskSecret(t)
		}
	} else if p.AuthConfig.IsNull() {
		d.AuthConfig = nil
	}
	if v, ok := p.RetryEnabled.Value(); ok {
		d.RetryEnabled = &v
	}
	if v, ok := p.RetryMaxAttempts.Value(); ok {
		d.RetryMaxAttempts = &v
	}
	if v, ok := p.RetryIntervals.Value(); ok {
		d.RetryIntervals = v
	}
	if v, ok := p.CircuitBreakerThreshold.Value(); ok {
		d.CircuitBreakerThreshold = &v
	}
}
