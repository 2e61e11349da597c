// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package harness

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hookstream/hookstream-operator/internal/emulator"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
)

// Emulator is the hookstream emulator binary, with its admin API.
type Emulator struct {
	*Process
	URL    string // base URL, without /v1
	Port   int
	APIKey string // the key of the emulator's project
}

// adminClient calls the emulator's admin API, whose requests the emulator does not count in its stats.
var adminClient = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 4}}

// StartEmulatorWithKey runs the emulator with the given API key and the admin API on a port of its own choosing, and
// waits until it answers.
func (e *Env) StartEmulatorWithKey(apiKey string, extraArgs ...string) (*Emulator, error) {
	// The emulator binds port 0 itself and prints the address it got (emulator.ListeningLine): a port picked here
	// in advance could be taken by another process before the emulator binds it.
	args := append([]string{"--addr", "127.0.0.1:0", "--api-key", apiKey, "--admin"}, extraArgs...)
	p, err := e.Start("emulator", e.EmulatorBin, nil, args...)
	if err != nil {
		return nil, err
	}
	emu := &Emulator{Process: p, APIKey: apiKey}
	if err := WaitFor(10*time.Second, "emulator ready", func() error {
		if p.Exited() {
			return errors.New("the emulator exited")
		}
		if emu.URL == "" {
			base, ok := emulator.ListeningURL(p.Logs())
			if !ok {
				return errors.New("no listening line in its output yet")
			}
			u, err := url.Parse(base)
			if err != nil {
				return fmt.Errorf("the emulator's listening line: %w", err)
			}
			if emu.Port, err = strconv.Atoi(u.Port()); err != nil {
				return fmt.Errorf("the emulator's listening line names no port: %q", base)
			}
			emu.URL = base
		}
		resp, err := http.Get(emu.URL + "/healthz")
		if err != nil {
			return err
		}
		_ = resp.Body.Close()
		return nil
	}); err != nil {
		p.Stop()
		return nil, fmt.Errorf("%w\n%s", err, p.Tail(20))
	}
	return emu, nil
}

// Admin calls the emulator's admin API, decoding the answer into out when it is not nil.
func (emu *Emulator) Admin(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, emu.URL+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := adminClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: decoding %s: %v", method, path, data, err)
		}
	}
	return nil
}

// Stats returns the emulator's request counts.
func (emu *Emulator) Stats() (emulator.Stats, error) {
	var st emulator.Stats
	err := emu.Admin(context.Background(), http.MethodGet, "/_emulator/stats", nil, &st)
	return st, err
}

// SetFaults replaces the emulator's injected faults.
func (emu *Emulator) SetFaults(f emulator.Faults) error {
	return emu.Admin(context.Background(), http.MethodPut, "/_emulator/faults", f, nil)
}

// ClearFaults removes the emulator's injected faults.
func (emu *Emulator) ClearFaults() error {
	return emu.Admin(context.Background(), http.MethodDelete, "/_emulator/faults", nil, nil)
}

// Client returns a hookstream client of the emulator's API key.
func (emu *Emulator) Client() (*hookstream.Client, error) {
	return hookstream.New(hookstream.Options{BaseURL: emu.URL + "/v1", APIKey: emu.APIKey})
}

// StatsSince is the requests counted between two snapshots of the emulator's stats.
func StatsSince(after, before emulator.Stats) emulator.Stats {
	out := emulator.Stats{Routes: map[string]map[int]int64{}}
	for route, codes := range after.Routes {
		for code, n := range codes {
			if d := n - before.Routes[route][code]; d != 0 {
				if out.Routes[route] == nil {
					out.Routes[route] = map[int]int64{}
				}
				out.Routes[route][code] = d
			}
		}
	}
	return out
}

// Request is one /v1 request as the emulator logged it.
type Request struct {
	Start, End time.Time
	Method     string
	Path       string
	Status     int
	// EnvID is the project of the API key the request carried (emulator.ProjectForKey); empty when it carried
	// none the emulator knows.
	EnvID string
}

// Requests parses the emulator's request log: one line per request, written when it ends, with its duration, so
// the time it arrived is known to the millisecond. Admin requests are left out. The requests are sorted by arrival.
func (emu *Emulator) Requests() ([]Request, error) {
	f, err := os.Open(emu.LogPath)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	var out []Request
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, " msg=request ") || !strings.Contains(line, " path=/v1") {
			continue
		}
		fields := map[string]string{}
		for kv := range strings.FieldsSeq(line) {
			if k, v, ok := strings.Cut(kv, "="); ok {
				fields[k] = v
			}
		}
		end, err := time.Parse(time.RFC3339Nano, fields["time"])
		if err != nil {
			return nil, fmt.Errorf("emulator log line %q: %v", line, err)
		}
		d, err := time.ParseDuration(fields["duration"])
		if err != nil {
			return nil, fmt.Errorf("emulator log line %q: %v", line, err)
		}
		status, _ := strconv.Atoi(fields["status"])
		out = append(out, Request{Start: end.Add(-d), End: end, Method: fields["method"], Path: fields["path"],
			Status: status, EnvID: fields["env_id"]})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b Request) int { return a.Start.Compare(b.Start) })
	return out, nil
}

// RemoteBySlug reads every remote destination of the client's project, by slug.
func RemoteBySlug(ctx context.Context, hs *hookstream.Client) (map[string][]*hookstream.Destination, error) {
	return GroupBySlug(hs.AllDestinations(ctx), "destinations", func(d *hookstream.Destination) string { return d.Slug })
}

// RemoteSourcesBySlug reads every remote source of the client's project, by slug.
func RemoteSourcesBySlug(ctx context.Context, hs *hookstream.Client) (map[string][]*hookstream.Source, error) {
	return GroupBySlug(hs.AllSources(ctx), "sources", func(s *hookstream.Source) string { return s.Slug })
}

// RemoteConnectionsBy reads every remote connection of the client's project, grouped by key: a connection has no
// slug, so the caller says what tells which object a connection belongs to.
func RemoteConnectionsBy(ctx context.Context, hs *hookstream.Client,
	key func(*hookstream.Connection) string) (map[string][]*hookstream.Connection, error) {
	return GroupBySlug(hs.AllConnections(ctx, hookstream.ConnectionListOptions{}), "connections", key)
}

// GroupBySlug groups the rows of a listing by their slug, keeping the listing's order within a slug: more than
// one row for a slug is a duplicate. It stops at the listing's first error; what names the rows in it.
func GroupBySlug[R any](rows iter.Seq2[R, error], what string, slug func(R) string) (map[string][]R, error) {
	out := map[string][]R{}
	for row, err := range rows {
		if err != nil {
			return nil, fmt.Errorf("listing hookstream's %s: %w", what, err)
		}
		out[slug(row)] = append(out[slug(row)], row)
	}
	return out, nil
}

// CountRows counts the rows of a listing, such as a hookstream client's AllSources; the first error ends it.
func CountRows[T any](rows iter.Seq2[T, error]) (int, error) {
	n := 0
	for _, err := range rows {
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
