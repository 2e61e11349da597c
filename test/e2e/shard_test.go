// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hookstream/hookstream-operator/internal/emulator"
	"github.com/hookstream/hookstream-operator/test/harness"
	"github.com/hookstream/hookstream-operator/test/harness/harnesstest"
)

// shardObject is the part of a Destination or Connection the shard test reads through kubectl.
type shardObject struct {
	Metadata struct {
		Labels     map[string]string `json:"labels"`
		Finalizers []string          `json:"finalizers"`
	} `json:"metadata"`
	Status struct {
		ID                     string         `json:"id"`
		LastHandledReconcileAt string         `json:"lastHandledReconcileAt"`
		Conditions             conditionsJSON `json:"conditions"`
	} `json:"status"`
}

func (o shardObject) condition(condType string) (status, reason, message string) {
	return o.Status.Conditions.get(condType)
}

// shardManager is one shard's manager process.
type shardManager struct {
	*harness.Process
	selector string
}

// leaseName is the lease the manager logged it elects its leader on.
func (m shardManager) leaseName(t *testing.T) string {
	t.Helper()
	match := regexp.MustCompile(`"leaderElectionID":"([^"]+)"`).FindStringSubmatch(m.Logs())
	if match == nil {
		t.Fatalf("the manager of %s did not log its lease:\n%s", m.selector, m.Tail(20))
	}
	return match[1]
}

// created lists the Destinations whose remote resource the manager created, from its log.
func (m shardManager) created() []string {
	var names []string
	for line := range strings.SplitSeq(m.Logs(), "\n") {
		if !strings.Contains(line, `"Created remote resource"`) {
			continue
		}
		var entry struct {
			Destination struct{ Name string } `json:"destination"`
		}
		if json.Unmarshal([]byte(line), &entry) == nil && entry.Destination.Name != "" {
			names = append(names, entry.Destination.Name)
		}
	}
	return names
}

// TestShards runs two managers on one namespace, one per label value of hookstream.io/shard, with leader election:
// each elects its leader on a lease of its own and creates only its objects; a Connection whose Source is in the
// other shard says so; with shard a stopped, its new object waits (no status, nothing in hookstream) while shard b's
// new one becomes Ready; shard a restarted catches up; and a Ready Destination relabelled from a to b while both run is
// taken over by b, which checks it on request with no write to hookstream, and then deletes it.
func TestShards(t *testing.T) {
	emu := s.StartEmulator(t)
	ns := s.NewNamespace(t, "shards")
	hs := emu.Client(t)
	leaderElection := []string{"--leader-elect", "--leader-election-namespace", harness.ManagerNamespace,
		"--leader-elect-lease-duration", "6s", "--leader-elect-renew-deadline", "4s", "--leader-elect-retry-period", "500ms"}
	start := func(shard string) shardManager {
		selector := "hookstream.io/shard=" + shard
		return shardManager{s.StartManager(t, emu, ns, append(leaderElection, "--watch-selector", selector)...), selector}
	}
	mgrA, mgrB := start("a"), start("b")
	logs := func() string {
		return fmt.Sprintf("shard a:\n%s\nshard b:\n%s", mgrA.Tail(30), mgrB.Tail(30))
	}
	get := func(kind, name string) shardObject {
		var o shardObject
		harnesstest.Must(t, json.Unmarshal([]byte(s.MustKubectl(t, "get", kind, name, "-n", ns, "-o", "json")), &o))
		return o
	}
	wait := func(kind, name string) {
		t.Helper()
		if _, err := s.Kubectl("wait", kind+"/"+name, "-n", ns, "--for=condition=Ready", "--timeout=30s"); err != nil {
			t.Fatalf("%v\n%s", err, logs())
		}
	}
	destination := func(name, shard string) string {
		return fmt.Sprintf(`
apiVersion: hookstream.io/v1alpha1
kind: Destination
metadata: {name: %s, labels: {hookstream.io/shard: %s}}
spec:
  http: {url: https://%s.example.com/hooks}
`, name, shard, name)
	}
	remoteCount := func() int {
		n := 0
		for _, rows := range harnesstest.RemoteBySlug(t, hs) {
			n += len(rows)
		}
		return n
	}

	// Each shard handles its own objects, and elects its leader on its own lease.
	s.Apply(t, ns, destination("a1", "a")+"---"+destination("b1", "b")+`---
apiVersion: hookstream.io/v1alpha1
kind: Source
metadata: {name: github, labels: {hookstream.io/shard: b}}
spec: {template: github, verification: {secretRef: {name: signing, key: secret}}}
---
apiVersion: v1
kind: Secret
metadata: {name: signing}
stringData: {secret: s3cr3t}
---
apiVersion: hookstream.io/v1alpha1
kind: Connection
metadata: {name: github-to-b1, labels: {hookstream.io/shard: b}}
spec: {sourceRef: {name: github}, destinationRef: {name: b1}}
---
apiVersion: hookstream.io/v1alpha1
kind: Connection
metadata: {name: github-to-a1, labels: {hookstream.io/shard: a}}
spec: {sourceRef: {name: github}, destinationRef: {name: a1}}
`)
	for _, obj := range [][2]string{{"destination", "a1"}, {"destination", "b1"}, {"source", "github"}, {"connection", "github-to-b1"}} {
		wait(obj[0], obj[1])
	}
	if got := strings.Join(mgrA.created(), ","); got != "a1" {
		t.Errorf("shard a created the remote destinations of %q, want a1 only", got)
	}
	if got := strings.Join(mgrB.created(), ","); got != "b1" {
		t.Errorf("shard b created the remote destinations of %q, want b1 only", got)
	}
	leaseA, leaseB := mgrA.leaseName(t), mgrB.leaseName(t)
	if leaseA == leaseB || !strings.Contains(leaseA, "shard-a") || !strings.Contains(leaseB, "shard-b") {
		t.Errorf("leases %q and %q: want one per shard, named after it", leaseA, leaseB)
	}
	t.Logf("leases: shard a %s, shard b %s", leaseA, leaseB)
	for _, lease := range []string{leaseA, leaseB} {
		harnesstest.WaitUntil(t, 20*time.Second, "lease "+lease+" held", func() error {
			holder, err := s.Kubectl("get", "lease", lease, "-n", harness.ManagerNamespace, "-o", "jsonpath={.spec.holderIdentity}")
			if err != nil || strings.TrimSpace(holder) == "" {
				return fmt.Errorf("holder %q: %v", holder, err)
			}
			return nil
		})
	}

	// A Connection of shard a whose Source is in shard b waits, and says why.
	harnesstest.WaitUntil(t, 20*time.Second, "github-to-a1 to name the shard", func() error {
		st, reason, msg := get("connection", "github-to-a1").condition("Synced")
		if st != "False" || reason != "WaitingForSource" || !strings.Contains(msg, "outside this manager's shard") ||
			!strings.Contains(msg, "hookstream.io/shard=b") {
			return fmt.Errorf("Synced = %s %s %q", st, reason, msg)
		}
		return nil
	})

	// A stopped shard's objects wait; the other shard's keep working.
	mgrA.Stop()
	s.Apply(t, ns, destination("a2", "a")+"---"+destination("b2", "b"))
	wait("destination", "b2")
	time.Sleep(2 * time.Second)
	if a2 := get("destination", "a2"); len(a2.Status.Conditions) != 0 || len(a2.Metadata.Finalizers) != 0 {
		t.Errorf("a2, of the stopped shard a, was handled: %+v", a2)
	}
	if n := remoteCount(); n != 3 {
		t.Errorf("hookstream holds %d destinations, want 3 (a1, b1, b2)", n)
	}

	// Shard a back: it catches up with what waited.
	mgrA = start("a")
	wait("destination", "a2")
	if n := remoteCount(); n != 4 {
		t.Errorf("hookstream holds %d destinations, want 4", n)
	}

	// Move a1 from shard a to shard b while both run: shard a lets go without a write, shard b takes it over and
	// finds nothing to change.
	a1 := get("destination", "a1")
	before := emu.Stats(t)
	s.MustKubectl(t, "label", "destination", "a1", "-n", ns, "hookstream.io/shard=b", "--overwrite")
	s.MustKubectl(t, "annotate", "destination", "a1", "-n", ns, "hookstream.io/reconcile-requested-at=moved-to-b")
	harnesstest.WaitUntil(t, 20*time.Second, "shard b to check a1", func() error {
		if got := get("destination", "a1").Status.LastHandledReconcileAt; got != "moved-to-b" {
			return fmt.Errorf("status.lastHandledReconcileAt %q", got)
		}
		return nil
	})
	time.Sleep(time.Second)
	moved := harness.StatsSince(emu.Stats(t), before)
	if w := moved.Writes(); w != 0 {
		t.Errorf("moving a1 between shards wrote to hookstream %d times: %v", w, moved.Routes)
	}
	t.Logf("hookstream requests while a1 moved: %v", moved.Routes)
	after := get("destination", "a1")
	if after.Status.ID != a1.Status.ID || len(after.Metadata.Finalizers) != 1 {
		t.Errorf("a1 after the move: id %q (was %q), finalizers %v", after.Status.ID, a1.Status.ID, after.Metadata.Finalizers)
	}
	if st, reason, _ := after.condition("Ready"); st != "True" {
		t.Errorf("a1 after the move: Ready %s %s", st, reason)
	}
	if n := remoteCount(); n != 4 {
		t.Errorf("hookstream holds %d destinations after the move, want 4", n)
	}
	if strings.Contains(mgrA.Logs(), `"Deleted remote resource"`) {
		t.Errorf("shard a deleted a remote resource:\n%s", mgrA.Tail(20))
	}

	// Shard b owns a1 now: deleting it deletes the remote destination.
	// The Connection that references a1 goes first, or hookstream would refuse.
	s.MustKubectl(t, "delete", "connection", "github-to-a1", "-n", ns, "--timeout=30s")
	s.MustKubectl(t, "delete", "destination", "a1", "-n", ns, "--timeout=30s")
	if _, err := hs.GetDestination(t.Context(), a1.Status.ID); err == nil {
		t.Errorf("remote destination %s of a1 still exists after its deletion in shard b", a1.Status.ID)
	}
	if deleted := harness.StatsSince(emu.Stats(t), before); deleted.Count(emulator.RouteDeleteDestination) != 1 {
		t.Errorf("deleting a1 sent %d DELETEs, want 1: %v", deleted.Count(emulator.RouteDeleteDestination), deleted.Routes)
	}
}
