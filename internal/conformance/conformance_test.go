// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package conformance

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hookstream/hookstream-operator/internal/emulator"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
)

const key = "hs_test_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// account is an emulator with a destination and a source that are not the suite's.
type account struct {
	url     string
	client  *http.Client
	foreign []string // slugs
	remote  *hookstream.Client
}

func newAccount(t *testing.T, variants []string, tls bool) *account {
	t.Helper()
	emu, err := emulator.New(emulator.Options{APIKeys: []string{key}, Variants: variants})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(emu)
	if tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(func() {
		srv.Close()
		_ = emu.Close()
	})
	a := &account{url: srv.URL + "/v1", client: srv.Client()}
	if a.remote, err = hookstream.New(hookstream.Options{BaseURL: a.url, APIKey: key, HTTPClient: a.client}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := a.remote.CreateDestination(ctx, &hookstream.CreateRequest{Name: "Theirs", Slug: "theirs",
		URL: "https://theirs.example.com/"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.remote.CreateSource(ctx, &hookstream.SourceCreateRequest{Name: "Theirs", Slug: "conformance"}); err != nil {
		t.Fatal(err)
	}
	a.foreign = []string{"theirs", "conformance"}
	return a
}

// slugs lists the slugs of every destination and source, and the names of every connection.
func (a *account) slugs(t *testing.T) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	for d, err := range a.remote.AllDestinations(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, d.Slug)
	}
	for s, err := range a.remote.AllSources(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s.Slug)
	}
	for c, err := range a.remote.AllConnections(ctx, hookstream.ConnectionListOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c.Name)
	}
	slices.Sort(out)
	return out
}

func (a *account) expectOnlyForeign(t *testing.T) {
	t.Helper()
	want := slices.Sorted(slices.Values(a.foreign))
	if got := a.slugs(t); !slices.Equal(got, want) {
		t.Errorf("hookstream holds %v, want only the foreign %v", got, want)
	}
}

func TestConformanceAgainstTheDefaultEmulator(t *testing.T) {
	a := newAccount(t, nil, false)
	var progress strings.Builder
	report, err := Run(context.Background(), Config{BaseURL: a.url, APIKey: key, RunID: "t1", Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	if report.Failed() {
		t.Fatalf("the run failed:\n%s", report.Markdown())
	}
	for _, ex := range report.Exchanges {
		if len(ex.Differences) > 0 {
			t.Errorf("%s %s %d differs from the contract: %+v", ex.Method, ex.Path, ex.Status, ex.Differences)
		}
	}
	if len(report.Variants) != 0 || report.CleanedUp == 0 {
		t.Errorf("variants %v, %d cleaned up", report.Variants, report.CleanedUp)
	}
	for _, status := range []int{http.StatusNotFound, http.StatusConflict, http.StatusBadRequest, http.StatusUnauthorized} {
		if !slices.ContainsFunc(report.Exchanges, func(ex Exchange) bool { return ex.Status == status }) {
			t.Errorf("no %d answer was checked", status)
		}
	}
	if !strings.Contains(progress.String(), "ok   list destinations two by two") {
		t.Errorf("no progress line for the list step:\n%s", progress.String())
	}
	a.expectOnlyForeign(t)

	dir := t.TempDir()
	if err := report.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, "conformance-report.md"))
	if err != nil || !strings.Contains(string(md), "# hookstream conformance: passed") {
		t.Errorf("report %s (%v)", md, err)
	}
	for _, secret := range []string{key, "conformance-t1-token-0123456789"} {
		if strings.Contains(string(md), secret) {
			t.Error("the report holds a secret")
		}
	}
}

func TestConformanceNamesTheVariantsOfAnAccountBehindTLS(t *testing.T) {
	a := newAccount(t, emulator.AllVariants(), true)
	report, err := Run(context.Background(), Config{BaseURL: a.url, APIKey: key, RunID: "t2", HTTPClient: a.client})
	if err != nil {
		t.Fatal(err)
	}
	if report.Failed() {
		t.Fatalf("the run failed:\n%s", report.Markdown())
	}
	// Every variant of all that the suite's calls can show; ingest-duplicate-409 needs an ingest, which the
	// operator never makes.
	for _, v := range emulator.AllVariants() {
		if v == emulator.VariantIngestDuplicate409 {
			continue
		}
		if !slices.Contains(report.Variants, v) {
			t.Errorf("the report does not name %s; it names %v", v, report.Variants)
		}
	}
	if !strings.Contains(report.Markdown(), "(variant: ") {
		t.Error("no difference names its variant")
	}
	a.expectOnlyForeign(t)
}

// cancelAfter cancels a context once n requests went through.
type cancelAfter struct {
	n      int64
	cancel context.CancelFunc
	next   http.RoundTripper
}

func (c *cancelAfter) RoundTrip(req *http.Request) (*http.Response, error) {
	if atomic.AddInt64(&c.n, -1) == 0 {
		c.cancel()
	}
	return c.next.RoundTrip(req)
}

func TestAnInterruptedRunCleansUp(t *testing.T) {
	a := newAccount(t, nil, false)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := &http.Client{Transport: &cancelAfter{n: 12, cancel: cancel, next: http.DefaultTransport}}
	report, err := Run(ctx, Config{BaseURL: a.url, APIKey: key, RunID: "t3", HTTPClient: client})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run answered %v, want the cancellation", err)
	}
	if report.CleanedUp == 0 || report.CleanupError != "" {
		t.Errorf("cleanup: %d deleted, error %q", report.CleanedUp, report.CleanupError)
	}
	a.expectOnlyForeign(t)
}

func TestCleanupDeletesOnlyThePrefix(t *testing.T) {
	a := newAccount(t, nil, false)
	ctx := context.Background()
	// What a run killed before its own cleanup leaves.
	dst, err := a.remote.CreateDestination(ctx, &hookstream.CreateRequest{Name: "x", Slug: "conformance-dead-d",
		URL: "https://conformance.invalid/"})
	if err != nil {
		t.Fatal(err)
	}
	src, err := a.remote.CreateSource(ctx, &hookstream.SourceCreateRequest{Name: "x", Slug: "conformance-dead-s"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.remote.CreateConnection(ctx, &hookstream.ConnectionCreateRequest{SourceID: src.ID,
		DestinationID: dst.ID, Name: "conformance-dead-c"}); err != nil {
		t.Fatal(err)
	}
	if _, err := Cleanup(ctx, a.remote, "other-"); err == nil {
		t.Error("Cleanup accepted a prefix that is not the suite's")
	}
	n, err := Cleanup(ctx, a.remote, PrefixRoot)
	if err != nil || n != 3 {
		t.Errorf("Cleanup deleted %d (%v), want 3", n, err)
	}
	a.expectOnlyForeign(t)
}
