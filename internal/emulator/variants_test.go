// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator_test

import (
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hookstream/hookstream-operator/internal/emulator"
)

// The answers of a variant break the contract's schemas on purpose, so these tests read them with e.do and
// look at the raw members.

// member returns the members of the object in member name of an answer.
func members(t *testing.T, res response, name string) map[string]json.RawMessage {
	t.Helper()
	var envelope map[string]json.RawMessage
	if err := json.Unmarshal(res.body, &envelope); err != nil {
		t.Fatalf("answer %d %s: %v", res.status, res.body, err)
	}
	var row map[string]json.RawMessage
	if err := json.Unmarshal(envelope[name], &row); err != nil {
		t.Fatalf("answer %d %s: no %q object: %v", res.status, res.body, name, err)
	}
	return row
}

// mustDo sends one request and fails the test unless it answers want.
func (e *testEnv) mustDo(want int, method, path, body string) response {
	e.t.Helper()
	res := e.do(method, path, keyA, body)
	if res.status != want {
		e.t.Fatalf("%s %s %s: status %d, want %d: %s", method, path, body, res.status, want, res.body)
	}
	return res
}

func idOf(t *testing.T, res response, name string) string {
	t.Helper()
	var id string
	if err := json.Unmarshal(members(t, res, name)["id"], &id); err != nil {
		t.Fatalf("id of %s: %v", res.body, err)
	}
	return id
}

// world is a source, a destination and a connection between them, made through the API.
type world struct {
	source, destination, connection string
}

const (
	sourceBody = `{"name":"S","slug":"s","verification_type":"hmac_sha256","verification_secret":"whsec_0123456789abcdef",
		"ip_allowlist":["192.0.2.0/24"],"dedup_strategy":"payload_hash","json_schema":{"type":"object"}}`
	destinationBody = `{"name":"D","slug":"d","type":"aws_sqs","retry_enabled":true,"retry_intervals":[5,10],
		"provider_config":{"queue_url":"https://sqs.eu-west-1.amazonaws.com/1/q","region":"eu-west-1",
		"access_key_id":"AKIA1","secret_access_key":"secret-key-0123456789WXYZ"}}`
)

func (e *testEnv) world() world {
	e.t.Helper()
	var w world
	w.source = idOf(e.t.(*testing.T), e.mustDo(http.StatusCreated, http.MethodPost, "/v1/sources", sourceBody), "source")
	w.destination = idOf(e.t.(*testing.T), e.mustDo(http.StatusCreated, http.MethodPost, "/v1/destinations", destinationBody), "destination")
	w.connection = idOf(e.t.(*testing.T), e.mustDo(http.StatusCreated, http.MethodPost, "/v1/connections",
		`{"source_id":"`+w.source+`","destination_id":"`+w.destination+`","name":"route",
		"filter_rules":[{"field":"payload.type","op":"eq","value":"a"}],"transform_expression":"{\"x\": type}"}`), "connection")
	return w
}

func raw(t *testing.T, row map[string]json.RawMessage, field string) string {
	t.Helper()
	v, ok := row[field]
	if !ok {
		t.Fatalf("no %s member in %v", field, row)
	}
	return string(v)
}

func TestDefaultServesNoVariant(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	w := e.world()
	src := members(t, e.mustDo(http.StatusOK, http.MethodGet, "/v1/sources/"+w.source, ""), "source")
	if got := raw(t, src, "ip_allowlist"); got != `"[\"192.0.2.0/24\"]"` {
		t.Errorf("ip_allowlist %s, want an encoded string", got)
	}
	if got := raw(t, src, "verification_secret"); got != `"****cdef"` {
		t.Errorf("verification_secret %s", got)
	}
	if _, ok := src["url"]; ok {
		t.Error("a url member without ingest-url-field")
	}
}

func TestVariantNativeJSON(t *testing.T) {
	e := newEnv(t, emulator.Options{Variants: []string{emulator.VariantNativeJSON}})
	w := e.world()
	src := members(t, e.mustDo(http.StatusOK, http.MethodGet, "/v1/sources/"+w.source, ""), "source")
	dst := members(t, e.mustDo(http.StatusOK, http.MethodGet, "/v1/destinations/"+w.destination, ""), "destination")
	conn := members(t, e.mustDo(http.StatusOK, http.MethodGet, "/v1/connections/"+w.connection, ""), "connection")
	for _, c := range []struct{ got, want string }{
		{raw(t, src, "ip_allowlist"), `["192.0.2.0/24"]`},
		{raw(t, src, "json_schema"), `{"type":"object"}`},
		{raw(t, src, "ip_denylist"), `null`},
		{raw(t, dst, "retry_intervals"), `[5,10]`},
		{raw(t, dst, "provider_config"), `{"access_key_id":"AKIA1","queue_url":"https://sqs.eu-west-1.amazonaws.com/1/q","region":"eu-west-1","secret_access_key":"****WXYZ"}`},
		{raw(t, conn, "filter_rules"), `[{"field":"payload.type","op":"eq","value":"a"}]`},
		{raw(t, dst, "retry_enabled"), `1`},
	} {
		if c.got != c.want {
			t.Errorf("got %s, want %s", c.got, c.want)
		}
	}
}

func TestVariantBoolLiterals(t *testing.T) {
	e := newEnv(t, emulator.Options{Variants: []string{emulator.VariantBoolLiterals}})
	w := e.world()
	src := members(t, e.mustDo(http.StatusOK, http.MethodGet, "/v1/sources/"+w.source, ""), "source")
	dst := members(t, e.mustDo(http.StatusOK, http.MethodGet, "/v1/destinations/"+w.destination, ""), "destination")
	conn := members(t, e.mustDo(http.StatusOK, http.MethodGet, "/v1/connections/"+w.connection, ""), "connection")
	for _, c := range []struct{ field, got, want string }{
		{"verification_enabled", raw(t, src, "verification_enabled"), "true"},
		{"schema_validation_enabled", raw(t, src, "schema_validation_enabled"), "false"},
		{"is_ephemeral", raw(t, src, "is_ephemeral"), "false"},
		{"retry_enabled", raw(t, dst, "retry_enabled"), "true"},
		{"circuit_breaker_enabled", raw(t, dst, "circuit_breaker_enabled"), "null"},
		{"enabled", raw(t, conn, "enabled"), "true"},
		{"transform_enabled", raw(t, conn, "transform_enabled"), "true"},
		{"event_count", raw(t, conn, "event_count"), "0"},
		{"filter_rules", raw(t, conn, "filter_rules"), `"[{\"field\":\"payload.type\",\"op\":\"eq\",\"value\":\"a\"}]"`},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %s, want %s", c.field, c.got, c.want)
		}
	}
}

// rawPage is a list answer read member by member.
func rawPage(t *testing.T, res response) (rows int, cursor json.RawMessage, hasMore json.RawMessage, present []string) {
	t.Helper()
	var page map[string]json.RawMessage
	if err := json.Unmarshal(res.body, &page); err != nil {
		t.Fatal(err)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(page["sources"], &items); err != nil {
		t.Fatal(err)
	}
	for name := range page {
		present = append(present, name)
	}
	slices.Sort(present)
	return len(items), page["cursor"], page["has_more"], present
}

func createSources(e *testEnv, n int) {
	for i := range n {
		e.mustDo(http.StatusCreated, http.MethodPost, "/v1/sources", `{"name":"S","slug":"s-`+string(rune('a'+i))+`"}`)
	}
}

func TestVariantSinglePage(t *testing.T) {
	e := newEnv(t, emulator.Options{Variants: []string{emulator.VariantSinglePage}})
	createSources(e, 5)
	rows, _, _, present := rawPage(t, e.mustDo(http.StatusOK, http.MethodGet, "/v1/sources?limit=2", ""))
	if rows != 5 || !slices.Equal(present, []string{"sources"}) {
		t.Errorf("%d rows, members %v; want all 5 rows and no cursor or has_more", rows, present)
	}
}

func TestVariantStaleCursor(t *testing.T) {
	e := newEnv(t, emulator.Options{Variants: []string{emulator.VariantStaleCursor}})
	createSources(e, 3)
	rows, cursor, hasMore, _ := rawPage(t, e.mustDo(http.StatusOK, http.MethodGet, "/v1/sources?limit=2", ""))
	if rows != 2 || string(hasMore) != "true" || string(cursor) == "null" {
		t.Fatalf("first page: %d rows, cursor %s, has_more %s", rows, cursor, hasMore)
	}
	var next string
	_ = json.Unmarshal(cursor, &next)
	rows, cursor, hasMore, _ = rawPage(t, e.mustDo(http.StatusOK, http.MethodGet, "/v1/sources?limit=2&cursor="+next, ""))
	if rows != 1 || string(hasMore) != "false" || string(cursor) == "null" {
		t.Fatalf("last page: %d rows, cursor %s, has_more %s; want 1 row, a cursor and has_more false", rows, cursor, hasMore)
	}
	// The stale cursor is one the API accepts: following it lists nothing more.
	_ = json.Unmarshal(cursor, &next)
	if rows, _, _, _ = rawPage(t, e.mustDo(http.StatusOK, http.MethodGet, "/v1/sources?limit=2&cursor="+next, "")); rows != 0 {
		t.Errorf("the stale cursor listed %d rows", rows)
	}
}

func TestVariantPrefixedIDs(t *testing.T) {
	e := newEnv(t, emulator.Options{Variants: []string{emulator.VariantPrefixedIDs}})
	w := e.world()
	for id, pattern := range map[string]string{w.source: "^src_[0-9a-f]{32}$", w.destination: "^dst_[0-9a-f]{32}$",
		w.connection: "^conn_[0-9a-f]{32}$"} {
		if !regexp.MustCompile(pattern).MatchString(id) {
			t.Errorf("id %q does not match %s", id, pattern)
		}
	}
	e.mustDo(http.StatusOK, http.MethodGet, "/v1/connections/"+w.connection, "")
	e.mustDo(http.StatusOK, http.MethodPatch, "/v1/sources/"+w.source, `{"name":"renamed"}`)
	if res := e.ingest(w.source, ingestCall{body: `{}`}); res.status != http.StatusUnauthorized {
		t.Errorf("ingest to a prefixed id: status %d, want 401 (unsigned): %s", res.status, res.body)
	}
}

func TestVariantHyphenatedVerification(t *testing.T) {
	e := newEnv(t, emulator.Options{Variants: []string{emulator.VariantHyphenatedVerification}})
	w := e.world()
	src := members(t, e.mustDo(http.StatusOK, http.MethodGet, "/v1/sources/"+w.source, ""), "source")
	if got := raw(t, src, "verification_type"); got != `"hmac-sha256"` {
		t.Errorf("verification_type %s", got)
	}
	src = members(t, e.mustDo(http.StatusOK, http.MethodPatch, "/v1/sources/"+w.source,
		`{"verification_type":"standard_webhooks","verification_secret":"d2hzZWNfMDEyMzQ1Njc4OWFiY2RlZg=="}`), "source")
	if got := raw(t, src, "verification_type"); got != `"standard-webhooks"` {
		t.Errorf("verification_type %s", got)
	}
}

func TestVariantSecrets(t *testing.T) {
	tests := []struct {
		variant                   string
		verification, destination string
	}{
		{emulator.VariantSecretPlaintext, `"whsec_0123456789abcdef"`, `"secret-key-0123456789WXYZ"`},
		{emulator.VariantSecretNull, `null`, `"****WXYZ"`},
		{emulator.VariantSecretOtherMask, `"••••••••cdef"`, `"••••••••WXYZ"`},
	}
	for _, tc := range tests {
		t.Run(tc.variant, func(t *testing.T) {
			e := newEnv(t, emulator.Options{Variants: []string{tc.variant}})
			w := e.world()
			src := members(t, e.mustDo(http.StatusOK, http.MethodGet, "/v1/sources/"+w.source, ""), "source")
			if got := raw(t, src, "verification_secret"); got != tc.verification {
				t.Errorf("verification_secret %s, want %s", got, tc.verification)
			}
			dst := members(t, e.mustDo(http.StatusOK, http.MethodGet, "/v1/destinations/"+w.destination, ""), "destination")
			var config map[string]any
			var encoded string
			if err := json.Unmarshal(dst["provider_config"], &encoded); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(encoded), &config); err != nil {
				t.Fatal(err)
			}
			if got, _ := json.Marshal(config["secret_access_key"]); string(got) != tc.destination {
				t.Errorf("secret_access_key %s, want %s", got, tc.destination)
			}
			// Whatever the read-back, the stored secret is the one sent: a signature made with it passes.
			body := `{"type":"a"}`
			res := e.ingest(w.source, ingestCall{body: body, header: map[string]string{
				"X-Webhook-Signature": "sha256=" + hmacHex(sha256.New, "whsec_0123456789abcdef", body)}})
			if res.status != http.StatusOK {
				t.Errorf("signed ingest: %d %s", res.status, res.body)
			}
		})
	}
}

func TestVariantDeletesOfReferencedEnds(t *testing.T) {
	t.Run("default refuses", func(t *testing.T) {
		e := newEnv(t, emulator.Options{})
		w := e.world()
		e.mustDo(http.StatusConflict, http.MethodDelete, "/v1/sources/"+w.source, "")
		e.mustDo(http.StatusConflict, http.MethodDelete, "/v1/destinations/"+w.destination, "")
	})
	t.Run(emulator.VariantCascadeDelete, func(t *testing.T) {
		e := newEnv(t, emulator.Options{Variants: []string{emulator.VariantCascadeDelete}})
		w := e.world()
		e.mustDo(http.StatusOK, http.MethodDelete, "/v1/destinations/"+w.destination, "")
		e.mustDo(http.StatusNotFound, http.MethodGet, "/v1/connections/"+w.connection, "")
		e.mustDo(http.StatusOK, http.MethodGet, "/v1/sources/"+w.source, "")
		w = e.worldAgain("2")
		e.mustDo(http.StatusOK, http.MethodDelete, "/v1/sources/"+w.source, "")
		e.mustDo(http.StatusNotFound, http.MethodGet, "/v1/connections/"+w.connection, "")
	})
	t.Run(emulator.VariantDanglingConnections, func(t *testing.T) {
		e := newEnv(t, emulator.Options{Variants: []string{emulator.VariantDanglingConnections}})
		w := e.world()
		e.mustDo(http.StatusOK, http.MethodDelete, "/v1/sources/"+w.source, "")
		conn := members(t, e.mustDo(http.StatusOK, http.MethodGet, "/v1/connections/"+w.connection, ""), "connection")
		if raw(t, conn, "source_name") != "null" || raw(t, conn, "destination_name") != `"D"` {
			t.Errorf("source_name %s, destination_name %s", conn["source_name"], conn["destination_name"])
		}
		e.mustDo(http.StatusOK, http.MethodDelete, "/v1/destinations/"+w.destination, "")
		conn = members(t, e.mustDo(http.StatusOK, http.MethodGet, "/v1/connections/"+w.connection, ""), "connection")
		if raw(t, conn, "destination_name") != "null" {
			t.Errorf("destination_name %s", conn["destination_name"])
		}
		e.mustDo(http.StatusOK, http.MethodDelete, "/v1/connections/"+w.connection, "")
	})
}

// worldAgain makes another source, destination and connection, with slugs ending in suffix.
func (e *testEnv) worldAgain(suffix string) world {
	e.t.Helper()
	t := e.t.(*testing.T)
	var w world
	w.source = idOf(t, e.mustDo(http.StatusCreated, http.MethodPost, "/v1/sources", `{"name":"S","slug":"s`+suffix+`"}`), "source")
	w.destination = idOf(t, e.mustDo(http.StatusCreated, http.MethodPost, "/v1/destinations",
		`{"name":"D","slug":"d`+suffix+`","url":"https://example.com/"}`), "destination")
	w.connection = idOf(t, e.mustDo(http.StatusCreated, http.MethodPost, "/v1/connections",
		`{"source_id":"`+w.source+`","destination_id":"`+w.destination+`","name":"route"}`), "connection")
	return w
}

func TestVariantUniqueConnectionNames(t *testing.T) {
	e := newEnv(t, emulator.Options{Variants: []string{emulator.VariantUniqueConnectionNames}})
	w := e.world()
	again := `{"source_id":"` + w.source + `","destination_id":"` + w.destination + `","name":"route"}`
	if msg := errorOf(t, e.mustDo(http.StatusConflict, http.MethodPost, "/v1/connections", again)); msg != "Connection name already exists" {
		t.Errorf("message %q", msg)
	}
	other := idOf(t, e.mustDo(http.StatusCreated, http.MethodPost, "/v1/connections",
		`{"source_id":"`+w.source+`","destination_id":"`+w.destination+`","name":"other"}`), "connection")
	e.mustDo(http.StatusConflict, http.MethodPatch, "/v1/connections/"+other, `{"name":"route"}`)
	e.mustDo(http.StatusOK, http.MethodPatch, "/v1/connections/"+other, `{"name":"other","description":"same name is fine"}`)
	// Another project may use the name.
	e2 := newEnv(t, emulator.Options{})
	w2 := e2.world()
	e2.mustDo(http.StatusCreated, http.MethodPost, "/v1/connections",
		`{"source_id":"`+w2.source+`","destination_id":"`+w2.destination+`","name":"route"}`)
}

func TestVariantCoupledEnabledStatus(t *testing.T) {
	e := newEnv(t, emulator.Options{Variants: []string{emulator.VariantCoupledEnabledStatus}})
	w := e.world()
	path := "/v1/connections/" + w.connection
	steps := []struct{ patch, enabled, status string }{
		{`{"enabled":false}`, "0", `"disabled"`},
		{`{"enabled":true}`, "1", `"active"`},
		{`{"status":"paused"}`, "1", `"paused"`},
		{`{"status":"disabled"}`, "0", `"disabled"`},
		{`{"status":"active","enabled":false}`, "1", `"active"`},
		{`{"enabled":true}`, "1", `"active"`},
	}
	for _, s := range steps {
		conn := members(t, e.mustDo(http.StatusOK, http.MethodPatch, path, s.patch), "connection")
		if raw(t, conn, "enabled") != s.enabled || raw(t, conn, "status") != s.status {
			t.Errorf("after %s: enabled %s, status %s; want %s, %s", s.patch, conn["enabled"], conn["status"], s.enabled, s.status)
		}
	}
	created := members(t, e.mustDo(http.StatusCreated, http.MethodPost, "/v1/connections",
		`{"source_id":"`+w.source+`","destination_id":"`+w.destination+`","name":"off","enabled":false}`), "connection")
	if raw(t, created, "status") != `"disabled"` {
		t.Errorf("created disabled: status %s", created["status"])
	}
}

func TestVariantJSONata400(t *testing.T) {
	for _, variants := range [][]string{nil, {emulator.VariantJSONata400}} {
		e := newEnv(t, emulator.Options{Variants: variants})
		w := e.world()
		want := http.StatusOK
		if variants != nil {
			want = http.StatusBadRequest
		}
		res := e.mustDo(want, http.MethodPatch, "/v1/connections/"+w.connection, `{"transform_expression":"{ broken"}`)
		if want == http.StatusBadRequest && !strings.Contains(errorOf(t, res), "'transform_expression' is not a valid JSONata expression") {
			t.Errorf("message %s", res.body)
		}
		e.mustDo(http.StatusOK, http.MethodPatch, "/v1/connections/"+w.connection, `{"transform_expression":"{\"y\": 1}"}`)
		create := `{"source_id":"` + w.source + `","destination_id":"` + w.destination + `","name":"n","transform_expression":"$$$("}`
		if variants != nil {
			e.mustDo(http.StatusBadRequest, http.MethodPost, "/v1/connections", create)
		} else {
			e.mustDo(http.StatusCreated, http.MethodPost, "/v1/connections", create)
		}
	}
}

func TestVariantIngestURLField(t *testing.T) {
	e := newEnv(t, emulator.Options{Variants: []string{emulator.VariantIngestURLField}})
	id := idOf(t, e.mustDo(http.StatusCreated, http.MethodPost, "/v1/sources", `{"name":"S","slug":"s"}`), "source")
	src := members(t, e.mustDo(http.StatusOK, http.MethodGet, "/v1/sources/"+id, ""), "source")
	want := `"http://example.com/in/` + id + `"` // httptest.NewRequest's host
	if raw(t, src, "url") != want || raw(t, src, "ingest_url") != want {
		t.Errorf("url %s, ingest_url %s; want %s", src["url"], src["ingest_url"], want)
	}
	// The URL it names receives webhooks.
	req := httptest.NewRequest(http.MethodPost, "/in/"+id, strings.NewReader(`{"a":1}`))
	rec := httptest.NewRecorder()
	e.server.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Errorf("ingest at the named URL: %d %s", rec.Code, rec.Body)
	}
}

func TestVariantIngestDuplicate409(t *testing.T) {
	for _, variants := range [][]string{nil, {emulator.VariantIngestDuplicate409}} {
		e := newEnv(t, emulator.Options{Variants: variants})
		id := idOf(t, e.mustDo(http.StatusCreated, http.MethodPost, "/v1/sources",
			`{"name":"S","slug":"s","dedup_strategy":"payload_hash"}`), "source")
		e.ingestOK(id, ingestCall{body: `{"a":1}`})
		want := http.StatusOK
		if variants != nil {
			want = http.StatusConflict
		}
		// The 409 is not in the contract's document: this request is not checked against it.
		req := httptest.NewRequest(http.MethodPost, "/v1/ingest/"+id, strings.NewReader(`{"a":1}`))
		rec := httptest.NewRecorder()
		e.server.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("variants %v: duplicate answered %d, want %d: %s", variants, rec.Code, want, rec.Body)
		}
		src := members(t, e.mustDo(http.StatusOK, http.MethodGet, "/v1/sources/"+id, ""), "source")
		if raw(t, src, "event_count") != "1" {
			t.Errorf("event_count %s, want 1", src["event_count"])
		}
	}
}

func TestParseVariants(t *testing.T) {
	all, err := emulator.ParseVariants("all")
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Sorted(slices.Values(emulator.AllVariants()))
	if diff := cmp.Diff(want, all); diff != "" {
		t.Errorf("all (-want +got):\n%s", diff)
	}
	for _, excluded := range []string{emulator.VariantSinglePage, emulator.VariantSecretPlaintext,
		emulator.VariantSecretNull, emulator.VariantDanglingConnections} {
		if slices.Contains(all, excluded) {
			t.Errorf("all holds %s, which excludes another of all", excluded)
		}
	}
	if len(all) != len(emulator.VariantNames())-4 {
		t.Errorf("all holds %d of %d variants", len(all), len(emulator.VariantNames()))
	}
	if _, err := emulator.ParseVariants("native-json,nope"); err == nil || !strings.Contains(err.Error(), "known variants are") {
		t.Errorf("unknown name: %v", err)
	}
	if _, err := emulator.New(emulator.Options{APIKeys: []string{keyA}, Variants: []string{"nope"}}); err == nil {
		t.Error("New accepted an unknown variant")
	}
	// Every variant alone, and all of them, start and serve a world.
	for _, name := range append(emulator.VariantNames(), "all") {
		names, err := emulator.ParseVariants(name)
		if err != nil {
			t.Fatal(err)
		}
		e := newEnv(t, emulator.Options{Variants: names})
		w := e.world()
		e.mustDo(http.StatusOK, http.MethodDelete, "/v1/connections/"+w.connection, "")
		e.mustDo(http.StatusOK, http.MethodDelete, "/v1/sources/"+w.source, "")
		e.mustDo(http.StatusOK, http.MethodDelete, "/v1/destinations/"+w.destination, "")
	}
}
