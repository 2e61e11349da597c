// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"
)

// Route names: how Stats counts API requests and how Faults.Routes selects them.
const (
	RouteListDestinations  = "GET /destinations"
	RouteCreateDestination = "POST /destinations"
	RouteGetDestination    = "GET /destinations/{id}"
	RouteUpdateDestination = "PATCH /destinations/{id}"
	RouteDeleteDestination = "DELETE /destinations/{id}"
	RouteGetCircuit        = "GET /destinations/{id}/circuit"
	RouteResetCircuit      = "POST /destinations/{id}/circuit/reset"
	RouteListSources       = "GET /sources"
	RouteCreateSource      = "POST /sources"
	RouteGetSource         = "GET /sources/{id}"
	RouteUpdateSource      = "PATCH /sources/{id}"
	RouteDeleteSource      = "DELETE /sources/{id}"
	RouteListConnections   = "GET /connections"
	RouteCreateConnection  = "POST /connections"
	RouteGetConnection     = "GET /connections/{id}"
	RouteUpdateConnection  = "PATCH /connections/{id}"
	RouteDeleteConnection  = "DELETE /connections/{id}"
	// RouteIngest is the public ingest URL, whatever the method (GET, POST, PUT, PATCH, DELETE).
	RouteIngest = "ANY /ingest/{source_id}"
	// RouteUnmatched counts /v1 requests that match no route (404) or no method of their path (405).
	RouteUnmatched = "unmatched"
)

// Routes returns the names of the API routes, in the order of the contract.
func Routes() []string {
	return []string{
		RouteListDestinations, RouteCreateDestination, RouteGetDestination, RouteUpdateDestination,
		RouteDeleteDestination, RouteGetCircuit, RouteResetCircuit,
		RouteListSources, RouteCreateSource, RouteGetSource, RouteUpdateSource, RouteDeleteSource,
		RouteListConnections, RouteCreateConnection, RouteGetConnection, RouteUpdateConnection,
		RouteDeleteConnection,
		RouteIngest,
	}
}

var writeRoutes = []string{
	RouteCreateDestination, RouteUpdateDestination, RouteDeleteDestination, RouteResetCircuit,
	RouteCreateSource, RouteUpdateSource, RouteDeleteSource,
	RouteCreateConnection, RouteUpdateConnection, RouteDeleteConnection,
}

// Stats counts /v1 API requests by route and HTTP status code. Admin (/_emulator/) requests are never
// counted. A connection dropped by a fault counts under code 0. In JSON the codes are object keys:
// {"routes":{"GET /destinations":{"200":3,"429":1}}}.
type Stats struct {
	Routes map[string]map[int]int64 `json:"routes"`
	// Held counts, by route, the requests the HandlingDelay fault holds now (not yet handled); empty when none is.
	Held map[string]int64 `json:"held,omitempty"`
}

// Count returns the requests of one route, all status codes together.
func (s Stats) Count(route string) int64 {
	var n int64
	for _, count := range s.Routes[route] {
		n += count
	}
	return n
}

// CountStatus returns the requests of one route answered with one status code.
func (s Stats) CountStatus(route string, status int) int64 {
	return s.Routes[route][status]
}

// Total returns all counted requests, including unmatched ones.
func (s Stats) Total() int64 {
	var n int64
	for route := range s.Routes {
		n += s.Count(route)
	}
	return n
}

// Writes returns the requests that change remote configuration, whatever their outcome: POST /destinations,
// PATCH and DELETE /destinations/{id}, POST /destinations/{id}/circuit/reset, POST /sources, PATCH and
// DELETE /sources/{id}, POST /connections, and PATCH and DELETE /connections/{id}. Ingested events are
// traffic, not configuration: they are not writes.
func (s Stats) Writes() int64 {
	var n int64
	for _, route := range writeRoutes {
		n += s.Count(route)
	}
	return n
}

type statsRecorder struct {
	mu     sync.Mutex
	routes map[string]map[int]int64
	held   map[string]int64
}

// holding counts a request of route held (by +1) or released (by -1).
func (r *statsRecorder) holding(route string, by int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.held == nil {
		r.held = map[string]int64{}
	}
	r.held[route] += by
	if r.held[route] == 0 {
		delete(r.held, route)
	}
}

func (r *statsRecorder) record(route string, status int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.routes == nil {
		r.routes = map[string]map[int]int64{}
	}
	codes := r.routes[route]
	if codes == nil {
		codes = map[int]int64{}
		r.routes[route] = codes
	}
	codes[status]++
}

func (r *statsRecorder) snapshot() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	routes := make(map[string]map[int]int64, len(r.routes))
	for route, codes := range r.routes {
		routes[route] = make(map[int]int64, len(codes))
		maps.Copy(routes[route], codes)
	}
	var held map[string]int64
	if len(r.held) > 0 {
		held = maps.Clone(r.held)
	}
	return Stats{Routes: routes, Held: held}
}

func (r *statsRecorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.routes = nil
}

// Faults make the API misbehave on purpose. They apply to /v1 requests only, in this order: Latency,
// then a dropped connection, then Outage, then an injected error, then HandlingDelay, then ResponseDelay. In
// JSON, the durations are integer milliseconds ("latency_ms", "handling_delay_ms", "response_delay_ms"):
//
//	{"latency_ms":250,"error_rate":0.5,"error_status":503,"routes":["GET /destinations"],
//	 "outage":false,"drop_connections":false,"drop_rate":0}
type Faults struct {
	// Latency delays every API request before it is handled; a client that gives up meanwhile gets nothing.
	Latency time.Duration `json:"-"`
	// HandlingDelay holds every matching request before it is handled (JSON "handling_delay_ms"), for this long
	// or until the faults are set or cleared again, whichever comes first; then the request is handled, even when
	// its client gave up or died meanwhile, as a server that is slow to get to a request still carries it out.
	// Stats.Held counts the requests held now.
	HandlingDelay time.Duration `json:"-"`
	// ResponseDelay holds the answer of every matching request after it was handled (JSON "response_delay_ms"):
	// the change is made, but a client that gives up or dies meanwhile never learns its outcome.
	ResponseDelay time.Duration `json:"-"`
	// ErrorRate is the share (0..1) of matching requests answered with ErrorStatus and the error envelope.
	ErrorRate float64 `json:"error_rate"`
	// ErrorStatus is the injected status (400..599); 0 means 500. A 429 also carries Retry-After: 1.
	ErrorStatus int `json:"error_status"`
	// Routes restricts ErrorRate, DropConnections, DropRate, HandlingDelay and ResponseDelay to these routes;
	// empty means all requests.
	Routes []string `json:"routes"`
	// Outage answers every API request with 503 Service unavailable.
	Outage bool `json:"outage"`
	// DropConnections closes the connection of every matching request without an answer.
	DropConnections bool `json:"drop_connections"`
	// DropRate is the share (0..1) of matching requests whose connection is closed without an answer.
	DropRate float64 `json:"drop_rate"`
}

// faultsJSON is Faults with the latency as integer milliseconds.
type faultsJSON struct {
	LatencyMS       int64    `json:"latency_ms"`
	HandlingDelayMS int64    `json:"handling_delay_ms"`
	ResponseDelayMS int64    `json:"response_delay_ms"`
	ErrorRate       float64  `json:"error_rate"`
	ErrorStatus     int      `json:"error_status"`
	Routes          []string `json:"routes"`
	Outage          bool     `json:"outage"`
	DropConnections bool     `json:"drop_connections"`
	DropRate        float64  `json:"drop_rate"`
}

// MarshalJSON writes Latency as integer milliseconds under "latency_ms".
func (f Faults) MarshalJSON() ([]byte, error) {
	routes := f.Routes
	if routes == nil {
		routes = []string{}
	}
	return json.Marshal(faultsJSON{
		LatencyMS: f.Latency.Milliseconds(), HandlingDelayMS: f.HandlingDelay.Milliseconds(),
		ResponseDelayMS: f.ResponseDelay.Milliseconds(), ErrorRate: f.ErrorRate, ErrorStatus: f.ErrorStatus, Routes: routes,
		Outage: f.Outage, DropConnections: f.DropConnections, DropRate: f.DropRate,
	})
}

// UnmarshalJSON reads "latency_ms" as integer milliseconds and rejects unknown fields.
func (f *Faults) UnmarshalJSON(data []byte) error {
	var in faultsJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return err
	}
	*f = Faults{
		Latency:       time.Duration(in.LatencyMS) * time.Millisecond,
		HandlingDelay: time.Duration(in.HandlingDelayMS) * time.Millisecond,
		ResponseDelay: time.Duration(in.ResponseDelayMS) * time.Millisecond,
		ErrorRate:     in.ErrorRate,
		ErrorStatus:   in.ErrorStatus, Routes: in.Routes, Outage: in.Outage,
		DropConnections: in.DropConnections, DropRate: in.DropRate,
	}
	return nil
}

// maxFaultLatency keeps a typo in latency_ms from hanging a test suite.
const maxFaultLatency = 10 * time.Minute

// Validate reports the first field outside its range, naming it as the JSON does.
func (f Faults) Validate() error {
	switch {
	case f.Latency < 0 || f.Latency > maxFaultLatency:
		return fmt.Errorf("'latency_ms' must be between 0 and %d", maxFaultLatency.Milliseconds())
	case f.HandlingDelay < 0 || f.HandlingDelay > maxFaultLatency:
		return fmt.Errorf("'handling_delay_ms' must be between 0 and %d", maxFaultLatency.Milliseconds())
	case f.ResponseDelay < 0 || f.ResponseDelay > maxFaultLatency:
		return fmt.Errorf("'response_delay_ms' must be between 0 and %d", maxFaultLatency.Milliseconds())
	case f.ErrorRate < 0 || f.ErrorRate > 1:
		return fmt.Errorf("'error_rate' must be between 0 and 1")
	case f.ErrorStatus != 0 && (f.ErrorStatus < 400 || f.ErrorStatus > 599):
		return fmt.Errorf("'error_status' must be 0 or between 400 and 599")
	case f.DropRate < 0 || f.DropRate > 1:
		return fmt.Errorf("'drop_rate' must be between 0 and 1")
	}
	for i, route := range f.Routes {
		if !slices.Contains(Routes(), route) {
			return fmt.Errorf("'routes[%d]' must be one of %q", i, Routes())
		}
	}
	return nil
}

func (f Faults) matches(route string) bool {
	return len(f.Routes) == 0 || slices.Contains(f.Routes, route)
}

func (f Faults) errorStatus() int {
	if f.ErrorStatus < 400 || f.ErrorStatus > 599 {
		return 500
	}
	return f.ErrorStatus
}
