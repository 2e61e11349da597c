// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/emulator"
	"github.com/hookstream/hookstream-operator/test/harness"
	"github.com/hookstream/hookstream-operator/test/harness/harnesstest"
)

const (
	// pollEvery is how often the emulator is asked whether a spec change arrived: the latency's resolution.
	pollEvery = 5 * time.Millisecond
	// sampleTimeout gives up on one spec change; a sample that times out counts as a failure and as this long.
	sampleTimeout = 60 * time.Second
)

// listCalls returns how many list requests the emulator counted.
func listCalls(ctx context.Context, emu *harness.Emulator) (int64, error) {
	var st emulator.Stats
	if err := emu.Admin(ctx, http.MethodGet, "/_emulator/stats", nil, &st); err != nil {
		return 0, err
	}
	return st.Count(emulator.RouteListDestinations), nil
}

// latencySummary describes spec-change-to-PATCH latencies: from sending the Kubernetes PATCH of spec.displayName
// until the emulator holds the new name.
type latencySummary struct {
	Samples  int       `json:"samples"`
	Failures int       `json:"failures"`
	P50Ms    float64   `json:"p50Ms"`
	P99Ms    float64   `json:"p99Ms"`
	MaxMs    float64   `json:"maxMs"`
	MeanMs   float64   `json:"meanMs"`
	AtList   int       `json:"samplesDuringAList"`
	AtListMs []float64 `json:"atListMs,omitempty"`
	AllMs    []float64 `json:"allMs"`
}

// plannedSample is when to change a spec; burst marks the samples aimed at the moment of a list.
type plannedSample struct {
	at    time.Time
	burst bool
}

// sample is one measured spec change.
type sample struct {
	plannedSample
	ms     float64
	atList bool
	failed bool
}

// evenSchedule spreads n start times over span from start.
func evenSchedule(start time.Time, span time.Duration, n int) []plannedSample {
	out := make([]plannedSample, n)
	for i := range n {
		out[i] = plannedSample{at: start.Add(span * time.Duration(i) / time.Duration(n))}
	}
	return out
}

// burstSchedule places samples every 100 ms over span from start.
func burstSchedule(start time.Time, span time.Duration) []plannedSample {
	var out []plannedSample
	for at := start; at.Before(start.Add(span)); at = at.Add(100 * time.Millisecond) {
		out = append(out, plannedSample{at: at, burst: true})
	}
	return out
}

// sampleLatencies changes the spec of one Destination at each planned time, one at a time (a sample that runs late
// delays the next), and measures how long each takes to reach hookstream.
func (bn *bench) sampleLatencies(ctx context.Context, emu *harnesstest.Emulator, namespace string, picker *targetPicker,
	tag string, plan []plannedSample) []sample {
	slices.SortFunc(plan, func(a, b plannedSample) int { return a.at.Compare(b.at) })
	out := make([]sample, 0, len(plan))
	for i, p := range plan {
		sleepUntil(p.at)
		d := picker.pick()
		listsBefore, _ := listCalls(ctx, emu.Emulator)
		lat, err := bn.specChange(ctx, emu, namespace, d, fmt.Sprintf("bench %s %d %d", tag, i, time.Now().UnixNano()))
		listsAfter, _ := listCalls(ctx, emu.Emulator)
		s := sample{plannedSample: p, ms: ms(lat), atList: listsAfter > listsBefore}
		if err != nil {
			bn.logf("  spec change of %s: %v", d.Metadata.Name, err)
			s.failed, s.ms = true, ms(sampleTimeout)
		}
		out = append(out, s)
	}
	return out
}

// summarize describes the samples that keep returns true for.
func summarize(samples []sample, keep func(sample) bool) latencySummary {
	var sum latencySummary
	for _, s := range samples {
		if !keep(s) {
			continue
		}
		sum.AllMs = append(sum.AllMs, s.ms)
		if s.failed {
			sum.Failures++
		}
		if s.atList {
			sum.AtList++
			sum.AtListMs = append(sum.AtListMs, s.ms)
		}
	}
	sum.Samples = len(sum.AllMs)
	sorted := slices.Sorted(slices.Values(sum.AllMs))
	sum.P50Ms, sum.P99Ms = percentile(sorted, 50), percentile(sorted, 99)
	if len(sorted) > 0 {
		sum.MaxMs = sorted[len(sorted)-1]
		var total float64
		for _, v := range sorted {
			total += v
		}
		sum.MeanMs = total / float64(len(sorted))
	}
	return sum
}

// percentile is the nearest-rank percentile of sorted values: with 50 samples p99 is the largest.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// specChange patches spec.displayName and waits until the emulator's row has the new name.
func (bn *bench) specChange(ctx context.Context, emu *harnesstest.Emulator, namespace string, d *readyItem,
	name string) (time.Duration, error) {
	body, err := json.Marshal(map[string]any{"spec": map[string]any{"displayName": name}})
	if err != nil {
		return 0, err
	}
	obj := &v1.Destination{ObjectMeta: metav1.ObjectMeta{Name: d.Metadata.Name, Namespace: namespace}}
	start := time.Now()
	if err := bn.cl.Patch(ctx, obj, client.RawPatch(types.MergePatchType, body)); err != nil {
		return 0, err
	}
	rowPath := "/_emulator/destinations/" + d.Status.ID
	for {
		var row struct {
			Destination struct {
				Name string `json:"name"`
			} `json:"destination"`
		}
		if err := emu.Emulator.Admin(ctx, http.MethodGet, rowPath, nil, &row); err != nil {
			return 0, err
		}
		if row.Destination.Name == name {
			return time.Since(start), nil
		}
		if time.Since(start) > sampleTimeout {
			return 0, fmt.Errorf("hookstream still has name %q after %s", row.Destination.Name, sampleTimeout)
		}
		time.Sleep(pollEvery)
	}
}

// listRun is one walk over the list pages, as seen by polling the emulator's stats.
type listRun struct {
	start    time.Time
	duration time.Duration
}

// listWatcher notes when the manager lists the destinations, polling the emulator's stats every 100 ms. Page calls
// less than a second apart belong to one walk.
type listWatcher struct {
	mu   sync.Mutex
	runs []listRun
	stop chan struct{}
	done chan struct{}
}

func startListWatcher(emu *harness.Emulator) *listWatcher {
	w := &listWatcher{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		ctx := context.Background()
		last, _ := listCalls(ctx, emu)
		var lastIncrease time.Time
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-w.stop:
				return
			case <-tick.C:
			}
			n, err := listCalls(ctx, emu)
			if err != nil || n <= last {
				continue
			}
			now := time.Now()
			w.mu.Lock()
			if len(w.runs) == 0 || now.Sub(lastIncrease) > time.Second {
				w.runs = append(w.runs, listRun{start: now})
			} else {
				w.runs[len(w.runs)-1].duration = now.Sub(w.runs[len(w.runs)-1].start)
			}
			w.mu.Unlock()
			last, lastIncrease = n, now
		}
	}()
	return w
}

func (w *listWatcher) starts() []time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]time.Time, 0, len(w.runs))
	for _, r := range w.runs {
		out = append(out, r.start)
	}
	return out
}

func (w *listWatcher) finish() []listRun {
	close(w.stop)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]listRun(nil), w.runs...)
}
