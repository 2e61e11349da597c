// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package faults

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hookstream/hookstream-operator/internal/emulator"
	"github.com/hookstream/hookstream-operator/test/harness"
	"github.com/hookstream/hookstream-operator/test/harness/harnesstest"
)

// unrecordedLimit bounds the convergence after the restart: it takes a second or two when nothing is wrong, and a
// Source or Destination whose deletion hookstream refuses is tried again only every 30 s.
const unrecordedLimit = 10 * time.Second

// TestUnrecordedConnectionCreate SIGKILLs the manager while hookstream holds the answer to a Connection's create:
// the remote connection exists, and the Connection records neither its id nor anything but the time of the
// attempt. While the manager is down the user changes the Connection, in a case each, and the manager restarts.
// The restarted manager must find the connection it created by its source, destination and name, whatever the
// case: hookstream then holds exactly the connection the Connection describes, or none once it is deleted, and
// every deleted object is gone. In the last case the restarted manager is killed again while hookstream holds the
// answer to the PATCH that renames the connection it found: only the id, recorded before that PATCH, still finds it
// once the Connection is deleted.
func TestUnrecordedConnectionCreate(t *testing.T) {
	const name = "c00"
	cases := []struct {
		name string
		// change is what the user does while the manager is down.
		change func(t *testing.T, byKind map[kindOps]*kindRun)
		// afterPatch, when set, is what the user does after a second kill: the restarted manager is killed while
		// hookstream holds the answer to the PATCH that brings the connection it found to the changed spec.
		afterPatch func(t *testing.T, byKind map[kindOps]*kindRun)
	}{
		{"its spec changed", func(t *testing.T, byKind map[kindOps]*kindRun) {
			must(t, byKind[connections].update(name, 2))
		}, nil},
		{"it is deleted", func(t *testing.T, byKind map[kindOps]*kindRun) {
			must(t, byKind[connections].delete(name))
		}, nil},
		{"its route is deleted", func(t *testing.T, byKind map[kindOps]*kindRun) {
			source, destination := routeEnds(name)
			must(t, byKind[connections].delete(name))
			must(t, byKind[sources].delete(source))
			must(t, byKind[destinations].delete(destination))
		}, nil},
		{"renamed, killed in its PATCH, deleted", func(t *testing.T, byKind map[kindOps]*kindRun) {
			must(t, byKind[connections].update(name, 2))
		}, func(t *testing.T, byKind map[kindOps]*kindRun) {
			must(t, byKind[connections].delete(name))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := table.start(t, "kill between a Connection's POST and its status write, then "+c.name)
			emu := s.StartEmulator(t)
			ns := s.NewNamespace(t, "unrecorded")
			hs := emu.Client(t)
			runs := runsOf(t, ns, allKinds...)
			byKind := map[kindOps]*kindRun{}
			for _, run := range runs {
				byKind[run.k] = run
			}
			mgr := s.StartManager(t, emu, ns)
			managers := []*harness.Process{mgr}
			waitConverged(t, mgr, runs...)
			for _, run := range runs {
				run.baseline()
			}

			before := emu.Stats(t)
			killWhileHeld(t, emu, connections.routes().Create, "the Connection's create", func() *harness.Process {
				must(t, byKind[connections].create(name, 1))
				return mgr
			}, func() error {
				if n := len(connections.remoteBySlug(t, hs)); n == 0 {
					return fmt.Errorf("no remote connection yet")
				}
				return nil
			})
			c.change(t, byKind)
			if c.afterPatch != nil {
				run := byKind[connections]
				killWhileHeld(t, emu, connections.routes().Update, "the PATCH of the connection found by its key", func() *harness.Process {
					mgr = s.StartManager(t, emu, ns)
					managers = append(managers, mgr)
					return mgr
				}, func() error {
					rows := connections.remoteBySlug(t, hs)[slugOf(ns, name)]
					if len(rows) == 0 {
						return fmt.Errorf("no remote connection")
					}
					if diffs := rows[0].diffs(run.want[name]); len(diffs) > 0 {
						return fmt.Errorf("connection %s: %v", rows[0].ID, diffs)
					}
					return nil
				})
				c.afterPatch(t, byKind)
			}
			mgr = s.StartManager(t, emu, ns)
			managers = append(managers, mgr)

			convergeWithin(unrecordedLimit, mgr, runs...)
			checkNoPanic(t, managers...)
			for _, run := range runs {
				settle(t, r, hs, run)
				checkRepeatedWrites(t, r, harness.StatsSince(emu.Stats(t), before), run)
			}
			lines, adopted := adoptions(connections, managers...)
			r.note("%d Connections found their create by %s after the restart (%d attempts); calls: %s", adopted,
				connections.key(), lines, describeStats(harness.StatsSince(emu.Stats(t), before)))
		})
	}
}

// killWhileHeld holds hookstream's answers on route for 2 s, runs act, which makes the manager it returns call the
// route, waits until reached reports the call applied in hookstream, kills that manager before it can record the
// outcome, and waits until hookstream has answered the call, to nobody.
func killWhileHeld(t *testing.T, emu *harnesstest.Emulator, route, what string, act func() *harness.Process, reached func() error) {
	t.Helper()
	before := emu.Stats(t)
	emu.SetFaults(t, emulator.Faults{ResponseDelay: 2 * time.Second, Routes: []string{route}})
	mgr := act()
	harnesstest.WaitUntil(t, 30*time.Second, what+" to reach hookstream", reached)
	mgr.Kill()
	// The emulator counts the held call once it answered.
	harnesstest.WaitUntil(t, 10*time.Second, "the held answer of "+what, func() error {
		if n := harness.StatsSince(emu.Stats(t), before).Count(route); n == 0 {
			return fmt.Errorf("not answered yet")
		}
		return nil
	})
	emu.ClearFaults(t)
}

// TestConnectionChangedDuringCreate creates Connections one after the other while hookstream holds every
// connection create's answer for 300 ms, and changes each one's spec (its name in hookstream among the rest) 100 to
// 400 ms after creating it: the change lands while the create is in flight, or just after. No process dies. Each
// Connection must end with exactly one remote connection, carrying the changed spec.
func TestConnectionChangedDuringCreate(t *testing.T) {
	const hold = 300 * time.Millisecond
	n := size.changedDuringCreate
	r := table.start(t, fmt.Sprintf("%d Connections changed while their create is in flight", n))
	emu := s.StartEmulator(t)
	ns := s.NewNamespace(t, "inflight")
	hs := emu.Client(t)
	runs := runsOf(t, ns, allKinds...)
	mgr := s.StartManager(t, emu, ns)
	waitConverged(t, mgr, runs...)
	for _, run := range runs {
		run.baseline()
	}
	conns := runs[slices.Index(allKinds, connections)]

	before := emu.Stats(t)
	emu.SetFaults(t, emulator.Faults{ResponseDelay: hold, Routes: []string{connections.routes().Create}})
	for i, name := range names("c", n) {
		must(t, conns.create(name, 1))
		time.Sleep(hold/3 + time.Duration(i)*hold/time.Duration(n))
		must(t, conns.update(name, 2))
	}
	r.Attempted = conns.made.ops()
	emu.ClearFaults(t)

	r.Recover = waitConverged(t, mgr, runs...)
	checkNoPanic(t, mgr)
	for _, run := range runs {
		tl := compareRemote(t, hs, run)
		tl.addTo(r)
		tl.report(t)
		checkRepeatedWrites(t, r, harness.StatsSince(emu.Stats(t), before), run)
	}
}
