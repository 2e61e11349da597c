// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package harness

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/prometheus/prometheus/tsdb/chunks"
	"github.com/prometheus/prometheus/util/annotations"
)

// ScrapeStore keeps successive scrapes as Prometheus would store them: one series per metric name and label set,
// a sample per scrape, and a staleness marker when a series that an earlier scrape had is missing from a later
// one. Prometheus's query engine reads it (Queryable), so that alert expressions are evaluated over real scrapes
// exactly as Prometheus evaluates them.
type ScrapeStore struct {
	mu     sync.Mutex
	series map[string]*storedSeries
	last   time.Time
}

type storedSeries struct {
	labels  labels.Labels
	samples []floatSample
	live    bool
}

// NewScrapeStore returns an empty store.
func NewScrapeStore() *ScrapeStore {
	return &ScrapeStore{series: map[string]*storedSeries{}}
}

// Add stores one scrape taken at ts, with the target labels job and instance as a Prometheus scrape adds them.
func (st *ScrapeStore) Add(ts time.Time, ss Samples, job, instance string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	t := ts.UnixMilli()
	seen := map[string]bool{}
	for _, s := range ss {
		m := map[string]string{}
		maps.Copy(m, s.Labels)
		m[model.MetricNameLabel] = s.Name
		m["job"], m["instance"] = job, instance
		lset := labels.FromMap(m)
		key := lset.String()
		seen[key] = true
		ser := st.series[key]
		if ser == nil {
			ser = &storedSeries{labels: lset}
			st.series[key] = ser
		}
		ser.samples = append(ser.samples, floatSample{t: t, f: s.Value})
		ser.live = true
	}
	for key, ser := range st.series {
		if ser.live && !seen[key] {
			ser.samples = append(ser.samples, floatSample{t: t, f: math.Float64frombits(value.StaleNaN)})
			ser.live = false
		}
	}
	st.last = ts
}

// Last returns the time of the latest scrape.
func (st *ScrapeStore) Last() time.Time {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.last
}

// MetricNames returns the name of every series any scrape had.
func (st *ScrapeStore) MetricNames() map[string]bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	names := map[string]bool{}
	for _, ser := range st.series {
		names[ser.labels.Get(model.MetricNameLabel)] = true
	}
	return names
}

// HasSeries reports whether any scrape had a series of the metric whose labels include match.
func (st *ScrapeStore) HasSeries(name string, match map[string]string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, ser := range st.series {
		if ser.labels.Get(model.MetricNameLabel) != name {
			continue
		}
		ok := true
		for k, v := range match {
			ok = ok && ser.labels.Get(k) == v
		}
		if ok {
			return true
		}
	}
	return false
}

// Querier implements storage.Queryable.
func (st *ScrapeStore) Querier(mint, maxt int64) (storage.Querier, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	q := &scrapeQuerier{}
	for _, ser := range st.series {
		var in []chunks.Sample
		for _, s := range ser.samples {
			if s.t >= mint && s.t <= maxt {
				in = append(in, s)
			}
		}
		if len(in) > 0 {
			q.series = append(q.series, storage.NewListSeries(ser.labels, in))
		}
	}
	slices.SortFunc(q.series, func(a, b storage.Series) int { return labels.Compare(a.Labels(), b.Labels()) })
	return q, nil
}

type scrapeQuerier struct{ series []storage.Series }

func (q *scrapeQuerier) Select(_ context.Context, _ bool, _ *storage.SelectHints,
	ms ...*labels.Matcher) storage.SeriesSet {
	var out []storage.Series
	for _, s := range q.series {
		if matchesAll(s.Labels(), ms) {
			out = append(out, s)
		}
	}
	return &seriesSet{series: out, idx: -1}
}

func matchesAll(lset labels.Labels, ms []*labels.Matcher) bool {
	for _, m := range ms {
		if !m.Matches(lset.Get(m.Name)) {
			return false
		}
	}
	return true
}

func (q *scrapeQuerier) LabelValues(_ context.Context, name string, _ *storage.LabelHints,
	ms ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	values := map[string]bool{}
	for _, s := range q.series {
		if v := s.Labels().Get(name); v != "" && matchesAll(s.Labels(), ms) {
			values[v] = true
		}
	}
	return slices.Sorted(maps.Keys(values)), nil, nil
}

func (q *scrapeQuerier) LabelNames(_ context.Context, _ *storage.LabelHints,
	ms ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	names := map[string]bool{}
	for _, s := range q.series {
		if matchesAll(s.Labels(), ms) {
			s.Labels().Range(func(l labels.Label) { names[l.Name] = true })
		}
	}
	return slices.Sorted(maps.Keys(names)), nil, nil
}

func (*scrapeQuerier) Close() error { return nil }

type seriesSet struct {
	series []storage.Series
	idx    int
}

func (s *seriesSet) Next() bool                      { s.idx++; return s.idx < len(s.series) }
func (s *seriesSet) At() storage.Series              { return s.series[s.idx] }
func (*seriesSet) Err() error                        { return nil }
func (*seriesSet) Warnings() annotations.Annotations { return nil }

// floatSample is one stored float sample.
type floatSample struct {
	t int64
	f float64
}

func (s floatSample) T() int64                    { return s.t }
func (floatSample) ST() int64                     { return 0 }
func (s floatSample) F() float64                  { return s.f }
func (floatSample) H() *histogram.Histogram       { return nil }
func (floatSample) FH() *histogram.FloatHistogram { return nil }
func (floatSample) Type() chunkenc.ValueType      { return chunkenc.ValFloat }
func (s floatSample) Copy() chunks.Sample         { return s }

// AlertRule is one alerting rule of a rule file.
type AlertRule struct {
	Name string
	Expr string
}

// LoadAlertRules reads the alerting rules of a Prometheus rule file with Prometheus's own parser and validation.
func LoadAlertRules(path string) ([]AlertRule, error) {
	groups, errs := rulefmt.ParseFile(path, false, model.UTF8Validation, parser.NewParser(parser.Options{}), nil)
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s: %v", path, errs)
	}
	var rules []AlertRule
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			if r.Alert != "" {
				rules = append(rules, AlertRule{Name: r.Alert, Expr: r.Expr})
			}
		}
	}
	return rules, nil
}

// FiringAlerts evaluates every rule's expression at ts with Prometheus's query engine over the store and returns,
// by alert name, the label sets of the series the expression returns: the alerts that are active (pending until
// their `for` has passed, then firing).
func FiringAlerts(ctx context.Context, st *ScrapeStore, rules []AlertRule, ts time.Time) (map[string][]string, error) {
	engine := promql.NewEngine(promql.EngineOpts{
		MaxSamples: 1_000_000, Timeout: time.Minute, LookbackDelta: 5 * time.Minute,
	})
	active := map[string][]string{}
	for _, r := range rules {
		q, err := engine.NewInstantQuery(ctx, st, nil, r.Expr, ts)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.Name, err)
		}
		res := q.Exec(ctx)
		if res.Err != nil {
			q.Close()
			return nil, fmt.Errorf("%s: %w", r.Name, res.Err)
		}
		vec, err := res.Vector()
		if err != nil {
			q.Close()
			return nil, fmt.Errorf("%s: %w", r.Name, err)
		}
		for _, s := range vec {
			active[r.Name] = append(active[r.Name], s.Metric.String())
		}
		q.Close()
	}
	return active, nil
}
