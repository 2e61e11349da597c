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

// maxInUsePerEnd bounds the DELETEs of one source or destination that hookstream refuses with 409 because its
// connection is still there, per manager process that handles its deletion: the first attempt, and the one its own
// status write (InUse) triggers, since every update of an object being deleted starts a reconcile. After that the
// end waits for its Connection to go, whose deletion starts it again. More is an error loop.
const maxInUsePerEnd = 2

// TestDeleteRoutesAtOnce deletes whole routes, each a Source, a Destination and the Connection between them, all
// at the same moment: every object of every route is deleted concurrently, so the manager meets them in any order.
// hookstream refuses to delete a source or destination that a connection still uses (409), and holds every DELETE
// answer for 300 ms; the manager is SIGKILLed once, when about half of the remote deletes are done, and restarted
// at once. Every deletion must then complete: hookstream holds no source, destination or connection, no object is
// left in Kubernetes (no finalizer stuck), and each source and destination was refused a bounded number of times.
func TestDeleteRoutesAtOnce(t *testing.T) {
	r := table.start(t, fmt.Sprintf("delete %d routes at once, kill -9 midway (all kinds)", size.deleteRoutes))
	emu := s.StartEmulator(t)
	ns := s.NewNamespace(t, "delete")
	hs := emu.Client(t)
	byKind := map[kindOps]*kindRun{}
	var runs []*kindRun
	for _, k := range allKinds {
		byKind[k] = newKindRun(t, k, ns)
		runs = append(runs, byKind[k])
	}
	routes := names("r", size.deleteRoutes)
	for _, name := range routes {
		must(t, byKind[sources].create(name, 1))
		must(t, byKind[destinations].create(name, 1))
		// Each route's Connection links the route's own Source and Destination.
		sp := connections.specFor(ns, name, 1).(connectionSpec)
		sp.Source, sp.Destination = name, name
		must(t, byKind[connections].createSpec(name, sp))
	}
	mgr := s.StartManager(t, emu, ns)
	managers := []*harness.Process{mgr}
	waitConverged(t, mgr, runs...)
	for _, run := range runs {
		run.baseline()
	}

	var deleteRoutes []string
	for _, k := range allKinds {
		deleteRoutes = append(deleteRoutes, k.routes().Delete)
	}
	deletes := func(st emulator.Stats) (n int64) {
		for _, route := range deleteRoutes {
			n += successes(st, route)
		}
		return n
	}
	before := emu.Stats(t)
	emu.SetFaults(t, emulator.Faults{ResponseDelay: 300 * time.Millisecond, Routes: deleteRoutes})
	start := time.Now()
	gate := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, len(runs)*len(routes))
	for _, run := range runs {
		for _, name := range routes {
			wg.Go(func() {
				<-gate
				if err := deleteObject(run.k, ns, name); err != nil {
					errs <- fmt.Errorf("deleting %s %s: %w", run.k.kind(), name, err)
				}
			})
		}
	}
	close(gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}
	issued := time.Since(start)
	for _, run := range runs {
		for _, name := range routes {
			run.deletedNow(name)
		}
		r.Attempted += run.made.ops()
	}

	all := int64(len(runs) * len(routes))
	// Polled more often than WaitUntil does: the deletes go fast.
	for n := int64(0); n < all/2; n = deletes(harness.StatsSince(emu.Stats(t), before)) {
		if time.Since(start) > size.recoveryLimit {
			t.Fatalf("%d of %d remote deletes after %s: %s", n, all, size.recoveryLimit,
				describeStats(harness.StatsSince(emu.Stats(t), before)))
		}
		time.Sleep(10 * time.Millisecond)
	}
	mgr.Kill()
	killedAt := time.Now()
	atKill := harness.StatsSince(emu.Stats(t), before)
	mgr = s.StartManager(t, emu, ns)
	managers = append(managers, mgr)
	r.note("%d objects deleted at once (issued in %s); the manager was killed %s later, after %d of %d remote deletes; "+
		"calls until then: %s", all, issued.Round(10*time.Millisecond), killedAt.Sub(start).Round(10*time.Millisecond),
		deletes(atKill), all, describeStats(atKill))

	converge(mgr, runs...)
	emu.ClearFaults(t)
	during := harness.StatsSince(emu.Stats(t), before)
	r.FaultCalls = during.Total()
	checkNoPanic(t, managers...)
	var recovered time.Duration
	for _, run := range runs {
		if !run.converged {
			t.Error(run.err)
			continue
		}
		recovered = max(recovered, run.recover)
	}
	r.Recover = recovered
	for _, run := range runs {
		tl := compareRemote(t, hs, run)
		tl.addTo(r)
		tl.report(t)
		checkRepeatedWrites(t, r, during, run)
	}
	// Nothing at all may be left in hookstream: this emulator served this scenario alone.
	left := 0
	for _, k := range allKinds {
		for _, rows := range k.remoteBySlug(t, hs) {
			left += len(rows)
		}
	}
	if left > 0 {
		t.Errorf("hookstream still holds %d sources, destinations or connections", left)
	}
	r.note("after the restart, every object was gone in %s; hookstream holds %d resources; calls from the deletes to "+
		"the end: %s", recovered.Round(100*time.Millisecond), left, describeStats(during))
	checkInUseRefusals(t, r, emu, start, len(routes))
}

// checkInUseRefusals counts the DELETEs of sources and destinations that hookstream refused with 409 since start,
// per remote resource, and fails the test when one was refused more often than maxInUsePerEnd per manager process.
func checkInUseRefusals(t testing.TB, r *result, emu *harnesstest.Emulator, start time.Time, ends int) {
	t.Helper()
	const processes = 2
	perPath := map[string]int{}
	for _, q := range emu.Requests(t) {
		if q.Start.Before(start) || q.Method != http.MethodDelete || q.Status != http.StatusConflict {
			continue
		}
		if k := kindOfPath(q.Path); k == sources || k == destinations {
			perPath[q.Path]++
		}
	}
	byKind := map[string][]int{}
	worst := 0
	for path, n := range perPath {
		kind := kindOfPath(path).kind()
		byKind[kind] = append(byKind[kind], n)
		worst = max(worst, n)
		if n > maxInUsePerEnd*processes {
			t.Errorf("hookstream refused %d DELETEs of %s (409: its connection was still there), more than %d per "+
				"manager process: an error loop", n, path, maxInUsePerEnd)
		}
	}
	var parts []string
	for _, kind := range slices.Sorted(maps.Keys(byKind)) {
		counts := byKind[kind]
		slices.Sort(counts)
		total := 0
		for _, n := range counts {
			total += n
		}
		parts = append(parts, fmt.Sprintf("%d %ss of %d refused %d times in all (per refused one: %v)", len(counts),
			kind, ends, total, counts))
	}
	if len(parts) == 0 {
		parts = append(parts, "none")
	}
	r.note("DELETEs refused with 409 because the connection was still there: %s; at most %d for one (allowed %d per "+
		"manager process, %d processes)", strings.Join(parts, "; "), worst, maxInUsePerEnd, processes)
}
