// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package faults

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/emulator"
	"github.com/hookstream/hookstream-operator/test/harness"
)

// TestRequestedCheckDuringFailures asks for a check of every Destination, Source and Connection (the
// reconcile-requested-at annotation) while hookstream answers every request with 500, twice, with a healthy spell in between. As long as
// no request succeeds, no object may report Synced=True for the requested check: the conditions must say that
// hookstream failed, however often the operator retries.
func TestRequestedCheckDuringFailures(t *testing.T) {
	const perKind, watch = 4, 5 * time.Second
	r := table.start(t, "check requested during 500s (all kinds)")
	emu := s.StartEmulator(t)
	ns := s.NewNamespace(t, "check")
	runs := runsOf(t, ns, allKinds...)
	mgr := s.StartManager(t, emu, ns)
	hs := emu.Client(t)

	for _, run := range runs {
		for _, name := range names("d", perKind) {
			must(t, run.create(name, 1))
		}
	}
	waitConverged(t, mgr, runs...)
	objects, counts := 0, []string{}
	for _, run := range runs {
		objects += len(run.want)
		counts = append(counts, fmt.Sprintf("%d %ss", len(run.want), run.k.kind()))
	}

	var faultCalls int64
	for incident := 1; incident <= 2; incident++ {
		request := fmt.Sprintf("check-%d", incident)
		before := emu.Stats(t)
		emu.SetFaults(t, emulator.Faults{ErrorRate: 1, ErrorStatus: http.StatusInternalServerError})
		annotateAll(t, ns, request, allKinds...)
		r.Attempted += objects
		// For a while every answer is a 500: sample the conditions all along.
		lied := map[string]string{}
		for start := time.Now(); time.Since(start) < watch; time.Sleep(100 * time.Millisecond) {
			for _, run := range runs {
				items, err := listObjects(run.k, ns)
				must(t, err)
				for _, obj := range items {
					st := obj.GetManagedStatus()
					synced := meta.FindStatusCondition(st.Conditions, v1.ConditionSynced)
					key := run.k.kind() + " " + obj.GetName()
					if st.LastHandledReconcileAt == request && synced != nil && synced.Status == metav1.ConditionTrue {
						if _, seen := lied[key]; !seen {
							lied[key] = fmt.Sprintf("%s after %s: lastHandledReconcileAt %q with %s=%s/%s %q", key,
								time.Since(start).Round(100*time.Millisecond), request, synced.Type, synced.Status, synced.Reason, synced.Message)
						}
					}
				}
			}
		}
		during := harness.StatsSince(emu.Stats(t), before)
		faultCalls += during.Total()
		emu.ClearFaults(t)
		r.note("incident %d (%s of 500s, check %q requested on %s, the Connections' ends included): %d reported "+
			"Synced=True for the requested check although no request succeeded; calls: %s", incident, watch, request,
			strings.Join(counts, ", "), len(lied), describeStats(during))
		for _, l := range lied {
			t.Errorf("incident %d: %s, while hookstream answered every request with 500 (%s)", incident, l, describeStats(during))
		}
		waitAll(t, ns, size.recoveryLimit, "Synced after incident "+request, func(obj object) error {
			return hasCondition(obj, v1.ConditionSynced, metav1.ConditionTrue, "")
		}, allKinds...)
	}
	r.FaultCalls = faultCalls
	for _, run := range runs {
		tl := compareRemote(t, hs, run)
		tl.addTo(r)
		tl.report(t)
	}
	checkNoPanic(t, mgr)
}
