// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hookstream

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Redacted replaces every secret a trace would otherwise show.
const Redacted = "(secret)"

// TraceTransport decorates an HTTP transport: it appends one JSON line per exchange to W (method, path, query,
// status, duration, the request's and the answer's headers and bodies), for bug reports. Every secret is replaced
// by Redacted before anything is written: the API key and authorisation headers, and in the bodies every member
// whose name says it is secret (verification_secret, token, password, secret_access_key, service_account_json,
// api_secret, api_key, any name holding "secret" or "password") and every value of an auth_config or of a
// destination's headers (which may come from Secrets), also inside the JSON-encoded strings the rows carry. A body that is not JSON is not written, only its size.
type TraceTransport struct {
	// Next sends the requests; nil means http.DefaultTransport.
	Next http.RoundTripper
	// W receives the lines; writes are serialised.
	W  io.Writer
	mu sync.Mutex
}

// traceLine is one exchange.
type traceLine struct {
	Time           string          `json:"time"`
	Method         string          `json:"method"`
	Path           string          `json:"path"`
	Query          string          `json:"query,omitempty"`
	Status         int             `json:"status"`
	DurationMS     float64         `json:"duration_ms"`
	Error          string          `json:"error,omitempty"`
	RequestHeader  http.Header     `json:"request_headers,omitempty"`
	RequestBody    json.RawMessage `json:"request_body,omitempty"`
	ResponseHeader http.Header     `json:"response_headers,omitempty"`
	ResponseBody   json.RawMessage `json:"response_body,omitempty"`
}

// RoundTrip sends req through Next and writes its line.
func (t *TraceTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	next := t.Next
	if next == nil {
		next = http.DefaultTransport
	}
	line := traceLine{Time: time.Now().UTC().Format(time.RFC3339Nano), Method: req.Method, Path: req.URL.Path,
		Query: req.URL.RawQuery, RequestHeader: redactHeader(req.Header)}
	if req.Body != nil && req.Body != http.NoBody {
		body, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(body))
		line.RequestBody = redactBody(body)
	}
	start := time.Now()
	resp, err := next.RoundTrip(req)
	if err != nil {
		line.DurationMS = msSince(start)
		line.Error = err.Error()
		t.write(&line)
		return nil, err
	}
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	line.DurationMS = msSince(start)
	line.Status = resp.StatusCode
	line.ResponseHeader = redactHeader(resp.Header)
	line.ResponseBody = redactBody(body)
	if readErr != nil {
		line.Error = readErr.Error()
	}
	t.write(&line)
	return resp, readErr
}

func msSince(start time.Time) float64 {
	return float64(time.Since(start).Microseconds()) / 1000
}

func (t *TraceTransport) write(line *traceLine) {
	data, err := json.Marshal(line)
	if err != nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	_, _ = t.W.Write(append(data, '\n'))
}

// secretHeaders are the headers that carry credentials.
var secretHeaders = map[string]bool{"X-Api-Key": true, "Authorization": true, "Cookie": true, "Set-Cookie": true,
	"Proxy-Authorization": true}

func redactHeader(h http.Header) http.Header {
	if len(h) == 0 {
		return nil
	}
	out := make(http.Header, len(h))
	for name, values := range h {
		if secretHeaders[http.CanonicalHeaderKey(name)] {
			out[name] = []string{Redacted}
			continue
		}
		out[name] = values
	}
	return out
}

// redactBody returns a JSON body with its secrets replaced, or a JSON string saying how long a body that is not
// JSON was.
func redactBody(body []byte) json.RawMessage {
	if len(body) == 0 {
		return nil
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		note, _ := json.Marshal("(not JSON, " + strconv.Itoa(len(body)) + " bytes)")
		return note
	}
	out, err := json.Marshal(redactValue(v, false))
	if err != nil {
		return nil
	}
	return out
}

// redactValue replaces the secrets in a decoded JSON value. Every string inside an auth_config or a destination's
// headers (whose values may come from Secrets) is secret. A string holding a JSON object or array (the row
// encoding) is redacted inside and encoded again.
func redactValue(v any, allSecret bool) any {
	switch x := v.(type) {
	case map[string]any:
		for key, value := range x {
			_, isString := value.(string)
			switch {
			case value != nil && (isSecretKey(key) || (allSecret && isString)):
				x[key] = Redacted
			default:
				x[key] = redactValue(value, allSecret || key == "auth_config" || key == "headers")
			}
		}
		return x
	case []any:
		for i := range x {
			x[i] = redactValue(x[i], allSecret)
		}
		return x
	case string:
		trimmed := strings.TrimSpace(x)
		if len(trimmed) > 1 && (trimmed[0] == '{' || trimmed[0] == '[') {
			var inner any
			dec := json.NewDecoder(strings.NewReader(trimmed))
			dec.UseNumber()
			if dec.Decode(&inner) == nil {
				if out, err := json.Marshal(redactValue(inner, allSecret)); err == nil {
					return string(out)
				}
			}
		}
		return x
	}
	return v
}

func isSecretKey(key string) bool {
	k := strings.ToLower(key)
	switch k {
	case "token", "password", "secret", "api_key", "apikey", "x-api-key", "authorization":
		return true
	}
	return strings.Contains(k, "secret") || strings.Contains(k, "password") || strings.Contains(k, "service_account_json")
}
