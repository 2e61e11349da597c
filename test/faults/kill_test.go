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
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
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

// mixedOps is a driver's record of what the Destinations of a namespace should be.
type mixedOps struct {
	ns                        string
	all                       []string
	rng                       *rand.Rand
	want                      map[string]spec
	version                   map[string]int
	deleted                   map[string]bool
	creates, updates, deletes int
}

func newMixedOps(ns string, all []string, rng *rand.Rand) *mixedOps {
	return &mixedOps{ns: ns, all: all, rng: rng, want: map[string]spec{}, version: map[string]int{}, deleted: map[string]bool{}}
}

// step applies one random operation: a create (40%), a spec update (35%) or a delete (25%), as the current state
// allows. A name whose previous Destination is still being deleted is not created again until it is gone.
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
			gone, err := isGone(m.ns, name)
			if err != nil {
				return err
			}
			if !gone {
				continue
			}
			m.version[name]++
			sp := specFor(name, m.version[name])
			if err := createDestination(m.ns, name, sp); err != nil {
				return err
			}
			m.want[name] = sp
			delete(m.deleted, name)
			m.creates++
			return nil
		}
		if len(existing) == 0 {
			return nil
		}
		p = 0.4 + m.rng.Float64()*0.6
	}
	name := existing[m.rng.IntN(len(existing))]
	if p < 0.75 {
		m.version[name]++
		sp := specFor(name, m.version[name])
		if err := updateDestination(m.ns, name, sp); err != nil {
			return err
		}
		m.want[name] = sp
		m.updates++
		return nil
	}
	if err := deleteDestination(m.ns, name); err != nil {
		return err
	}
	delete(m.want, name)
	m.deleted[name] = true
	m.deletes++
	return nil
}

func (m *mixedOps) done() int { return m.creates + m.updates + m.deletes }

func isGone(ns, name string) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &v1.Destination{})
	if apierrors.IsNotFound(err) {
		return true, nil
	}
	return false, err
}

// TestKillDuringMixedOperations SIGKILLs the manager at random moments (every 0.5 to 3 s) while a driver applies
// a seeded random sequence of creates, spec updates and deletes, and restarts it at once each time. hookstream holds
// every write answer for 300 ms, so that kills land between a write and the status that records it.
// Afterwards hookstream must hold exactly the destinations the resources describe, with their specs.
func TestKillDuringMixedOperations(t *testing.T) {
	sd := seed(t)
	t.Logf("seed %d (replay the operation sequence with HOOKSTREAM_FAULTS_SEED=%d)", sd, sd)
	r := table.start(t, fmt.Sprintf("kill -9 during %d mixed ops", size.killOps))
	emu := s.StartEmulator(t)
	emu.SetFaults(t, emulator.Faults{ResponseDelay: 300 * time.Millisecond, Routes: writeRoutes})
	ns := s.NewNamespace(t, "kill")
	hs := emu.Client(t)
	mgr := s.StartManager(t, emu, ns)
	managers := []*harness.Process{mgr}

	driver := newMixedOps(ns, names("d", size.killNames), rand.New(rand.NewPCG(sd, 1)))
	killer := rand.New(rand.NewPCG(sd, 2))
	driven := make(chan error, 1)
	go func() {
		for driver.done() < size.killOps {
			if err := driver.step(); err != nil {
				driven <- fmt.Errorf("operation %d: %w", driver.done()+1, err)
				return
			}
			time.Sleep(between(driver.rng, size.killOpInterval/2, size.killOpInterval*3/2))
		}
		driven <- nil
	}()

	before := emu.Stats(t)
	start := time.Now()
	kills := 0
	var driveErr error
loop:
	for {
		select {
		case driveErr = <-driven:
			break loop
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
	r.FaultCalls = during.Total()
	r.Attempted = driver.done()
	r.note("seed %d; %d kills in %s; %d creates, %d updates, %d deletes over %d names; %d Destinations at the end",
		sd, kills, time.Since(start).Round(100*time.Millisecond), driver.creates, driver.updates, driver.deletes,
		size.killNames, len(driver.want))

	r.Recover = waitConverged(t, ns, driver.want, mgr)
	tl := compareRemote(t, hs, ns, driver.want, driver.deleted)
	tl.addTo(r)
	tl.report(t)
	repeated, writes := repeatedWrites(harness.StatsSince(emu.Stats(t), before), driver.creates, driver.updates, driver.deletes)
	r.Duplicated += repeated
	r.note("%s", writes)
	if repeated > 0 {
		t.Errorf("%d repeated remote writes: %s", repeated, writes)
	}
	lines, adopted := adoptions(managers...)
	r.note("%d Destinations found their create by slug after a kill between the POST and the status write (%d attempts)", adopted, lines)
	checkNoPanic(t, managers...)
}
