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

package emulator

import (
	"context"
	"errors"
	"net/http"
)

// Connection is one connection row exactly as hookstream's store holds it and its API returns it, encoded as
// Destination is. source_name and destination_name are read from the linked rows. Field order follows the
// Connection schema of the OpenAPI contract.
type Connection struct {
	ID                  string  `json:"id"`
	OrgID               string  `json:"org_id"`
	EnvID               string  `json:"env_id"`
	SourceID            string  `json:"source_id"`
	DestinationID       string  `json:"destination_id"`
	Name                string  `json:"name"`
	Description         *string `json:"description"`
	Enabled             int64   `json:"enabled"`
	Status              string  `json:"status"`
	FilterRules         *string `json:"filter_rules"`
	TransformEnabled    int64   `json:"transform_enabled"`
	TransformExpression *string `json:"transform_expression"`
	EventCount          int64   `json:"event_count"`
	LastEventAt         *string `json:"last_event_at"`
	SourceName          *string `json:"source_name"`
	DestinationName     *string `json:"destination_name"`
	CreatedAt           string  `json:"created_at"`
	UpdatedAt           string  `json:"updated_at"`
}

// ErrConnectionNotFound reports an id that matches no connection.
var ErrConnectionNotFound = errors.New("connection not found")

// errLinkNotFound answers a connection create whose source or destination is not in the project: 404
// "Source or destination not found", which does not say which.
var errLinkNotFound = errors.New("source or destination not found")

// errSourceInUse and errDestinationInUse answer 409 to the delete of a row that connections reference.
var (
	errSourceInUse      = errors.New("source has connections")
	errDestinationInUse = errors.New("destination has connections")
)

// connectionRecord is a stored connection row with its insertion sequence, the order lists page by.
type connectionRecord struct {
	Connection
	seq int64
}

type connectionEnvelope struct {
	Connection Connection `json:"connection"`
}

type connectionListEnvelope struct {
	Connections []Connection `json:"connections"`
	Cursor      *string      `json:"cursor"`
	HasMore     bool         `json:"has_more"`
}

// Connection returns a stored row of any project.
func (s *Server) Connection(ctx context.Context, id string) (Connection, error) {
	r, err := s.store.connections.lookup(ctx, "", id)
	return r.Connection, err
}

func (s *Server) listConnections(c *call) {
	q, query, ok := s.parseListQuery(c)
	if !ok {
		return
	}
	q.sourceID, q.destinationID = query.Get("source_id"), query.Get("destination_id")
	records, cursor, err := listRows(c.r.Context(), q, s.store.connections.listPage,
		func(r connectionRecord) int64 { return r.seq })
	if err != nil {
		s.internalError(c, err)
		return
	}
	page := connectionListEnvelope{Connections: make([]Connection, 0, len(records)), Cursor: cursor, HasMore: cursor != nil}
	for _, r := range records {
		page.Connections = append(page.Connections, r.Connection)
	}
	writeJSON(c.w, http.StatusOK, page)
}

func (s *Server) createConnection(c *call) {
	fields, ok := s.readObject(c)
	if !ok {
		return
	}
	now := formatTime(s.now())
	r := connectionRecord{Connection: Connection{
		ID:        randomHex(16),
		OrgID:     c.project.OrgID,
		EnvID:     c.project.EnvID,
		Enabled:   1,
		Status:    "active",
		CreatedAt: now,
		UpdatedAt: now,
	}}
	if err := connectionBody.apply(newConnectionDraft(&r.Connection), fields, createBody); err != nil {
		s.writeFailure(c, err)
		return
	}
	if err := s.store.createConnection(c.r.Context(), &r); err != nil {
		s.writeFailure(c, err)
		return
	}
	writeJSON(c.w, http.StatusCreated, connectionEnvelope{Connection: r.Connection})
}

func (s *Server) getConnection(c *call) {
	r, err := s.store.connections.lookup(c.r.Context(), c.project.EnvID, c.id)
	if err != nil {
		s.writeFailure(c, err)
		return
	}
	writeJSON(c.w, http.StatusOK, connectionEnvelope{Connection: r.Connection})
}

func (s *Server) updateConnection(c *call) {
	fields, ok := s.readObject(c)
	if !ok {
		return
	}
	if len(fields) == 0 {
		s.writeFailure(c, errNoFieldsToUpdate)
		return
	}
	r, err := s.store.connections.modify(c.r.Context(), c.project.EnvID, c.id, func(r *connectionRecord) error {
		if err := connectionBody.apply(newConnectionDraft(&r.Connection), fields, patchBody); err != nil {
			return err
		}
		r.UpdatedAt = formatTime(s.now())
		return nil
	})
	if err != nil {
		s.writeFailure(c, err)
		return
	}
	writeJSON(c.w, http.StatusOK, connectionEnvelope{Connection: r.Connection})
}

// deleteConnection removes a connection. Deliveries it already queued stay queued and still run.
func (s *Server) deleteConnection(c *call) {
	if err := s.store.connections.delete(c.r.Context(), c.project.EnvID, c.id); err != nil {
		s.writeFailure(c, err)
		return
	}
	writeJSON(c.w, http.StatusOK, map[string]bool{"success": true})
}
