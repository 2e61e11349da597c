// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package faults

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookstream/hookstream-operator/internal/emulator"
	"github.com/hookstream/hookstream-operator/test/harness"
)

// spanCalls sums up the hookstream requests that arrived in one span of a scenario: what they were, and how much
// of the rate budget the span left unused.
type spanCalls struct {
	from, to time.Time
	// stats counts the requests by route and status, as the emulator's own counters do.
	stats emulator.Stats
	total int
	// Writes (POST, PATCH, DELETE), reads of one resource by id (GET /kind/{id} and below), and lists (GET
	// /kind: lookups by natural key and listings), each split into answered 2xx and not.
	writesOK, writesFailed int
	getsOK, getsFailed     int
	listsOK, listsFailed   int
	// idle is the time between requests beyond one interval of the rate budget (1/rate): the budget a busy
	// operator would have spent and this one did not. gaps lists the spells of at least a second without any
	// request.
	idle time.Duration
	gaps []string
	// perBin counts the requests of each bin of binWidth from the start of the span.
	perBin   []int
	binWidth time.Duration
}

// callsBetween sums up the requests that arrived in [from, to), for a rate budget of rate requests per second.
func callsBetween(reqs []harness.Request, from, to time.Time, rate float64, binWidth time.Duration) spanCalls {
	s := spanCalls{from: from, to: to, stats: emulator.Stats{Routes: map[string]map[int]int64{}}, binWidth: binWidth}
	s.perBin = make([]int, max(1, int(math.Ceil(float64(to.Sub(from))/float64(binWidth)))))
	interval := time.Duration(float64(time.Second) / rate)
	last := from
	gap := func(until time.Time) {
		d := until.Sub(last)
		s.idle += max(0, d-interval)
		if d >= time.Second {
			s.gaps = append(s.gaps, fmt.Sprintf("%s at +%s", d.Round(100*time.Millisecond), last.Sub(from).Round(100*time.Millisecond)))
		}
	}
	for _, r := range reqs {
		if r.Start.Before(from) || !r.Start.Before(to) {
			continue
		}
		s.total++
		route := routeOf(r.Method, r.Path)
		if s.stats.Routes[route] == nil {
			s.stats.Routes[route] = map[int]int64{}
		}
		s.stats.Routes[route][r.Status]++
		ok := r.Status >= 200 && r.Status < 300
		count := func(okN, failedN *int) {
			if ok {
				*okN++
			} else {
				*failedN++
			}
		}
		switch {
		case r.Method != http.MethodGet:
			count(&s.writesOK, &s.writesFailed)
		case !strings.Contains(strings.TrimPrefix(route, r.Method+" /"), "/"):
			count(&s.listsOK, &s.listsFailed)
		default:
			count(&s.getsOK, &s.getsFailed)
		}
		s.perBin[min(len(s.perBin)-1, int(r.Start.Sub(from)/binWidth))]++
		gap(r.Start)
		last = r.Start
	}
	gap(to)
	return s
}

// routeOf names the route of a logged request as the emulator's counters do: "GET /destinations/{id}".
func routeOf(method, path string) string {
	segments := strings.Split(strings.Trim(strings.TrimPrefix(path, "/v1"), "/"), "/")
	if len(segments) > 1 {
		segments[1] = "{id}"
	}
	return method + " /" + strings.Join(segments, "/")
}

// seconds is the span's length.
func (s spanCalls) seconds() float64 { return s.to.Sub(s.from).Seconds() }

// describe renders the sums in one line.
func (s spanCalls) describe(rate float64) string {
	return fmt.Sprintf("%d requests in %.1f s (%.2f/s of a budget of %g/s): writes %d (%d failed), reads by id %d "+
		"(%d failed), lists %d (%d failed)", s.total, s.seconds(), float64(s.total)/s.seconds(), rate,
		s.writesOK+s.writesFailed, s.writesFailed, s.getsOK+s.getsFailed, s.getsFailed, s.listsOK+s.listsFailed, s.listsFailed)
}

// describeIdle renders the budget left unused.
func (s spanCalls) describeIdle(rate float64) string {
	gaps := "none"
	if len(s.gaps) > 0 {
		gaps = strings.Join(s.gaps, ", ")
	}
	return fmt.Sprintf("budget unused: %.1f s beyond %s between requests (%.0f requests' worth); spells of 1 s or "+
		"more without a request: %s", s.idle.Seconds(), time.Duration(float64(time.Second)/rate), s.idle.Seconds()*rate, gaps)
}

// describeBins renders the requests per bin, "0-10s 48, 10-20s 50, ...".
func (s spanCalls) describeBins() string {
	parts := make([]string, len(s.perBin))
	for i, n := range s.perBin {
		parts[i] = fmt.Sprintf("%s-%s %d", time.Duration(i)*s.binWidth, time.Duration(i+1)*s.binWidth, n)
	}
	return strings.Join(parts, ", ")
}

// writeFloor is the shortest time in which a budget of rate requests per second with bursts of burst can make
// needed calls that succeed, when a share failRate of all requests fails at random: needed/(1−failRate) requests
// on average, the first burst of them at once.
func writeFloor(needed int, failRate, rate float64, burst int) (requests float64, d time.Duration) {
	requests = float64(needed) / (1 - failRate)
	return requests, time.Duration(max(0, requests-float64(burst)) / rate * float64(time.Second))
}

func TestCallsBetween(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ms := func(n int) time.Time { return at.Add(time.Duration(n) * time.Millisecond) }
	reqs := []harness.Request{
		{Start: ms(-100), Method: http.MethodGet, Path: "/v1/sources", Status: 200}, // before the span
		{Start: ms(0), Method: http.MethodPost, Path: "/v1/destinations", Status: 201},
		{Start: ms(200), Method: http.MethodGet, Path: "/v1/destinations/des_1", Status: 503},
		{Start: ms(400), Method: http.MethodPatch, Path: "/v1/destinations/des_1", Status: 500},
		{Start: ms(2400), Method: http.MethodGet, Path: "/v1/connections", Status: 200},
		{Start: ms(2600), Method: http.MethodDelete, Path: "/v1/sources/src_1", Status: 200},
		{Start: ms(3000), Method: http.MethodGet, Path: "/v1/destinations/des_1/circuit", Status: 200},
		{Start: ms(4000), Method: http.MethodGet, Path: "/v1/sources", Status: 200}, // after the span
	}
	s := callsBetween(reqs, at, ms(4000), 5, 2*time.Second)
	if s.total != 6 || s.writesOK != 2 || s.writesFailed != 1 || s.getsOK != 1 || s.getsFailed != 1 || s.listsOK != 1 ||
		s.listsFailed != 0 {
		t.Errorf("sums: %+v", s)
	}
	if got := s.stats.CountStatus(emulator.RouteUpdateDestination, 500); got != 1 {
		t.Errorf("PATCH /destinations/{id} 500: %d, stats %v", got, s.stats.Routes)
	}
	if got := s.stats.Count(emulator.RouteGetCircuit); got != 1 {
		t.Errorf("GET /destinations/{id}/circuit: %d, stats %v", got, s.stats.Routes)
	}
	// Gaps beyond 200 ms: 400→2400 (1.8 s), 2600→3000 (0.2 s), 3000→4000 (0.8 s).
	if want := 2800 * time.Millisecond; s.idle != want {
		t.Errorf("idle %s, want %s", s.idle, want)
	}
	if !slices.Equal(s.gaps, []string{"2s at +400ms", "1s at +3s"}) {
		t.Errorf("gaps %q", s.gaps)
	}
	if !slices.Equal(s.perBin, []int{3, 3}) {
		t.Errorf("bins %v", s.perBin)
	}
}

func TestWriteFloor(t *testing.T) {
	requests, d := writeFloor(150, 0.3, 5, 5)
	if math.Abs(requests-214.29) > 0.01 {
		t.Errorf("requests %.2f", requests)
	}
	if d.Round(100*time.Millisecond) != 41900*time.Millisecond {
		t.Errorf("floor %s", d)
	}
	if _, d := writeFloor(3, 0, 5, 5); d != 0 {
		t.Errorf("a burst covers 3 calls, floor %s", d)
	}
}
