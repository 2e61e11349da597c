// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hookstream

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

const (
	// DefaultBaseURL is hookstream's public API root; only its /v1 prefix versions the API.
	DefaultBaseURL = "https://hookstream.io/v1"
	// MaxPageSize is the largest page the list call accepts.
	MaxPageSize = 100
	// DefaultTimeout bounds one call, from the limiter wait to the last byte of the response.
	DefaultTimeout = 30 * time.Second
	// MaxResponseBytes caps how much of a response body is read: a misbehaving proxy must not exhaust memory.
	MaxResponseBytes = 10 << 20
)

// Version is the operator version reported in the default User-Agent; release builds set it with ldflags.
var Version = "dev"

// Observer is told the outcome of every request that reached the network: the route template (for example
// "PATCH /destinations/{id}", never a concrete id, so metrics keep a bounded cardinality), the HTTP status (0 on
// a transport error) and the time from sending the request to reading the last byte of the answer.
type Observer func(route string, code int, d time.Duration)

// Options configures a Client.
type Options struct {
	// BaseURL is the API root; requests go to BaseURL + "/destinations...", "/sources...", "/connections...".
	// Defaults to DefaultBaseURL.
	BaseURL string
	// APIKey is sent as X-API-Key. Surrounding whitespace (a trailing newline from a Secret file) is dropped.
	APIKey string
	// HTTPClient sends the requests. Nil means a client with TLS verification on and pooled connections.
	// Redirects are never followed, whichever client is given: the key travels in a custom header that net/http
	// would forward to another host.
	HTTPClient *http.Client
	// Timeout bounds every call (limiter wait included). Defaults to DefaultTimeout.
	Timeout time.Duration
	// Limiter, when set, is waited on before every request and told the rate-limit headers of every response.
	Limiter Limiter
	// Observer, when set, is called after every request that was sent.
	Observer Observer
	// Trace, when set, receives one JSON line per exchange with every secret redacted (TraceTransport).
	Trace io.Writer
}

// String describes the options without the API key.
func (o Options) String() string {
	return fmt.Sprintf("hookstream.Options{BaseURL: %q, APIKey: %s, Timeout: %s}",
		o.BaseURL, redactedKey(o.APIKey), o.Timeout)
}

// GoString keeps the key out of %#v as well.
func (o Options) GoString() string { return o.String() }

func redactedKey(key string) string {
	if key == "" {
		return "<empty>"
	}
	return "<redacted>"
}

// Client calls the hookstream API with one API key. It is safe for concurrent use.
type Client struct {
	baseURL    string
	apiKey     string
	httpClient *http.Client
	userAgent  string
	timeout    time.Duration
	limiter    Limiter
	observer   Observer
	// reads lets identical reads waiting for the rate budget at once share one request (shared.go).
	reads *readGroup
}

// New validates the options and returns a Client.
func New(opts Options) (*Client, error) {
	baseURL, err := normaliseBaseURL(opts.BaseURL)
	if err != nil {
		return nil, err
	}
	apiKey := strings.TrimSpace(opts.APIKey)
	if apiKey == "" {
		return nil, errors.New("hookstream: an API key is required")
	}
	if !isHeaderToken(apiKey) {
		// The value is deliberately not quoted: it is a credential.
		return nil, errors.New("hookstream: the API key contains characters that cannot travel in an HTTP header")
	}
	c := &Client{
		baseURL:   baseURL,
		apiKey:    apiKey,
		userAgent: "hookstream-operator/" + Version,
		timeout:   opts.Timeout,
		limiter:   opts.Limiter,
		observer:  opts.Observer,
		reads:     &readGroup{},
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	httpClient := opts.HTTPClient
	if httpClient == nil {
		httpClient = &http.Client{Transport: defaultTransport()}
	}
	// A copy, so that the caller's client keeps its own redirect policy.
	noRedirects := *httpClient
	if opts.Trace != nil {
		noRedirects.Transport = &TraceTransport{Next: httpClient.Transport, W: opts.Trace}
	}
	noRedirects.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.httpClient = &noRedirects
	return c, nil
}

// BaseURL returns the API base URL the client calls, without a trailing slash (for example
// "https://hookstream.io/v1"). Source ingest URLs are built on it.
func (c *Client) BaseURL() string { return c.baseURL }

// String describes the client without the API key.
func (c *Client) String() string {
	return fmt.Sprintf("hookstream.Client{BaseURL: %q, APIKey: <redacted>}", c.baseURL)
}

// GoString keeps the key out of %#v as well.
func (c *Client) GoString() string { return c.String() }

func normaliseBaseURL(raw string) (string, error) {
	if raw == "" {
		raw = DefaultBaseURL
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("hookstream: invalid base URL: %w", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("hookstream: invalid base URL %q: the scheme must be http or https", u.Redacted())
	case u.Host == "" || u.Opaque != "":
		return "", fmt.Errorf("hookstream: invalid base URL %q: no host", u.Redacted())
	case u.User != nil:
		// Credentials in the URL would end up in every transport error message.
		return "", fmt.Errorf("hookstream: invalid base URL %q: credentials belong in APIKey", u.Redacted())
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return "", fmt.Errorf("hookstream: invalid base URL %q: no query or fragment allowed", u.Redacted())
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// isHeaderToken reports whether the key is made of visible ASCII only, so that it can neither break the header
// nor be rejected by net/http with an error that might quote it.
func isHeaderToken(s string) bool {
	for i := range len(s) {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

func defaultTransport() *http.Transport {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	transport.MaxIdleConnsPerHost = 16
	transport.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	transport.TLSHandshakeTimeout = 10 * time.Second
	return transport
}

// NewHTTPClient returns an HTTP client for hookstream that trusts the system's certificate authorities plus those
// of extraCAPEM (for a private endpoint or a TLS-inspecting proxy). Certificate verification cannot be turned off.
func NewHTTPClient(extraCAPEM []byte) (*http.Client, error) {
	transport := defaultTransport()
	if len(extraCAPEM) > 0 {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(extraCAPEM) {
			return nil, errors.New("hookstream: the CA bundle holds no PEM certificate")
		}
		transport.TLSClientConfig.RootCAs = pool
	}
	return &http.Client{Transport: transport}, nil
}

// call describes one request: route is the template used in errors and metrics, path the concrete one.
type call struct {
	method string
	route  string
	path   string
	query  url.Values
	body   any
}

// response is a fully read 2xx answer.
type response struct {
	body []byte
}

// do sends one request and returns the 2xx answer, or an *APIError, a transport error or a limiter error. A read
// may share the request of an identical read that waits for the rate budget (shared.go).
func (c *Client) do(ctx context.Context, req call) (*response, error) {
	if req.method == http.MethodGet && req.body == nil && c.reads != nil {
		return c.reads.do(ctx, c, req)
	}
	resp, _, err := c.send(ctx, req, nil)
	return resp, err
}

// send sends one request, calling admitted (when set) once the rate limiter lets it go, before it is sent; it
// returns the 2xx answer or the error, and what the call told the key's health (zero when the call did not reach
// hookstream).
func (c *Client) send(ctx context.Context, req call, admitted func()) (*response, outcome, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	var payload []byte
	if req.body != nil {
		var err error
		if payload, err = json.Marshal(req.body); err != nil {
			return nil, outcome{}, fmt.Errorf("hookstream: %s: encoding the request: %w", req.route, err)
		}
	}
	target := c.baseURL + req.path
	if len(req.query) > 0 {
		target += "?" + req.query.Encode()
	}
	var body io.Reader = http.NoBody
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	httpReq, err := http.NewRequestWithContext(ctx, req.method, target, body)
	if err != nil {
		return nil, outcome{}, fmt.Errorf("hookstream: %s: %w", req.route, err)
	}
	if payload != nil {
		httpReq.Header.Set("Content-Type", "application/json")
	}
	httpReq.Header.Set("Accept", "application/json")
	httpReq.Header.Set("User-Agent", c.userAgent)
	httpReq.Header.Set("X-API-Key", c.apiKey)

	if c.limiter != nil {
		if err := c.limiter.Wait(ctx); err != nil {
			return nil, outcome{}, fmt.Errorf("hookstream: %s: waiting for the rate limiter: %w", req.route, err)
		}
	}
	if admitted != nil {
		admitted()
	}

	start := time.Now()
	httpResp, err := c.httpClient.Do(httpReq)
	if err != nil {
		c.observe(req.route, 0, time.Since(start))
		return nil, c.recordOutcome(ctx, 0), &TransportError{Route: req.route, Err: err}
	}
	respBody, readErr := readCapped(httpResp.Body)
	_ = httpResp.Body.Close()
	c.observe(req.route, httpResp.StatusCode, time.Since(start))
	told := c.recordOutcome(ctx, httpResp.StatusCode)

	info := parseRateLimit(httpResp.StatusCode, httpResp.Header, time.Now())
	if c.limiter != nil {
		c.limiter.Observe(info)
	}
	if httpResp.StatusCode < 200 || httpResp.StatusCode > 299 {
		return nil, told, newAPIError(req.route, httpResp, respBody, info, c.apiKey)
	}
	if readErr != nil {
		if errors.Is(readErr, errResponseTooLarge) {
			return nil, told, fmt.Errorf("hookstream: %s: %w", req.route, readErr)
		}
		return nil, told, &TransportError{Route: req.route, Err: readErr}
	}
	return &response{body: respBody}, told, nil
}

func (c *Client) observe(route string, code int, d time.Duration) {
	if c.observer != nil {
		c.observer(route, code, d)
	}
}

var errResponseTooLarge = fmt.Errorf("response body larger than %d bytes", MaxResponseBytes)

// readCapped reads at most MaxResponseBytes; a longer body yields what was read and errResponseTooLarge.
func readCapped(r io.Reader) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, MaxResponseBytes+1))
	if err != nil {
		return body, err
	}
	if len(body) > MaxResponseBytes {
		return body[:MaxResponseBytes], errResponseTooLarge
	}
	return body, nil
}

// TransportError is a request that got no complete HTTP answer: refused or reset connections, timeouts, TLS
// failures, a body cut short. Err keeps the cause for errors.Is (context.DeadlineExceeded, syscall.ECONNREFUSED...).
type TransportError struct {
	Route string
	Err   error
}

func (e *TransportError) Error() string { return "hookstream: " + e.Route + ": " + e.Err.Error() }

func (e *TransportError) Unwrap() error { return e.Err }
