// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

// A list page is written as a struct with the members in the contract's order would be, HTML characters
// unescaped.
func TestListEnvelopeEncoding(t *testing.T) {
	type typedPage struct {
		Sources []Source `json:"sources"`
		Cursor  *string  `json:"cursor"`
		HasMore bool     `json:"has_more"`
	}
	description := `<a href="x">&</a>`
	rows := []Source{{ID: "a", Name: "A", Description: &description}, {ID: "b", Name: "B"}}
	cursor := encodeCursor(7)
	for name, page := range map[string]typedPage{
		"empty":      {Sources: []Source{}},
		"last page":  {Sources: rows},
		"more pages": {Sources: rows, Cursor: &cursor, HasMore: true},
	} {
		t.Run(name, func(t *testing.T) {
			shown := make([]any, 0, len(page.Sources))
			for _, r := range page.Sources {
				shown = append(shown, r)
			}
			want, got := httptest.NewRecorder(), httptest.NewRecorder()
			writeJSON(want, http.StatusOK, page)
			writeJSON(got, http.StatusOK, listEnvelope{names: "sources", rows: shown, cursor: page.Cursor})
			if got.Body.String() != want.Body.String() {
				t.Errorf("body\n got %s\nwant %s", got.Body, want.Body)
			}
		})
	}
}

// Each table answers an id its project lacks with its own error, whichever operation asks.
func TestTablesAnswerTheirNotFound(t *testing.T) {
	s, err := openStore("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.close() })
	for name, tc := range map[string]struct {
		ops  tableOps
		want error
	}{
		"destinations": {opsOf(&s.destinations), ErrNotFound},
		"sources":      {opsOf(&s.sources), ErrSourceNotFound},
		"connections":  {opsOf(&s.connections), ErrConnectionNotFound},
	} {
		t.Run(name, func(t *testing.T) {
			for op, err := range map[string]error{
				"lookup":       tc.ops.lookup(t.Context(), "env_x", "missing"),
				"lookup (any)": tc.ops.lookup(t.Context(), "", "missing"),
				"modify":       tc.ops.modify(t.Context(), "env_x", "missing"),
				"delete":       tc.ops.delete(t.Context(), "env_x", "missing"),
			} {
				if !errors.Is(err, tc.want) {
					t.Errorf("%s: %v, want %v", op, err, tc.want)
				}
			}
			if rows, err := tc.ops.list(t.Context(), listQuery{envID: "env_x", limit: 5}); err != nil || rows != 0 {
				t.Errorf("list: %d rows, %v", rows, err)
			}
		})
	}
}

// tableOps are the operations of a table with its row type left out.
type tableOps struct {
	lookup, modify, delete func(ctx context.Context, envID, id string) error
	list                   func(ctx context.Context, q listQuery) (int, error)
}

func opsOf[R any](t *table[R]) tableOps {
	return tableOps{
		lookup: func(ctx context.Context, envID, id string) error {
			_, err := t.lookup(ctx, envID, id)
			return err
		},
		modify: func(ctx context.Context, envID, id string) error {
			_, err := t.modify(ctx, envID, id, func(*R) error { return nil })
			return err
		},
		delete: t.delete,
		list: func(ctx context.Context, q listQuery) (int, error) {
			rows, err := t.listPage(ctx, q)
			return len(rows), err
		},
	}
}
