// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/google/go-cmp/cmp"

	"github.com/hookstream/hookstream-operator/internal/emulator"
	"github.com/hookstream/hookstream-operator/internal/hookstream/contract"
)

// contractRouter loads the document once and routes requests to its operations.
func contractRouter(t testing.TB) routers.Router {
	t.Helper()
	router, err := contract.Router()
	if err != nil {
		t.Fatalf("OpenAPI contract unavailable: %v", err)
	}
	return router
}

// call sends one request to the handler, like do (key "" sends no credentials), and checks
// the exchange against the OpenAPI document: the answer must be one the operation declares, with its schema,
// and a request the emulator accepts (2xx) must follow the document. Paths the document does not have (404,
// 405) are not checked.
func (e *testEnv) call(method, path, key, body string) response {
	e.t.Helper()
	return e.exchange(newRequest(method, path, key, body), body)
}

// exchange serves req, whose body is body, and checks it against the document as call does.
func (e *testEnv) exchange(req *http.Request, body string) response {
	e.t.Helper()
	rec := httptest.NewRecorder()
	e.server.ServeHTTP(rec, req)
	res := response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
	checkExchange(e.t, req, []byte(body), res)
	return res
}

func checkExchange(t testing.TB, req *http.Request, body []byte, res response) {
	t.Helper()
	routed := req.Clone(context.Background())
	routed.URL.Scheme, routed.URL.Host, routed.Host = "https", "hookstream.io", "hookstream.io"
	routed.Body = io.NopCloser(bytes.NewReader(body))
	route, pathParams, err := contractRouter(t).FindRoute(routed)
	if err != nil {
		return
	}
	input := &openapi3filter.RequestValidationInput{
		Request:    routed,
		PathParams: pathParams,
		Route:      route,
		Options: &openapi3filter.Options{
			MultiError: true,
			// An ingested payload is opaque: any content type, any bytes.
			ExcludeRequestBody: strings.HasPrefix(route.Path, "/ingest/"),
			AuthenticationFunc: func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
				if in.SecuritySchemeName == "apiKeyHeader" && in.RequestValidationInput.Request.Header.Get("X-API-Key") != "" {
					return nil
				}
				return fmt.Errorf("security scheme %s not satisfied", in.SecuritySchemeName)
			},
		},
	}
	if err := openapi3filter.ValidateRequest(context.Background(), input); err != nil && res.status/100 == 2 {
		t.Errorf("contract: %s %s answered %d to a request the document refuses: %v", req.Method, req.URL.Path, res.status, err)
	}
	err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: input,
		Status:                 res.status,
		Header:                 res.header,
		Body:                   io.NopCloser(bytes.NewReader(res.body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	})
	if err != nil {
		t.Errorf("contract: answer %d to %s %s violates the document: %v\nbody: %s", res.status, req.Method, req.URL.Path, err, res.body)
	}
}

// destinationSchema is the Destination schema of the contract, which every row the emulator answers must follow.
func destinationSchema(t testing.TB) *openapi3.Schema {
	t.Helper()
	return componentSchema(t, "Destination")
}

// sourceSchema is the Source schema of the contract.
func sourceSchema(t testing.TB) *openapi3.Schema {
	t.Helper()
	return componentSchema(t, "Source")
}

func componentSchema(t testing.TB, name string) *openapi3.Schema {
	t.Helper()
	doc, err := contract.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ref := doc.Components.Schemas[name]
	if ref == nil || ref.Value == nil {
		t.Fatalf("the contract has no %s schema", name)
	}
	return ref.Value
}

// checkRowSchema fails unless row follows the schema and has no field the schema does not name: the emulator is
// the contract's reference, so an extra column would be an undocumented one.
func checkRowSchema(t testing.TB, schema *openapi3.Schema, row map[string]any) {
	t.Helper()
	if err := schema.VisitJSON(row, openapi3.MultiErrors()); err != nil {
		t.Errorf("row %v violates the schema: %v", row, err)
	}
	for field := range row {
		if _, ok := schema.Properties[field]; !ok {
			t.Errorf("field %q is not in the schema", field)
		}
	}
}

var (
	hexID     = regexp.MustCompile(`^[0-9a-f]{32}$`)
	orgID     = regexp.MustCompile(`^org_[0-9a-f]+$`)
	envID     = regexp.MustCompile(`^env_[0-9a-f]+$`)
	timestamp = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$`)
)

func TestRowEncoding(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	full := `{"name":"Orders","slug":"orders","type":"http","url":"https://example.com/hook","method":"PUT",
		"headers":{"X-Team":"payments","Content-Type":"application/json"},"timeout_ms":5000,
		"auth_type":"bearer","auth_config":{"token":"tok_1234567890"},
		"retry_enabled":true,"retry_max_attempts":3,"retry_backoff_type":"linear","retry_intervals":[10,20],
		"circuit_breaker_enabled":false,"circuit_breaker_threshold":7,"circuit_breaker_reset_ms":2000}`
	created := env.create(keyA, full)
	project, _ := env.server.Project(keyA)

	want := emulator.Destination{
		ID: created.ID, OrgID: project.OrgID, EnvID: project.EnvID, Name: "Orders", Slug: "orders",
		URL: "https://example.com/hook", Method: "PUT",
		Headers:   new(`{"Content-Type":"application/json","X-Team":"payments"}`),
		TimeoutMS: 5000, AuthType: "bearer", AuthConfig: new(`{"token":"****7890"}`), Status: "active",
		CreatedAt: "2026-02-28T10:00:00Z", UpdatedAt: "2026-02-28T10:00:00Z",
		RetryEnabled: ptr[int64](1), RetryMaxAttempts: ptr[int64](3), RetryBackoffType: new("linear"),
		RetryIntervals: new("[10,20]"), CircuitBreakerEnabled: ptr[int64](0), CircuitBreakerThreshold: ptr[int64](7),
		CircuitBreakerResetMS: ptr[int64](2000), Type: "http",
	}
	checkCreatedRow(t, env, destinations, want, created)
}

func TestCreateDefaults(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	got := env.create(keyA, `{"name":"Minimal","slug":"minimal","url":"https://example.com"}`)
	want := emulator.Destination{
		ID: got.ID, OrgID: got.OrgID, EnvID: got.EnvID, Name: "Minimal", Slug: "minimal",
		URL: "https://example.com", Method: "POST", TimeoutMS: 30000, AuthType: "none", Status: "active",
		CreatedAt: "2026-02-28T10:00:00Z", UpdatedAt: "2026-02-28T10:00:00Z", Type: "http",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}

// Every answer, errors included, carries the RateLimit headers and, when it is an error, the envelope.
func TestEveryResponseCarriesHeadersAndEnvelope(t *testing.T) {
	env := newEnv(t, emulator.Options{MaxDestinations: 1, MaxSources: 1})
	existing := env.create(keyA, `{"name":"a","slug":"a","url":"https://example.com"}`)
	source := sources.create(env, keyA, `{"name":"s","slug":"s"}`)
	connection := connections.create(env, keyA, connectionWith(links{source: source, destination: existing}, nil))
	other, _ := env.server.Project(keyB)
	tests := map[string]struct {
		method, path, key, body string
		wantStatus              int
		wantError               string
	}{
		"list":                   {http.MethodGet, "/v1/destinations", keyA, "", 200, ""},
		"get":                    {http.MethodGet, "/v1/destinations/" + existing.ID, keyA, "", 200, ""},
		"400":                    {http.MethodPost, "/v1/destinations", keyA, `{"name":"b"}`, 400, "Invalid body: 'slug' is required"},
		"401 missing":            {http.MethodGet, "/v1/destinations", "", "", 401, "Invalid API key"},
		"401 unknown":            {http.MethodGet, "/v1/destinations", "hs_test_nope", "", 401, "Invalid API key"},
		"403":                    {http.MethodPost, "/v1/destinations", keyA, `{"name":"b","slug":"b","url":"https://example.com"}`, 403, "Plan limit reached: 1 destinations"},
		"404":                    {http.MethodGet, "/v1/destinations/0123456789abcdef0123456789abcdef", keyA, "", 404, "Destination not found"},
		"404 route":              {http.MethodGet, "/v1/widgets", keyA, "", 404, "Not found"},
		"404 outside v1":         {http.MethodGet, "/v2/destinations", keyA, "", 404, "Not found"},
		"405":                    {http.MethodPut, "/v1/destinations/" + existing.ID, keyA, "{}", 405, "Method not allowed"},
		"409":                    {http.MethodPost, "/v1/destinations", keyA, `{"name":"a","slug":"a","url":"https://example.com"}`, 409, "Destination with slug 'a' already exists"},
		"413":                    {http.MethodPost, "/v1/destinations", keyA, `{"name":"` + string(make([]byte, 1<<20)) + `"}`, 413, "Request body too large: at most 1048576 bytes"},
		"admin disabled":         {http.MethodGet, "/_emulator/stats", "", "", 404, "Not found"},
		"trailing slash":         {http.MethodGet, "/v1/destinations/", keyA, "", 404, "Not found"},
		"circuit reset ∅":        {http.MethodGet, "/v1/destinations/" + existing.ID + "/circuit/reset", keyA, "", 405, "Method not allowed"},
		"source 400":             {http.MethodPatch, "/v1/sources/" + source.ID, keyA, `{}`, 400, "No fields to update"},
		"source 401":             {http.MethodGet, "/v1/sources", "", "", 401, "Invalid API key"},
		"source 403":             {http.MethodPost, "/v1/sources", keyA, `{"name":"t","slug":"t"}`, 403, "Plan limit reached: 1 sources"},
		"source 404":             {http.MethodDelete, "/v1/sources/0123456789abcdef0123456789abcdef", keyA, "", 404, "Source not found"},
		"source 409":             {http.MethodPost, "/v1/sources", keyA, `{"name":"s","slug":"s"}`, 409, "Source slug already exists"},
		"source 409 in use":      {http.MethodDelete, "/v1/sources/" + source.ID, keyA, "", 409, "Cannot delete a source that has connections"},
		"destination 409 in use": {http.MethodDelete, "/v1/destinations/" + existing.ID, keyA, "", 409, "Cannot delete a destination that has connections"},
		"connection list":        {http.MethodGet, "/v1/connections?source_id=" + source.ID, keyA, "", 200, ""},
		"connection get":         {http.MethodGet, "/v1/connections/" + connection.ID, keyA, "", 200, ""},
		"connection 400":         {http.MethodPatch, "/v1/connections/" + connection.ID, keyA, `{"source_id":"x"}`, 400, "Invalid body: 'source_id' cannot be changed"},
		"connection 401":         {http.MethodPost, "/v1/connections", "", connectionWith(links{source: source, destination: existing}, nil), 401, "Invalid API key"},
		"connection 403":         {http.MethodPost, "/v1/connections", keyA, connectionWith(links{source: source, destination: existing}, map[string]any{"org_id": other.OrgID}), 403, "Forbidden"},
		"connection 404":         {http.MethodGet, "/v1/connections/" + source.ID, keyA, "", 404, "Connection not found"},
		"connection 404 links":   {http.MethodPost, "/v1/connections", keyA, connectionWith(links{source: source, destination: emulator.Destination{ID: source.ID}}, nil), 404, "Source or destination not found"},
		"connection 405":         {http.MethodPut, "/v1/connections/" + connection.ID, keyA, "{}", 405, "Method not allowed"},
		"connection 413":         {http.MethodPatch, "/v1/connections/" + connection.ID, keyA, `{"name":"` + string(make([]byte, 1<<20)) + `"}`, 413, "Request body too large: at most 1048576 bytes"},
		"ingest 200":             {http.MethodPost, "/v1/ingest/" + source.ID, "", `{}`, 200, ""},
		"ingest 404":             {http.MethodPost, "/v1/ingest/" + existing.ID, "", `{}`, 404, "Source not found"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			res := env.call(tc.method, tc.path, tc.key, tc.body)
			if res.status != tc.wantStatus {
				t.Fatalf("status %d, want %d; body %s", res.status, tc.wantStatus, res.body)
			}
			if res.header.Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id")
			}
			if tc.wantError != "" {
				if got := errorOf(t, res); got != tc.wantError {
					t.Errorf("error %q, want %q", got, tc.wantError)
				}
			}
			if tc.path[:3] != "/v1" {
				return
			}
			for _, h := range []string{"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} {
				if _, err := strconv.Atoi(res.header.Get(h)); err != nil {
					t.Errorf("%s = %q, want an integer", h, res.header.Get(h))
				}
			}
		})
	}
}
