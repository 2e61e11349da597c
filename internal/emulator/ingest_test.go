// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator_test

import (
	"crypto/hmac"
	"crypto/sha1" // the emulator verifies HMAC-SHA1 signatures, so the tests make them
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"maps"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hookstream/hookstream-operator/internal/emulator"
)

// ingestCall is one request to an ingest URL.
type ingestCall struct {
	method string // POST when ""
	query  string
	body   string
	header map[string]string
	remote string // the connection's remote address; 192.0.2.10:40000 when ""
}

const defaultRemote = "192.0.2.10:40000"

func (e *testEnv) ingest(id string, in ingestCall) response {
	e.t.Helper()
	method := in.method
	if method == "" {
		method = http.MethodPost
	}
	req := httptest.NewRequest(method, "/v1/ingest/"+id+in.query, strings.NewReader(in.body))
	req.RemoteAddr = defaultRemote
	if in.remote != "" {
		req.RemoteAddr = in.remote
	}
	for name, value := range in.header {
		req.Header.Set(name, value)
	}
	return e.exchange(req, in.body)
}

type ingestAnswer struct {
	EventID  string `json:"event_id"`
	SourceID string `json:"source_id"`
}

// ingestOK sends in and fails the test unless it answers 200 with the documented body.
func (e *testEnv) ingestOK(id string, in ingestCall) ingestAnswer {
	e.t.Helper()
	res := e.ingest(id, in)
	if res.status != http.StatusOK {
		e.t.Fatalf("ingest: status %d, body %s", res.status, res.body)
	}
	var answer ingestAnswer
	decodeStrict(e.t, res.body, &answer)
	if !hexID.MatchString(answer.EventID) || answer.SourceID != id {
		e.t.Errorf("answer %+v, want a 32-hex event id and source id %s", answer, id)
	}
	return answer
}

func (e *testEnv) events(id string) []emulator.Event {
	e.t.Helper()
	events, err := e.server.SourceEvents(e.t.Context(), id)
	if err != nil {
		e.t.Fatalf("events of %s: %v", id, err)
	}
	return events
}

// The fixtures sign the way each scheme's senders do; nothing below is a pasted signature.

func hmacBytes(newHash func() hash.Hash, key []byte, message string) []byte {
	mac := hmac.New(newHash, key)
	mac.Write([]byte(message))
	return mac.Sum(nil)
}

func hmacHex(newHash func() hash.Hash, secret, message string) string {
	return hex.EncodeToString(hmacBytes(newHash, []byte(secret), message))
}

func hmacBase64(newHash func() hash.Hash, secret, message string) string {
	return base64.StdEncoding.EncodeToString(hmacBytes(newHash, []byte(secret), message))
}

// stripeSignature is Stripe's Stripe-Signature value: the hex HMAC-SHA256 of "<t>.<body>".
func stripeSignature(secret string, at time.Time, body string) string {
	t := strconv.FormatInt(at.Unix(), 10)
	return "t=" + t + ",v1=" + hmacHex(sha256.New, secret, t+"."+body)
}

// standardHeaders are the Standard Webhooks headers of a message: the base64 HMAC-SHA256 of
// "<id>.<timestamp>.<body>" under the decoded secret.
func standardHeaders(secret, id string, at time.Time, body string) map[string]string {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		panic(err)
	}
	timestamp := strconv.FormatInt(at.Unix(), 10)
	signature := base64.StdEncoding.EncodeToString(hmacBytes(sha256.New, key, id+"."+timestamp+"."+body))
	return map[string]string{"webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": "v1," + signature}
}

// withHeaders returns headers with some added or replaced; "" removes one.
func withHeaders(headers map[string]string, changes map[string]string) map[string]string {
	out := maps.Clone(headers)
	for name, value := range changes {
		if value == "" {
			delete(out, name)
			continue
		}
		out[name] = value
	}
	return out
}

var (
	hmacSecret     = "gh-webhook-secret-1234"
	standardSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
)

func TestIngest(t *testing.T) {
	const body = `{"id":"evt_1","amount":42}`
	now := startTime
	sha256Hex := hmacHex(sha256.New, hmacSecret, body)
	github := map[string]any{"template": "github", "verification_secret": hmacSecret}
	sha1Source := map[string]any{"verification_type": "hmac_sha1", "verification_secret": hmacSecret, "verification_header": "X-Hub-Signature"}
	plainHMAC := map[string]any{"verification_type": "hmac_sha256", "verification_secret": hmacSecret}
	shopify := map[string]any{"template": "shopify", "verification_secret": hmacSecret}
	stripe := map[string]any{"template": "stripe", "verification_secret": hmacSecret}
	standard := map[string]any{"template": "svix", "verification_secret": standardSecret}
	signed := standardHeaders(standardSecret, "msg_1", now, body)
	svix := standardHeaders(standardSecret, "msg_svix", now, body)
	rejectSchema := map[string]any{"schema_validation_enabled": true, "json_schema": map[string]any{"required": []string{"missing"}}, "schema_action": "reject"}

	tests := map[string]struct {
		source     map[string]any
		status     string // PATCHed in after the create
		trusted    bool   // the emulator trusts X-Forwarded-For
		request    ingestCall
		wantStatus int
		wantError  string
		wantIP     string
	}{
		"no verification, POST":         {request: ingestCall{body: body}, wantStatus: 200, wantIP: "192.0.2.10"},
		"no verification, GET, no body": {request: ingestCall{method: http.MethodGet, query: "?a=1"}, wantStatus: 200},
		"PUT":                           {request: ingestCall{method: http.MethodPut, body: body}, wantStatus: 200},
		"PATCH":                         {request: ingestCall{method: http.MethodPatch, body: body}, wantStatus: 200},
		"DELETE":                        {request: ingestCall{method: http.MethodDelete}, wantStatus: 200},
		"not JSON":                      {request: ingestCall{body: "a=1&b=2", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, wantStatus: 200},

		"hmac with sha256= prefix":    {source: github, request: ingestCall{body: body, header: map[string]string{"X-Hub-Signature-256": "sha256=" + sha256Hex}}, wantStatus: 200},
		"hmac without prefix":         {source: github, request: ingestCall{body: body, header: map[string]string{"X-Hub-Signature-256": sha256Hex}}, wantStatus: 200},
		"hmac in upper case":          {source: github, request: ingestCall{body: body, header: map[string]string{"X-Hub-Signature-256": "sha256=" + strings.ToUpper(sha256Hex)}}, wantStatus: 200},
		"hmac of another body":        {source: github, request: ingestCall{body: body, header: map[string]string{"X-Hub-Signature-256": "sha256=" + hmacHex(sha256.New, hmacSecret, body+" ")}}, wantStatus: 401, wantError: "Invalid signature"},
		"hmac under another secret":   {source: github, request: ingestCall{body: body, header: map[string]string{"X-Hub-Signature-256": "sha256=" + hmacHex(sha256.New, "other-secret", body)}}, wantStatus: 401, wantError: "Invalid signature"},
		"hmac missing":                {source: github, request: ingestCall{body: body}, wantStatus: 401, wantError: "Missing signature"},
		"hmac not hex":                {source: github, request: ingestCall{body: body, header: map[string]string{"X-Hub-Signature-256": "sha256=zz"}}, wantStatus: 401, wantError: "Invalid signature"},
		"hmac prefix alone":           {source: github, request: ingestCall{body: body, header: map[string]string{"X-Hub-Signature-256": "sha256="}}, wantStatus: 401, wantError: "Invalid signature"},
		"hmac truncated":              {source: github, request: ingestCall{body: body, header: map[string]string{"X-Hub-Signature-256": "sha256=" + sha256Hex[:62]}}, wantStatus: 401, wantError: "Invalid signature"},
		"hmac sha1 with sha1= prefix": {source: sha1Source, request: ingestCall{body: body, header: map[string]string{"X-Hub-Signature": "sha1=" + hmacHex(sha1.New, hmacSecret, body)}}, wantStatus: 200},
		"hmac sha1 given sha256":      {source: sha1Source, request: ingestCall{body: body, header: map[string]string{"X-Hub-Signature": "sha256=" + sha256Hex}}, wantStatus: 401, wantError: "Invalid signature"},
		"default signature header":    {source: plainHMAC, request: ingestCall{body: body, header: map[string]string{"X-Webhook-Signature": sha256Hex}}, wantStatus: 200},
		"signature in another header": {source: plainHMAC, request: ingestCall{body: body, header: map[string]string{"X-Hub-Signature-256": sha256Hex}}, wantStatus: 401, wantError: "Missing signature"},
		"base64 (shopify)":            {source: shopify, request: ingestCall{body: body, header: map[string]string{"X-Shopify-Hmac-Sha256": hmacBase64(sha256.New, hmacSecret, body)}}, wantStatus: 200},
		"base64 given hex":            {source: shopify, request: ingestCall{body: body, header: map[string]string{"X-Shopify-Hmac-Sha256": sha256Hex}}, wantStatus: 401, wantError: "Invalid signature"},
		"stripe":                      {source: stripe, request: ingestCall{body: body, header: map[string]string{"Stripe-Signature": stripeSignature(hmacSecret, now, body)}}, wantStatus: 200},
		"stripe, second v1 matches":   {source: stripe, request: ingestCall{body: body, header: map[string]string{"Stripe-Signature": strings.Replace(stripeSignature(hmacSecret, now, body), ",v1=", ",v1=00ff,v1=", 1)}}, wantStatus: 200},
		"stripe, six minutes old":     {source: stripe, request: ingestCall{body: body, header: map[string]string{"Stripe-Signature": stripeSignature(hmacSecret, now.Add(-6*time.Minute), body)}}, wantStatus: 401, wantError: "Signature timestamp outside the tolerance"},
		"stripe, body signed alone":   {source: stripe, request: ingestCall{body: body, header: map[string]string{"Stripe-Signature": "t=" + strconv.FormatInt(now.Unix(), 10) + ",v1=" + sha256Hex}}, wantStatus: 401, wantError: "Invalid signature"},
		"verification off":            {source: withMap(github, map[string]any{"verification_enabled": false}), request: ingestCall{body: body}, wantStatus: 200},

		"standard webhooks":                {source: standard, request: ingestCall{body: body, header: signed}, wantStatus: 200},
		"standard webhooks, bare base64":   {source: map[string]any{"verification_type": "standard_webhooks", "verification_secret": strings.TrimPrefix(standardSecret, "whsec_")}, request: ingestCall{body: body, header: signed}, wantStatus: 200},
		"standard webhooks, 4 minutes old": {source: standard, request: ingestCall{body: body, header: standardHeaders(standardSecret, "msg_1", now.Add(-4*time.Minute), body)}, wantStatus: 200},
		"standard webhooks, 6 minutes old": {source: standard, request: ingestCall{body: body, header: standardHeaders(standardSecret, "msg_1", now.Add(-6*time.Minute), body)}, wantStatus: 401, wantError: "Signature timestamp outside the tolerance"},
		"standard webhooks, 6 min ahead":   {source: standard, request: ingestCall{body: body, header: standardHeaders(standardSecret, "msg_1", now.Add(6*time.Minute), body)}, wantStatus: 401, wantError: "Signature timestamp outside the tolerance"},
		"standard webhooks, other id":      {source: standard, request: ingestCall{body: body, header: withHeaders(signed, map[string]string{"webhook-id": "msg_2"})}, wantStatus: 401, wantError: "Invalid signature"},
		"standard webhooks, other body":    {source: standard, request: ingestCall{body: body + " ", header: signed}, wantStatus: 401, wantError: "Invalid signature"},
		"standard webhooks, no id":         {source: standard, request: ingestCall{body: body, header: withHeaders(signed, map[string]string{"webhook-id": ""})}, wantStatus: 401, wantError: "Missing signature"},
		"standard webhooks, bad timestamp": {source: standard, request: ingestCall{body: body, header: withHeaders(signed, map[string]string{"webhook-timestamp": "soon"})}, wantStatus: 401, wantError: "Invalid signature"},
		"standard webhooks, several":       {source: standard, request: ingestCall{body: body, header: withHeaders(signed, map[string]string{"webhook-signature": "v1,AAAA " + signed["webhook-signature"]})}, wantStatus: 200},
		"standard webhooks, v1a only":      {source: standard, request: ingestCall{body: body, header: withHeaders(signed, map[string]string{"webhook-signature": "v1a," + strings.TrimPrefix(signed["webhook-signature"], "v1,")})}, wantStatus: 401, wantError: "Invalid signature"},
		"standard webhooks, GET, no body":  {source: standard, request: ingestCall{method: http.MethodGet, header: standardHeaders(standardSecret, "msg_1", now, "")}, wantStatus: 200},
		"standard webhooks, svix headers": {source: standard, request: ingestCall{body: body, header: map[string]string{
			"svix-id": "msg_svix", "svix-timestamp": svix["webhook-timestamp"], "svix-signature": svix["webhook-signature"]}}, wantStatus: 200},

		"disabled":                  {status: "disabled", request: ingestCall{body: body}, wantStatus: 403, wantError: "Source is disabled"},
		"disabled before signature": {source: github, status: "disabled", request: ingestCall{body: body}, wantStatus: 403, wantError: "Source is disabled"},
		"paused":                    {status: "paused", request: ingestCall{body: body}, wantStatus: 200},
		"paused still verifies":     {source: github, status: "paused", request: ingestCall{body: body}, wantStatus: 401, wantError: "Missing signature"},

		"denylist":                   {source: map[string]any{"ip_denylist": []string{"192.0.2.0/24"}}, request: ingestCall{body: body}, wantStatus: 403, wantError: "IP address not allowed"},
		"deny before allow":          {source: map[string]any{"ip_allowlist": []string{"192.0.2.10"}, "ip_denylist": []string{"192.0.2.0/24"}}, request: ingestCall{body: body}, wantStatus: 403, wantError: "IP address not allowed"},
		"allowlist admits":           {source: map[string]any{"ip_allowlist": []string{"10.0.0.0/8", "192.0.2.0/24"}}, request: ingestCall{body: body}, wantStatus: 200},
		"allowlist refuses":          {source: map[string]any{"ip_allowlist": []string{"10.0.0.0/8"}}, request: ingestCall{body: body}, wantStatus: 403, wantError: "IP address not allowed"},
		"empty allowlist admits":     {source: map[string]any{"ip_allowlist": []string{}}, request: ingestCall{body: body}, wantStatus: 200},
		"CIDR with host bits":        {source: map[string]any{"ip_allowlist": []string{"192.0.2.200/24"}}, request: ingestCall{body: body}, wantStatus: 200},
		"IPv6 client, allowlist":     {source: map[string]any{"ip_allowlist": []string{"10.0.0.0/8"}}, request: ingestCall{body: body, remote: "[2001:db8::1]:40000"}, wantStatus: 403, wantError: "IP address not allowed"},
		"IPv6 client, denylist only": {source: map[string]any{"ip_denylist": []string{"192.0.2.0/24"}}, request: ingestCall{body: body, remote: "[2001:db8::1]:40000"}, wantStatus: 200, wantIP: "2001:db8::1"},
		"IPv4-mapped client":         {source: map[string]any{"ip_allowlist": []string{"10.0.0.0/8"}}, request: ingestCall{body: body, remote: "[::ffff:10.1.2.3]:40000"}, wantStatus: 200, wantIP: "10.1.2.3"},
		"IP before signature":        {source: withMap(github, map[string]any{"ip_denylist": []string{"192.0.2.10"}}), request: ingestCall{body: body}, wantStatus: 403, wantError: "IP address not allowed"},
		"trusted header, first entry": {source: map[string]any{"ip_allowlist": []string{"198.51.100.0/24"}}, trusted: true,
			request: ingestCall{body: body, header: map[string]string{"X-Forwarded-For": "198.51.100.7, 192.0.2.10"}}, wantStatus: 200, wantIP: "198.51.100.7"},
		"trusted header, denied": {source: map[string]any{"ip_denylist": []string{"198.51.100.7"}}, trusted: true,
			request: ingestCall{body: body, header: map[string]string{"X-Forwarded-For": "198.51.100.7"}}, wantStatus: 403, wantError: "IP address not allowed"},
		"untrusted header ignored": {source: map[string]any{"ip_allowlist": []string{"198.51.100.0/24"}},
			request: ingestCall{body: body, header: map[string]string{"X-Forwarded-For": "198.51.100.7"}}, wantStatus: 403, wantError: "IP address not allowed"},
		"trusted header not an address": {source: map[string]any{"ip_allowlist": []string{"192.0.2.0/24"}}, trusted: true,
			request: ingestCall{body: body, header: map[string]string{"X-Forwarded-For": "unknown"}}, wantStatus: 200, wantIP: "192.0.2.10"},
		"trusted header absent": {source: map[string]any{"ip_allowlist": []string{"192.0.2.0/24"}}, trusted: true, request: ingestCall{body: body}, wantStatus: 200, wantIP: "192.0.2.10"},

		"body over 1 MiB":         {request: ingestCall{body: strings.Repeat("a", 1<<20+1)}, wantStatus: 413, wantError: "Request body too large: at most 1048576 bytes"},
		"body of 1 MiB":           {request: ingestCall{body: strings.Repeat("a", 1<<20)}, wantStatus: 200},
		"signature before schema": {source: withMap(github, rejectSchema), request: ingestCall{body: body}, wantStatus: 401, wantError: "Missing signature"},
	}
	envs := map[bool]*testEnv{
		false: newEnv(t, emulator.Options{}),
		true:  newEnv(t, emulator.Options{TrustedClientIPHeader: "X-Forwarded-For"}),
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			env := envs[tc.trusted].with(t)
			fields := maps.Clone(tc.source)
			if fields == nil {
				fields = map[string]any{}
			}
			fields["slug"] = slugFor(name)
			src := sources.create(env, keyA, sourceWith(fields))
			if tc.status != "" {
				if res := env.call(http.MethodPatch, "/v1/sources/"+src.ID, keyA, `{"status":"`+tc.status+`"}`); res.status != http.StatusOK {
					t.Fatalf("PATCH status: %d %s", res.status, res.body)
				}
			}

			res := env.ingest(src.ID, tc.request)
			if res.status != tc.wantStatus {
				t.Fatalf("status %d, want %d; body %s", res.status, tc.wantStatus, res.body)
			}
			events := env.events(src.ID)
			after := sources.get(env, keyA, src.ID)
			if tc.wantStatus != http.StatusOK {
				if got := errorOf(t, res); got != tc.wantError {
					t.Errorf("error %q, want %q", got, tc.wantError)
				}
				if len(events) != 0 || after.EventCount != 0 || after.LastEventAt != nil {
					t.Errorf("a refused request was kept: %d events, event_count %d", len(events), after.EventCount)
				}
				return
			}
			var answer ingestAnswer
			decodeStrict(t, res.body, &answer)
			if len(events) != 1 {
				t.Fatalf("%d events stored, want 1", len(events))
			}
			ev := events[0]
			method := tc.request.method
			if method == "" {
				method = http.MethodPost
			}
			got := []any{ev.ID, ev.Method, ev.Paused, ev.Duplicate, len(ev.Body), after.EventCount, *after.LastEventAt}
			want := []any{answer.EventID, method, tc.status == "paused", false, len(tc.request.body), int64(1), "2026-02-28T10:00:00Z"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("event id, method, paused, duplicate, body size, event_count, last_event_at (-want +got):\n%s", diff)
			}
			if tc.wantIP != "" && ev.SourceIP != tc.wantIP {
				t.Errorf("source_ip %q, want %q", ev.SourceIP, tc.wantIP)
			}
		})
	}
}

func TestIngestIsPublic(t *testing.T) {
	// A burst of 2: two ingests spend the source org's ingest bucket, and key A's one create leaves it an API call.
	env := newEnv(t, emulator.Options{RateLimit: 1, RateLimitBurst: 2})
	src := sources.create(env, keyA, sourceWith(nil))
	tests := []struct {
		name       string
		method     string
		path       string
		key        string
		wantStatus int
		wantError  string
		wantAllow  string
	}{
		{name: "no key", method: http.MethodPost, path: "/v1/ingest/" + src.ID, wantStatus: 200},
		{name: "a key changes nothing", method: http.MethodPost, path: "/v1/ingest/" + src.ID, key: keyB, wantStatus: 200},
		{name: "the source org's ingest budget is spent", method: http.MethodPost, path: "/v1/ingest/" + src.ID, wantStatus: 429, wantError: "Rate limit exceeded"},
		{name: "its API budget is apart", method: http.MethodGet, path: "/v1/sources", key: keyA, wantStatus: 200},
		{name: "unknown source", method: http.MethodPost, path: "/v1/ingest/0123456789abcdef0123456789abcdef", wantStatus: 404, wantError: "Source not found"},
		{name: "by slug", method: http.MethodPost, path: "/v1/ingest/stripe", wantStatus: 404, wantError: "Source not found"},
		{name: "a destination's id", method: http.MethodPost, path: "/v1/ingest/" + env.create(keyB, withFields(nil)).ID, wantStatus: 404, wantError: "Source not found"},
		{name: "HEAD", method: http.MethodHead, path: "/v1/ingest/" + src.ID, wantStatus: 405, wantAllow: "DELETE, GET, PATCH, POST, PUT"},
		{name: "OPTIONS", method: http.MethodOptions, path: "/v1/ingest/" + src.ID, wantStatus: 405, wantError: "Method not allowed", wantAllow: "DELETE, GET, PATCH, POST, PUT"},
		{name: "no id", method: http.MethodPost, path: "/v1/ingest/", wantStatus: 404, wantError: "Not found"},
		{name: "too deep", method: http.MethodPost, path: "/v1/ingest/" + src.ID + "/x", wantStatus: 404, wantError: "Not found"},
		{name: "no slash", method: http.MethodPost, path: "/v1/ingest", wantStatus: 404, wantError: "Not found"},
	}
	for _, tc := range tests {
		req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(`{}`))
		if tc.key != "" {
			req.Header.Set("X-API-Key", tc.key)
		}
		res := env.exchange(req, `{}`)
		checkAnswer(t, tc.name, res, tc.wantStatus, tc.wantError)
		if got := res.header.Get("Allow"); got != tc.wantAllow {
			t.Errorf("%s: Allow %q, want %q", tc.name, got, tc.wantAllow)
		}
		for _, h := range []string{"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "X-Request-Id"} {
			if res.header.Get(h) == "" {
				t.Errorf("%s: no %s", tc.name, h)
			}
		}
		if tc.wantStatus == http.StatusTooManyRequests && res.header.Get("Retry-After") != "1" {
			t.Errorf("%s: Retry-After %q, want 1", tc.name, res.header.Get("Retry-After"))
		}
	}
	if got := len(env.events(src.ID)); got != 2 {
		t.Errorf("%d events stored, want 2", got)
	}
	stats := env.server.Stats()
	if got := []int64{stats.CountStatus(emulator.RouteIngest, 200), stats.CountStatus(emulator.RouteIngest, 429), stats.Writes()}; !cmp.Equal(got, []int64{2, 1, 2}) {
		t.Errorf("ingest 200s, ingest 429s, writes = %v, want [2 1 2]: ingests are not writes", got)
	}
}

func TestIngestDedup(t *testing.T) {
	type step struct {
		advance       time.Duration
		call          ingestCall
		wantDuplicate int // 1-based index of the original in the steps, 0 for an original
	}
	tests := map[string]struct {
		source map[string]any
		steps  []step
	}{
		"payload_hash": {
			source: map[string]any{"dedup_strategy": "payload_hash"},
			steps: []step{
				{call: ingestCall{body: `{"a":1}`}},
				{call: ingestCall{body: `{"a":1}`}, wantDuplicate: 1},
				{call: ingestCall{body: `{"a": 1}`}},
				{advance: 299 * time.Second, call: ingestCall{body: `{"a":1}`}, wantDuplicate: 1},
				{advance: time.Second, call: ingestCall{body: `{"a":1}`}},
				{call: ingestCall{method: http.MethodPut, body: `{"a":1}`}, wantDuplicate: 5},
			},
		},
		"payload_hash, window of 1 s": {
			source: map[string]any{"dedup_strategy": "payload_hash", "dedup_window_seconds": 1},
			steps: []step{
				{call: ingestCall{body: "x"}},
				{advance: 999 * time.Millisecond, call: ingestCall{body: "x"}, wantDuplicate: 1},
				{advance: time.Millisecond, call: ingestCall{body: "x"}},
			},
		},
		"header_field": {
			source: map[string]any{"dedup_strategy": "header_field", "dedup_field": "idempotency-key"},
			steps: []step{
				{call: ingestCall{body: "a", header: map[string]string{"Idempotency-Key": "k1"}}},
				{call: ingestCall{body: "b", header: map[string]string{"Idempotency-Key": "k1"}}, wantDuplicate: 1},
				{call: ingestCall{body: "a", header: map[string]string{"Idempotency-Key": "k2"}}},
				{call: ingestCall{body: "a"}},
				{call: ingestCall{body: "a"}},
			},
		},
		"body_field": {
			source: map[string]any{"dedup_strategy": "body_field", "dedup_field": "$.data.id"},
			steps: []step{
				{call: ingestCall{body: `{"data":{"id":1}}`}},
				{call: ingestCall{body: `{"data":{"id":1},"retry":true}`}, wantDuplicate: 1},
				{call: ingestCall{body: `{"data":{"id":"1"}}`}},
				{call: ingestCall{body: `{"data":{"id":1.0}}`}},
				{call: ingestCall{body: `{"data":{}}`}},
				{call: ingestCall{body: `{"data":{"id":null}}`}},
				{call: ingestCall{body: `{"data":{"id":null}}`}},
				{call: ingestCall{body: `not json`}},
				{call: ingestCall{body: `not json`}},
			},
		},
		"body_field through an array": {
			source: map[string]any{"dedup_strategy": "body_field", "dedup_field": "items.0.sku"},
			steps: []step{
				{call: ingestCall{body: `{"items":[{"sku":"a"},{"sku":"b"}]}`}},
				{call: ingestCall{body: `{"items":[{"sku":"a"}]}`}, wantDuplicate: 1},
				{call: ingestCall{body: `{"items":[]}`}},
			},
		},
		"dedup off": {
			source: map[string]any{"dedup_strategy": "payload_hash", "dedup_enabled": false},
			steps: []step{
				{call: ingestCall{body: "x"}},
				{call: ingestCall{body: "x"}},
			},
		},
		"a paused source dedups too": {
			source: map[string]any{"dedup_strategy": "payload_hash"},
			steps: []step{
				{call: ingestCall{body: "x"}},
				{call: ingestCall{body: "x"}, wantDuplicate: 1},
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			env := newEnv(t, emulator.Options{})
			fields := maps.Clone(tc.source)
			src := sources.create(env, keyA, sourceWith(fields))
			if strings.HasPrefix(name, "a paused") {
				env.call(http.MethodPatch, "/v1/sources/"+src.ID, keyA, `{"status":"paused"}`)
			}
			var ids []string
			var originals int64
			lastOriginal := ""
			for _, s := range tc.steps {
				env.clock.Advance(s.advance)
				answer := env.ingestOK(src.ID, s.call)
				ids = append(ids, answer.EventID)
				if s.wantDuplicate == 0 {
					originals++
					lastOriginal = formatSecond(env.clock.Now())
				}
			}
			events := env.events(src.ID)
			if len(events) != len(tc.steps) {
				t.Fatalf("%d events stored, want %d", len(events), len(tc.steps))
			}
			for i, s := range tc.steps {
				ev := events[i]
				var wantOf *string
				if s.wantDuplicate > 0 {
					wantOf = &ids[s.wantDuplicate-1]
				}
				if diff := cmp.Diff([]any{ids[i], s.wantDuplicate > 0, wantOf}, []any{ev.ID, ev.Duplicate, ev.DuplicateOf}); diff != "" {
					t.Errorf("step %d: id, duplicate, duplicate_of (-want +got):\n%s", i+1, diff)
				}
			}
			after := sources.get(env, keyA, src.ID)
			if after.EventCount != originals || *after.LastEventAt != lastOriginal {
				t.Errorf("event_count %d, last_event_at %s; want %d, %s", after.EventCount, *after.LastEventAt, originals, lastOriginal)
			}
		})
	}
}

func formatSecond(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func TestIngestSchemaValidation(t *testing.T) {
	schema := map[string]any{
		"$schema":    "http://json-schema.org/draft-07/schema#",
		"type":       "object",
		"required":   []string{"id", "amount"},
		"properties": map[string]any{"id": map[string]any{"type": "string"}, "amount": map[string]any{"type": "number", "minimum": 0}},
	}
	const valid = `{"id":"o_1","amount":5}`
	const invalid = `{"id":7,"amount":-1}`
	tests := map[string]struct {
		source       map[string]any
		body         string
		wantStatus   int
		wantErrors   []string
		wantWarnings []string
	}{
		"reject, valid":            {map[string]any{"schema_action": "reject"}, valid, 200, nil, nil},
		"reject, invalid":          {map[string]any{"schema_action": "reject"}, invalid, 422, []string{"at '/amount': minimum: got -1, want 0", "at '/id': got number, want string"}, nil},
		"reject, missing property": {map[string]any{"schema_action": "reject"}, `{"id":"o_1"}`, 422, []string{"at '': missing property 'amount'"}, nil},
		"reject, not JSON":         {map[string]any{"schema_action": "reject"}, `id=o_1`, 422, []string{"the body is not JSON"}, nil},
		"reject, empty body":       {map[string]any{"schema_action": "reject"}, ``, 422, []string{"the body is not JSON"}, nil},
		"warn, invalid":            {map[string]any{"schema_action": "warn"}, invalid, 200, nil, []string{"at '/amount': minimum: got -1, want 0", "at '/id': got number, want string"}},
		"warn, valid":              {map[string]any{"schema_action": "warn"}, valid, 200, nil, nil},
		"null action warns":        {map[string]any{"schema_action": nil}, `[]`, 200, nil, []string{"at '': got array, want object"}},
		"validation off":           {map[string]any{"schema_action": "reject", "schema_validation_enabled": false}, invalid, 200, nil, nil},
		"draft 4 exclusiveMinimum": {map[string]any{"schema_action": "reject", "json_schema": map[string]any{"$schema": "http://json-schema.org/draft-04/schema#", "properties": map[string]any{"n": map[string]any{"minimum": 0, "exclusiveMinimum": true}}}}, `{"n":0}`, 422, []string{"at '/n': exclusiveMinimum: got 0, want 0"}, nil},
	}
	env := newEnv(t, emulator.Options{})
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			fields := map[string]any{"slug": slugFor(name), "schema_validation_enabled": true, "json_schema": schema}
			maps.Copy(fields, tc.source)
			src := sources.create(env, keyA, sourceWith(fields))
			res := env.ingest(src.ID, ingestCall{body: tc.body})
			if res.status != tc.wantStatus {
				t.Fatalf("status %d, want %d; body %s", res.status, tc.wantStatus, res.body)
			}
			events := env.events(src.ID)
			if tc.wantStatus == http.StatusUnprocessableEntity {
				var rejection struct {
					errorEnvelope
					ValidationErrors []string `json:"validation_errors"`
				}
				decodeStrict(t, res.body, &rejection)
				if rejection.Error != "Payload does not match the source's JSON schema" || rejection.Status != 422 {
					t.Errorf("envelope %+v", rejection.errorEnvelope)
				}
				if diff := cmp.Diff(tc.wantErrors, rejection.ValidationErrors); diff != "" {
					t.Errorf("validation_errors (-want +got):\n%s", diff)
				}
				if len(events) != 0 || sources.get(env, keyA, src.ID).EventCount != 0 {
					t.Errorf("a rejected payload was kept")
				}
				return
			}
			if len(events) != 1 {
				t.Fatalf("%d events, want 1", len(events))
			}
			if diff := cmp.Diff(tc.wantWarnings, events[0].SchemaWarnings); diff != "" {
				t.Errorf("schema_warnings (-want +got):\n%s", diff)
			}
			if got := sources.get(env, keyA, src.ID).EventCount; got != 1 {
				t.Errorf("event_count %d, want 1: a warned event counts", got)
			}
		})
	}
}

func TestIngestCounters(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	src := sources.create(env, keyA, sourceWith(map[string]any{"template": "github", "verification_secret": hmacSecret, "dedup_strategy": "payload_hash"}))
	send := func(body string, valid bool) int {
		signature := "sha256=" + hmacHex(sha256.New, hmacSecret, body)
		if !valid {
			signature = "sha256=00"
		}
		return env.ingest(src.ID, ingestCall{body: body, header: map[string]string{"X-Hub-Signature-256": signature}}).status
	}
	steps := []struct {
		advance       time.Duration
		body          string
		valid         bool
		wantStatus    int
		wantCount     int64
		wantLastEvent string
	}{
		{advance: time.Minute, body: "one", valid: true, wantStatus: 200, wantCount: 1, wantLastEvent: "2026-02-28T10:01:00Z"},
		{advance: time.Minute, body: "two", valid: true, wantStatus: 200, wantCount: 2, wantLastEvent: "2026-02-28T10:02:00Z"},
		{advance: time.Minute, body: "two", valid: true, wantStatus: 200, wantCount: 2, wantLastEvent: "2026-02-28T10:02:00Z"},
		{advance: time.Minute, body: "three", valid: false, wantStatus: 401, wantCount: 2, wantLastEvent: "2026-02-28T10:02:00Z"},
		{advance: 1500 * time.Millisecond, body: "three", valid: true, wantStatus: 200, wantCount: 3, wantLastEvent: "2026-02-28T10:04:01Z"},
	}
	for i, step := range steps {
		env.clock.Advance(step.advance)
		if got := send(step.body, step.valid); got != step.wantStatus {
			t.Fatalf("step %d: status %d, want %d", i, got, step.wantStatus)
		}
		got := sources.get(env, keyA, src.ID)
		if got.EventCount != step.wantCount || got.LastEventAt == nil || *got.LastEventAt != step.wantLastEvent {
			t.Errorf("step %d: event_count %d, last_event_at %v; want %d, %s", i, got.EventCount, got.LastEventAt, step.wantCount, step.wantLastEvent)
		}
		if got.UpdatedAt != src.UpdatedAt {
			t.Errorf("step %d: updated_at moved to %s", i, got.UpdatedAt)
		}
	}
}

func TestAdminSourceEvents(t *testing.T) {
	env := newEnv(t, emulator.Options{Admin: true})
	src := sources.create(env, keyB, sourceWith(map[string]any{"verification_type": "hmac_sha256", "verification_secret": hmacSecret, "verification_enabled": false}))
	env.ingestOK(src.ID, ingestCall{body: `{"n":1}`, query: "?topic=orders", header: map[string]string{"Content-Type": "application/json", "Authorization": "Bearer visible"}})
	env.clock.Advance(time.Second)
	env.ingestOK(src.ID, ingestCall{method: http.MethodGet})
	env.call(http.MethodPatch, "/v1/sources/"+src.ID, keyB, `{"status":"paused"}`)
	env.ingestOK(src.ID, ingestCall{method: http.MethodPut, body: "\xff\xfe", remote: "[2001:db8::7]:1"})

	res := env.do(http.MethodGet, "/_emulator/sources/"+src.ID+"/events", "", "")
	if res.status != http.StatusOK {
		t.Fatalf("status %d, body %s", res.status, res.body)
	}
	var got struct {
		Events []emulator.Event `json:"events"`
	}
	decodeStrict(t, res.body, &got)
	if len(got.Events) != 3 {
		t.Fatalf("%d events, want 3", len(got.Events))
	}
	type view struct {
		Method, Query, Body, Encoding, IP, ReceivedAt string
		ContentType                                   *string
		Paused                                        bool
	}
	var views []view
	for _, ev := range got.Events {
		views = append(views, view{ev.Method, ev.Query, ev.Body, ev.BodyEncoding, ev.SourceIP, ev.ReceivedAt, ev.ContentType, ev.Paused})
		if ev.SourceID != src.ID {
			t.Errorf("source_id %s", ev.SourceID)
		}
	}
	want := []view{
		{"POST", "topic=orders", `{"n":1}`, "text", "192.0.2.10", "2026-02-28T10:00:00Z", new("application/json"), false},
		{"GET", "", "", "text", "192.0.2.10", "2026-02-28T10:00:01Z", nil, false},
		{"PUT", "", base64.StdEncoding.EncodeToString([]byte("\xff\xfe")), "base64", "2001:db8::7", "2026-02-28T10:00:01Z", nil, true},
	}
	if diff := cmp.Diff(want, views); diff != "" {
		t.Errorf("events, oldest first (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Bearer visible"}, got.Events[0].Headers["Authorization"]); diff != "" {
		t.Errorf("headers are kept whole (-want +got):\n%s", diff)
	}
	if !strings.Contains(string(res.body), `"schema_warnings":null`) || !strings.Contains(string(res.body), `"duplicate_of":null`) {
		t.Errorf("null fields missing: %s", res.body)
	}

	unmasked := env.do(http.MethodGet, "/_emulator/sources/"+src.ID, "", "")
	if unmasked.status != http.StatusOK || !strings.Contains(string(unmasked.body), hmacSecret) {
		t.Errorf("GET /_emulator/sources/{id}: %d %s, want the row with its secret", unmasked.status, unmasked.body)
	}

	tests := map[string]struct {
		method, path string
		wantStatus   int
		wantError    string
	}{
		"unknown source":    {http.MethodGet, "/_emulator/sources/0123456789abcdef0123456789abcdef/events", 404, "Source not found"},
		"unknown source id": {http.MethodGet, "/_emulator/sources/0123456789abcdef0123456789abcdef", 404, "Source not found"},
		"POST events":       {http.MethodPost, "/_emulator/sources/" + src.ID + "/events", 405, "Method not allowed"},
		"DELETE source":     {http.MethodDelete, "/_emulator/sources/" + src.ID, 405, "Method not allowed"},
		"no id":             {http.MethodGet, "/_emulator/sources//events", 404, "Not found"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			res := env.do(tc.method, tc.path, "", "")
			if res.status != tc.wantStatus {
				t.Fatalf("status %d, want %d", res.status, tc.wantStatus)
			}
			if got := errorOf(t, res); got != tc.wantError {
				t.Errorf("error %q, want %q", got, tc.wantError)
			}
		})
	}

	// Deleting a source deletes its events.
	env.call(http.MethodDelete, "/v1/sources/"+src.ID, keyB, "")
	if res := env.do(http.MethodGet, "/_emulator/sources/"+src.ID+"/events", "", ""); res.status != http.StatusNotFound {
		t.Errorf("events of a deleted source: status %d", res.status)
	}
}

func TestIngestFaults(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	src := sources.create(env, keyA, sourceWith(nil))
	env.server.SetFaults(emulator.Faults{ErrorRate: 1, ErrorStatus: 503, Routes: []string{emulator.RouteIngest}})
	if res := env.do(http.MethodPost, "/v1/ingest/"+src.ID, "", "{}"); res.status != http.StatusServiceUnavailable {
		t.Fatalf("faulted ingest: status %d", res.status)
	}
	if res := env.call(http.MethodGet, "/v1/sources/"+src.ID, keyA, ""); res.status != http.StatusOK {
		t.Errorf("a fault on ingest hit GET /sources/{id}: %d", res.status)
	}
	env.server.SetFaults(emulator.Faults{ErrorRate: 1, ErrorStatus: 500, Routes: []string{emulator.RouteCreateSource, emulator.RouteListSources}})
	if res := env.do(http.MethodPost, "/v1/sources", keyA, sourceWith(map[string]any{"slug": "faulted"})); res.status != http.StatusInternalServerError {
		t.Errorf("faulted create: status %d", res.status)
	}
	env.server.ClearFaults()
	if got := len(env.events(src.ID)); got != 0 {
		t.Errorf("a faulted ingest stored %d events", got)
	}
	if got := len(sources.list(env, keyA, "").Rows); got != 1 {
		t.Errorf("%d sources after a faulted create, want 1", got)
	}
	stats := env.server.Stats()
	if stats.CountStatus(emulator.RouteIngest, 503) != 1 || stats.CountStatus(emulator.RouteCreateSource, 500) != 1 {
		t.Errorf("stats %v", stats.Routes)
	}
}

// Concurrent copies of one payload make one original: the duplicate check and the insert are one step.
func TestConcurrentDuplicates(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	src := sources.create(env, keyA, sourceWith(map[string]any{"dedup_strategy": "payload_hash"}))
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			req := httptest.NewRequest(http.MethodPost, "/v1/ingest/"+src.ID, strings.NewReader(`{"same":true}`))
			rec := httptest.NewRecorder()
			env.server.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				t.Errorf("status %d", rec.Code)
			}
		})
	}
	wg.Wait()
	duplicates := 0
	for _, ev := range env.events(src.ID) {
		if ev.Duplicate {
			duplicates++
		}
	}
	if got := sources.get(env, keyA, src.ID).EventCount; got != 1 || duplicates != 39 {
		t.Errorf("event_count %d and %d duplicates, want 1 and 39", got, duplicates)
	}
}
