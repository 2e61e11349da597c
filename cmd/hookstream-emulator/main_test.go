// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hookstream/hookstream-operator/internal/emulator"
)

func TestParseFlags(t *testing.T) {
	tests := map[string]struct {
		args    []string
		env     string
		want    config
		wantErr string
	}{
		"defaults with env keys": {
			env:  " hs_test_a , hs_test_b,,",
			want: config{addr: "127.0.0.1:18080", apiKeys: []string{"hs_test_a", "hs_test_b"}},
		},
		"flags win over env": {
			args: []string{"--api-key", "k1", "--api-key=k2", "--addr", ":9000", "--db", "/tmp/x.db", "--rate-limit", "2.5",
				"--rate-limit-burst", "5", "--max-destinations", "5", "--max-sources", "10", "--trusted-client-ip-header", "X-Forwarded-For", "--admin"},
			env: "ignored",
			want: config{addr: ":9000", apiKeys: []string{"k1", "k2"}, dbPath: "/tmp/x.db", rateLimit: 2.5, rateLimitBurst: 5, maxDestinations: 5,
				maxSources: 10, trustedClientIPHeader: "X-Forwarded-For", admin: true},
		},
		"variants": {
			args: []string{"--api-key", "k", "--variant", "single-page, native-json,single-page"},
			want: config{addr: "127.0.0.1:18080", apiKeys: []string{"k"}, variants: []string{"native-json", "single-page"}},
		},
		"unknown variant lists the known ones": {args: []string{"--api-key", "k", "--variant", "native-json,fast-lists"},
			wantErr: `--variant: unknown variant "fast-lists": known variants are native-json, bool-literals, stale-cursor`},
		"exclusive variants": {args: []string{"--api-key", "k", "--variant", "cascade-delete,dangling-connections"},
			wantErr: "exclude each other"},
		"no key":          {wantErr: "no API key: pass --api-key or set HOOKSTREAM_EMULATOR_API_KEYS"},
		"only commas":     {env: ",,", wantErr: "no API key"},
		"bad rate":        {args: []string{"--api-key", "k", "--rate-limit", "fast"}, wantErr: "invalid value"},
		"stray argument":  {args: []string{"--api-key", "k", "serve"}, wantErr: "unexpected arguments: serve"},
		"unknown flag":    {args: []string{"--api-key", "k", "--port", "1"}, wantErr: "flag provided but not defined"},
		"help is ErrHelp": {args: []string{"-h"}, wantErr: "flag: help requested"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			getenv := func(key string) string {
				if key == apiKeysEnv {
					return tc.env
				}
				return ""
			}
			got, err := parseFlags(tc.args, getenv, io.Discard, io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(config{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestVersionFlag(t *testing.T) {
	old := Version
	Version = "v9.8.7"
	defer func() { Version = old }()
	var out bytes.Buffer
	_, err := parseFlags([]string{"--version"}, func(string) string { return "" }, &out, io.Discard)
	if !errors.Is(err, errVersion) {
		t.Fatalf("error %v, want errVersion (and no complaint about a missing API key)", err)
	}
	if got := out.String(); got != "hookstream-emulator v9.8.7\n" {
		t.Errorf("printed %q", got)
	}
}

// lockedBuffer lets the test read what run prints while run is still printing.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestRunServesAndShutsDown(t *testing.T) {
	const key = "hs_test_0123456789abcdef"
	var stdout, logs lockedBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, config{addr: "127.0.0.1:0", apiKeys: []string{key}, admin: true}, &stdout, slog.New(slog.NewTextHandler(&logs, nil)))
	}()

	base := listeningURL(t, &stdout)

	req, _ := http.NewRequest(http.MethodGet, base+"/v1/destinations", nil)
	req.Header.Set("X-API-Key", key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("status %d", res.StatusCode)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run did not return after its context ended")
	}

	out := stdout.String()
	if strings.Contains(out, key) || strings.Contains(logs.String(), key) {
		t.Errorf("the whole API key was printed:\n%s\n%s", out, logs.String())
	}
	if !regexp.MustCompile(`api key hs_test_…: org_id=org_[0-9a-f]+ env_id=env_[0-9a-f]+\n`).MatchString(out) {
		t.Errorf("no project line for the key:\n%s", out)
	}
	if !strings.Contains(logs.String(), "path=/v1/destinations status=200") {
		t.Errorf("no request log line:\n%s", logs.String())
	}
}

// TestRunServesVariants: the variants of the flags reach the server and are announced.
func TestRunServesVariants(t *testing.T) {
	const key = "hs_test_0123456789abcdef"
	var stdout lockedBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	args := []string{"--addr", "127.0.0.1:0", "--api-key", key, "--variant", "single-page"}
	cfg, err := parseFlags(args, func(string) string { return "" }, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	go func() { done <- run(ctx, cfg, &stdout, slog.New(slog.DiscardHandler)) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	base := listeningURL(t, &stdout)
	if !strings.Contains(stdout.String(), "variants: single-page\n") {
		t.Errorf("the variants were not announced:\n%s", stdout.String())
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/v1/destinations", nil)
	req.Header.Set("X-API-Key", key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if string(body) != "{\"destinations\":[]}\n" {
		t.Errorf("list answered %s, want one page without cursor or has_more", body)
	}
}

// listeningURL waits for the line that names the address the emulator bound and returns its base URL, which must
// be on the loopback address that --addr asked for, on the port the emulator got.
func listeningURL(t *testing.T, stdout *lockedBuffer) string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if base, ok := emulator.ListeningURL(stdout.String()); ok {
			if !regexp.MustCompile(`^http://127\.0\.0\.1:[1-9]\d*$`).MatchString(base) {
				t.Fatalf("the emulator announced %q, want the loopback address and the port it bound", base)
			}
			return base
		}
		if time.Now().After(deadline) {
			t.Fatalf("no ready line; stdout %q", stdout.String())
		}
	}
}
