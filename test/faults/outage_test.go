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

// TestOutageDuringCreatesUpdatesDeletes takes hookstream down (every request answered 503) while Destinations,
// Sources and Connections are created, changed and deleted. While it lasts, each of them must say so in its
// conditions and the operator's calls must stay within what its exponential backoff allows; afterwards everything
// converges. Each kind has its row. The Sources and Destinations the Connections route between are not touched
// during the outage: they have nothing to report, and are left out of the conditions' check.
func TestOutageDuringCreatesUpdatesDeletes(t *testing.T) {
	var rows []*result
	for _, k := range allKinds {
		rows = append(rows, table.start(t, fmt.Sprintf("hookstream outage %s (%s)", size.outage, k.kind())))
	}
	emu := s.StartEmulator(t)
	ns := s.NewNamespace(t, "outage")
	runs := runsOf(t, ns, allKinds...)
	mgr := s.StartManager(t, emu, ns, harness.MetricsArgs...)
	metricsURL := harnesstest.MetricsURL(t, mgr)
	hs := emu.Client(t)

	created := names("c", size.outageCreates)
	updated := names("u", size.outageUpdates)
	deleted := names("x", size.outageDeletes)
	for _, run := range runs {
		for _, name := range slices.Concat(updated, deleted) {
			must(t, run.create(name, 1))
		}
		run.baseline()
	}
	waitConverged(t, mgr, runs...)

	// The operations interleave, kind after kind, over the first 40% of the outage, so that each kind of operation
	// meets both a fresh failure and a long one.
	type op struct {
		run        *kindRun
		kind, name string
	}
	var ops []op
	for i := range max(len(created), len(updated), len(deleted)) {
		for _, run := range runs {
			if i < len(created) {
				ops = append(ops, op{run, "create", created[i]})
			}
			if i < len(updated) {
				ops = append(ops, op{run, "update", updated[i]})
			}
			if i < len(deleted) {
				ops = append(ops, op{run, "delete", deleted[i]})
			}
		}
	}
	before := emu.Stats(t)
	emu.SetFaults(t, emulator.Faults{Outage: true})
	start := time.Now()
	gap := size.outage * 4 / 10 / time.Duration(len(ops))
	for _, o := range ops {
		switch o.kind {
		case "create":
			must(t, o.run.create(o.name, 1))
		case "update":
			must(t, o.run.update(o.name, 2))
		case "delete":
			must(t, o.run.delete(o.name))
		}
		time.Sleep(gap)
	}

	time.Sleep(time.Until(start.Add(size.outage - min(2*time.Second, size.outage/5))))
	// What each kind's objects showed is reported in the kind's subtest.
	problems := map[*kindRun][]string{}
	for i, run := range runs {
		items, err := listObjects(run.k, ns)
		must(t, err)
		wrong, reasons, example := 0, map[string]int{}, map[string]string{}
		ends := 0
		for _, obj := range items {
			if isRouteEnd(obj) {
				ends++
				continue
			}
			readyReason := v1.ReasonAPIUnavailable
			if run.deleted[obj.GetName()] {
				readyReason = v1.ReasonDeleting
			}
			if c := meta.FindStatusCondition(obj.GetManagedStatus().Conditions, v1.ConditionSynced); c != nil {
				key := fmt.Sprintf("Synced=%s/%s", c.Status, c.Reason)
				reasons[key]++
				example[key] = c.Message
			}
			ok := true
			for _, err := range []error{
				hasCondition(obj, v1.ConditionSynced, metav1.ConditionFalse, v1.ReasonAPIUnavailable),
				hasCondition(obj, v1.ConditionReconciling, metav1.ConditionTrue, v1.ReasonAPIUnavailable),
				hasCondition(obj, v1.ConditionReady, metav1.ConditionFalse, readyReason),
			} {
				if err != nil {
					ok = false
					problems[run] = append(problems[run], fmt.Sprintf("during the outage, %s: %v", obj.GetName(), err))
				}
			}
			if !ok {
				wrong++
			}
		}
		var seen []string
		for _, key := range slices.Sorted(maps.Keys(reasons)) {
			seen = append(seen, fmt.Sprintf("%s ×%d (e.g. %q)", key, reasons[key], example[key]))
		}
		rows[i].note("conditions near the end of the outage: %d of %d %ss showed Synced=False/APIUnavailable, "+
			"Reconciling=True and Ready=False (reason APIUnavailable, or Deleting for the deleted ones); seen: %s",
			len(items)-ends-wrong, len(items)-ends, run.k.kind(), strings.Join(seen, "; "))
	}

	time.Sleep(time.Until(start.Add(size.outage)))
	during := harness.StatsSince(emu.Stats(t), before)
	emu.ClearFaults(t)
	end := time.Now()
	requests := emu.Requests(t)

	// Two more attempts per object than backoff alone: a watch event enqueues at once, and a deleting object's
	// first failed attempt writes its status, which its own watch passes on.
	perObject := backoffAttempts(end.Sub(start)) + 2
	for i, run := range runs {
		r, calls, objects := rows[i], kindStats(during, run.k), run.made.ops()
		r.Attempted = objects
		r.FaultCalls = calls.Total()
		allowed := perObject * objects
		secondHalf := 0
		for _, q := range requests {
			if kindOfPath(q.Path) == run.k && !q.Start.Before(start.Add(end.Sub(start)/2)) && q.Start.Before(end) {
				secondHalf++
			}
		}
		r.note("%d calls for %d %ss in %s: %.1f per object; per-item exponential backoff (5 ms doubling, no overall "+
			"bucket with a priority queue) allows %d attempts per object in that time, +2 for watch events = %d in all; "+
			"%d of the calls came in the second half", calls.Total(), objects, run.k.kind(),
			end.Sub(start).Round(100*time.Millisecond), float64(calls.Total())/float64(objects), perObject-2, allowed, secondHalf)
		r.note("calls during the outage: %s", describeStats(calls))
		if calls.Total() > int64(allowed) {
			problems[run] = append(problems[run], fmt.Sprintf("%d hookstream calls for %ss during the outage, more than "+
				"backoff allows (%d)", calls.Total(), run.k.kind(), allowed))
		}
	}

	converge(mgr, runs...)
	checkNoPanic(t, mgr)
	for i, run := range runs {
		rows[i].note("%s", releases(metricsURL, run.k.kind()))
	}
	perKind(t, runs, rows, func(t *testing.T, run *kindRun, r *result) {
		for _, p := range problems[run] {
			t.Error(p)
		}
		tl := compareRemote(t, hs, run)
		tl.addTo(r)
		tl.report(t)
		checkRepeatedWrites(t, r, harness.StatsSince(emu.Stats(t), before), run)
	})
}
