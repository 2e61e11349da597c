// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator

import (
	"context"
	"database/sql"
	"errors"
)

const connectionSchemaSQL = `
CREATE TABLE IF NOT EXISTS connections (
	seq                  INTEGER PRIMARY KEY AUTOINCREMENT,
	id                   TEXT    NOT NULL UNIQUE,
	org_id               TEXT    NOT NULL,
	env_id               TEXT    NOT NULL,
	source_id            TEXT    NOT NULL,
	destination_id       TEXT    NOT NULL,
	name                 TEXT    NOT NULL,
	description          TEXT,
	enabled              INTEGER NOT NULL,
	status               TEXT    NOT NULL,
	filter_rules         TEXT,
	transform_enabled    INTEGER NOT NULL,
	transform_expression TEXT,
	event_count          INTEGER NOT NULL DEFAULT 0,
	last_event_at        TEXT,
	created_at           TEXT    NOT NULL,
	updated_at           TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS connections_env_seq ON connections (env_id, seq);
CREATE INDEX IF NOT EXISTS connections_source ON connections (source_id, seq);
CREATE INDEX IF NOT EXISTS connections_destination ON connections (destination_id);

CREATE TABLE IF NOT EXISTS deliveries (
	seq            INTEGER PRIMARY KEY AUTOINCREMENT,
	id             TEXT    NOT NULL UNIQUE,
	event_id       TEXT    NOT NULL,
	connection_id  TEXT    NOT NULL,
	destination_id TEXT    NOT NULL,
	status         TEXT    NOT NULL,
	body           BLOB,
	content_type   TEXT,
	attempts       INTEGER NOT NULL DEFAULT 0,
	created_at     TEXT    NOT NULL,
	completed_at   TEXT
);
CREATE INDEX IF NOT EXISTS deliveries_queue ON deliveries (destination_id, status, seq);
CREATE INDEX IF NOT EXISTS deliveries_connection ON deliveries (connection_id, seq);

CREATE TABLE IF NOT EXISTS delivery_attempts (
	seq             INTEGER PRIMARY KEY AUTOINCREMENT,
	delivery_id     TEXT    NOT NULL,
	attempt         INTEGER NOT NULL,
	attempted_at    TEXT    NOT NULL,
	succeeded       INTEGER NOT NULL,
	response_status INTEGER,
	error           TEXT
);
CREATE INDEX IF NOT EXISTS delivery_attempts_delivery ON delivery_attempts (delivery_id, seq);
`

// connectionSelect reads connection rows with the current names of their source and destination.
const connectionSelect = `SELECT c.seq, c.id, c.org_id, c.env_id, c.source_id, c.destination_id, c.name,
	c.description, c.enabled, c.status, c.filter_rules, c.transform_enabled, c.transform_expression,
	c.event_count, c.last_event_at, s.name, d.name, c.created_at, c.updated_at
	FROM connections c
	LEFT JOIN sources s ON s.id = c.source_id
	LEFT JOIN destinations d ON d.id = c.destination_id`

const deliveryColumns = `id, event_id, connection_id, destination_id, status, body, content_type, attempts,
	created_at, completed_at`

type connectionStatements struct {
	insert, sourceExists, destinationExists                                   *sql.Stmt
	sourceReferenced, destinationReferenced, ofSource, countRouted            *sql.Stmt
	insertDelivery, insertAttempt, nextQueued, updateDelivery, listDeliveries *sql.Stmt
	listAttempts, queuedDestinations, countQueued                             *sql.Stmt
	removeDestinationAttempts, removeDestinationDeliveries                    *sql.Stmt
	// removeOfSource and removeOfDestination delete the connections of a deleted end (cascade-delete);
	// nameTaken tells whether another connection of the project has a name (unique-connection-names).
	removeOfSource, removeOfDestination, nameTaken *sql.Stmt
}

func (s *store) connectionStatements() []statement {
	st, t := &s.conn, &s.connections
	return []statement{
		{&st.insert, `INSERT INTO connections (id, org_id, env_id, source_id, destination_id, name, description,
			enabled, status, filter_rules, transform_enabled, transform_expression, event_count, last_event_at,
			created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&t.get, connectionSelect + ` WHERE c.env_id = ? AND c.id = ?`},
		{&t.getAny, connectionSelect + ` WHERE c.id = ?`},
		{&t.list, connectionSelect + `
			WHERE c.env_id = ?1 AND c.seq < ?2 AND (?3 = '' OR c.status = ?3) AND (?4 = '' OR c.source_id = ?4)
			AND (?5 = '' OR c.destination_id = ?5) ORDER BY c.seq DESC LIMIT ?6`},
		{&t.update, `UPDATE connections SET name = ?, description = ?, enabled = ?, status = ?, filter_rules = ?,
			transform_enabled = ?, transform_expression = ?, updated_at = ? WHERE env_id = ? AND id = ?`},
		{&t.remove, `DELETE FROM connections WHERE env_id = ? AND id = ?`},
		{&st.sourceExists, `SELECT EXISTS (SELECT 1 FROM sources WHERE env_id = ? AND id = ?)`},
		{&st.destinationExists, `SELECT EXISTS (SELECT 1 FROM destinations WHERE env_id = ? AND id = ?)`},
		{&st.sourceReferenced, `SELECT EXISTS (SELECT 1 FROM connections WHERE env_id = ? AND source_id = ?)`},
		{&st.destinationReferenced, `SELECT EXISTS (SELECT 1 FROM connections WHERE env_id = ? AND destination_id = ?)`},
		{&st.ofSource, `SELECT c.seq, c.id, c.org_id, c.env_id, c.source_id, c.destination_id, c.name, c.description,
			c.enabled, c.status, c.filter_rules, c.transform_enabled, c.transform_expression, c.event_count,
			c.last_event_at, NULL, d.name, c.created_at, c.updated_at, d.status
			FROM connections c JOIN destinations d ON d.id = c.destination_id
			WHERE c.source_id = ? ORDER BY c.seq`},
		{&st.countRouted, `UPDATE connections SET event_count = event_count + 1, last_event_at = ? WHERE id = ?`},
		{&st.insertDelivery, `INSERT INTO deliveries (` + deliveryColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&st.insertAttempt, `INSERT INTO delivery_attempts (delivery_id, attempt, attempted_at, succeeded,
			response_status, error) VALUES (?, ?, ?, ?, ?, ?)`},
		{&st.nextQueued, `SELECT ` + deliveryColumns + ` FROM deliveries
			WHERE destination_id = ? AND status = 'queued' ORDER BY seq LIMIT 1`},
		{&st.updateDelivery, `UPDATE deliveries SET status = ?, attempts = ?, completed_at = ? WHERE id = ?`},
		{&st.listDeliveries, `SELECT ` + deliveryColumns + ` FROM deliveries WHERE connection_id = ? ORDER BY seq`},
		{&st.listAttempts, `SELECT a.delivery_id, a.attempt, a.attempted_at, a.succeeded, a.response_status, a.error
			FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id
			WHERE d.connection_id = ? ORDER BY a.seq`},
		{&st.queuedDestinations, `SELECT DISTINCT destination_id FROM deliveries WHERE status = 'queued'`},
		{&st.countQueued, `SELECT COUNT(*) FROM deliveries WHERE status = 'queued'`},
		{&st.removeDestinationAttempts, `DELETE FROM delivery_attempts
			WHERE delivery_id IN (SELECT id FROM deliveries WHERE destination_id = ?)`},
		{&st.removeDestinationDeliveries, `DELETE FROM deliveries WHERE destination_id = ?`},
		{&st.removeOfSource, `DELETE FROM connections WHERE source_id = ?`},
		{&st.removeOfDestination, `DELETE FROM connections WHERE destination_id = ?`},
		{&st.nameTaken, `SELECT EXISTS (SELECT 1 FROM connections WHERE env_id = ? AND name = ? AND id <> ?)`},
	}
}

func connectionTargets(r *connectionRecord) []any {
	c := &r.Connection
	return []any{&r.seq, &c.ID, &c.OrgID, &c.EnvID, &c.SourceID, &c.DestinationID, &c.Name, &c.Description,
		&c.Enabled, &c.Status, &c.FilterRules, &c.TransformEnabled, &c.TransformExpression, &c.EventCount,
		&c.LastEventAt, &c.SourceName, &c.DestinationName, &c.CreatedAt, &c.UpdatedAt}
}

// connectionTable describes the connections table. Deleting a connection leaves the deliveries it queued:
// they still run.
func (s *store) connectionTable() table[connectionRecord] {
	return table[connectionRecord]{
		store:   s,
		scan:    scanInto(connectionTargets),
		seq:     func(r connectionRecord) int64 { return r.seq },
		filters: func(q listQuery) []any { return []any{q.status, q.sourceID, q.destinationID} },
		mutable: func(r *connectionRecord) []any {
			c := &r.Connection
			return []any{c.Name, c.Description, c.Enabled, c.Status, c.FilterRules, c.TransformEnabled,
				c.TransformExpression, c.UpdatedAt}
		},
		notFound: ErrConnectionNotFound,
		// A rename checks the name under the store lock, as a create does.
		check: func(ctx context.Context, r *connectionRecord) error { return s.checkConnectionName(ctx, &r.Connection) },
	}
}

// errConnectionNameTaken answers 409 to a connection whose name another connection of the project has, under
// unique-connection-names.
var errConnectionNameTaken = errors.New("connection name already exists")

// checkConnectionName refuses a name another connection of the project has, under unique-connection-names. The
// caller holds the store lock.
func (s *store) checkConnectionName(ctx context.Context, c *Connection) error {
	if !s.refs.uniqueConnectionNames {
		return nil
	}
	var taken bool
	if err := s.conn.nameTaken.QueryRowContext(ctx, c.EnvID, c.Name, c.ID).Scan(&taken); err != nil {
		return err
	}
	if taken {
		return errConnectionNameTaken
	}
	return nil
}

// createConnection inserts r when its source and destination exist in its project, and reads back the
// names of both. The checks and the insert are one step under the store lock, so a concurrent delete of
// the source or destination either sees the connection (409) or happens before it (404).
func (s *store) createConnection(ctx context.Context, r *connectionRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	links := []struct {
		exists *sql.Stmt
		id     string
	}{{s.conn.sourceExists, r.SourceID}, {s.conn.destinationExists, r.DestinationID}}
	for _, link := range links {
		var found bool
		if err := link.exists.QueryRowContext(ctx, r.EnvID, link.id).Scan(&found); err != nil {
			return err
		}
		if !found {
			return errLinkNotFound
		}
	}
	c := &r.Connection
	if err := s.checkConnectionName(ctx, c); err != nil {
		return err
	}
	_, err := s.conn.insert.ExecContext(ctx, c.ID, c.OrgID, c.EnvID, c.SourceID, c.DestinationID, c.Name,
		c.Description, c.Enabled, c.Status, c.FilterRules, c.TransformEnabled, c.TransformExpression,
		c.EventCount, c.LastEventAt, c.CreatedAt, c.UpdatedAt)
	if err != nil {
		return err
	}
	*r, err = s.connections.lookupLocked(ctx, r.EnvID, r.ID)
	return err
}

// routeCandidate is a connection of a source with the status of its destination, as routing reads them.
type routeCandidate struct {
	connectionRecord
	destinationStatus string
}

// connectionsOfSource lists the connections of a source, oldest first, with their destinations' status.
func (s *store) connectionsOfSource(ctx context.Context, sourceID string) ([]routeCandidate, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rows, err := s.conn.ofSource.QueryContext(ctx, sourceID)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	var candidates []routeCandidate
	for rows.Next() {
		var c routeCandidate
		if err := rows.Scan(append(connectionTargets(&c.connectionRecord), &c.destinationStatus)...); err != nil {
			return nil, err
		}
		candidates = append(candidates, c)
	}
	return candidates, rows.Err()
}

// insertRouted records, inside recordEvent's transaction, what routing decided for an original event: each
// connection that routed it counts it, and gets its delivery (queued, or failed by its transform). A
// connection deleted since routing read it routes nothing.
func (s *store) insertRouted(ctx context.Context, tx *sql.Tx, ev *eventRecord, routed []deliveryRecord) ([]string, error) {
	var queuedFor []string
	for i := range routed {
		d := &routed[i]
		res, err := tx.StmtContext(ctx, s.conn.countRouted).ExecContext(ctx, ev.ReceivedAt, d.ConnectionID)
		if err != nil {
			return nil, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, err
		}
		if n == 0 {
			continue
		}
		if _, err := tx.StmtContext(ctx, s.conn.insertDelivery).ExecContext(ctx, d.ID, d.EventID, d.ConnectionID,
			d.DestinationID, d.Status, d.body, d.ContentType, len(d.Attempts), d.CreatedAt, d.CompletedAt); err != nil {
			return nil, err
		}
		for _, a := range d.Attempts {
			if err := s.insertAttempt(ctx, tx, d.ID, a); err != nil {
				return nil, err
			}
		}
		if d.Status == deliveryQueued {
			queuedFor = append(queuedFor, d.DestinationID)
		}
	}
	return queuedFor, nil
}

func (s *store) insertAttempt(ctx context.Context, tx *sql.Tx, deliveryID string, a DeliveryAttempt) error {
	_, err := tx.StmtContext(ctx, s.conn.insertAttempt).ExecContext(ctx, deliveryID, a.Attempt, a.AttemptedAt,
		boolInt(a.Succeeded), a.ResponseStatus, a.Error)
	return err
}

func scanDelivery(row rowScanner) (deliveryRecord, error) {
	var d deliveryRecord
	var attempts int
	err := row.Scan(&d.ID, &d.EventID, &d.ConnectionID, &d.DestinationID, &d.Status, &d.body, &d.ContentType,
		&attempts, &d.CreatedAt, &d.CompletedAt)
	d.attemptsMade = attempts
	return d, err
}

// nextQueued returns the oldest queued delivery of a destination; false when there is none.
func (s *store) nextQueued(ctx context.Context, destinationID string) (deliveryRecord, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := scanDelivery(s.conn.nextQueued.QueryRowContext(ctx, destinationID))
	if errors.Is(err, sql.ErrNoRows) {
		return deliveryRecord{}, false, nil
	}
	return d, err == nil, err
}

// deliveryStep is what one turn of a destination's scheduler did: the attempts it made for one delivery,
// the delivery's new state, and the destination's counters and circuit after them.
type deliveryStep struct {
	delivery       *deliveryRecord
	attempts       []DeliveryAttempt
	destination    *record
	routed         int64
	lastDeliveryAt *string
}

// saveDeliveryStep stores a scheduler turn in one transaction.
func (s *store) saveDeliveryStep(ctx context.Context, step deliveryStep) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inTx(ctx, func(tx *sql.Tx) error {
		d := step.delivery
		if _, err := tx.StmtContext(ctx, s.conn.updateDelivery).ExecContext(ctx, d.Status, d.attemptsMade,
			d.CompletedAt, d.ID); err != nil {
			return err
		}
		for _, a := range step.attempts {
			if err := s.insertAttempt(ctx, tx, d.ID, a); err != nil {
				return err
			}
		}
		c := step.destination.circuit
		_, err := tx.StmtContext(ctx, s.recordDelivery).ExecContext(ctx, step.routed, step.lastDeliveryAt,
			c.state, c.failureCount, c.openedAtMS, c.transitionAt, step.destination.ID)
		return err
	})
}

// connectionDeliveries lists the deliveries of a connection, oldest first, each with its attempts.
func (s *store) connectionDeliveries(ctx context.Context, connectionID string) ([]deliveryRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rows, err := s.conn.listDeliveries.QueryContext(ctx, connectionID)
	if err != nil {
		return nil, err
	}
	var deliveries []deliveryRecord
	index := map[string]int{}
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			_ = rows.Close()
			return nil, err
		}
		d.Attempts = []DeliveryAttempt{}
		index[d.ID] = len(deliveries)
		deliveries = append(deliveries, d)
	}
	_ = rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = s.conn.listAttempts.QueryContext(ctx, connectionID)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var deliveryID string
		var a DeliveryAttempt
		var succeeded int64
		if err := rows.Scan(&deliveryID, &a.Attempt, &a.AttemptedAt, &succeeded, &a.ResponseStatus, &a.Error); err != nil {
			return nil, err
		}
		a.Succeeded = succeeded == 1
		if i, ok := index[deliveryID]; ok {
			deliveries[i].Attempts = append(deliveries[i].Attempts, a)
		}
	}
	return deliveries, rows.Err()
}

// queuedDestinations lists the destinations that have queued deliveries, and how many deliveries wait.
func (s *store) queuedDestinations(ctx context.Context) ([]string, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var count int
	if err := s.conn.countQueued.QueryRowContext(ctx).Scan(&count); err != nil {
		return nil, 0, err
	}
	rows, err := s.conn.queuedDestinations.QueryContext(ctx)
	if err != nil {
		return nil, 0, err
	}
	defer func() { _ = rows.Close() }()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, 0, err
		}
		ids = append(ids, id)
	}
	return ids, count, rows.Err()
}
