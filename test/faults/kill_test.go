// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package faults

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/hookstream/hookstream-operator/internal/emulator"
	"github.com/hookstream/hookstream-operator/test/harness"
)

// seed returns HOOKSTREAM_FAULTS_SEED, or a new seed: the operation sequence of a run can be replayed with it.
func seed(t testing.TB) uint64 {
	t.Helper()
	if v := os.Getenv("HOOKSTREAM_FAULTS_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("HOOKSTREAM_FAULTS_SEED=%q: %v", v, err)
		}
		return n
	}
	return uint64(time.Now().UnixNano())
}

func between(rng *rand.Rand, lo, hi time.Duration) time.Duration {
	return lo + time.Duration(rng.Int64N(int64(hi-lo)))
}

// mixedOps is a driver of random changes to one kind's objects, and its record of what they should be.
type mixedOps struct {
	*kindRun
	all     []string
	rng     *rand.Rand
	version map[string]int
}

func newMixedOps(run *kindRun, all []string, rng *rand.Rand) *mixedOps {
	return &mixedOps{kindRun: run, all: all, rng: rng, version: map[string]int{}}
}

// step applies one random operation: a create (40%), a spec update (35%) or a delete (25%), as the current state
// allows. A name whose previous object is still being deleted is not created again until it is gone.
func (m *mixedOps) step() error {
	var existing, free []string
	for _, name := range m.all {
		if _, ok := m.want[name]; ok {
			existing = append(existing, name)
		} else {
			free = append(free, name)
		}
	}
	p := m.rng.Float64()
	if len(existing) == 0 || (p < 0.4 && len(free) > 0) {
		m.rng.Shuffle(len(free), func(i, j int) { free[i], free[j] = free[j], free[i] })
		for _, name := range free {
			gone, err := isGone(m.k, m.ns, name)
			if err != nil {
				return err
			}
			if !gone {
				continue
			}
			m.version[name]++
			return m.create(name, m.version[name])
		}
		if len(existing) == 0 {
			return nil
		}
		p = 0.4 + m.rng.Float64()*0.6
	}
	name := existing[m.rng.IntN(len(existing))]
	if p < 0.75 {
		m.version[name]++
		return m.update(name, m.version[name])
	}
	return m.delete(name)
}

func (m *mixedOps) done() int { return m.made.ops() }

// existing counts the driven names that have an object.
func (m *mixedOps) existing() int {
	n := 0
	for _, name := range m.all {
		if _, ok := m.want[name]; ok {
			n++
		}
	}
	return n
}

// drive runs the driver's operations, size.killOps of them about size.killOpInterval apart, and returns the first
// error.
func (m *mixedOps) drive() error {
	for m.done() < size.killOps {
		if err := m.step(); err != nil {
			return fmt.Errorf("%s operation %d: %w", m.k.kind(), m.done()+1, err)
		}
		time.Sleep(between(m.rng, size.killOpInterval/2, size.killOpInterval*3/2))
	}
	return nil
}

// TestKillDuringMixedOperations SIGKILLs the manager at random moments (every 0.5 to 3 s) while a driver per kind
// applies a seeded random sequence of creates, spec updates and deletes to Destinations, Sources and Connections at
// once, and restarts it at once each time. The Connections route between Sources and Destinations of their own
// (connectionEnds), which no driver deletes: a Source or Destination that a Connection uses waits for it to go, by
// design (the route deletion scenario has those waits for its subject). hookstream holds every write answer for
// 300 ms, so that kills land between a write and the status that records it. Afterwards hookstream must hold
// exactly the destinations, sources and connections the objects describe, with their specs. Each kind has its row.
func TestKillDuringMixedOperations(t *testing.T) {
	sd := seed(t)
	t.Logf("seed %d (replay the operation sequence with HOOKSTREAM_FAULTS_SEED=%d)", sd, sd)
	emu := s.StartEmulator(t)
	emu.SetFaults(t, emulator.Faults{ResponseDelay: 300 * time.Millisecond, Routes: writeRoutes})
	ns := s.NewNamespace(t, "kill")
	hs := emu.Client(t)
	runs := runsOf(t, ns, allKinds...)
	mgr := s.StartManager(t, emu, ns)
	managers := []*harness.Process{mgr}
	// The Connections' ends exist before the drivers start.
	waitConverged(t, mgr, runs...)
	var drivers []*mixedOps
	var rows []*result
	for i, run := range runs {
		run.baseline()
		rows = append(rows, table.start(t, fmt.Sprintf("kill -9 during %d mixed ops (%s)", size.killOps, run.k.kind())))
		// Streams 1 and 2 are the Destinations' and the killer's, as before Sources had a driver.
		stream := uint64(1)
		if i > 0 {
			stream = uint64(2 + i)
		}
		drivers = append(drivers, newMixedOps(run, names("d", size.killNames), rand.New(rand.NewPCG(sd, stream))))
	}

	killer := rand.New(rand.NewPCG(sd, 2))
	driven := make(chan error, len(drivers))
	for _, d := range drivers {
		go func() { driven <- d.drive() }()
	}

	before := emu.Stats(t)
	start := time.Now()
	kills := 0
	var driveErr error
	for running := len(drivers); running > 0; {
		select {
		case err := <-driven:
			running--
			driveErr = errors.Join(driveErr, err)
		case <-time.After(between(killer, 500*time.Millisecond, 3*time.Second)):
			mgr.Kill()
			kills++
			mgr = s.StartManager(t, emu, ns)
			managers = append(managers, mgr)
		}
	}
	if driveErr != nil {
		t.Fatal(driveErr)
	}
	during := harness.StatsSince(emu.Stats(t), before)
	emu.ClearFaults(t)
	elapsed := time.Since(start)
	for i, d := range drivers {
		r := rows[i]
		r.FaultCalls = kindStats(during, d.k).Total()
		r.Attempted = d.done()
		r.note("seed %d; %d kills in %s, Destinations, Sources and Connections driven at once; %d creates, %d updates, "+
			"%d deletes over %d names; %d %ss at the end", sd, kills, elapsed.Round(100*time.Millisecond), d.made.creates,
			d.made.updates, d.made.deletes, size.killNames, d.existing(), d.k.kind())
	}

	converge(mgr, runs...)
	checkNoPanic(t, managers...)
	perKind(t, runs, rows, func(t *testing.T, run *kindRun, r *result) {
		tl := compareRemote(t, hs, run)
		tl.addTo(r)
		tl.report(t)
		checkRepeatedWrites(t, r, harness.StatsSince(emu.Stats(t), before), run)
		lines, adopted := adoptions(run.k, managers...)
		r.note("%d %ss found their create by %s after a kill between the POST and the status write (%d attempts)",
			adopted, run.k.kind(), run.k.key(), lines)
	})
}
