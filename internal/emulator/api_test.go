// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hookstream/hookstream-operator/internal/emulator"
)

func TestAuthentication(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	tests := map[string]struct {
		header     map[string]string
		wantStatus int
	}{
		"X-API-Key":                {map[string]string{"X-API-Key": keyA}, http.StatusOK},
		"lower-case header name":   {map[string]string{"x-api-key": keyA}, http.StatusOK},
		"Bearer":                   {map[string]string{"Authorization": "Bearer " + keyA}, http.StatusOK},
		"no credentials":           {nil, http.StatusUnauthorized},
		"unknown key":              {map[string]string{"X-API-Key": "hs_test_unknown"}, http.StatusUnauthorized},
		"key with extra space":     {map[string]string{"X-API-Key": keyA + " "}, http.StatusUnauthorized},
		"key prefix only":          {map[string]string{"X-API-Key": keyA[:20]}, http.StatusUnauthorized},
		"basic scheme":             {map[string]string{"Authorization": "Basic " + keyA}, http.StatusUnauthorized},
		"bearer without key":       {map[string]string{"Authorization": "Bearer "}, http.StatusUnauthorized},
		"session cookie only":      {map[string]string{"Cookie": "better-auth.session_token=" + keyA}, http.StatusUnauthorized},
		"X-API-Key wins over auth": {map[string]string{"X-API-Key": "wrong", "Authorization": "Bearer " + keyA}, http.StatusUnauthorized},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/v1/destinations", nil)
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			env.server.ServeHTTP(rec, req)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status %d, want %d", rec.Code, tc.wantStatus)
			}
			if tc.wantStatus == http.StatusUnauthorized {
				res := response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
				if got := errorOf(t, res); got != "Invalid API key" {
					t.Errorf("error %q", got)
				}
			}
		})
	}
}

func TestSameKeySameProject(t *testing.T) {
	first := newEnv(t, emulator.Options{APIKeys: []string{keyA}})
	second := newEnv(t, emulator.Options{APIKeys: []string{keyB, keyA}})
	a1, _ := first.server.Project(keyA)
	a2, _ := second.server.Project(keyA)
	b2, _ := second.server.Project(keyB)
	if a1 != a2 || a1 == b2 {
		t.Errorf("project of key A %v then %v, key B %v", a1, a2, b2)
	}
	if _, ok := first.server.Project(keyB); ok {
		t.Error("a key the server was not given has a project")
	}
}

func TestSecretMasking(t *testing.T) {
	tests := map[string]struct {
		secret string
		want   string
	}{
		"one character":    {"a", "****"},
		"seven characters": {"1234567", "****"},
		"eight characters": {"12345678", "****5678"},
		"long":             {"sk_live_abcdefghijklmnop", "****mnop"},
		"multibyte":        {"pässwörd-ünïcö", "****nïcö"},
	}
	env := newEnv(t, emulator.Options{})
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			created := env.create(keyA, withFields(map[string]any{
				"slug": slugFor(name), "auth_type": "basic",
				"auth_config": map[string]string{"username": "user-name-visible", "password": tc.secret},
			}))
			want := new(`{"password":"` + tc.want + `","username":"user-name-visible"}`)
			if diff := cmp.Diff(want, env.get(keyA, created.ID).AuthConfig); diff != "" {
				t.Errorf("auth_config (-want +got):\n%s", diff)
			}
			stored, err := env.server.Destination(t.Context(), created.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(*stored.AuthConfig, tc.secret) {
				t.Errorf("store lost the real secret: %s", *stored.AuthConfig)
			}
		})
	}
}

type circuitEnvelope struct {
	Circuit emulator.Circuit `json:"circuit"`
}

func TestCircuitEndpoints(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	created := env.create(keyA, withFields(nil))
	tests := map[string]struct {
		method, path string
	}{
		"get":   {http.MethodGet, "/v1/destinations/" + created.ID + "/circuit"},
		"reset": {http.MethodPost, "/v1/destinations/" + created.ID + "/circuit/reset"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			res := env.do(tc.method, tc.path, keyA, "")
			if res.status != http.StatusOK {
				t.Fatalf("status %d, body %s", res.status, res.body)
			}
			var got circuitEnvelope
			decodeStrict(t, res.body, &got)
			want := circuitEnvelope{Circuit: emulator.Circuit{State: "closed"}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if !strings.Contains(string(res.body), `"last_transition_at":null`) {
				t.Errorf("last_transition_at must be present as null: %s", res.body)
			}
		})
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	tests := map[string]struct {
		opts emulator.Options
		want string
	}{
		"no key":                  {emulator.Options{}, "emulator: at least one API key is required"},
		"blank key":               {emulator.Options{APIKeys: []string{" "}}, "emulator: API key 0 is empty"},
		"negative rate":           {emulator.Options{APIKeys: []string{keyA}, RateLimit: -1}, "emulator: rate limit must be a finite number >= 0, got -1"},
		"negative burst":          {emulator.Options{APIKeys: []string{keyA}, RateLimitBurst: -1}, "emulator: rate limit burst must be >= 0, got -1"},
		"negative destinations":   {emulator.Options{APIKeys: []string{keyA}, MaxDestinations: -1}, "emulator: max destinations must be >= 0, got -1"},
		"negative sources":        {emulator.Options{APIKeys: []string{keyA}, MaxSources: -1}, "emulator: max sources must be >= 0, got -1"},
		"client IP header spaced": {emulator.Options{APIKeys: []string{keyA}, TrustedClientIPHeader: "X Forwarded For"}, `emulator: trusted client IP header "X Forwarded For" is not a header name`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			server, err := emulator.New(tc.opts)
			if err == nil {
				_ = server.Close()
				t.Fatal("New accepted the options")
			}
			if err.Error() != tc.want {
				t.Errorf("error %q, want %q", err, tc.want)
			}
		})
	}
}
