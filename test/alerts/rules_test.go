// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

// Package alerts checks the alert rules of config/prometheus with Prometheus's own promtool (pinned and built into
// the tools cache by hack/promtool.sh), and that every rule is documented in docs/runbooks.md and unit-tested.
package alerts

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// RunbookBase is the address every runbook_url starts with: docs/runbooks.md of the repository on its forge.
const RunbookBase = "https://github.com/hookstream/hookstream-operator/blob/main/docs/runbooks.md"

// repoRoot is the repository's root, two levels above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root: %v", err)
	}
	return root
}

// promtool runs the pinned promtool in dir (built first if the tools cache does not have it yet).
func promtool(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(repoRoot(t), "hack", "promtool.sh"), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	t.Logf("promtool %s:\n%s", strings.Join(args, " "), out)
	if err != nil {
		t.Fatalf("promtool %s: %v", strings.Join(args, " "), err)
	}
}

func TestPromtoolCheckRules(t *testing.T) {
	promtool(t, filepath.Join(repoRoot(t), "config", "prometheus"), "check", "rules", "alert-rules.yaml")
}

func TestPromtoolTestRules(t *testing.T) {
	promtool(t, filepath.Join(repoRoot(t), "config", "prometheus"), "test", "rules", "alert-rules_test.yaml")
}

type ruleFile struct {
	Groups []struct {
		Rules []struct {
			Alert       string            `json:"alert"`
			Expr        string            `json:"expr"`
			Labels      map[string]string `json:"labels"`
			Annotations map[string]string `json:"annotations"`
		} `json:"rules"`
	} `json:"groups"`
}

type ruleTests struct {
	Tests []struct {
		Name          string `json:"name"`
		AlertRuleTest []struct {
			Alertname string `json:"alertname"`
			ExpAlerts []any  `json:"exp_alerts"`
		} `json:"alert_rule_test"`
	} `json:"tests"`
}

func readYAML(t *testing.T, path string, into any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, into); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestEveryRuleIsDocumentedAndTested: every alert has a severity, a summary, a description and a runbook_url whose
// anchor is a section of docs/runbooks.md saying what it means, how to confirm and how to fix; and the unit tests
// have, for every alert, a case where it fires and one where it stays silent.
func TestEveryRuleIsDocumentedAndTested(t *testing.T) {
	root := repoRoot(t)
	var rules ruleFile
	readYAML(t, filepath.Join(root, "config", "prometheus", "alert-rules.yaml"), &rules)
	var tests ruleTests
	readYAML(t, filepath.Join(root, "config", "prometheus", "alert-rules_test.yaml"), &tests)
	sections := runbookSections(t, filepath.Join(root, "docs", "runbooks.md"))

	fires, silent := map[string]bool{}, map[string]bool{}
	for _, tc := range tests.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				fires[a.Alertname] = true
			} else {
				silent[a.Alertname] = true
			}
		}
	}
	alerts := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			alerts++
			if sev := r.Labels["severity"]; sev != "critical" && sev != "warning" {
				t.Errorf("%s: severity %q, want critical or warning", r.Alert, sev)
			}
			for _, a := range []string{"summary", "description", "runbook_url"} {
				if strings.TrimSpace(r.Annotations[a]) == "" {
					t.Errorf("%s has no %s", r.Alert, a)
				}
			}
			wantURL := RunbookBase + "#" + strings.ToLower(r.Alert)
			if got := r.Annotations["runbook_url"]; got != wantURL {
				t.Errorf("%s: runbook_url %q, want %q", r.Alert, got, wantURL)
			}
			body, ok := sections[r.Alert]
			if !ok {
				t.Errorf("docs/runbooks.md has no section \"## %s\"", r.Alert)
			}
			for _, part := range []string{"What it means", "How to confirm", "How to fix"} {
				if ok && !strings.Contains(body, "**"+part+".**") {
					t.Errorf("docs/runbooks.md, section %s: no **%s.**", r.Alert, part)
				}
			}
			if !fires[r.Alert] {
				t.Errorf("%s: no unit test in which it fires", r.Alert)
			}
			if !silent[r.Alert] {
				t.Errorf("%s: no unit test in which it stays silent", r.Alert)
			}
		}
	}
	if alerts == 0 {
		t.Fatal("no alert rule in config/prometheus/alert-rules.yaml")
	}
	for name := range sections {
		if !strings.HasPrefix(name, "Hookstream") {
			continue
		}
		found := false
		for _, g := range rules.Groups {
			for _, r := range g.Rules {
				found = found || r.Alert == name
			}
		}
		if !found {
			t.Errorf("docs/runbooks.md has a section for %s, which no rule defines", name)
		}
	}
}

// runbookSections returns the text of every "## " section of the runbook page, by heading.
func runbookSections(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]string{}
	heading := regexp.MustCompile(`(?m)^## (.+)$`)
	idx := heading.FindAllStringSubmatchIndex(string(data), -1)
	for i, m := range idx {
		end := len(data)
		if i+1 < len(idx) {
			end = idx[i+1][0]
		}
		sections[strings.TrimSpace(string(data[m[2]:m[3]]))] = string(data[m[1]:end])
	}
	return sections
}
