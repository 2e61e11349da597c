// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator

import (
	"context"
	"database/sql"
	"errors"
)

const sourceSchemaSQL = `
CREATE TABLE IF NOT EXISTS sources (
	seq                       INTEGER PRIMARY KEY AUTOINCREMENT,
	id                        TEXT    NOT NULL UNIQUE,
	org_id                    TEXT    NOT NULL,
	env_id                    TEXT    NOT NULL,
	name                      TEXT    NOT NULL,
	slug                      TEXT    NOT NULL,
	description               TEXT,
	type                      TEXT    NOT NULL,
	source_config             TEXT,
	template                  TEXT,
	verification_enabled      INTEGER NOT NULL,
	verification_type         TEXT,
	verification_secret       TEXT,
	verification_header       TEXT,
	verification_config       TEXT,
	dedup_enabled             INTEGER NOT NULL,
	dedup_strategy            TEXT,
	dedup_field               TEXT,
	dedup_window_seconds      INTEGER NOT NULL,
	ip_allowlist              TEXT,
	ip_denylist               TEXT,
	schema_validation_enabled INTEGER NOT NULL,
	json_schema               TEXT,
	schema_action             TEXT,
	status                    TEXT    NOT NULL,
	event_count               INTEGER NOT NULL DEFAULT 0,
	last_event_at             TEXT,
	is_ephemeral              INTEGER NOT NULL DEFAULT 0,
	expires_at                TEXT,
	request_limit             INTEGER,
	created_at                TEXT    NOT NULL,
	updated_at                TEXT    NOT NULL,
	UNIQUE (env_id, slug)
);
CREATE INDEX IF NOT EXISTS sources_env_seq ON sources (env_id, seq);

CREATE TABLE IF NOT EXISTS events (
	seq             INTEGER PRIMARY KEY AUTOINCREMENT,
	id              TEXT    NOT NULL UNIQUE,
	source_id       TEXT    NOT NULL,
	received_at     TEXT    NOT NULL,
	received_at_ms  INTEGER NOT NULL,
	method          TEXT    NOT NULL,
	query           TEXT    NOT NULL,
	headers         TEXT    NOT NULL,
	body            BLOB    NOT NULL,
	content_type    TEXT,
	source_ip       TEXT    NOT NULL,
	dedup_key       TEXT,
	duplicate_of    TEXT,
	schema_warnings TEXT,
	paused          INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS events_source_seq ON events (source_id, seq);
CREATE INDEX IF NOT EXISTS events_source_dedup ON events (source_id, dedup_key, received_at_ms);
`

const sourceColumns = `seq, id, org_id, env_id, name, slug, description, type, source_config, template,
	verification_enabled, verification_type, verification_secret, verification_header, verification_config,
	dedup_enabled, dedup_strategy, dedup_field, dedup_window_seconds, ip_allowlist, ip_denylist,
	schema_validation_enabled, json_schema, schema_action, status, event_count, last_event_at, is_ephemeral,
	expires_at, request_limit, created_at, updated_at`

const eventColumns = `id, source_id, received_at, received_at_ms, method, query, headers, body, content_type,
	source_ip, dedup_key, duplicate_of, schema_warnings, paused`

type sourceStatements struct {
	insert, countEnv, slugExists, countEvent            *sql.Stmt
	insertEvent, findOriginal, listEvents, removeEvents *sql.Stmt
}

func (s *store) sourceStatements() []statement {
	st, t := &s.src, &s.sources
	return []statement{
		{&st.insert, `INSERT INTO sources (id, org_id, env_id, name, slug, description, type, source_config, template,
			verification_enabled, verification_type, verification_secret, verification_header, verification_config,
			dedup_enabled, dedup_strategy, dedup_field, dedup_window_seconds, ip_allowlist, ip_denylist,
			schema_validation_enabled, json_schema, schema_action, status, event_count, last_event_at, is_ephemeral,
			expires_at, request_limit, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&t.get, `SELECT ` + sourceColumns + ` FROM sources WHERE env_id = ? AND id = ?`},
		{&t.getAny, `SELECT ` + sourceColumns + ` FROM sources WHERE id = ?`},
		{&t.list, `SELECT ` + sourceColumns + ` FROM sources
			WHERE env_id = ?1 AND seq < ?2 AND (?3 = '' OR status = ?3) ORDER BY seq DESC LIMIT ?4`},
		{&t.update, `UPDATE sources SET name = ?, description = ?, verification_enabled = ?, verification_type = ?,
			verification_secret = ?, verification_header = ?, verification_config = ?, dedup_enabled = ?,
			dedup_strategy = ?, dedup_field = ?, dedup_window_seconds = ?, ip_allowlist = ?, ip_denylist = ?,
			schema_validation_enabled = ?, json_schema = ?, schema_action = ?, status = ?, updated_at = ?
			WHERE env_id = ? AND id = ?`},
		{&t.remove, `DELETE FROM sources WHERE env_id = ? AND id = ?`},
		{&st.countEnv, `SELECT COUNT(*) FROM sources WHERE env_id = ?`},
		{&st.slugExists, `SELECT EXISTS (SELECT 1 FROM sources WHERE env_id = ? AND slug = ?)`},
		{&st.countEvent, `UPDATE sources SET event_count = event_count + ?, last_event_at = COALESCE(?, last_event_at)
			WHERE id = ?`},
		{&st.insertEvent, `INSERT INTO events (` + eventColumns + `)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&st.findOriginal, `SELECT id FROM events
			WHERE source_id = ? AND dedup_key = ? AND duplicate_of IS NULL AND received_at_ms > ?
			ORDER BY seq DESC LIMIT 1`},
		{&st.listEvents, `SELECT ` + eventColumns + ` FROM events WHERE source_id = ? ORDER BY seq`},
		{&st.removeEvents, `DELETE FROM events WHERE source_id = ?`},
	}
}

// sourceTargets are the columns of a stored source row in the order its queries read them: seq, then the columns
// an insert writes, as pointers that a scan fills in and an insert reads.
func sourceTargets(r *sourceRecord) []any {
	s := &r.Source
	return []any{&r.seq, &s.ID, &s.OrgID, &s.EnvID, &s.Name, &s.Slug, &s.Description, &s.Type, &s.SourceConfig,
		&s.Template, &s.VerificationEnabled, &s.VerificationType, &s.VerificationSecret, &s.VerificationHeader,
		&s.VerificationConfig, &s.DedupEnabled, &s.DedupStrategy, &s.DedupField, &s.DedupWindowSeconds,
		&s.IPAllowlist, &s.IPDenylist, &s.SchemaValidationEnabled, &s.JSONSchema, &s.SchemaAction, &s.Status,
		&s.EventCount, &s.LastEventAt, &s.IsEphemeral, &s.ExpiresAt, &s.RequestLimit, &s.CreatedAt, &s.UpdatedAt}
}

// sourceTable describes the sources table. A source that connections reference is not deleted; the events
// it received go with it.
func (s *store) sourceTable() table[sourceRecord] {
	return table[sourceRecord]{
		store:   s,
		scan:    scanInto(sourceTargets),
		seq:     func(r sourceRecord) int64 { return r.seq },
		filters: func(q listQuery) []any { return []any{q.status} },
		mutable: func(r *sourceRecord) []any {
			src := &r.Source
			return []any{src.Name, src.Description, src.VerificationEnabled, src.VerificationType,
				src.VerificationSecret, src.VerificationHeader, src.VerificationConfig, src.DedupEnabled,
				src.DedupStrategy, src.DedupField, src.DedupWindowSeconds, src.IPAllowlist, src.IPDenylist,
				src.SchemaValidationEnabled, src.JSONSchema, src.SchemaAction, src.Status, src.UpdatedAt}
		},
		notFound:     ErrSourceNotFound,
		referencedBy: &s.conn.sourceReferenced,
		inUse:        errSourceInUse,
		cascade:      []**sql.Stmt{&s.src.removeEvents},
		referrers:    &s.conn.removeOfSource,
	}
}

// createSource inserts r and fills in its sequence, unless its slug is taken or the project is at its plan
// limit, as for destinations.
func (s *store) createSource(ctx context.Context, r *sourceRecord, maxSources int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := checkSlugAndLimit(ctx, s.src.slugExists, s.src.countEnv, r.EnvID, r.Slug, maxSources); err != nil {
		return err
	}
	res, err := s.src.insert.ExecContext(ctx, sourceTargets(r)[1:]...)
	if err != nil {
		return err
	}
	r.seq, err = res.LastInsertId()
	return err
}

// recordEvent stores an event a source accepted. With a dedup key, an earlier original event with the same
// key received less than window ago makes it a duplicate (DuplicateOf set). Originals add to the source's
// event_count and move its last_event_at, and get the deliveries routing planned for them (a duplicate gets
// none); the answer lists the destinations of the queued ones. The source may have been deleted since the
// caller read it: then nothing is stored and the answer is ErrSourceNotFound.
func (s *store) recordEvent(ctx context.Context, ev *eventRecord, windowMS int64, routed []deliveryRecord) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var queuedFor []string
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if ev.dedupKey != nil {
			var original string
			err := tx.StmtContext(ctx, s.src.findOriginal).QueryRowContext(ctx, ev.SourceID, *ev.dedupKey,
				ev.receivedAtMS-windowMS).Scan(&original)
			switch {
			case err == nil:
				ev.DuplicateOf = &original
				ev.Duplicate = true
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
		}
		_, err := tx.StmtContext(ctx, s.src.insertEvent).ExecContext(ctx, ev.ID, ev.SourceID, ev.ReceivedAt,
			ev.receivedAtMS, ev.Method, ev.Query, encodeJSON(ev.Headers), ev.body, ev.ContentType, ev.SourceIP,
			ev.dedupKey, ev.DuplicateOf, encodeOptionalList(ev.SchemaWarnings), boolInt(ev.Paused))
		if err != nil {
			return err
		}
		var counted int64
		var lastEventAt *string
		if !ev.Duplicate {
			counted, lastEventAt = 1, &ev.ReceivedAt
		}
		res, err := tx.StmtContext(ctx, s.src.countEvent).ExecContext(ctx, counted, lastEventAt, ev.SourceID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errOr(err, ErrSourceNotFound)
		}
		if ev.Duplicate {
			return nil
		}
		queuedFor, err = s.insertRouted(ctx, tx, ev, routed)
		return err
	})
	return queuedFor, err
}

// sourceEvents lists the events of one source, oldest first.
func (s *store) sourceEvents(ctx context.Context, sourceID string) ([]eventRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rows, err := s.src.listEvents.QueryContext(ctx, sourceID)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	var events []eventRecord
	for rows.Next() {
		ev, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		events = append(events, ev)
	}
	return events, rows.Err()
}

// inTx runs write in one transaction, committed when it returns nil. The caller holds s.mu.
func (s *store) inTx(ctx context.Context, write func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := write(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// errOr returns err when there is one, else fallback.
func errOr(err, fallback error) error {
	if err != nil {
		return err
	}
	return fallback
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
