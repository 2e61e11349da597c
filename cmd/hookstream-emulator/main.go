// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

// Command hookstream-emulator serves the emulated hookstream API (destinations, sources, connections and the
// public ingest path, which routes events through connections to destinations) on its own, for local
// development, demos and end-to-end tests.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/hookstream/hookstream-operator/internal/emulator"
)

// apiKeysEnv lists keys, comma-separated, when no --api-key flag is given: it keeps keys out of the
// process list.
const apiKeysEnv = "HOOKSTREAM_EMULATOR_API_KEYS"

type stringList []string

func (l *stringList) String() string { return fmt.Sprintf("%d keys", len(*l)) }

func (l *stringList) Set(value string) error {
	*l = append(*l, value)
	return nil
}

type config struct {
	addr                  string
	apiKeys               []string
	dbPath                string
	rateLimit             float64
	rateLimitBurst        int
	maxDestinations       int
	maxSources            int
	trustedClientIPHeader string
	admin                 bool
	variants              []string
}

// Version is the emulator's version, printed by --version; release builds set it with ldflags.
var Version = "dev"

// errVersion tells main that --version was handled.
var errVersion = errors.New("version printed")

func parseFlags(args []string, getenv func(string) string, stdout, stderr io.Writer) (config, error) {
	var cfg config
	var keys stringList
	fs := flag.NewFlagSet("hookstream-emulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:18080", "address to listen on")
	fs.Var(&keys, "api-key", "accepted API key, one project each (repeatable; default: $"+apiKeysEnv+", comma-separated)")
	fs.StringVar(&cfg.dbPath, "db", "", "SQLite database file; empty keeps everything in memory")
	fs.Float64Var(&cfg.rateLimit, "rate-limit", 0, "requests per second per org; 0 disables the limit")
	fs.IntVar(&cfg.rateLimitBurst, "rate-limit-burst", 0, "token bucket size; 0 derives it from --rate-limit")
	fs.IntVar(&cfg.maxDestinations, "max-destinations", 0, "plan limit of destinations per project; 0 is unlimited")
	fs.IntVar(&cfg.maxSources, "max-sources", 0, "plan limit of sources per project; 0 is unlimited")
	fs.StringVar(&cfg.trustedClientIPHeader, "trusted-client-ip-header", "",
		"header whose first entry is the client address the IP lists of sources check at ingest, e.g. X-Forwarded-For;\n"+
			"set it only behind a proxy that writes it (default: the connection's address)")
	fs.BoolVar(&cfg.admin, "admin", false, "serve the /_emulator/ admin API (stats, faults, deliveries, received events)")
	variantList := fs.String("variant", "",
		"alternative readings of the contract to serve, comma-separated ("+strings.Join(emulator.VariantNames(), ", ")+
			");\n"+emulator.VariantAll+" turns on every one that can coexist "+
			"(default: none, the contract as the emulator decides it)")
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if *showVersion {
		fmt.Fprintln(stdout, "hookstream-emulator", Version)
		return config{}, errVersion
	}
	variants, err := emulator.ParseVariants(*variantList)
	if err != nil {
		return config{}, fmt.Errorf("--variant: %w", err)
	}
	cfg.variants = variants
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	cfg.apiKeys = keys
	if len(cfg.apiKeys) == 0 {
		for key := range strings.SplitSeq(getenv(apiKeysEnv), ",") {
			if key = strings.TrimSpace(key); key != "" {
				cfg.apiKeys = append(cfg.apiKeys, key)
			}
		}
	}
	if len(cfg.apiKeys) == 0 {
		return config{}, fmt.Errorf("no API key: pass --api-key or set %s", apiKeysEnv)
	}
	return cfg, nil
}

func main() {
	cfg, err := parseFlags(os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) || errors.Is(err, errVersion) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "hookstream-emulator:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, os.Stdout, slog.New(slog.NewTextHandler(os.Stderr, nil))); err != nil {
		fmt.Fprintln(os.Stderr, "hookstream-emulator:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends, then drains in-flight requests before closing the store.
func run(ctx context.Context, cfg config, stdout io.Writer, logger *slog.Logger) error {
	emu, err := emulator.New(emulator.Options{
		APIKeys:               cfg.apiKeys,
		DBPath:                cfg.dbPath,
		RateLimit:             cfg.rateLimit,
		RateLimitBurst:        cfg.rateLimitBurst,
		MaxDestinations:       cfg.maxDestinations,
		MaxSources:            cfg.maxSources,
		TrustedClientIPHeader: cfg.trustedClientIPHeader,
		Admin:                 cfg.admin,
		Logger:                logger,
		Variants:              cfg.variants,
	})
	if err != nil {
		return err
	}
	defer func() { _ = emu.Close() }()

	listener, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	for _, key := range cfg.apiKeys {
		p, _ := emu.Project(key)
		_, _ = fmt.Fprintf(stdout, "api key %s: org_id=%s env_id=%s\n", emulator.KeyPrefix(key), p.OrgID, p.EnvID)
	}
	if cfg.admin {
		_, _ = fmt.Fprintf(stdout, "admin API on http://%s/_emulator/\n", listener.Addr())
	}
	if len(cfg.variants) > 0 {
		_, _ = fmt.Fprintf(stdout, "variants: %s\n", strings.Join(cfg.variants, ", "))
	}
	// The last line before serving: with --addr on port 0 it tells whoever started the emulator the port it got.
	_, _ = io.WriteString(stdout, emulator.ListeningLine(listener.Addr()))

	server := &http.Server{
		Handler:           emu,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := server.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
