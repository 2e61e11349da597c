// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package faults

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookstream/hookstream-operator/internal/emulator"
	"github.com/hookstream/hookstream-operator/test/harness"
	"github.com/hookstream/hookstream-operator/test/harness/harnesstest"
)

// TestRateLimitStormAnd5xx answers every request with 429 (and Retry-After: 1) while Destinations, Sources and
// Connections are created, changed and deleted, then 30% of requests with 500 or 503 while the operator converges and applies a
// second round of changes. The operator must converge without a duplicate and never exceed its rate budget, which
// every kind shares, measured from the arrival time of every request at the emulator.
// stormFailRate is the share of requests that fail after the storm.
const stormFailRate = 0.3

func TestRateLimitStormAnd5xx(t *testing.T) {
	const rate, burst = 5, 5
	r := table.start(t, fmt.Sprintf("429 storm %s, then 30%% 5xx (all kinds)", size.storm))
	emu := s.StartEmulator(t)
	ns := s.NewNamespace(t, "storm")
	runs := runsOf(t, ns, allKinds...)
	mgr := s.StartManager(t, emu, ns, append([]string{"--hookstream-rate-limit", fmt.Sprint(rate), "--hookstream-rate-burst",
		fmt.Sprint(burst)}, harness.MetricsArgs...)...)
	metricsURL := harnesstest.MetricsURL(t, mgr)
	hs := emu.Client(t)

	existing := names("e", size.stormExist)
	updated, deleted := existing[:len(existing)/2], existing[len(existing)/2:]
	created := names("c", size.stormCreates)
	for _, run := range runs {
		for _, name := range existing {
			must(t, run.create(name, 1))
		}
		run.baseline()
	}
	waitConverged(t, mgr, runs...)

	before := emu.Stats(t)
	emu.SetFaults(t, emulator.Faults{ErrorRate: 1, ErrorStatus: http.StatusTooManyRequests})
	stormStart := time.Now()
	for _, run := range runs {
		for _, name := range created {
			must(t, run.create(name, 1))
		}
		for _, name := range updated {
			must(t, run.update(name, 2))
		}
		for _, name := range deleted {
			must(t, run.delete(name))
		}
		r.Attempted += run.made.ops()
	}
	var stormOps writes
	for _, run := range runs {
		stormOps.creates += run.made.creates
		stormOps.updates += run.made.updates
		stormOps.deletes += run.made.deletes
		stormOps.createPatches += run.made.createPatches
	}
	time.Sleep(time.Until(stormStart.Add(size.storm)))
	storm := harness.StatsSince(emu.Stats(t), before)
	stormEnd := time.Now()
	stormSeconds := stormEnd.Sub(stormStart).Seconds()
	r.FaultCalls = storm.Total()
	r.note("storm: %d calls in %.0f s (%.1f/s), %d answered 429", storm.Total(), stormSeconds,
		float64(storm.Total())/stormSeconds, countStatus(storm, http.StatusTooManyRequests))

	// 30% of the requests fail, with 500 and 503 in turn, for as long as the operator needs to converge twice.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var toggleErr error
	wg.Go(func() {
		for i := 0; ; i++ {
			status := []int{http.StatusInternalServerError, http.StatusServiceUnavailable}[i%2]
			if err := emu.Emulator.SetFaults(emulator.Faults{ErrorRate: stormFailRate, ErrorStatus: status}); err != nil {
				toggleErr = err
				return
			}
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Second):
			}
		}
	})
	// The budget and the calls are measured however the scenario ends, a failed convergence included.
	endFaults := sync.OnceFunc(func() {
		close(stop)
		wg.Wait()
		emu.ClearFaults(t)
		faultEnd := time.Now()
		if toggleErr != nil {
			t.Error(toggleErr)
		}
		all := harness.StatsSince(emu.Stats(t), before)
		r.FaultCalls = all.Total()
		r.note("calls during the faults: %s", describeStats(all))
		arrivals := arrivalsBetween(emu.Requests(t), stormStart, faultEnd)
		var budget []string
		for _, w := range []time.Duration{time.Second, 5 * time.Second, 10 * time.Second} {
			// A token bucket lets through at most burst + rate·w requests in any w; 50 ms cover the time between
			// taking a token and the request reaching the emulator.
			allowed := burst + int(float64(rate)*(w+50*time.Millisecond).Seconds())
			got := maxInWindow(arrivals, w)
			budget = append(budget, fmt.Sprintf("%d in %s (allowed %d)", got, w, allowed))
			if got > allowed {
				t.Errorf("%d requests within %s, above the budget of %d (--hookstream-rate-limit %d --hookstream-rate-burst %d)",
					got, w, allowed, rate, burst)
			}
		}
		r.note("rate budget %d/s burst %d: busiest windows %v; %d requests over %.0f s = %.2f/s", rate, burst, budget,
			len(arrivals), faultEnd.Sub(stormStart).Seconds(), float64(len(arrivals))/faultEnd.Sub(stormStart).Seconds())
		if gaps := silences(arrivals, stormEnd, faultEnd, 10*time.Second); len(gaps) > 0 {
			r.note("silences of 10 s or more under 30%% 5xx, none asked for by hookstream: %v", gaps)
		}
	})
	defer endFaults()
	recoverStart := time.Now()
	r.Recover = waitConverged(t, mgr, runs...)
	r.note("30%% 5xx: the storm's changes converged %s after it ended (%s); %s", r.Recover.Round(100*time.Millisecond),
		perKindRecover(runs), releases(metricsURL, ""))
	noteRecoveryCalls(t, r, emu, stormEnd, recoverStart.Add(r.Recover), stormOps, rate, burst)
	secondRound := 0
	for _, run := range runs {
		for _, name := range slices.Sorted(maps.Keys(run.want)) {
			must(t, run.update(name, 3))
			secondRound++
		}
	}
	r.Attempted += secondRound
	secondRecover := waitConverged(t, mgr, runs...)
	r.note("30%% 5xx: a second round of %d updates converged in %s", secondRound, secondRecover.Round(100*time.Millisecond))
	endFaults()

	for _, run := range runs {
		tl := compareRemote(t, hs, run)
		tl.addTo(r)
		tl.report(t)
		checkRepeatedWrites(t, r, harness.StatsSince(emu.Stats(t), before), run)
	}
	checkNoPanic(t, mgr)
}

func countStatus(st emulator.Stats, status int) int64 {
	var n int64
	for _, codes := range st.Routes {
		n += codes[status]
	}
	return n
}

// silences lists the spells of at least atLeast without any request arriving, between from and to.
func silences(arrivals []time.Time, from, to time.Time, atLeast time.Duration) []string {
	var out []string
	last := from
	for _, a := range append(arrivals, to) {
		if a.Before(from) {
			continue
		}
		if gap := a.Sub(last); gap >= atLeast {
			out = append(out, fmt.Sprintf("%s at +%s", gap.Round(100*time.Millisecond), last.Sub(from).Round(time.Second)))
		}
		last = a
	}
	return out
}

// perKindRecover renders each run's time to converge, "Destination 41.2s, ...".
func perKindRecover(runs []*kindRun) string {
	parts := make([]string, len(runs))
	for i, run := range runs {
		parts[i] = fmt.Sprintf("%s %s", run.k.kind(), run.recover.Round(100*time.Millisecond))
	}
	return strings.Join(parts, ", ")
}

// noteRecoveryCalls notes where the time from the storm's end to convergence went: the requests made, by route
// and answer, per 10 s, the budget left unused, and the floor that the storm's changes, the budget and the
// failure rate set.
func noteRecoveryCalls(t *testing.T, r *result, emu *harnesstest.Emulator, from, to time.Time, ops writes, rate, burst int) {
	span := callsBetween(emu.Requests(t), from, to, float64(rate), 10*time.Second)
	r.note("from the storm's end to convergence: %s", span.describe(float64(rate)))
	r.note("from the storm's end to convergence, by route: %s", describeStats(span.stats))
	r.note("from the storm's end to convergence, requests per 10 s: %s", span.describeBins())
	r.note("from the storm's end to convergence, %s", span.describeIdle(float64(rate)))
	needed := ops.ops() + ops.createPatches
	noFail, dNoFail := writeFloor(needed, 0, float64(rate), burst)
	attempts, d := writeFloor(needed, stormFailRate, float64(rate), burst)
	withReads, dReads := writeFloor(needed+ops.updates, stormFailRate, float64(rate), burst)
	r.note("floor: the storm's %d changes (%d creates, %d updates, %d deletes) need %d writes that succeed, none "+
		"before the storm ends: %.0f requests take %.1f s at %d/s after a burst of %d; with %.0f%% failing, %.0f "+
		"requests on average, %.1f s; with the read by id before each update's PATCH, %.0f requests, %.1f s",
		ops.ops(), ops.creates, ops.updates, ops.deletes, needed, noFail, dNoFail.Seconds(), rate, burst,
		stormFailRate*100, attempts, d.Seconds(), withReads, dReads.Seconds())
}
