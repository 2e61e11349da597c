// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hookstream

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"iter"
)

// Route templates, as reported to the Observer and in errors.
const (
	routeListSources  = "GET /sources"
	routeCreateSource = "POST /sources"
	routeGetSource    = "GET /sources/{id}"
	routeUpdateSource = "PATCH /sources/{id}"
	routeDeleteSource = "DELETE /sources/{id}"
)

var sources = &resource[Source]{
	path: "/sources", one: "source", many: "sources",
	routeList: routeListSources, routeCreate: routeCreateSource, routeGet: routeGetSource,
	routeUpdate: routeUpdateSource, routeDelete: routeDeleteSource,
	decodeRow: decodeSourceRow,
	id:        func(s *Source) string { return s.ID },
}

// SourceListPage is one page of sources, newest first. A response without cursor and has_more is a single page.
type SourceListPage struct {
	Sources []*Source
	Cursor  string
	HasMore bool
}

// ListSources returns one page.
func (c *Client) ListSources(ctx context.Context, opts ListOptions) (*SourceListPage, error) {
	p, err := sources.list(ctx, c, opts, nil)
	if err != nil {
		return nil, err
	}
	return &SourceListPage{Sources: p.Rows, Cursor: p.Cursor, HasMore: p.HasMore}, nil
}

// AllSources walks every page with limit MaxPageSize. It stops at the first error, which it yields with a nil
// source. A source seen on an earlier page is not yielded again, should rows shift between pages.
func (c *Client) AllSources(ctx context.Context) iter.Seq2[*Source, error] {
	return sources.all(ctx, c, nil)
}

// CreateSource creates a source. A slug already used in the project answers 409 (IsConflict): the slug is the
// natural key, so the caller lists the sources, finds the one with that slug and adopts it instead of creating a
// duplicate. The plan's source limit answers 403 (IsForbidden).
func (c *Client) CreateSource(ctx context.Context, req *SourceCreateRequest) (*Source, error) {
	if req == nil {
		return nil, fmt.Errorf("hookstream: %s: %w: nil request", routeCreateSource, ErrInvalid)
	}
	for _, f := range []struct {
		name  string
		value json.RawMessage
	}{
		{"source_config", req.SourceConfig}, {"verification_config", req.VerificationConfig}, {"json_schema", req.JSONSchema},
	} {
		if len(f.value) == 0 {
			continue // omitted
		}
		if err := checkJSONObject(routeCreateSource, f.name, f.value); err != nil {
			return nil, err
		}
	}
	return sources.create(ctx, c, req)
}

// GetSource reads one source. Another project's id answers 404, like a missing one.
func (c *Client) GetSource(ctx context.Context, id string) (*Source, error) {
	return sources.get(ctx, c, id)
}

// UpdateSource sends only the fields present in req. An empty request is refused without a call (IsInvalid),
// since the server would answer 400 anyway.
func (c *Client) UpdateSource(ctx context.Context, id string, req *SourceUpdateRequest) (*Source, error) {
	if _, err := sources.itemPath(routeUpdateSource, id, ""); err != nil {
		return nil, err
	}
	if req == nil || req.IsEmpty() {
		return nil, fmt.Errorf("hookstream: %s: %w: no fields to update", routeUpdateSource, ErrInvalid)
	}
	for _, f := range []struct {
		name  string
		value Opt[json.RawMessage]
	}{
		{"verification_config", req.VerificationConfig}, {"json_schema", req.JSONSchema},
	} {
		if v, ok := f.value.Value(); ok && v != nil { // Set(nil) sends null
			if err := checkJSONObject(routeUpdateSource, f.name, v); err != nil {
				return nil, err
			}
		}
	}
	return sources.update(ctx, c, id, req)
}

// checkJSONObject refuses, without a call, a JSON text field that holds neither a JSON object nor null: the server
// would answer 400, and encoding/json's error would quote a character of a value that may be a secret.
func checkJSONObject(route, field string, value json.RawMessage) error {
	trimmed := bytes.TrimSpace(value)
	if !json.Valid(trimmed) || (trimmed[0] != '{' && string(trimmed) != jsonNull) {
		return fmt.Errorf("hookstream: %s: %w: %s is not a JSON object", route, ErrInvalid, field)
	}
	return nil
}

// DeleteSource deletes a source. A missing one answers 404 (IsNotFound), which callers that want an idempotent
// delete treat as success. One that connections still reference answers 409 (IsConflict): delete them first.
func (c *Client) DeleteSource(ctx context.Context, id string) error {
	return sources.delete(ctx, c, id)
}
