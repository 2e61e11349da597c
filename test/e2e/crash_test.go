// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/hookstream/hookstream-operator/internal/emulator"
	"github.com/hookstream/hookstream-operator/test/harness/harnesstest"
)

// TestKillBetweenCreateAndStatusWrite kills the real manager with SIGKILL after hookstream created a destination
// and before the manager could record its id, 50 times. hookstream holds its answer to every create for a while,
// so each kill lands at a random point of that window. Afterwards hookstream must hold exactly one destination per
// Destination, and every Destination must converge to Ready with that destination's id.
func TestKillBetweenCreateAndStatusWrite(t *testing.T) {
	const kills = 50
	emu := s.StartEmulator(t)
	emu.Admin(t, "PUT", "/_emulator/faults", map[string]any{
		"response_delay_ms": 400, "routes": []string{emulator.RouteCreateDestination},
	}, nil)
	hs := emu.Client(t)
	ns := s.NewNamespace(t, "crash")
	slugOf := func(i int) string { return fmt.Sprintf("%s-c%02d", ns, i) }

	unrecorded := 0
	for i := range kills {
		mgr := s.StartManager(t, emu, ns)
		s.Apply(t, ns, fmt.Sprintf("apiVersion: hookstream.io/v1alpha1\nkind: Destination\nmetadata: {name: c%02d}\n"+
			"spec:\n  slug: %s\n  http: {url: \"https://receiver.example.com/%d\"}\n", i, slugOf(i), i))
		harnesstest.WaitUntil(t, 30*time.Second, "hookstream to create "+slugOf(i), func() error {
			if len(harnesstest.RemoteBySlug(t, hs)[slugOf(i)]) == 0 {
				return fmt.Errorf("no destination with slug %s yet", slugOf(i))
			}
			return nil
		})
		time.Sleep(time.Duration(rand.IntN(350)) * time.Millisecond)
		mgr.Kill()
		if getDestination(t, ns, fmt.Sprintf("c%02d", i)).Status.ID == "" {
			unrecorded++
		}
	}
	t.Logf("%d kills; %d landed after hookstream created the destination and before its id was recorded", kills, unrecorded)
	if unrecorded < kills/2 {
		t.Errorf("only %d of %d kills landed between the create and the status write; the test does not test the window", unrecorded, kills)
	}

	emu.Admin(t, "DELETE", "/_emulator/faults", nil, nil)
	mgr := s.StartManager(t, emu, ns)
	if _, err := s.Kubectl("wait", "destinations", "--all", "-n", ns, "--for=condition=Ready", "--timeout=120s"); err != nil {
		t.Fatalf("%v\n%s", err, mgr.Logs())
	}
	remote := harnesstest.RemoteBySlug(t, hs)
	total := 0
	for slug, rows := range remote {
		if strings.HasPrefix(slug, ns+"-") {
			total += len(rows)
		}
	}
	if total != kills {
		t.Errorf("hookstream holds %d destinations for %d Destinations", total, kills)
	}
	for i := range kills {
		rows := remote[slugOf(i)]
		if len(rows) != 1 {
			t.Errorf("slug %s: %d remote destinations, want exactly 1", slugOf(i), len(rows))
		}
		id := ""
		if len(rows) > 0 {
			id = rows[len(rows)-1].ID
		}
		if d := getDestination(t, ns, fmt.Sprintf("c%02d", i)); d.Status.ID != id {
			t.Errorf("c%02d: status.id %q, hookstream has %q", i, d.Status.ID, id)
		}
	}
}
