// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/hookstream/hookstream-operator/internal/emulator"
)

// The request log names the project of a request with a known key, and never the key.
func TestRequestLogNamesTheProject(t *testing.T) {
	var buf bytes.Buffer
	env := newEnv(t, emulator.Options{Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	env.do(http.MethodGet, "/v1/destinations", keyA, "")
	env.do(http.MethodGet, "/v1/destinations", keyB, "")
	env.do(http.MethodGet, "/v1/destinations", "hs_test_unknown", "")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d log lines, want 3:\n%s", len(lines), buf.String())
	}
	for i, key := range []string{keyA, keyB} {
		want := "env_id=" + emulator.ProjectForKey(key).EnvID
		if !strings.Contains(lines[i], want) {
			t.Errorf("line %d %q lacks %q", i, lines[i], want)
		}
	}
	if strings.Contains(lines[2], "env_id=") {
		t.Errorf("a request with an unknown key names a project: %q", lines[2])
	}
	if emulator.ProjectForKey(keyA).EnvID == emulator.ProjectForKey(keyB).EnvID {
		t.Error("two keys share a project")
	}
	if strings.Contains(buf.String(), keyA) || strings.Contains(buf.String(), keyB) {
		t.Errorf("the log shows an API key:\n%s", buf.String())
	}
}
