// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hookstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// documentedRow is the testdata row in the documented encoding, with its id replaced.
func documentedRow(t testing.TB, id string) map[string]any {
	t.Helper()
	return documentedRowOf(t, "row-documented.json", "destination", id)
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func errorEnvelopeBody(status int, message string) map[string]any {
	return map[string]any{"error": message, "status": status, "request_id": "req_0a1b2c"}
}

// observation is one Observer call.
type observation struct {
	Route string
	Code  int
}

type observerLog struct {
	mu        sync.Mutex
	calls     []observation
	durations []time.Duration
}

func (o *observerLog) observe(route string, code int, d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls = append(o.calls, observation{Route: route, Code: code})
	o.durations = append(o.durations, d)
}

func (o *observerLog) Durations() []time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]time.Duration(nil), o.durations...)
}

func (o *observerLog) Calls() []observation {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]observation(nil), o.calls...)
}

func TestClientCalls(t *testing.T) {
	const id = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"
	row := documentedRow(t, id)
	destinationAnswer := map[string]any{"destination": row}
	circuitAnswer := map[string]any{"circuit": map[string]any{"state": "closed", "failure_count": 0, "last_transition_at": nil}}

	cases := sharedCallCases("destinations", id, destinationAnswer, ordersSQS(t),
		func(ctx context.Context, c *Client, id string) (any, error) { return c.GetDestination(ctx, id) },
		func(ctx context.Context, c *Client, id string) error { return c.DeleteDestination(ctx, id) })
	maps.Copy(cases, map[string]callCase{
		"list": {
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ListDestinations(ctx, ListOptions{Limit: 2, Cursor: "opaque"})
			},
			status:     200,
			answer:     map[string]any{"destinations": []any{row}, "cursor": nil, "has_more": false},
			wantMethod: "GET", wantPath: "/v1/destinations",
			wantQuery: url.Values{"limit": {"2"}, "cursor": {"opaque"}},
			wantRoute: "GET /destinations",
			want:      &ListPage{Destinations: []*Destination{ordersSQS(t)}},
		},
		"list caps the page size": {
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ListDestinations(ctx, ListOptions{Limit: 5000})
			},
			status:     200,
			answer:     map[string]any{"destinations": []any{}, "cursor": nil, "has_more": false},
			wantMethod: "GET", wantPath: "/v1/destinations", wantQuery: url.Values{"limit": {"100"}},
			wantRoute: "GET /destinations",
			want:      &ListPage{Destinations: []*Destination{}},
		},
		"create": {
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CreateDestination(ctx, &CreateRequest{
					Name: "Orders SQS", Slug: "orders-sqs", Type: TypeAWSSQS,
					ProviderConfig: map[string]string{"queue_url": "https://sqs.eu-west-1.amazonaws.com/1/orders", "region": "eu-west-1",
						"access_key_id": "AKIAEXAMPLE", "secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
					TimeoutMS: new(30000), RetryEnabled: new(true), RetryIntervals: []int{30, 300},
				})
			},
			status: 201, answer: destinationAnswer,
			wantMethod: "POST", wantPath: "/v1/destinations",
			wantBody: `{"name":"Orders SQS","slug":"orders-sqs","type":"aws_sqs","timeout_ms":30000,` +
				`"provider_config":{"access_key_id":"AKIAEXAMPLE","queue_url":"https://sqs.eu-west-1.amazonaws.com/1/orders",` +
				`"region":"eu-west-1","secret_access_key":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},` +
				`"retry_enabled":true,"retry_intervals":[30,300]}`,
			wantRoute: "POST /destinations",
			want:      ordersSQS(t),
		},
		"update sends only the fields present": {
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.UpdateDestination(ctx, id, &UpdateRequest{Status: Set(StatusPaused), Headers: Null[map[string]string]()})
			},
			status: 200, answer: destinationAnswer,
			wantMethod: "PATCH", wantPath: "/v1/destinations/" + id,
			wantBody:  `{"headers":null,"status":"paused"}`,
			wantRoute: "PATCH /destinations/{id}",
			want:      ordersSQS(t),
		},
		"get circuit": {
			call:   func(ctx context.Context, c *Client) (any, error) { return c.GetCircuit(ctx, id) },
			status: 200, answer: circuitAnswer,
			wantMethod: "GET", wantPath: "/v1/destinations/" + id + "/circuit",
			wantRoute: "GET /destinations/{id}/circuit",
			want:      &Circuit{State: CircuitClosed},
		},
		"reset circuit": {
			call:   func(ctx context.Context, c *Client) (any, error) { return c.ResetCircuit(ctx, id) },
			status: 200, answer: circuitAnswer,
			wantMethod: "POST", wantPath: "/v1/destinations/" + id + "/circuit/reset",
			wantRoute: "POST /destinations/{id}/circuit/reset",
			want:      &Circuit{State: CircuitClosed},
		},
	})
	runCallCases(t, cases)
}

// callCase is one call answered by a canned server, with the request that must cross the wire and the result.
type callCase struct {
	call       func(ctx context.Context, c *Client) (any, error)
	status     int
	answer     any
	wantMethod string
	wantPath   string
	wantQuery  url.Values
	wantBody   string
	wantRoute  string
	want       any
}

func runCallCases(t *testing.T, tests map[string]callCase) {
	t.Helper()
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var observed observerLog
			client, transport := newCannedClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, tc.status, tc.answer)
			}), withOptions(func(o *Options) { o.Observer = observed.observe }))

			got, err := tc.call(t.Context(), client)
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			ex := transport.last(t)
			if ex.Method != tc.wantMethod || ex.Path != tc.wantPath {
				t.Errorf("request %s %s, want %s %s", ex.Method, ex.Path, tc.wantMethod, tc.wantPath)
			}
			if diff := cmp.Diff(tc.wantQuery, ex.Query, cmpEmptyQuery); diff != "" {
				t.Errorf("query (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(jsonValue(t, tc.wantBody), jsonValue(t, string(ex.Body))); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]observation{{Route: tc.wantRoute, Code: tc.status}}, observed.Calls()); diff != "" {
				t.Errorf("observer calls (-want +got):\n%s", diff)
			}
			for _, d := range observed.Durations() {
				if d <= 0 {
					t.Errorf("observed duration %s, want the request's latency", d)
				}
			}
		})
	}
}

// cmpEmptyQuery treats a nil and an empty query as equal.
var cmpEmptyQuery = cmp.FilterValues(func(a, b url.Values) bool { return len(a) == 0 && len(b) == 0 }, cmp.Ignore())

// jsonValue parses a JSON document for a semantic comparison; "" is nil.
func jsonValue(t *testing.T, text string) any {
	t.Helper()
	if text == "" {
		return nil
	}
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		t.Fatalf("not JSON: %v: %s", err, text)
	}
	return v
}

func TestClientHeaders(t *testing.T) {
	tests := map[string]struct {
		options         func(*Options)
		call            func(ctx context.Context, c *Client) error
		wantUserAgent   string
		wantContentType string
	}{
		"default user agent, GET without a body": {
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetDestination(ctx, "a1")
				return err
			},
			wantUserAgent: "hookstream-operator/" + Version,
		},
		"POST with a JSON body": {
			call: func(ctx context.Context, c *Client) error {
				_, err := c.CreateDestination(ctx, &CreateRequest{Name: "n", Slug: "s", URL: "https://example.test"})
				return err
			},
			wantUserAgent:   "hookstream-operator/" + Version,
			wantContentType: "application/json",
		},
		"the key loses its trailing newline": {
			options: func(o *Options) { o.APIKey = testAPIKey + "\n" },
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetDestination(ctx, "a1")
				return err
			},
			wantUserAgent: "hookstream-operator/" + Version,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			opts := []testClientOption{}
			if tc.options != nil {
				opts = append(opts, withOptions(tc.options))
			}
			client, transport := newCannedClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				status := http.StatusOK
				if r.Method == http.MethodPost {
					status = http.StatusCreated
				}
				writeJSON(w, status, map[string]any{"destination": documentedRow(t, "a1")})
			}), opts...)
			if err := tc.call(t.Context(), client); err != nil {
				t.Fatal(err)
			}
			header := transport.last(t).Header
			got := map[string]string{
				"X-API-Key":     header.Get("X-API-Key"),
				"User-Agent":    header.Get("User-Agent"),
				"Accept":        header.Get("Accept"),
				"Content-Type":  header.Get("Content-Type"),
				"Authorization": header.Get("Authorization"),
			}
			want := map[string]string{
				"X-API-Key":     testAPIKey,
				"User-Agent":    tc.wantUserAgent,
				"Accept":        "application/json",
				"Content-Type":  tc.wantContentType,
				"Authorization": "",
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("headers (-want +got):\n%s", diff)
			}
		})
	}
}

// errorSummary is what a caller can learn from an error without reading its text.
type errorSummary struct {
	Sentinels  []string
	StatusCode int
	Message    string
	RequestID  string
	RetryAfter time.Duration
	Route      string
	Retryable  bool
}

func summarise(err error) errorSummary {
	summary := errorSummary{Sentinels: matchedSentinels(err), Retryable: IsRetryable(err)}
	if apiErr, ok := errors.AsType[*APIError](err); ok {
		summary.StatusCode = apiErr.StatusCode
		summary.Message = apiErr.Message
		summary.RequestID = apiErr.RequestID
		summary.RetryAfter = apiErr.RetryAfter
		summary.Route = apiErr.Route
	}
	return summary
}

func TestClientErrorMapping(t *testing.T) {
	create := func(ctx context.Context, c *Client) error {
		_, err := c.CreateDestination(ctx, &CreateRequest{Name: "n", Slug: "s", URL: "https://example.test"})
		return err
	}
	get := func(ctx context.Context, c *Client) error {
		_, err := c.GetDestination(ctx, "a1")
		return err
	}
	list := func(ctx context.Context, c *Client) error {
		_, err := c.ListDestinations(ctx, ListOptions{})
		return err
	}
	update := func(ctx context.Context, c *Client) error {
		_, err := c.UpdateDestination(ctx, "a1", &UpdateRequest{Name: Set("n")})
		return err
	}
	remove := func(ctx context.Context, c *Client) error { return c.DeleteDestination(ctx, "a1") }
	longPage := "<html><body>" + strings.Repeat("upstream unavailable ", 40) + "</body></html>"

	cases := sharedErrorCases(t, resourceCalls{path: "destinations",
		create: create, get: get, update: update, remove: remove, list: list}, "Destination not found")
	maps.Copy(cases, map[string]errorCase{
		"400 invalid": {
			call: create, status: 400,
			body: errorEnvelopeJSON(t, 400, "Invalid body: 'slug' must match pattern ^[a-z0-9-]+$"),
			want: errorSummary{Sentinels: []string{"ErrInvalid"}, StatusCode: 400, RequestID: "req_0a1b2c",
				Message: "Invalid body: 'slug' must match pattern ^[a-z0-9-]+$", Route: "POST /destinations"},
		},
		"409 duplicate slug": {
			call: create, status: 409,
			body: errorEnvelopeJSON(t, 409, "Slug already exists"),
			want: errorSummary{Sentinels: []string{"ErrConflict"}, StatusCode: 409, Message: "Slug already exists",
				RequestID: "req_0a1b2c", Route: "POST /destinations"},
		},
		"429 with Retry-After": {
			call: create, status: 429,
			header: map[string]string{"Retry-After": "7", "RateLimit-Limit": "1000", "RateLimit-Remaining": "0", "RateLimit-Reset": "30"},
			body:   errorEnvelopeJSON(t, 429, "Rate limit exceeded"),
			want: errorSummary{Sentinels: []string{"ErrRateLimited"}, StatusCode: 429, Message: "Rate limit exceeded",
				RequestID: "req_0a1b2c", RetryAfter: 7 * time.Second, Route: "POST /destinations", Retryable: true},
		},
		"429 with only RateLimit-Reset": {
			call: list, status: 429,
			header: map[string]string{"RateLimit-Remaining": "0", "RateLimit-Reset": "3"},
			body:   errorEnvelopeJSON(t, 429, "Rate limit exceeded"),
			want: errorSummary{Sentinels: []string{"ErrRateLimited"}, StatusCode: 429, Message: "Rate limit exceeded",
				RequestID: "req_0a1b2c", RetryAfter: 3 * time.Second, Route: "GET /destinations", Retryable: true},
		},
		"500 with a plain-text body": {
			call: get, status: 500, body: "upstream exploded\n",
			offContract: "the document declares no 5xx answers; hookstream's docs list 500",
			want: errorSummary{Sentinels: []string{"ErrServer"}, StatusCode: 500,
				Message: "Internal Server Error: upstream exploded", Route: "GET /destinations/{id}", Retryable: true},
		},
		"503 with an HTML page and Retry-After": {
			call: list, status: 503, body: longPage,
			header:      map[string]string{"Retry-After": "2", "X-Request-Id": "req_edge1"},
			offContract: "a proxy's error page",
			want: errorSummary{Sentinels: []string{"ErrServer"}, StatusCode: 503,
				Message:   "Service Unavailable: " + truncateRunes(strings.Join(strings.Fields(longPage), " "), maxExcerptRunes),
				RequestID: "req_edge1", RetryAfter: 2 * time.Second, Route: "GET /destinations", Retryable: true},
		},
		"502 with no body": {
			call: get, status: 502, offContract: "a proxy's empty answer",
			want: errorSummary{Sentinels: []string{"ErrServer"}, StatusCode: 502, Route: "GET /destinations/{id}", Retryable: true},
		},
	})
	runErrorCases(t, cases)
}

// errorCase is a call answered outside 2xx by a canned server, and what the caller learns from the error.
type errorCase struct {
	call        func(context.Context, *Client) error
	status      int
	header      map[string]string
	body        string
	offContract string
	want        errorSummary
}

func runErrorCases(t *testing.T, tests map[string]errorCase) {
	t.Helper()
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			client, _ := newCannedClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for key, value := range tc.header {
					w.Header().Set(key, value)
				}
				if strings.HasPrefix(tc.body, "{") {
					w.Header().Set("Content-Type", "application/json")
				} else {
					w.Header().Set("Content-Type", "text/html")
				}
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}), offContractIf(tc.offContract)...)

			err := tc.call(t.Context(), client)
			if diff := cmp.Diff(tc.want, summarise(err)); diff != "" {
				t.Errorf("error %v\n(-want +got):\n%s", err, diff)
			}
			if wait, ok := IsRateLimited(err); ok != (tc.status == 429) || wait != tc.want.RetryAfter && ok {
				t.Errorf("IsRateLimited = %s, %t", wait, ok)
			}
		})
	}
}

func TestErrorExcerptIsShort(t *testing.T) {
	client, _ := newCannedClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte(strings.Repeat("é", 5000)))
	}), offContract("a proxy's error page"))
	_, err := client.GetDestination(t.Context(), "a1")
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("error %v, want an *APIError", err)
	}
	excerpt := strings.TrimPrefix(apiErr.Message, http.StatusText(http.StatusBadGateway)+": ")
	if n := utf8.RuneCountInString(excerpt); n > maxExcerptRunes {
		t.Errorf("excerpt of %d characters, want at most %d", n, maxExcerptRunes)
	}
}

func TestClientTransportErrors(t *testing.T) {
	hijack := func(respond func(conn net.Conn)) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				panic(err)
			}
			respond(conn)
		})
	}
	tests := map[string]struct {
		handler      http.Handler
		refused      bool
		wantObserved int
	}{
		"connection refused": {refused: true},
		"connection reset before the answer": {
			handler: hijack(func(conn net.Conn) {
				if tcp, ok := conn.(*net.TCPConn); ok {
					_ = tcp.SetLinger(0)
				}
				_ = conn.Close()
			}),
		},
		"connection closed before the answer": {
			handler: hijack(func(conn net.Conn) { _ = conn.Close() }),
		},
		"body cut short": {
			handler: hijack(func(conn net.Conn) {
				_, _ = conn.Write([]byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"destination\":"))
				_ = conn.Close()
			}),
			wantObserved: 200,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var observed observerLog
			opts := []testClientOption{withOptions(func(o *Options) { o.Observer = observed.observe })}
			var client *Client
			if tc.refused {
				listener, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				addr := listener.Addr().String()
				_ = listener.Close()
				client, _ = newContractClient(t, "http://"+addr+"/v1", opts...)
			} else {
				client, _ = newCannedClient(t, tc.handler, opts...)
			}

			_, err := client.GetDestination(t.Context(), "a1")
			var transportErr *TransportError
			if !errors.As(err, &transportErr) {
				t.Fatalf("error %v, want a *TransportError", err)
			}
			if transportErr.Route != routeGetDestination {
				t.Errorf("Route = %q, want %q", transportErr.Route, routeGetDestination)
			}
			if !IsRetryable(err) {
				t.Errorf("IsRetryable(%v) = false", err)
			}
			if tc.refused && !errors.Is(err, syscall.ECONNREFUSED) {
				t.Errorf("error %v, want ECONNREFUSED", err)
			}
			if diff := cmp.Diff([]observation{{Route: routeGetDestination, Code: tc.wantObserved}}, observed.Calls()); diff != "" {
				t.Errorf("observer calls (-want +got):\n%s", diff)
			}
		})
	}
}

func TestClientTimeoutAndCancellation(t *testing.T) {
	tests := map[string]struct {
		timeout       time.Duration
		ctx           func(t *testing.T) context.Context
		wantErr       error
		wantRetryable bool
	}{
		"Options.Timeout": {
			timeout:       100 * time.Millisecond,
			ctx:           func(t *testing.T) context.Context { return t.Context() },
			wantErr:       context.DeadlineExceeded,
			wantRetryable: true,
		},
		"caller's deadline": {
			ctx: func(t *testing.T) context.Context {
				ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
				t.Cleanup(cancel)
				return ctx
			},
			wantErr:       context.DeadlineExceeded,
			wantRetryable: true,
		},
		"caller cancels": {
			ctx: func(t *testing.T) context.Context {
				ctx, cancel := context.WithCancel(t.Context())
				time.AfterFunc(100*time.Millisecond, cancel)
				return ctx
			},
			wantErr:       context.Canceled,
			wantRetryable: false,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			release := make(chan struct{})
			client, _ := newCannedClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
				case <-release:
				}
			}), withOptions(func(o *Options) { o.Timeout = tc.timeout }))
			// Registered after the server's cleanup, so it runs first and unblocks the handler.
			t.Cleanup(func() { close(release) })

			done := make(chan error, 1)
			go func() {
				_, err := client.GetDestination(tc.ctx(t), "a1")
				done <- err
			}()
			select {
			case err := <-done:
				if !errors.Is(err, tc.wantErr) {
					t.Errorf("error %v, want %v", err, tc.wantErr)
				}
				if IsRetryable(err) != tc.wantRetryable {
					t.Errorf("IsRetryable(%v) = %t, want %t", err, IsRetryable(err), tc.wantRetryable)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the call ignored its deadline")
			}
		})
	}
}

func TestAPIKeyNeverLeaks(t *testing.T) {
	echoHeaders := func(_ http.ResponseWriter, r *http.Request) string {
		var b strings.Builder
		for name, values := range r.Header {
			fmt.Fprintf(&b, "%s: %s\n", name, strings.Join(values, ","))
		}
		return b.String()
	}
	tests := map[string]http.HandlerFunc{
		"a proxy page echoing the request headers": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte("Bad gateway. Your request:\n" + echoHeaders(w, r)))
		},
		"an envelope quoting the key": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusUnauthorized, map[string]any{
				"error": "Invalid API key " + r.Header.Get("X-API-Key"), "status": 401,
				"request_id": r.Header.Get("X-API-Key"),
			})
		},
		"a long page with the key past the excerpt": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(strings.Repeat("x", maxExcerptRunes-10) + r.Header.Get("X-API-Key")))
		},
		"a redirect to another host": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://127.0.0.1:1/steal?key="+r.Header.Get("X-API-Key")[:4], http.StatusTemporaryRedirect)
		},
	}
	for name, handler := range tests {
		t.Run(name, func(t *testing.T) {
			var observed observerLog
			client, _ := newCannedClient(t, handler, offContract("hostile answers"),
				withOptions(func(o *Options) { o.Observer = observed.observe }))
			_, err := client.GetDestination(t.Context(), "a1")
			if err == nil {
				t.Fatal("no error")
			}
			for _, format := range []string{"%v", "%+v", "%#v"} {
				if out := fmt.Sprintf(format, err); containsKey(out) {
					t.Errorf("%s of the error shows the key: %s", format, out)
				}
			}
		})
	}
}

func TestClientAndOptionsPrintWithoutKey(t *testing.T) {
	opts := Options{BaseURL: "https://hookstream.test/v1", APIKey: testAPIKey}
	client, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	for name, value := range map[string]any{"options": opts, "options pointer": &opts, "client": client} {
		for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
			if out := fmt.Sprintf(format, value); containsKey(out) {
				t.Errorf("%s %s shows the key: %s", format, name, out)
			}
		}
	}
}

func TestNew(t *testing.T) {
	tests := map[string]struct {
		opts        Options
		wantErr     bool
		wantBaseURL string
	}{
		"defaults":                {opts: Options{APIKey: testAPIKey}, wantBaseURL: DefaultBaseURL},
		"trailing slash":          {opts: Options{BaseURL: "http://127.0.0.1:8080/v1/", APIKey: testAPIKey}, wantBaseURL: "http://127.0.0.1:8080/v1"},
		"no key":                  {opts: Options{}, wantErr: true},
		"blank key":               {opts: Options{APIKey: " \n"}, wantErr: true},
		"key with a line break":   {opts: Options{APIKey: "hs_test_ab\r\nX-Evil: 1"}, wantErr: true},
		"key with a space inside": {opts: Options{APIKey: "hs test"}, wantErr: true},
		"unsupported scheme":      {opts: Options{BaseURL: "ftp://hookstream.io/v1", APIKey: testAPIKey}, wantErr: true},
		"no scheme":               {opts: Options{BaseURL: "hookstream.io/v1", APIKey: testAPIKey}, wantErr: true},
		"no host":                 {opts: Options{BaseURL: "https:///v1", APIKey: testAPIKey}, wantErr: true},
		"credentials in the URL":  {opts: Options{BaseURL: "https://user:pass@hookstream.io/v1", APIKey: testAPIKey}, wantErr: true},
		"query in the URL":        {opts: Options{BaseURL: "https://hookstream.io/v1?key=x", APIKey: testAPIKey}, wantErr: true},
		"unparsable URL":          {opts: Options{BaseURL: "https://hook stream.io/%zz", APIKey: testAPIKey}, wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			client, err := New(tc.opts)
			if (err != nil) != tc.wantErr {
				t.Fatalf("New: error %v, want error %t", err, tc.wantErr)
			}
			if err != nil {
				key := strings.TrimSpace(tc.opts.APIKey)
				if containsKey(err.Error()) || (key != "" && strings.Contains(err.Error(), key)) {
					t.Errorf("the error shows the key: %v", err)
				}
				return
			}
			if got := client.BaseURL(); got != tc.wantBaseURL {
				t.Errorf("BaseURL = %q, want %q", got, tc.wantBaseURL)
			}
		})
	}
}

func TestClientDoesNotFollowRedirects(t *testing.T) {
	var stolen int
	var mu sync.Mutex
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		stolen++
	}))
	t.Cleanup(elsewhere.Close)
	client, _ := newCannedClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}), offContract("redirects are not in the document"))

	_, err := client.GetDestination(t.Context(), "a1")
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusTemporaryRedirect {
		t.Errorf("error %v, want an *APIError with status 307", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if stolen != 0 {
		t.Errorf("the redirect target received %d requests", stolen)
	}
}

func TestClientCapsResponseSize(t *testing.T) {
	client, _ := newCannedClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"destination":{"id":"a1","name":"`))
		_, _ = w.Write([]byte(strings.Repeat("x", MaxResponseBytes)))
		_, _ = w.Write([]byte(`"}}`))
	}), offContract("an oversized answer"))
	_, err := client.GetDestination(t.Context(), "a1")
	if !errors.Is(err, errResponseTooLarge) {
		t.Errorf("error %v, want errResponseTooLarge", err)
	}
	if IsRetryable(err) {
		t.Errorf("an oversized answer is retryable")
	}
}

func TestClientRefusesBeforeSending(t *testing.T) {
	checkRefusedBeforeSending(t, refusalsOf(map[string]clientCall{
		"empty update": func(ctx context.Context, c *Client) error {
			_, err := c.UpdateDestination(ctx, "a1", &UpdateRequest{})
			return err
		},
		"nil update": func(ctx context.Context, c *Client) error {
			_, err := c.UpdateDestination(ctx, "a1", nil)
			return err
		},
		"nil create": func(ctx context.Context, c *Client) error {
			_, err := c.CreateDestination(ctx, nil)
			return err
		},
		"get with an empty id": func(ctx context.Context, c *Client) error {
			_, err := c.GetDestination(ctx, "")
			return err
		},
		"delete with an empty id": func(ctx context.Context, c *Client) error {
			return c.DeleteDestination(ctx, "")
		},
		"delete of the parent": func(ctx context.Context, c *Client) error {
			return c.DeleteDestination(ctx, "..")
		},
		"circuit reset with an empty id": func(ctx context.Context, c *Client) error {
			_, err := c.ResetCircuit(ctx, "")
			return err
		},
	}))
}

// recordingLimiter counts Wait calls and keeps what Observe is told.
type recordingLimiter struct {
	mu       sync.Mutex
	waits    int
	observed []RateLimitInfo
	waitErr  error
}

func (l *recordingLimiter) Wait(context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.waits++
	return l.waitErr
}

func (l *recordingLimiter) Observe(info RateLimitInfo) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.observed = append(l.observed, info)
}

func TestClientLimiterHooks(t *testing.T) {
	errBudget := errors.New("budget exhausted")
	tests := map[string]struct {
		waitErr      error
		status       int
		header       map[string]string
		wantErr      error
		wantObserved []RateLimitInfo
		wantRequests int
	}{
		"told the documented headers": {
			status: 200,
			header: map[string]string{"RateLimit-Limit": "1000", "RateLimit-Remaining": "742", "RateLimit-Reset": "37"},
			wantObserved: []RateLimitInfo{{Limit: 1000, Remaining: 742, Reset: 37 * time.Second, HasHeaders: true,
				StatusCode: 200}},
			wantRequests: 1,
		},
		"told a 429's pause": {
			status:       429,
			header:       map[string]string{"Retry-After": "4", "RateLimit-Remaining": "0", "RateLimit-Reset": "9"},
			wantErr:      ErrRateLimited,
			wantObserved: []RateLimitInfo{{Reset: 9 * time.Second, RetryAfter: 4 * time.Second, HasHeaders: true, StatusCode: 429}},
			wantRequests: 1,
		},
		"told even when no header came": {
			status:       200,
			wantObserved: []RateLimitInfo{{StatusCode: 200}},
			wantRequests: 1,
		},
		"a refusing limiter stops the request": {
			waitErr:      errBudget,
			wantErr:      errBudget,
			wantRequests: 0,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			limiter := &recordingLimiter{waitErr: tc.waitErr}
			client, transport := newCannedClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for key, value := range tc.header {
					w.Header().Set(key, value)
				}
				if tc.status == http.StatusOK {
					writeJSON(w, tc.status, map[string]any{"destination": documentedRow(t, "a1")})
					return
				}
				writeJSON(w, tc.status, errorEnvelopeBody(tc.status, "Rate limit exceeded"))
			}), withOptions(func(o *Options) { o.Limiter = limiter }))

			_, err := client.GetDestination(t.Context(), "a1")
			if tc.wantErr == nil && err != nil || !errors.Is(err, tc.wantErr) {
				t.Errorf("error %v, want %v", err, tc.wantErr)
			}
			if limiter.waits != 1 {
				t.Errorf("Wait called %d times, want 1", limiter.waits)
			}
			if diff := cmp.Diff(tc.wantObserved, limiter.observed); diff != "" {
				t.Errorf("Observe calls (-want +got):\n%s", diff)
			}
			if n := len(transport.Exchanges()); n != tc.wantRequests {
				t.Errorf("%d requests sent, want %d", n, tc.wantRequests)
			}
		})
	}
}

func TestClientToleratesDocumentedAlternatives(t *testing.T) {
	client, _ := newCannedClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		row := documentedRow(t, "dst_01HQZ6")
		row["retry_intervals"] = []int{30, 300, 1800, 7200, 86400}
		writeJSON(w, http.StatusOK, map[string]any{"destination": row})
	}), offContract("retry_intervals as a native array and a dst_ id, alternatives the contract lists"))
	got, err := client.GetDestination(t.Context(), "dst_01HQZ6")
	if err != nil {
		t.Fatal(err)
	}
	want := ordersSQS(t)
	want.ID = "dst_01HQZ6"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
