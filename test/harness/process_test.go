// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package harness

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// serveEnv makes the test binary, run again by TestServingURLFindsTheServerOfAPath, serve as serveOnPortZero.
const serveEnv = "HARNESS_TEST_SERVE_ON_PORT_ZERO"

func TestMain(m *testing.M) {
	if os.Getenv(serveEnv) != "" {
		serveOnPortZero()
	}
	os.Exit(m.Run())
}

// serveOnPortZero stands for a binary that binds its servers to port 0 and tells nobody which ports it got. It
// serves /metrics on one loopback port and /debug/pprof/ on another (and, where the host has IPv6, /other on
// [::1]), prints their addresses for the test to compare, and serves until it is killed.
func serveOnPortZero() {
	serve := func(network, addr, path, body string) {
		l, err := net.Listen(network, addr)
		if err != nil {
			return // no IPv6 here
		}
		mux := http.NewServeMux()
		mux.HandleFunc(path, func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, body) })
		go func() { _ = http.Serve(l, mux) }()
		fmt.Printf("listening %s %s\n", body, l.Addr())
	}
	serve("tcp4", "127.0.0.1:0", "/metrics", "metrics")
	serve("tcp4", "127.0.0.1:0", "/debug/pprof/", "pprof")
	serve("tcp6", "[::1]:0", "/other", "ipv6")
	fmt.Println("ready")
	select {}
}

// TestServingURLFindsTheServerOfAPath runs a process that binds its servers to port 0: Listening must return the
// addresses the process says it bound, and ServingURL must tell them apart by the path they serve.
func TestServingURLFindsTheServerOfAPath(t *testing.T) {
	p, err := StartProcess(t.TempDir(), "serve", os.Args[0], []string{serveEnv + "=1"}, "-test.run=^$")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	if err := WaitFor(30*time.Second, "the child's servers", func() error {
		if !strings.Contains(p.Logs(), "ready\n") {
			return fmt.Errorf("output so far: %q", p.Logs())
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	bound := map[string]netip.AddrPort{}
	sc := bufio.NewScanner(strings.NewReader(p.Logs()))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "listening" {
			bound[f[1]] = netip.MustParseAddrPort(f[2])
		}
	}

	listening, err := p.Listening()
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Collect(maps.Values(bound))
	cmp := func(a, b netip.AddrPort) int { return a.Compare(b) }
	slices.SortFunc(listening, cmp)
	slices.SortFunc(want, cmp)
	if !slices.Equal(listening, want) {
		t.Errorf("Listening() = %v, want the addresses the process bound, %v", listening, want)
	} else {
		t.Logf("the process listens on %v", listening)
	}

	for path, server := range map[string]string{"/metrics": "metrics", "/debug/pprof/": "pprof"} {
		got, err := p.ServingURL(10*time.Second, path)
		if err != nil {
			t.Fatal(err)
		}
		if want := "http://" + bound[server].String(); got != want {
			t.Errorf("ServingURL(%q) = %s, want %s", path, got, want)
		}
	}
	if got, err := p.ServingURL(time.Second, "/nothing"); err == nil {
		t.Errorf("ServingURL of a path nothing serves = %s, want an error", got)
	}

	p.Kill()
	if _, err := p.ServingURL(time.Second, "/metrics"); err == nil || !strings.Contains(err.Error(), "exited") {
		t.Errorf("ServingURL of an ended process: %v, want that it exited", err)
	}
}
