// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hookstream

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// clientCall is one call of the client, reduced to its error.
type clientCall = func(ctx context.Context, c *Client) error

// errorEnvelopeJSON is the contract's error envelope with status and message, as JSON text.
func errorEnvelopeJSON(t testing.TB, status int, message string) string {
	t.Helper()
	body, err := json.Marshal(errorEnvelopeBody(status, message))
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// apiErrorSummary is what summarise makes of an *APIError of one sentinel that is not retryable.
func apiErrorSummary(sentinel string, status int, message, route string) errorSummary {
	return errorSummary{Sentinels: []string{sentinel}, StatusCode: status, Message: message, RequestID: "req_0a1b2c",
		Route: route}
}

// offContractIf is the option that lets an exchange off the contract for reason, and none without a reason.
func offContractIf(reason string) []testClientOption {
	if reason == "" {
		return nil
	}
	return []testClientOption{offContract(reason)}
}

// helperCase is an error answer of status to call, which the helper is must recognise.
type helperCase struct {
	status      int
	offContract string
	call        clientCall
	is          func(error) bool
}

// checkErrorHelpers answers each call with its status in the contract's envelope and asks the case's helper.
func checkErrorHelpers(t *testing.T, tests map[string]helperCase) {
	t.Helper()
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			client, _ := newCannedClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, tc.status, errorEnvelopeBody(tc.status, http.StatusText(tc.status)))
			}), offContractIf(tc.offContract)...)
			if err := tc.call(t.Context(), client); !tc.is(err) {
				t.Errorf("error %v does not match", err)
			}
		})
	}
}

// refusal is a call that the client must refuse as invalid without sending anything, with an error that says
// wantErr.
type refusal struct {
	call    clientCall
	wantErr string
}

// refusalsOf are calls that must be refused, whatever their error says.
func refusalsOf(calls map[string]clientCall) map[string]refusal {
	tests := make(map[string]refusal, len(calls))
	for name, call := range calls {
		tests[name] = refusal{call: call}
	}
	return tests
}

// checkRefusedBeforeSending makes each call against a server that answers nothing; no error may quote
// secretMarker, which the calls plant in the values they refuse.
func checkRefusedBeforeSending(t *testing.T, tests map[string]refusal) {
	t.Helper()
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			client, transport := newCannedClient(t, http.NotFoundHandler())
			err := tc.call(t.Context(), client)
			if !IsInvalid(err) {
				t.Errorf("error %v, want IsInvalid", err)
			}
			if err != nil && strings.Contains(err.Error(), secretMarker) {
				t.Errorf("error %q quotes the value", err)
			}
			if err != nil && !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q, want it to say %q", err, tc.wantErr)
			}
			if n := len(transport.Exchanges()); n != 0 {
				t.Errorf("%d requests sent", n)
			}
		})
	}
}

// clientResource is one resource as the client reads it: the member of its envelope, its path, its documented
// row, and a GET of one row that returns the id it decoded.
type clientResource struct {
	member, path string
	row          func(t testing.TB, id string) map[string]any
	get          func(ctx context.Context, c *Client, id string) (string, error)
}

var clientResources = []clientResource{
	{"destination", "destinations", documentedRow, func(ctx context.Context, c *Client, id string) (string, error) {
		d, err := c.GetDestination(ctx, id)
		if err != nil {
			return "", err
		}
		return d.ID, nil
	}},
	{"source", "sources", documentedSourceRow, func(ctx context.Context, c *Client, id string) (string, error) {
		s, err := c.GetSource(ctx, id)
		if err != nil {
			return "", err
		}
		return s.ID, nil
	}},
	{"connection", "connections", documentedConnectionRow, func(ctx context.Context, c *Client, id string) (string, error) {
		conn, err := c.GetConnection(ctx, id)
		if err != nil {
			return "", err
		}
		return conn.ID, nil
	}},
}

// clientResourceOf is the resource with the envelope member.
func clientResourceOf(t testing.TB, member string) clientResource {
	t.Helper()
	for _, r := range clientResources {
		if r.member == member {
			return r
		}
	}
	t.Fatalf("no resource %q", member)
	return clientResource{}
}

func TestClientEscapesIDs(t *testing.T) {
	for _, r := range clientResources {
		t.Run(r.path, func(t *testing.T) {
			client, transport := newCannedClient(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				writeJSON(w, http.StatusOK, map[string]any{r.member: r.row(t, "a/b c?d")})
			}))
			id, err := r.get(t.Context(), client, "a/b c?d")
			if err != nil {
				t.Fatal(err)
			}
			if id != "a/b c?d" {
				t.Errorf("ID = %q", id)
			}
			ex := transport.last(t)
			if ex.EscapedPath != "/v1/"+r.path+"/a%2Fb%20c%3Fd" || len(ex.Query) != 0 {
				t.Errorf("request path %q query %v: the id was not escaped", ex.EscapedPath, ex.Query)
			}
		})
	}
}

// TestClientUndecodableAnswer: a row the client cannot decode is an error that names the field and the route,
// never the value, and that is not retried.
func TestClientUndecodableAnswer(t *testing.T) {
	tests := []struct {
		member      string
		field       string
		value       any
		offContract string
		// unquoted are parts of the value that the error must not repeat.
		unquoted []string
		// wantField is the field the error names: field or one of its members.
		wantField string
	}{
		{member: "destination", field: "timeout_ms", value: "soon", offContract: "a broken answer", unquoted: []string{"soon"},
			wantField: "timeout_ms"},
		{member: "source", field: "ip_allowlist", value: "10.0.0.1, 10.0.0.2", unquoted: []string{"10.0.0.1"},
			wantField: "ip_allowlist"},
		{member: "connection", field: "filter_rules",
			value:    `[{"field":"payload.token","op":"eq","value":"` + secretMarker + `"},"payload.type eq x"]`,
			unquoted: []string{secretMarker, "payload."}, wantField: "filter_rules[1]"},
	}
	for _, tc := range tests {
		r := clientResourceOf(t, tc.member)
		t.Run(r.path, func(t *testing.T) {
			client, _ := newCannedClient(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				row := r.row(t, "a1")
				row[tc.field] = tc.value
				writeJSON(w, http.StatusOK, map[string]any{r.member: row})
			}), offContractIf(tc.offContract)...)
			_, err := r.get(t.Context(), client, "a1")
			var decodeErr *DecodeError
			if !errors.As(err, &decodeErr) || decodeErr.Field != tc.wantField {
				t.Fatalf("error %v, want a *DecodeError on %s", err, tc.wantField)
			}
			if !strings.Contains(err.Error(), "GET /"+r.path+"/{id}") {
				t.Errorf("error %q does not name the route", err)
			}
			for _, value := range tc.unquoted {
				if strings.Contains(err.Error(), value) {
					t.Errorf("error %q quotes the value", err)
				}
			}
			if IsRetryable(err) {
				t.Errorf("an undecodable answer is retryable")
			}
		})
	}
}

// resourceCalls are the calls of one resource, reduced to their errors, and its path.
type resourceCalls struct {
	path                              string
	create, get, update, remove, list clientCall
}

// sharedErrorCases are the error answers every resource's calls have alike: 401 and 403 on create, 404 on get,
// update and delete with notFound, 401 and 429 on list, and 500 on get.
func sharedErrorCases(t testing.TB, calls resourceCalls, notFound string) map[string]errorCase {
	t.Helper()
	one, each := "/"+calls.path, "/"+calls.path+"/{id}"
	return map[string]errorCase{
		"create 401 unauthorized": {
			call: calls.create, status: 401, body: errorEnvelopeJSON(t, 401, "Invalid API key"),
			want: apiErrorSummary("ErrUnauthorized", 401, "Invalid API key", "POST "+one),
		},
		"create 403 forbidden": {
			call: calls.create, status: 403, body: errorEnvelopeJSON(t, 403, "Forbidden"),
			want: apiErrorSummary("ErrForbidden", 403, "Forbidden", "POST "+one),
		},
		"get 404 not found": {
			call: calls.get, status: 404, body: errorEnvelopeJSON(t, 404, notFound),
			want: apiErrorSummary("ErrNotFound", 404, notFound, "GET "+each),
		},
		"update 404 not found": {
			call: calls.update, status: 404, body: errorEnvelopeJSON(t, 404, notFound),
			want: apiErrorSummary("ErrNotFound", 404, notFound, "PATCH "+each),
		},
		"delete 404 not found": {
			call: calls.remove, status: 404, body: errorEnvelopeJSON(t, 404, notFound),
			want: apiErrorSummary("ErrNotFound", 404, notFound, "DELETE "+each),
		},
		"list 401 unauthorized": {
			call: calls.list, status: 401, body: errorEnvelopeJSON(t, 401, "Invalid API key"),
			want: apiErrorSummary("ErrUnauthorized", 401, "Invalid API key", "GET "+one),
		},
		"list 429 with Retry-After": {
			call: calls.list, status: 429, header: map[string]string{"Retry-After": "5", "RateLimit-Remaining": "0"},
			body: errorEnvelopeJSON(t, 429, "Rate limit exceeded"),
			want: errorSummary{Sentinels: []string{"ErrRateLimited"}, StatusCode: 429, Message: "Rate limit exceeded",
				RequestID: "req_0a1b2c", RetryAfter: 5 * time.Second, Route: "GET " + one, Retryable: true},
		},
		"get 500": {
			call: calls.get, status: 500, body: errorEnvelopeJSON(t, 500, "Internal error"),
			offContract: "the document declares no 5xx answers; hookstream's docs list 500",
			want: errorSummary{Sentinels: []string{"ErrServer"}, StatusCode: 500, Message: "Internal error",
				RequestID: "req_0a1b2c", Route: "GET " + each, Retryable: true},
		},
	}
}

// sharedCallCases are the calls every resource makes alike: a GET of the row id, which answer holds and want is
// decoded from, and a DELETE of it.
func sharedCallCases(path, id string, answer, want any, get func(ctx context.Context, c *Client, id string) (any, error),
	remove func(ctx context.Context, c *Client, id string) error) map[string]callCase {
	return map[string]callCase{
		"get": {
			call:   func(ctx context.Context, c *Client) (any, error) { return get(ctx, c, id) },
			status: 200, answer: answer,
			wantMethod: "GET", wantPath: "/v1/" + path + "/" + id,
			wantRoute: "GET /" + path + "/{id}",
			want:      want,
		},
		"delete": {
			call:   func(ctx context.Context, c *Client) (any, error) { return nil, remove(ctx, c, id) },
			status: 200, answer: map[string]any{"success": true},
			wantMethod: "DELETE", wantPath: "/v1/" + path + "/" + id,
			wantRoute: "DELETE /" + path + "/{id}",
			want:      nil,
		},
	}
}
