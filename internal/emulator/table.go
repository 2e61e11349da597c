// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"slices"
)

// table is the table of one resource (destinations, sources, connections) as the row operations they
// share see it: look up, list, modify and delete the rows of a project. A row of type R is read with scan
// and written back with mutable; creating one stays with each resource, whose checks differ. The methods
// take the store lock, except lookupLocked, whose caller holds it.
type table[R any] struct {
	store *store

	// get reads a row by env_id and id, getAny by id alone. list reads a page of one project's rows, newest
	// first: its arguments are env_id, the sequence to list below, filters, and the most rows to read.
	// update writes mutable, then env_id and id. remove deletes a row by env_id and id.
	get, getAny, list, update, remove *sql.Stmt

	scan func(rowScanner) (R, error)
	// seq is the insertion sequence of a row: lists page by it.
	seq func(R) int64
	// filters are list's arguments between the sequence and the row count.
	filters func(listQuery) []any
	// mutable are update's arguments before env_id and id: the columns a PATCH may change.
	mutable func(*R) []any
	// notFound answers an id the project has no row of.
	notFound error

	// A row that connections reference is not deleted: referencedBy, when set, tells whether they do (by
	// env_id and id) and inUse is the answer. cascade deletes, by id and in the delete's transaction, what
	// goes with the row. They are statements of other resources, which the store prepares after the tables
	// are described: hence the pointers.
	referencedBy **sql.Stmt
	inUse        error
	cascade      []**sql.Stmt
	// referrers, when set, deletes by id the connections that reference the row: under cascade-delete they
	// go with it instead of refusing the delete.
	referrers **sql.Stmt
	// check, when set, runs on a modified row before it is written, under the store lock.
	check func(context.Context, *R) error
}

// referencePolicy is what deleting a source or destination that connections reference does: refuse it (the
// default), delete the connections too (cascade), or leave them dangling; and whether connection names are
// unique in a project.
type referencePolicy struct {
	cascade, dangle, uniqueConnectionNames bool
}

// lookup finds a row by id within one project, or across all projects when envID is "".
func (t *table[R]) lookup(ctx context.Context, envID, id string) (R, error) {
	t.store.mu.Lock()
	defer t.store.mu.Unlock()
	return t.lookupLocked(ctx, envID, id)
}

func (t *table[R]) lookupLocked(ctx context.Context, envID, id string) (R, error) {
	var row *sql.Row
	if envID == "" {
		row = t.getAny.QueryRowContext(ctx, id)
	} else {
		row = t.get.QueryRowContext(ctx, envID, id)
	}
	r, err := t.scan(row)
	if errors.Is(err, sql.ErrNoRows) {
		var none R
		return none, t.notFound
	}
	return r, err
}

// listPage reads up to q.limit rows of a project, newest first, below q.beforeSeq (0: from the newest).
func (t *table[R]) listPage(ctx context.Context, q listQuery) ([]R, error) {
	before := q.beforeSeq
	if before <= 0 {
		before = math.MaxInt64
	}
	args := append([]any{q.envID, before}, t.filters(q)...)
	args = append(args, q.limit)

	t.store.mu.Lock()
	defer t.store.mu.Unlock()
	rows, err := t.list.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	records := make([]R, 0, min(q.limit, maxPageSize+1))
	for rows.Next() {
		r, err := t.scan(rows)
		if err != nil {
			return nil, err
		}
		records = append(records, r)
	}
	return records, rows.Err()
}

// modify reads a row, lets change edit it, and writes the mutable columns back, all under the store lock
// so that concurrent PATCHes of one row apply one after the other.
func (t *table[R]) modify(ctx context.Context, envID, id string, change func(*R) error) (R, error) {
	t.store.mu.Lock()
	defer t.store.mu.Unlock()
	var none R
	r, err := t.lookupLocked(ctx, envID, id)
	if err != nil {
		return none, err
	}
	if err := change(&r); err != nil {
		return none, err
	}
	if t.check != nil {
		if err := t.check(ctx, &r); err != nil {
			return none, err
		}
	}
	_, err = t.update.ExecContext(ctx, append(t.mutable(&r), envID, id)...)
	return r, err
}

// delete removes a row of one project, and what goes with it, in one transaction. A row that connections
// reference is refused with inUse; a connection names rows of its own project only, so a row the project
// lacks is never referenced and answers notFound.
func (t *table[R]) delete(ctx context.Context, envID, id string) error {
	t.store.mu.Lock()
	defer t.store.mu.Unlock()
	return t.store.inTx(ctx, func(tx *sql.Tx) error {
		refs := t.store.refs
		if t.referencedBy != nil && !refs.cascade && !refs.dangle {
			var inUse bool
			if err := tx.StmtContext(ctx, *t.referencedBy).QueryRowContext(ctx, envID, id).Scan(&inUse); err != nil {
				return err
			}
			if inUse {
				return t.inUse
			}
		}
		res, err := tx.StmtContext(ctx, t.remove).ExecContext(ctx, envID, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errOr(err, t.notFound)
		}
		cascade := t.cascade
		if t.referrers != nil && refs.cascade {
			cascade = append(slices.Clone(cascade), t.referrers)
		}
		for _, stmt := range cascade {
			if _, err := tx.StmtContext(ctx, *stmt).ExecContext(ctx, id); err != nil {
				return err
			}
		}
		return nil
	})
}
