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
)

// TestOutageDuringCreatesUpdatesDeletes takes hookstream down (every request answered 503) while Destinations are
// created, changed and deleted. While it lasts, each of them must say so in its conditions and the operator's
// calls must stay within what its exponential backoff allows; afterwards everything converges.
func TestOutageDuringCreatesUpdatesDeletes(t *testing.T) {
	r := table.start(t, fmt.Sprintf("hookstream outage %s", size.outage))
	emu := s.StartEmulator(t)
	ns := s.NewNamespace(t, "outage")
	mgr := s.StartManager(t, emu, ns)
	hs := emu.Client(t)

	created := names("c", size.outageCreates)
	updated := names("u", size.outageUpdates)
	deleted := names("x", size.outageDeletes)
	want := map[string]spec{}
	for _, name := range slices.Concat(updated, deleted) {
		want[name] = specFor(name, 1)
		must(t, createDestination(ns, name, want[name]))
	}
	waitConverged(t, ns, want, mgr)

	// The operations interleave over the first 40% of the outage, so that each kind meets both a fresh failure and
	// a long one.
	type op struct{ kind, name string }
	var ops []op
	for i := range max(len(created), len(updated), len(deleted)) {
		if i < len(created) {
			ops = append(ops, op{"create", created[i]})
		}
		if i < len(updated) {
			ops = append(ops, op{"update", updated[i]})
		}
		if i < len(deleted) {
			ops = append(ops, op{"delete", deleted[i]})
		}
	}
	r.Attempted = len(ops)
	gone := map[string]bool{}
	before := emu.Stats(t)
	emu.SetFaults(t, emulator.Faults{Outage: true})
	start := time.Now()
	gap := size.outage * 4 / 10 / time.Duration(len(ops))
	for _, o := range ops {
		switch o.kind {
		case "create":
			want[o.name] = specFor(o.name, 1)
			must(t, createDestination(ns, o.name, want[o.name]))
		case "update":
			want[o.name] = specFor(o.name, 2)
			must(t, updateDestination(ns, o.name, want[o.name]))
		case "delete":
			delete(want, o.name)
			gone[o.name] = true
			must(t, deleteDestination(ns, o.name))
		}
		time.Sleep(gap)
	}

	time.Sleep(time.Until(start.Add(size.outage - min(2*time.Second, size.outage/5))))
	items, err := listDestinations(ns)
	must(t, err)
	wrong, reasons, example := 0, map[string]int{}, map[string]string{}
	for i := range items {
		d := &items[i]
		readyReason := v1.ReasonAPIUnavailable
		if gone[d.Name] {
			readyReason = v1.ReasonDeleting
		}
		if c := meta.FindStatusCondition(d.Status.Conditions, v1.ConditionSynced); c != nil {
			key := fmt.Sprintf("Synced=%s/%s", c.Status, c.Reason)
			reasons[key]++
			example[key] = c.Message
		}
		ok := true
		for _, err := range []error{
			hasCondition(d, v1.ConditionSynced, metav1.ConditionFalse, v1.ReasonAPIUnavailable),
			hasCondition(d, v1.ConditionReconciling, metav1.ConditionTrue, v1.ReasonAPIUnavailable),
			hasCondition(d, v1.ConditionReady, metav1.ConditionFalse, readyReason),
		} {
			if err != nil {
				ok = false
				t.Errorf("during the outage, %s: %v", d.Name, err)
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
	r.note("conditions near the end of the outage: %d of %d Destinations showed Synced=False/APIUnavailable, "+
		"Reconciling=True and Ready=False (reason APIUnavailable, or Deleting for the deleted ones); seen: %s",
		len(items)-wrong, len(items), strings.Join(seen, "; "))

	time.Sleep(time.Until(start.Add(size.outage)))
	during := harness.StatsSince(emu.Stats(t), before)
	emu.ClearFaults(t)
	end := time.Now()
	r.FaultCalls = during.Total()

	// Two more attempts per object than backoff alone: a watch event enqueues at once, and a deleting object's
	// first failed attempt writes its status, which its own watch passes on.
	perObject := backoffAttempts(end.Sub(start)) + 2
	allowed := perObject * len(ops)
	secondHalf := len(arrivalsBetween(emu.Requests(t), start.Add(end.Sub(start)/2), end))
	r.note("%d calls for %d objects in %s: %.1f per object; per-item exponential backoff (5 ms doubling, no overall "+
		"bucket with a priority queue) allows %d attempts per object in that time, +2 for watch events = %d in all; %d "+
		"of the calls came in the second half",
		during.Total(), len(ops), end.Sub(start).Round(100*time.Millisecond), float64(during.Total())/float64(len(ops)),
		perObject-2, allowed, secondHalf)
	r.note("calls during the outage: %s", describeStats(during))
	if during.Total() > int64(allowed) {
		t.Errorf("%d hookstream calls during the outage, more than backoff allows (%d)", during.Total(), allowed)
	}

	r.Recover = waitConverged(t, ns, want, mgr)
	tl := compareRemote(t, hs, ns, want, gone)
	tl.addTo(r)
	tl.report(t)
	repeated, writes := repeatedWrites(harness.StatsSince(emu.Stats(t), before), len(created), len(updated), len(deleted))
	r.Duplicated += repeated
	r.note("%s", writes)
	if repeated > 0 {
		t.Errorf("%d repeated remote writes: %s", repeated, writes)
	}
	checkNoPanic(t, mgr)
}
