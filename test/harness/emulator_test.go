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
