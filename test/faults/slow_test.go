// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package faults

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/emulator"
	"github.com/hookstream/hookstream-operator/test/harness"
	"github.com/hookstream/hookstream-operator/test/harness/harnesstest"
)

// usage is what the manager holds at one moment: goroutines and TCP connections to the emulator, by state.
type usage struct {
	goroutines  int
	connections map[string]int
}

func (u usage) String() string {
	var states []string
	for _, st := range slices.Sorted(maps.Keys(u.connections)) {
		states = append(states, fmt.Sprintf("%s %d", st, u.connections[st]))
	}
	return fmt.Sprintf("%d goroutines, %d connections [%s]", u.goroutines, total(u.connections), strings.Join(states, ", "))
}

func measure(metricsURL string, mgr *harness.Process, port int) (usage, error) {
	g, err := scrape(metricsURL, "go_goroutines")
	if err != nil {
		return usage{}, err
	}
	conns, err := mgr.ConnectionsTo(port)
	if err != nil {
		return usage{}, err
	}
	return usage{goroutines: int(g), connections: conns}, nil
}

// steadyUsage takes five measures half a second apart and keeps the median of each figure, so that a goroutine
// that lives for a moment (a scrape, a timer) does not count.
func steadyUsage(t testing.TB, metricsURL string, mgr *harness.Process, port int) usage {
	t.Helper()
	var gs, cs []int
	var last usage
	for range 5 {
		u, err := measure(metricsURL, mgr, port)
		must(t, err)
		gs, cs = append(gs, u.goroutines), append(cs, total(u.connections))
		last = u
		time.Sleep(500 * time.Millisecond)
	}
	slices.Sort(gs)
	slices.Sort(cs)
	last.goroutines = gs[2]
	if total(last.connections) != cs[2] {
		last.connections = map[string]int{"median": cs[2]}
	}
	return last
}

// TestSlowAPITimeouts makes every hookstream answer take longer than the manager's --hookstream-timeout while
// Destinations, Sources and Connections are created and changed (the Sources and Destinations the Connections route
// between are not). The calls must time out, the conditions say so, and once
// hookstream is fast again and everything converged, the manager's goroutines and connections to hookstream must be
// back at their level before the fault.
func TestSlowAPITimeouts(t *testing.T) {
	const timeout, latency = time.Second, 3 * time.Second
	// Each kept-alive connection holds two goroutines (its read and write loops) and the pool keeps up to one per
	// worker, and each kind's controller has its workers; ten more cover the manager's own short-lived goroutines
	// (timers, event broadcasts, probes).
	const workers, goroutineSlack = 4, 10
	pooled := workers * len(allKinds)
	r := table.start(t, fmt.Sprintf("slow API: %s latency, %s timeout, %s (all kinds)", latency, timeout, size.slowFault))
	emu := s.StartEmulator(t)
	ns := s.NewNamespace(t, "slow")
	runs := runsOf(t, ns, allKinds...)
	mgr := s.StartManager(t, emu, ns, append([]string{"--hookstream-timeout", timeout.String(),
		"--max-concurrent-reconciles", fmt.Sprint(workers)}, harness.MetricsArgs...)...)
	metricsURL := harnesstest.MetricsURL(t, mgr)
	port := emu.Port
	hs := emu.Client(t)

	existing := names("e", size.slowObjects/2)
	created := names("c", size.slowObjects-len(existing))
	for _, run := range runs {
		for _, name := range existing {
			must(t, run.create(name, 1))
		}
		run.baseline()
	}
	waitConverged(t, mgr, runs...)
	time.Sleep(3 * time.Second)
	baseline := steadyUsage(t, metricsURL, mgr, port)

	before := emu.Stats(t)
	emu.SetFaults(t, emulator.Faults{Latency: latency})
	start := time.Now()
	for _, run := range runs {
		for _, name := range existing {
			must(t, run.update(name, 2))
		}
		for _, name := range created {
			must(t, run.create(name, 1))
		}
		r.Attempted += run.made.ops()
	}
	peak := usage{}
	for time.Since(start) < size.slowFault-time.Second {
		u, err := measure(metricsURL, mgr, port)
		must(t, err)
		if u.goroutines > peak.goroutines {
			peak.goroutines = u.goroutines
		}
		if total(u.connections) > total(peak.connections) {
			peak.connections = u.connections
		}
		time.Sleep(time.Second)
	}
	waitAll(t, ns, 5*time.Second, "conditions during the slow API", func(obj object) error {
		if isRouteEnd(obj) {
			return nil
		}
		if err := hasCondition(obj, v1.ConditionSynced, metav1.ConditionFalse, v1.ReasonAPIUnavailable); err != nil {
			return err
		}
		if msg := meta.FindStatusCondition(obj.GetManagedStatus().Conditions, v1.ConditionSynced).Message; !strings.Contains(msg, "did not answer in time") {
			return fmt.Errorf("Synced message %q does not say hookstream did not answer in time", msg)
		}
		return nil
	}, allKinds...)
	during := harness.StatsSince(emu.Stats(t), before)
	emu.ClearFaults(t)
	faultEnd := time.Now()
	r.FaultCalls = during.Total()
	// A request the emulator held for about the client's timeout or longer was given up by the client (the server
	// sees a little less than the client's full timeout, which also covers its own waits). Requests with a body are
	// not aborted by the emulator when the client leaves (net/http notices a closed connection only once the body
	// is read): they are handled after the latency, and a write may happen whose answer nobody reads.
	var timedOut, lateHandled, lateSucceeded int
	for _, q := range emu.Requests(t) {
		if q.Start.Before(start) || !q.Start.Before(faultEnd) || q.End.Sub(q.Start) < timeout*9/10 {
			continue
		}
		timedOut++
		if q.Status != 0 {
			lateHandled++
			if q.Status < 300 {
				lateSucceeded++
			}
		}
	}
	if timedOut == 0 {
		t.Errorf("no request timed out: %s", describeStats(during))
	}

	r.Recover = waitConverged(t, mgr, runs...)
	// The connections opened by the recovery burst stay in the pool; what matters is that nothing grows with the
	// number of timeouts.
	time.Sleep(5 * time.Second)
	after := steadyUsage(t, metricsURL, mgr, port)
	r.note("%d of %d calls timed out (latency %s > --hookstream-timeout %s); conditions said \"hookstream did not answer in time\"",
		timedOut, during.Total(), latency, timeout)
	var found []string
	for _, run := range runs {
		lines, adopted := adoptions(run.k, mgr)
		found = append(found, fmt.Sprintf("%d %ss (%d attempts) by %s", adopted, run.k.kind(), lines, run.k.key()))
	}
	r.note("%d timed-out writes were still handled by the emulator after the client gave up (%d answered 2xx); %s "+
		"then found such a create; calls: %s", lateHandled, lateSucceeded, strings.Join(found, ", "),
		describeStats(during))
	r.note("before the fault: %s; peak during: %s; after recovery: %s", baseline, peak, after)

	extraConns := total(after.connections) - total(baseline.connections)
	if extraConns > pooled {
		t.Errorf("connection leak: %d connections to hookstream after recovery, %d before (%d timeouts)",
			total(after.connections), total(baseline.connections), timedOut)
	}
	allowedGoroutines := baseline.goroutines + goroutineSlack + 2*max(0, extraConns)
	if after.goroutines > allowedGoroutines {
		t.Errorf("goroutine leak: %d goroutines after recovery, %d before, at most %d allowed (%d timeouts)",
			after.goroutines, baseline.goroutines, allowedGoroutines, timedOut)
	}
	r.note("leak bounds: connections ≤ before + %d (one idle connection per worker of each kind's controller may stay "+
		"pooled), goroutines ≤ before + %d + 2 per extra pooled connection = %d", pooled, goroutineSlack, allowedGoroutines)

	for _, run := range runs {
		tl := compareRemote(t, hs, run)
		tl.addTo(r)
		tl.report(t)
		checkRepeatedWrites(t, r, harness.StatsSince(emu.Stats(t), before), run)
	}
	checkNoPanic(t, mgr)
}
