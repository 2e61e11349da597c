// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

// Package variants runs the lifecycle of every kind with the real reconcilers against the emulator serving each
// alternative reading of the contract alone, and all of them together.
//
// One control plane and one manager serve every row: each row has its own namespace, its own API key and, behind
// one router, its own emulator, which serves that row's variants. The router sends an API call to the emulator of
// its key, and an ingest call to the emulator that has the source.
package variants

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/hookstream/hookstream-operator/internal/controller"
	"github.com/hookstream/hookstream-operator/internal/emulator"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/test/testenv"
)

var (
	k8s     client.Client
	router  = &keyRouter{byKey: map[string]*row{}}
	baseURL string // the router's API base URL, with /v1
)

// testActor marks the test's own calls to hookstream, which the write counts leave out.
const testActor = "X-Test-Actor"

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	logf.SetLogger(zap.New(zap.WriteTo(io.Discard)))
	env, err := testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	srv := httptest.NewServer(router)
	defer srv.Close()
	baseURL = srv.URL + "/v1"
	defer router.close()

	mgr, err := ctrl.NewManager(env.Config, ctrl.Options{
		Scheme:                 env.Scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Controller:             config.Controller{SkipNameValidation: new(true)},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := controller.SetupWithManager(mgr, controller.Settings{
		Client:                   mgr.GetClient(),
		Recorder:                 mgr.GetEventRecorder("hookstream-operator"),
		Clients:                  controller.CachedClientFactory(hookstream.Options{BaseURL: baseURL, Timeout: 5 * time.Second}, nil),
		HookstreamURL:            baseURL,
		DefaultCredentialsSecret: "hookstream-credentials",
		DriftInterval:            10 * time.Minute,
		MaxConcurrentReconciles:  4,
	}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		if err := mgr.Start(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "manager:", err)
		}
	}()
	defer func() { cancel(); <-stopped }()
	if k8s, err = client.New(env.Config, client.Options{Scheme: env.Scheme}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// row is one emulator and the writes the operator sent it.
type row struct {
	key string
	emu *emulator.Server

	mu     sync.Mutex
	writes []write
}

// write is one POST, PATCH or DELETE the operator sent.
type write struct {
	method, path, body string
}

// String shows a write without its values, which may be secrets: the method, the path and the body's members.
func (w write) String() string {
	var members map[string]json.RawMessage
	_ = json.Unmarshal([]byte(w.body), &members)
	return w.method + " " + w.path + " " + strings.Join(slices.Sorted(maps.Keys(members)), ",")
}

func (r *row) record(w write) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes = append(r.writes, w)
}

// writesSince returns the writes after the first n.
func (r *row) writesSince(n int) []write {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]write(nil), r.writes[n:]...)
}

func (r *row) writeCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.writes)
}

// keyRouter sends each request to the emulator of its row.
type keyRouter struct {
	mu    sync.Mutex
	byKey map[string]*row
	rows  []*row
}

// newRow starts an emulator serving variants for a new API key.
func (k *keyRouter) newRow(t *testing.T, variants []string) *row {
	t.Helper()
	k.mu.Lock()
	defer k.mu.Unlock()
	key := fmt.Sprintf("hs_test_%064x", len(k.rows)+1)
	emu, err := emulator.New(emulator.Options{APIKeys: []string{key}, Variants: variants})
	if err != nil {
		t.Fatal(err)
	}
	r := &row{key: key, emu: emu}
	k.byKey[key] = r
	k.rows = append(k.rows, r)
	return r
}

func (k *keyRouter) close() {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, r := range k.rows {
		_ = r.emu.Close()
	}
}

func (k *keyRouter) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	k.mu.Lock()
	r := k.byKey[req.Header.Get("X-API-Key")]
	rows := append([]*row(nil), k.rows...)
	k.mu.Unlock()
	if r == nil {
		// Ingest carries no key: the row is the one whose emulator has the source.
		path := req.URL.Path
		id := path[strings.LastIndexByte(path, '/')+1:]
		for _, candidate := range rows {
			if _, err := candidate.emu.Source(req.Context(), id); err == nil {
				r = candidate
				break
			}
		}
	}
	if r == nil {
		http.Error(w, `{"error":"Invalid API key","status":401,"request_id":"req_0"}`, http.StatusUnauthorized)
		return
	}
	if req.Method != http.MethodGet && req.Header.Get(testActor) == "" && req.Header.Get("X-API-Key") != "" {
		body, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
		r.record(write{method: req.Method, path: strings.TrimPrefix(req.URL.Path, "/v1"), body: string(body)})
	}
	r.emu.ServeHTTP(w, req)
}

// actorTransport marks the test's own calls.
type actorTransport struct{}

func (actorTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set(testActor, "test")
	return http.DefaultTransport.RoundTrip(req)
}

// remoteClient is the test's own hookstream client for a row: its calls are not counted as the operator's.
func remoteClient(t *testing.T, r *row) *hookstream.Client {
	t.Helper()
	c, err := hookstream.New(hookstream.Options{BaseURL: baseURL, APIKey: r.key,
		HTTPClient: &http.Client{Transport: actorTransport{}, Timeout: 10 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
