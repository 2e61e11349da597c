// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hookstream

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// documentedRowOf is the row under member in the testdata envelope file, in the documented encoding, with its id
// replaced.
func documentedRowOf(t testing.TB, file, member, id string) map[string]any {
	t.Helper()
	var envelope map[string]map[string]any
	if err := json.Unmarshal(readTestdata(t, file), &envelope); err != nil {
		t.Fatal(err)
	}
	row := envelope[member]
	if row == nil {
		t.Fatalf("%s has no %q row", file, member)
	}
	row["id"] = id
	return row
}

// envelopeOf is row in its envelope under member, edited: values set to a json.RawMessage are sent as that JSON.
func envelopeOf(t testing.TB, member string, row map[string]any, edit func(row map[string]any)) []byte {
	t.Helper()
	if edit != nil {
		edit(row)
	}
	body, err := json.Marshal(map[string]any{member: row})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// decodeCase is an answer and how what it decodes to differs from the resource's documented row.
type decodeCase[T any] struct {
	body []byte
	edit func(want *T)
}

// checkDecodes decodes each body and expects the documented row with the case's edit; created_at must be in UTC,
// and check, when set, looks further at what was decoded.
func checkDecodes[T any](t *testing.T, decode func([]byte) (*T, error), documented func() *T,
	createdAt func(*T) time.Time, tests map[string]decodeCase[T], check func(t *testing.T, got *T)) {
	t.Helper()
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			want := documented()
			if tc.edit != nil {
				tc.edit(want)
			}
			got, err := decode(tc.body)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("decoded row (-want +got):\n%s", diff)
			}
			if createdAt(got).Location() != time.UTC {
				t.Errorf("created_at in %v, want UTC", createdAt(got).Location())
			}
			if check != nil {
				check(t, got)
			}
		})
	}
}

// rejectCase is an answer that a decoder must refuse with a *DecodeError on wantField that says wantErr.
type rejectCase struct {
	body      []byte
	wantField string
	wantErr   string
}

// checkDecodeRejects decodes each body and expects the case's *DecodeError; no error may quote any of unquoted,
// values that the bodies carry.
func checkDecodeRejects[T any](t *testing.T, decode func([]byte) (*T, error), tests map[string]rejectCase, unquoted ...string) {
	t.Helper()
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			row, err := decode(tc.body)
			var decodeErr *DecodeError
			if !errors.As(err, &decodeErr) {
				t.Fatalf("error %v, want a *DecodeError (decoded %v)", err, row)
			}
			if decodeErr.Field != tc.wantField {
				t.Errorf("DecodeError.Field = %q, want %q", decodeErr.Field, tc.wantField)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q, want it to say %q", err, tc.wantErr)
			}
			for _, value := range unquoted {
				if strings.Contains(err.Error(), value) {
					t.Errorf("error %q quotes the value", err)
				}
			}
		})
	}
}
