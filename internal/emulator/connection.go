// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
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

// Connection returns a stored row of any project.
func (s *Server) Connection(ctx context.Context, id string) (Connection, error) {
	r, err := s.store.connections.lookup(ctx, "", id)
	return r.Connection, err
}

// connectionResource serves connections, which hold no secrets, listed by source and destination too.
func (s *Server) connectionResource() resource[connectionRecord, *connectionDraft] {
	return resource[connectionRecord, *connectionDraft]{
		server: s,
		rows:   &s.store.connections,
		name:   "connection",
		names:  "connections",
		show: func(_ *call, r connectionRecord) any {
			if s.variants.rewritesRows() {
				return s.variants.rewrite(r.Connection, connectionShape)
			}
			return r.Connection
		},
		finish:  s.finishConnectionVariants,
		body:    &connectionBody,
		draftOf: func(r *connectionRecord) *connectionDraft { return newConnectionDraft(&r.Connection) },
		touch:   func(r *connectionRecord, now string) { r.UpdatedAt = now },
		filters: func(_ *call, query url.Values, q *listQuery) bool {
			q.sourceID, q.destinationID = query.Get("source_id"), query.Get("destination_id")
			return true
		},
	}
}

func (s *Server) createConnection(c *call) {
	s.connections.create(c, func(now string) connectionRecord {
		return connectionRecord{Connection: Connection{
			ID:        s.newID("conn_"),
			OrgID:     c.project.OrgID,
			EnvID:     c.project.EnvID,
			Enabled:   1,
			Status:    "active",
			CreatedAt: now,
			UpdatedAt: now,
		}}
	}, s.store.createConnection)
}

// finishConnectionVariants applies what the variants change in a connection a create or a PATCH wrote. Under
// coupled-enabled-status, status and enabled are one setting: a status sent sets enabled (0 for disabled, else
// 1); enabled sent alone sets status (disabled for 0, active for 1 when it was disabled). Under jsonata-400, a
// transform_expression that does not compile answers 400.
func (s *Server) finishConnectionVariants(r *connectionRecord, fields map[string]json.RawMessage) error {
	c := &r.Connection
	if s.variants.coupledEnabledStatus {
		_, statusSent := fields["status"]
		_, enabledSent := fields["enabled"]
		switch {
		case statusSent:
			c.Enabled = boolInt(c.Status != "disabled")
		case enabledSent && c.Enabled == 0:
			c.Status = "disabled"
		case enabledSent && c.Status == "disabled":
			c.Status = "active"
		}
	}
	if _, sent := fields["transform_expression"]; sent && s.variants.jsonata400 &&
		c.TransformExpression != nil && *c.TransformExpression != "" {
		if _, err := compileTransform(*c.TransformExpression); err != nil {
			return invalidField("'transform_expression' is not a valid JSONata expression: %v", err)
		}
	}
	return nil
}
