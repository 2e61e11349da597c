// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hookstream/hookstream-operator/internal/emulator"
)

var fuzzSeeds = []string{
	``,
	`{}`,
	`null`,
	`[]`,
	`{"name":"a","slug":"a","url":"https://example.com"}`,
	`{"name":"a","slug":"a","type":"sqs","config":{"queue_url":"q","region":"r","access_key_id":"a","secret_access_key":"s"}}`,
	`{"name":"a","slug":"A_B"}`,
	`{"name":"a","slug":"a","url":"https://example.com","retry_intervals":[1e400]}`,
	`{"name":"a","slug":"a","url":"https://example.com","timeout_ms":-0.0}`,
	`{"name":"a","slug":"a","url":"http://[::1]:80/%zz"}`,
	`{"name":"\u0000","slug":"a","url":"https://example.com","headers":{"":""}}`,
	`{"name":"a","slug":"a","url":"https://example.com","auth_type":"basic","auth_config":{"username":"u","password":null}}`,
	`{"status":"paused","retry_enabled":null,"circuit_breaker_reset_ms":1000.5}`,
	`{"name":"a","provider_config":{"channel_name":"Ä"},"config":null}`,
	`{"name":"a"`,
	`{"name":"a"}}`,
	"\xff\xfe{}",
	`{"retry_intervals":[1,2,3,4,5,6,7,8,9,10,11]}`,
	`{"name":` + strings.Repeat(`[`, 100) + strings.Repeat(`]`, 100) + `}`,
}

// FuzzCreateBody feeds arbitrary bodies to POST /destinations: every answer must be a 4xx or a 201 with
// a well-formed envelope, never a 5xx or a panic. Each input starts from an empty project, so that an
// input behaves the same every time the fuzzer runs it.
func FuzzCreateBody(f *testing.F) {
	for _, seed := range fuzzSeeds {
		f.Add(seed)
	}
	schema := destinationSchema(f)
	shared := newEnv(f, emulator.Options{})
	f.Fuzz(func(t *testing.T, body string) {
		env := shared.with(t)
		res := env.do(http.MethodPost, "/v1/destinations", keyA, body)
		switch res.status {
		case http.StatusCreated:
			var envelope map[string]map[string]any
			decodeStrict(t, res.body, &envelope)
			checkRowSchema(t, schema, envelope["destination"])
			id, _ := envelope["destination"]["id"].(string)
			if del := env.do(http.MethodDelete, "/v1/destinations/"+id, keyA, ""); del.status != http.StatusOK {
				t.Fatalf("deleting the created row: status %d", del.status)
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			errorOf(t, res)
		default:
			t.Fatalf("status %d for body %q: %s", res.status, body, res.body)
		}
	})
}

// FuzzPatchBody feeds arbitrary bodies to PATCH /destinations/{id} of a fresh http and a fresh sqs
// destination: answers are 200 or 400, and the row stays readable and schema-conform.
func FuzzPatchBody(f *testing.F) {
	for _, seed := range fuzzSeeds {
		f.Add(seed)
	}
	f.Add(`{"auth_type":"bearer","auth_config":{"token":"x"}}`)
	f.Add(`{"headers":null,"provider_config":null,"retry_intervals":null}`)
	schema := destinationSchema(f)
	shared := newEnv(f, emulator.Options{})
	f.Fuzz(func(t *testing.T, body string) {
		env := shared.with(t)
		httpDest := env.create(keyA, withFields(map[string]any{"slug": "fuzz-http"}))
		sqsDest := env.create(keyA, withFields(map[string]any{"slug": "fuzz-sqs", "type": "sqs", "url": nil, "provider_config": sqsConfig}))
		for _, id := range []string{httpDest.ID, sqsDest.ID} {
			res := env.do(http.MethodPatch, "/v1/destinations/"+id, keyA, body)
			switch res.status {
			case http.StatusOK:
			case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
				errorOf(t, res)
			default:
				t.Fatalf("status %d for body %q: %s", res.status, body, res.body)
			}
			after := env.do(http.MethodGet, "/v1/destinations/"+id, keyA, "")
			if after.status != http.StatusOK {
				t.Fatalf("GET after PATCH %q: status %d", body, after.status)
			}
			var envelope map[string]map[string]any
			decodeStrict(t, after.body, &envelope)
			checkRowSchema(t, schema, envelope["destination"])
			if del := env.do(http.MethodDelete, "/v1/destinations/"+id, keyA, ""); del.status != http.StatusOK {
				t.Fatalf("deleting the row: status %d", del.status)
			}
		}
	})
}

var sourceFuzzSeeds = []string{
	`{"name":"a","slug":"a"}`,
	`{"name":"a","slug":"a","template":"github","verification_secret":"s"}`,
	`{"name":"a","slug":"a","verification_type":"standard-webhooks","verification_secret":"whsec_!!"}`,
	`{"name":"a","slug":"a","verification_config":"{\"encoding\":1}"}`,
	`{"name":"a","slug":"a","dedup_strategy":"body_field","dedup_field":"$."}`,
	`{"name":"a","slug":"a","ip_allowlist":["10.0.0.0/8","::1","300.1.1.1"]}`,
	`{"name":"a","slug":"a","json_schema":{"$ref":"#/definitions/x","definitions":{"x":{"$ref":"#/definitions/x"}}}}`,
	`{"name":"a","slug":"a","json_schema":{"$schema":"http://json-schema.org/schema#"}}`,
	`{"name":"a","slug":"a","json_schema":{"properties":{"a":{"pattern":"(?<n>x)"}}}}`,
	`{"name":"a","slug":"a","org_id":"org_x","source_config":{"a":[1,{"b":null}]}}`,
}

// FuzzCreateSourceBody feeds arbitrary bodies to POST /sources: every answer is a 201 with a schema-conform
// row, or a 4xx with the error envelope; never a 5xx or a panic.
func FuzzCreateSourceBody(f *testing.F) {
	for _, seed := range append(slices.Clone(fuzzSeeds), sourceFuzzSeeds...) {
		f.Add(seed)
	}
	schema := sourceSchema(f)
	shared := newEnv(f, emulator.Options{})
	f.Fuzz(func(t *testing.T, body string) {
		env := shared.with(t)
		res := env.do(http.MethodPost, "/v1/sources", keyA, body)
		switch res.status {
		case http.StatusCreated:
			var envelope map[string]map[string]any
			decodeStrict(t, res.body, &envelope)
			checkRowSchema(t, schema, envelope["source"])
			id, _ := envelope["source"]["id"].(string)
			if del := env.do(http.MethodDelete, "/v1/sources/"+id, keyA, ""); del.status != http.StatusOK {
				t.Fatalf("deleting the created row: status %d", del.status)
			}
		case http.StatusBadRequest, http.StatusForbidden, http.StatusRequestEntityTooLarge:
			errorOf(t, res)
		default:
			t.Fatalf("status %d for body %q: %s", res.status, body, res.body)
		}
	})
}

func TestConcurrentCreates(t *testing.T) {
	tests := map[string]struct {
		max        int
		sameSlug   bool
		wantByCode map[int]int
	}{
		"one slug, many clients": {0, true, map[int]int{201: 1, 409: 39}},
		"plan limit under load":  {10, false, map[int]int{201: 10, 403: 30}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			env := newEnv(t, emulator.Options{MaxDestinations: tc.max})
			var mu sync.Mutex
			byCode := map[int]int{}
			var wg sync.WaitGroup
			for i := range 40 {
				wg.Go(func() {
					slug := "same"
					if !tc.sameSlug {
						slug = fmt.Sprintf("slug-%d", i)
					}
					res := env.do(http.MethodPost, "/v1/destinations", keyA, withFields(map[string]any{"slug": slug}))
					mu.Lock()
					byCode[res.status]++
					mu.Unlock()
				})
			}
			wg.Wait()
			if fmt.Sprint(byCode) != fmt.Sprint(tc.wantByCode) {
				t.Errorf("answers by status %v, want %v", byCode, tc.wantByCode)
			}
			var page struct {
				Destinations []json.RawMessage `json:"destinations"`
			}
			if err := json.Unmarshal(env.do(http.MethodGet, "/v1/destinations?limit=100", keyA, "").body, &page); err != nil {
				t.Fatal(err)
			}
			if len(page.Destinations) != tc.wantByCode[201] {
				t.Errorf("%d rows stored, want %d", len(page.Destinations), tc.wantByCode[201])
			}
		})
	}
}

var connectionFuzzSeeds = []string{
	`{"source_id":"SOURCE_ID","destination_id":"DESTINATION_ID","name":"a"}`,
	`{"source_id":"SOURCE_ID","destination_id":"DESTINATION_ID","name":"a","filter_rules":[{"field":"payload.a","op":"in","value":[1,"1",null]}]}`,
	`{"source_id":"SOURCE_ID","destination_id":"DESTINATION_ID","name":"a","filter_rules":[{"field":"","op":"eq","value":{}}]}`,
	`{"source_id":"SOURCE_ID","destination_id":"DESTINATION_ID","name":"a","filter_rules":[{"field":"x","op":"gt","value":1e999}]}`,
	`{"source_id":"SOURCE_ID","destination_id":"DESTINATION_ID","name":"a","filter_rules":[null,[],{"field":"x"}]}`,
	`{"source_id":"SOURCE_ID","destination_id":"DESTINATION_ID","name":"a","transform_expression":"$f := function($x){$f($x)}"}`,
	`{"source_id":"DESTINATION_ID","destination_id":"SOURCE_ID","name":"a"}`,
	`{"source_id":"SOURCE_ID","destination_id":"DESTINATION_ID","name":"a","org_id":"org_x","enabled":null}`,
}

// FuzzCreateConnectionBody feeds arbitrary bodies to POST /connections, with SOURCE_ID and DESTINATION_ID
// standing for the ids of a real source and destination: every answer is a 201 with a schema-conform row, or
// a 4xx with the error envelope; never a 5xx or a panic.
func FuzzCreateConnectionBody(f *testing.F) {
	for _, seed := range append(slices.Clone(fuzzSeeds), connectionFuzzSeeds...) {
		f.Add(seed)
	}
	schema := componentSchema(f, "Connection")
	shared := newEnv(f, emulator.Options{})
	l := shared.newLinks(keyA, "fuzz")
	f.Fuzz(func(t *testing.T, input string) {
		env := shared.with(t)
		body := strings.NewReplacer("SOURCE_ID", l.source.ID, "DESTINATION_ID", l.destination.ID).Replace(input)
		res := env.do(http.MethodPost, "/v1/connections", keyA, body)
		switch res.status {
		case http.StatusCreated:
			var envelope map[string]map[string]any
			decodeStrict(t, res.body, &envelope)
			checkRowSchema(t, schema, envelope["connection"])
			id, _ := envelope["connection"]["id"].(string)
			if del := env.do(http.MethodDelete, "/v1/connections/"+id, keyA, ""); del.status != http.StatusOK {
				t.Fatalf("deleting the created row: status %d", del.status)
			}
		case http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound, http.StatusRequestEntityTooLarge:
			errorOf(t, res)
		default:
			t.Fatalf("status %d for body %q: %s", res.status, body, res.body)
		}
	})
}
