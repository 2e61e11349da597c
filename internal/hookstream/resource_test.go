// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hookstream

import (
	"context"
	"iter"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// idsOf maps a listing to the ids it yields; an error is yielded with the id of the row beside it ("" for nil).
func idsOf[T any](seq iter.Seq2[*T, error], id func(*T) string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for row, err := range seq {
			rowID := ""
			if row != nil {
				rowID = id(row)
			}
			if !yield(rowID, err) {
				return
			}
		}
	}
}

// TestAllPages walks listings of every resource through its All* iterator, which share one implementation.
func TestAllPages(t *testing.T) {
	kinds := map[string]struct {
		member string
		row    func(t testing.TB, id string) map[string]any
		all    func(ctx context.Context, c *Client) iter.Seq2[string, error]
	}{
		"destinations": {
			member: "destinations", row: documentedRow,
			all: func(ctx context.Context, c *Client) iter.Seq2[string, error] {
				return idsOf(c.AllDestinations(ctx), func(d *Destination) string { return d.ID })
			},
		},
		"sources": {
			member: "sources", row: documentedSourceRow,
			all: func(ctx context.Context, c *Client) iter.Seq2[string, error] {
				return idsOf(c.AllSources(ctx), func(s *Source) string { return s.ID })
			},
		},
		"connections": {
			member: "connections", row: documentedConnectionRow,
			all: func(ctx context.Context, c *Client) iter.Seq2[string, error] {
				return idsOf(c.AllConnections(ctx, ConnectionListOptions{}), func(c *Connection) string { return c.ID })
			},
		},
	}
	// answer is one page, by the cursor it answers; a zero status means 200.
	type answer struct {
		ids        []string
		cursor     any
		hasMore    bool
		omitPaging bool
		status     int
	}
	tests := map[string]struct {
		pages       map[string]answer
		stopAfter   int
		offContract string
		wantIDs     []string
		wantErr     string
		wantCursors []string
	}{
		"every page, newest first": {
			pages: map[string]answer{
				"":   {ids: []string{"e", "d"}, cursor: "p2", hasMore: true},
				"p2": {ids: []string{"c", "b"}, cursor: "p3", hasMore: true},
				"p3": {ids: []string{"a"}, cursor: nil},
			},
			wantIDs: []string{"e", "d", "c", "b", "a"}, wantCursors: []string{"", "p2", "p3"},
		},
		"an empty listing": {
			pages:       map[string]answer{"": {cursor: nil}},
			wantCursors: []string{""},
		},
		"rows shifting between pages are yielded once": {
			pages: map[string]answer{
				"":   {ids: []string{"c", "b"}, cursor: "p2", hasMore: true},
				"p2": {ids: []string{"b", "a"}, cursor: nil},
			},
			wantIDs: []string{"c", "b", "a"}, wantCursors: []string{"", "p2"},
		},
		"a duplicate within a page is yielded once": {
			pages:   map[string]answer{"": {ids: []string{"b", "b", "a"}, cursor: nil}},
			wantIDs: []string{"b", "a"}, wantCursors: []string{""},
		},
		"a cursor answered twice is an error, not a loop": {
			pages: map[string]answer{
				"":   {ids: []string{"c"}, cursor: "p2", hasMore: true},
				"p2": {ids: []string{"b"}, cursor: "p2", hasMore: true},
			},
			wantIDs: []string{"c", "b"}, wantErr: `returned cursor "p2" twice`, wantCursors: []string{"", "p2"},
		},
		"a cursor cycle over several pages is an error": {
			pages: map[string]answer{
				"":   {ids: []string{"c"}, cursor: "p2", hasMore: true},
				"p2": {ids: []string{"b"}, cursor: "p3", hasMore: true},
				"p3": {ids: []string{"a"}, cursor: "p2", hasMore: true},
			},
			wantIDs: []string{"c", "b", "a"}, wantErr: `returned cursor "p2" twice`, wantCursors: []string{"", "p2", "p3"},
		},
		"an error on a later page ends the listing": {
			pages: map[string]answer{
				"":   {ids: []string{"c"}, cursor: "p2", hasMore: true},
				"p2": {status: http.StatusInternalServerError},
			},
			offContract: "a 500, which the document does not declare",
			wantIDs:     []string{"c"}, wantErr: "500", wantCursors: []string{"", "p2"},
		},
		"the caller stops early": {
			pages: map[string]answer{
				"":   {ids: []string{"c", "b"}, cursor: "p2", hasMore: true},
				"p2": {ids: []string{"a"}, cursor: nil},
			},
			stopAfter: 1,
			wantIDs:   []string{"c"}, wantCursors: []string{""},
		},
		"no cursor and no has_more is one page": {
			pages:       map[string]answer{"": {ids: []string{"b", "a"}, omitPaging: true}},
			offContract: "a page without cursor and has_more, an alternative the contract lists",
			wantIDs:     []string{"b", "a"}, wantCursors: []string{""},
		},
		"has_more false ends the listing beside a cursor": {
			pages:   map[string]answer{"": {ids: []string{"b", "a"}, cursor: "p2"}},
			wantIDs: []string{"b", "a"}, wantCursors: []string{""},
		},
	}
	for kindName, kind := range kinds {
		for name, tc := range tests {
			t.Run(kindName+"/"+name, func(t *testing.T) {
				var opts []testClientOption
				if tc.offContract != "" {
					opts = append(opts, offContract(tc.offContract))
				}
				client, transport := newCannedClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					a, ok := tc.pages[r.URL.Query().Get("cursor")]
					if !ok {
						t.Errorf("request for an unknown cursor %q", r.URL.Query().Get("cursor"))
						writeJSON(w, http.StatusBadRequest, errorEnvelopeBody(http.StatusBadRequest, "Invalid cursor"))
						return
					}
					if a.status != 0 {
						writeJSON(w, a.status, errorEnvelopeBody(a.status, http.StatusText(a.status)))
						return
					}
					rows := make([]any, 0, len(a.ids))
					for _, id := range a.ids {
						rows = append(rows, kind.row(t, id))
					}
					body := map[string]any{kind.member: rows}
					if !a.omitPaging {
						body["cursor"], body["has_more"] = a.cursor, a.hasMore
					}
					writeJSON(w, http.StatusOK, body)
				}), opts...)

				var gotIDs []string
				var gotErr error
				for id, err := range kind.all(t.Context(), client) {
					if err != nil {
						if id != "" {
							t.Errorf("error %v yielded beside row %q", err, id)
						}
						gotErr = err
						continue // the iterator must end by itself after an error
					}
					if gotErr != nil {
						t.Errorf("row %q yielded after the error", id)
					}
					gotIDs = append(gotIDs, id)
					if len(gotIDs) == tc.stopAfter {
						break
					}
				}
				if diff := cmp.Diff(tc.wantIDs, gotIDs); diff != "" {
					t.Errorf("ids (-want +got):\n%s", diff)
				}
				switch {
				case tc.wantErr == "" && gotErr != nil:
					t.Errorf("error %v", gotErr)
				case tc.wantErr != "" && (gotErr == nil || !strings.Contains(gotErr.Error(), tc.wantErr)):
					t.Errorf("error %v, want one saying %q", gotErr, tc.wantErr)
				case gotErr != nil && !strings.Contains(gotErr.Error(), "GET /"+kind.member):
					t.Errorf("error %q does not name the route", gotErr)
				}
				var gotCursors []string
				for _, ex := range transport.Exchanges() {
					gotCursors = append(gotCursors, ex.Query.Get("cursor"))
					if limit := ex.Query.Get("limit"); limit != "100" {
						t.Errorf("page requested with limit %q, want 100", limit)
					}
				}
				if diff := cmp.Diff(tc.wantCursors, gotCursors); diff != "" {
					t.Errorf("cursors requested (-want +got):\n%s", diff)
				}
			})
		}
	}
}
