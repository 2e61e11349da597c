// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hookstream

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// pageKind is a resource whose listing pages decodePage reads: the member that holds its rows, a documented row
// and what it decodes to, and a row that its row decoder rejects.
type pageKind struct {
	member string
	// row is the documented row of the resource, in JSON, with its id replaced.
	row func(id string) string
	// badRow is a row that the resource's row decoder rejects, at the field badField.
	badRow, badField string
	// decode runs decodePage with the resource's row decoder.
	decode func(body []byte) (any, error)
	// want is the page of the documented rows of ids, as decode returns it.
	want func(ids []string, cursor string, hasMore bool) any
}

// newPageKind describes a resource of type T for TestDecodePage; decoded returns what the documented row with the
// id decodes to.
func newPageKind[T any](t *testing.T, member string, documented func(testing.TB, string) map[string]any,
	decodeRow func(rawFields) (*T, error), decoded func(id string) *T, badRow map[string]any, badField string) pageKind {
	marshal := func(v any) string {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	return pageKind{
		member:   member,
		row:      func(id string) string { return marshal(documented(t, id)) },
		badRow:   marshal(badRow),
		badField: badField,
		decode:   func(body []byte) (any, error) { return decodePage(body, member, decodeRow) },
		want: func(ids []string, cursor string, hasMore bool) any {
			p := &page[T]{Rows: make([]*T, 0, len(ids)), Cursor: cursor, HasMore: hasMore}
			for _, id := range ids {
				p.Rows = append(p.Rows, decoded(id))
			}
			return p
		},
	}
}

// TestDecodePage decodes listing pages of every resource with decodePage, the one decoder of their envelope: the
// page cases are the contract's and the same for every resource; each resource brings its documented row and a
// row that its own decoder rejects, whose field the error must name within the page.
func TestDecodePage(t *testing.T) {
	kinds := []pageKind{
		newPageKind(t, "destinations", documentedRow, decodeDestinationRow, func(id string) *Destination {
			d := ordersSQS(t)
			d.ID = id
			return d
		}, map[string]any{"id": "b"}, "org_id"),
		newPageKind(t, "sources", documentedSourceRow, decodeSourceRow, func(id string) *Source {
			s := stripePayments(t)
			s.ID = id
			return s
		}, func() map[string]any {
			r := documentedSourceRow(t, "b")
			r["ip_allowlist"] = "10.0.0.1"
			return r
		}(), "ip_allowlist"),
		newPageKind(t, "connections", documentedConnectionRow, decodeConnectionRow, func(id string) *Connection {
			c := paidInvoices(t)
			c.ID = id
			return c
		}, func() map[string]any {
			r := documentedConnectionRow(t, "b")
			r["filter_rules"] = `[{"field":"payload.type","op":"eq","value":1},{"field":"payload.type","value":1}]`
			return r
		}(), "filter_rules[1].op"),
	}
	// rows is the member with the documented rows of ids; other is another resource's member.
	rows := func(k pageKind, ids ...string) string {
		list := make([]string, len(ids))
		for i, id := range ids {
			list[i] = k.row(id)
		}
		return fmt.Sprintf("%q:[%s]", k.member, strings.Join(list, ","))
	}
	other := func(k pageKind) string {
		for _, o := range kinds {
			if o.member != k.member {
				return o.member
			}
		}
		panic("one kind only")
	}
	tests := map[string]struct {
		body func(k pageKind) string
		// The page wanted: the ids of its rows, its cursor and has_more. Empty when the page is rejected.
		ids     []string
		cursor  string
		hasMore bool
		// wantField is the field the DecodeError of a rejected page names, "M" standing for the member.
		wantField string
	}{
		"documented page": {
			body: func(k pageKind) string { return `{` + rows(k, "b", "a") + `,"cursor":"c2","has_more":true}` },
			ids:  []string{"b", "a"}, cursor: "c2", hasMore: true,
		},
		"last page": {
			body: func(k pageKind) string { return `{` + rows(k, "a") + `,"cursor":null,"has_more":false}` },
			ids:  []string{"a"},
		},
		"empty page": {
			body: func(k pageKind) string { return `{` + rows(k) + `,"cursor":null,"has_more":false}` },
			ids:  []string{},
		},
		"no cursor and no has_more is one page": {
			body: func(k pageKind) string { return `{` + rows(k, "a") + `}` },
			ids:  []string{"a"},
		},
		"has_more false ends the listing, whatever the cursor": {
			body: func(k pageKind) string { return `{` + rows(k, "a") + `,"cursor":"c2","has_more":false}` },
			ids:  []string{"a"},
		},

		"no member": {
			body: func(pageKind) string { return `{"data":[]}` }, wantField: "M",
		},
		"another resource's member": {
			body:      func(k pageKind) string { return fmt.Sprintf(`{%q:[],"cursor":null,"has_more":false}`, other(k)) },
			wantField: "M",
		},
		"member not an array": {
			body: func(k pageKind) string { return fmt.Sprintf(`{%q:{}}`, k.member) }, wantField: "M",
		},
		"a null list": {
			body: func(k pageKind) string { return fmt.Sprintf(`{%q:null}`, k.member) }, wantField: "M",
		},
		"a null row": {
			body: func(k pageKind) string { return fmt.Sprintf(`{%q:[null]}`, k.member) }, wantField: "M[0]",
		},
		"a row that is not an object": {
			body:      func(k pageKind) string { return fmt.Sprintf(`{%q:[%s,"b"]}`, k.member, k.row("a")) },
			wantField: "M[1]",
		},
		"a row its resource's decoder rejects": {
			body:      func(k pageKind) string { return fmt.Sprintf(`{%q:[%s,%s]}`, k.member, k.row("a"), k.badRow) },
			wantField: "M[1].BAD",
		},
		"has_more as 0/1": {
			body:      func(k pageKind) string { return `{` + rows(k) + `,"cursor":null,"has_more":0}` },
			wantField: "has_more",
		},
		"a cursor without has_more": {
			body:      func(k pageKind) string { return `{` + rows(k) + `,"cursor":"c2"}` },
			wantField: "has_more",
		},
		"has_more without a cursor member": {
			body:      func(k pageKind) string { return `{` + rows(k) + `,"has_more":false}` },
			wantField: "cursor",
		},
		"more to come but no cursor": {
			body:      func(k pageKind) string { return `{` + rows(k) + `,"cursor":null,"has_more":true}` },
			wantField: "cursor",
		},
		"a numeric cursor": {
			body:      func(k pageKind) string { return `{` + rows(k) + `,"cursor":2,"has_more":true}` },
			wantField: "cursor",
		},
	}
	for name, tc := range tests {
		for _, k := range kinds {
			t.Run(k.member+"/"+name, func(t *testing.T) {
				got, err := k.decode([]byte(tc.body(k)))
				if tc.wantField == "" {
					if err != nil {
						t.Fatalf("decodePage: %v", err)
					}
					if diff := cmp.Diff(k.want(tc.ids, tc.cursor, tc.hasMore), got); diff != "" {
						t.Errorf("(-want +got):\n%s", diff)
					}
					return
				}
				var decodeErr *DecodeError
				if !errors.As(err, &decodeErr) {
					t.Fatalf("error %v, want a *DecodeError", err)
				}
				want := strings.NewReplacer("M", k.member, "BAD", k.badField).Replace(tc.wantField)
				if decodeErr.Field != want {
					t.Errorf("DecodeError.Field = %q, want %q", decodeErr.Field, want)
				}
			})
		}
	}
}
