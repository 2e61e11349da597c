// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hookstream

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"maps"
	"net/http"
	"net/url"
	"strconv"
)

// ListOptions pages a list call. Zero values are left out of the query.
type ListOptions struct {
	// Cursor is the opaque cursor of the previous page.
	Cursor string
	// Limit is the page size, at most MaxPageSize (larger values are capped); 0 takes the server's default (20).
	Limit int
}

// query encodes the options.
func (o ListOptions) query() url.Values {
	query := url.Values{}
	if o.Cursor != "" {
		query.Set("cursor", o.Cursor)
	}
	if o.Limit > 0 {
		query.Set("limit", strconv.Itoa(min(o.Limit, MaxPageSize)))
	}
	return query
}

// resource describes one collection of the API: where it lives, the route templates reported to the Observer
// and in errors, the envelope members of its answers and how to decode one of its rows.
type resource[T any] struct {
	// path is the collection's path under the base URL, for example "/destinations".
	path string
	// one is the member of a single-row answer ({"destination": {...}}), many the list member of a page.
	one, many string

	routeList, routeCreate, routeGet, routeUpdate, routeDelete string

	decodeRow func(rawFields) (*T, error)
	// id returns a row's id, to skip rows a listing yields twice.
	id func(*T) string
}

// errInvalidID rejects ids that would address another resource: "" would read as the list, ".." as its parent.
var errInvalidID = errors.New("invalid id")

// itemPath returns the escaped path of one row, followed by suffix (a sub-resource such as "/circuit").
func (r *resource[T]) itemPath(route, id, suffix string) (string, error) {
	if id == "" || id == "." || id == ".." {
		return "", fmt.Errorf("hookstream: %s: %w: %w", route, ErrInvalid, errInvalidID)
	}
	return r.path + "/" + url.PathEscape(id) + suffix, nil
}

// list returns one page. filter holds the collection's own query parameters (nil when it has none); it is sent
// beside the paging parameters.
func (r *resource[T]) list(ctx context.Context, c *Client, opts ListOptions, filter url.Values) (*page[T], error) {
	query := opts.query()
	maps.Copy(query, filter)
	resp, err := c.do(ctx, call{method: http.MethodGet, route: r.routeList, path: r.path, query: query})
	if err != nil {
		return nil, err
	}
	p, err := decodePage(resp.body, r.many, r.decodeRow)
	if err != nil {
		return nil, fmt.Errorf("hookstream: %s: %w", r.routeList, err)
	}
	return p, nil
}

// all walks every page of the collection with limit MaxPageSize, sending filter with every page; see allPages.
func (r *resource[T]) all(ctx context.Context, c *Client, filter url.Values) iter.Seq2[*T, error] {
	return allPages(r.routeList, r.id, func(cursor string) (*page[T], error) {
		return r.list(ctx, c, ListOptions{Cursor: cursor, Limit: MaxPageSize}, filter)
	})
}

// create sends POST to the collection and decodes the row of the answer.
func (r *resource[T]) create(ctx context.Context, c *Client, body any) (*T, error) {
	return r.send(ctx, c, call{method: http.MethodPost, route: r.routeCreate, path: r.path, body: body})
}

// get reads one row.
func (r *resource[T]) get(ctx context.Context, c *Client, id string) (*T, error) {
	path, err := r.itemPath(r.routeGet, id, "")
	if err != nil {
		return nil, err
	}
	return r.send(ctx, c, call{method: http.MethodGet, route: r.routeGet, path: path})
}

// update sends a PATCH; body must not be empty, which the caller checks.
func (r *resource[T]) update(ctx context.Context, c *Client, id string, body any) (*T, error) {
	path, err := r.itemPath(r.routeUpdate, id, "")
	if err != nil {
		return nil, err
	}
	return r.send(ctx, c, call{method: http.MethodPatch, route: r.routeUpdate, path: path, body: body})
}

// delete deletes one row; the answer's body ({"success": true}) carries nothing to decode.
func (r *resource[T]) delete(ctx context.Context, c *Client, id string) error {
	path, err := r.itemPath(r.routeDelete, id, "")
	if err != nil {
		return err
	}
	_, err = c.do(ctx, call{method: http.MethodDelete, route: r.routeDelete, path: path})
	return err
}

// send makes a call answered by one row in its envelope.
func (r *resource[T]) send(ctx context.Context, c *Client, req call) (*T, error) {
	resp, err := c.do(ctx, req)
	if err != nil {
		return nil, err
	}
	return decodeAnswer(req.route, resp, func(data []byte) (*T, error) {
		return decodeEnvelope(data, r.one, r.decodeRow)
	})
}

// decodeAnswer decodes a 2xx answer, naming the route in the error.
func decodeAnswer[T any](route string, resp *response, decode func([]byte) (*T, error)) (*T, error) {
	v, err := decode(resp.body)
	if err != nil {
		return nil, fmt.Errorf("hookstream: %s: %w", route, err)
	}
	return v, nil
}

// allPages walks a listing page by page, fetch reading the page after cursor ("" for the first). It stops at the
// first error, which it yields with a nil row. A row whose id was seen on an earlier page is not yielded again,
// should rows shift between pages; a cursor answered twice is an error, since following it would loop forever.
func allPages[T any](route string, id func(*T) string, fetch func(cursor string) (*page[T], error)) iter.Seq2[*T, error] {
	return func(yield func(*T, error) bool) {
		seenIDs := make(map[string]struct{})
		seenCursors := make(map[string]struct{})
		cursor := ""
		for {
			p, err := fetch(cursor)
			if err != nil {
				yield(nil, err)
				return
			}
			for _, row := range p.Rows {
				if _, dup := seenIDs[id(row)]; dup {
					continue
				}
				seenIDs[id(row)] = struct{}{}
				if !yield(row, nil) {
					return
				}
			}
			if !p.HasMore {
				return
			}
			if _, loop := seenCursors[p.Cursor]; loop {
				yield(nil, fmt.Errorf("hookstream: %s: the server returned cursor %q twice", route, p.Cursor))
				return
			}
			seenCursors[p.Cursor] = struct{}{}
			cursor = p.Cursor
		}
	}
}
