// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package faults

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"
)

// result is one row of the table: what a scenario attempted and what it found afterwards.
type result struct {
	Scenario   string `json:"scenario"`
	Test       string `json:"test"`
	Size       string `json:"size"`
	Attempted  int    `json:"operations_attempted"`
	Lost       int    `json:"lost"`
	Duplicated int    `json:"duplicated"`
	Orphaned   int    `json:"orphaned"`
	// Recover is the time from the end of the fault to convergence; negative when it does not apply.
	Recover time.Duration `json:"-"`
	// FaultCalls counts the hookstream API requests received while the fault lasted; negative when it does not
	// apply.
	FaultCalls int64    `json:"hookstream_calls_during_fault"`
	Notes      []string `json:"notes"`
	Passed     bool     `json:"passed"`
	// verdict, when set, is the row's own verdict in a test that has a row per kind.
	verdict *bool
}

// settle gives the row its own verdict, for a test with several rows: see perKind.
func (r *result) settle(passed bool) { r.verdict = &passed }

func (r *result) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// MarshalJSON adds the recovery time in seconds (null when it does not apply).
func (r *result) MarshalJSON() ([]byte, error) {
	type plain result
	var recover *float64
	if r.Recover >= 0 {
		v := r.Recover.Seconds()
		recover = &v
	}
	return json.Marshal(struct {
		*plain
		RecoverSeconds *float64 `json:"time_to_recover_seconds"`
	}{(*plain)(r), recover})
}

type results struct {
	mu   sync.Mutex
	rows []*result
}

var table results

// start opens the row of a scenario, in the table from now on so that rows keep the order they were opened in; its
// verdict is given when the test ends, failed or not, so that a failing scenario still shows its figures.
func (rs *results) start(t *testing.T, scenario string) *result {
	r := &result{Scenario: scenario, Test: t.Name(), Size: size.name, Recover: -1, FaultCalls: -1}
	rs.mu.Lock()
	rs.rows = append(rs.rows, r)
	rs.mu.Unlock()
	t.Cleanup(func() {
		rs.mu.Lock()
		defer rs.mu.Unlock()
		r.Passed = !t.Failed()
		if r.verdict != nil {
			r.Passed = *r.verdict
		}
	})
	return r
}

const definitions = `Definitions:
  rows        a row per kind, "(Destination)", "(Source)" or "(Connection)", when the scenario drives several
              kinds at once; "(all kinds)" when one row counts them all.
  operations  creates, spec updates and deletes of the objects the scenario made (secret scenario: lifecycle steps).
  slug        a Connection has none: the scenarios name its remote connection "<namespace>-<name> v<version>",
              and the part before the version stands for the slug below.
  lost        an existing object whose slug has no remote resource, or whose remote resource lacks the spec's
              fields (Destination: name, url, retry_max_attempts; Source: name, description, status, dedup
              window, IP allowlist, and the signature check with its secret; Connection: name, the source and
              destination of the objects it references, status and enabled, filter rules, transform) (a lost
              create or update); or an object the scenario deleted whose slug still has a remote resource (a
              lost delete).
  duplicated  remote resources beyond one per slug, plus remote writes repeated when they should not be:
              successful POST, PATCH and DELETE beyond the creates, updates and deletes made (a Source or
              Connection created in another state than active is allowed the PATCH that sets it), and POSTs that
              hookstream refused with 409 because the operator had created that slug already.
  orphaned    remote resources whose slug no existing object has (a lost delete is also an orphan).
  recover     from the end of the fault until every object is Ready for its generation, every deleted one is
              gone, and hookstream was then found to match; "-" when no fault has an end.
  calls       hookstream API requests the emulator received while the fault lasted (all routes and answers; in a
              row per kind, that kind's routes).`

func (rs *results) print(w io.Writer, elapsed time.Duration) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	fmt.Fprintf(w, "\nhookstream-operator fault-injection suite, size %q, %d scenarios in %s\n\n", size.name, len(rs.rows),
		elapsed.Round(time.Second))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\toperations\tlost\tduplicated\torphaned\trecover\tcalls during fault\tresult\t")
	for _, r := range rs.rows {
		recover, calls := "-", "-"
		if r.Recover >= 0 {
			recover = r.Recover.Round(100 * time.Millisecond).String()
		}
		if r.FaultCalls >= 0 {
			calls = fmt.Sprint(r.FaultCalls)
		}
		verdict := "ok"
		if !r.Passed {
			verdict = "FAIL"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t\n", r.Scenario, r.Attempted, r.Lost, r.Duplicated, r.Orphaned,
			recover, calls, verdict)
	}
	_ = tw.Flush()
	fmt.Fprintln(w, "\nNotes:")
	for _, r := range rs.rows {
		fmt.Fprintf(w, "  %s (%s):\n", r.Scenario, r.Test)
		for _, n := range r.Notes {
			fmt.Fprintf(w, "    - %s\n", n)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, definitions)
	fmt.Fprintln(w)
}

// writeJSON writes the rows to HOOKSTREAM_FAULTS_OUT, or to a new temporary file, and says where.
func (rs *results) writeJSON(w io.Writer) error {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	path := os.Getenv("HOOKSTREAM_FAULTS_OUT")
	var f *os.File
	var err error
	if path == "" {
		f, err = os.CreateTemp("", "hookstream-faults-*.json")
	} else {
		f, err = os.Create(path)
	}
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	enc.SetIndent("", "  ")
	doc := struct {
		Size        string    `json:"size"`
		Definitions []string  `json:"definitions"`
		Results     []*result `json:"results"`
	}{size.name, strings.Split(definitions, "\n")[1:], rs.rows}
	if err := enc.Encode(doc); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(w, "results written to %s\n", f.Name())
	return nil
}
