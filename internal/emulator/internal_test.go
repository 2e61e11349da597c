// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDecodeInt(t *testing.T) {
	tests := map[string]struct {
		raw    string
		want   int64
		wantOK bool
	}{
		"integer":          {"30000", 30000, true},
		"negative":         {"-5", -5, true},
		"exponent":         {"3e4", 30000, true},
		"trailing zero":    {"1000.0", 1000, true},
		"fraction":         {"1000.5", 0, false},
		"string":           {`"1000"`, 0, false},
		"boolean":          {"true", 0, false},
		"null":             {"null", 0, false},
		"huge":             {"1e400", 0, false},
		"beyond 2^53":      {"1e300", 0, false},
		"int64 overflow":   {"99999999999999999999", 0, false},
		"empty":            {"", 0, false},
		"negative zero":    {"-0.0", 0, true},
		"small exponent":   {"12e-1", 0, false},
		"max int64 digits": {"9223372036854775807", 9223372036854775807, true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := decodeInt(json.RawMessage(tc.raw))
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("decodeInt(%s) = %d, %v; want %d, %v", tc.raw, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestRetryPolicyWaits(t *testing.T) {
	tests := map[string]struct {
		row  Destination
		want []int64
	}{
		"defaults":               {Destination{}, []int64{30, 300, 1800, 7200}},
		"retries disabled":       {Destination{RetryEnabled: ptrTo[int64](0), RetryMaxAttempts: ptrTo[int64](5)}, []int64{}},
		"retries enabled":        {Destination{RetryEnabled: ptrTo[int64](1), RetryMaxAttempts: ptrTo[int64](2)}, []int64{30}},
		"exponential past end":   {Destination{RetryMaxAttempts: ptrTo[int64](6), RetryIntervals: new("[5,10]")}, []int64{5, 10, 10, 10, 10}},
		"linear":                 {Destination{RetryMaxAttempts: ptrTo[int64](4), RetryBackoffType: new("linear"), RetryIntervals: new("[60,1]")}, []int64{60, 120, 180}},
		"fixed":                  {Destination{RetryMaxAttempts: ptrTo[int64](3), RetryBackoffType: new("fixed"), RetryIntervals: new("[7,8,9]")}, []int64{7, 7}},
		"single attempt":         {Destination{RetryMaxAttempts: ptrTo[int64](1)}, []int64{}},
		"ten attempts defaults":  {Destination{RetryMaxAttempts: ptrTo[int64](10)}, []int64{30, 300, 1800, 7200, 86400, 86400, 86400, 86400, 86400}},
		"default type, own list": {Destination{RetryIntervals: new("[1]")}, []int64{1, 1, 1, 1}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, retryPolicyFor(&tc.row).schedule()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestCursorRoundTrip(t *testing.T) {
	for _, seq := range []int64{1, 42, 1 << 40} {
		got, ok := decodeCursor(encodeCursor(seq))
		if !ok || got != seq {
			t.Errorf("cursor of %d decodes to %d, %v", seq, got, ok)
		}
	}
	for _, bad := range []string{"", "czE6", "czE6MA", "czE6LTE", "eDox", "!!", "czE6MXg"} {
		if seq, ok := decodeCursor(bad); ok {
			t.Errorf("cursor %q accepted as %d", bad, seq)
		}
	}
}

func TestCeilSeconds(t *testing.T) {
	tests := map[float64]int{0: 0, -1: 0, 0.0000001: 0, 0.001: 1, 1: 1, 1.0000000001: 1, 1.5: 2, 59.2: 60}
	for in, want := range tests {
		if got := ceilSeconds(in); got != want {
			t.Errorf("ceilSeconds(%v) = %d, want %d", in, got, want)
		}
	}
}

func TestMatchRoute(t *testing.T) {
	tests := map[string]struct {
		method, path string
		route, id    string
		allow        []string
	}{
		"list":              {"GET", "/destinations", RouteListDestinations, "", nil},
		"create":            {"POST", "/destinations", RouteCreateDestination, "", nil},
		"get":               {"GET", "/destinations/abc", RouteGetDestination, "abc", nil},
		"encoded id":        {"GET", "/destinations/a%2Fb", RouteGetDestination, "a/b", nil},
		"bad escape":        {"GET", "/destinations/a%zz", RouteUnmatched, "", nil},
		"patch":             {"PATCH", "/destinations/abc", RouteUpdateDestination, "abc", nil},
		"delete":            {"DELETE", "/destinations/abc", RouteDeleteDestination, "abc", nil},
		"circuit":           {"GET", "/destinations/abc/circuit", RouteGetCircuit, "abc", nil},
		"reset":             {"POST", "/destinations/abc/circuit/reset", RouteResetCircuit, "abc", nil},
		"put on list":       {"PUT", "/destinations", RouteUnmatched, "", []string{"GET", "POST"}},
		"post on one":       {"POST", "/destinations/abc", RouteUnmatched, "", []string{"DELETE", "GET", "PATCH"}},
		"empty id":          {"GET", "/destinations/", RouteUnmatched, "", nil},
		"unknown resource":  {"GET", "/widgets", RouteUnmatched, "", nil},
		"list sources":      {"GET", "/sources", RouteListSources, "", nil},
		"create source":     {"POST", "/sources", RouteCreateSource, "", nil},
		"get source":        {"GET", "/sources/abc", RouteGetSource, "abc", nil},
		"patch source":      {"PATCH", "/sources/abc", RouteUpdateSource, "abc", nil},
		"delete source":     {"DELETE", "/sources/abc", RouteDeleteSource, "abc", nil},
		"put on source":     {"PUT", "/sources/abc", RouteUnmatched, "", []string{"DELETE", "GET", "PATCH"}},
		"source too deep":   {"GET", "/sources/abc/events", RouteUnmatched, "", nil},
		"empty source id":   {"GET", "/sources/", RouteUnmatched, "", nil},
		"ingest GET":        {"GET", "/ingest/abc", RouteIngest, "abc", nil},
		"ingest POST":       {"POST", "/ingest/abc", RouteIngest, "abc", nil},
		"ingest PUT":        {"PUT", "/ingest/abc", RouteIngest, "abc", nil},
		"ingest PATCH":      {"PATCH", "/ingest/abc", RouteIngest, "abc", nil},
		"ingest DELETE":     {"DELETE", "/ingest/abc", RouteIngest, "abc", nil},
		"ingest HEAD":       {"HEAD", "/ingest/abc", RouteUnmatched, "", []string{"DELETE", "GET", "PATCH", "POST", "PUT"}},
		"ingest without id": {"POST", "/ingest", RouteUnmatched, "", nil},
		"ingest empty id":   {"POST", "/ingest/", RouteUnmatched, "", nil},
		"ingest too deep":   {"POST", "/ingest/abc/x", RouteUnmatched, "", nil},
		"list connections":  {"GET", "/connections", RouteListConnections, "", nil},
		"create connection": {"POST", "/connections", RouteCreateConnection, "", nil},
		"get connection":    {"GET", "/connections/abc", RouteGetConnection, "abc", nil},
		"patch connection":  {"PATCH", "/connections/abc", RouteUpdateConnection, "abc", nil},
		"delete connection": {"DELETE", "/connections/abc", RouteDeleteConnection, "abc", nil},
		"put on connection": {"PUT", "/connections", RouteUnmatched, "", []string{"GET", "POST"}},
		"connection deeper": {"GET", "/connections/abc/deliveries", RouteUnmatched, "", nil},
		"too deep":          {"GET", "/destinations/abc/circuit/reset/now", RouteUnmatched, "", nil},
		"root":              {"GET", "", RouteUnmatched, "", nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			route, id, allow := matchRoute(tc.method, tc.path)
			if diff := cmp.Diff([]any{tc.route, tc.id, tc.allow}, []any{route, id, allow}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func ptrTo[T any](v T) *T { return new(v) }

// The depth guard rewrites the functions of an expression through its text; an expression whose text does not
// come back the same (jparse writes some string escapes in Go's syntax) runs as written.
func TestTransformBodyGuard(t *testing.T) {
	tests := map[string]struct {
		expression, want, wantErr string
	}{
		"no functions":            {`{"a": n}`, `{"a":1}`, ""},
		"functions":               {`{"a": $map([n, 2], function($v){$v * 10})}`, `{"a":[10,20]}`, ""},
		"typed function":          {`{"a": (function($v)<n:n>{$v + 1})(n)}`, `{"a":2}`, ""},
		"text that cannot return": {`{"s": "\u0001", "a": $map([n], function($v){$v})}`, `{"a":[1],"s":"\u0001"}`, ""},
		"depth within the limit":  {`($f := function($n){$n = 0 ? 0 : 1 + $f($n - 1)}; {"d": $f(999)})`, `{"d":999}`, ""},
		"depth over the limit":    {`($f := function($n){$n = 0 ? 0 : 1 + $f($n - 1)}; {"d": $f(1000)})`, "", "functions nested deeper than 1000 calls"},
		"deep but sequential":     {`{"n": $count($map([1..5000], function($v){$v}))}`, `{"n":5000}`, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := transformBody(tc.expression, []byte(`{"n":1}`))
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if diff := cmp.Diff([]string{tc.want, tc.wantErr}, []string{string(got), gotErr}); diff != "" {
				t.Errorf("body, error (-want +got):\n%s", diff)
			}
		})
	}
}
