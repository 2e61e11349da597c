// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"fmt"
	"io"
	"slices"
	"strings"
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
		return spread{}
	}
	v := slices.Sorted(slices.Values(values))
	m := v[len(v)/2]
	if len(v)%2 == 0 {
		m = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return spread{Median: m, Min: v[0], Max: v[len(v)-1], Values: values}
}

// format prints the median and, over several runs, the range with the spread as a share of the median.
func (s spread) format(unit string, decimals int) string {
	if len(s.Values) == 0 {
		return "-"
	}
	f := func(x float64) string { return fmt.Sprintf("%.*f", decimals, x) }
	if len(s.Values) == 1 {
		return f(s.Median) + unit
	}
	out := fmt.Sprintf("%s%s (%s-%s", f(s.Median), unit, f(s.Min), f(s.Max))
	if s.Median != 0 {
		out += fmt.Sprintf(", spread %.0f%%", (s.Max-s.Min)/s.Median*100)
	}
	return out + ")"
}

// summary holds the headline figures over the runs, and the targets judged on their medians.
type summary struct {
	Runs    int               `json:"runs"`
	N       int               `json:"n"`
	Kinds   string            `json:"kinds"`
	Figures map[string]spread `json:"figures"`
	Targets []targetResult    `json:"targets"`
}

func summarizeRuns(runs []*results) *summary {
	s := &summary{Runs: len(runs), N: runs[0].N, Kinds: runs[0].Kinds, Figures: map[string]spread{}}
	values := map[string][]float64{}
	for _, r := range runs {
		for k, v := range r.figures() {
			values[k] = append(values[k], v)
		}
	}
	for k, v := range values {
		s.Figures[k] = spreadOf(v)
	}
	s.Targets = judge(s.N, s.Kinds, s.Figures)
	return s
}

// print writes the summary after the runs' own tables.
func (s *summary) print(out io.Writer, command string) {
	fmt.Fprintf(out, "\n=== summary of %d runs: N=%d of each of %s; median (lowest-highest, spread as a share of "+
		"the median) ===\n", s.Runs, s.N, kindNames(kindsOf(s.Kinds)))
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	for _, k := range sortedKeys(s.Figures) {
		decimals := 1
		if strings.HasPrefix(k, "steady") || strings.HasPrefix(k, "sweep") {
			decimals = 0
		} else if k == figRatio {
			decimals = 2
		}
		fmt.Fprintf(tw, "  %s\t%s\n", k, s.Figures[k].format("", decimals))
	}
	_ = tw.Flush()
	if len(s.Targets) > 0 {
		fmt.Fprintf(out, "\ntargets, judged on the medians:\n")
		tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
		for _, t := range s.Targets {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", t.Target, t.Measured, t.Verdict)
		}
		_ = tw.Flush()
	}
	fmt.Fprintf(out, "\nrerun: %s\n", command)
}

// report hands the medians to the benchmark framework, which prints them on the result line.
func (s *summary) report(b *testing.B) {
	for key, unit := range map[string]string{
		figRawReady: "raw-ready-s", figReady: "ready-s", figRatio: "ready/raw", figSteadyWrites: "steady-writes/interval",
		figSweepP99: "sweep-p99-ms", figRSS: "rss-MiB",
	} {
		if f, ok := s.Figures[key]; ok {
			b.ReportMetric(f.Median, unit)
		}
	}
}
