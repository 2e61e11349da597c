// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	_ "github.com/ncruces/go-sqlite3/driver" // registers the "sqlite3" database/sql driver
)

// schemaVersion is stored in PRAGMA user_version so that a database file from an incompatible build is
// refused instead of misread. Version 2 added sources and events, version 3 connections and deliveries; an
// older file gains the tables it lacks.
const schemaVersion = 3

const schemaSQL = `
CREATE TABLE IF NOT EXISTS destinations (
	seq                       INTEGER PRIMARY KEY AUTOINCREMENT,
	id                        TEXT    NOT NULL UNIQUE,
	org_id                    TEXT    NOT NULL,
	env_id                    TEXT    NOT NULL,
	name                      TEXT    NOT NULL,
	slug                      TEXT    NOT NULL,
	url                       TEXT    NOT NULL,
	method                    TEXT    NOT NULL,
	headers                   TEXT,
	timeout_ms                INTEGER NOT NULL,
	auth_type                 TEXT    NOT NULL,
	auth_config               TEXT,
	status                    TEXT    NOT NULL,
	event_count               INTEGER NOT NULL DEFAULT 0,
	last_delivery_at          TEXT,
	created_at                TEXT    NOT NULL,
	updated_at                TEXT    NOT NULL,
	retry_enabled             INTEGER,
	retry_max_attempts        INTEGER,
	retry_backoff_type        TEXT,
	retry_intervals           TEXT,
	circuit_breaker_enabled   INTEGER,
	circuit_breaker_threshold INTEGER,
	circuit_breaker_reset_ms  INTEGER,
	type                      TEXT    NOT NULL,
	provider_config           TEXT,
	circuit_state             TEXT    NOT NULL DEFAULT 'closed',
	circuit_failure_count     INTEGER NOT NULL DEFAULT 0,
	circuit_opened_at_ms      INTEGER,
	circuit_transition_at     TEXT,
	UNIQUE (env_id, slug)
);
CREATE INDEX IF NOT EXISTS destinations_env_seq ON destinations (env_id, seq);
`

const recordColumns = `seq, id, org_id, env_id, name, slug, url, method, headers, timeout_ms, auth_type,
	auth_config, status, event_count, last_delivery_at, created_at, updated_at, retry_enabled,
	retry_max_attempts, retry_backoff_type, retry_intervals, circuit_breaker_enabled,
	circuit_breaker_threshold, circuit_breaker_reset_ms, type, provider_config,
	circuit_state, circuit_failure_count, circuit_opened_at_ms, circuit_transition_at`

// record is a stored row: the API row plus what the API does not show directly.
type record struct {
	Destination
	seq     int64
	circuit circuitRecord
}

type circuitRecord struct {
	state        string
	failureCount int64
	openedAtMS   *int64
	transitionAt *string
}

var (
	errSlugTaken = errors.New("slug already exists in the project")
	errPlanLimit = errors.New("plan limit reached")
)

// store keeps destinations, sources, the events sources receive, connections and their deliveries in SQLite. All access goes through one
// connection and one mutex: that keeps an in-memory database alive and shared, and makes check-then-write
// sequences (slug uniqueness, plan limit, duplicates) atomic; transactions only keep multi-row writes whole
// across a crash.
type store struct {
	mu sync.Mutex
	db *sql.DB

	// refs is what deleting a referenced source or destination does, and whether connection names are unique.
	refs referencePolicy

	// destinations, sources and connections are the tables of the three resources.
	destinations table[record]
	sources      table[sourceRecord]
	connections  table[connectionRecord]

	insert, countEnv, slugExists, recordDelivery, setCircuit *sql.Stmt

	// src holds the statements of sources and the events they receive.
	src sourceStatements
	// conn holds the statements of connections and the deliveries they route.
	conn connectionStatements
}

// statement is one prepared statement of the store and its SQL.
type statement struct {
	stmt **sql.Stmt
	sql  string
}

func openStore(path string) (*store, error) {
	dsn := ":memory:"
	if path != "" {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, fmt.Errorf("emulator: database path %q: %w", path, err)
		}
		// WAL with synchronous=NORMAL keeps writes cheap while surviving a crash of the emulator process.
		dsn = "file:" + (&url.URL{Path: filepath.ToSlash(abs)}).EscapedPath() +
			"?_pragma=busy_timeout(10000)&_pragma=journal_mode(wal)&_pragma=synchronous(normal)"
	}
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("emulator: opening database: %w", err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)

	s := &store{db: db}
	s.destinations, s.sources, s.connections = s.destinationTable(), s.sourceTable(), s.connectionTable()
	if err := s.init(); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

func (s *store) init() error {
	ctx := context.Background()
	var version int
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("emulator: reading schema version: %w", err)
	}
	if version > schemaVersion {
		return fmt.Errorf("emulator: database schema version %d is newer than this emulator's %d", version, schemaVersion)
	}
	if _, err := s.db.ExecContext(ctx, schemaSQL+sourceSchemaSQL+connectionSchemaSQL); err != nil {
		return fmt.Errorf("emulator: creating schema: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion)); err != nil {
		return fmt.Errorf("emulator: writing schema version: %w", err)
	}

	d := &s.destinations
	statements := []statement{
		{&s.insert, `INSERT INTO destinations (id, org_id, env_id, name, slug, url, method, headers, timeout_ms,
			auth_type, auth_config, status, event_count, last_delivery_at, created_at, updated_at, retry_enabled,
			retry_max_attempts, retry_backoff_type, retry_intervals, circuit_breaker_enabled,
			circuit_breaker_threshold, circuit_breaker_reset_ms, type, provider_config, circuit_state,
			circuit_failure_count, circuit_opened_at_ms, circuit_transition_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&d.get, `SELECT ` + recordColumns + ` FROM destinations WHERE env_id = ? AND id = ?`},
		{&d.getAny, `SELECT ` + recordColumns + ` FROM destinations WHERE id = ?`},
		{&d.list, `SELECT ` + recordColumns + ` FROM destinations
			WHERE env_id = ?1 AND seq < ?2 AND (?3 = '' OR status = ?3) AND (?4 = '' OR type = ?4)
			ORDER BY seq DESC LIMIT ?5`},
		{&d.update, `UPDATE destinations SET name = ?, url = ?, method = ?, headers = ?, timeout_ms = ?,
			auth_type = ?, auth_config = ?, status = ?, updated_at = ?, retry_enabled = ?,
			retry_max_attempts = ?, retry_backoff_type = ?, retry_intervals = ?, circuit_breaker_enabled = ?,
			circuit_breaker_threshold = ?, circuit_breaker_reset_ms = ?, provider_config = ?
			WHERE env_id = ? AND id = ?`},
		{&d.remove, `DELETE FROM destinations WHERE env_id = ? AND id = ?`},
		{&s.countEnv, `SELECT COUNT(*) FROM destinations WHERE env_id = ?`},
		{&s.slugExists, `SELECT EXISTS (SELECT 1 FROM destinations WHERE env_id = ? AND slug = ?)`},
		{&s.recordDelivery, `UPDATE destinations SET event_count = event_count + ?,
			last_delivery_at = COALESCE(?, last_delivery_at), circuit_state = ?, circuit_failure_count = ?,
			circuit_opened_at_ms = ?, circuit_transition_at = ? WHERE id = ?`},
		{&s.setCircuit, `UPDATE destinations SET circuit_state = ?, circuit_failure_count = ?,
			circuit_opened_at_ms = ?, circuit_transition_at = ? WHERE id = ?`},
	}
	for _, st := range slices.Concat(statements, s.sourceStatements(), s.connectionStatements()) {
		prepared, err := s.db.PrepareContext(ctx, st.sql)
		if err != nil {
			return fmt.Errorf("emulator: preparing %q: %w", strings.Fields(st.sql)[0], err)
		}
		*st.stmt = prepared
	}
	return nil
}

func (s *store) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.db.Close()
}

type rowScanner interface {
	Scan(dest ...any) error
}

// scanInto returns a scan of one row into a new R, through the pointers targets gives to its columns.
func scanInto[R any](targets func(*R) []any) func(rowScanner) (R, error) {
	return func(row rowScanner) (R, error) {
		var r R
		err := row.Scan(targets(&r)...)
		return r, err
	}
}

// recordTargets are the columns of a stored destination row in the order its queries read them: seq, then the
// columns an insert writes, as pointers that a scan fills in and an insert reads.
func recordTargets(r *record) []any {
	d := &r.Destination
	return []any{&r.seq, &d.ID, &d.OrgID, &d.EnvID, &d.Name, &d.Slug, &d.URL, &d.Method, &d.Headers,
		&d.TimeoutMS, &d.AuthType, &d.AuthConfig, &d.Status, &d.EventCount, &d.LastDeliveryAt, &d.CreatedAt,
		&d.UpdatedAt, &d.RetryEnabled, &d.RetryMaxAttempts, &d.RetryBackoffType, &d.RetryIntervals,
		&d.CircuitBreakerEnabled, &d.CircuitBreakerThreshold, &d.CircuitBreakerResetMS, &d.Type,
		&d.ProviderConfig, &r.circuit.state, &r.circuit.failureCount, &r.circuit.openedAtMS,
		&r.circuit.transitionAt}
}

// destinationTable describes the destinations table. A destination that connections reference is not
// deleted; the deliveries queued or made to it go with it.
func (s *store) destinationTable() table[record] {
	return table[record]{
		store:   s,
		scan:    scanInto(recordTargets),
		seq:     func(r record) int64 { return r.seq },
		filters: func(q listQuery) []any { return []any{q.status, q.typ} },
		mutable: func(r *record) []any {
			d := &r.Destination
			return []any{d.Name, d.URL, d.Method, d.Headers, d.TimeoutMS, d.AuthType, d.AuthConfig, d.Status,
				d.UpdatedAt, d.RetryEnabled, d.RetryMaxAttempts, d.RetryBackoffType, d.RetryIntervals,
				d.CircuitBreakerEnabled, d.CircuitBreakerThreshold, d.CircuitBreakerResetMS, d.ProviderConfig}
		},
		notFound:     ErrNotFound,
		referencedBy: &s.conn.destinationReferenced,
		inUse:        errDestinationInUse,
		cascade:      []**sql.Stmt{&s.conn.removeDestinationAttempts, &s.conn.removeDestinationDeliveries},
		referrers:    &s.conn.removeOfDestination,
	}
}

// create inserts r and fills in its sequence, unless its slug is taken or the project is at its plan limit.
func (s *store) create(ctx context.Context, r *record, maxDestinations int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := checkSlugAndLimit(ctx, s.slugExists, s.countEnv, r.EnvID, r.Slug, maxDestinations); err != nil {
		return err
	}
	res, err := s.insert.ExecContext(ctx, recordTargets(r)[1:]...)
	if err != nil {
		return err
	}
	r.seq, err = res.LastInsertId()
	return err
}

type listQuery struct {
	envID     string
	beforeSeq int64 // 0: from the newest row
	status    string
	typ       string
	// sourceID and destinationID filter connections; "" matches all.
	sourceID, destinationID string
	limit                   int
}

// checkSlugAndLimit tells, under the store lock, whether a project may have a new row with slug: not when
// slugExists finds it taken (errSlugTaken), nor when countEnv counts limit rows already (errPlanLimit; limit
// 0 is no limit). A taken slug wins over the plan limit, so that a client retrying a create that already
// succeeded learns about the duplicate and can adopt it.
func checkSlugAndLimit(ctx context.Context, slugExists, countEnv *sql.Stmt, envID, slug string, limit int) error {
	var taken bool
	if err := slugExists.QueryRowContext(ctx, envID, slug).Scan(&taken); err != nil {
		return err
	}
	if taken {
		return errSlugTaken
	}
	if limit > 0 {
		var count int
		if err := countEnv.QueryRowContext(ctx, envID).Scan(&count); err != nil {
			return err
		}
		if count >= limit {
			return errPlanLimit
		}
	}
	return nil
}

// saveCircuit replaces the circuit state of one destination, within one project or, with envID "", any.
func (s *store) saveCircuit(ctx context.Context, envID, id string, change func(*record)) (record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.destinations.lookupLocked(ctx, envID, id)
	if err != nil {
		return record{}, err
	}
	change(&r)
	c := r.circuit
	if _, err := s.setCircuit.ExecContext(ctx, c.state, c.failureCount, c.openedAtMS, c.transitionAt, id); err != nil {
		return record{}, err
	}
	return r, nil
}

// saveDeliveries adds routed events and stores the circuit state a delivery run ended with.
// lastDeliveryAt nil keeps the previous value.
func (s *store) saveDeliveries(ctx context.Context, id string, events int64, lastDeliveryAt *string, c circuitRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.recordDelivery.ExecContext(ctx, events, lastDeliveryAt, c.state, c.failureCount, c.openedAtMS,
		c.transitionAt, id)
	return err
}
