// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hookstream/hookstream-operator/internal/emulator"
)

// serve runs the emulator behind a real loopback listener, for faults that act on the connection.
func serve(t *testing.T, env *testEnv) *httptest.Server {
	t.Helper()
	server := httptest.NewServer(env.server)
	t.Cleanup(server.Close)
	return server
}

func TestFaultOutageAndErrorRate(t *testing.T) {
	tests := map[string]struct {
		faults     emulator.Faults
		method     string
		path       string
		key        string
		wantStatus int
		wantError  string
		retryAfter string
	}{
		"outage":                      {emulator.Faults{Outage: true}, http.MethodGet, "/v1/destinations", keyA, 503, "Service unavailable", ""},
		"outage before auth":          {emulator.Faults{Outage: true}, http.MethodGet, "/v1/destinations", "", 503, "Service unavailable", ""},
		"error rate 1, default 500":   {emulator.Faults{ErrorRate: 1}, http.MethodGet, "/v1/destinations", keyA, 500, "Internal server error", ""},
		"error rate 1, 429":           {emulator.Faults{ErrorRate: 1, ErrorStatus: 429}, http.MethodGet, "/v1/destinations", keyA, 429, "Rate limit exceeded", "1"},
		"error rate 1 on its route":   {emulator.Faults{ErrorRate: 1, ErrorStatus: 503, Routes: []string{emulator.RouteCreateDestination}}, http.MethodPost, "/v1/destinations", keyA, 503, "Service unavailable", ""},
		"error rate 1 on other route": {emulator.Faults{ErrorRate: 1, ErrorStatus: 503, Routes: []string{emulator.RouteCreateDestination}}, http.MethodGet, "/v1/destinations", keyA, 200, "", ""},
		"error rate 0":                {emulator.Faults{ErrorRate: 0, ErrorStatus: 503}, http.MethodGet, "/v1/destinations", keyA, 200, "", ""},
		"admin API is not faulted":    {emulator.Faults{Outage: true}, http.MethodGet, "/_emulator/stats", "", 200, "", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			env := newEnv(t, emulator.Options{Admin: true})
			env.server.SetFaults(tc.faults)
			res := env.do(tc.method, tc.path, tc.key, withFields(nil))
			checkAnswer(t, "", res, tc.wantStatus, tc.wantError)
			if got := res.header.Get("Retry-After"); got != tc.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tc.retryAfter)
			}
			if strings.HasPrefix(tc.path, "/v1") && res.header.Get("RateLimit-Limit") == "" {
				t.Error("a faulted answer lacks the RateLimit headers")
			}
			if strings.HasPrefix(tc.path, "/v1") {
				if got := env.server.Stats().CountStatus(emulator.RouteListDestinations, tc.wantStatus) + env.server.Stats().CountStatus(emulator.RouteCreateDestination, tc.wantStatus); got != 1 {
					t.Errorf("stats counted %d requests with status %d, want 1", got, tc.wantStatus)
				}
			}

			env.server.ClearFaults()
			if res := env.do(http.MethodGet, "/v1/destinations", keyA, ""); res.status != http.StatusOK {
				t.Errorf("after ClearFaults: status %d", res.status)
			}
		})
	}
}

func TestFaultedCreateChangesNothing(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	env.server.SetFaults(emulator.Faults{ErrorRate: 1, ErrorStatus: 500, Routes: []string{emulator.RouteCreateDestination}})
	if res := env.do(http.MethodPost, "/v1/destinations", keyA, withFields(nil)); res.status != http.StatusInternalServerError {
		t.Fatalf("status %d", res.status)
	}
	env.server.ClearFaults()
	if got := len(env.list(keyA, "").Rows); got != 0 {
		t.Errorf("%d rows after a faulted create, want 0", got)
	}
}

func TestFaultLatency(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	server := serve(t, env)

	env.server.SetFaults(emulator.Faults{Latency: 150 * time.Millisecond})
	started := time.Now()
	res := get(t, context.Background(), server.URL+"/v1/destinations")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	if elapsed := time.Since(started); elapsed < 150*time.Millisecond {
		t.Errorf("answered after %v, want at least the 150 ms latency", elapsed)
	}

	// A client that gives up is released at once, not after the injected latency.
	env.server.SetFaults(emulator.Faults{Latency: 5 * time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	started = time.Now()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, server.URL+"/v1/destinations", nil)
	req.Header.Set("X-API-Key", keyA)
	if _, err := http.DefaultClient.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v, want the client's deadline", err)
	}
	if elapsed := time.Since(started); elapsed > 2*time.Second {
		t.Errorf("cancelled request took %v", elapsed)
	}
	env.server.ClearFaults()
	waitFor(t, func() bool { return env.server.Stats().CountStatus(emulator.RouteListDestinations, 0) == 1 })
}

// TestFaultResponseDelay: the change is made, then the answer is held; a client that gives up meanwhile never
// learns the id of what it created.
func TestFaultResponseDelay(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	server := serve(t, env)
	env.server.SetFaults(emulator.Faults{ResponseDelay: time.Second, Routes: []string{emulator.RouteCreateDestination}})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, server.URL+"/v1/destinations",
		strings.NewReader(`{"name":"n","slug":"held","url":"https://example.com/"}`))
	req.Header.Set("X-API-Key", keyA)
	req.Header.Set("Content-Type", "application/json")
	if _, err := http.DefaultClient.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want the client's deadline", err)
	}
	env.server.ClearFaults()
	rows := env.list(keyA, "").Rows
	if len(rows) != 1 || rows[0].Slug != "held" {
		t.Errorf("rows after a create whose answer was held: %+v, want the created one", rows)
	}
	// Other routes are not delayed.
	env.server.SetFaults(emulator.Faults{ResponseDelay: 5 * time.Minute, Routes: []string{emulator.RouteCreateDestination}})
	started := time.Now()
	if res := get(t, context.Background(), server.URL+"/v1/destinations"); res.StatusCode != http.StatusOK {
		t.Errorf("list status %d", res.StatusCode)
	}
	if elapsed := time.Since(started); elapsed > 2*time.Second {
		t.Errorf("a list was held %v by a fault on creates", elapsed)
	}
}

// TestFaultHandlingDelay: a request is held before it is handled, and handled even though its client gave up
// meanwhile; Stats.Held shows it while it is held; changing the faults ends the hold; other routes are not held.
func TestFaultHandlingDelay(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	server := serve(t, env)
	env.server.SetFaults(emulator.Faults{HandlingDelay: 5 * time.Minute, Routes: []string{emulator.RouteCreateDestination}})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, server.URL+"/v1/destinations",
		strings.NewReader(`{"name":"n","slug":"held","url":"https://example.com/"}`))
	req.Header.Set("X-API-Key", keyA)
	req.Header.Set("Content-Type", "application/json")
	done := make(chan error, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			_ = res.Body.Close()
		}
		done <- err
	}()
	waitFor(t, func() bool { return env.server.Stats().Held[emulator.RouteCreateDestination] == 1 })
	if rows := env.list(keyA, "").Rows; len(rows) != 0 {
		t.Fatalf("a held create was handled before its hold ended: %+v", rows)
	}
	// Other routes are not held.
	started := time.Now()
	if res := get(t, context.Background(), server.URL+"/v1/destinations"); res.StatusCode != http.StatusOK {
		t.Errorf("list status %d", res.StatusCode)
	}
	if elapsed := time.Since(started); elapsed > 2*time.Second {
		t.Errorf("a list was held %v by a fault on creates", elapsed)
	}
	// The client gives up; the request is still handled once the faults change.
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want the client's cancellation", err)
	}
	env.server.ClearFaults()
	waitFor(t, func() bool {
		return env.server.Stats().CountStatus(emulator.RouteCreateDestination, http.StatusCreated) == 1
	})
	if held := env.server.Stats().Held; len(held) != 0 {
		t.Errorf("held after the hold ended: %v", held)
	}
	if rows := env.list(keyA, "").Rows; len(rows) != 1 || rows[0].Slug != "held" {
		t.Errorf("rows after a held create whose client gave up: %+v, want the created one", rows)
	}

	// A hold also ends when its time is up.
	env.server.SetFaults(emulator.Faults{HandlingDelay: 300 * time.Millisecond, Routes: []string{emulator.RouteCreateDestination}})
	started = time.Now()
	res := env.do(http.MethodPost, "/v1/destinations", keyA, `{"name":"n","slug":"timed","url":"https://example.com/"}`)
	if res.status != http.StatusCreated {
		t.Fatalf("status %d: %s", res.status, res.body)
	}
	if elapsed := time.Since(started); elapsed < 300*time.Millisecond {
		t.Errorf("answered after %v, want the 300ms hold first", elapsed)
	}
}

func TestFaultDropConnection(t *testing.T) {
	tests := map[string]struct {
		faults   emulator.Faults
		method   string
		wantDrop bool
	}{
		"drop all":             {emulator.Faults{DropConnections: true}, http.MethodGet, true},
		"drop rate 1":          {emulator.Faults{DropRate: 1}, http.MethodGet, true},
		"drop on its route":    {emulator.Faults{DropConnections: true, Routes: []string{emulator.RouteListDestinations}}, http.MethodGet, true},
		"drop on other route":  {emulator.Faults{DropConnections: true, Routes: []string{emulator.RouteDeleteDestination}}, http.MethodGet, false},
		"drop before handling": {emulator.Faults{DropConnections: true}, http.MethodPost, true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			env := newEnv(t, emulator.Options{})
			server := serve(t, env)
			env.server.SetFaults(tc.faults)
			// No keep-alive: a dropped fresh connection is not retried by the transport.
			client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			req, _ := http.NewRequest(tc.method, server.URL+"/v1/destinations", strings.NewReader(withFields(nil)))
			req.Header.Set("X-API-Key", keyA)
			res, err := client.Do(req)
			if tc.wantDrop {
				if err == nil {
					_ = res.Body.Close()
					t.Fatalf("got status %d, want the connection dropped", res.StatusCode)
				}
				route := emulator.RouteListDestinations
				if tc.method == http.MethodPost {
					route = emulator.RouteCreateDestination
				}
				waitFor(t, func() bool { return env.server.Stats().CountStatus(route, 0) == 1 })
				env.server.ClearFaults()
				if got := len(env.list(keyA, "").Rows); got != 0 {
					t.Errorf("a dropped create was handled: %d rows", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("request failed: %v", err)
			}
			_ = res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Errorf("status %d", res.StatusCode)
			}
		})
	}
}

func TestAdminFaults(t *testing.T) {
	env := newEnv(t, emulator.Options{Admin: true})
	tests := map[string]struct {
		body       string
		wantStatus int
		want       string
	}{
		"full": {
			`{"latency_ms":250,"error_rate":0.5,"error_status":503,"routes":["GET /destinations"],"outage":false,"drop_connections":false,"drop_rate":0.1}`,
			200, `{"latency_ms":250,"handling_delay_ms":0,"response_delay_ms":0,"error_rate":0.5,"error_status":503,"routes":["GET /destinations"],"outage":false,"drop_connections":false,"drop_rate":0.1}` + "\n",
		},
		"partial":                 {`{"outage":true}`, 200, `{"latency_ms":0,"handling_delay_ms":0,"response_delay_ms":0,"error_rate":0,"error_status":0,"routes":[],"outage":true,"drop_connections":false,"drop_rate":0}` + "\n"},
		"unknown field":           {`{"latency":5}`, 400, ""},
		"error rate 2":            {`{"error_rate":2}`, 400, ""},
		"status 200":              {`{"error_rate":1,"error_status":200}`, 400, ""},
		"unknown route":           {`{"routes":["GET /widgets"]}`, 400, ""},
		"source route":            {`{"routes":["GET /sources","ANY /ingest/{source_id}"]}`, 200, `{"latency_ms":0,"handling_delay_ms":0,"response_delay_ms":0,"error_rate":0,"error_status":0,"routes":["GET /sources","ANY /ingest/{source_id}"],"outage":false,"drop_connections":false,"drop_rate":0}` + "\n"},
		"negative":                {`{"latency_ms":-1}`, 400, ""},
		"handling delay":          {`{"handling_delay_ms":1500,"routes":["POST /sources"]}`, 200, `{"latency_ms":0,"handling_delay_ms":1500,"response_delay_ms":0,"error_rate":0,"error_status":0,"routes":["POST /sources"],"outage":false,"drop_connections":false,"drop_rate":0}` + "\n"},
		"handling delay negative": {`{"handling_delay_ms":-1}`, 400, ""},
		"malformed":               {`{"outage":`, 400, ""},
		"drop rate 1.5":           {`{"drop_rate":1.5}`, 400, ""},
		"latency as text":         {`{"latency_ms":"5s"}`, 400, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			env.server.ClearFaults()
			res := env.do(http.MethodPut, "/_emulator/faults", "", tc.body)
			if res.status != tc.wantStatus {
				t.Fatalf("status %d, want %d; body %s", res.status, tc.wantStatus, res.body)
			}
			if tc.wantStatus != http.StatusOK {
				errorOf(t, res)
				if diff := cmp.Diff(emulator.Faults{}, env.server.Faults()); diff != "" {
					t.Errorf("a rejected PUT changed the faults (-want +got):\n%s", diff)
				}
				return
			}
			if diff := cmp.Diff(tc.want, string(res.body)); diff != "" {
				t.Errorf("PUT answer (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, string(env.do(http.MethodGet, "/_emulator/faults", "", "").body)); diff != "" {
				t.Errorf("GET answer (-want +got):\n%s", diff)
			}
		})
	}
	env.do(http.MethodPut, "/_emulator/faults", "", `{"outage":true}`)
	if res := env.do(http.MethodDelete, "/_emulator/faults", "", ""); res.status != http.StatusOK {
		t.Fatalf("DELETE faults: %d", res.status)
	}
	if res := env.do(http.MethodGet, "/v1/destinations", keyA, ""); res.status != http.StatusOK {
		t.Errorf("after DELETE /_emulator/faults: status %d", res.status)
	}
}

func TestStats(t *testing.T) {
	env := newEnv(t, emulator.Options{Admin: true})
	created := env.create(keyA, withFields(nil))
	env.do(http.MethodPost, "/v1/destinations", keyA, withFields(nil)) // 409
	env.do(http.MethodGet, "/v1/destinations", keyA, "")
	env.do(http.MethodGet, "/v1/destinations", "", "") // 401
	env.do(http.MethodGet, "/v1/destinations/"+created.ID, keyA, "")
	env.do(http.MethodPatch, "/v1/destinations/"+created.ID, keyA, `{"name":"x"}`)
	env.do(http.MethodGet, "/v1/destinations/"+created.ID+"/circuit", keyA, "")
	env.do(http.MethodPost, "/v1/destinations/"+created.ID+"/circuit/reset", keyA, "")
	env.do(http.MethodDelete, "/v1/destinations/"+created.ID, keyA, "")
	env.do(http.MethodDelete, "/v1/destinations/"+created.ID, keyA, "") // 404
	env.do(http.MethodGet, "/v1/nothing", keyA, "")
	env.do(http.MethodGet, "/_emulator/faults", "", "")
	env.server.SetFaults(emulator.Faults{Outage: true})
	env.do(http.MethodGet, "/v1/destinations", keyA, "")
	env.server.ClearFaults()

	want := map[string]map[int]int64{
		emulator.RouteCreateDestination: {201: 1, 409: 1},
		emulator.RouteListDestinations:  {200: 1, 401: 1, 503: 1},
		emulator.RouteGetDestination:    {200: 1},
		emulator.RouteUpdateDestination: {200: 1},
		emulator.RouteGetCircuit:        {200: 1},
		emulator.RouteResetCircuit:      {200: 1},
		emulator.RouteDeleteDestination: {200: 1, 404: 1},
		emulator.RouteUnmatched:         {404: 1},
	}
	stats := env.server.Stats()
	if diff := cmp.Diff(want, stats.Routes); diff != "" {
		t.Errorf("routes (-want +got):\n%s", diff)
	}
	counts := map[string]int64{"total": stats.Total(), "writes": stats.Writes(), "creates": stats.Count(emulator.RouteCreateDestination)}
	if diff := cmp.Diff(map[string]int64{"total": 12, "writes": 6, "creates": 2}, counts); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}

	res := env.do(http.MethodGet, "/_emulator/stats", "", "")
	var adminStats struct {
		Routes map[string]map[int]int64 `json:"routes"`
		Total  int64                    `json:"total"`
		Writes int64                    `json:"writes"`
	}
	decodeStrict(t, res.body, &adminStats)
	if diff := cmp.Diff(want, adminStats.Routes); diff != "" || adminStats.Total != 12 || adminStats.Writes != 6 {
		t.Errorf("GET /_emulator/stats: total %d writes %d, routes (-want +got):\n%s", adminStats.Total, adminStats.Writes, diff)
	}

	// The snapshot is a copy.
	stats.Routes[emulator.RouteGetDestination][200] = 99
	if env.server.Stats().CountStatus(emulator.RouteGetDestination, 200) != 1 {
		t.Error("changing a snapshot changed the server's counts")
	}

	env.do(http.MethodDelete, "/_emulator/stats", "", "")
	if got := env.server.Stats().Total(); got != 0 {
		t.Errorf("after DELETE /_emulator/stats: total %d", got)
	}
	env.do(http.MethodGet, "/v1/destinations", keyA, "")
	env.server.ResetStats()
	if got := env.server.Stats().Total(); got != 0 {
		t.Errorf("after ResetStats: total %d", got)
	}
}

func TestAdminDisabled(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	for _, path := range []string{"/_emulator/stats", "/_emulator/faults", "/_emulator/projects", "/_emulator/destinations/x", "/_emulator/sources/x", "/_emulator/sources/x/events"} {
		if res := env.do(http.MethodGet, path, "", ""); res.status != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", path, res.status)
		}
	}
}

func TestAdminProjectsHideKeys(t *testing.T) {
	env := newEnv(t, emulator.Options{Admin: true})
	res := env.do(http.MethodGet, "/_emulator/projects", "", "")
	if res.status != http.StatusOK {
		t.Fatalf("status %d", res.status)
	}
	if strings.Contains(string(res.body), keyA) || strings.Contains(string(res.body), keyB) {
		t.Errorf("the projects list shows a whole key: %s", res.body)
	}
	a, _ := env.server.Project(keyA)
	if !strings.Contains(string(res.body), a.EnvID) || !strings.Contains(string(res.body), `"key_prefix":"hs_test_…"`) {
		t.Errorf("the projects list lacks key A's project: %s", res.body)
	}
}

func get(t *testing.T, ctx context.Context, url string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-API-Key", keyA)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	return res
}

// waitFor polls cond: the server finishes counting a request after the client has already seen its end.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
