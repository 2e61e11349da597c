// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package alerts

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookstream/hookstream-operator/test/harness"
)

// TestDashboardQueriesParse parses every panel query of the Grafana dashboard with Prometheus's parser. That each
// metric a query names is one the manager serves is checked against a real scrape by the end-to-end test
// TestAlertsOnScrapedMetrics (test/e2e).
func TestDashboardQueriesParse(t *testing.T) {
	queries, err := harness.DashboardQueries(filepath.Join(repoRoot(t), "config", "grafana", "hookstream-operator-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(queries) < 10 {
		t.Fatalf("%d panel queries in the dashboard, want its full set", len(queries))
	}
	hookstream := 0
	for _, q := range queries {
		names, err := harness.QueryMetricNames(q.Expr)
		if err != nil {
			t.Errorf("panel %q: %q does not parse: %v", q.Panel, q.Expr, err)
			continue
		}
		for _, n := range names {
			if strings.HasPrefix(n, "hookstream_") {
				hookstream++
			}
		}
	}
	if hookstream == 0 {
		t.Error("no panel query reads a hookstream_ metric")
	}
}

// TestQueryMetricNames checks the name extraction the dashboard checks rely on.
func TestQueryMetricNames(t *testing.T) {
	names, err := harness.QueryMetricNames(`sum(rate(a_total{code=~"5.."}[$__rate_interval])) / ` +
		`sum(rate({__name__="b_total"}[5m])) or vector(1) + histogram_quantile(0.9, rate(c_bucket[$__interval]))`)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(names, ",") != "a_total,b_total,c_bucket" {
		t.Errorf("names %v, want a_total, b_total, c_bucket", names)
	}
	if _, err := harness.QueryMetricNames("sum(rate(a_total[5m])"); err == nil {
		t.Error("an unbalanced query parsed")
	}
}
