// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package faults

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/emulator"
	"github.com/hookstream/hookstream-operator/test/harness"
	"github.com/hookstream/hookstream-operator/test/harness/harnesstest"
)

const (
	// inflightTimeout is the restarted manager's --hookstream-timeout: with the margin the manager adds (15 s), a
	// create requested less than about 19 s ago may still land.
	inflightTimeout = 3 * time.Second
	// inflightWindow is how long after its create was requested a held create must land for the scenario to test
	// what it means to: the restarted manager waits that long at least.
	inflightWindow = inflightTimeout + 15*time.Second
)

// TestDeleteWhileCreateInFlight holds a create of each kind in hookstream before it is handled, SIGKILLs the
// manager while they are held, deletes the three objects, and starts a new manager. Its deletion finds nothing by
// natural key: the creates have not landed. Only then does hookstream handle the held creates, for a client long
// gone. Each deletion must wait until a create requested that recently can no longer land, look again, and delete
// what it made: hookstream ends with nothing of the deleted objects, and the objects are gone.
func TestDeleteWhileCreateInFlight(t *testing.T) {
	const name = "inflight"
	r := table.start(t, "kill while hookstream holds a create before handling it, then delete; the create lands after the lookup")
	emu := s.StartEmulator(t)
	ns := s.NewNamespace(t, "inflight")
	hs := emu.Client(t)
	runs := runsOf(t, ns, allKinds...)
	mgr := s.StartManager(t, emu, ns)
	managers := []*harness.Process{mgr}
	waitConverged(t, mgr, runs...)
	for _, run := range runs {
		run.baseline()
	}
	creates := make([]string, len(runs))
	for i, run := range runs {
		creates[i] = run.k.routes().Create
	}

	before := emu.Stats(t)
	emu.SetFaults(t, emulator.Faults{HandlingDelay: 5 * time.Minute, Routes: creates})
	requested := time.Now()
	for _, run := range runs {
		must(t, run.create(name, 1))
	}
	waitHeld(t, emu, creates, "the three creates to be held in hookstream")
	mgr.Kill()
	for _, run := range runs {
		must(t, run.delete(name))
	}

	mgr = s.StartManager(t, emu, ns, "--hookstream-timeout="+inflightTimeout.String())
	managers = append(managers, mgr)
	// The deletions have looked the natural keys up, and found nothing: either the objects are gone already, or
	// they say that they wait for the creates in flight.
	waitAllLookedUp(t, runs, name)
	if held := time.Since(requested); held >= inflightWindow-2*time.Second {
		t.Fatalf("the creates were held %s before the restarted manager looked them up: too close to the %s in "+
			"which they may land to test the wait", held.Round(time.Second), inflightWindow)
	}
	emu.ClearFaults(t)
	harnesstest.WaitUntil(t, 10*time.Second, "the held creates to be handled", func() error {
		now := emu.Stats(t)
		if len(now.Held) > 0 {
			return fmt.Errorf("still held: %v", now.Held)
		}
		for _, route := range creates {
			if harness.StatsSince(now, before).Count(route) == 0 {
				return fmt.Errorf("%s not answered yet", route)
			}
		}
		return nil
	})
	landed := time.Since(requested)

	convergeWithin(inflightWindow+size.recoveryLimit, mgr, runs...)
	checkNoPanic(t, managers...)
	for _, run := range runs {
		settle(t, r, hs, run)
	}
	r.note("creates handled by hookstream %s after they were requested, after the restarted manager's lookup; "+
		"calls: %s", landed.Round(100*time.Millisecond), describeStats(harness.StatsSince(emu.Stats(t), before)))
}

// waitHeld waits until hookstream holds one request of each route.
func waitHeld(t testing.TB, emu *harnesstest.Emulator, routes []string, what string) {
	t.Helper()
	harnesstest.WaitUntil(t, 30*time.Second, what, func() error {
		held := emu.Stats(t).Held
		for _, route := range routes {
			if held[route] != 1 {
				return fmt.Errorf("held: %v", held)
			}
		}
		return nil
	})
}

// waitAllLookedUp waits until the deletion of the object name of every run has looked its natural key up: the
// object is gone, or it says that it waits for its create in flight.
func waitAllLookedUp(t testing.TB, runs []*kindRun, name string) {
	t.Helper()
	harnesstest.WaitUntil(t, 30*time.Second, "the deletions to look the natural keys up", func() error {
		var pending []string
		for _, run := range runs {
			items, err := listObjects(run.k, run.ns)
			if err != nil {
				return err
			}
			objects := map[string]object{}
			for _, obj := range items {
				objects[obj.GetName()] = obj
			}
			obj := objects[name]
			if obj == nil {
				continue
			}
			ready := meta.FindStatusCondition(obj.GetManagedStatus().Conditions, v1.ConditionReady)
			if ready == nil || ready.Reason != v1.ReasonDeleting || !strings.Contains(ready.Message, "may still land") {
				pending = append(pending, fmt.Sprintf("%s %s (%s)", run.k.kind(), name, conditionSummary(obj)))
			}
		}
		if len(pending) > 0 {
			return fmt.Errorf("not looked up yet: %s", strings.Join(pending, "; "))
		}
		return nil
	})
}
