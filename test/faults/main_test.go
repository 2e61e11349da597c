// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

// Package faults runs the built manager and emulator binaries against a real control plane while hookstream, the
// manager process or the kube-apiserver misbehave, and counts what was lost, duplicated or orphaned. Each scenario
// adds a row to a table printed at the end and written as JSON. The default sizes fit `make test`;
// HOOKSTREAM_FAULTS_FULL=1 runs the figures of the fault-injection issue.
package faults

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/hookstream/hookstream-operator/test/harness"
	"github.com/hookstream/hookstream-operator/test/harness/harnesstest"
)

var (
	s    harnesstest.Env
	kube client.Client
	size = ciSize
)

// sizes holds every knob that differs between the CI subset and the full run.
type sizes struct {
	name string

	// recoveryLimit is how long a scenario waits for convergence after its fault before it fails: generous,
	// because the figure that matters is the measured time, not this bound.
	recoveryLimit time.Duration

	outage                                      time.Duration
	outageCreates, outageUpdates, outageDeletes int

	storm                    time.Duration
	stormCreates, stormExist int

	slowFault   time.Duration
	slowObjects int

	killOps, killNames int
	killOpInterval     time.Duration

	restartCreates, restartExisting int

	leaderCreates int

	// deleteRoutes is the number of routes (a Source, a Destination and a Connection) deleted at once.
	deleteRoutes int
	// changedDuringCreate is the number of Connections changed while their create is in flight.
	changedDuringCreate int
}

var ciSize = sizes{
	name: "ci", recoveryLimit: time.Minute,
	outage: 10 * time.Second, outageCreates: 6, outageUpdates: 6, outageDeletes: 6,
	storm: 8 * time.Second, stormCreates: 8, stormExist: 6,
	slowFault: 12 * time.Second, slowObjects: 6,
	killOps: 40, killNames: 16, killOpInterval: 400 * time.Millisecond,
	restartCreates: 12, restartExisting: 6,
	leaderCreates:       12,
	deleteRoutes:        8,
	changedDuringCreate: 20,
}

var fullSize = sizes{
	name: "full", recoveryLimit: 3 * time.Minute,
	outage: 60 * time.Second, outageCreates: 20, outageUpdates: 20, outageDeletes: 20,
	storm: 30 * time.Second, stormCreates: 30, stormExist: 20,
	slowFault: 60 * time.Second, slowObjects: 20,
	killOps: 200, killNames: 40, killOpInterval: 250 * time.Millisecond,
	restartCreates: 50, restartExisting: 20,
	leaderCreates:       60,
	deleteRoutes:        30,
	changedDuringCreate: 60,
}

func TestMain(m *testing.M) {
	if os.Getenv("HOOKSTREAM_FAULTS_FULL") == "1" {
		size = fullSize
	}
	env, cleanup, err := harness.Setup()
	if err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		os.Exit(1)
	}
	s = harnesstest.Env{Env: env}
	if kube, err = client.New(env.ControlPlane.Config, client.Options{Scheme: env.ControlPlane.Scheme}); err != nil {
		cleanup()
		fmt.Fprintln(os.Stderr, "faults:", err)
		os.Exit(1)
	}
	started := time.Now()
	code := m.Run()
	table.print(os.Stdout, time.Since(started))
	if err := table.writeJSON(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "faults: writing the results:", err)
	}
	keepLogs(env.Dir)
	cleanup()
	os.Exit(code)
}

// keepLogs copies the process logs to HOOKSTREAM_FAULTS_LOGS, when set, before the harness removes them: they are
// the evidence when a scenario finds a defect.
func keepLogs(dir string) {
	dest := os.Getenv("HOOKSTREAM_FAULTS_LOGS")
	if dest == "" {
		return
	}
	if err := os.MkdirAll(dest, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "faults: keeping logs:", err)
		return
	}
	logs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	for _, src := range logs {
		if err := copyFile(src, filepath.Join(dest, filepath.Base(src))); err != nil {
			fmt.Fprintln(os.Stderr, "faults: keeping logs:", err)
		}
	}
	fmt.Printf("process logs kept in %s\n", dest)
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer func() { _ = in.Close() }()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}
