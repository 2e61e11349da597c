// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package harness

import (
	"errors"
	"iter"
	"reflect"
	"strings"
	"testing"
)

type row struct{ id, slug string }

func listing(rows []row, err error) iter.Seq2[row, error] {
	return func(yield func(row, error) bool) {
		for _, r := range rows {
			if !yield(r, nil) {
				return
			}
		}
		if err != nil {
			yield(row{}, err)
		}
	}
}

func TestGroupBySlug(t *testing.T) {
	slug := func(r row) string { return r.slug }
	got, err := GroupBySlug(listing([]row{{"1", "a"}, {"2", "b"}, {"3", "a"}}, nil), "rows", slug)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]row{"a": {{"1", "a"}, {"3", "a"}}, "b": {{"2", "b"}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}

	got, err = GroupBySlug(listing([]row{{"1", "a"}}, errors.New("boom")), "sources", slug)
	if err == nil || !strings.Contains(err.Error(), "listing hookstream's sources: boom") || got != nil {
		t.Errorf("got %v, %v; want no rows and the listing's error", got, err)
	}

	got, err = GroupBySlug(listing(nil, nil), "rows", slug)
	if err != nil || len(got) != 0 {
		t.Errorf("an empty listing gave %v, %v", got, err)
	}
}
