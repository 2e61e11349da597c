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

package emulator_test

import (
	"net/http"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hookstream/hookstream-operator/internal/emulator"
)

func TestFileDatabaseSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state dir", "hookstream.db")
	if err := mkdirAll(filepath.Dir(path)); err != nil {
		t.Fatal(err)
	}
	first, err := emulator.New(emulator.Options{APIKeys: []string{keyA}, DBPath: path, Now: newFakeClock().Now})
	if err != nil {
		t.Fatal(err)
	}
	env := &testEnv{t: t, server: first}
	createNumbered(env, keyA, 1, 3)
	patched := env.create(keyA, fullHTTPBody)
	env.do(http.MethodPatch, "/v1/destinations/"+patched.ID, keyA, `{"status":"paused","retry_intervals":null}`)
	before := env.list(keyA, "?limit=100").Destinations
	cursor := env.list(keyA, "?limit=2").Cursor
	secret, err := first.Destination(t.Context(), patched.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	second := newEnv(t, emulator.Options{APIKeys: []string{keyA, keyB}, DBPath: path})
	if diff := cmp.Diff(before, second.list(keyA, "?limit=100").Destinations); diff != "" {
		t.Errorf("rows after restart (-want +got):\n%s", diff)
	}
	if got, _ := second.server.Destination(t.Context(), patched.ID); got.AuthConfig == nil || *got.AuthConfig != *secret.AuthConfig {
		t.Errorf("real secret after restart: %v, want %v", got.AuthConfig, *secret.AuthConfig)
	}
	var rest []string
	for _, d := range second.list(keyA, "?limit=100&cursor="+*cursor).Destinations {
		rest = append(rest, d.Slug)
	}
	if diff := cmp.Diff([]string{"d-002", "d-001"}, rest); diff != "" {
		t.Errorf("a cursor from before the restart (-want +got):\n%s", diff)
	}
	if res := second.do(http.MethodPost, "/v1/destinations", keyA, withFields(map[string]any{"slug": "d-001"})); res.status != http.StatusConflict {
		t.Errorf("slug uniqueness after restart: status %d", res.status)
	}
	newest := second.create(keyA, withFields(map[string]any{"slug": "after-restart"}))
	if got := second.list(keyA, "?limit=1").Destinations; len(got) != 1 || got[0].ID != newest.ID {
		t.Errorf("a row created after the restart is not listed first")
	}
	if got := second.list(keyB, "").Destinations; len(got) != 0 {
		t.Errorf("key B sees %d rows of key A", len(got))
	}
}
