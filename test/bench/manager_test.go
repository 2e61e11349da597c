// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/emulator"
	"github.com/hookstream/hookstream-operator/test/harness"
	"github.com/hookstream/hookstream-operator/test/harness/harnesstest"
)

// modeResult holds the figures of one manager run (list or get observation).
type modeResult struct {
	Mode               string  `json:"mode"`
	CreatesDoneSeconds float64 `json:"createsDoneSeconds"`
	AllReadySeconds    float64 `json:"allReadySeconds"`
	WatchEvents        int     `json:"watchEvents"`
	// WatchRestarts counts the benchmark's Ready watches the API server ended while creating; ClosedWatches the
	// watches of the operator's kinds and Events it closed as too slow in the same window, any client's.
	WatchRestarts int     `json:"watchRestarts"`
	ClosedWatches float64 `json:"closedWatches"`

	// Create is the window from the first create until all are Ready (plus a short settle for events).
	Create window `json:"create"`
	// CallsPerObject and WritesPerObject divide Create by the number of objects created.
	CallsPerObject  map[string]float64 `json:"hookstreamCallsPerObject"`
	WritesPerObject map[string]float64 `json:"kubeWritesPerObject"`
	CreateMemory    memoryPeaks        `json:"createMemory"`
	CreatePath      []pathTime         `json:"createPath"`

	IdleLatency latencySummary `json:"idleLatency"`
	Idle        window         `json:"idle"`

	// Restart is the first interval after a restart with the short drift interval: every Destination gets its
	// first check, spread over the interval.
	Restart window `json:"restart"`
	// Steady is one full drift interval after the first checks, with no spec change.
	Steady window `json:"steady"`
	// Sweep is the next interval, during which the spec-change samples run.
	Sweep        window         `json:"sweep"`
	SweepLatency latencySummary `json:"sweepLatency"`
	// ListLatency are the extra samples around a list (list mode only).
	ListLatency   latencySummary `json:"listLatency"`
	SteadyMemory  memoryPeaks    `json:"steadyMemory"`
	ListStarts    []float64      `json:"listStartsAfterRestartSeconds"`
	ListDurations []float64      `json:"listDurationsMs"`
}

// window is what hookstream and the API server saw during one phase, the benchmark's own writes removed.
type window struct {
	Seconds         float64          `json:"seconds"`
	CPU             cpuUse           `json:"cpu"`
	HookstreamCalls map[string]int64 `json:"hookstreamCalls"`
	HookstreamTotal int64            `json:"hookstreamTotal"`
	KubeWrites      []writeCount     `json:"kubeWrites"`
	ObjectWrites    float64          `json:"objectWrites"`
	EventWrites     float64          `json:"eventWrites"`
	Reconciles      float64          `json:"reconciles"`
}

// snapshot is the state of every counter at one moment.
type snapshot struct {
	at         time.Time
	stats      emulator.Stats
	kube       kubeScrape
	reconciles float64
	manager    harness.Samples
	cpu        cpuReading
}

// managerRun is one manager process with its metrics endpoint.
type managerRun struct {
	proc       *harness.Process
	metricsURL string
	// pprofURL is the manager's profiling endpoint, when BENCH_PROFILE asks for profiles.
	pprofURL string
}

func (bn *bench) startManager(emu *harnesstest.Emulator, namespace, mode string, interval time.Duration) *managerRun {
	cfg := bn.cfg
	args := []string{"--drift-interval", interval.String(),
		"--max-concurrent-reconciles", fmt.Sprint(cfg.Concurrency),
		"--hookstream-rate-limit", fmt.Sprint(cfg.HookstreamRate), "--hookstream-rate-burst", fmt.Sprint(cfg.HookstreamBurst),
		"--observation", mode}
	args = append(args, harness.MetricsArgs...)
	if cfg.MemoryLimit != "" {
		args = append(args, "--memory-limit", cfg.MemoryLimit)
	}
	if cfg.ProfileSeconds > 0 {
		// Bound by the manager itself, as the metrics endpoint is; ServingURL finds it by what it serves.
		args = append(args, "--pprof-bind-address", "127.0.0.1:0")
	}
	p := bn.env.StartManager(bn.b, emu, namespace, args...)
	m := &managerRun{proc: p, metricsURL: harnesstest.MetricsURL(bn.b, p)}
	if cfg.ProfileSeconds > 0 {
		var err error
		if m.pprofURL, err = p.ServingURL(60*time.Second, "/debug/pprof/"); err != nil {
			bn.b.Fatal(err)
		}
	}
	harnesstest.WaitUntil(bn.b, 60*time.Second, "the manager's workers", func() error {
		if p.Exited() {
			bn.b.Fatalf("the manager exited:\n%s", p.Logs())
		}
		if !strings.Contains(p.Logs(), "Starting workers") {
			return fmt.Errorf("no \"Starting workers\" in the manager's log yet")
		}
		return nil
	})
	return m
}

func (bn *bench) snap(ctx context.Context, emu *harnesstest.Emulator, m *managerRun) snapshot {
	s := snapshot{at: time.Now(), stats: emu.Stats(bn.b)}
	var err error
	if s.kube, err = scrapeKubeWrites(ctx, bn.kubeHTTP, bn.kube.Host); err != nil {
		bn.b.Fatal(err)
	}
	components := bn.components(emu, nil)
	if m != nil {
		components = bn.components(emu, m.proc)
		if s.manager, err = managerMetrics(ctx, m.metricsURL); err == nil {
			s.reconciles, _ = s.manager.Sum("controller_runtime_reconcile_total", nil)
		}
	}
	s.cpu = readCPU(components)
	return s
}

// components names the processes of a phase for the CPU accounting.
func (bn *bench) components(emu *harnesstest.Emulator, manager *harness.Process) cpuComponents {
	c := cpuComponents{"emulator": emu.Cmd.Process.Pid}
	maps.Copy(c, bn.cpu)
	if manager != nil {
		c["manager"] = manager.Cmd.Process.Pid
	}
	return c
}

// between returns the window from a to b, less the benchmark's own creates (createsPerKind of each of kinds) and
// ownPatches spec patches of Destinations.
func between(a, b snapshot, kinds []*benchKind, createsPerKind, ownPatches int) window {
	writes := b.kube.writes.minus(a.kube.writes)
	writes.subtractCreates(kinds, createsPerKind)
	writes.subtract(writeKey{Group: v1.GroupVersion.Group, Resource: "destinations", Verb: "PATCH", Code: "200"},
		float64(ownPatches))
	calls := harness.StatsSince(b.stats, a.stats)
	return window{
		Seconds:         b.at.Sub(a.at).Seconds(),
		HookstreamCalls: byRoute(calls),
		HookstreamTotal: calls.Total(),
		KubeWrites:      writes.rows(),
		ObjectWrites:    writes.objects(),
		EventWrites:     writes.total("events"),
		Reconciles:      b.reconciles - a.reconciles,
		CPU:             b.cpu.since(a.cpu),
	}
}

// runManager runs the manager in one observation mode through every phase, on a fresh emulator and namespace.
func (bn *bench) runManager(ctx context.Context, mode string) (*modeResult, error) {
	cfg := bn.cfg
	n := cfg.N
	kinds := kindsOf(cfg.Kinds)
	total := n * len(kinds)
	res := &modeResult{Mode: mode}
	emu := bn.env.StartEmulator(bn.b, emulatorArgs(cfg)...)
	defer emu.Stop()
	ns := bn.env.NewNamespace(bn.b, "bench-"+mode)

	// Create: the manager with a drift interval that no phase reaches, so that only the create path runs.
	bn.logf("%s: creating %d objects (%s) (manager --observation=%s --drift-interval=%s)",
		mode, total, kindNames(kinds), mode, cfg.CreateDriftInterval)
	m1 := bn.startManager(emu, ns, mode, cfg.CreateDriftInterval)
	mem1 := startMemorySampler(m1.proc.Cmd.Process.Pid, m1.metricsURL)
	s0 := bn.snap(ctx, emu, m1)
	prof := bn.startProfiles(ctx, m1, mode)
	out, err := bn.createAndWait(ctx, ns, nil)
	if err != nil {
		prof.finish(bn)
		mem1.finish()
		bn.keepLog(m1.proc, mode+"-manager-create")
		return nil, fmt.Errorf("%s: %w\nmanager log tail:\n%s", mode, err, m1.proc.Tail(40))
	}
	cpuAtReady := readCPU(bn.components(emu, m1.proc))
	prof.finish(bn)
	res.CreatesDoneSeconds, res.AllReadySeconds = out.CreatesDone.Seconds(), out.AllReady.Seconds()
	res.WatchEvents = out.WatchEvents
	bn.logf("%s: all %d Ready after %.1fs (creates done %.1fs)", mode, total, res.AllReadySeconds, res.CreatesDoneSeconds)
	// Events are sent asynchronously by the manager's broadcaster; give the last ones time to land.
	time.Sleep(3 * time.Second)
	s1 := bn.snap(ctx, emu, m1)
	res.Create = between(s0, s1, kinds, n, 0)
	res.Create.Seconds = res.AllReadySeconds
	// CPU up to the moment all were Ready, not through the wait for the last events.
	res.Create.CPU = cpuAtReady.since(s0.cpu)
	res.WatchRestarts, res.ClosedWatches = out.WatchRestarts, s1.kube.closedWatches-s0.kube.closedWatches
	bn.logf("%s: watches the API server closed as too slow: %.0f (the benchmark's Ready watch restarted %d times)",
		mode, res.ClosedWatches, res.WatchRestarts)
	res.CallsPerObject = perObject(res.Create.HookstreamCalls, total)
	res.CreatePath = append(managerCreatePath(s0.manager, s1.manager), serverTimes(s0.kube, s1.kube)...)
	res.WritesPerObject = map[string]float64{}
	for _, w := range res.Create.KubeWrites {
		res.WritesPerObject[w.String()] = w.Count / float64(total)
	}

	targets := newTargetPicker(out.Items)
	bn.logf("%s: %d spec changes while idle", mode, cfg.Samples)
	idle := bn.sampleLatencies(ctx, emu, ns, targets, "idle",
		evenSchedule(time.Now(), time.Duration(cfg.Samples)*100*time.Millisecond, cfg.Samples))
	res.IdleLatency = summarize(idle, func(sample) bool { return true })
	// The status write follows the PATCH the sample waited for; let the last one land inside the window.
	time.Sleep(time.Second)
	s2 := bn.snap(ctx, emu, m1)
	res.Idle = between(s1, s2, nil, 0, cfg.Samples)
	res.CreateMemory = mem1.finish()
	m1.proc.Stop()
	bn.keepLog(m1.proc, mode+"-manager-create")

	// Restart with the short interval: the first checks are spread over one interval, then every Destination is
	// checked once per interval.
	interval := cfg.DriftInterval
	margin := max(3*time.Second, interval/10)
	bn.logf("%s: restarting the manager with --drift-interval=%s; first checks for %s",
		mode, interval, interval+time.Second+margin)
	s3 := bn.snap(ctx, emu, nil)
	restartAt := time.Now()
	m2 := bn.startManager(emu, ns, mode, interval)
	mem2 := startMemorySampler(m2.proc.Cmd.Process.Pid, m2.metricsURL)
	lists := startListWatcher(emu.Emulator)
	sleepUntil(restartAt.Add(interval + time.Second + margin))
	s4 := bn.snap(ctx, emu, m2)
	res.Restart = between(s3, s4, nil, 0, 0)
	bn.logf("%s: restart window: hookstream %s; Kubernetes writes %.0f",
		mode, formatCalls(res.Restart.HookstreamCalls), res.Restart.ObjectWrites+res.Restart.EventWrites)

	bn.logf("%s: steady state for one interval (%s)", mode, interval)
	sleepUntil(s4.at.Add(interval))
	s5 := bn.snap(ctx, emu, m2)
	res.Steady = between(s4, s5, nil, 0, 0)
	bn.logf("%s: steady: hookstream %s; Kubernetes writes %.0f; %.0f reconciles",
		mode, formatCalls(res.Steady.HookstreamCalls), res.Steady.ObjectWrites+res.Steady.EventWrites,
		res.Steady.Reconciles)

	// The sweep: spec changes spread evenly over the next interval, while every Destination gets its periodic
	// check. In list mode more samples, 100 ms apart, cover the 2 s around the moment the next list is due: one
	// interval after the last one began, as the snapshot expires.
	plan := evenSchedule(s5.at, interval, cfg.Samples)
	if starts := lists.starts(); mode == modeList && len(starts) > 0 {
		next := starts[len(starts)-1].Add(interval)
		for next.Before(s5.at.Add(300 * time.Millisecond)) {
			next = next.Add(interval)
		}
		if next.Before(s5.at.Add(interval)) {
			plan = append(plan, burstSchedule(next.Add(-300*time.Millisecond), 2*time.Second)...)
		}
	}
	bn.logf("%s: %d spec changes during the sweep of the next interval", mode, len(plan))
	sweep := bn.sampleLatencies(ctx, emu, ns, targets, "sweep", plan)
	res.SweepLatency = summarize(sweep, func(s sample) bool { return !s.burst })
	res.ListLatency = summarize(sweep, func(s sample) bool { return s.burst })
	sleepUntil(s5.at.Add(interval))
	s6 := bn.snap(ctx, emu, m2)
	res.Sweep = between(s5, s6, nil, 0, len(plan))
	res.SteadyMemory = mem2.finish()
	for _, st := range lists.finish() {
		res.ListStarts = append(res.ListStarts, st.start.Sub(restartAt).Seconds())
		res.ListDurations = append(res.ListDurations, ms(st.duration))
	}
	m2.proc.Stop()
	if err := bn.cleanUp(ctx, ns); err != nil {
		return nil, err
	}
	bn.keepLog(m2.proc, mode+"-manager-restart")
	emu.Stop()
	bn.keepLog(emu.Process, mode+"-emulator")
	bn.logf("%s: done; sweep spec-change p50 %.0f ms p99 %.0f ms", mode, res.SweepLatency.P50Ms, res.SweepLatency.P99Ms)
	return res, nil
}

// keepLog copies a process's log next to the JSON results: the harness's folder goes away with the control plane.
func (bn *bench) keepLog(p *harness.Process, name string) {
	dir := bn.logDir()
	if bn.run > 0 {
		name = fmt.Sprintf("run%d-%s", bn.run, name)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		bn.logf("keeping the log of %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name+".log"), []byte(p.Logs()), 0o644); err != nil {
		bn.logf("keeping the log of %s: %v", name, err)
	}
}

func (bn *bench) logDir() string { return strings.TrimSuffix(bn.cfg.Out, ".json") + "-logs" }

func perObject(calls map[string]int64, n int) map[string]float64 {
	out := map[string]float64{}
	for k, v := range calls {
		out[k] = float64(v) / float64(n)
	}
	return out
}

func sleepUntil(t time.Time) {
	if d := time.Until(t); d > 0 {
		time.Sleep(d)
	}
}

// targetPicker hands out Ready Destinations in a random order, so that samples spread over the whole set.
type targetPicker struct {
	items []readyItem
	next  int
}

func newTargetPicker(items []readyItem) *targetPicker {
	p := &targetPicker{items: append([]readyItem(nil), items...)}
	rand.Shuffle(len(p.items), func(i, j int) { p.items[i], p.items[j] = p.items[j], p.items[i] })
	return p
}

func (p *targetPicker) pick() *readyItem {
	d := &p.items[p.next%len(p.items)]
	p.next++
	return d
}
