// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// maxBodyBytes bounds request bodies: a destination or a source is a few kilobytes at most, and an ingested
// payload over 1 MiB answers 413.
const maxBodyBytes = 1 << 20

const (
	defaultPageSize = 20
	maxPageSize     = 100
)

type circuitEnvelope struct {
	Circuit Circuit `json:"circuit"`
}

// destinationResource serves destinations: secrets masked, and an updated destination's deliveries kicked.
func (s *Server) destinationResource() resource[record, *draft] {
	return resource[record, *draft]{
		server: s,
		rows:   &s.store.destinations,
		name:   "destination",
		names:  "destinations",
		show: func(_ *call, r record) any {
			if s.variants.rewritesRows() || s.variants.secretPlaintext || s.variants.secretOtherMask {
				return s.variants.rewrite(r.maskedWith(s.secretView), destinationShape)
			}
			return r.masked()
		},
		body:    &destinationBody,
		draftOf: func(r *record) *draft { return newDraft(&r.Destination) },
		touch:   func(r *record, now string) { r.UpdatedAt = now },
		filters: destinationTypeFilter,
		// A destination that is active again drains what it queued while paused; a new policy applies at once.
		updated: func(r record) { s.kick(r.ID) },
	}
}

// destinationTypeFilter reads the type a list of destinations is filtered by, long or short.
func destinationTypeFilter(c *call, query url.Values, q *listQuery) bool {
	if raw := query.Get("type"); raw != "" {
		long, ok := canonicalType(raw)
		if !ok {
			writeError(c.w, c.requestID, http.StatusBadRequest,
				"Invalid query: 'type' must be one of "+strings.Join(destinationTypes, ", "))
			return false
		}
		q.typ = long
	}
	return true
}

// parseListQuery reads what every list call shares: limit, cursor and the status filter. It answers 400
// itself when one of them is bad, and returns the whole query for the filters of one resource.
func (s *Server) parseListQuery(c *call) (listQuery, url.Values, bool) {
	query, err := url.ParseQuery(c.r.URL.RawQuery)
	if err != nil {
		writeError(c.w, c.requestID, http.StatusBadRequest, "Invalid query: malformed query string")
		return listQuery{}, nil, false
	}
	q := listQuery{envID: c.project.EnvID, limit: defaultPageSize}
	if s.variants.singlePage {
		// One page holds every row: there is no cursor to ask for the next.
		q.limit = math.MaxInt32
	}
	// An empty parameter counts as absent, the way clients that always send every parameter expect.
	if raw := query.Get("limit"); raw != "" {
		limit, err := strconv.Atoi(raw)
		if err != nil || limit < 1 || limit > maxPageSize {
			writeError(c.w, c.requestID, http.StatusBadRequest,
				fmt.Sprintf("Invalid query: 'limit' must be an integer between 1 and %d", maxPageSize))
			return listQuery{}, nil, false
		}
		if !s.variants.singlePage {
			q.limit = limit
		}
	}
	if raw := query.Get("cursor"); raw != "" {
		seq, ok := decodeCursor(raw)
		if !ok {
			writeError(c.w, c.requestID, http.StatusBadRequest, "Invalid query: 'cursor' is not a cursor this API returned")
			return listQuery{}, nil, false
		}
		q.beforeSeq = seq
	}
	if raw := query.Get("status"); raw != "" {
		if !slices.Contains(statuses, raw) {
			writeError(c.w, c.requestID, http.StatusBadRequest,
				"Invalid query: 'status' must be one of "+strings.Join(statuses, ", "))
			return listQuery{}, nil, false
		}
		q.status = raw
	}
	return q, query, true
}

// listRows fetches one page of rows, newest first. One row more than the page tells whether another page
// follows without a second query; the cursor, the sequence of the page's last row, is nil on the last page.
func listRows[R any](ctx context.Context, q listQuery, fetch func(context.Context, listQuery) ([]R, error),
	seq func(R) int64) ([]R, *string, error) {
	pageSize := q.limit
	q.limit++
	rows, err := fetch(ctx, q)
	if err != nil || len(rows) <= pageSize {
		return rows, nil, err
	}
	rows = rows[:pageSize]
	cursor := encodeCursor(seq(rows[len(rows)-1]))
	return rows, &cursor, nil
}

func (s *Server) createDestination(c *call) {
	s.destinations.create(c, func(now string) record {
		return record{
			Destination: Destination{
				ID:        s.newID("dst_"),
				OrgID:     c.project.OrgID,
				EnvID:     c.project.EnvID,
				Method:    http.MethodPost,
				TimeoutMS: defaultTimeoutMS,
				AuthType:  "none",
				Status:    "active",
				Type:      typeHTTP,
				CreatedAt: now,
				UpdatedAt: now,
			},
			circuit: circuitRecord{state: CircuitClosed},
		}
	}, func(ctx context.Context, r *record) error {
		return slugFailure(s.store.create(ctx, r, s.opts.MaxDestinations),
			fmt.Sprintf("Destination with slug '%s' already exists", r.Slug),
			fmt.Sprintf("Plan limit reached: %d destinations", s.opts.MaxDestinations))
	})
}

// answerError is a failure that answers with its own status and message.
type answerError struct {
	status  int
	message string
}

func (e *answerError) Error() string { return e.message }

// slugFailure turns a refused insert of a row with a slug into its answer: 409 with taken for a slug the
// project has, 403 with limit at the plan limit.
func slugFailure(err error, taken, limit string) error {
	switch {
	case errors.Is(err, errSlugTaken):
		return &answerError{http.StatusConflict, taken}
	case errors.Is(err, errPlanLimit):
		return &answerError{http.StatusForbidden, limit}
	}
	return err
}

func (s *Server) getCircuit(c *call) {
	r, err := s.store.destinations.lookup(c.r.Context(), c.project.EnvID, c.id)
	if err != nil {
		s.writeFailure(c, err)
		return
	}
	writeJSON(c.w, http.StatusOK, circuitEnvelope{Circuit: r.circuitView(s.now())})
}

func (s *Server) resetCircuit(c *call) {
	// Deliveries to the destination record the circuit they worked with when they end: a reset in their midst
	// would be lost without the destination's delivery lock.
	unlock := s.lockDestination(c.id)
	defer unlock()
	now := s.now()
	r, err := s.store.saveCircuit(c.r.Context(), c.project.EnvID, c.id, func(r *record) {
		r.resetCircuit(now)
	})
	if err != nil {
		s.writeFailure(c, err)
		return
	}
	s.kick(r.ID) // what the open circuit held goes now
	writeJSON(c.w, http.StatusOK, circuitEnvelope{Circuit: r.circuitView(now)})
}

// readObject reads the request body as a JSON object, answering 400 (or 413) itself when it is not one.
func (s *Server) readObject(c *call) (map[string]json.RawMessage, bool) {
	body, ok := s.readBody(c)
	if !ok {
		return nil, false
	}
	fields, err := parseObject(body)
	if err != nil {
		s.writeFailure(c, err)
		return nil, false
	}
	return fields, true
}

// readBody reads the request body, answering 413 itself when it is over maxBodyBytes (400 when it cannot be
// read at all).
func (s *Server) readBody(c *call) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(c.w, c.r.Body, maxBodyBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			writeError(c.w, c.requestID, http.StatusRequestEntityTooLarge,
				fmt.Sprintf("Request body too large: at most %d bytes", maxBodyBytes))
			return nil, false
		}
		writeError(c.w, c.requestID, http.StatusBadRequest, "Invalid body: could not read the request body")
		return nil, false
	}
	return body, true
}

// failures are the errors of validation and the store that answer with their own status and message.
var failures = []struct {
	err     error
	status  int
	message string
}{
	{ErrNotFound, http.StatusNotFound, "Destination not found"},
	{ErrSourceNotFound, http.StatusNotFound, "Source not found"},
	{ErrConnectionNotFound, http.StatusNotFound, "Connection not found"},
	{errLinkNotFound, http.StatusNotFound, "Source or destination not found"},
	{errConnectionNameTaken, http.StatusConflict, "Connection name already exists"},
	{errSourceInUse, http.StatusConflict, "Cannot delete a source that has connections"},
	{errDestinationInUse, http.StatusConflict, "Cannot delete a destination that has connections"},
	{errForbidden, http.StatusForbidden, "Forbidden"},
}

// writeFailure answers an error from validation or the store with its status code.
func (s *Server) writeFailure(c *call, err error) {
	if invalid, ok := errors.AsType[*invalidBodyError](err); ok {
		writeError(c.w, c.requestID, http.StatusBadRequest, invalid.message)
		return
	}
	if answer, ok := errors.AsType[*answerError](err); ok {
		writeError(c.w, c.requestID, answer.status, answer.message)
		return
	}
	for _, f := range failures {
		if errors.Is(err, f.err) {
			writeError(c.w, c.requestID, f.status, f.message)
			return
		}
	}
	s.internalError(c, err)
}

func (s *Server) internalError(c *call, err error) {
	s.logger.Error("request failed", "request_id", c.requestID, "error", err)
	writeError(c.w, c.requestID, http.StatusInternalServerError, "Internal server error")
}
