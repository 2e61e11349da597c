// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package harness

import (
	"strings"
	"testing"
)

const exposition = `# HELP apiserver_request_total Counter of apiserver requests.
# TYPE apiserver_request_total counter
apiserver_request_total{code="201",group="hookstream.io",resource="destinations",verb="POST"} 7
apiserver_request_total{code="200",group="hookstream.io",resource="destinations",subresource="status",verb="PATCH"} 3
apiserver_request_total{code="201",group="",resource="events",verb="POST"} 2
# HELP apiserver_request_duration_seconds Response latency.
# TYPE apiserver_request_duration_seconds histogram
apiserver_request_duration_seconds_bucket{resource="destinations",verb="POST",le="0.1"} 5
apiserver_request_duration_seconds_bucket{resource="destinations",verb="POST",le="+Inf"} 7
apiserver_request_duration_seconds_sum{resource="destinations",verb="POST"} 0.42
apiserver_request_duration_seconds_count{resource="destinations",verb="POST"} 7
# HELP go_goroutines Number of goroutines.
# TYPE go_goroutines gauge
go_goroutines 41
# TYPE workqueue_queue_duration_seconds summary
workqueue_queue_duration_seconds{name="destination",quantile="0.5"} 0.001
workqueue_queue_duration_seconds_sum{name="destination"} 1.5
workqueue_queue_duration_seconds_count{name="destination"} 30
untyped_with_escapes{path="a\"b\\c\nd"} 1
`

func TestParseMetrics(t *testing.T) {
	samples, err := ParseMetrics(strings.NewReader(exposition))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		match map[string]string
		want  float64
	}{
		{"apiserver_request_total", nil, 12},
		{"apiserver_request_total", map[string]string{"resource": "destinations", "verb": "POST"}, 7},
		{"apiserver_request_total", map[string]string{"subresource": "status"}, 3},
		{"apiserver_request_duration_seconds_sum", map[string]string{"verb": "POST"}, 0.42},
		{"apiserver_request_duration_seconds_count", map[string]string{"verb": "POST"}, 7},
		{"apiserver_request_duration_seconds_bucket", map[string]string{"le": "+Inf"}, 7},
		{"go_goroutines", nil, 41},
		{"workqueue_queue_duration_seconds_count", map[string]string{"name": "destination"}, 30},
		{"workqueue_queue_duration_seconds_sum", nil, 1.5},
		{"workqueue_queue_duration_seconds", map[string]string{"quantile": "0.5"}, 0.001},
		{"untyped_with_escapes", map[string]string{"path": "a\"b\\c\nd"}, 1},
	} {
		got, ok := samples.Sum(tc.name, tc.match)
		if !ok || got != tc.want {
			t.Errorf("Sum(%s, %v) = %v, %v; want %v", tc.name, tc.match, got, ok, tc.want)
		}
	}
	if _, ok := samples.Sum("apiserver_request_total", map[string]string{"verb": "DELETE"}); ok {
		t.Error("Sum found samples that do not match")
	}
}

func TestParseMetricsRejectsMalformedInput(t *testing.T) {
	if _, err := ParseMetrics(strings.NewReader("metric{label=\"unterminated} 1\n")); err == nil {
		t.Error("ParseMetrics accepted a malformed line")
	}
}
