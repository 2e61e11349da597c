// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

// Package conformance checks that a hookstream account and the operator's client agree: it makes the calls the
// operator and the plugin make, validates every exchange against the repository's OpenAPI document and the
// client's decoder, and names the contract variant (internal/hookstream/contract/variants.md) that each difference
// matches. Everything it creates is named with the run's prefix, and only what carries that prefix is ever
// written or deleted.
package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hookstream/hookstream-operator/internal/hookstream"
)

// PrefixRoot starts the name of everything a run creates: PrefixRoot + run id + "-".
const PrefixRoot = "conformance-"

// Config is one run.
type Config struct {
	BaseURL, APIKey string
	// HTTPClient sends the requests (an extra CA bundle goes here); nil is the client's default.
	HTTPClient *http.Client
	// RunID names the run; everything it creates starts with PrefixRoot + RunID + "-".
	RunID string
	// Progress receives one line per step.
	Progress io.Writer
}

// Prefix is what the names of the run's resources start with.
func (c Config) Prefix() string { return PrefixRoot + c.RunID + "-" }

// Difference is one way an exchange differs from the contract.
type Difference struct {
	Detail string `json:"detail"`
	// Variants are the variants of the contract the answer matched, when any did.
	Variants []string `json:"variants,omitempty"`
}

// Exchange is one call and its answer.
type Exchange struct {
	Step        string       `json:"step"`
	Method      string       `json:"method"`
	Path        string       `json:"path"`
	Status      int          `json:"status"`
	Differences []Difference `json:"differences,omitempty"`
}

// StepResult is one step of the suite.
type StepResult struct {
	Name  string `json:"name"`
	Error string `json:"error,omitempty"`
}

// Report is what a run found.
type Report struct {
	RunID     string       `json:"run_id"`
	BaseURL   string       `json:"base_url"`
	Steps     []StepResult `json:"steps"`
	Exchanges []Exchange   `json:"exchanges"`
	// Variants are the variants of the contract the answers matched.
	Variants []string `json:"variants"`
	// CleanedUp counts the resources the cleanup deleted; CleanupError is why it did not finish.
	CleanedUp    int    `json:"cleaned_up"`
	CleanupError string `json:"cleanup_error,omitempty"`
}

// Failed reports a step that failed or a cleanup that did not finish.
func (r *Report) Failed() bool {
	if r.CleanupError != "" {
		return true
	}
	for _, s := range r.Steps {
		if s.Error != "" {
			return true
		}
	}
	return false
}

// Run runs the suite, then deletes what it created, whether it passed, failed or ctx ended.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	rec, err := newRecorder(cfg.HTTPClient)
	if err != nil {
		return nil, err
	}
	client, err := hookstream.New(hookstream.Options{BaseURL: cfg.BaseURL, APIKey: cfg.APIKey,
		HTTPClient: &http.Client{Transport: rec}})
	if err != nil {
		return nil, err
	}
	s := &suite{cfg: cfg, c: client, rec: rec, report: &Report{RunID: cfg.RunID, BaseURL: cfg.BaseURL},
		secrets: map[string]bool{}}
	s.run(ctx)
	// The cleanup outlives an interrupted run.
	cleanupCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	s.rec.setStep("cleanup", false)
	s.progress("cleanup: deleting what starts with %s", cfg.Prefix())
	n, cerr := Cleanup(cleanupCtx, client, cfg.Prefix())
	s.report.CleanedUp = n
	if cerr != nil {
		s.report.CleanupError = cerr.Error()
	}
	s.report.Exchanges = rec.exchanges()
	seen := map[string]bool{}
	for _, ex := range s.report.Exchanges {
		for _, d := range ex.Differences {
			for _, v := range d.Variants {
				seen[v] = true
			}
		}
	}
	for v := range seen {
		s.report.Variants = append(s.report.Variants, v)
	}
	for _, v := range s.probed {
		if !seen[v] {
			s.report.Variants = append(s.report.Variants, v)
		}
	}
	slices.Sort(s.report.Variants)
	s.report.Variants = slices.Compact(s.report.Variants)
	return s.report, ctx.Err()
}

// Cleanup deletes, in an order hookstream accepts, the connections, sources and destinations whose name (for
// connections) or slug starts with prefix, and nothing else. It returns how many it deleted.
func Cleanup(ctx context.Context, c *hookstream.Client, prefix string) (int, error) {
	if !strings.HasPrefix(prefix, PrefixRoot) {
		return 0, fmt.Errorf("refusing to clean up with prefix %q: it must be %s<run id>- or %s", prefix, PrefixRoot, PrefixRoot)
	}
	n := 0
	var errs []error
	for conn, err := range c.AllConnections(ctx, hookstream.ConnectionListOptions{}) {
		if err != nil {
			return n, err
		}
		if strings.HasPrefix(conn.Name, prefix) {
			if err := c.DeleteConnection(ctx, conn.ID); err != nil && !hookstream.IsNotFound(err) {
				errs = append(errs, err)
				continue
			}
			n++
		}
	}
	for src, err := range c.AllSources(ctx) {
		if err != nil {
			return n, err
		}
		if strings.HasPrefix(src.Slug, prefix) {
			if err := c.DeleteSource(ctx, src.ID); err != nil && !hookstream.IsNotFound(err) {
				errs = append(errs, err)
				continue
			}
			n++
		}
	}
	for dst, err := range c.AllDestinations(ctx) {
		if err != nil {
			return n, err
		}
		if strings.HasPrefix(dst.Slug, prefix) {
			if err := c.DeleteDestination(ctx, dst.ID); err != nil && !hookstream.IsNotFound(err) {
				errs = append(errs, err)
				continue
			}
			n++
		}
	}
	return n, errors.Join(errs...)
}

// suite is one run's state.
type suite struct {
	cfg     Config
	c       *hookstream.Client
	rec     *recorder
	report  *Report
	secrets map[string]bool
	// probed are variants a probe found (a behaviour, not an encoding).
	probed []string
	mu     sync.Mutex
}

func (s *suite) progress(format string, args ...any) {
	if s.cfg.Progress != nil {
		_, _ = fmt.Fprintf(s.cfg.Progress, format+"\n", args...)
	}
}

// invalidStep starts the name of a step whose requests are invalid on purpose.
const invalidStep = "400 for "

// step runs one named step, unless ctx has ended.
func (s *suite) step(ctx context.Context, name string, f func() error) {
	if ctx.Err() != nil {
		return
	}
	s.rec.setStep(name, strings.HasPrefix(name, invalidStep))
	err := f()
	result := StepResult{Name: name}
	if err != nil {
		result.Error = err.Error()
		s.progress("FAIL %s: %v", name, err)
	} else {
		s.progress("ok   %s", name)
	}
	s.report.Steps = append(s.report.Steps, result)
}

// sendSecret remembers a secret the suite sends, to tell a plain-text read-back.
func (s *suite) sendSecret(v string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secrets[v] = true
	s.rec.setSecrets(s.secrets)
	return v
}

func expectStatus(err error, want int) error {
	var apiErr *hookstream.APIError
	if errors.As(err, &apiErr) && apiErr.StatusCode == want {
		return nil
	}
	return fmt.Errorf("want a %d answer, got %v", want, err)
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
