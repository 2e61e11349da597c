// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookstream/hookstream-operator/internal/emulator"
)

// BenchmarkEmulator measures the API over real loopback HTTP, one request at a time with keep-alive,
// the way the operator's client talks to it, with the in-memory store.
func BenchmarkEmulator(b *testing.B) {
	benchmarkAPI(b, emulator.Options{})
}

// BenchmarkEmulatorFileStore is BenchmarkEmulator with a database file (WAL).
func BenchmarkEmulatorFileStore(b *testing.B) {
	benchmarkAPI(b, emulator.Options{DBPath: filepath.Join(b.TempDir(), "bench.db")})
}

func benchmarkAPI(b *testing.B, opts emulator.Options) {
	env := newEnv(b, opts)
	server := httptest.NewServer(env.server)
	b.Cleanup(server.Close)
	client := server.Client()

	send := func(method, path, body string, want int) {
		req, err := http.NewRequest(method, server.URL+path, strings.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("X-API-Key", keyA)
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		if res.StatusCode != want {
			b.Fatalf("%s %s: status %d, want %d", method, path, res.StatusCode, want)
		}
	}
	reportRate := func(b *testing.B, requests int) {
		b.ReportMetric(float64(requests)/b.Elapsed().Seconds(), "req/s")
	}

	for i := range 150 {
		env.create(keyA, withFields(map[string]any{"slug": fmt.Sprintf("seed-%d", i)}))
	}
	target := env.create(keyA, fullHTTPBody)

	b.Run("create", func(b *testing.B) {
		n := 0
		for b.Loop() {
			send(http.MethodPost, "/v1/destinations", withFields(map[string]any{"slug": fmt.Sprintf("bench-%d", n)}), http.StatusCreated)
			n++
		}
		reportRate(b, n)
	})
	b.Run("get", func(b *testing.B) {
		n := 0
		for b.Loop() {
			send(http.MethodGet, "/v1/destinations/"+target.ID, "", http.StatusOK)
			n++
		}
		reportRate(b, n)
	})
	b.Run("list100", func(b *testing.B) {
		n := 0
		for b.Loop() {
			send(http.MethodGet, "/v1/destinations?limit=100", "", http.StatusOK)
			n++
		}
		reportRate(b, n)
	})
	b.Run("patch", func(b *testing.B) {
		n := 0
		for b.Loop() {
			send(http.MethodPatch, "/v1/destinations/"+target.ID, fmt.Sprintf(`{"name":"renamed-%d"}`, n), http.StatusOK)
			n++
		}
		reportRate(b, n)
	})
}
