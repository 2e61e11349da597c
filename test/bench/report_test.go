// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
)

const mib = 1 << 20

type settings struct {
	DriftInterval           string  `json:"driftInterval"`
	CreateDriftInterval     string  `json:"createDriftInterval"`
	MaxConcurrentReconciles int     `json:"maxConcurrentReconciles"`
	Creators                int     `json:"creators"`
	HookstreamRateLimit     float64 `json:"hookstreamRateLimit"`
	HookstreamRateBurst     int     `json:"hookstreamRateBurst"`
	EmulatorRateLimit       int     `json:"emulatorRateLimit"`
	BenchClientQPS          float32 `json:"benchClientQPS"`
	BenchClientBurst        int     `json:"benchClientBurst"`
	SamplesPerPhase         int     `json:"samplesPerPhase"`
	// ProfileSeconds is the length of the CPU profiles taken while creating (0: none), which cost some CPU.
	ProfileSeconds int `json:"profileSeconds"`
	// MemoryLimit is the manager's --memory-limit (empty: none).
	MemoryLimit string `json:"memoryLimit,omitempty"`
}

func settingsOf(c config) settings {
	return settings{
		DriftInterval: c.DriftInterval.String(), CreateDriftInterval: c.CreateDriftInterval.String(),
		MaxConcurrentReconciles: c.Concurrency, Creators: c.Creators,
		HookstreamRateLimit: c.HookstreamRate, HookstreamRateBurst: c.HookstreamBurst, EmulatorRateLimit: c.EmulatorRate,
		BenchClientQPS: 500, BenchClientBurst: 1000, SamplesPerPhase: c.Samples,
		ProfileSeconds: c.ProfileSeconds, MemoryLimit: c.MemoryLimit,
	}
}

type targetResult struct {
	Target   string `json:"target"`
	Measured string `json:"measured"`
	Met      bool   `json:"met"`
	Verdict  string `json:"verdict"`
}

// results are the figures of one run of every mode.
type results struct {
	Run           int            `json:"run"`
	N             int            `json:"n"`
	Kinds         string         `json:"kinds"`
	Command       string         `json:"command"`
	GoTestCommand string         `json:"goTestCommand"`
	Revision      string         `json:"revision"`
	Started       string         `json:"started"`
	CPUs          int            `json:"cpus"`
	LoadAvgStart  string         `json:"loadAvgStart"`
	LoadAvgEnd    string         `json:"loadAvgEnd"`
	TotalSeconds  float64        `json:"totalSeconds"`
	Settings      settings       `json:"settings"`
	Raw           *rawResult     `json:"raw,omitempty"`
	Modes         []*modeResult  `json:"modes"`
	Targets       []targetResult `json:"targets"`
	Definitions   []string       `json:"definitions"`
}

func (r *results) mode(name string) *modeResult {
	for _, m := range r.Modes {
		if m.Mode == name {
			return m
		}
	}
	return nil
}

// evaluate judges this run's list-mode figures against the targets.
func (r *results) evaluate() {
	r.Definitions = r.definitions()
	figures := map[string]spread{}
	for k, v := range r.figures() {
		figures[k] = spreadOf([]float64{v})
	}
	r.Targets = judge(r.N, r.Kinds, figures)
}

// Keys of the headline figures of one run, which judge reads and the summary gives medians of.
const (
	figRawReady      = "raw limit: all Ready (s)"
	figReady         = "manager (list): all Ready (s)"
	figRatio         = "manager / raw limit"
	figOtherCalls    = "steady interval: other hookstream calls"
	figSteadyWrites  = "steady interval: Kubernetes writes"
	figSweepP99      = "sweep: spec change -> PATCH p99 (ms)"
	figSweepTimeouts = "sweep: spec changes not seen within the limit"
	figRSS           = "manager peak RSS (MiB)"
)

// figListCalls is the key of one kind's steady lists.
func figListCalls(k *benchKind) string { return "steady interval: GET /" + k.Resource }

// figures are this run's headline figures, by key; those of a mode that did not run are left out.
func (r *results) figures() map[string]float64 {
	f := map[string]float64{}
	if r.Raw != nil {
		f[figRawReady] = r.Raw.AllReadySeconds
	}
	m := r.mode(modeList)
	if m == nil {
		return f
	}
	f[figReady] = m.AllReadySeconds
	if r.Raw != nil {
		f[figRatio] = m.AllReadySeconds / r.Raw.AllReadySeconds
	}
	var other float64
	lists := map[string]bool{}
	for _, k := range kindsOf(r.Kinds) {
		route := "GET /" + k.Resource
		lists[route] = true
		f[figListCalls(k)] = float64(m.Steady.HookstreamCalls[route])
	}
	for route, n := range m.Steady.HookstreamCalls {
		if !lists[route] {
			other += float64(n)
		}
	}
	f[figOtherCalls] = other
	f[figSteadyWrites] = m.Steady.ObjectWrites + m.Steady.EventWrites
	f[figSweepP99] = m.SweepLatency.P99Ms
	f[figSweepTimeouts] = float64(m.SweepLatency.Failures)
	f[figRSS] = float64(max(m.CreateMemory.PeakRSSBytes, m.SteadyMemory.PeakRSSBytes)) / mib
	return f
}

// judge compares list-mode figures (one run's, or the medians of several) with the targets; a target whose
// figures are missing is left out.
func judge(n int, kinds string, f map[string]spread) []targetResult {
	var out []targetResult
	add := func(target, key, unit string, decimals int, met bool, miss string) {
		v := "target met"
		if !met {
			v = "MISSED " + miss
		}
		out = append(out, targetResult{Target: target, Measured: f[key].format(unit, decimals), Met: met, Verdict: v})
	}
	if r, ok := f[figRatio]; ok {
		add("all Ready within 2x the raw-limit time", figRatio, "x", 2, r.Median <= 2,
			fmt.Sprintf("by %.0f%% (%.2fx instead of at most 2x)", (r.Median/2-1)*100, r.Median))
	}
	if _, ok := f[figReady]; !ok {
		return out
	}
	perKind := math.Ceil(float64(n)/100) + 1
	for _, k := range kindsOf(kinds) {
		c := f[figListCalls(k)]
		add(fmt.Sprintf("steady state: at most ceil(N/100)+1 = %.0f lists of %s per interval", perKind, k.Resource),
			figListCalls(k), "", 0, c.Median <= perKind, fmt.Sprintf("by %.0f calls", c.Median-perKind))
	}
	o := f[figOtherCalls]
	add("steady state: no other hookstream call", figOtherCalls, "", 0, o.Median == 0, fmt.Sprintf("by %.0f calls", o.Median))
	w := f[figSteadyWrites]
	add("steady state: zero Kubernetes writes per interval", figSteadyWrites, "", 0, w.Median == 0,
		fmt.Sprintf("by %.0f writes", w.Median))
	p99, timeouts := f[figSweepP99], f[figSweepTimeouts]
	add("spec-change-to-PATCH p99 under 1 s during a sweep, none timed out", figSweepP99, " ms", 0,
		p99.Median < 1000 && timeouts.Max == 0,
		fmt.Sprintf("(p99 %.0f ms, %.0f timed out in the worst run)", p99.Median, timeouts.Max))
	limit := float64(rssTarget(n*len(kindsOf(kinds)))) / mib
	rss := f[figRSS]
	add(fmt.Sprintf("manager RSS under %.0f MiB", limit), figRSS, " MiB", 1, rss.Median < limit,
		fmt.Sprintf("by %.1f MiB", rss.Median-limit))
	return out
}

// rssTarget is the manager's memory target for a number of objects: 150 MiB up to 5000, 300 MiB above (stated
// for 20000).
func rssTarget(total int) int64 {
	if total <= 5000 {
		return 150 * mib
	}
	return 300 * mib
}

func (r *results) definitions() []string {
	s := r.Settings
	out := []string{}
	if r.Raw != nil {
		out = append(out, r.Raw.Definition)
	}
	out = append(out,
		fmt.Sprintf("create window: the manager runs with --drift-interval=%s, so no periodic check runs while creating "+
			"or during the idle samples; figures per object divide the window's counts by the objects created; the "+
			"benchmark's own creates and spec patches are subtracted from the API server's apiserver_request_total.",
			s.CreateDriftInterval),
		"spec change -> PATCH: from sending a merge patch of spec.displayName to the API server until the emulator's "+
			"row (admin GET, polled every 5 ms, not counted in stats) has the new name. Idle: one after the other, 100 ms "+
			"apart, right after all are Ready.",
		fmt.Sprintf("restart: the manager is restarted with --drift-interval=%s; it spreads the first checks of all N "+
			"over one interval. Window: from the restart until interval + 1 s + margin.", s.DriftInterval),
		"steady state: the next full interval, nothing changed by the benchmark; every object gets about one "+
			"periodic check in it.",
		"sweep: the interval after that, while every Destination gets its periodic check; the samples are spread evenly "+
			"over it (the p50/p99 and the target use these). In list mode more samples, 100 ms apart, cover the 2 s "+
			"around the moment the next list is due (one interval after the last list began), reported apart. 'during "+
			"a list' counts samples in which the emulator saw a list call.",
		fmt.Sprintf("rate limits: the manager runs with --hookstream-rate-limit=%g --hookstream-rate-burst=%d so that "+
			"its own budget is not the limit. At the default 10 rps, N creates need N/10 s of POSTs alone (N=%d: %.0f s), "+
			"and at the default 10m interval get mode needs N/600 rps for its checks (N=%d: %.1f rps, %.0f%% of the "+
			"default budget) where list mode needs ceil(N/100) calls per interval (%.2f%%).",
			s.HookstreamRateLimit, s.HookstreamRateBurst, r.N, float64(r.N)/10, r.N, float64(r.N)/600,
			float64(r.N)/6000*100, math.Ceil(float64(r.N)/100)/6000*100),
		fmt.Sprintf("the emulator runs with --rate-limit=%d: without it, it advertises a counted window of 1000 calls "+
			"per 60 s in RateLimit-Remaining/Reset, which the manager's client obeys by pausing the key (at most "+
			"about 16.7 calls per second).", s.EmulatorRateLimit),
		"Kubernetes writes: apiserver_request_total of the API server, verbs POST/PUT/PATCH/APPLY/DELETE, resources "+
			"destinations, sources, connections (with subresource) and events, by response code; '<kind> PATCH' is "+
			"the metadata patch (finalizer and create marker), '<kind>/status PATCH' the status patch.",
	)
	return out
}

func formatCalls(calls map[string]int64) string {
	if len(calls) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range sortedKeys(calls) {
		parts = append(parts, fmt.Sprintf("%s %d", k, calls[k]))
	}
	return strings.Join(parts, ", ")
}

func formatWrites(rows []writeCount) string {
	var parts []string
	for _, w := range rows {
		parts = append(parts, fmt.Sprintf("%s: %.0f", w.String(), w.Count))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// print writes the table: one column per measured run.
//
//nolint:gocyclo // one branch per optional row of the report
func (r *results) print(out io.Writer) {
	fmt.Fprintf(out, "\n=== hookstream-operator scale benchmark, run %d, N=%d of each of %s, %d CPUs, load average %s "+
		"at start, %s at end, %.0f s in all ===\n", r.Run, r.N, kindNames(kindsOf(r.Kinds)), r.CPUs, r.LoadAvgStart,
		r.LoadAvgEnd, r.TotalSeconds)
	fmt.Fprintf(out, "command: %s\n   i.e.: %s\n", r.Command, r.GoTestCommand)
	fmt.Fprintf(out, "operator: built from the working tree at %s\n", r.Revision)
	s := r.Settings
	fmt.Fprintf(out, "manager: --max-concurrent-reconciles=%d --hookstream-rate-limit=%g --hookstream-rate-burst=%d; "+
		"--drift-interval=%s while creating, %s from the restart on; %d creators; samples per phase %d\n\n",
		s.MaxConcurrentReconciles, s.HookstreamRateLimit, s.HookstreamRateBurst, s.CreateDriftInterval, s.DriftInterval,
		s.Creators, s.SamplesPerPhase)

	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	header := "\traw limit"
	for _, m := range r.Modes {
		header += "\t" + m.Mode
		if m.Mode == modeList {
			header += " (default)"
		} else {
			header += " (--observation=get)"
		}
	}
	fmt.Fprintln(tw, header)
	row := func(label, raw string, cell func(m *modeResult) string) {
		line := label + "\t" + raw
		for _, m := range r.Modes {
			line += "\t" + cell(m)
		}
		fmt.Fprintln(tw, line)
	}
	section := func(label string) {
		fmt.Fprintln(tw, label+strings.Repeat("\t", 1+len(r.Modes)))
	}
	rawOr := func(f func(*rawResult) string) string {
		if r.Raw == nil {
			return "-"
		}
		return f(r.Raw)
	}
	n := float64(r.N * len(kindsOf(r.Kinds)))

	row("time until all Ready", rawOr(func(x *rawResult) string { return fmt.Sprintf("%.1f s", x.AllReadySeconds) }),
		func(m *modeResult) string {
			if r.Raw == nil {
				return fmt.Sprintf("%.1f s", m.AllReadySeconds)
			}
			return fmt.Sprintf("%.1f s (%.2fx raw)", m.AllReadySeconds, m.AllReadySeconds/r.Raw.AllReadySeconds)
		})
	row("  last create answered", rawOr(func(x *rawResult) string { return fmt.Sprintf("%.1f s", x.CreatesDoneSeconds) }),
		func(m *modeResult) string { return fmt.Sprintf("%.1f s", m.CreatesDoneSeconds) })
	row("  Ready rate", rawOr(func(x *rawResult) string { return fmt.Sprintf("%.0f /s", n/x.AllReadySeconds) }),
		func(m *modeResult) string { return fmt.Sprintf("%.0f /s", n/m.AllReadySeconds) })

	section("hookstream calls per object (create)")
	routes := map[string]bool{}
	if r.Raw != nil {
		for k := range r.Raw.HookstreamCalls {
			routes[k] = true
		}
	}
	for _, m := range r.Modes {
		for k := range m.Create.HookstreamCalls {
			routes[k] = true
		}
	}
	for _, route := range sortedKeys(routes) {
		row("  "+route, rawOr(func(x *rawResult) string { return fmt.Sprintf("%.3f", float64(x.HookstreamCalls[route])/n) }),
			func(m *modeResult) string { return fmt.Sprintf("%.3f", float64(m.Create.HookstreamCalls[route])/n) })
	}

	section("Kubernetes writes per object (create; benchmark's creates excluded)")
	kinds := map[string]bool{}
	rawWrites := map[string]float64{}
	if r.Raw != nil {
		for _, w := range r.Raw.KubeWrites {
			kinds[w.String()] = true
			rawWrites[w.String()] += w.Count
		}
	}
	for _, m := range r.Modes {
		for k := range m.WritesPerObject {
			kinds[k] = true
		}
	}
	for _, kind := range sortedKeys(kinds) {
		row("  "+kind, rawOr(func(*rawResult) string { return fmt.Sprintf("%.3f", rawWrites[kind]/n) }),
			func(m *modeResult) string { return fmt.Sprintf("%.3f", m.WritesPerObject[kind]) })
	}
	row("  all writes", rawOr(func(x *rawResult) string {
		var t float64
		for _, w := range x.KubeWrites {
			t += w.Count
		}
		return fmt.Sprintf("%.3f", t/n)
	}), func(m *modeResult) string {
		return fmt.Sprintf("%.3f", (m.Create.ObjectWrites+m.Create.EventWrites)/n)
	})

	section("create path: mean time per step (count)")
	steps := map[string]bool{}
	rawSteps := map[string]pathTime{}
	if r.Raw != nil {
		for _, p := range r.Raw.CreatePath {
			steps[p.Step], rawSteps[p.Step] = true, p
		}
	}
	for _, m := range r.Modes {
		for _, p := range m.CreatePath {
			steps[p.Step] = true
		}
	}
	stepCell := func(p pathTime, ok bool) string {
		if !ok {
			return "-"
		}
		return fmt.Sprintf("%.1f ms (%.0f)", p.MeanMs, p.Count)
	}
	for _, step := range sortedKeys(steps) {
		row("  "+step, rawOr(func(*rawResult) string { p, ok := rawSteps[step]; return stepCell(p, ok) }),
			func(m *modeResult) string {
				for _, p := range m.CreatePath {
					if p.Step == step {
						return stepCell(p, true)
					}
				}
				return "-"
			})
	}
	section("CPU seconds while creating (all CPUs busy = 1.00)")
	for _, name := range []string{"manager", "emulator", "kube-apiserver", "etcd", "benchmark"} {
		row("  "+name, rawOr(func(x *rawResult) string { return cpuCell(x.CPU, name) }),
			func(m *modeResult) string { return cpuCell(m.Create.CPU, name) })
	}
	row("  other processes and the kernel", rawOr(func(x *rawResult) string { return fmt.Sprintf("%.1f", x.CPU.Other) }),
		func(m *modeResult) string { return fmt.Sprintf("%.1f", m.Create.CPU.Other) })
	row("  busy share of the machine", rawOr(func(x *rawResult) string { return fmt.Sprintf("%.2f", x.CPU.BusyShare) }),
		func(m *modeResult) string { return fmt.Sprintf("%.2f", m.Create.CPU.BusyShare) })

	lat := func(l latencySummary) string {
		s := fmt.Sprintf("%.0f / %.0f / %.0f ms", l.P50Ms, l.P99Ms, l.MaxMs)
		if l.Failures > 0 {
			s += fmt.Sprintf(" (%d timed out)", l.Failures)
		}
		return s
	}
	row("spec change -> PATCH idle, p50 / p99 / max", "-", func(m *modeResult) string { return lat(m.IdleLatency) })
	row("  idle window: hookstream calls", "-", func(m *modeResult) string { return formatCalls(m.Idle.HookstreamCalls) })

	section(fmt.Sprintf("restart with --drift-interval=%s: first checks of all N (window %s)",
		s.DriftInterval, restartWindow(r)))
	row("  hookstream calls", "-", func(m *modeResult) string {
		return fmt.Sprintf("%d (%s)", m.Restart.HookstreamTotal, formatCalls(m.Restart.HookstreamCalls))
	})
	row("  Kubernetes writes", "-", func(m *modeResult) string {
		return fmt.Sprintf("%.0f", m.Restart.ObjectWrites+m.Restart.EventWrites)
	})

	section(fmt.Sprintf("steady state, per drift interval (%s)", s.DriftInterval))
	row("  hookstream calls", "-", func(m *modeResult) string {
		return fmt.Sprintf("%d (%s)", m.Steady.HookstreamTotal, formatCalls(m.Steady.HookstreamCalls))
	})
	row("  Kubernetes writes (objects, Events)", "-", func(m *modeResult) string {
		return fmt.Sprintf("%.0f, %.0f", m.Steady.ObjectWrites, m.Steady.EventWrites)
	})
	row("  periodic checks (reconciles)", "-", func(m *modeResult) string {
		return fmt.Sprintf("%.0f", m.Steady.Reconciles)
	})
	row("  CPU seconds: manager, emulator, apiserver, other", "-", func(m *modeResult) string {
		c := m.Steady.CPU
		return fmt.Sprintf("%.1f, %.1f, %.1f, %.1f",
			c.ByName["manager"], c.ByName["emulator"], c.ByName["kube-apiserver"], c.Other)
	})
	row("  lists seen after the restart", "-", func(m *modeResult) string {
		var parts []string
		for i, st := range m.ListStarts {
			parts = append(parts, fmt.Sprintf("%.0fs (%.0f ms)", st, m.ListDurations[i]))
		}
		if len(parts) == 0 {
			return "none"
		}
		return strings.Join(parts, ", ")
	})

	row("spec change -> PATCH in a sweep, p50 / p99 / max", "-", func(m *modeResult) string { return lat(m.SweepLatency) })
	row("  samples spread over the interval (during a list)", "-", func(m *modeResult) string {
		return fmt.Sprintf("%d (%d)", m.SweepLatency.Samples, m.SweepLatency.AtList)
	})
	row("  around the next list, 100 ms apart: p50 / max", "-", func(m *modeResult) string {
		l := m.ListLatency
		if l.Samples == 0 {
			return "-"
		}
		return fmt.Sprintf("%.0f / %.0f ms (%d samples, %d during a list)", l.P50Ms, l.MaxMs, l.Samples, l.AtList)
	})
	row("  sweep window: hookstream calls", "-", func(m *modeResult) string {
		return fmt.Sprintf("%d", m.Sweep.HookstreamTotal)
	})

	row("manager peak RSS (VmHWM): create / restart+steady", "-", func(m *modeResult) string {
		return fmt.Sprintf("%.1f / %.1f MiB", float64(m.CreateMemory.PeakRSSBytes)/mib,
			float64(m.SteadyMemory.PeakRSSBytes)/mib)
	})
	row("manager peak Go heap alloc / inuse: create", "-", func(m *modeResult) string {
		return fmt.Sprintf("%.1f / %.1f MiB", float64(m.CreateMemory.PeakHeapAllocBytes)/mib,
			float64(m.CreateMemory.PeakHeapInuseBytes)/mib)
	})
	row("manager peak Go heap alloc / inuse: steady", "-", func(m *modeResult) string {
		return fmt.Sprintf("%.1f / %.1f MiB", float64(m.SteadyMemory.PeakHeapAllocBytes)/mib,
			float64(m.SteadyMemory.PeakHeapInuseBytes)/mib)
	})
	row("manager CPU: create / restart+steady+sweep", "-", func(m *modeResult) string {
		return fmt.Sprintf("%.1f / %.1f s", m.CreateMemory.CPUSeconds, m.SteadyMemory.CPUSeconds)
	})
	row("watch events the benchmark received", rawOr(func(x *rawResult) string { return fmt.Sprint(x.WatchEvents) }),
		func(m *modeResult) string { return fmt.Sprint(m.WatchEvents) })
	row("watches the API server closed as too slow (the benchmark's Ready watch restarts)",
		rawOr(func(x *rawResult) string { return fmt.Sprintf("%.0f (%d)", x.ClosedWatches, x.WatchRestarts) }),
		func(m *modeResult) string { return fmt.Sprintf("%.0f (%d)", m.ClosedWatches, m.WatchRestarts) })
	_ = tw.Flush()

	if l, g := r.mode(modeList), r.mode(modeGet); l != nil && g != nil {
		fmt.Fprintf(out, "\nget mode vs list mode, steady hookstream calls per interval: %d vs %d = %.1fx\n",
			g.Steady.HookstreamTotal, l.Steady.HookstreamTotal,
			float64(g.Steady.HookstreamTotal)/float64(max(1, l.Steady.HookstreamTotal)))
		fmt.Fprintf(out, "get mode vs list mode, spec change in a sweep p99: %.0f ms vs %.0f ms\n",
			g.SweepLatency.P99Ms, l.SweepLatency.P99Ms)
	}
	for _, m := range r.Modes {
		fmt.Fprintf(out, "%s: Kubernetes writes while creating: %s\n", m.Mode, formatWrites(m.Create.KubeWrites))
	}

	for _, note := range r.sharedMachineNotes() {
		fmt.Fprintf(out, "NOTE: %s\n", note)
	}

	if len(r.Targets) > 0 {
		fmt.Fprintf(out, "\ntargets of this run (list mode; the summary after the last run judges on medians):\n")
		tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
		for _, t := range r.Targets {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", t.Target, t.Measured, t.Verdict)
		}
		_ = tw.Flush()
	}
	fmt.Fprintln(out, "\ndefinitions:")
	for _, d := range r.Definitions {
		fmt.Fprintf(out, "  - %s\n", d)
	}
	fmt.Fprintf(out, "\nrerun: %s\n", r.Command)
}

// sharedMachineNotes names the windows in which processes the benchmark did not start took more than a tenth of
// the machine: their figures are inflated by work that is not the operator's.
func (r *results) sharedMachineNotes() []string {
	var notes []string
	check := func(what string, c cpuUse) {
		if c.Seconds <= 0 {
			return
		}
		share := c.Other / (c.Seconds * float64(r.CPUs))
		if share > 0.1 {
			notes = append(notes, fmt.Sprintf("during %s, processes outside the benchmark used %.1f CPU-s, %.0f%% of "+
				"the machine: its figures are inflated by that load", what, c.Other, share*100))
		}
	}
	if r.Raw != nil {
		check("the raw-limit run", r.Raw.CPU)
	}
	for _, m := range r.Modes {
		check(m.Mode+" creates", m.Create.CPU)
		check(m.Mode+" steady state", m.Steady.CPU)
		check(m.Mode+" sweep", m.Sweep.CPU)
	}
	return notes
}

func cpuCell(c cpuUse, name string) string {
	v, ok := c.ByName[name]
	if !ok {
		return "-"
	}
	return fmt.Sprintf("%.1f", v)
}

func restartWindow(r *results) string {
	if len(r.Modes) == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f s", r.Modes[0].Restart.Seconds)
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
