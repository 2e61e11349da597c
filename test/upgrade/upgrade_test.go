// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

// Package upgrade replaces the manager and CRDs of an earlier commit (hack/upgrade-from) with the current ones
// under N objects of every kind, then goes back, and counts what hookstream and the objects saw: remote writes,
// Ready flaps and hookstream calls. It takes minutes, so it runs only with HOOKSTREAM_TEST_UPGRADE=1:
// `make test-upgrade` (UPGRADE_N objects of each kind, default 500). docs/upgrading.md describes it.
package upgrade

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/emulator"
	"github.com/hookstream/hookstream-operator/test/harness"
	"github.com/hookstream/hookstream-operator/test/harness/harnesstest"
)

// kind is one kind the test creates N objects of, with the emulator's routes it counts.
type kind struct {
	name, resource, prefix string
	routes                 harness.RouteSet
	newObject              func(ns string, i int, url string) client.Object
}

var kinds = []kind{
	{name: "Source", resource: "sources", prefix: "s", routes: harness.SourceRoutes,
		newObject: func(ns string, i int, _ string) client.Object {
			return &v1.Source{ObjectMeta: metav1.ObjectMeta{Name: objectName("s", i), Namespace: ns}}
		}},
	{name: "Destination", resource: "destinations", prefix: "d", routes: harness.DestinationRoutes,
		newObject: func(ns string, i int, url string) client.Object {
			return &v1.Destination{ObjectMeta: metav1.ObjectMeta{Name: objectName("d", i), Namespace: ns},
				Spec: v1.DestinationSpec{HTTP: &v1.HTTPDestination{URL: url}}}
		}},
	{name: "Connection", resource: "connections", prefix: "c", routes: harness.ConnectionRoutes,
		newObject: func(ns string, i int, _ string) client.Object {
			return &v1.Connection{ObjectMeta: metav1.ObjectMeta{Name: objectName("c", i), Namespace: ns},
				Spec: v1.ConnectionSpec{
					SourceRef:      &v1.EndReference{Name: objectName("s", i)},
					DestinationRef: &v1.EndReference{Name: objectName("d", i)},
				}}
		}},
}

func objectName(prefix string, i int) string { return fmt.Sprintf("%s%05d", prefix, i) }

// config is what the environment sets.
type config struct {
	n int
	// drift is the managers' --drift-interval, and the window whose calls are counted after each switch; refresh
	// is the --status-refresh-interval, a tenth of it as the defaults are (10m and 1m).
	drift, refresh time.Duration
}

func loadConfig(t *testing.T) config {
	c := config{n: 500, drift: time.Minute}
	if v := os.Getenv("UPGRADE_N"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("UPGRADE_N=%q: want a positive number", v)
		}
		c.n = n
	}
	if v := os.Getenv("UPGRADE_DRIFT_INTERVAL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 10*time.Second {
			t.Fatalf("UPGRADE_DRIFT_INTERVAL=%q: want a duration of 10s or more", v)
		}
		c.drift = d
	}
	c.refresh = c.drift / 10
	return c
}

// delivered is how many routes get a webhook delivered before the upgrade: 1 %, at least one. Their
// Destinations have a delivery in their hookstream row, so their circuit, never read by the earlier manager, takes
// one read each after the upgrade; every other Destination's is known closed from its row.
func (c config) delivered() int { return (c.n + 99) / 100 }

// pages is the list calls of one full listing of a kind: ceil(N/100), at 100 rows a page.
func (c config) pages() int { return (c.n + 99) / 100 }

// build is a manager with the CRDs and RBAC it ships with.
type build struct {
	name                string
	manager, crds, rbac string
	refreshFlag         bool // the manager has --status-refresh-interval
	commit              string
}

func TestUpgradeAndDowngrade(t *testing.T) {
	if os.Getenv("HOOKSTREAM_TEST_UPGRADE") != "1" {
		t.Skip("set HOOKSTREAM_TEST_UPGRADE=1 (make test-upgrade) to upgrade from hack/upgrade-from and back")
	}
	ctrllog.SetLogger(logr.Discard())
	began := time.Now()
	cfg := loadConfig(t)
	ctx := context.Background()
	old := buildEarlier(t)
	env, err := harness.Start(harness.Options{ServiceAccount: true, CRDDir: old.crds, RBACDir: old.rbac})
	harnesstest.Must(t, err)
	t.Cleanup(func() { _ = env.Stop() })
	current := build{name: "current", manager: env.ManagerBin, refreshFlag: true}
	s := harnesstest.Env{Env: env}
	emu := s.StartEmulator(t)
	rcv := harnesstest.NewReceiver(t)
	ns := s.NewNamespace(t, "upgrade")
	kube, err := client.New(env.ControlPlane.Config, client.Options{Scheme: env.ControlPlane.Scheme})
	harnesstest.Must(t, err)
	hc, err := rest.HTTPClientFor(env.ControlPlane.Config)
	harnesstest.Must(t, err)
	t.Logf("upgrade from %s: N=%d of each kind, drift interval %s, status refresh %s", old.commit, cfg.n,
		cfg.drift, cfg.refresh)

	watchCtx, stopWatches := context.WithCancel(ctx)
	defer stopWatches()
	watches := map[string]*harness.ReadyWatch{}
	for _, k := range kinds {
		url := harness.KindURL(env.ControlPlane.Config.Host, ns, k.resource)
		// The API server answers 429 while the watch cache of a CRD it just learnt of initialises.
		harnesstest.WaitUntil(t, 30*time.Second, "a list of "+k.resource, func() error {
			_, err := harness.ListReadyItems(ctx, hc, url)
			return err
		})
		watches[k.name] = harness.WatchReady(watchCtx, hc, url)
	}

	mgr := startManager(t, s, emu, ns, old, cfg)
	created := time.Now()
	createRoutes(t, kube, ns, cfg, rcv.URL)
	waitAllReady(t, watches, cfg.n, 10*time.Minute+time.Duration(cfg.n)*time.Second, mgr)
	t.Logf("%d objects of each kind Ready on the earlier manager after %s", cfg.n, time.Since(created).Round(time.Second))
	deliver(t, kube, emu, ns, cfg.delivered())
	// The earlier manager's drift checks mirror the deliveries' counters into status, as it would have done in the
	// cluster long before an upgrade: within two drift intervals (jittered by 10 %), as a check may read a list
	// taken before the deliveries.
	waitDeliveriesInStatus(t, kube, ns, cfg.delivered(), 2*cfg.drift+cfg.drift/5+30*time.Second, mgr)

	flapsBefore := flapCount(watches)
	up := switchTo(t, s, emu, ns, mgr, current, "", "", cfg)
	waitCircuitsFilled(t, kube, ns, cfg, up.proc)
	up.finish(t, emu, watches, flapsBefore, cfg.n)

	flapsBefore = flapCount(watches)
	down := switchTo(t, s, emu, ns, up.proc, old, old.crds, old.rbac, cfg)
	down.finish(t, emu, watches, flapsBefore, cfg.n)
	down.proc.Stop()

	fmt.Printf("\nUpgrade from %s to the current tree and back, N=%d of each kind (%s in all)\n", old.commit, cfg.n,
		time.Since(began).Round(time.Second))
	printFigures(os.Stdout, cfg, []*phase{up, down})
	for _, p := range []*phase{up, down} {
		p.check(t, cfg)
	}
}

// buildEarlier builds (or finds in the cache) the manager of hack/upgrade-from with its CRDs and RBAC.
func buildEarlier(t *testing.T) build {
	root, err := filepath.Abs("../..")
	harnesstest.Must(t, err)
	cmd := exec.Command(filepath.Join(root, "hack", "build-at-commit.sh"))
	cmd.Dir = root
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("hack/build-at-commit.sh: %v", err)
	}
	dir := strings.TrimSpace(string(out))
	b := build{name: "earlier", manager: filepath.Join(dir, "manager"), crds: filepath.Join(dir, "crd"),
		rbac: filepath.Join(dir, "rbac"), commit: filepath.Base(dir)[:12]}
	help, _ := exec.Command(b.manager, "--help").CombinedOutput()
	b.refreshFlag = strings.Contains(string(help), "-status-refresh-interval")
	return b
}

// startManager runs a build's manager for the namespace with the test's intervals.
func startManager(t *testing.T, s harnesstest.Env, emu *harnesstest.Emulator, ns string, b build,
	cfg config) *harness.Process {
	args := []string{"--drift-interval", cfg.drift.String()}
	if b.refreshFlag {
		args = append(args, "--status-refresh-interval", cfg.refresh.String())
	}
	p, err := s.StartManagerBinary(b.manager, emu.Emulator, ns, args...)
	harnesstest.Must(t, err)
	return p
}

// createRoutes creates N Sources, Destinations and Connections, Connection i joining Source i to Destination i;
// the first cfg.delivered() Destinations deliver to url, the others to an address nothing is sent to.
func createRoutes(t *testing.T, kube client.Client, ns string, cfg config, url string) {
	jobs := make(chan int)
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range jobs {
				to := fmt.Sprintf("https://receiver.example.com/hooks/%d", i)
				if i < cfg.delivered() {
					to = url + "/hooks"
				}
				for _, k := range kinds {
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					err := kube.Create(ctx, k.newObject(ns, i, to))
					cancel()
					if err != nil {
						errs <- fmt.Errorf("creating %s %d: %w", k.name, i, err)
						for range jobs {
						}
						return
					}
				}
			}
		})
	}
	for i := range cfg.n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
}

// waitAllReady waits until the watches count n Ready objects of every kind.
func waitAllReady(t *testing.T, watches map[string]*harness.ReadyWatch, n int, limit time.Duration, mgr *harness.Process) {
	harnesstest.WaitUntil(t, limit, "every object Ready", func() error {
		if mgr.Exited() {
			t.Fatalf("the manager exited:\n%s", mgr.Tail(40))
		}
		var missing []string
		for _, k := range kinds {
			ready, _, _, err := watches[k.name].State()
			if err != nil {
				t.Fatal(err)
			}
			if ready != n {
				missing = append(missing, fmt.Sprintf("%d of %d %ss", ready, n, k.name))
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("Ready: %s", strings.Join(missing, ", "))
		}
		return nil
	})
}

// deliver has the emulator deliver one event to each of the first count Destinations.
func deliver(t *testing.T, kube client.Client, emu *harnesstest.Emulator, ns string, count int) {
	for i := range count {
		var d v1.Destination
		harnesstest.Must(t, kube.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: objectName("d", i)}, &d))
		var res emulator.DeliveryResult
		emu.Admin(t, http.MethodPost, "/_emulator/destinations/"+d.Status.ID+"/deliveries", map[string]int{"count": 1}, &res)
		if res.Succeeded != 1 || res.CircuitState != emulator.CircuitClosed {
			t.Fatalf("a delivery to the receiver of %s: %+v, want one success and a closed circuit", d.Name, res)
		}
	}
}

// waitDeliveriesInStatus waits until count Destinations show a delivery in status.
func waitDeliveriesInStatus(t *testing.T, kube client.Client, ns string, count int, limit time.Duration,
	mgr *harness.Process) {
	harnesstest.WaitUntil(t, limit, "the deliveries in status", func() error {
		if mgr.Exited() {
			t.Fatalf("the manager exited:\n%s", mgr.Tail(40))
		}
		var list v1.DestinationList
		if err := kube.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
			return err
		}
		n := 0
		for i := range list.Items {
			if list.Items[i].Status.LastDeliveryAt != nil {
				n++
			}
		}
		if n < count {
			return fmt.Errorf("%d of %d Destinations show their delivery", n, count)
		}
		return nil
	})
}

// phase is one switch of manager and CRDs and what followed it.
type phase struct {
	name     string
	to       build
	proc     *harness.Process
	started  time.Time
	before   emulator.Stats
	window   emulator.Stats // the calls of the first drift interval after the switch
	all      emulator.Stats // the calls from the switch until the phase ended
	duration time.Duration
	flaps    []harness.Flap
	// requests are the emulator's log of the window's requests, to tell when reads of single rows happened.
	requests []harness.Request
	// gaps counts the times a watch had to start again from the current objects during the phase: a flap that
	// began and ended within such a gap would go unseen.
	gaps int
}

// switchTo stops the running manager, applies the CRDs of crds and the RBAC of rbac ("" for the current tree's)
// and starts the manager of b, then counts the calls of its first drift interval.
func switchTo(t *testing.T, s harnesstest.Env, emu *harnesstest.Emulator, ns string, running *harness.Process,
	b build, crds, rbac string, cfg config) *phase {
	name := "upgrade"
	if b.name != "current" {
		name = "downgrade"
	}
	running.Stop()
	p := &phase{name: name, to: b, before: emu.Stats(t)}
	harnesstest.Must(t, s.ApplyCRDs(crds))
	harnesstest.Must(t, s.ApplyRBAC(rbac))
	p.started = time.Now()
	p.proc = startManager(t, s, emu, ns, b, cfg)
	t.Logf("%s: manager and CRDs replaced; counting hookstream calls for %s", name, cfg.drift)
	time.Sleep(cfg.drift)
	if p.proc.Exited() {
		t.Fatalf("%s: the manager exited:\n%s", name, p.proc.Tail(40))
	}
	p.window = harness.StatsSince(emu.Stats(t), p.before)
	for _, q := range emu.Requests(t) {
		if !q.Start.Before(p.started) && q.Start.Before(p.started.Add(cfg.drift)) {
			p.requests = append(p.requests, q)
		}
	}
	return p
}

// finish records the calls of the whole phase and the flaps the watches saw since flapsBefore (flapCount), and
// checks that the watches still follow every object, all of them Ready.
func (p *phase) finish(t *testing.T, emu *harnesstest.Emulator, watches map[string]*harness.ReadyWatch,
	flapsBefore map[string]int, n int) {
	p.all = harness.StatsSince(emu.Stats(t), p.before)
	p.duration = time.Since(p.started)
	for _, k := range kinds {
		p.flaps = append(p.flaps, watches[k.name].Flaps()[flapsBefore[k.name]:]...)
		p.gaps += watches[k.name].Gaps() - flapsBefore["gaps "+k.name]
		ready, _, _, err := watches[k.name].State()
		if err != nil {
			t.Fatalf("%s: the watch of %s stopped, so flaps may have gone unseen: %v", p.name, k.resource, err)
		}
		if ready != n {
			t.Errorf("%s: %d of %d %ss Ready for their generation at the end", p.name, ready, n, k.name)
		}
	}
}

// flapCount returns how many flaps each kind's watch has seen so far, by kind, and its gaps, by "gaps " and kind.
func flapCount(watches map[string]*harness.ReadyWatch) map[string]int {
	n := map[string]int{}
	for _, k := range kinds {
		n[k.name] = len(watches[k.name].Flaps())
		n["gaps "+k.name] = watches[k.name].Gaps()
	}
	return n
}

// waitCircuitsFilled waits until every Destination has status.circuit: those without a delivery from their list
// row, the others by one read each, within a drift interval and a refresh after the window.
func waitCircuitsFilled(t *testing.T, kube client.Client, ns string, cfg config, mgr *harness.Process) {
	harnesstest.WaitUntil(t, cfg.drift/5+2*cfg.refresh+10*time.Second, "every Destination's circuit in status", func() error {
		if mgr.Exited() {
			t.Fatalf("the manager exited:\n%s", mgr.Tail(40))
		}
		var list v1.DestinationList
		if err := kube.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
			return err
		}
		missing := 0
		for i := range list.Items {
			if list.Items[i].Status.Circuit == nil {
				missing++
			}
		}
		if missing > 0 {
			return fmt.Errorf("%d of %d Destinations have no status.circuit", missing, len(list.Items))
		}
		return nil
	})
}

// allowance is what the first drift interval after a switch may call, per kind: for each listing the manager's
// configuration schedules in it (the drift checks' one, and one per status refresh) ceil(N/100) list pages, no
// read of a single row (nothing changed), and, for Destinations after the upgrade, one circuit read per Destination
// that had a delivery (status.circuit is new to them and their row cannot say it is closed).
func (p *phase) allowedPages(cfg config) int {
	listings := 1
	if p.to.refreshFlag {
		listings += int(cfg.drift / cfg.refresh)
	}
	return listings * cfg.pages()
}

// allowedReads is how many reads of single rows of the kind the window may hold: none, as nothing changed. The
// earlier manager, whose code is frozen, reads a row by id when a drift check comes while its key's first list is
// still under way; those reads are counted apart and allowed to it only.
func (p *phase) allowedReads(k kind) int {
	if p.to.name == "current" {
		return 0
	}
	return p.readsDuringFirstList(k)
}

// readsDuringFirstList counts the window's reads of single rows of the kind that began between the start of its
// first list page and the end of the last page of that listing (pages less than a second apart): the drift checks
// read a row by id when their key has no list yet and one is under way.
func (p *phase) readsDuringFirstList(k kind) int {
	collection := "/v1" + k.routes.Collection()
	var first, last time.Time
	for _, q := range p.requests {
		if q.Method != http.MethodGet || q.Path != collection {
			continue
		}
		if !first.IsZero() && q.Start.Sub(last) > time.Second {
			break
		}
		if first.IsZero() {
			first = q.Start
		}
		last = q.End
	}
	n := 0
	for _, q := range p.requests {
		if q.Method == http.MethodGet && strings.HasPrefix(q.Path, collection+"/") &&
			!strings.Contains(strings.TrimPrefix(q.Path, collection+"/"), "/") &&
			!q.Start.Before(first) && !q.Start.After(last) {
			n++
		}
	}
	return n
}

func (p *phase) allowedCircuitReads(cfg config) int {
	if p.to.name == "current" {
		return cfg.delivered()
	}
	return 0
}

func (p *phase) check(t *testing.T, cfg config) {
	if w := p.all.Writes(); w != 0 {
		t.Errorf("%s: %d hookstream writes, want 0: %v", p.name, w, p.all.Routes)
	}
	if len(p.flaps) != 0 {
		t.Errorf("%s: %d Ready flaps, want 0; first: %+v", p.name, len(p.flaps), p.flaps[0])
	}
	for _, k := range kinds {
		if n := p.window.Count(k.routes.List); n > int64(p.allowedPages(cfg)) {
			t.Errorf("%s: %d list calls of %s in the first %s, allowed %d", p.name, n, k.resource, cfg.drift,
				p.allowedPages(cfg))
		}
		if n := p.window.Count(k.routes.Get); n > int64(p.allowedReads(k)) {
			t.Errorf("%s: %d reads of single %s in the first %s, allowed %d; %d of them began while the first list "+
				"of %s after the switch was under way (a drift check reads its row by id while its key has no list "+
				"yet: internal/managed/snapshot.go)", p.name, n, k.resource, cfg.drift, p.allowedReads(k),
				p.readsDuringFirstList(k), k.resource)
		}
	}
	if n := p.all.Count(emulator.RouteGetCircuit); n > int64(p.allowedCircuitReads(cfg)) {
		t.Errorf("%s: %d circuit reads, allowed %d (one per Destination with a delivery)", p.name, n,
			p.allowedCircuitReads(cfg))
	}
}

// printFigures prints the figures of each phase.
func printFigures(w *os.File, cfg config, phases []*phase) {
	fmt.Fprintf(w, "Calls counted in the first drift interval after the switch (%s; status refresh every %s): list "+
		"pages (one listing = %d pages) and reads of single rows, each as counted/allowed, per kind, and all calls; "+
		"writes, circuit reads, flaps "+
		"and the Ready watches' restarts from the current objects (gaps) over the whole phase.\n",
		cfg.drift, cfg.refresh, cfg.pages())
	fmt.Fprintf(w, "%-10s %-8s %6s %6s %8s", "direction", "manager", "writes", "flaps", "circuit")
	for _, k := range kinds {
		fmt.Fprintf(w, " %22s", k.name+" lists gets")
	}
	fmt.Fprintf(w, " %6s %5s %8s\n", "total", "gaps", "phase")
	for _, p := range phases {
		fmt.Fprintf(w, "%-10s %-8s %6d %6d %8s", p.name, p.to.name, p.all.Writes(), len(p.flaps),
			fmt.Sprintf("%d/%d", p.all.Count(emulator.RouteGetCircuit), p.allowedCircuitReads(cfg)))
		for _, k := range kinds {
			fmt.Fprintf(w, " %22s", fmt.Sprintf("%d/%d %d/%d", p.window.Count(k.routes.List), p.allowedPages(cfg),
				p.window.Count(k.routes.Get), p.allowedReads(k)))
		}
		fmt.Fprintf(w, " %6d %5d %8s\n", p.window.Total(), p.gaps, p.duration.Round(time.Second))
	}
}
