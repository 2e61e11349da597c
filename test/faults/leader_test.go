// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package faults

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/hookstream/hookstream-operator/internal/emulator"
	"github.com/hookstream/hookstream-operator/test/harness"
	"github.com/hookstream/hookstream-operator/test/harness/harnesstest"
)

const (
	leaseName     = "hookstream-operator.hookstream.io"
	acquiredLease = "successfully acquired lease"
	// leaderJitter is client-go's leaderelection.JitterFactor: a candidate polls the lease every retry period
	// times a random factor between 1 and 1 + leaderJitter.
	leaderJitter = 1.2
)

func getLease(ctx context.Context) (*coordinationv1.Lease, error) {
	lease := &coordinationv1.Lease{}
	err := kube.Get(ctx, types.NamespacedName{Namespace: harness.ManagerNamespace, Name: leaseName}, lease)
	return lease, err
}

// acquired reports whether the process logged that it became the leader.
func acquired(p *harness.Process) bool {
	return strings.Contains(strings.ToLower(p.Logs()), acquiredLease)
}

func holder(l *coordinationv1.Lease) string {
	if l.Spec.HolderIdentity == nil {
		return ""
	}
	return *l.Spec.HolderIdentity
}

// TestLeaderFailover runs two managers with leader election and SIGKILLs the leader while it creates Destinations
// (hookstream holds each create's answer for 300 ms, so the kill lands amid creates). The other must take over
// within the lease's bounds, and no write may happen twice: hookstream receives exactly one POST per Destination,
// nothing else, and holds one destination per Destination.
func TestLeaderFailover(t *testing.T) {
	const leaseDuration, renewDeadline, retryPeriod = 6 * time.Second, 4 * time.Second, time.Second
	r := table.start(t, "leader killed, standby takes over")
	emu := s.StartEmulator(t)
	emu.SetFaults(t, emulator.Faults{ResponseDelay: 300 * time.Millisecond, Routes: []string{emulator.RouteCreateDestination}})
	ns := s.NewNamespace(t, "leader")
	hs := emu.Client(t)
	args := []string{"--leader-elect", "--leader-election-namespace", harness.ManagerNamespace,
		"--leader-elect-lease-duration", leaseDuration.String(), "--leader-elect-renew-deadline", renewDeadline.String(),
		"--leader-elect-retry-period", retryPeriod.String()}
	managers := []*harness.Process{s.StartManager(t, emu, ns, args...), s.StartManager(t, emu, ns, args...)}

	var leader, standby *harness.Process
	harnesstest.WaitUntil(t, 30*time.Second, "one manager to acquire the lease", func() error {
		var holders []*harness.Process
		for _, p := range managers {
			if acquired(p) {
				holders = append(holders, p)
			}
		}
		if len(holders) != 1 {
			return fmt.Errorf("%d managers logged %q", len(holders), acquiredLease)
		}
		leader = holders[0]
		standby = managers[0]
		if leader == managers[0] {
			standby = managers[1]
		}
		return nil
	})
	var first *coordinationv1.Lease
	harnesstest.WaitUntil(t, 10*time.Second, "the lease", func() (err error) {
		if first, err = getLease(context.Background()); err == nil && holder(first) == "" {
			err = errors.New("no holder")
		}
		return err
	})

	before := emu.Stats(t)
	created := names("c", size.leaderCreates)
	run := newKindRun(t, destinations, ns)
	for _, name := range created {
		must(t, run.create(name, 1))
	}
	r.Attempted = len(created)
	harnesstest.WaitUntil(t, 60*time.Second, "the leader to be part-way through the creates", func() error {
		if n := harness.StatsSince(emu.Stats(t), before).Count(emulator.RouteCreateDestination); n < int64(max(1, len(created)/3)) {
			return fmt.Errorf("%d creates so far", n)
		}
		return nil
	})
	last, err := getLease(context.Background())
	must(t, err)
	leader.Kill()
	killedAt := time.Now()
	atKill := emu.Stats(t)
	postedBefore := harness.StatsSince(atKill, before).Count(emulator.RouteCreateDestination)

	var taken *coordinationv1.Lease
	for taken == nil && time.Since(killedAt) < 60*time.Second {
		l, err := getLease(context.Background())
		if err == nil && holder(l) != "" && holder(l) != holder(last) {
			taken = l
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	takeover := time.Since(killedAt)
	if taken == nil {
		t.Fatalf("nobody took the lease over within 60 s of the leader's death (holder %q)\n%s", holder(last), standby.Tail(40))
	}
	during := harness.StatsSince(emu.Stats(t), atKill)
	r.FaultCalls = during.Total()
	harnesstest.WaitUntil(t, 10*time.Second, "the standby to log its takeover", func() error {
		if !acquired(standby) {
			return fmt.Errorf("the standby did not log %q", acquiredLease)
		}
		return nil
	})
	sinceRenew := taken.Spec.AcquireTime.Sub(last.Spec.RenewTime.Time)
	// The standby counts the lease duration from the moment it saw the last renewal, and looks every retry period
	// times up to 1 + leaderJitter: seeing the last renewal and seeing the expiry can each take one such look.
	bound := leaseDuration + 2*time.Duration(float64(retryPeriod)*(1+leaderJitter))
	r.note("leader %s (pid %d) killed after %d of %d POSTs; %s took over %s after the kill, %s after the leader's last "+
		"renewal seen by the test (lease %s, retry period %s; bound lease + 2 looks of up to %.1f × retry = %s; "+
		"lease + retry period = %s %s)", holder(last), leader.Cmd.Process.Pid, postedBefore, len(created), holder(taken),
		takeover.Round(10*time.Millisecond), sinceRenew.Round(10*time.Millisecond), leaseDuration, retryPeriod, 1+leaderJitter,
		bound, leaseDuration+retryPeriod, map[bool]string{true: "met", false: "not met"}[takeover <= leaseDuration+retryPeriod])
	if takeover > bound {
		t.Errorf("the standby took over %s after the leader died, beyond the lease bound of %s", takeover, bound)
	}
	r.note("calls between the kill and the takeover: %s (the emulator counts a request when it answers: these are the "+
		"killed leader's, answered after their 300 ms hold)", describeStats(during))

	// The fault is the leaderless spell: recovery counts from the takeover.
	r.Recover = waitConverged(t, standby, run)
	tl := compareRemote(t, hs, run)
	tl.addTo(r)
	tl.report(t)
	all := harness.StatsSince(emu.Stats(t), before)
	posts := all.Count(emulator.RouteCreateDestination)
	others := all.Count(emulator.RouteUpdateDestination) + all.Count(emulator.RouteDeleteDestination)
	// Nothing but creates was asked for, one per Destination: any other POST, whatever its answer, is a create made
	// twice, and any PATCH or DELETE a write nobody asked for.
	repeated := max(0, int(posts)-len(created)) + int(others)
	r.Duplicated += repeated
	r.note("writes: %d POST (%d answered 201, %d 409) for %d Destinations; %d PATCH or DELETE", posts,
		all.CountStatus(emulator.RouteCreateDestination, http.StatusCreated),
		all.CountStatus(emulator.RouteCreateDestination, http.StatusConflict), len(created), others)
	if repeated > 0 {
		t.Errorf("a write happened twice: %d POST for %d Destinations, %d PATCH or DELETE", posts, len(created), others)
	}
	checkNoPanic(t, managers...)
}
