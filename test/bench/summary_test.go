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

package bench

import (
	"fmt"
	"io"
	"math"
	"slices"
	"testing"
	"text/tabwriter"
)

// allResults is what `make bench` writes as JSON: every run, and the summary over them.
type allResults struct {
	Command       string     `json:"command"`
	GoTestCommand string     `json:"goTestCommand"`
	Started       string     `json:"started"`
	TotalSeconds  float64    `json:"totalSeconds"`
	Runs          []*results `json:"runs"`
	Summary       *summary   `json:"summary"`
}

// spread is one figure over the runs: its median, its lowest and highest value.
type spread struct {
	Median float64   `json:"median"`
	Min    float64   `json:"min"`
	Max    float64   `json:"max"`
	Values []float64 `json:"values"`
}

func spreadOf(values []float64) spread {
	if len(values) == 0 {
		return spread{Median: math.NaN(), Min: math.NaN(), Max: math.NaN()}
	}
	v := slices.Sorted(slices.Values(values))
	m := v[len(v)/2]
	if len(v)%2 == 0 {
		m = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return spread{Median: m, Min: v[0], Max: v[len(v)-1], Values: values}
}

// format prints the median and the range, with the spread as a share of the median.
func (s spread) format(unit string, decimals int) string {
	f := func(x float64) string { return fmt.Sprintf("%.*f", decimals, x) }
	out := fmt.Sprintf("%s%s (%s-%s", f(s.Median), unit, f(s.Min), f(s.Max))
	if s.Median != 0 && len(s.Values) > 1 {
		out += fmt.Sprintf(", spread %.0f%%", (s.Max-s.Min)/s.Median*100)
	}
	return out + ")"
}

// summary holds the headline figures of the list (default) mode and the raw limit over the runs.
type summary struct {
	Runs  int    `json:"runs"`
	N     int    `json:"n"`
	Kinds string `json:"kinds"`
	// RawReady and Ready are the seconds until all were Ready; Ratio is each run's Ready / RawReady.
	RawReady spread `json:"rawReadySeconds"`
	Ready    spread `json:"readySeconds"`
	Ratio    spread `json:"ratio"`
	// SteadyCalls are the hookstream calls of one steady interval by route (the lists per kind).
	SteadyCalls  map[string]spread `json:"steadyCalls"`
	SteadyWrites spread            `json:"steadyKubernetesWrites"`
	SweepP99Ms   spread            `json:"sweepP99Ms"`
	RSSMiB       spread            `json:"peakRSSMiB"`
	Targets      []targetResult    `json:"targets"`
}

func summarize3(runs []*results) *summary {
	s := &summary{Runs: len(runs), N: runs[0].N, Kinds: runs[0].Kinds, SteadyCalls: map[string]spread{}}
	var raw, ready, ratio, writes, p99, rss []float64
	calls := map[string][]float64{}
	for _, r := range runs {
		m := r.mode(modeList)
		if r.Raw != nil {
			raw = append(raw, r.Raw.AllReadySeconds)
		}
		if m == nil {
			continue
		}
		ready = append(ready, m.AllReadySeconds)
		if r.Raw != nil {
			ratio = append(ratio, m.AllReadySeconds/r.Raw.AllReadySeconds)
		}
		writes = append(writes, m.Steady.ObjectWrites+m.Steady.EventWrites)
		p99 = append(p99, m.SweepLatency.P99Ms)
		rss = append(rss, float64(max(m.CreateMemory.PeakRSSBytes, m.SteadyMemory.PeakRSSBytes))/mib)
		for _, k := range kindsOf(r.Kinds) {
			route := "GET /" + k.Resource
			calls[route] = append(calls[route], float64(m.Steady.HookstreamCalls[route]))
		}
		var other int64
		for route, n := range m.Steady.HookstreamCalls {
			if _, list := calls[route]; !list {
				other += n
			}
		}
		calls["other calls"] = append(calls["other calls"], float64(other))
	}
	s.RawReady, s.Ready, s.Ratio = spreadOf(raw), spreadOf(ready), spreadOf(ratio)
	s.SteadyWrites, s.SweepP99Ms, s.RSSMiB = spreadOf(writes), spreadOf(p99), spreadOf(rss)
	for route, v := range calls {
		s.SteadyCalls[route] = spreadOf(v)
	}
	s.evaluate()
	return s
}

// evaluate judges the targets of issues 10 and 16 on the medians.
func (s *summary) evaluate() {
	add := func(target, measured string, met bool, miss string) {
		v := "target met"
		if !met {
			v = "MISSED " + miss
		}
		s.Targets = append(s.Targets, targetResult{Target: target, Measured: measured, Met: met, Verdict: v})
	}
	if len(s.Ratio.Values) > 0 {
		add("all Ready within 2x the raw-limit time", "ratio "+s.Ratio.format("x", 2),
			s.Ratio.Median <= 2, fmt.Sprintf("by %.0f%% (%.2fx instead of at most 2x)", (s.Ratio.Median/2-1)*100,
				s.Ratio.Median))
	}
	if len(s.Ready.Values) == 0 {
		return
	}
	perKind := math.Ceil(float64(s.N)/100) + 1
	for _, k := range kindsOf(s.Kinds) {
		route := "GET /" + k.Resource
		c := s.SteadyCalls[route]
		add(fmt.Sprintf("steady state: at most ceil(N/100)+1 = %.0f lists of %s per interval", perKind, k.Resource),
			c.format("", 0), c.Median <= perKind, fmt.Sprintf("by %.0f calls", c.Median-perKind))
	}
	o := s.SteadyCalls["other calls"]
	add("steady state: no other hookstream call", o.format("", 0), o.Median == 0, fmt.Sprintf("by %.0f calls", o.Median))
	add("steady state: zero Kubernetes writes per interval", s.SteadyWrites.format("", 0), s.SteadyWrites.Median == 0,
		fmt.Sprintf("by %.0f writes", s.SteadyWrites.Median))
	add("spec-change-to-PATCH p99 under 1 s during a sweep", s.SweepP99Ms.format(" ms", 0), s.SweepP99Ms.Median < 1000,
		fmt.Sprintf("by %.0f ms", s.SweepP99Ms.Median-1000))
	limit := float64(rssTarget(s.N*len(kindsOf(s.Kinds)))) / mib
	add(fmt.Sprintf("manager RSS under %.0f MiB", limit), "peak "+s.RSSMiB.format(" MiB", 1), s.RSSMiB.Median < limit,
		fmt.Sprintf("by %.1f MiB", s.RSSMiB.Median-limit))
}

// print writes the summary after the runs' own tables.
func (s *summary) print(out io.Writer, first *results) {
	fmt.Fprintf(out, "\n=== summary of %d runs: N=%d of each of %s; median (lowest-highest, spread as a share of "+
		"the median) ===\n", s.Runs, s.N, kindNames(kindsOf(s.Kinds)))
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  raw limit: all Ready\t%s\n", s.RawReady.format(" s", 1))
	fmt.Fprintf(tw, "  manager (list): all Ready\t%s\n", s.Ready.format(" s", 1))
	fmt.Fprintf(tw, "  manager / raw limit, per run\t%s\n", s.Ratio.format("x", 2))
	for _, route := range sortedKeys(s.SteadyCalls) {
		fmt.Fprintf(tw, "  steady interval: %s\t%s\n", route, s.SteadyCalls[route].format("", 0))
	}
	fmt.Fprintf(tw, "  steady interval: Kubernetes writes\t%s\n", s.SteadyWrites.format("", 0))
	fmt.Fprintf(tw, "  sweep spec change -> PATCH p99\t%s\n", s.SweepP99Ms.format(" ms", 0))
	fmt.Fprintf(tw, "  manager peak RSS\t%s\n", s.RSSMiB.format(" MiB", 1))
	_ = tw.Flush()
	if len(s.Targets) > 0 {
		fmt.Fprintf(out, "\ntargets, judged on the medians (2 cores):\n")
		tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
		for _, t := range s.Targets {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", t.Target, t.Measured, t.Verdict)
		}
		_ = tw.Flush()
	}
	fmt.Fprintf(out, "\nrerun: %s\n", first.Command)
}

// report hands the medians to the benchmark framework, which prints them on the result line.
func (s *summary) report(b *testing.B) {
	if len(s.RawReady.Values) > 0 {
		b.ReportMetric(s.RawReady.Median, "raw-ready-s")
	}
	if len(s.Ready.Values) == 0 {
		return
	}
	b.ReportMetric(s.Ready.Median, "ready-s")
	if len(s.Ratio.Values) > 0 {
		b.ReportMetric(s.Ratio.Median, "ready/raw")
	}
	b.ReportMetric(s.SteadyWrites.Median, "steady-writes/interval")
	b.ReportMetric(s.SweepP99Ms.Median, "sweep-p99-ms")
	b.ReportMetric(s.RSSMiB.Median, "rss-MiB")
}
