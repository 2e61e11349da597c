// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hookstream

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/hookstream/hookstream-operator/internal/hookstream/contract"
)

// The client test suite runs every request through contractTransport, which validates it, and every answer, against
// the OpenAPI document of package contract.

const testAPIKey = "hs_test_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// contractRouter loads the document once. Its server stays https://hookstream.io/v1: requests are
// routed with that scheme and host substituted, so that the client's /v1 prefix is checked too.
func contractRouter(t testing.TB) routers.Router {
	t.Helper()
	router, err := contract.Router()
	if err != nil {
		t.Fatalf("OpenAPI contract unavailable: %v", err)
	}
	return router
}

const (
	contractScheme = "https"
	contractHost   = "hookstream.io"
)

// exchange is one request and its answer as they crossed the wire.
type exchange struct {
	Method      string
	Path        string
	EscapedPath string
	Query       url.Values
	Header      http.Header
	Body        []byte

	// RequestViolation is the document's objection to the request, if any.
	RequestViolation error

	StatusCode     int
	ResponseHeader http.Header
	ResponseBody   []byte
}

// contractTransport validates requests and answers against the document and records them.
type contractTransport struct {
	t      testing.TB
	next   http.RoundTripper
	router routers.Router

	// allowRequestViolations records the document's objections instead of failing: for tests that send invalid
	// bodies on purpose, to check that the document and the server both reject them.
	allowRequestViolations bool
	// offContractResponses skips answer validation: for canned servers that stand in for deployments differing
	// from the document (native JSON types, undeclared status codes).
	offContractResponses bool

	mu        sync.Mutex
	exchanges []exchange
}

func (ct *contractTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ex := exchange{
		Method: req.Method, Path: req.URL.Path, EscapedPath: req.URL.EscapedPath(),
		Query: req.URL.Query(), Header: req.Header.Clone(),
	}
	if req.Body != nil {
		body, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		ex.Body = body
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	ct.checkHeaders(&ex)

	input, err := ct.validateRequest(req.Context(), req, &ex)
	if err != nil {
		ex.RequestViolation = err
		if !ct.allowRequestViolations {
			ct.t.Errorf("contract: request %s %s violates the document: %v", ex.Method, ex.Path, err)
		}
	}

	resp, err := ct.next.RoundTrip(req)
	if err != nil {
		ct.record(ex)
		return nil, err
	}
	body, readErr := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	ex.StatusCode = resp.StatusCode
	ex.ResponseHeader = resp.Header.Clone()
	ex.ResponseBody = body
	if readErr == nil && input != nil && !ct.offContractResponses {
		if err := openapi3filter.ValidateResponse(req.Context(), &openapi3filter.ResponseValidationInput{
			RequestValidationInput: input,
			Status:                 resp.StatusCode,
			Header:                 resp.Header,
			Body:                   io.NopCloser(bytes.NewReader(body)),
			Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
		}); err != nil {
			ct.t.Errorf("contract: answer %d to %s %s violates the document: %v\nbody: %s",
				resp.StatusCode, ex.Method, ex.Path, err, body)
		}
	}
	ct.record(ex)
	if readErr != nil {
		// Hand the client the same broken body it would have met.
		resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{readErr}))
	}
	return resp, nil
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func (ct *contractTransport) checkHeaders(ex *exchange) {
	if got := ex.Header.Get("X-API-Key"); got == "" {
		ct.t.Errorf("contract: %s %s without X-API-Key", ex.Method, ex.Path)
	}
	if ua := ex.Header.Get("User-Agent"); !strings.HasPrefix(ua, "hookstream-operator/") {
		ct.t.Errorf("contract: %s %s with User-Agent %q, want the hookstream-operator/ prefix", ex.Method, ex.Path, ua)
	}
	if accept := ex.Header.Get("Accept"); accept != "application/json" {
		ct.t.Errorf("contract: %s %s with Accept %q, want application/json", ex.Method, ex.Path, accept)
	}
	if len(ex.Body) > 0 && ex.Header.Get("Content-Type") != "application/json" {
		ct.t.Errorf("contract: %s %s sends a body with Content-Type %q", ex.Method, ex.Path, ex.Header.Get("Content-Type"))
	}
}

// validateRequest checks the request against the document; the returned input serves to validate the answer.
func (ct *contractTransport) validateRequest(ctx context.Context, req *http.Request, ex *exchange) (*openapi3filter.RequestValidationInput, error) {
	routed := req.Clone(ctx)
	routed.URL.Scheme = contractScheme
	routed.URL.Host = contractHost
	routed.Host = contractHost
	routed.Body = io.NopCloser(bytes.NewReader(ex.Body))
	route, pathParams, err := ct.router.FindRoute(routed)
	if err != nil {
		return nil, fmt.Errorf("no operation for %s %s: %w", req.Method, req.URL.Path, err)
	}
	input := &openapi3filter.RequestValidationInput{
		Request:    routed,
		PathParams: pathParams,
		Route:      route,
		Options: &openapi3filter.Options{
			MultiError:         true,
			AuthenticationFunc: requireAPIKeyHeader,
		},
	}
	if err := openapi3filter.ValidateRequest(ctx, input); err != nil {
		return input, err
	}
	return input, nil
}

// requireAPIKeyHeader accepts the apiKeyHeader scheme when X-API-Key is present; the operator never uses the
// session cookie, so that scheme always fails (the schemes are alternatives: one success is enough).
func requireAPIKeyHeader(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.SecuritySchemeName == "apiKeyHeader" && in.RequestValidationInput.Request.Header.Get("X-API-Key") != "" {
		return nil
	}
	return fmt.Errorf("security scheme %s not satisfied", in.SecuritySchemeName)
}

func (ct *contractTransport) record(ex exchange) {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	ct.exchanges = append(ct.exchanges, ex)
}

// Exchanges returns what crossed the wire so far.
func (ct *contractTransport) Exchanges() []exchange {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	return append([]exchange(nil), ct.exchanges...)
}

// last returns the latest exchange, failing the test when there is none.
func (ct *contractTransport) last(t testing.TB) exchange {
	t.Helper()
	exchanges := ct.Exchanges()
	if len(exchanges) == 0 {
		t.Fatal("no request reached the transport")
	}
	return exchanges[len(exchanges)-1]
}

type testClientConfig struct {
	options                Options
	allowRequestViolations bool
	offContractReason      string
}

type testClientOption func(*testClientConfig)

// withOptions edits the client options before New.
func withOptions(edit func(*Options)) testClientOption {
	return func(c *testClientConfig) { edit(&c.options) }
}

// offContract marks a canned server that answers outside the document on purpose; reason documents why.
func offContract(reason string) testClientOption {
	return func(c *testClientConfig) { c.offContractReason = reason }
}

func allowingRequestViolations() testClientOption {
	return func(c *testClientConfig) { c.allowRequestViolations = true }
}

// newContractClient returns a client for baseURL whose every exchange goes through a contractTransport.
func newContractClient(t testing.TB, baseURL string, opts ...testClientOption) (*Client, *contractTransport) {
	t.Helper()
	cfg := testClientConfig{options: Options{BaseURL: baseURL, APIKey: testAPIKey}}
	for _, opt := range opts {
		opt(&cfg)
	}
	transport := &contractTransport{
		t:                      t,
		next:                   http.DefaultTransport,
		router:                 contractRouter(t),
		allowRequestViolations: cfg.allowRequestViolations,
		offContractResponses:   cfg.offContractReason != "",
	}
	if cfg.offContractReason != "" {
		t.Logf("answers not validated against the document: %s", cfg.offContractReason)
	}
	if cfg.options.HTTPClient != nil && cfg.options.HTTPClient.Transport != nil {
		transport.next = cfg.options.HTTPClient.Transport
	}
	cfg.options.HTTPClient = &http.Client{Transport: transport}
	client, err := New(cfg.options)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return client, transport
}

// newCannedClient serves handler under /v1 and returns a contract-checked client for it.
func newCannedClient(t testing.TB, handler http.Handler, opts ...testClientOption) (*Client, *contractTransport) {
	t.Helper()
	server := httptest.NewServer(handler)
	t.Cleanup(server.Close)
	return newContractClient(t, server.URL+"/v1", opts...)
}

// containsKey reports whether s shows the test API key, or a recognisable part of its secret hex.
func containsKey(s string) bool {
	secretHex := strings.TrimPrefix(testAPIKey, "hs_test_")
	for i := 0; i+16 <= len(secretHex); i += 8 {
		if strings.Contains(s, secretHex[i:i+16]) {
			return true
		}
	}
	return strings.Contains(s, testAPIKey)
}

// violationRecorder stands in for the test in contractTransport, to check that violations are caught.
type violationRecorder struct {
	testing.TB
	mu         sync.Mutex
	violations []string
}

func (r *violationRecorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.violations = append(r.violations, fmt.Sprintf(format, args...))
}

func (r *violationRecorder) Violations() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.violations...)
}
