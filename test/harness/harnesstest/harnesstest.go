// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

// Package harnesstest wraps the harness calls that tests make most often: each fails the test on error, and what
// it starts is stopped when the test ends. Everything else is the harness's own error-returning API.
package harnesstest

import (
	"context"
	"testing"
	"time"

	"github.com/hookstream/hookstream-operator/internal/emulator"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/test/harness"
)

// Env is a harness environment for tests.
type Env struct{ *harness.Env }

// Emulator is a harness emulator for tests. The harness's error-returning methods stay reachable through the
// embedded field (emu.Emulator.SetFaults), for goroutines other than the test's.
type Emulator struct{ *harness.Emulator }

// Must fails the test on error.
func Must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// StartEmulator runs the emulator with harness.APIKey; the test's cleanup stops it.
func (e Env) StartEmulator(t testing.TB, extraArgs ...string) *Emulator {
	t.Helper()
	return e.StartEmulatorWithKey(t, harness.APIKey, extraArgs...)
}

// StartEmulatorWithKey runs the emulator with the given API key; the test's cleanup stops it.
func (e Env) StartEmulatorWithKey(t testing.TB, apiKey string, extraArgs ...string) *Emulator {
	t.Helper()
	emu, err := e.Env.StartEmulatorWithKey(apiKey, extraArgs...)
	Must(t, err)
	t.Cleanup(emu.Stop)
	return &Emulator{emu}
}

// StartManager runs the manager as its ServiceAccount for one namespace; the test's cleanup stops it.
func (e Env) StartManager(t testing.TB, emu *Emulator, namespace string, extraArgs ...string) *harness.Process {
	t.Helper()
	p, err := e.Env.StartManager(emu.Emulator, namespace, extraArgs...)
	Must(t, err)
	t.Cleanup(p.Stop)
	return p
}

// NewNamespace creates a namespace holding the default credentials Secret with harness.APIKey.
func (e Env) NewNamespace(t testing.TB, prefix string) string {
	t.Helper()
	ns, err := e.Env.NewNamespace(prefix)
	Must(t, err)
	return ns
}

// MustKubectl runs kubectl as the cluster admin and returns its standard output.
func (e Env) MustKubectl(t testing.TB, args ...string) string {
	t.Helper()
	out, err := e.Kubectl(args...)
	Must(t, err)
	return out
}

// Apply applies a YAML manifest into the namespace.
func (e Env) Apply(t testing.TB, namespace, manifest string) {
	t.Helper()
	Must(t, e.Env.Apply(namespace, manifest))
}

// Admin calls the emulator's admin API, decoding the answer into out when it is not nil.
func (emu *Emulator) Admin(t testing.TB, method, path string, body, out any) {
	t.Helper()
	Must(t, emu.Emulator.Admin(context.Background(), method, path, body, out))
}

// Stats returns the emulator's request counts.
func (emu *Emulator) Stats(t testing.TB) emulator.Stats {
	t.Helper()
	st, err := emu.Emulator.Stats()
	Must(t, err)
	return st
}

// SetFaults replaces the emulator's injected faults.
func (emu *Emulator) SetFaults(t testing.TB, f emulator.Faults) {
	t.Helper()
	Must(t, emu.Emulator.SetFaults(f))
}

// ClearFaults removes the emulator's injected faults.
func (emu *Emulator) ClearFaults(t testing.TB) {
	t.Helper()
	Must(t, emu.Emulator.ClearFaults())
}

// Client returns a hookstream client of the emulator's API key.
func (emu *Emulator) Client(t testing.TB) *hookstream.Client {
	t.Helper()
	hs, err := emu.Emulator.Client()
	Must(t, err)
	return hs
}

// Requests parses the emulator's request log (see harness.Emulator.Requests).
func (emu *Emulator) Requests(t testing.TB) []harness.Request {
	t.Helper()
	reqs, err := emu.Emulator.Requests()
	Must(t, err)
	return reqs
}

// RemoteBySlug reads every remote destination of the client's project, by slug.
func RemoteBySlug(t testing.TB, hs *hookstream.Client) map[string][]*hookstream.Destination {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rows, err := harness.RemoteBySlug(ctx, hs)
	Must(t, err)
	return rows
}

// RemoteSourcesBySlug reads every remote source of the client's project, by slug.
func RemoteSourcesBySlug(t testing.TB, hs *hookstream.Client) map[string][]*hookstream.Source {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rows, err := harness.RemoteSourcesBySlug(ctx, hs)
	Must(t, err)
	return rows
}

// RemoteConnectionsBy reads every remote connection of the client's project, grouped by key.
func RemoteConnectionsBy(t testing.TB, hs *hookstream.Client,
	key func(*hookstream.Connection) string) map[string][]*hookstream.Connection {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rows, err := harness.RemoteConnectionsBy(ctx, hs, key)
	Must(t, err)
	return rows
}

// WaitUntil polls cond every 100 ms until it returns nil, failing the test with its last error after limit.
func WaitUntil(t testing.TB, limit time.Duration, what string, cond func() error) {
	t.Helper()
	Must(t, harness.WaitFor(limit, what, cond))
}

// MetricsURL waits until the manager, started with harness.MetricsArgs, serves its metrics, and returns the URL of
// its /metrics.
func MetricsURL(t testing.TB, mgr *harness.Process) string {
	t.Helper()
	u, err := harness.MetricsURL(mgr)
	Must(t, err)
	return u
}

// NewReceiver starts a receiver that answers 204; the test's cleanup stops it.
func NewReceiver(t testing.TB) *harness.Receiver {
	t.Helper()
	r, err := harness.StartReceiver()
	Must(t, err)
	t.Cleanup(r.Close)
	return r
}
