// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hookstream/hookstream-operator/internal/emulator"
)

// kind is one REST resource of the emulator as tests drive it, whatever the Go type of its rows.
type kind struct {
	singular string // the field of a one-row envelope: "destination"
	plural   string // the path segment and the field of a page: "destinations"
	schema   string // the contract's component schema of a row
	// slugged resources refuse a second row with the same slug.
	slugged bool
	// prefix is the id prefix the real service shows, which the emulator's ids do not carry.
	prefix string
	// send sends one request: destinations through do, the later resources through call, which also checks
	// the exchange against the OpenAPI document.
	send func(e *testEnv, method, path, key, body string) response
	// body returns a valid create body for key under slug, creating first whatever the row links to.
	body func(e *testEnv, key, slug string) string
}

func (k kind) path(id string) string {
	if id == "" {
		return "/v1/" + k.plural
	}
	return "/v1/" + k.plural + "/" + id
}

// post creates a row with key and fails the test unless it answers 201.
func (k kind) post(e *testEnv, key, body string) response {
	e.t.Helper()
	res := k.send(e, http.MethodPost, k.path(""), key, body)
	if res.status != http.StatusCreated {
		e.t.Fatalf("create %s %s: status %d, body %s", k.singular, body, res.status, res.body)
	}
	return res
}

// createID creates a row from body with key and returns its id.
func (k kind) createID(e *testEnv, key, body string) string {
	e.t.Helper()
	var row struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(k.envelope(e.t, k.post(e, key, body)), &row); err != nil || row.ID == "" {
		e.t.Fatalf("create %s: no id in %s (%v)", k.singular, body, err)
	}
	return row.ID
}

// envelope checks that the body is an envelope of one row and returns the row.
func (k kind) envelope(t testing.TB, res response) json.RawMessage {
	t.Helper()
	var fields map[string]json.RawMessage
	decodeStrict(t, res.body, &fields)
	row, ok := fields[k.singular]
	if !ok || len(fields) != 1 {
		t.Fatalf("want an envelope of one %s: %s", k.singular, res.body)
	}
	return row
}

// resource is a kind whose rows decode into T.
type resource[T any] struct {
	kind
	id      func(row T) string
	touched func(row *T, updatedAt string)
}

// page is one page of a list.
type page[T any] struct {
	Rows    []T
	Cursor  *string
	HasMore bool
}

func (r resource[T]) decode(t testing.TB, res response) T {
	t.Helper()
	var row T
	decodeStrict(t, r.envelope(t, res), &row)
	return row
}

// create creates a row with key and fails the test unless it answers 201.
func (r resource[T]) create(e *testEnv, key, body string) T {
	e.t.Helper()
	return r.decode(e.t, r.post(e, key, body))
}

// get reads a row with key and fails the test unless it answers 200.
func (r resource[T]) get(e *testEnv, key, id string) T {
	e.t.Helper()
	res := r.send(e, http.MethodGet, r.path(id), key, "")
	if res.status != http.StatusOK {
		e.t.Fatalf("get %s %s: status %d, body %s", r.singular, id, res.status, res.body)
	}
	return r.decode(e.t, res)
}

// decodePage decodes a list answer, failing on any field a page does not have.
func (r resource[T]) decodePage(t testing.TB, res response) page[T] {
	t.Helper()
	var fields map[string]json.RawMessage
	decodeStrict(t, res.body, &fields)
	for name := range fields {
		if name != r.plural && name != "cursor" && name != "has_more" {
			t.Errorf("the page has a field %q: %s", name, res.body)
		}
	}
	var p page[T]
	decodeStrict(t, fields[r.plural], &p.Rows)
	decodeStrict(t, fields["cursor"], &p.Cursor)
	decodeStrict(t, fields["has_more"], &p.HasMore)
	return p
}

// list reads one page with key and fails the test unless it answers 200.
func (r resource[T]) list(e *testEnv, key, query string) page[T] {
	e.t.Helper()
	res := r.send(e, http.MethodGet, r.path("")+query, key, "")
	if res.status != http.StatusOK {
		e.t.Fatalf("list %s %s: status %d, body %s", r.plural, query, res.status, res.body)
	}
	return r.decodePage(e.t, res)
}

// walk lists every page of query (which must not set a cursor) with the given page size and returns the rows in
// order; between, when set, runs after every page that has a next one.
func (r resource[T]) walk(e *testEnv, key, query string, limit int, between func(page int)) []T {
	e.t.Helper()
	var rows []T
	cursor := ""
	for n := 0; ; n++ {
		q := fmt.Sprintf("?limit=%d%s", limit, query)
		if cursor != "" {
			q += "&cursor=" + url.QueryEscape(cursor)
		}
		got := r.list(e, key, q)
		if len(got.Rows) > limit {
			e.t.Fatalf("page %d has %d rows, limit %d", n, len(got.Rows), limit)
		}
		rows = append(rows, got.Rows...)
		if got.HasMore != (got.Cursor != nil) {
			e.t.Fatalf("page %d: has_more %v with cursor %v", n, got.HasMore, got.Cursor)
		}
		if !got.HasMore {
			return rows
		}
		cursor = *got.Cursor
		if between != nil {
			between(n)
		}
	}
}

// listQuery is a list request and what it must answer: an error, or a number of rows.
type listQuery struct {
	query      string
	wantStatus int
	wantRows   int
	wantError  string
}

// checkListQueries sends each query with keyA; a last page must carry a null cursor.
func checkListQueries[T any](t *testing.T, env *testEnv, r resource[T], tests map[string]listQuery) {
	t.Helper()
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			res := r.send(env.with(t), http.MethodGet, r.path("")+tc.query, keyA, "")
			if !checkAnswer(t, "", res, tc.wantStatus, tc.wantError) {
				return
			}
			page := r.decodePage(t, res)
			if len(page.Rows) != tc.wantRows {
				t.Errorf("%d rows, want %d", len(page.Rows), tc.wantRows)
			}
			if !page.HasMore && !strings.Contains(string(res.body), `"cursor":null`) {
				t.Errorf("the last page's cursor is not null: %s", res.body)
			}
		})
	}
}

var (
	destinations = resource[emulator.Destination]{kind{
		singular: "destination", plural: "destinations", schema: "Destination", slugged: true, prefix: "dst_",
		send: (*testEnv).do,
		body: func(_ *testEnv, _, slug string) string { return withFields(map[string]any{"slug": slug}) },
	}, func(d emulator.Destination) string { return d.ID }, func(d *emulator.Destination, at string) { d.UpdatedAt = at }}
	sources = resource[emulator.Source]{kind{
		singular: "source", plural: "sources", schema: "Source", slugged: true, prefix: "src_",
		send: (*testEnv).call,
		body: func(_ *testEnv, _, slug string) string { return sourceWith(map[string]any{"slug": slug}) },
	}, func(s emulator.Source) string { return s.ID }, func(s *emulator.Source, at string) { s.UpdatedAt = at }}
	connections = resource[emulator.Connection]{kind{
		singular: "connection", plural: "connections", schema: "Connection", prefix: "conn_",
		send: (*testEnv).call,
		body: func(e *testEnv, key, slug string) string { return connectionWith(e.newLinks(key, slug), nil) },
	}, func(c emulator.Connection) string { return c.ID }, func(c *emulator.Connection, at string) { c.UpdatedAt = at }}
	kinds = []kind{destinations.kind, sources.kind, connections.kind}
)

// bodyWith returns base as JSON with fields added or replaced; a nil value removes one.
func bodyWith(base, fields map[string]any) string {
	body := withMap(base, fields)
	for k, v := range fields {
		if v == nil {
			delete(body, k)
		}
	}
	data, err := json.Marshal(body)
	if err != nil {
		panic(err)
	}
	return string(data)
}

func TestDelete(t *testing.T) {
	for _, k := range kinds {
		t.Run(k.plural, func(t *testing.T) {
			env := newEnv(t, emulator.Options{})
			body := k.body(env, keyA, "orders")
			id := k.createID(env, keyA, body)
			steps := []struct {
				method     string
				wantStatus int
				wantBody   string
			}{
				{http.MethodDelete, http.StatusOK, `{"success":true}` + "\n"},
				{http.MethodGet, http.StatusNotFound, ""},
				{http.MethodDelete, http.StatusNotFound, ""},
			}
			for i, step := range steps {
				res := k.send(env, step.method, k.path(id), keyA, "")
				if res.status != step.wantStatus {
					t.Fatalf("step %d: status %d, want %d", i, res.status, step.wantStatus)
				}
				if step.wantBody != "" && string(res.body) != step.wantBody {
					t.Errorf("step %d: body %s, want %s", i, res.body, step.wantBody)
				}
			}
			if k.slugged {
				k.createID(env, keyA, body) // the slug is free again
			}
		})
	}
}

func TestRowsFollowTheSchema(t *testing.T) {
	tests := []struct {
		kind
		bodies func(e *testEnv) map[string]string
	}{
		{destinations.kind, func(*testEnv) map[string]string {
			return map[string]string{
				"minimal http": `{"name":"a","slug":"a","url":"http://example.com"}`,
				"everything":   `{"name":"b","slug":"b","url":"http://example.com","headers":{"A":"1"},"auth_type":"basic","auth_config":{"username":"u","password":"p"},"retry_enabled":false,"retry_max_attempts":2,"retry_backoff_type":"fixed","retry_intervals":[5],"circuit_breaker_enabled":true,"circuit_breaker_threshold":2,"circuit_breaker_reset_ms":1000}`,
				"kafka":        `{"name":"c","slug":"c","type":"kafka","provider_config":{"bootstrap_servers":"b:9092","cluster_id":"c","topic":"t","api_key":"k","api_secret":"s"}}`,
			}
		}},
		{sources.kind, func(*testEnv) map[string]string {
			return map[string]string{
				"minimal":   `{"name":"a","slug":"a"}`,
				"websocket": `{"name":"b","slug":"b","type":"websocket","source_config":{}}`,
				"everything": `{"name":"c","slug":"c","description":null,"template":"svix","verification_secret":"whsec_c2VjcmV0",
					"verification_config":"{\"note\":\"x\"}","dedup_strategy":"payload_hash","ip_denylist":[],
					"json_schema":{"type":"object"},"schema_action":"warn"}`,
			}
		}},
		{connections.kind, func(e *testEnv) map[string]string {
			l := e.newLinks(keyA, "orders")
			return map[string]string{
				"minimal": connectionWith(l, nil),
				"everything": connectionWith(l, map[string]any{"description": nil, "enabled": true,
					"filter_rules": []map[string]any{{"field": "method", "op": "neq", "value": "GET"}}, "transform_enabled": false,
					"transform_expression": "$"}),
				"empty rules": connectionWith(l, map[string]any{"filter_rules": []any{}}),
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.plural, func(t *testing.T) {
			schema := componentSchema(t, tc.schema)
			env := newEnv(t, emulator.Options{})
			for name, body := range tc.bodies(env) {
				t.Run(name, func(t *testing.T) {
					checkRowSchema(t, schema, rowMap(t, tc.envelope(t, tc.send(env.with(t), http.MethodPost, tc.path(""), keyA, body))))

					list := tc.send(env.with(t), http.MethodGet, tc.path(""), keyA, "")
					var page map[string]json.RawMessage
					decodeStrict(t, list.body, &page)
					var rows []map[string]any
					decodeStrict(t, page[tc.plural], &rows)
					if len(rows) == 0 {
						t.Errorf("the list has no rows: %s", list.body)
					}
					for _, row := range rows {
						checkRowSchema(t, schema, row)
					}
				})
			}
		})
	}
}

func rowMap(t testing.TB, raw json.RawMessage) map[string]any {
	t.Helper()
	var row map[string]any
	decodeStrict(t, raw, &row)
	return row
}

// patchCase is a PATCH body and the change it must make to the row.
type patchCase[T any] struct {
	body   string
	change func(row *T)
}

// checkPatches creates a row from the body create returns, in a fresh emulator for each case, PATCHes it 90
// seconds later and expects the answer, and a GET after it, to be the row with the case's change made and the
// new updated_at.
func checkPatches[T any](t *testing.T, r resource[T], create func(e *testEnv) string, tests map[string]patchCase[T]) {
	t.Helper()
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			env := newEnv(t, emulator.Options{})
			before := r.create(env, keyA, create(env))
			env.clock.Advance(90 * time.Second)

			res := r.send(env, http.MethodPatch, r.path(r.id(before)), keyA, tc.body)
			if res.status != http.StatusOK {
				t.Fatalf("status %d, body %s", res.status, res.body)
			}
			want := before
			tc.change(&want)
			r.touched(&want, "2026-02-28T10:01:30Z")
			if diff := cmp.Diff(want, r.decode(t, res)); diff != "" {
				t.Errorf("PATCH answer (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want, r.get(env, keyA, r.id(before))); diff != "" {
				t.Errorf("GET after PATCH (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPatchChangesOnlyWhatIsSent(t *testing.T) {
	t.Run("destinations", func(t *testing.T) {
		checkPatches(t, destinations, func(*testEnv) string { return fullHTTPBody }, destinationPatches)
	})
	t.Run("sources", func(t *testing.T) {
		checkPatches(t, sources, func(*testEnv) string { return fullSourceBody }, sourcePatches)
	})
	t.Run("connections", func(t *testing.T) {
		checkPatches(t, connections, func(e *testEnv) string {
			l := e.newLinks(keyA, "orders")
			return `{"source_id":"` + l.source.ID + `","destination_id":"` + l.destination.ID + `",` + fullConnectionFields + `}`
		}, connectionPatches)
	})
}

// badRequest is a request body and the error of the 400 that must answer it.
type badRequest struct{ body, want string }

// rejection is a change to a valid body (a nil value removes a field) and the error it must cause.
type rejection struct {
	body map[string]any
	want string
}

// bodiesOf turns changes to a valid body into request bodies, with makes a valid body with fields changed.
func bodiesOf(with func(fields map[string]any) string, tests map[string]rejection) map[string]badRequest {
	bodies := make(map[string]badRequest, len(tests))
	for name, tc := range tests {
		bodies[name] = badRequest{with(tc.body), tc.want}
	}
	return bodies
}

// checkBadRequests sends each body with keyA to path and expects 400 with the case's error.
func checkBadRequests(t *testing.T, env *testEnv, k kind, method, path string, tests map[string]badRequest) {
	t.Helper()
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			res := k.send(env.with(t), method, path, keyA, tc.body)
			if res.status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400; body %s", res.status, res.body)
			}
			if got := errorOf(t, res); got != tc.want {
				t.Errorf("error\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// createStep is a create, after the delete of the row deleteID when set, and what it must answer.
type createStep struct {
	name       string
	key, body  string
	deleteID   string
	wantStatus int
	wantError  string
}

// runCreateSteps runs the steps in order, each on what the ones before left.
func runCreateSteps(t *testing.T, env *testEnv, k kind, steps []createStep) {
	t.Helper()
	for _, step := range steps {
		if step.deleteID != "" {
			if res := k.send(env, http.MethodDelete, k.path(step.deleteID), step.key, ""); res.status != http.StatusOK {
				t.Fatalf("%s: delete status %d", step.name, res.status)
			}
		}
		checkAnswer(t, step.name, k.send(env, http.MethodPost, k.path(""), step.key, step.body), step.wantStatus,
			step.wantError)
	}
}

// TestProjectsAreIsolated: a key reaches its own project's rows only; any other id, another project's included,
// answers 404 with the resource's own error and changes nothing.
func TestProjectsAreIsolated(t *testing.T) {
	tests := []struct {
		kind
		notFound string
		// otherID is the id of a row of another resource in the key's project.
		otherID func(e *testEnv, mine string) string
		// more are requests of the resource's own, on the other project's row.
		more func(theirs string) map[string]struct{ method, path, body string }
	}{
		{destinations.kind, "Destination not found", func(e *testEnv, _ string) string {
			return sources.create(e, keyA, sourceWith(map[string]any{"slug": "elsewhere"})).ID
		}, func(theirs string) map[string]struct{ method, path, body string } {
			return map[string]struct{ method, path, body string }{
				"circuit":       {http.MethodGet, "/v1/destinations/" + theirs + "/circuit", ""},
				"circuit reset": {http.MethodPost, "/v1/destinations/" + theirs + "/circuit/reset", ""},
			}
		}},
		{sources.kind, "Source not found", func(e *testEnv, _ string) string {
			return destinations.create(e, keyA, withFields(map[string]any{"slug": "elsewhere"})).ID
		}, nil},
		{connections.kind, "Connection not found", func(e *testEnv, mine string) string {
			return connections.get(e, keyA, mine).SourceID
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.plural, func(t *testing.T) {
			env := newEnv(t, emulator.Options{})
			mine := tc.createID(env, keyA, tc.body(env, keyA, "mine"))
			theirs := tc.createID(env, keyB, tc.body(env, keyB, "theirs"))
			deleted := tc.createID(env, keyA, tc.body(env, keyA, "gone"))
			tc.send(env, http.MethodDelete, tc.path(deleted), keyA, "")
			before := tc.send(env, http.MethodGet, tc.path(theirs), keyB, "")
			requests := map[string]struct{ method, path, body string }{
				"get other project's":    {http.MethodGet, tc.path(theirs), ""},
				"patch other project's":  {http.MethodPatch, tc.path(theirs), `{"name":"stolen"}`},
				"delete other project's": {http.MethodDelete, tc.path(theirs), ""},
				"get missing":            {http.MethodGet, tc.path("0123456789abcdef0123456789abcdef"), ""},
				"get deleted":            {http.MethodGet, tc.path(deleted), ""},
				"delete deleted":         {http.MethodDelete, tc.path(deleted), ""},
				"patch deleted":          {http.MethodPatch, tc.path(deleted), `{"name":"x"}`},
				"another resource's id":  {http.MethodGet, tc.path(tc.otherID(env, mine)), ""},
				"prefixed id":            {http.MethodGet, tc.path(tc.prefix + mine), ""},
			}
			if tc.more != nil {
				maps.Copy(requests, tc.more(theirs))
			}
			for name, req := range requests {
				t.Run(name, func(t *testing.T) {
					checkAnswer(t, "", tc.send(env.with(t), req.method, req.path, keyA, req.body), http.StatusNotFound, tc.notFound)
				})
			}
			if after := tc.send(env, http.MethodGet, tc.path(theirs), keyB, ""); !bytes.Equal(before.body, after.body) {
				t.Errorf("the other project's row changed:\n%s\nthen\n%s", before.body, after.body)
			}
			for key, want := range map[string]string{keyA: mine, keyB: theirs} {
				if ids := tc.listIDs(env, key); len(ids) != 1 || ids[0] != want {
					t.Errorf("the list shows %v, want only the key's own row %s", ids, want)
				}
			}
		})
	}
}

// listIDs lists the ids of the first page of rows key sees.
func (k kind) listIDs(e *testEnv, key string) []string {
	e.t.Helper()
	res := k.send(e, http.MethodGet, k.path(""), key, "")
	checkAnswer(e.t, "list", res, http.StatusOK, "")
	var page map[string]json.RawMessage
	var rows []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(res.body, &page); err != nil || json.Unmarshal(page[k.plural], &rows) != nil {
		e.t.Fatalf("list %s: %s", k.plural, res.body)
	}
	ids := []string{}
	for _, row := range rows {
		ids = append(ids, row.ID)
	}
	return ids
}

// checkCreatedRow expects the POST answer created, and a GET of it, to be want; the ids and created_at in the
// service's formats; and the GET body to hold each of columns as written, for the columns that the row's Go type
// cannot tell apart (null from absent, 0 from false).
func checkCreatedRow[T any](t *testing.T, env *testEnv, r resource[T], want, created T, columns ...string) {
	t.Helper()
	if diff := cmp.Diff(want, created); diff != "" {
		t.Errorf("POST answer (-want +got):\n%s", diff)
	}
	res := r.send(env, http.MethodGet, r.path(r.id(created)), keyA, "")
	if diff := cmp.Diff(want, r.decode(t, res)); diff != "" {
		t.Errorf("GET answer (-want +got):\n%s", diff)
	}
	row := rowMap(t, r.envelope(t, res))
	for field, pattern := range map[string]*regexp.Regexp{"id": hexID, "org_id": orgID, "env_id": envID, "created_at": timestamp} {
		if value, _ := row[field].(string); !pattern.MatchString(value) {
			t.Errorf("%s = %q, want it to match %s", field, value, pattern)
		}
	}
	for _, column := range columns {
		if !strings.Contains(string(res.body), column) {
			t.Errorf("the row lacks %s: %s", column, res.body)
		}
	}
}
