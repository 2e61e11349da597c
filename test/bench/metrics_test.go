// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/emulator"
	"github.com/hookstream/hookstream-operator/test/harness"
)

// writeKey names one kind of Kubernetes write as the API server counts it.
type writeKey struct {
	Group       string `json:"group"`
	Resource    string `json:"resource"`
	Subresource string `json:"subresource"`
	Verb        string `json:"verb"`
	Code        string `json:"code"`
}

func (k writeKey) String() string {
	r := k.Resource
	if k.Subresource != "" {
		r += "/" + k.Subresource
	}
	if k.Group != "" && k.Group != "hookstream.io" {
		r += " (" + k.Group + ")"
	}
	return fmt.Sprintf("%s %s %s", r, k.Verb, k.Code)
}

// writeResources are the resources whose writes are counted.
var writeResources = map[string]bool{"destinations": true, "sources": true, "connections": true, "events": true}

// mutatingVerbs are the verbs apiserver_request_total uses for writes (PUT is an update, APPLY a server-side apply).
var mutatingVerbs = map[string]bool{
	"POST": true, "PUT": true, "PATCH": true, "APPLY": true, "DELETE": true, "DELETECOLLECTION": true,
}

// kubeWrites counts writes to the operator's objects (Destinations, Sources, Connections) and to Events, by kind.
type kubeWrites map[writeKey]float64

// kubeScrape is what the API server's /metrics says about writes to the operator's objects and Events.
type kubeScrape struct {
	writes kubeWrites
	// durations holds apiserver_request_duration_seconds of the same writes, code left out: sum and count.
	durationSum, durationCount map[writeKey]float64
	// closedWatches is apiserver_terminated_watchers_total of the operator's kinds: watches the API server ended
	// because their reader fell behind. Each one is resumed by its client, and the API server replays the
	// events it missed from its watch cache.
	closedWatches float64
	// cacheCapacity is watch_cache_capacity of each of the operator's kinds, by resource.
	cacheCapacity map[string]float64
}

// scrapeKubeWrites reads apiserver_request_total, apiserver_request_duration_seconds,
// apiserver_terminated_watchers_total and watch_cache_capacity from the API server's /metrics as the cluster admin.
func scrapeKubeWrites(ctx context.Context, hc *http.Client, host string) (kubeScrape, error) {
	out := kubeScrape{writes: kubeWrites{}, durationSum: map[writeKey]float64{}, durationCount: map[writeKey]float64{},
		cacheCapacity: map[string]float64{}}
	samples, err := harness.ScrapeMetrics(ctx, hc, strings.TrimRight(host, "/")+"/metrics")
	if err != nil {
		return out, fmt.Errorf("the API server's metrics: %w", err)
	}
	for _, s := range samples {
		if s.Labels["group"] == v1.GroupVersion.Group {
			switch s.Name {
			case "apiserver_terminated_watchers_total":
				out.closedWatches += s.Value
				continue
			case "watch_cache_capacity":
				out.cacheCapacity[s.Labels["resource"]] = s.Value
				continue
			}
		}
		if !mutatingVerbs[s.Labels["verb"]] {
			continue
		}
		if r := s.Labels["resource"]; !writeResources[r] {
			continue
		}
		k := writeKey{Group: s.Labels["group"], Resource: s.Labels["resource"], Subresource: s.Labels["subresource"],
			Verb: s.Labels["verb"]}
		switch s.Name {
		case "apiserver_request_total":
			k.Code = s.Labels["code"]
			out.writes[k] += s.Value
		case "apiserver_request_duration_seconds_sum":
			out.durationSum[k] += s.Value
		case "apiserver_request_duration_seconds_count":
			out.durationCount[k] += s.Value
		}
	}
	return out, nil
}

// serverTimes returns the API server's mean time per write kind between two scrapes.
func serverTimes(before, after kubeScrape) []pathTime {
	var out []pathTime
	for k, count := range after.durationCount {
		n := count - before.durationCount[k]
		if n <= 0 {
			continue
		}
		mean := (after.durationSum[k] - before.durationSum[k]) / n * 1000
		out = append(out, pathTime{Step: "API server: " + strings.TrimSuffix(k.String(), " "), MeanMs: mean, Count: n})
	}
	slices.SortFunc(out, func(a, b pathTime) int { return strings.Compare(a.Step, b.Step) })
	return out
}

// minus returns the writes counted since before.
func (w kubeWrites) minus(before kubeWrites) kubeWrites {
	out := kubeWrites{}
	for k, v := range w {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// total returns all writes to one resource (any subresource), such as destinations or events.
func (w kubeWrites) total(resource string) float64 {
	var n float64
	for k, v := range w {
		if k.Resource == resource {
			n += v
		}
	}
	return n
}

// objects returns all writes to the operator's objects: every counted resource but events.
func (w kubeWrites) objects() float64 {
	var n float64
	for k, v := range w {
		if k.Resource != "events" {
			n += v
		}
	}
	return n
}

// subtractCreates removes the benchmark's own creates of n objects of each kind.
func (w kubeWrites) subtractCreates(kinds []*benchKind, n int) {
	for _, k := range kinds {
		w.subtract(writeKey{Group: v1.GroupVersion.Group, Resource: k.Resource, Verb: "POST", Code: "201"}, float64(n))
	}
}

// subtract removes the benchmark's own writes, which the API server cannot tell from the manager's.
func (w kubeWrites) subtract(k writeKey, n float64) {
	w[k] -= n
	if w[k] == 0 {
		delete(w, k)
	}
}

func (w kubeWrites) sortedKeys() []writeKey {
	keys := slices.Collect(maps.Keys(w))
	slices.SortFunc(keys, func(a, b writeKey) int { return strings.Compare(a.String(), b.String()) })
	return keys
}

// writeCount is one row of kubeWrites in the JSON results.
type writeCount struct {
	writeKey
	Count float64 `json:"count"`
}

func (w kubeWrites) rows() []writeCount {
	var out []writeCount
	for _, k := range w.sortedKeys() {
		out = append(out, writeCount{writeKey: k, Count: w[k]})
	}
	return out
}

// byRoute flattens to "route" -> count, with the status code appended when it is not 2xx.
func byRoute(st emulator.Stats) map[string]int64 {
	out := map[string]int64{}
	for route, codes := range st.Routes {
		for code, n := range codes {
			key := route
			if code < 200 || code > 299 {
				key = fmt.Sprintf("%s %d", route, code)
			}
			out[key] += n
		}
	}
	return out
}

// managerMetrics scrapes the manager's plain-HTTP metrics endpoint.
func managerMetrics(ctx context.Context, url string) (harness.Samples, error) {
	return harness.ScrapeMetrics(ctx, nil, url)
}

// procStatus reads the resident set size now (VmRSS) and its peak since the process started (VmHWM), in bytes.
func procStatus(pid int) (rss, hwm int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		f := strings.Fields(value)
		if len(f) == 0 {
			continue
		}
		kb, _ := strconv.ParseInt(f[0], 10, 64)
		if name == "VmRSS" {
			rss = kb * 1024
		} else {
			hwm = kb * 1024
		}
	}
	return rss, hwm, nil
}

// memoryPeaks is what the sampler saw of one manager process.
type memoryPeaks struct {
	PeakRSSBytes       int64   `json:"peakRSSBytes"` // VmHWM: the kernel's own peak, not a sampled one
	LastRSSBytes       int64   `json:"lastRSSBytes"`
	PeakHeapAllocBytes int64   `json:"peakHeapAllocBytes"` // scraped every metricsScrapeInterval
	PeakHeapInuseBytes int64   `json:"peakHeapInuseBytes"`
	CPUSeconds         float64 `json:"cpuSeconds"`
	Samples            int     `json:"samples"`
}

// metricsScrapeInterval is how often the memory sampler scrapes the manager's metrics, as Prometheus would: a
// scrape serializes every series, two per Destination among them, which at N=20000 costs the manager enough CPU and
// garbage to distort what is measured if done every second.
const metricsScrapeInterval = 15

// memorySampler follows the manager's memory until stopped: its RSS every second from /proc, its Go heap from its
// metrics every metricsScrapeInterval seconds and once more at the end.
type memorySampler struct {
	pid        int
	metricsURL string
	mu         sync.Mutex
	peaks      memoryPeaks
	stop       chan struct{}
	done       chan struct{}
}

func startMemorySampler(pid int, metricsURL string) *memorySampler {
	s := &memorySampler{pid: pid, metricsURL: metricsURL, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for i := 0; ; i++ {
			s.sample(i%metricsScrapeInterval == 0)
			select {
			case <-s.stop:
				s.sample(true)
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

func (s *memorySampler) sample(scrape bool) {
	rss, hwm, err := procStatus(s.pid)
	var samples harness.Samples
	merr := errors.New("not scraped this time")
	if scrape {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		samples, merr = managerMetrics(ctx, s.metricsURL)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		s.peaks.LastRSSBytes = rss
		s.peaks.PeakRSSBytes = max(s.peaks.PeakRSSBytes, hwm)
	}
	if merr == nil {
		if v, ok := samples.Sum("go_memstats_heap_alloc_bytes", nil); ok {
			s.peaks.PeakHeapAllocBytes = max(s.peaks.PeakHeapAllocBytes, int64(v))
		}
		if v, ok := samples.Sum("go_memstats_heap_inuse_bytes", nil); ok {
			s.peaks.PeakHeapInuseBytes = max(s.peaks.PeakHeapInuseBytes, int64(v))
		}
		if v, ok := samples.Sum("process_cpu_seconds_total", nil); ok {
			s.peaks.CPUSeconds = v
		}
		s.peaks.Samples++
	}
}

// finish stops sampling, taking a last sample first, and returns the peaks.
func (s *memorySampler) finish() memoryPeaks {
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peaks
}

// meanBetween returns the mean of a histogram or summary over the samples observed between two scrapes, in
// milliseconds, and how many observations it covers.
func meanBetween(before, after harness.Samples, name string, match map[string]string) (meanMs, count float64, ok bool) {
	sumA, _ := before.Sum(name+"_sum", match)
	countA, _ := before.Sum(name+"_count", match)
	sumB, okSum := after.Sum(name+"_sum", match)
	countB, okCount := after.Sum(name+"_count", match)
	if !okSum || !okCount || countB <= countA {
		return 0, 0, false
	}
	return (sumB - sumA) / (countB - countA) * 1000, countB - countA, true
}

// pathTime is the mean duration of one step, and how many times it ran.
type pathTime struct {
	Step   string  `json:"step"`
	MeanMs float64 `json:"meanMs"`
	Count  float64 `json:"count"`
}

// managerCreatePath reads from the manager's metrics where the time of its reconciles went between two scrapes.
func managerCreatePath(before, after harness.Samples) []pathTime {
	var out []pathTime
	for _, m := range []struct {
		step, name string
		match      map[string]string
	}{
		{"reconcile (whole, every kind)", "controller_runtime_reconcile_time_seconds", nil},
		{"wait in the work queue (every kind)", "workqueue_queue_duration_seconds", nil},
		{"hookstream POST /destinations", "hookstream_api_request_duration_seconds",
			map[string]string{"route": "POST /destinations"}},
		{"hookstream POST /sources", "hookstream_api_request_duration_seconds",
			map[string]string{"route": "POST /sources"}},
		{"hookstream POST /connections", "hookstream_api_request_duration_seconds",
			map[string]string{"route": "POST /connections"}},
		{"Kubernetes PATCH (metadata, status)", "rest_client_request_duration_seconds", map[string]string{"verb": "PATCH"}},
		{"Kubernetes POST (events)", "rest_client_request_duration_seconds", map[string]string{"verb": "POST"}},
	} {
		if mean, n, ok := meanBetween(before, after, m.name, m.match); ok {
			out = append(out, pathTime{Step: m.step, MeanMs: mean, Count: n})
		}
	}
	return out
}
