/*
Copyright 2026.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package hookstream

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
)

// Route templates, as reported to the Observer and in errors.
const (
	routeList         = "GET /destinations"
	routeCreate       = "POST /destinations"
	routeGet          = "GET /destinations/{id}"
	routeUpdate       = "PATCH /destinations/{id}"
	routeDelete       = "DELETE /destinations/{id}"
	routeGetCircuit   = "GET /destinations/{id}/circuit"
	routeResetCircuit = "POST /destinations/{id}/circuit/reset"
)

// ListOptions pages GET /destinations. Zero values are left out of the query.
type ListOptions struct {
	// Cursor is the opaque cursor of the previous page.
	Cursor string
	// Limit is the page size, at most MaxPageSize (larger values are capped); 0 takes the server's default (20).
	Limit int
}

// ListPage is one page of destinations, newest first. A response without cursor and has_more is a single page.
type ListPage struct {
	Destinations []*Destination
	Cursor       string
	HasMore      bool
}

// ListDestinations returns one page.
func (c *Client) ListDestinations(ctx context.Context, opts ListOptions) (*ListPage, error) {
	query := url.Values{}
	if opts.Cursor != "" {
		query.Set("cursor", opts.Cursor)
	}
	if opts.Limit > 0 {
		query.Set("limit", strconv.Itoa(min(opts.Limit, MaxPageSize)))
	}
	resp, err := c.do(ctx, call{method: http.MethodGet, route: routeList, path: "/destinations", query: query})
	if err != nil {
		return nil, err
	}
	page, err := decodeListPage(resp.body)
	if err != nil {
		return nil, fmt.Errorf("hookstream: %s: %w", routeList, err)
	}
	return page, nil
}

// AllDestinations walks every page with limit MaxPageSize. It stops at the first error, which it yields with a
// nil destination. A destination seen on an earlier page is not yielded again, should rows shift between pages.
func (c *Client) AllDestinations(ctx context.Context) iter.Seq2[*Destination, error] {
	return func(yield func(*Destination, error) bool) {
		seenIDs := make(map[string]struct{})
		seenCursors := make(map[string]struct{})
		opts := ListOptions{Limit: MaxPageSize}
		for {
			page, err := c.ListDestinations(ctx, opts)
			if err != nil {
				yield(nil, err)
				return
			}
			for _, dest := range page.Destinations {
				if _, dup := seenIDs[dest.ID]; dup {
					continue
				}
				seenIDs[dest.ID] = struct{}{}
				if !yield(dest, nil) {
					return
				}
			}
			if !page.HasMore {
				return
			}
			if _, loop := seenCursors[page.Cursor]; loop {
				yield(nil, fmt.Errorf("hookstream: %s: the server returned cursor %q twice", routeList, page.Cursor))
				return
			}
			seenCursors[page.Cursor] = struct{}{}
			opts.Cursor = page.Cursor
		}
	}
}

// CreateDestination creates a destination. A slug already used in the project answers 409 (IsConflict): the
// slug is the natural key, so the caller adopts the existing destination instead of creating a duplicate.
func (c *Client) CreateDestination(ctx context.Context, req *CreateRequest) (*Destination, error) {
	if req == nil {
		return nil, fmt.Errorf("hookstream: %s: %w: nil request", routeCreate, ErrInvalid)
	}
	resp, err := c.do(ctx, call{method: http.MethodPost, route: routeCreate, path: "/destinations", body: req})
	if err != nil {
		return nil, err
	}
	return decodeDestinationResponse(routeCreate, resp)
}

// GetDestination reads one destination. Another project's id answers 404, like a missing one.
func (c *Client) GetDestination(ctx context.Context, id string) (*Destination, error) {
	path, err := destinationPath(routeGet, id, "")
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, call{method: http.MethodGet, route: routeGet, path: path})
	if err != nil {
		return nil, err
	}
	return decodeDestinationResponse(routeGet, resp)
}

// UpdateDestination sends only the fields present in req. An empty request is refused without a call (IsInvalid),
// since the server would answer 400 anyway.
func (c *Client) UpdateDestination(ctx context.Context, id string, req *UpdateRequest) (*Destination, error) {
	path, err := destinationPath(routeUpdate, id, "")
	if err != nil {
		return nil, err
	}
	if req == nil || req.IsEmpty() {
		return nil, fmt.Errorf("hookstream: %s: %w: no fields to update", routeUpdate, ErrInvalid)
	}
	resp, err := c.do(ctx, call{method: http.MethodPatch, route: routeUpdate, path: path, body: req})
	if err != nil {
		return nil, err
	}
	return decodeDestinationResponse(routeUpdate, resp)
}

// DeleteDestination deletes a destination. A missing one answers 404 (IsNotFound), which callers that want an
// idempotent delete treat as success.
func (c *Client) DeleteDestination(ctx context.Context, id string) error {
	path, err := destinationPath(routeDelete, id, "")
	if err != nil {
		return err
	}
	_, err = c.do(ctx, call{method: http.MethodDelete, route: routeDelete, path: path})
	return err
}

// GetCircuit reads a destination's circuit breaker.
func (c *Client) GetCircuit(ctx context.Context, id string) (*Circuit, error) {
	path, err := destinationPath(routeGetCircuit, id, "/circuit")
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, call{method: http.MethodGet, route: routeGetCircuit, path: path})
	if err != nil {
		return nil, err
	}
	return decodeCircuitResponse(routeGetCircuit, resp)
}

// ResetCircuit closes a destination's circuit breaker.
func (c *Client) ResetCircuit(ctx context.Context, id string) (*Circuit, error) {
	path, err := destinationPath(routeResetCircuit, id, "/circuit/reset")
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, call{method: http.MethodPost, route: routeResetCircuit, path: path})
	if err != nil {
		return nil, err
	}
	return decodeCircuitResponse(routeResetCircuit, resp)
}

// errInvalidID rejects ids that would address another resource: "" would read as the list, ".." as its parent.
var errInvalidID = errors.New("invalid destination id")

func destinationPath(route, id, suffix string) (string, error) {
	if id == "" || id == "." || id == ".." {
		return "", fmt.Errorf("hookstream: %s: %w: %w", route, ErrInvalid, errInvalidID)
	}
	return "/destinations/" + url.PathEscape(id) + suffix, nil
}

func decodeDestinationResponse(route string, resp *response) (*Destination, error) {
	dest, err := decodeDestination(resp.body)
	if err != nil {
		return nil, fmt.Errorf("hookstream: %s: %w", route, err)
	}
	return dest, nil
}

func decodeCircuitResponse(route string, resp *response) (*Circuit, error) {
	circuit, err := decodeCircuit(resp.body)
	if err != nil {
		return nil, fmt.Errorf("hookstream: %s: %w", route, err)
	}
	return circuit, nil
}
