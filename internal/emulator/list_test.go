// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hookstream/hookstream-operator/internal/emulator"
)

func (e *testEnv) list(key, query string) page[emulator.Destination] {
	e.t.Helper()
	return destinations.list(e, key, query)
}

// walk lists every page with the given page size and returns the slugs in order.
func (e *testEnv) walk(key string, limit int, between func(page int)) []string {
	e.t.Helper()
	var slugs []string
	for _, d := range destinations.walk(e, key, "", limit, between) {
		slugs = append(slugs, d.Slug)
	}
	return slugs
}

// descending names rows numbered from to to from with format, newest (highest) first, as lists order them.
func descending(format string, from, to int) []string {
	var names []string
	for i := to; i >= from; i-- {
		names = append(names, fmt.Sprintf(format, i))
	}
	return names
}

func slugsDescending(from, to int) []string { return descending("d-%03d", from, to) }

//nolint:unparam // every test uses keyA today; the key says whose destinations these are
func createNumbered(env *testEnv, key string, from, to int) {
	for i := from; i <= to; i++ {
		env.create(key, withFields(map[string]any{"slug": fmt.Sprintf("d-%03d", i)}))
	}
}

func TestListNewestFirstAcrossPages(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	createNumbered(env, keyA, 1, 25) // all within the same second of the fake clock
	env.create(keyB, withFields(nil))

	tests := map[string]struct {
		limit     int
		wantPages int
	}{
		"limit 10":  {10, 3},
		"limit 1":   {1, 25},
		"limit 25":  {25, 1},
		"limit 100": {100, 1},
		"limit 24":  {24, 2},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			pages := 1
			got := env.walk(keyA, tc.limit, func(int) { pages++ })
			if diff := cmp.Diff(slugsDescending(1, 25), got); diff != "" {
				t.Errorf("walk (-want +got):\n%s", diff)
			}
			if pages != tc.wantPages {
				t.Errorf("%d pages, want %d", pages, tc.wantPages)
			}
		})
	}

	first := env.list(keyA, "")
	if len(first.Rows) != 20 || !first.HasMore {
		t.Errorf("default page: %d rows, has_more %v; want 20 rows and more", len(first.Rows), first.HasMore)
	}
}

func TestListCursorIsStableWhileInserting(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	createNumbered(env, keyA, 1, 30)
	next := 31
	got := env.walk(keyA, 7, func(int) {
		// New rows are newer than every row of a walk already under way: they must not show up in it,
		// nor push older rows into a page already read.
		createNumbered(env, keyA, next, next+2)
		next += 3
	})
	if diff := cmp.Diff(slugsDescending(1, 30), got); diff != "" {
		t.Errorf("walk while inserting (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(slugsDescending(1, next-1), env.walk(keyA, 100, nil)); diff != "" {
		t.Errorf("fresh walk (-want +got):\n%s", diff)
	}
}

func TestListSurvivesDeletesDuringAWalk(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	createNumbered(env, keyA, 1, 12)
	firstPage := env.list(keyA, "?limit=4")
	// Delete the row the cursor points at and one on the next page.
	for _, slug := range []string{"d-009", "d-007"} {
		for _, d := range env.list(keyA, "?limit=100").Rows {
			if d.Slug == slug {
				env.do(http.MethodDelete, "/v1/destinations/"+d.ID, keyA, "")
			}
		}
	}
	got := env.list(keyA, "?limit=4&cursor="+url.QueryEscape(*firstPage.Cursor))
	var slugs []string
	for _, d := range got.Rows {
		slugs = append(slugs, d.Slug)
	}
	if diff := cmp.Diff([]string{"d-008", "d-006", "d-005", "d-004"}, slugs); diff != "" {
		t.Errorf("second page (-want +got):\n%s", diff)
	}
}

func TestListQueryValidation(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	createNumbered(env, keyA, 1, 3)
	checkListQueries(t, env, destinations, map[string]listQuery{
		"no query":          {"", http.StatusOK, 3, ""},
		"limit 1":           {"?limit=1", http.StatusOK, 1, ""},
		"limit 100":         {"?limit=100", http.StatusOK, 3, ""},
		"limit empty":       {"?limit=", http.StatusOK, 3, ""},
		"cursor empty":      {"?cursor=", http.StatusOK, 3, ""},
		"unknown parameter": {"?sort=asc", http.StatusOK, 3, ""},
		"limit 0":           {"?limit=0", http.StatusBadRequest, 0, "Invalid query: 'limit' must be an integer between 1 and 100"},
		"limit 101":         {"?limit=101", http.StatusBadRequest, 0, "Invalid query: 'limit' must be an integer between 1 and 100"},
		"limit negative":    {"?limit=-1", http.StatusBadRequest, 0, "Invalid query: 'limit' must be an integer between 1 and 100"},
		"limit text":        {"?limit=ten", http.StatusBadRequest, 0, "Invalid query: 'limit' must be an integer between 1 and 100"},
		"limit fraction":    {"?limit=1.5", http.StatusBadRequest, 0, "Invalid query: 'limit' must be an integer between 1 and 100"},
		"cursor garbage":    {"?cursor=abc", http.StatusBadRequest, 0, "Invalid query: 'cursor' is not a cursor this API returned"},
		"cursor not base64": {"?cursor=%25%25", http.StatusBadRequest, 0, "Invalid query: 'cursor' is not a cursor this API returned"},
		"status unknown":    {"?status=deleted", http.StatusBadRequest, 0, "Invalid query: 'status' must be one of active, paused, disabled"},
		"type unknown":      {"?type=ftp", http.StatusBadRequest, 0, "Invalid query: 'type' must be one of http, aws_sqs, aws_s3, aws_eventbridge, gcp_pubsub, kafka, rabbitmq, websocket"},
		"bad escape":        {"?limit=%zz", http.StatusBadRequest, 0, "Invalid query: malformed query string"},
	})
}

func TestListFilters(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	env.create(keyA, withFields(map[string]any{"slug": "http-active"}))
	paused := env.create(keyA, withFields(map[string]any{"slug": "http-paused"}))
	env.do(http.MethodPatch, "/v1/destinations/"+paused.ID, keyA, `{"status":"paused"}`)
	env.create(keyA, withFields(map[string]any{"slug": "sqs-active", "type": "sqs", "url": nil, "provider_config": sqsConfig}))
	env.create(keyA, withFields(map[string]any{"slug": "ws-active", "type": "websocket", "url": nil, "provider_config": map[string]any{"channel_name": "c"}}))

	tests := map[string]struct {
		query string
		want  []string
	}{
		"status active":          {"?status=active", []string{"ws-active", "sqs-active", "http-active"}},
		"status paused":          {"?status=paused", []string{"http-paused"}},
		"status disabled":        {"?status=disabled", nil},
		"type long name":         {"?type=aws_sqs", []string{"sqs-active"}},
		"type alias":             {"?type=sqs", []string{"sqs-active"}},
		"type http and paused":   {"?type=http&status=paused", []string{"http-paused"}},
		"type websocket, paused": {"?type=websocket&status=paused", nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var got []string
			for _, d := range env.list(keyA, tc.query).Rows {
				got = append(got, d.Slug)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}

	// A filtered walk pages through the filtered rows only.
	createNumbered(env, keyA, 1, 5)
	page := env.list(keyA, "?status=active&limit=3")
	if !page.HasMore {
		t.Fatal("want more active rows")
	}
	var rest []string
	for _, d := range env.list(keyA, "?status=active&limit=100&cursor="+url.QueryEscape(*page.Cursor)).Rows {
		rest = append(rest, d.Slug)
	}
	if diff := cmp.Diff([]string{"d-002", "d-001", "ws-active", "sqs-active", "http-active"}, rest); diff != "" {
		t.Errorf("second filtered page (-want +got):\n%s", diff)
	}
}

func TestListMasksSecrets(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	env.create(keyA, fullHTTPBody)
	rows := env.list(keyA, "").Rows
	if len(rows) != 1 {
		t.Fatalf("%d rows", len(rows))
	}
	if diff := cmp.Diff(new(`{"token":"****5678"}`), rows[0].AuthConfig); diff != "" {
		t.Errorf("auth_config (-want +got):\n%s", diff)
	}
}
