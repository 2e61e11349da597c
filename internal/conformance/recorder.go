// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/hookstream/hookstream-operator/internal/hookstream/contract"
)

// recorder is the transport of a run: it validates every exchange against the OpenAPI document and records it,
// with the variants of the contract its answer matches.
type recorder struct {
	next   http.RoundTripper
	router routers.Router

	mu   sync.Mutex
	step string
	// invalid marks a step whose requests are invalid on purpose: their request differences are not reported.
	invalid bool
	secrets map[string]bool
	list    []Exchange
}

func newRecorder(httpClient *http.Client) (*recorder, error) {
	doc, err := contract.Load(context.Background())
	if err != nil {
		return nil, err
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, err
	}
	next := http.DefaultTransport
	if httpClient != nil && httpClient.Transport != nil {
		next = httpClient.Transport
	}
	return &recorder{next: next, router: router}, nil
}

func (r *recorder) setStep(name string, invalid bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.step, r.invalid = name, invalid
}

func (r *recorder) setSecrets(secrets map[string]bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secrets = secrets
}

func (r *recorder) exchanges() []Exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.list)
}

// RoundTrip sends the request and records the exchange with its differences from the document.
func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		_ = req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	r.mu.Lock()
	ex := Exchange{Step: r.step, Method: req.Method, Path: req.URL.Path}
	secrets, invalid := r.secrets, r.invalid
	r.mu.Unlock()

	routed := req.Clone(req.Context())
	routed.URL.Scheme, routed.URL.Host, routed.Host = "https", "hookstream.io", "hookstream.io"
	routed.URL.Path = "/v1" + pathAfterVersion(req.URL.Path)
	routed.Body = io.NopCloser(bytes.NewReader(body))
	var input *openapi3filter.RequestValidationInput
	if route, params, err := r.router.FindRoute(routed); err != nil {
		ex.Differences = append(ex.Differences, Difference{Detail: "no operation of the document: " + err.Error()})
	} else {
		input = &openapi3filter.RequestValidationInput{Request: routed, PathParams: params, Route: route,
			Options: &openapi3filter.Options{MultiError: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
		if err := openapi3filter.ValidateRequest(req.Context(), input); err != nil && !invalid {
			ex.Differences = append(ex.Differences, Difference{Detail: "request: " + oneLine(err)})
		}
	}

	resp, err := r.next.RoundTrip(req)
	if err != nil {
		r.record(ex)
		return nil, err
	}
	answer, readErr := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(answer))
	ex.Status = resp.StatusCode
	for _, h := range []string{"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} {
		if resp.Header.Get(h) == "" {
			ex.Differences = append(ex.Differences, Difference{Detail: "missing header " + h})
		}
	}
	if input != nil && readErr == nil {
		variants := variantsOf(answer, secrets)
		if resp.StatusCode == http.StatusConflict && req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/connections") {
			variants = append(variants, "unique-connection-names")
		}
		if err := openapi3filter.ValidateResponse(req.Context(), &openapi3filter.ResponseValidationInput{
			RequestValidationInput: input, Status: resp.StatusCode, Header: resp.Header,
			Body:    io.NopCloser(bytes.NewReader(answer)),
			Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
		}); err != nil {
			ex.Differences = append(ex.Differences, Difference{Detail: "answer: " + oneLine(err), Variants: variants})
		} else if len(variants) > 0 {
			ex.Differences = append(ex.Differences, Difference{
				Detail: "answer: valid by the document, but read as an alternative of the contract", Variants: variants})
		}
	}
	r.record(ex)
	return resp, readErr
}

func (r *recorder) record(ex Exchange) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, ex)
}

// pathAfterVersion is the path below the API's /v1, wherever the base URL puts it.
func pathAfterVersion(path string) string {
	if i := strings.Index(path, "/v1/"); i >= 0 {
		return path[i+len("/v1"):]
	}
	return path
}

// oneLine shortens a validation error to one line of at most 400 characters; values are not quoted by the
// validator beyond the schema's own, and secrets are never part of a schema.
func oneLine(err error) string {
	text := strings.Join(strings.Fields(err.Error()), " ")
	if len(text) > 400 {
		text = text[:400] + "…"
	}
	return text
}

// sourceKind is the member a source row arrives in.
const sourceKind = "source"

// Columns of the rows by the encoding the variants change.
var (
	encodedColumns = []string{"headers", "auth_config", "retry_intervals", "provider_config", "source_config",
		"verification_config", "ip_allowlist", "ip_denylist", "json_schema", "filter_rules"}
	flagColumns = []string{"retry_enabled", "circuit_breaker_enabled", "verification_enabled", "dedup_enabled",
		"schema_validation_enabled", "is_ephemeral", "enabled", "transform_enabled"}
)

// variantsOf names the variants an answer's encoding matches.
func variantsOf(answer []byte, secrets map[string]bool) []string {
	var top map[string]json.RawMessage
	if json.Unmarshal(answer, &top) != nil {
		return nil
	}
	found := map[string]bool{}
	var rows []map[string]json.RawMessage
	var kinds []string
	for name, raw := range top {
		switch name {
		case "destination", sourceKind, "connection":
			var row map[string]json.RawMessage
			if json.Unmarshal(raw, &row) == nil {
				rows = append(rows, row)
				kinds = append(kinds, name)
			}
		case "destinations", "sources", "connections":
			var list []map[string]json.RawMessage
			_ = json.Unmarshal(raw, &list)
			rows = append(rows, list...)
			for range list {
				kinds = append(kinds, strings.TrimSuffix(name, "s"))
			}
			hasMore, paged := top["has_more"]
			switch {
			case !paged:
				found["single-page"] = true
			case string(hasMore) == "false" && string(top["cursor"]) != "null":
				found["stale-cursor"] = true
			}
		}
	}
	for i, row := range rows {
		rowVariants(kinds[i], row, secrets, found)
	}
	out := make([]string, 0, len(found))
	for v := range found {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

func rowVariants(kind string, row map[string]json.RawMessage, secrets map[string]bool, found map[string]bool) {
	for name, raw := range row {
		text := string(raw)
		switch {
		case slices.Contains(encodedColumns, name) && (strings.HasPrefix(text, "{") || strings.HasPrefix(text, "[")):
			found["native-json"] = true
		case slices.Contains(flagColumns, name) && (text == "true" || text == "false"):
			found["bool-literals"] = true
		case name == "id" && (strings.HasPrefix(text, `"src_`) || strings.HasPrefix(text, `"dst_`) || strings.HasPrefix(text, `"conn_`)):
			found["prefixed-ids"] = true
		case name == "verification_type" && strings.Contains(text, "-"):
			found["hyphenated-verification"] = true
		case kind == sourceKind && (name == "url" || name == "ingest_url"):
			found["ingest-url-field"] = true
		case name == "verification_secret":
			secretVariant(raw, row["verification_enabled"], secrets, found)
		}
	}
}

func secretVariant(raw, enabled json.RawMessage, secrets map[string]bool, found map[string]bool) {
	var secret *string
	if json.Unmarshal(raw, &secret) != nil {
		return
	}
	switch {
	case secret == nil:
		if e := string(enabled); e == "1" || e == "true" {
			found["secret-null"] = true
		}
	case secrets[*secret]:
		found["secret-plaintext"] = true
	case !strings.HasPrefix(*secret, "****"):
		found["secret-other-mask"] = true
	}
}
