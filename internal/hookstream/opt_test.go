// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hookstream

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestUpdateRequestJSON(t *testing.T) {
	checkUpdateRequests(t, map[string]updateCase[UpdateRequest]{
		"nothing": {
			req:      UpdateRequest{},
			wantJSON: `{}`,
		},
		"one value": {
			req:        UpdateRequest{Name: Set("Orders")},
			wantJSON:   `{"name":"Orders"}`,
			wantFields: []string{"name"},
		},
		"zero values are sent when set": {
			req:        UpdateRequest{RetryEnabled: Set(false), RetryMaxAttempts: Set(0), URL: Set("")},
			wantJSON:   `{"url":"","retry_enabled":false,"retry_max_attempts":0}`,
			wantFields: []string{"retry_enabled", "retry_max_attempts", "url"},
		},
		"explicit nulls clear": {
			req:        UpdateRequest{Headers: Null[map[string]string](), RetryIntervals: Null[[]int]()},
			wantJSON:   `{"headers":null,"retry_intervals":null}`,
			wantFields: []string{"headers", "retry_intervals"},
		},
		"objects and arrays travel as real JSON": {
			req: UpdateRequest{
				ProviderConfig: Set(map[string]string{"region": "eu-west-1"}),
				RetryIntervals: Set([]int{30, 300}),
				Headers:        Set(map[string]string{}),
			},
			wantJSON:   `{"headers":{},"provider_config":{"region":"eu-west-1"},"retry_intervals":[30,300]}`,
			wantFields: []string{"headers", "provider_config", "retry_intervals"},
		},
		"every field": {
			req: UpdateRequest{
				Name: Set("n"), URL: Set("https://x.test"), Method: Set("PUT"), Headers: Set(map[string]string{"a": "b"}),
				TimeoutMS: Set(5000), AuthType: Set("bearer"), AuthConfig: Set(map[string]string{"token": "t"}),
				Status: Set("paused"), ProviderConfig: Null[map[string]string](), RetryEnabled: Set(true),
				RetryMaxAttempts: Set(3), RetryBackoffType: Set("fixed"), RetryIntervals: Set([]int{60}),
				CircuitBreakerEnabled: Set(true), CircuitBreakerThreshold: Set(7), CircuitBreakerResetMS: Set(90000),
			},
			wantJSON: `{"name":"n","url":"https://x.test","method":"PUT","headers":{"a":"b"},"timeout_ms":5000,` +
				`"auth_type":"bearer","auth_config":{"token":"t"},"status":"paused","provider_config":null,` +
				`"retry_enabled":true,"retry_max_attempts":3,"retry_backoff_type":"fixed","retry_intervals":[60],` +
				`"circuit_breaker_enabled":true,"circuit_breaker_threshold":7,"circuit_breaker_reset_ms":90000}`,
			wantFields: []string{
				"auth_config", "auth_type", "circuit_breaker_enabled", "circuit_breaker_reset_ms",
				"circuit_breaker_threshold", "headers", "method", "name", "provider_config", "retry_backoff_type",
				"retry_enabled", "retry_intervals", "retry_max_attempts", "status", "timeout_ms", "url",
			},
		},
	})
}

func TestOptAccessors(t *testing.T) {
	type state struct {
		IsZero, IsSet, IsNull bool
		Value                 int
		HasValue              bool
		JSON                  string
	}
	observe := func(o Opt[int]) state {
		v, ok := o.Value()
		data, err := o.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		return state{IsZero: o.IsZero(), IsSet: o.IsSet(), IsNull: o.IsNull(), Value: v, HasValue: ok, JSON: string(data)}
	}
	tests := map[string]struct {
		opt  Opt[int]
		want state
	}{
		"omitted":    {opt: Opt[int]{}, want: state{IsZero: true, JSON: "null"}},
		"null":       {opt: Null[int](), want: state{IsNull: true, JSON: "null"}},
		"zero value": {opt: Set(0), want: state{IsSet: true, HasValue: true, JSON: "0"}},
		"value":      {opt: Set(42), want: state{IsSet: true, Value: 42, HasValue: true, JSON: "42"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, observe(tc.opt)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestRequestsPrintWithoutSecrets(t *testing.T) {
	const secret = "s3cr3t-token-value"
	checkPrintsWithoutSecret(t, secret, map[string]any{
		"update request":         UpdateRequest{AuthConfig: Set(map[string]string{"token": secret})},
		"update request pointer": &UpdateRequest{AuthConfig: Set(map[string]string{"token": secret})},
		"create request":         CreateRequest{Slug: "s", AuthConfig: map[string]string{"token": secret}},
		"create request pointer": &CreateRequest{Slug: "s", ProviderConfig: map[string]string{"password": secret}},
	})
}
