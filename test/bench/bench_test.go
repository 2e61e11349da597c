// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

// Package bench is the scale benchmark behind `make bench`: on one local control plane it runs the emulator and
// the manager binaries, creates N objects of each kind asked for and measures the operator against two
// references, a plain loop doing only the minimal calls and the manager's per-object GET mode, several times so
// that medians and spreads decide, not one noisy run. It is a Go benchmark so that `go test ./...` never runs it.
// Figures are printed and written as JSON; targets are reported as met or missed, never asserted.
//
// Environment: BENCH_N (objects of each kind, default 1000), BENCH_KINDS (destinations, or all: N Sources, N
// Destinations and N Connections, the i-th joining Source i to Destination i; default destinations), BENCH_RUNS
// (runs of every mode, default 3), BENCH_PROFILE (seconds of CPU profile of the manager and the API server taken
// while creating, with the manager's --pprof-bind-address; default none; BENCH_PROFILE_DELAY seconds after the
// first create, default 2), BENCH_DRIFT_INTERVAL (the manager's interval from the
// restart on; default 30s up to N=1000, 60s above), BENCH_SAMPLES (spec-change samples per phase, default 50),
// BENCH_HOOKSTREAM_RATE (the manager's --hookstream-rate-limit, default 1000), BENCH_CONCURRENCY (the manager's
// --max-concurrent-reconciles and the raw loop's workers; default what the manager chooses for the rate, 32),
// BENCH_MEMORY_LIMIT (the manager's --memory-limit, as the chart passes a container's limit; default none), BENCH_MODES (any of raw,list,get;
// default all) and BENCH_OUT (the JSON file; default $TMPDIR/hookstream-bench-N<N>-<time>.json, with the
// processes' logs in a folder of the same name ending in -logs).
package bench

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/hookstream/hookstream-operator/internal/managed"
	"github.com/hookstream/hookstream-operator/test/harness"
	"github.com/hookstream/hookstream-operator/test/harness/harnesstest"
)

const (
	modeRaw  = "raw"
	modeList = "list"
	modeGet  = "get"
)

// config is what BENCH_* environment variables choose.
type config struct {
	// N is the number of objects of each kind.
	N int
	// Kinds is kindsDestinations or kindsAll.
	Kinds string
	// Runs is how many times every mode runs; the summary gives the median and spread of each figure.
	Runs int
	// ProfileSeconds, when positive, takes CPU profiles of the manager and the API server while creating,
	// ProfileDelay after the first create.
	ProfileSeconds int
	ProfileDelay   time.Duration
	// DriftInterval is the manager's --drift-interval for the restart, steady-state and sweep phases.
	DriftInterval time.Duration
	// CreateDriftInterval is the --drift-interval while creating: long enough that no periodic check runs
	// during the creates and the idle latency samples, so that those figures are the create path alone.
	CreateDriftInterval time.Duration
	// Concurrency is --max-concurrent-reconciles, and the raw loop's workers.
	Concurrency int
	// Creators create the objects in parallel; the same in every mode.
	Creators int
	// HookstreamRate and HookstreamBurst are the manager's --hookstream-rate-limit and --hookstream-rate-burst.
	HookstreamRate  float64
	HookstreamBurst int
	// EmulatorRate is the emulator's --rate-limit (and burst): a token bucket far above what two cores can send,
	// so that the emulator never asks to slow down. Without it the emulator advertises a 1000-per-60s window in
	// RateLimit-Remaining, which the client obeys (about 16 calls per second).
	EmulatorRate int
	// MemoryLimit is the manager's --memory-limit (BENCH_MEMORY_LIMIT), as the chart passes the container's limit;
	// empty for none.
	MemoryLimit string
	// Samples is the number of spec-change latency samples per phase.
	Samples int
	Modes   []string
	Out     string
}

func loadConfig(b *testing.B) config {
	c := config{
		N:                   envInt(b, "BENCH_N", 1000),
		Kinds:               kindsDestinations,
		Runs:                envInt(b, "BENCH_RUNS", 3),
		ProfileSeconds:      envInt(b, "BENCH_PROFILE", 0),
		ProfileDelay:        time.Duration(envInt(b, "BENCH_PROFILE_DELAY", 2)) * time.Second,
		CreateDriftInterval: 30 * time.Minute,
		Creators:            16,
		HookstreamRate:      1000,
		HookstreamBurst:     100,
		EmulatorRate:        100000,
		Samples:             envInt(b, "BENCH_SAMPLES", 50),
		Modes:               []string{modeRaw, modeList, modeGet},
	}
	c.DriftInterval = 30 * time.Second
	if c.N > 1000 {
		c.DriftInterval = 60 * time.Second
	}
	if v := os.Getenv("BENCH_DRIFT_INTERVAL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 5*time.Second {
			b.Fatalf("BENCH_DRIFT_INTERVAL=%q: want a duration of at least 5s", v)
		}
		c.DriftInterval = d
	}
	if v := os.Getenv("BENCH_HOOKSTREAM_RATE"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 {
			b.Fatalf("BENCH_HOOKSTREAM_RATE=%q: want a positive number", v)
		}
		c.HookstreamRate = f
	}
	// The manager's own choice for the rate unless BENCH_CONCURRENCY says otherwise.
	c.Concurrency, _ = managed.Workers(c.HookstreamRate, 0)
	if v := os.Getenv("BENCH_CONCURRENCY"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("BENCH_CONCURRENCY=%q: want a positive number", v)
		}
		c.Concurrency = n
	}
	if v := os.Getenv("BENCH_MODES"); v != "" {
		c.Modes = nil
		for m := range strings.SplitSeq(v, ",") {
			switch m = strings.TrimSpace(m); m {
			case modeRaw, modeList, modeGet:
				c.Modes = append(c.Modes, m)
			default:
				b.Fatalf("BENCH_MODES: unknown mode %q (raw, list, get)", m)
			}
		}
	}
	if v := os.Getenv("BENCH_KINDS"); v != "" {
		if v != kindsDestinations && v != kindsAll {
			b.Fatalf("BENCH_KINDS=%q: want %s or %s", v, kindsDestinations, kindsAll)
		}
		c.Kinds = v
	}
	c.Out = os.Getenv("BENCH_OUT")
	c.MemoryLimit = os.Getenv("BENCH_MEMORY_LIMIT")
	if c.Out == "" {
		name := fmt.Sprintf("hookstream-bench-%s-N%d-%s.json", c.Kinds, c.N, time.Now().Format("20060102-150405"))
		c.Out = filepath.Join(os.TempDir(), name)
	}
	if c.N < 1 || c.Samples < 1 || c.Runs < 1 {
		b.Fatal("BENCH_N, BENCH_SAMPLES and BENCH_RUNS must be positive")
	}
	return c
}

func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		b.Fatalf("%s=%q: %v", name, v, err)
	}
	return n
}

// command is how to run this benchmark again with the same settings.
func (c config) command() string {
	var env []string
	env = append(env, fmt.Sprintf("BENCH_N=%d", c.N))
	for _, name := range []string{"BENCH_KINDS", "BENCH_RUNS", "BENCH_PROFILE", "BENCH_PROFILE_DELAY"} {
		if v := os.Getenv(name); v != "" {
			env = append(env, name+"="+v)
		}
	}
	if v := os.Getenv("BENCH_DRIFT_INTERVAL"); v != "" {
		env = append(env, "BENCH_DRIFT_INTERVAL="+v)
	}
	if v := os.Getenv("BENCH_SAMPLES"); v != "" {
		env = append(env, "BENCH_SAMPLES="+v)
	}
	if v := os.Getenv("BENCH_HOOKSTREAM_RATE"); v != "" {
		env = append(env, "BENCH_HOOKSTREAM_RATE="+v)
	}
	if v := os.Getenv("BENCH_CONCURRENCY"); v != "" {
		env = append(env, "BENCH_CONCURRENCY="+v)
	}
	if v := os.Getenv("BENCH_MEMORY_LIMIT"); v != "" {
		env = append(env, "BENCH_MEMORY_LIMIT="+v)
	}
	if v := os.Getenv("BENCH_MODES"); v != "" {
		env = append(env, "BENCH_MODES="+v)
	}
	return "make bench " + strings.Join(env, " ")
}

// bench holds what every phase uses.
type bench struct {
	b        *testing.B
	env      harnesstest.Env
	cfg      config
	kube     *rest.Config
	kubeHTTP *http.Client
	cl       client.Client
	start    time.Time
	// cpu names the processes whose CPU time is accounted for in every phase.
	cpu cpuComponents
	// destinationURL is the http URL of the i-th Destination; nil for an address nothing listens on.
	destinationURL func(i int) string
	// run is the number of the run in progress, from 1; it names the kept process logs.
	run int
}

// newBench builds the binaries and starts the control plane every benchmark of the package runs on.
func newBench(b *testing.B, cfg config) *bench {
	fmt.Println("setting up: building the manager and emulator binaries, starting kube-apiserver and etcd ...")
	env, cleanup, err := harness.Setup()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(cleanup)

	kube := rest.CopyConfig(env.ControlPlane.Config)
	// The benchmark's own client must never be what limits the figures.
	kube.QPS, kube.Burst = 500, 1000
	cl, err := client.New(kube, client.Options{Scheme: env.ControlPlane.Scheme})
	if err != nil {
		b.Fatal(err)
	}
	// The Ready watches, lists and metrics scrapes go over their own HTTP/1.1 connections: sharing the creators'
	// (and the raw workers') HTTP/2 connection, a watch's frames queue behind their answers until the API server
	// closes it as too slow.
	own := rest.CopyConfig(kube)
	own.NextProtos = []string{"http/1.1"}
	kubeHTTP, err := rest.HTTPClientFor(own)
	if err != nil {
		b.Fatal(err)
	}
	apiserverPID, etcdPID, err := harness.ControlPlanePIDs(kube.Host)
	if err != nil {
		fmt.Printf("note: %v; the CPU time of the kube-apiserver or etcd counts as other\n", err)
	}
	return &bench{b: b, env: harnesstest.Env{Env: env}, cfg: cfg, kube: kube, kubeHTTP: kubeHTTP, cl: cl, start: time.Now(),
		cpu: cpuComponents{"kube-apiserver": apiserverPID, "etcd": etcdPID, "benchmark": os.Getpid()}}
}

// BenchmarkScale is `make bench`. Run it once: -benchtime 1x.
func BenchmarkScale(b *testing.B) {
	cfg := loadConfig(b)
	started := time.Now()
	fmt.Printf("hookstream-operator scale benchmark: N=%d of each of %s, modes %s, %d runs; rerun with: %s\n",
		cfg.N, kindNames(kindsOf(cfg.Kinds)), strings.Join(cfg.Modes, ","), cfg.Runs, cfg.command())
	bn := newBench(b, cfg)
	ctx := context.Background()
	if err := bn.warmUp(ctx); err != nil {
		b.Fatal(err)
	}
	all := &allResults{Command: cfg.command(), GoTestCommand: goTestCommand(cfg), Started: started.UTC().Format(time.RFC3339)}
	for run := 1; run <= cfg.Runs; run++ {
		bn.logf("=== run %d of %d ===", run, cfg.Runs)
		res := bn.runOnce(ctx, run)
		res.print(os.Stdout)
		all.Runs = append(all.Runs, res)
	}
	all.TotalSeconds = time.Since(started).Seconds()
	all.Summary = summarizeRuns(all.Runs)
	all.Summary.print(os.Stdout, cfg.command())
	if err := writeJSON(cfg.Out, all); err != nil {
		b.Errorf("writing %s: %v", cfg.Out, err)
	} else {
		fmt.Printf("\nresults written as JSON to %s; process logs in %s\n", cfg.Out, bn.logDir())
	}
	all.Summary.report(b)
}

// runOnce runs every mode once, each on a fresh emulator and namespace.
func (bn *bench) runOnce(ctx context.Context, run int) *results {
	cfg := bn.cfg
	started := time.Now()
	res := &results{
		Run: run, N: cfg.N, Kinds: cfg.Kinds, Command: cfg.command(), GoTestCommand: goTestCommand(cfg),
		Started: started.UTC().Format(time.RFC3339), CPUs: runtime.NumCPU(), LoadAvgStart: loadAvg(),
		Settings: settingsOf(cfg), Revision: revision(bn.env.Root),
	}
	bn.run = run
	for _, mode := range cfg.Modes {
		switch mode {
		case modeRaw:
			r, err := bn.runRaw(ctx)
			if err != nil {
				bn.b.Fatal(err)
			}
			res.Raw = r
		default:
			m, err := bn.runManager(ctx, mode)
			if err != nil {
				bn.b.Fatal(err)
			}
			res.Modes = append(res.Modes, m)
		}
	}
	res.LoadAvgEnd = loadAvg()
	res.TotalSeconds = time.Since(started).Seconds()
	res.evaluate()
	return res
}

// logf prints progress with the time since the benchmark started, to stdout: b.Log would indent it and hold it back.
func (bn *bench) logf(format string, args ...any) {
	fmt.Printf("[%7.1fs] %s\n", time.Since(bn.start).Seconds(), fmt.Sprintf(format, args...))
}

// revision names the commit the manager was built from, and whether the working tree differed from it.
func revision(root string) string {
	cmd := exec.Command("git", "describe", "--always", "--dirty")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

func goTestCommand(c config) string {
	return fmt.Sprintf("KUBEBUILDER_ASSETS=$(make -s envtest-assets) %s "+
		"go test ./test/bench -run '^$' -bench BenchmarkScale -benchtime 1x -timeout 6h",
		strings.TrimPrefix(c.command(), "make bench "))
}
