// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
)

// resource is one resource (destinations, sources, connections) as the handlers they share serve it: list,
// get, update and delete. A row of type R is edited through a draft of type D that the resource's body rules
// check. Create stays with each resource: its defaults and its conflicts are its own.
type resource[R, D any] struct {
	server *Server
	rows   *table[R]
	// name is the member of the envelope that answers with one row ("destination"); names is the member of a
	// list page ("destinations").
	name, names string
	// show returns a row as the API shows it: secrets masked.
	show func(*call, R) any
	// body holds the rules of the request bodies, which edit draftOf(row).
	body    *bodyRules[D]
	draftOf func(*R) D
	// touch sets the updated_at of a row.
	touch func(r *R, now string)
	// filters, when set, reads the list filters of the resource's own into q; it answers 400 itself when one
	// is bad.
	filters func(c *call, query url.Values, q *listQuery) bool
	// finish, when set, completes a row a PATCH edited, after the body rules: what the variants change.
	finish func(r *R, fields map[string]json.RawMessage) error
	// updated, when set, runs after a row was updated.
	updated func(R)
}

func (res *resource[R, D]) list(c *call) {
	s := res.server
	q, query, ok := s.parseListQuery(c)
	if !ok {
		return
	}
	if res.filters != nil && !res.filters(c, query, &q) {
		return
	}
	records, cursor, err := listRows(c.r.Context(), q, res.rows.listPage, res.rows.seq)
	if err != nil {
		s.internalError(c, err)
		return
	}
	page := listEnvelope{names: res.names, rows: make([]any, 0, len(records)), cursor: cursor,
		unpaged: s.variants.singlePage}
	if s.variants.staleCursor && cursor == nil {
		// The last page still names a cursor: the one after its last row, which lists nothing more.
		last := int64(1)
		if len(records) > 0 {
			last = res.rows.seq(records[len(records)-1])
		}
		stale := encodeCursor(last)
		page.cursor, page.stale = &stale, true
	}
	for _, r := range records {
		page.rows = append(page.rows, res.show(c, r))
	}
	writeJSON(c.w, http.StatusOK, page)
}

// create serves a POST: the row newRow makes with the time, edited by the body and finish, stored by insert.
func (res *resource[R, D]) create(c *call, newRow func(now string) R, insert func(context.Context, *R) error) {
	s := res.server
	fields, ok := s.readObject(c)
	if !ok {
		return
	}
	r := newRow(formatTime(s.now()))
	if err := res.body.apply(res.draftOf(&r), fields, createBody); err != nil {
		s.writeFailure(c, err)
		return
	}
	if res.finish != nil {
		if err := res.finish(&r, fields); err != nil {
			s.writeFailure(c, err)
			return
		}
	}
	if err := insert(c.r.Context(), &r); err != nil {
		s.writeFailure(c, err)
		return
	}
	writeJSON(c.w, http.StatusCreated, res.envelope(c, r))
}

func (res *resource[R, D]) get(c *call) {
	r, err := res.rows.lookup(c.r.Context(), c.project.EnvID, c.id)
	if err != nil {
		res.server.writeFailure(c, err)
		return
	}
	writeJSON(c.w, http.StatusOK, res.envelope(c, r))
}

func (res *resource[R, D]) update(c *call) {
	s := res.server
	fields, ok := s.readObject(c)
	if !ok {
		return
	}
	if len(fields) == 0 {
		s.writeFailure(c, errNoFieldsToUpdate)
		return
	}
	r, err := res.rows.modify(c.r.Context(), c.project.EnvID, c.id, func(r *R) error {
		if err := res.body.apply(res.draftOf(r), fields, patchBody); err != nil {
			return err
		}
		if res.finish != nil {
			if err := res.finish(r, fields); err != nil {
				return err
			}
		}
		res.touch(r, formatTime(s.now()))
		return nil
	})
	if err != nil {
		s.writeFailure(c, err)
		return
	}
	if res.updated != nil {
		res.updated(r)
	}
	writeJSON(c.w, http.StatusOK, res.envelope(c, r))
}

func (res *resource[R, D]) delete(c *call) {
	if err := res.rows.delete(c.r.Context(), c.project.EnvID, c.id); err != nil {
		res.server.writeFailure(c, err)
		return
	}
	writeJSON(c.w, http.StatusOK, map[string]bool{"success": true})
}

// envelope is the answer with one row: {"destination": {...}}.
func (res *resource[R, D]) envelope(c *call, r R) map[string]any {
	return map[string]any{res.name: res.show(c, r)}
}

// listEnvelope is the answer of a list call: {"destinations": [...], "cursor": ..., "has_more": ...}, or
// {"destinations": [...]} alone when it is not paged (single-page).
type listEnvelope struct {
	names  string
	rows   []any
	cursor *string
	// stale marks a cursor on the last page (stale-cursor): has_more is false all the same.
	stale bool
	// unpaged leaves cursor and has_more out (single-page).
	unpaged bool
}

// MarshalJSON writes the members in the order of the contract's list schemas, which a map would sort, and
// like writeJSON leaves <, > and & unescaped. The newlines Encode ends each value with are whitespace, which
// encoding/json compacts away.
func (e listEnvelope) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	buf.WriteString(`{` + strconv.Quote(e.names) + `:`)
	if err := enc.Encode(e.rows); err != nil {
		return nil, err
	}
	if e.unpaged {
		buf.WriteString(`}`)
		return buf.Bytes(), nil
	}
	buf.WriteString(`,"cursor":`)
	if err := enc.Encode(e.cursor); err != nil {
		return nil, err
	}
	buf.WriteString(`,"has_more":` + strconv.FormatBool(e.cursor != nil && !e.stale) + `}`)
	return buf.Bytes(), nil
}
