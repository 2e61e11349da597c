// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator_test

import (
	"crypto/sha256"
	"database/sql"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	_ "github.com/ncruces/go-sqlite3/driver" // opens the emulator's database file directly

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
	before := env.list(keyA, "?limit=100").Rows
	cursor := env.list(keyA, "?limit=2").Cursor
	secret, err := first.Destination(t.Context(), patched.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	second := newEnv(t, emulator.Options{APIKeys: []string{keyA, keyB}, DBPath: path})
	if diff := cmp.Diff(before, second.list(keyA, "?limit=100").Rows); diff != "" {
		t.Errorf("rows after restart (-want +got):\n%s", diff)
	}
	if got, _ := second.server.Destination(t.Context(), patched.ID); got.AuthConfig == nil || *got.AuthConfig != *secret.AuthConfig {
		t.Errorf("real secret after restart: %v, want %v", got.AuthConfig, *secret.AuthConfig)
	}
	var rest []string
	for _, d := range second.list(keyA, "?limit=100&cursor="+*cursor).Rows {
		rest = append(rest, d.Slug)
	}
	if diff := cmp.Diff([]string{"d-002", "d-001"}, rest); diff != "" {
		t.Errorf("a cursor from before the restart (-want +got):\n%s", diff)
	}
	if res := second.do(http.MethodPost, "/v1/destinations", keyA, withFields(map[string]any{"slug": "d-001"})); res.status != http.StatusConflict {
		t.Errorf("slug uniqueness after restart: status %d", res.status)
	}
	newest := second.create(keyA, withFields(map[string]any{"slug": "after-restart"}))
	if got := second.list(keyA, "?limit=1").Rows; len(got) != 1 || got[0].ID != newest.ID {
		t.Errorf("a row created after the restart is not listed first")
	}
	if got := second.list(keyB, "").Rows; len(got) != 0 {
		t.Errorf("key B sees %d rows of key A", len(got))
	}
}

func TestSourcesAndEventsSurviveRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hookstream.db")
	first := newEnv(t, emulator.Options{APIKeys: []string{keyA}, DBPath: path})
	src := sources.create(first, keyA, sourceWith(map[string]any{"template": "github", "verification_secret": hmacSecret, "dedup_strategy": "payload_hash"}))
	body := `{"n":1}`
	signature := map[string]string{"X-Hub-Signature-256": "sha256=" + hmacHex(sha256.New, hmacSecret, body)}
	first.ingestOK(src.ID, ingestCall{body: body, header: signature})
	before := sources.get(first, keyA, src.ID)
	events := first.events(src.ID)
	if err := first.server.Close(); err != nil {
		t.Fatal(err)
	}

	second := newEnv(t, emulator.Options{APIKeys: []string{keyA}, DBPath: path})
	if diff := cmp.Diff(before, sources.get(second, keyA, src.ID)); diff != "" {
		t.Errorf("source after restart (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(events, second.events(src.ID)); diff != "" {
		t.Errorf("events after restart (-want +got):\n%s", diff)
	}
	// The dedup window spans the restart.
	second.ingestOK(src.ID, ingestCall{body: body, header: signature})
	if got := second.events(src.ID); len(got) != 2 || !got[1].Duplicate {
		t.Errorf("a copy sent after the restart is not a duplicate: %+v", got)
	}
	if res := second.call(http.MethodPost, "/v1/sources", keyA, sourceWith(map[string]any{"slug": src.Slug})); res.status != http.StatusConflict {
		t.Errorf("slug uniqueness after restart: status %d", res.status)
	}
}

// A database file of schema version 1 (destinations only) gains the sources and events tables.
func TestVersion1DatabaseGainsSources(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	first := newEnv(t, emulator.Options{APIKeys: []string{keyA}, DBPath: path})
	kept := first.create(keyA, withFields(nil))
	if err := first.server.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, statement := range []string{"DROP TABLE sources", "DROP TABLE events", "PRAGMA user_version = 1"} {
		if _, err := db.ExecContext(t.Context(), statement); err != nil {
			t.Fatalf("%s: %v", statement, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	second := newEnv(t, emulator.Options{APIKeys: []string{keyA}, DBPath: path})
	if got := second.get(keyA, kept.ID); got.ID != kept.ID {
		t.Errorf("destination lost")
	}
	src := sources.create(second, keyA, sourceWith(nil))
	second.ingestOK(src.ID, ingestCall{body: "{}"})
}
