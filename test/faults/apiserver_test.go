// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package faults

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/hookstream/hookstream-operator/internal/emulator"
	"github.com/hookstream/hookstream-operator/test/harness"
	"github.com/hookstream/hookstream-operator/test/harness/harnesstest"
)

func processGone(pid int) bool {
	_, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
	return os.IsNotExist(err)
}

// restartAPIServer stops the kube-apiserver (SIGTERM, then SIGKILL if it is still there after a grace period:
// with watches open it can take longer than envtest's 20 s to stop) and starts it again on the same address with
// the same serving certificate and service-account signing key, so that every kubeconfig and token issued before
// stays valid; etcd keeps running. envtest deletes a generated certificate folder on Stop and would make new keys
// on Start, so the folder is copied first and handed back to Start. It returns how long the API server was
// unavailable and how it stopped.
func restartAPIServer(t testing.TB) (time.Duration, string) {
	t.Helper()
	const grace = 5 * time.Second
	api := s.ControlPlane.ControlPlane.APIServer
	port := api.Port
	keep := filepath.Join(s.Dir, fmt.Sprintf("apiserver-certs-%d", time.Now().UnixNano()))
	must(t, os.MkdirAll(keep, 0o700))
	entries, err := os.ReadDir(api.CertDir)
	must(t, err)
	for _, e := range entries {
		if e.Type().IsRegular() {
			must(t, copyFile(filepath.Join(api.CertDir, e.Name()), filepath.Join(keep, e.Name())))
		}
	}
	pid, err := harness.APIServerPID(s.ControlPlane.Config.Host)
	must(t, err)
	down := time.Now()
	must(t, syscall.Kill(pid, syscall.SIGTERM))
	var how string
	for !processGone(pid) && time.Since(down) < grace {
		time.Sleep(50 * time.Millisecond)
	}
	if !processGone(pid) {
		must(t, syscall.Kill(pid, syscall.SIGKILL))
		how = fmt.Sprintf("SIGTERM, still running after %s, then SIGKILL", grace)
		harnesstest.WaitUntil(t, 10*time.Second, "the kube-apiserver to die", func() error {
			if !processGone(pid) {
				return fmt.Errorf("pid %d is still there", pid)
			}
			return nil
		})
	} else {
		how = fmt.Sprintf("SIGTERM, stopped in %s", time.Since(down).Round(100*time.Millisecond))
	}
	// The process is gone: Stop only forgets it and deletes its folder.
	must(t, api.Stop())
	api.CertDir = keep
	if err := api.Start(); err != nil {
		t.Fatalf("starting the kube-apiserver again: %v", err)
	}
	if api.Port != port {
		t.Fatalf("the kube-apiserver came back on port %s, not %s: kubeconfigs are invalid", api.Port, port)
	}
	return time.Since(down), how
}

// TestAPIServerRestartWhileReconciling restarts the kube-apiserver while the manager works through a batch of
// creates, updates and deletes of Destinations, Sources and Connections whose hookstream answers take 300 ms: writes to
// hookstream succeed while their status cannot be recorded. Everything must converge afterwards, without a second
// write.
func TestAPIServerRestartWhileReconciling(t *testing.T) {
	r := table.start(t, "kube-apiserver restart (all kinds)")
	emu := s.StartEmulator(t)
	emu.SetFaults(t, emulator.Faults{ResponseDelay: 300 * time.Millisecond, Routes: writeRoutes})
	ns := s.NewNamespace(t, "apiserver")
	runs := runsOf(t, ns, allKinds...)
	mgr := s.StartManager(t, emu, ns)
	hs := emu.Client(t)

	existing := names("e", size.restartExisting)
	updated, deleted := existing[:len(existing)/2], existing[len(existing)/2:]
	created := names("c", size.restartCreates)
	for _, run := range runs {
		for _, name := range existing {
			must(t, run.create(name, 1))
		}
		run.baseline()
	}
	waitConverged(t, mgr, runs...)

	before := emu.Stats(t)
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
	creates := func(st emulator.Stats) (n int64) {
		for _, run := range runs {
			n += successes(st, run.k.routes().Create)
		}
		return n
	}
	all := len(created) * len(runs)
	harnesstest.WaitUntil(t, 60*time.Second, "the manager to be part-way through the batch", func() error {
		if n := creates(harness.StatsSince(emu.Stats(t), before)); n < int64(max(1, all/4)) {
			return fmt.Errorf("%d creates so far", n)
		}
		return nil
	})
	atFault := emu.Stats(t)
	posted := creates(harness.StatsSince(atFault, before))
	downFor, how := restartAPIServer(t)
	during := harness.StatsSince(emu.Stats(t), atFault)
	r.FaultCalls = during.Total()
	r.note("the API server was restarted (%s) after %d of %d creates (of every kind) reached hookstream, and "+
		"was unavailable for %s; calls meanwhile: %s", how, posted, all, downFor.Round(100*time.Millisecond), describeStats(during))

	r.Recover = waitConverged(t, mgr, runs...)
	// The manager's token and the API server's address survived the restart: the manager converged with them, and
	// kubectl with the same kubeconfig works.
	if out, err := exec.Command(s.KubectlPath, "--kubeconfig", s.SAKubeconfig, "get", "destinations,sources,connections", "-n", ns).CombinedOutput(); err != nil {
		t.Errorf("the manager's kubeconfig no longer works after the restart: %v\n%s", err, out)
	}
	for _, run := range runs {
		tl := compareRemote(t, hs, run)
		tl.addTo(r)
		tl.report(t)
		checkRepeatedWrites(t, r, harness.StatsSince(emu.Stats(t), before), run)
		lines, adopted := adoptions(run.k, mgr)
		r.note("%d %ss found their create by %s after its status could not be recorded (%d attempts)", adopted,
			run.k.kind(), run.k.key(), lines)
	}
	checkNoPanic(t, mgr)
}
