// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package harness

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strconv"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Sample is one line of the Prometheus text format: a counter, gauge or untyped value, or one series of a summary
// or histogram (name{quantile=...}, name_bucket{le=...}, name_sum, name_count).
type Sample struct {
	Name   string
	Labels map[string]string
	Value  float64
}

// Samples is one scrape.
type Samples []Sample

// ParseMetrics reads the Prometheus text exposition format, which is what the API server and the manager serve to
// a client that does not ask for another one.
func ParseMetrics(r io.Reader) (Samples, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(r)
	if err != nil {
		return nil, err
	}
	var out Samples
	for name, mf := range families {
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, lp := range m.GetLabel() {
				labels[lp.GetName()] = lp.GetValue()
			}
			with := func(key, value string) map[string]string {
				l := make(map[string]string, len(labels)+1)
				maps.Copy(l, labels)
				l[key] = value
				return l
			}
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				out = append(out, Sample{name, labels, m.GetCounter().GetValue()})
			case dto.MetricType_GAUGE:
				out = append(out, Sample{name, labels, m.GetGauge().GetValue()})
			case dto.MetricType_SUMMARY:
				s := m.GetSummary()
				for _, q := range s.GetQuantile() {
					out = append(out, Sample{name, with("quantile", formatFloat(q.GetQuantile())), q.GetValue()})
				}
				out = append(out, Sample{name + "_sum", labels, s.GetSampleSum()},
					Sample{name + "_count", labels, float64(s.GetSampleCount())})
			case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
				h := m.GetHistogram()
				for _, b := range h.GetBucket() {
					le := with("le", formatFloat(b.GetUpperBound()))
					out = append(out, Sample{name + "_bucket", le, float64(b.GetCumulativeCount())})
				}
				out = append(out, Sample{name + "_sum", labels, h.GetSampleSum()},
					Sample{name + "_count", labels, float64(h.GetSampleCount())})
			default:
				out = append(out, Sample{name, labels, m.GetUntyped().GetValue()})
			}
		}
	}
	return out, nil
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// ScrapeMetrics reads a Prometheus text endpoint with the given client (http.DefaultClient when nil).
func ScrapeMetrics(ctx context.Context, hc *http.Client, url string) (Samples, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	samples, err := ParseMetrics(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	return samples, nil
}

// Sum adds up the samples of one metric whose labels include match, and says whether there was any.
func (ss Samples) Sum(name string, match map[string]string) (float64, bool) {
	var n float64
	found := false
	for _, s := range ss {
		if s.Name != name {
			continue
		}
		ok := true
		for k, v := range match {
			if s.Labels[k] != v {
				ok = false
				break
			}
		}
		if ok {
			n += s.Value
			found = true
		}
	}
	return n, found
}
