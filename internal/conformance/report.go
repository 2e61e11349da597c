// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package conformance

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// WriteFiles writes conformance-report.json and conformance-report.md into dir.
func (r *Report) WriteFiles(dir string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "conformance-report.json"), append(data, '\n'), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "conformance-report.md"), []byte(r.Markdown()), 0o644)
}

// Markdown is the report for people.
func (r *Report) Markdown() string {
	var b strings.Builder
	result := "passed"
	if r.Failed() {
		result = "FAILED"
	}
	fmt.Fprintf(&b, "# hookstream conformance: %s\n\nRun `%s` against %s.\n\n", result, r.RunID, r.BaseURL)
	if len(r.Variants) == 0 {
		b.WriteString("Variants of the contract seen: none (the contract as the emulator serves it by default).\n\n")
	} else {
		fmt.Fprintf(&b, "Variants of the contract seen: %s.\n\n", "`"+strings.Join(r.Variants, "`, `")+"`")
	}
	fmt.Fprintf(&b, "Cleanup: %d resources deleted", r.CleanedUp)
	if r.CleanupError != "" {
		fmt.Fprintf(&b, "; NOT finished: %s (run `make conformance-cleanup`)", r.CleanupError)
	}
	b.WriteString(".\n\n## Steps\n\n| step | result |\n|---|---|\n")
	for _, s := range r.Steps {
		res := "ok"
		if s.Error != "" {
			res = "FAILED: " + cell(s.Error)
		}
		fmt.Fprintf(&b, "| %s | %s |\n", cell(s.Name), res)
	}
	b.WriteString("\n## Calls\n\n| step | call | status | differences from the contract |\n|---|---|---|---|\n")
	for _, ex := range r.Exchanges {
		var diffs []string
		for _, d := range ex.Differences {
			text := d.Detail
			if len(d.Variants) > 0 {
				text += " (variant: " + strings.Join(d.Variants, ", ") + ")"
			}
			diffs = append(diffs, cell(text))
		}
		if len(diffs) == 0 {
			diffs = []string{"none"}
		}
		fmt.Fprintf(&b, "| %s | %s %s | %d | %s |\n", cell(ex.Step), ex.Method, ex.Path, ex.Status, strings.Join(diffs, "<br>"))
	}
	return b.String()
}

func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
