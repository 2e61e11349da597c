// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hookstream

import (
	"context"
	"fmt"
	"iter"
	"net/http"
)

// Route templates, as reported to the Observer and in errors.
const (
	routeListDestinations  = "GET /destinations"
	routeCreateDestination = "POST /destinations"
	routeGetDestination    = "GET /destinations/{id}"
	routeUpdateDestination = "PATCH /destinations/{id}"
	routeDeleteDestination = "DELETE /destinations/{id}"
	routeGetCircuit        = "GET /destinations/{id}/circuit"
	routeResetCircuit      = "POST /destinations/{id}/circuit/reset"
)

var destinations = &resource[Destination]{
	path: "/destinations", one: "destination", many: "destinations",
	routeList: routeListDestinations, routeCreate: routeCreateDestination, routeGet: routeGetDestination,
	routeUpdate: routeUpdateDestination, routeDelete: routeDeleteDestination,
	decodeRow: decodeDestinationRow,
	id:        func(d *Destination) string { return d.ID },
}

// ListPage is one page of destinations, newest first. A response without cursor and has_more is a single page.
type ListPage struct {
	Destinations []*Destination
	Cursor       string
	HasMore      bool
}

// ListDestinations returns one page.
func (c *Client) ListDestinations(ctx context.Context, opts ListOptions) (*ListPage, error) {
	p, err := destinations.list(ctx, c, opts, nil)
	if err != nil {
		return nil, err
	}
	return &ListPage{Destinations: p.Rows, Cursor: p.Cursor, HasMore: p.HasMore}, nil
}

// AllDestinations walks every page with limit MaxPageSize. It stops at the first error, which it yields with a
// nil destination. A destination seen on an earlier page is not yielded again, should rows shift between pages.
func (c *Client) AllDestinations(ctx context.Context) iter.Seq2[*Destination, error] {
	return destinations.all(ctx, c, nil)
}

// CreateDestination creates a destination. A slug already used in the project answers 409 (IsConflict): the
// slug is the natural key, so the caller adopts the existing destination instead of creating a duplicate.
func (c *Client) CreateDestination(ctx context.Context, req *CreateRequest) (*Destination, error) {
	if req == nil {
		return nil, fmt.Errorf("hookstream: %s: %w: nil request", routeCreateDestination, ErrInvalid)
	}
	return destinations.create(ctx, c, req)
}

// GetDestination reads one destination. Another project's id answers 404, like a missing one.
func (c *Client) GetDestination(ctx context.Context, id string) (*Destination, error) {
	return destinations.get(ctx, c, id)
}

// UpdateDestination sends only the fields present in req. An empty request is refused without a call (IsInvalid),
// since the server would answer 400 anyway.
func (c *Client) UpdateDestination(ctx context.Context, id string, req *UpdateRequest) (*Destination, error) {
	if _, err := destinations.itemPath(routeUpdateDestination, id, ""); err != nil {
		return nil, err
	}
	if req == nil || req.IsEmpty() {
		return nil, fmt.Errorf("hookstream: %s: %w: no fields to update", routeUpdateDestination, ErrInvalid)
	}
	return destinations.update(ctx, c, id, req)
}

// DeleteDestination deletes a destination. A missing one answers 404 (IsNotFound), which callers that want an
// idempotent delete treat as success. One that connections still reference answers 409 (IsConflict).
func (c *Client) DeleteDestination(ctx context.Context, id string) error {
	return destinations.delete(ctx, c, id)
}

// GetCircuit reads a destination's circuit breaker.
func (c *Client) GetCircuit(ctx context.Context, id string) (*Circuit, error) {
	path, err := destinations.itemPath(routeGetCircuit, id, "/circuit")
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, call{method: http.MethodGet, route: routeGetCircuit, path: path})
	if err != nil {
		return nil, err
	}
	return decodeAnswer(routeGetCircuit, resp, decodeCircuit)
}

// ResetCircuit closes a destination's circuit breaker.
func (c *Client) ResetCircuit(ctx context.Context, id string) (*Circuit, error) {
	path, err := destinations.itemPath(routeResetCircuit, id, "/circuit/reset")
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, call{method: http.MethodPost, route: routeResetCircuit, path: path})
	if err != nil {
		return nil, err
	}
	return decodeAnswer(routeResetCircuit, resp, decodeCircuit)
}
