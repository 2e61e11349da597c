// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/hookstream/hookstream-operator/internal/emulator"
	"github.com/hookstream/hookstream-operator/test/harness"
	"github.com/hookstream/hookstream-operator/test/harness/harnesstest"
)

// refreshPhase is what hookstream and the API server saw during one status refresh and the reconciles it started.
type refreshPhase struct {
	Name string `json:"name"`
	// Changed is how many Destinations the refresh handed to the reconciler (counters moved, or circuit not closed).
	Changed     float64 `json:"changed"`
	Lists       int64   `json:"lists"`
	CircuitGets int64   `json:"circuitGets"`
	OtherCalls  int64   `json:"otherCalls"`
	StatusWrite float64 `json:"statusWrites"`
	EventWrites float64 `json:"eventWrites"`
	window
}

// BenchmarkStatusRefresh is `make bench-refresh`: N Destinations (BENCH_N, default 5000) of one API key, 1 % of
// them receiving deliveries and some of those failing until their circuit opens, under a manager whose drift checks
// never come (--drift-interval=1h) and whose status refresh runs every BENCH_REFRESH_INTERVAL (default 20s). It
// prints, per refresh, the hookstream calls and the Kubernetes writes, against the N GETs and N status writes of a
// naive refresh that reads every Destination and its circuit. Figures are reported, never asserted.
func BenchmarkStatusRefresh(b *testing.B) {
	cfg := loadConfig(b)
	interval := 20 * time.Second
	if v := os.Getenv("BENCH_REFRESH_INTERVAL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 5*time.Second {
			b.Fatalf("BENCH_REFRESH_INTERVAL=%q: want a duration of at least 5s", v)
		}
		interval = d
	}
	n := cfg.N
	busy := max(1, n/100)
	failing := max(1, busy/10)
	command := fmt.Sprintf("make bench-refresh BENCH_N=%d BENCH_REFRESH_INTERVAL=%s", n, interval)
	fmt.Printf("hookstream-operator status refresh benchmark: N=%d, %d receiving deliveries, %d of them failing, "+
		"refresh every %s; rerun with: %s\n", n, busy, failing, interval, command)
	bn := newBench(b, cfg)
	ctx := context.Background()
	if err := bn.warmUp(ctx); err != nil {
		b.Fatal(err)
	}

	ok := harnesstest.NewReceiver(b)
	refusing := harnesstest.NewReceiver(b)
	refusing.SetStatus(http.StatusServiceUnavailable)
	// Every 100th Destination receives deliveries; the first `failing` of those point at the refusing receiver.
	isBusy := func(i int) bool { return i%100 == 0 && i/100 < busy }
	isFailing := func(i int) bool { return isBusy(i) && i/100 < failing }
	bn.destinationURL = func(i int) string {
		if isFailing(i) {
			return refusing.URL + fmt.Sprintf("/hooks/%d", i)
		}
		return ok.URL + fmt.Sprintf("/hooks/%d", i)
	}

	emu := bn.env.StartEmulator(b, emulatorArgs(cfg)...)
	defer emu.Stop()
	ns := bn.env.NewNamespace(b, "bench-refresh")
	mgr := bn.env.StartManager(b, emu, ns, append([]string{
		"--drift-interval", "1h", "--status-refresh-interval", interval.String(),
		"--max-concurrent-reconciles", fmt.Sprint(cfg.Concurrency),
		"--hookstream-rate-limit", fmt.Sprint(cfg.HookstreamRate), "--hookstream-rate-burst", fmt.Sprint(cfg.HookstreamBurst),
	}, harness.MetricsArgs...)...)
	m := &managerRun{proc: mgr, metricsURL: harnesstest.MetricsURL(b, mgr)}
	defer bn.keepLog(mgr, "refresh-manager")

	bn.logf("creating %d Destinations", n)
	out, err := bn.createAndWait(ctx, ns, nil)
	if err != nil {
		b.Fatalf("%v\nmanager log tail:\n%s", err, mgr.Tail(40))
	}
	bn.logf("all %d Ready after %.1fs", n, out.AllReady.Seconds())

	// refreshes counts the refreshes done: each looks at every Destination once.
	refreshes := func() float64 {
		s, err := managerMetrics(ctx, m.metricsURL)
		if err != nil {
			b.Fatal(err)
		}
		total, _ := s.Sum("hookstream_status_refresh_objects_total", map[string]string{"kind": "Destination"})
		return total / float64(n)
	}
	changed := func() float64 {
		s, err := managerMetrics(ctx, m.metricsURL)
		if err != nil {
			b.Fatal(err)
		}
		v, _ := s.Sum("hookstream_status_refresh_objects_total", map[string]string{"kind": "Destination", "outcome": "changed"})
		return v
	}
	// nextRefresh waits until one more refresh is done, then for the reconciles it started to settle.
	nextRefresh := func() {
		start := refreshes()
		harnesstest.WaitUntil(b, 2*interval+time.Minute, "the next status refresh", func() error {
			if refreshes() < start+1 {
				return fmt.Errorf("refresh %v not done yet", start+1)
			}
			return nil
		})
		time.Sleep(min(interval/2, 5*time.Second))
	}
	measure := func(name string, during func()) refreshPhase {
		nextRefresh()
		before, changedBefore := bn.snap(ctx, emu, m), changed()
		if during != nil {
			during()
		}
		nextRefresh()
		after := bn.snap(ctx, emu, m)
		w := between(before, after, nil, 0, 0)
		calls := harness.StatsSince(after.stats, before.stats)
		p := refreshPhase{Name: name, Changed: changed() - changedBefore, window: w,
			Lists: calls.Count(emulator.RouteListDestinations), CircuitGets: calls.Count(emulator.RouteGetCircuit),
			EventWrites: w.EventWrites, StatusWrite: w.ObjectWrites}
		p.OtherCalls = calls.Total() - p.Lists - p.CircuitGets
		bn.logf("%s: %s", name, formatCalls(w.HookstreamCalls))
		return p
	}

	phases := []refreshPhase{measure("quiet (no delivery since the last refresh)", nil)}
	phases = append(phases, measure(fmt.Sprintf("%d Destinations received an event, %d of them failing", busy, failing), func() {
		for i := range n {
			if !isBusy(i) {
				continue
			}
			var item *readyItem
			for j := range out.Items {
				if out.Items[j].Metadata.Name == destinationName(i) {
					item = &out.Items[j]
				}
			}
			emu.Admin(b, http.MethodPost, "/_emulator/destinations/"+item.Status.ID+"/deliveries", map[string]int{"count": 1}, nil)
		}
	}))
	phases = append(phases, measure("no new delivery, circuits still open", nil))

	// What status shows after the refreshes: every busy Destination counted its event, the failing ones are open.
	counted, open := 0, 0
	items, err := listItems[healthItem](ctx, bn, ns, destinationKind)
	if err != nil {
		b.Fatal(err)
	}
	for _, it := range items {
		if it.Status.EventCount > 0 {
			counted++
		}
		if it.Status.Circuit != nil && it.Status.Circuit.State == "open" {
			open++
		}
	}

	fmt.Printf("\nStatus refresh at N=%d (one API key; refresh every %s; drift checks off)\n", n, interval)
	fmt.Printf("%-52s %8s %8s %13s %7s %14s %13s\n", "refresh", "handed", "lists", "circuit GETs", "other",
		"status writes", "event writes")
	limitOK := true
	lists := int64((n + 99) / 100)
	for _, p := range phases {
		fmt.Printf("%-52s %8.0f %8d %13d %7d %14.0f %13.0f\n", p.Name, p.Changed, p.Lists, p.CircuitGets, p.OtherCalls,
			p.StatusWrite, p.EventWrites)
		if p.Lists+p.CircuitGets+p.OtherCalls > lists+int64(p.Changed) {
			limitOK = false
		}
	}
	fmt.Printf("%-52s %8d %8d %13d %7d %14d %13s\n", "naive refresh (GET each, write each)", n, 0, n, n, n, "-")
	fmt.Printf("\nafter the refreshes: %d of %d busy Destinations show their event in status, %d of %d failing show an "+
		"open circuit\n", counted, busy, open, failing)
	verdict := "met"
	if !limitOK {
		verdict = "MISSED"
	}
	fmt.Printf("target: at most ceil(N/100)=%d lists plus one circuit read per changed Destination per refresh: %s\n",
		lists, verdict)
	fmt.Printf("rerun with: %s\n", command)
	if counted != busy || open != failing {
		b.Errorf("status after the refreshes: %d of %d counted, %d of %d open", counted, busy, open, failing)
	}
}

// healthItem is the part of a Destination the refresh benchmark checks after its refreshes.
type healthItem struct {
	Status struct {
		EventCount int64 `json:"eventCount"`
		Circuit    *struct {
			State string `json:"state"`
		} `json:"circuit"`
	} `json:"status"`
}
