// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookstream/hookstream-operator/internal/emulator"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/test/harness"
	"github.com/hookstream/hookstream-operator/test/harness/harnesstest"
)

// TestAlertsOnScrapedMetrics scrapes the manager binary's /metrics every second into a store that Prometheus's
// query engine reads, as Prometheus would store the scrapes (staleness markers included), and evaluates the
// expressions of config/prometheus/alert-rules.yaml over them while faults are injected: healthy, no alert is
// active; a blank API key makes exactly HookstreamObjectsNotReadyCritical (CredentialsInvalid) active, and fixing
// the key clears it; a hookstream outage makes exactly the alerts of an outage active (the error budget burn,
// fast and slow, and the failing status refresh). An expression returning series is an active alert: the `for`
// durations (minutes) are not waited out here; the promtool unit tests check them. At the end, every metric that
// a query of the Grafana dashboard or an alert rule names must have been in a scrape.
func TestAlertsOnScrapedMetrics(t *testing.T) {
	ctx := context.Background()
	emu := s.StartEmulator(t)
	ns := s.NewNamespace(t, "alerts")
	mgr := s.StartManager(t, emu, ns, append([]string{"--status-refresh-interval", "2s"}, harness.MetricsArgs...)...)
	rules, err := harness.LoadAlertRules(filepath.Join(s.Root, "config", "prometheus", "alert-rules.yaml"))
	harnesstest.Must(t, err)
	store := harness.NewScrapeStore()
	scrapeEvery(t, store, harnesstest.MetricsURL(t, mgr), time.Second)

	// Healthy: a Destination that receives a delivery, and a change made in hookstream by hand that the operator
	// reverts, so that the delivery and drift metrics have series.
	rcv := harnesstest.NewReceiver(t)
	s.Apply(t, ns, fmt.Sprintf(`
apiVersion: hookstream.io/v1alpha1
kind: Destination
metadata: {name: orders}
spec:
  displayName: orders
  http: {url: %s/hooks}
`, rcv.URL))
	if _, err := s.Kubectl("wait", "destination/orders", "-n", ns, "--for=condition=Ready", "--timeout=60s"); err != nil {
		t.Fatalf("%v\nmanager logs:\n%s", err, mgr.Tail(40))
	}
	id := strings.TrimSpace(s.MustKubectl(t, "get", "destination", "orders", "-n", ns, "-o", "jsonpath={.status.id}"))
	var delivered emulator.DeliveryResult
	emu.Admin(t, http.MethodPost, "/_emulator/destinations/"+id+"/deliveries", map[string]int{"count": 1}, &delivered)
	_, err = emu.Client(t).UpdateDestination(ctx, id, &hookstream.UpdateRequest{Name: hookstream.Set("changed by hand")})
	harnesstest.Must(t, err)
	s.MustKubectl(t, "annotate", "destination", "orders", "-n", ns, "hookstream.io/reconcile-requested-at=drift")
	harnesstest.WaitUntil(t, 30*time.Second, "the drift correction and the delivery in the scrapes", func() error {
		for _, name := range []string{"hookstream_drift_corrections_total", "hookstream_destination_last_delivery_timestamp_seconds"} {
			if !store.MetricNames()[name] {
				return fmt.Errorf("no %s scraped yet", name)
			}
		}
		return nil
	})
	waitForAlerts(t, store, rules, "healthy", map[string]string{})

	// A blank API key: the objects using it are not Ready (CredentialsInvalid), which is critical.
	s.MustKubectl(t, "create", "secret", "generic", "blank-key", "-n", ns, "--from-literal=apiKey= ")
	s.Apply(t, ns, fmt.Sprintf(`
apiVersion: hookstream.io/v1alpha1
kind: Destination
metadata: {name: blank-key}
spec:
  credentialsRef: {name: blank-key}
  http: {url: %s/blank}
`, rcv.URL))
	waitForAlerts(t, store, rules, "a blank API key", map[string]string{
		"HookstreamObjectsNotReadyCritical": `reason="CredentialsInvalid"`,
	})
	// The key is fixed: the object becomes Ready and the alert clears.
	out, err := s.Kubectl("create", "secret", "generic", "blank-key", "-n", ns, "--from-literal=apiKey="+harness.APIKey,
		"--dry-run=client", "-o", "yaml")
	harnesstest.Must(t, err)
	_, err = s.KubectlStdin(strings.NewReader(out), "apply", "-n", ns, "-f", "-")
	harnesstest.Must(t, err)
	if _, err := s.Kubectl("wait", "destination/blank-key", "-n", ns, "--for=condition=Ready", "--timeout=60s"); err != nil {
		t.Fatalf("%v\nmanager logs:\n%s", err, mgr.Tail(40))
	}
	waitForAlerts(t, store, rules, "the key fixed", map[string]string{})

	// A hookstream outage: every call fails with 503.
	emu.SetFaults(t, emulator.Faults{Outage: true})
	waitForAlerts(t, store, rules, "a hookstream outage", map[string]string{
		"HookstreamAPIErrorBudgetBurnFast": "",
		"HookstreamAPIErrorBudgetBurnSlow": "",
		"HookstreamStatusRefreshFailing":   `kind="Destination"`,
	})
	emu.ClearFaults(t)

	// The latency objective of the alerts is a bucket bound the manager's histogram has.
	if !store.HasSeries("hookstream_api_request_duration_seconds_bucket", map[string]string{"le": "1.28"}) {
		t.Error(`no hookstream_api_request_duration_seconds_bucket{le="1.28"} scraped: the latency alerts read that bucket`)
	}
	// Every metric the dashboard and the alert rules read was in a scrape of the real manager.
	scraped := store.MetricNames()
	queries, err := harness.DashboardQueries(filepath.Join(s.Root, "config", "grafana", "hookstream-operator-dashboard.json"))
	harnesstest.Must(t, err)
	for _, r := range rules {
		queries = append(queries, harness.PanelQuery{Panel: "alert " + r.Name, Expr: r.Expr})
	}
	for _, q := range queries {
		names, err := harness.QueryMetricNames(q.Expr)
		if err != nil {
			t.Errorf("%s: %q does not parse: %v", q.Panel, q.Expr, err)
		}
		for _, name := range names {
			if !scraped[name] {
				t.Errorf("%s reads %s, which no scrape of the manager had", q.Panel, name)
			}
		}
	}
}

// scrapeEvery scrapes url into store every interval until the test ends.
func scrapeEvery(t *testing.T, store *harness.ScrapeStore, url string, interval time.Duration) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			if samples, err := harness.ScrapeMetrics(ctx, nil, url); err == nil {
				store.Add(time.Now(), samples, "hookstream-operator", url)
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait() })
}

// waitForAlerts evaluates the rules at the latest scrape until the alerts of want are active, each with a series
// whose labels contain the given text, and then requires that no other alert is active.
func waitForAlerts(t *testing.T, store *harness.ScrapeStore, rules []harness.AlertRule, phase string, want map[string]string) {
	t.Helper()
	var active map[string][]string
	start := time.Now()
	err := harness.WaitFor(90*time.Second, phase+": the expected alerts", func() error {
		var err error
		if active, err = harness.FiringAlerts(context.Background(), store, rules, store.Last()); err != nil {
			return err
		}
		for name, labels := range want {
			if !slices.ContainsFunc(active[name], func(series string) bool { return strings.Contains(series, labels) }) {
				return fmt.Errorf("%s not active (active: %v)", name, active)
			}
		}
		if len(want) == 0 && len(active) > 0 {
			return fmt.Errorf("active: %v", active)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", phase, err)
	}
	for name := range active {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: %s is active too: %v", phase, name, active[name])
		}
	}
	got, _ := json.Marshal(active)
	t.Logf("%s: active after %s: %s (%v)", phase, time.Since(start).Round(time.Second), got, slices.Sorted(maps.Keys(active)))
}
