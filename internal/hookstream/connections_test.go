// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hookstream

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestConnectionCalls(t *testing.T) {
	const (
		id            = "9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f"
		sourceID      = "5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"
		destinationID = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"
	)
	row := documentedConnectionRow(t, id)
	connectionAnswer := map[string]any{"connection": row}

	cases := sharedCallCases("connections", id, connectionAnswer, paidInvoices(t),
		func(ctx context.Context, c *Client, id string) (any, error) { return c.GetConnection(ctx, id) },
		func(ctx context.Context, c *Client, id string) error { return c.DeleteConnection(ctx, id) })
	maps.Copy(cases, map[string]callCase{
		"list": {
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ListConnections(ctx, ConnectionListOptions{ListOptions: ListOptions{Limit: 2, Cursor: "opaque"}})
			},
			status:     200,
			answer:     map[string]any{"connections": []any{row}, "cursor": "next", "has_more": true},
			wantMethod: "GET", wantPath: "/v1/connections",
			wantQuery: url.Values{"limit": {"2"}, "cursor": {"opaque"}},
			wantRoute: "GET /connections",
			want:      &ConnectionListPage{Connections: []*Connection{paidInvoices(t)}, Cursor: "next", HasMore: true},
		},
		"list with every filter": {
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ListConnections(ctx, ConnectionListOptions{
					ListOptions: ListOptions{Limit: 50}, SourceID: sourceID, DestinationID: destinationID, Status: StatusActive,
				})
			},
			status:     200,
			answer:     map[string]any{"connections": []any{row}, "cursor": nil, "has_more": false},
			wantMethod: "GET", wantPath: "/v1/connections",
			wantQuery: url.Values{
				"limit": {"50"}, "source_id": {sourceID}, "destination_id": {destinationID}, "status": {"active"},
			},
			wantRoute: "GET /connections",
			want:      &ConnectionListPage{Connections: []*Connection{paidInvoices(t)}},
		},
		"list by source only, page size capped": {
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ListConnections(ctx, ConnectionListOptions{ListOptions: ListOptions{Limit: 5000}, SourceID: "src_01"})
			},
			status:     200,
			answer:     map[string]any{"connections": []any{}, "cursor": nil, "has_more": false},
			wantMethod: "GET", wantPath: "/v1/connections",
			wantQuery: url.Values{"limit": {"100"}, "source_id": {"src_01"}},
			wantRoute: "GET /connections",
			want:      &ConnectionListPage{Connections: []*Connection{}},
		},
		"create with only the required fields": {
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CreateConnection(ctx, &ConnectionCreateRequest{
					SourceID: sourceID, DestinationID: destinationID, Name: "Paid invoices to orders",
				})
			},
			status: 201, answer: connectionAnswer,
			wantMethod: "POST", wantPath: "/v1/connections",
			wantBody: `{"source_id":"` + sourceID + `","destination_id":"` + destinationID + `",` +
				`"name":"Paid invoices to orders"}`,
			wantRoute: "POST /connections",
			want:      paidInvoices(t),
		},
		"create with every field": {
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CreateConnection(ctx, &ConnectionCreateRequest{
					SourceID: sourceID, DestinationID: destinationID, Name: "Paid invoices to orders",
					Description: new("Stripe invoices for the orders service"), Enabled: new(true),
					FilterRules:         paidInvoicesRules(),
					TransformEnabled:    new(true),
					TransformExpression: new(`{"invoice": data.object.id, "amount": data.object.amount_paid}`),
				})
			},
			status: 201, answer: connectionAnswer,
			wantMethod: "POST", wantPath: "/v1/connections",
			wantBody: `{"source_id":"` + sourceID + `","destination_id":"` + destinationID + `",` +
				`"name":"Paid invoices to orders","description":"Stripe invoices for the orders service",` +
				`"enabled":true,"filter_rules":[` +
				`{"field":"payload.type","op":"in","value":["invoice.paid","invoice.finalized"]},` +
				`{"field":"payload.data.object.amount_paid","op":"gte","value":1000},` +
				`{"field":"headers.stripe-signature","op":"exists","value":true},` +
				`{"field":"payload.data.object.customer_email","op":"neq","value":null}],` +
				`"transform_enabled":true,` +
				`"transform_expression":"{\"invoice\": data.object.id, \"amount\": data.object.amount_paid}"}`,
			wantRoute: "POST /connections",
			want:      paidInvoices(t),
		},
		"update sends only the fields present": {
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.UpdateConnection(ctx, id, &ConnectionUpdateRequest{
					Enabled: Set(false), Status: Set(StatusPaused), FilterRules: Null[[]FilterRule](),
				})
			},
			status: 200, answer: connectionAnswer,
			wantMethod: "PATCH", wantPath: "/v1/connections/" + id,
			wantBody:  `{"enabled":false,"status":"paused","filter_rules":null}`,
			wantRoute: "PATCH /connections/{id}",
			want:      paidInvoices(t),
		},
		"update with every field": {
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.UpdateConnection(ctx, id, &ConnectionUpdateRequest{
					Name: Set("Invoices"), Description: Null[string](), Enabled: Set(true), Status: Set(StatusActive),
					FilterRules: Set([]FilterRule{
						{Field: "payload.type", Op: OpEq, Value: json.RawMessage(`"invoice.paid"`)},
						{Field: "headers.x-test", Op: OpExists, Value: json.RawMessage(`false`)},
					}),
					TransformEnabled: Set(false), TransformExpression: Null[string](),
				})
			},
			status: 200, answer: connectionAnswer,
			wantMethod: "PATCH", wantPath: "/v1/connections/" + id,
			wantBody: `{"name":"Invoices","description":null,"enabled":true,"status":"active","filter_rules":[` +
				`{"field":"payload.type","op":"eq","value":"invoice.paid"},` +
				`{"field":"headers.x-test","op":"exists","value":false}],` +
				`"transform_enabled":false,"transform_expression":null}`,
			wantRoute: "PATCH /connections/{id}",
			want:      paidInvoices(t),
		},
		"update to an empty rule list": {
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.UpdateConnection(ctx, id, &ConnectionUpdateRequest{FilterRules: Set([]FilterRule{})})
			},
			status: 200, answer: connectionAnswer,
			wantMethod: "PATCH", wantPath: "/v1/connections/" + id,
			wantBody:  `{"filter_rules":[]}`,
			wantRoute: "PATCH /connections/{id}",
			want:      paidInvoices(t),
		},
	})
	runCallCases(t, cases)
}

func TestConnectionErrorMapping(t *testing.T) {
	create := func(ctx context.Context, c *Client) error {
		_, err := c.CreateConnection(ctx, &ConnectionCreateRequest{SourceID: "s1", DestinationID: "d1", Name: "n"})
		return err
	}
	get := func(ctx context.Context, c *Client) error {
		_, err := c.GetConnection(ctx, "a1")
		return err
	}
	update := func(ctx context.Context, c *Client) error {
		_, err := c.UpdateConnection(ctx, "a1", &ConnectionUpdateRequest{TransformExpression: Set("$")})
		return err
	}
	remove := func(ctx context.Context, c *Client) error { return c.DeleteConnection(ctx, "a1") }
	list := func(ctx context.Context, c *Client) error {
		_, err := c.ListConnections(ctx, ConnectionListOptions{SourceID: "s1"})
		return err
	}
	const invalidOp = "Invalid body: 'filter_rules[0].op' must be one of eq, neq, contains, gt, gte, lt, lte, exists, in"

	cases := sharedErrorCases(t, resourceCalls{path: "connections",
		create: create, get: get, update: update, remove: remove, list: list}, "Connection not found")
	maps.Copy(cases, map[string]errorCase{
		"create 400 invalid": {
			call: create, status: 400, body: errorEnvelopeJSON(t, 400, invalidOp),
			want: apiErrorSummary("ErrInvalid", 400, invalidOp, "POST /connections"),
		},
		"create 404 source or destination missing": {
			call: create, status: 404, body: errorEnvelopeJSON(t, 404, "Source or destination not found"),
			want: apiErrorSummary("ErrNotFound", 404, "Source or destination not found", "POST /connections"),
		},
		"create 409 on a deployment with unique names": {
			call: create, status: 409, body: errorEnvelopeJSON(t, 409, "Connection name already exists"),
			offContract: "a 409 on create, which the contract lists as an alternative of the real service",
			want:        apiErrorSummary("ErrConflict", 409, "Connection name already exists", "POST /connections"),
		},
		"update 400 an invalid transform": {
			call: update, status: 400, body: errorEnvelopeJSON(t, 400, "Invalid body: 'transform_expression' is not valid JSONata"),
			want: apiErrorSummary("ErrInvalid", 400, "Invalid body: 'transform_expression' is not valid JSONata", "PATCH /connections/{id}"),
		},
	})
	runErrorCases(t, cases)
}

func TestConnectionErrorHelpers(t *testing.T) {
	create := func(ctx context.Context, c *Client) error {
		_, err := c.CreateConnection(ctx, &ConnectionCreateRequest{SourceID: "s1", DestinationID: "d1", Name: "n"})
		return err
	}
	checkErrorHelpers(t, map[string]helperCase{
		"a missing source or destination is not found": {status: 404, is: IsNotFound, call: create},
		"a taken name is a conflict": {
			status: 409, is: IsConflict, call: create,
			offContract: "a 409 on create, which the contract lists as an alternative of the real service",
		},
		"an invalid transform is invalid": {status: 400, is: IsInvalid, call: create},
		"a missing connection is not found": {status: 404, is: IsNotFound, call: func(ctx context.Context, c *Client) error {
			_, err := c.GetConnection(ctx, "a1")
			return err
		}},
		"a deleted connection is not found": {status: 404, is: IsNotFound, call: func(ctx context.Context, c *Client) error {
			return c.DeleteConnection(ctx, "a1")
		}},
	})
}

func TestConnectionRefusedBeforeSending(t *testing.T) {
	rules := func(values ...json.RawMessage) []FilterRule {
		out := make([]FilterRule, 0, len(values))
		for _, value := range values {
			out = append(out, FilterRule{Field: "payload.type", Op: OpEq, Value: value})
		}
		return out
	}
	create := func(rules []FilterRule) func(ctx context.Context, c *Client) error {
		return func(ctx context.Context, c *Client) error {
			_, err := c.CreateConnection(ctx, &ConnectionCreateRequest{SourceID: "s1", DestinationID: "d1", Name: "n",
				FilterRules: rules})
			return err
		}
	}
	update := func(rules []FilterRule) func(ctx context.Context, c *Client) error {
		return func(ctx context.Context, c *Client) error {
			_, err := c.UpdateConnection(ctx, "a1", &ConnectionUpdateRequest{Name: Set("n"), FilterRules: Set(rules)})
			return err
		}
	}
	checkRefusedBeforeSending(t, map[string]refusal{
		"empty update": {call: func(ctx context.Context, c *Client) error {
			_, err := c.UpdateConnection(ctx, "a1", &ConnectionUpdateRequest{})
			return err
		}},
		"nil update": {call: func(ctx context.Context, c *Client) error {
			_, err := c.UpdateConnection(ctx, "a1", nil)
			return err
		}},
		"nil create": {call: func(ctx context.Context, c *Client) error {
			_, err := c.CreateConnection(ctx, nil)
			return err
		}},
		"get with an empty id": {call: func(ctx context.Context, c *Client) error {
			_, err := c.GetConnection(ctx, "")
			return err
		}},
		"update of the current directory": {call: func(ctx context.Context, c *Client) error {
			_, err := c.UpdateConnection(ctx, ".", &ConnectionUpdateRequest{Name: Set("n")})
			return err
		}},
		"delete of the parent": {call: func(ctx context.Context, c *Client) error {
			return c.DeleteConnection(ctx, "..")
		}},
		"create with a value that is not JSON": {
			call:    create(rules(json.RawMessage(`"ok"`), json.RawMessage(secretMarker))),
			wantErr: "POST /connections: hookstream: invalid request: filter_rules[1].value is not JSON",
		},
		"create with a truncated value": {
			call:    create(rules(json.RawMessage(`["` + secretMarker + `"`))),
			wantErr: "filter_rules[0].value is not JSON",
		},
		"create with a nil value": {
			call:    create([]FilterRule{{Field: "payload.type", Op: OpExists}}),
			wantErr: "filter_rules[0].value is not JSON",
		},
		"create with an empty value": {
			call:    create(rules(json.RawMessage{})),
			wantErr: "filter_rules[0].value is not JSON",
		},
		"create with two values": {
			call:    create(rules(json.RawMessage(`1 "` + secretMarker + `"`))),
			wantErr: "filter_rules[0].value is not JSON",
		},
		"update with a value that is not JSON": {
			call:    update(rules(json.RawMessage(`{"a":` + secretMarker + `}`))),
			wantErr: "PATCH /connections/{id}: hookstream: invalid request: filter_rules[0].value is not JSON",
		},
		"update with a nil value": {
			call:    update(rules(json.RawMessage(`true`), nil)),
			wantErr: "filter_rules[1].value is not JSON",
		},
	})
}

// Filter values travel in the query, escaped there.
func TestConnectionListingsEscapeFilters(t *testing.T) {
	client, transport := newCannedClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"connections": []any{}, "cursor": nil, "has_more": false})
	}))
	if _, err := client.ListConnections(t.Context(), ConnectionListOptions{SourceID: "a&b=c", DestinationID: "d#e"}); err != nil {
		t.Fatal(err)
	}
	ex := transport.last(t)
	if ex.Query.Get("source_id") != "a&b=c" || ex.Query.Get("destination_id") != "d#e" || len(ex.Query) != 2 {
		t.Errorf("query %v: the filters were not escaped", ex.Query)
	}
}

func TestConnectionToleratesDocumentedAlternatives(t *testing.T) {
	client, _ := newCannedClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		row := documentedConnectionRow(t, "conn_01HQZ7")
		row["source_id"], row["destination_id"] = "src_01HQZ6", "dst_01HQZ5"
		row["filter_rules"] = json.RawMessage(spacedRules)
		row["enabled"], row["transform_enabled"] = true, false
		row["destination_name"] = nil
		writeJSON(w, http.StatusOK, map[string]any{"connection": row})
	}), offContract("native filter rules, true/false flags and conn_, src_ and dst_ ids: alternatives the contract lists"))
	got, err := client.GetConnection(t.Context(), "conn_01HQZ7")
	if err != nil {
		t.Fatal(err)
	}
	want := paidInvoices(t)
	want.ID, want.SourceID, want.DestinationID = "conn_01HQZ7", "src_01HQZ6", "dst_01HQZ5"
	want.TransformEnabled = false
	want.DestinationName = nil
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if !got.Dangling() {
		t.Errorf("a connection whose destination name reads null is not dangling")
	}
}

// TestConnectionListingsKeepToTheirFilters: a deployment that ignored the filters would answer the project's
// every connection; the listings hand the caller only the ones it asked for.
func TestConnectionListingsKeepToTheirFilters(t *testing.T) {
	connectionRow := func(id, sourceID, destinationID, status string) map[string]any {
		row := documentedConnectionRow(t, id)
		row["source_id"], row["destination_id"], row["status"] = sourceID, destinationID, status
		return row
	}
	// Two pages, newest first, whatever the query says.
	pages := map[string]map[string]any{
		"": {"connections": []any{
			connectionRow("c5", "s1", "d1", StatusActive),
			connectionRow("c4", "s2", "d1", StatusActive),
		}, "cursor": "p2", "has_more": true},
		"p2": {"connections": []any{
			connectionRow("c3", "s1", "d2", StatusActive),
			connectionRow("c2", "s1", "d1", StatusPaused),
			connectionRow("c1", "s1", "d1", StatusActive),
		}, "cursor": nil, "has_more": false},
	}
	tests := map[string]struct {
		filter  ConnectionListOptions
		wantIDs []string
	}{
		"no filter":                   {wantIDs: []string{"c5", "c4", "c3", "c2", "c1"}},
		"by source":                   {filter: ConnectionListOptions{SourceID: "s1"}, wantIDs: []string{"c5", "c3", "c2", "c1"}},
		"by destination":              {filter: ConnectionListOptions{DestinationID: "d2"}, wantIDs: []string{"c3"}},
		"by status":                   {filter: ConnectionListOptions{Status: StatusPaused}, wantIDs: []string{"c2"}},
		"by source and destination":   {filter: ConnectionListOptions{SourceID: "s1", DestinationID: "d1"}, wantIDs: []string{"c5", "c2", "c1"}},
		"every filter":                {filter: ConnectionListOptions{SourceID: "s1", DestinationID: "d1", Status: StatusActive}, wantIDs: []string{"c5", "c1"}},
		"nothing matches":             {filter: ConnectionListOptions{SourceID: "s3"}},
		"ids are compared as written": {filter: ConnectionListOptions{SourceID: "S1"}},
		"the filter's paging is not used by the walk": {
			filter:  ConnectionListOptions{ListOptions: ListOptions{Cursor: "p2", Limit: 1}, DestinationID: "d1"},
			wantIDs: []string{"c5", "c4", "c2", "c1"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			client, transport := newCannedClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusOK, pages[r.URL.Query().Get("cursor")])
			}))
			var gotIDs []string
			for conn, err := range client.AllConnections(t.Context(), tc.filter) {
				if err != nil {
					t.Fatal(err)
				}
				gotIDs = append(gotIDs, conn.ID)
			}
			if diff := cmp.Diff(tc.wantIDs, gotIDs); diff != "" {
				t.Errorf("AllConnections ids (-want +got):\n%s", diff)
			}
			wantQuery := tc.filter.filter()
			for i, ex := range transport.Exchanges() {
				for _, name := range []string{"source_id", "destination_id", "status"} {
					if got, want := ex.Query.Get(name), wantQuery.Get(name); got != want {
						t.Errorf("page %d: %s = %q, want %q", i, name, got, want)
					}
				}
				if limit := ex.Query.Get("limit"); limit != "100" {
					t.Errorf("page %d: limit %q, want 100", i, limit)
				}
			}
			if n := len(transport.Exchanges()); n != 2 {
				t.Errorf("%d pages requested, want 2", n)
			}

			// One page: the rows of the first page within the filter, the server's paging unchanged.
			page, err := client.ListConnections(t.Context(), ConnectionListOptions{
				SourceID: tc.filter.SourceID, DestinationID: tc.filter.DestinationID, Status: tc.filter.Status,
			})
			if err != nil {
				t.Fatal(err)
			}
			var pageIDs []string
			for _, conn := range page.Connections {
				pageIDs = append(pageIDs, conn.ID)
			}
			var wantPage []string
			for _, id := range tc.wantIDs {
				if id == "c5" || id == "c4" {
					wantPage = append(wantPage, id)
				}
			}
			if diff := cmp.Diff(wantPage, pageIDs); diff != "" {
				t.Errorf("ListConnections ids (-want +got):\n%s", diff)
			}
			if page.Cursor != "p2" || !page.HasMore || page.Connections == nil {
				t.Errorf("page cursor %q, has_more %t, rows %v: want the server's paging", page.Cursor, page.HasMore, page.Connections)
			}
		})
	}
}
