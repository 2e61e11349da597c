// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hookstream

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/url"
	"slices"
)

// Route templates, as reported to the Observer and in errors.
const (
	routeListConnections  = "GET /connections"
	routeCreateConnection = "POST /connections"
	routeGetConnection    = "GET /connections/{id}"
	routeUpdateConnection = "PATCH /connections/{id}"
	routeDeleteConnection = "DELETE /connections/{id}"
)

var connections = &resource[Connection]{
	path: "/connections", one: "connection", many: "connections",
	routeList: routeListConnections, routeCreate: routeCreateConnection, routeGet: routeGetConnection,
	routeUpdate: routeUpdateConnection, routeDelete: routeDeleteConnection,
	decodeRow: decodeConnectionRow,
	id:        func(c *Connection) string { return c.ID },
}

// ConnectionListOptions pages a connection listing and filters it. Empty filters are left out of the query; the
// ones given must all match.
type ConnectionListOptions struct {
	ListOptions
	SourceID      string
	DestinationID string
	Status        string
}

// filter encodes the filters as query parameters.
func (o ConnectionListOptions) filter() url.Values {
	query := url.Values{}
	for name, value := range map[string]string{
		"source_id": o.SourceID, "destination_id": o.DestinationID, "status": o.Status,
	} {
		if value != "" {
			query.Set(name, value)
		}
	}
	return query
}

// matches reports a connection that the filters select. The listings drop the rows that do not match, should a
// deployment ignore the query parameters: the reference pages document the filters, the guides do not, and a
// caller adopting a connection by name must not be handed another source's.
func (o ConnectionListOptions) matches(c *Connection) bool {
	return (o.SourceID == "" || c.SourceID == o.SourceID) &&
		(o.DestinationID == "" || c.DestinationID == o.DestinationID) &&
		(o.Status == "" || c.Status == o.Status)
}

// ConnectionListPage is one page of connections, newest first. A response without cursor and has_more is a single
// page.
type ConnectionListPage struct {
	Connections []*Connection
	Cursor      string
	HasMore     bool
}

// ListConnections returns one page of the connections that match the filters of opts. Rows outside the filters
// are dropped (see ConnectionListOptions), so a page may hold fewer rows than the limit while more follow.
func (c *Client) ListConnections(ctx context.Context, opts ConnectionListOptions) (*ConnectionListPage, error) {
	p, err := connections.list(ctx, c, opts.ListOptions, opts.filter())
	if err != nil {
		return nil, err
	}
	rows := slices.DeleteFunc(p.Rows, func(conn *Connection) bool { return !opts.matches(conn) })
	return &ConnectionListPage{Connections: rows, Cursor: p.Cursor, HasMore: p.HasMore}, nil
}

// AllConnections walks every page of the connections that match the filters of filter, with limit MaxPageSize;
// the Cursor and Limit of filter are not used. It sends the filters with every page and drops rows outside them
// (see ConnectionListOptions). It stops at the first error, which it yields with a nil connection. A connection
// seen on an earlier page is not yielded again, should rows shift between pages.
//
// It finds the connections of a source and destination after a lost create answer: see CreateConnection.
func (c *Client) AllConnections(ctx context.Context, filter ConnectionListOptions) iter.Seq2[*Connection, error] {
	rows := connections.all(ctx, c, filter.filter())
	return func(yield func(*Connection, error) bool) {
		for conn, err := range rows {
			if err == nil && !filter.matches(conn) {
				continue
			}
			if !yield(conn, err) {
				return
			}
		}
	}
}

// CreateConnection creates a connection from a source to a destination, both given by id.
//
// A connection has no natural key: the contract makes it (source_id, destination_id, name). A caller that may
// have lost a create answer first lists AllConnections with SourceID and DestinationID and matches the name: no
// row means create, one row means adopt it, more than one is an ambiguity to report, never to resolve by picking
// one. A deployment that keeps names unique answers a taken name with 409 (IsConflict): the connection exists, so
// look it up the same way.
//
// A missing source or destination answers 404 (IsNotFound), without saying which: GetSource and GetDestination
// tell. A deployment that compiles transform expressions on write answers an invalid one with 400 (IsInvalid), a
// configuration error not worth retrying. A rule whose Value is not valid JSON is refused without a call
// (IsInvalid).
func (c *Client) CreateConnection(ctx context.Context, req *ConnectionCreateRequest) (*Connection, error) {
	if req == nil {
		return nil, fmt.Errorf("hookstream: %s: %w: nil request", routeCreateConnection, ErrInvalid)
	}
	if err := checkFilterRules(routeCreateConnection, req.FilterRules); err != nil {
		return nil, err
	}
	return connections.create(ctx, c, req)
}

// GetConnection reads one connection. Another project's id answers 404, like a missing one, and so does a
// connection that a deployment deleted along with its source or destination: treat it as gone, not as one to
// recreate. A connection whose source or destination is gone but that was kept is Dangling.
func (c *Client) GetConnection(ctx context.Context, id string) (*Connection, error) {
	return connections.get(ctx, c, id)
}

// UpdateConnection sends only the fields present in req. An empty request is refused without a call (IsInvalid),
// since the server would answer 400 anyway, and so is a rule whose Value is not valid JSON.
func (c *Client) UpdateConnection(ctx context.Context, id string, req *ConnectionUpdateRequest) (*Connection, error) {
	if _, err := connections.itemPath(routeUpdateConnection, id, ""); err != nil {
		return nil, err
	}
	if req == nil || req.IsEmpty() {
		return nil, fmt.Errorf("hookstream: %s: %w: no fields to update", routeUpdateConnection, ErrInvalid)
	}
	if rules, ok := req.FilterRules.Value(); ok {
		if err := checkFilterRules(routeUpdateConnection, rules); err != nil {
			return nil, err
		}
	}
	return connections.update(ctx, c, id, req)
}

// checkFilterRules refuses, without a call, a rule whose value is not JSON text: the server would answer 400, and
// encoding/json's error would quote a character of it. A nil value is refused too: encoding/json would send it as
// null, a value the caller never wrote (JSON null is the text null).
func checkFilterRules(route string, rules []FilterRule) error {
	for i, rule := range rules {
		if !json.Valid(rule.Value) {
			return fmt.Errorf("hookstream: %s: %w: filter_rules[%d].value is not JSON", route, ErrInvalid, i)
		}
	}
	return nil
}

// DeleteConnection deletes a connection permanently; deliveries already scheduled still run. A missing one
// answers 404 (IsNotFound), which callers that want an idempotent delete treat as success.
func (c *Client) DeleteConnection(ctx context.Context, id string) error {
	return connections.delete(ctx, c, id)
}
