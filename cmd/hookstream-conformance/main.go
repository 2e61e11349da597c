// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

// Command hookstream-conformance checks that a hookstream account and the operator's client agree (see package
// conformance). With HOOKSTREAM_URL and HOOKSTREAM_API_KEY (and HOOKSTREAM_CA_FILE for a private CA) it runs
// against that account; without, against an emulator it starts for the run. It writes conformance-report.md and
// conformance-report.json, and exits 1 when a step failed. --cleanup deletes only what earlier runs left (every
// resource named conformance-...), nothing else.
package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/hookstream/hookstream-operator/internal/conformance"
	"github.com/hookstream/hookstream-operator/internal/emulator"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code, err := run(ctx, os.Args[1:], os.Getenv, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hookstream-conformance:", err)
	}
	os.Exit(code)
}

func run(ctx context.Context, args []string, getenv func(string) string, out io.Writer) (int, error) {
	fs := flag.NewFlagSet("hookstream-conformance", flag.ContinueOnError)
	fs.SetOutput(out)
	reportDir := fs.String("report-dir", ".", "folder to write conformance-report.md and conformance-report.json into")
	cleanupOnly := fs.Bool("cleanup", false, "only delete what earlier runs left: every resource named "+
		conformance.PrefixRoot+"..., nothing else")
	variants := fs.String("variant", "",
		"without HOOKSTREAM_URL: the variants the emulator serves (see hookstream-emulator)")
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	baseURL, apiKey := getenv("HOOKSTREAM_URL"), strings.TrimSpace(getenv("HOOKSTREAM_API_KEY"))
	httpClient, err := clientWithCA(getenv("HOOKSTREAM_CA_FILE"))
	if err != nil {
		return 2, err
	}
	if baseURL == "" {
		if *cleanupOnly {
			return 0, nil // an emulator of the run's own holds nothing to clean up
		}
		names, err := emulator.ParseVariants(*variants)
		if err != nil {
			return 2, err
		}
		var stopEmulator func()
		if baseURL, apiKey, stopEmulator, err = startEmulator(names); err != nil {
			return 2, err
		}
		defer stopEmulator()
		_, _ = fmt.Fprintf(out, "no HOOKSTREAM_URL: running against an emulator at %s (variants: %s)\n", baseURL,
			listOrNone(names))
	} else if apiKey == "" {
		return 2, errors.New("HOOKSTREAM_URL is set but HOOKSTREAM_API_KEY is not")
	}

	if *cleanupOnly {
		c, err := hookstream.New(hookstream.Options{BaseURL: baseURL, APIKey: apiKey, HTTPClient: httpClient})
		if err != nil {
			return 2, err
		}
		n, err := conformance.Cleanup(context.WithoutCancel(ctx), c, conformance.PrefixRoot)
		_, _ = fmt.Fprintf(out, "deleted %d resources named %s...\n", n, conformance.PrefixRoot)
		if err != nil {
			return 1, err
		}
		return 0, nil
	}

	id := make([]byte, 3)
	_, _ = rand.Read(id)
	runID := time.Now().UTC().Format("20060102t150405") + "-" + hex.EncodeToString(id)
	_, _ = fmt.Fprintf(out, "conformance run %s against %s: every resource it creates is named %s\n", runID, baseURL,
		conformance.PrefixRoot+runID+"-...")
	report, runErr := conformance.Run(ctx, conformance.Config{BaseURL: baseURL, APIKey: apiKey, HTTPClient: httpClient,
		RunID: runID, Progress: out})
	if report == nil {
		return 2, runErr
	}
	if err := report.WriteFiles(*reportDir); err != nil {
		return 2, err
	}
	_, _ = fmt.Fprintf(out, "wrote %s/conformance-report.md and .json; variants seen: %s\n", *reportDir,
		listOrNone(report.Variants))
	if runErr != nil {
		return 1, runErr
	}
	if report.Failed() {
		return 1, errors.New("the account and the client disagree: see conformance-report.md")
	}
	return 0, nil
}

// clientWithCA returns an HTTP client that also trusts the PEM bundle in caFile; nil without one.
func clientWithCA(caFile string) (*http.Client, error) {
	if caFile == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", caFile)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: transport}, nil
}

// startEmulator serves an in-memory emulator on a loopback port for the run.
func startEmulator(variants []string) (baseURL, apiKey string, stop func(), err error) {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	apiKey = "hs_test_" + hex.EncodeToString(key)
	emu, err := emulator.New(emulator.Options{APIKeys: []string{apiKey}, Variants: variants})
	if err != nil {
		return "", "", nil, err
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = emu.Close()
		return "", "", nil, err
	}
	server := &http.Server{Handler: emu, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = server.Serve(listener) }()
	return "http://" + listener.Addr().String() + "/v1", apiKey, func() {
		_ = server.Close()
		_ = emu.Close()
	}, nil
}

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
