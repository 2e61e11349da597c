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
