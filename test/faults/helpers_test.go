// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/emulator"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/test/harness"
	"github.com/hookstream/hookstream-operator/test/harness/harnesstest"
)

// writeRoutes are the routes whose requests change hookstream, of every kind.
var writeRoutes = slices.Concat(destinations.routes().Writes(), sources.routes().Writes(), connections.routes().Writes())

// slugOf is the explicit slug every scenario sets, so that a remote resource can be traced to its object even after
// the object is gone. A Connection has no slug: its remote name carries it (see connectionOps).
func slugOf(ns, name string) string { return ns + "-" + name }

func names(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%02d", prefix, i)
	}
	return out
}

// kubeRetry runs f until it succeeds, for at most 20 attempts: the API server may be briefly unavailable in some
// scenarios.
func kubeRetry(f func(ctx context.Context, attempt int) error) error {
	var err error
	for attempt := range 20 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = f(ctx, attempt)
		cancel()
		if err == nil {
			return nil
		}
		time.Sleep(250 * time.Millisecond)
	}
	return err
}

func createObject(k kindOps, ns, name string, sp spec) error {
	return kubeRetry(func(ctx context.Context, attempt int) error {
		obj := k.newObject()
		obj.SetNamespace(ns)
		obj.SetName(name)
		k.applySpec(obj, sp)
		setSlug(obj, slugOf(ns, name))
		err := kube.Create(ctx, obj)
		if attempt > 0 && apierrors.IsAlreadyExists(err) {
			// The previous attempt went through; only its answer was lost.
			return nil
		}
		return err
	})
}

func setSlug(obj object, slug string) {
	switch o := obj.(type) {
	case *v1.Destination:
		o.Spec.Slug = slug
	case *v1.Source:
		o.Spec.Slug = slug
	case *v1.Connection:
		// No slug: the display name of every spec version carries it.
	default:
		panic(fmt.Sprintf("no slug for %T", obj))
	}
}

func updateObject(k kindOps, ns, name string, sp spec) error {
	return kubeRetry(func(ctx context.Context, _ int) error {
		obj := k.newObject()
		if err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, obj); err != nil {
			return err
		}
		before := obj.DeepCopyObject().(object)
		k.applySpec(obj, sp)
		return kube.Patch(ctx, obj, client.MergeFrom(before))
	})
}

func deleteObject(k kindOps, ns, name string) error {
	return kubeRetry(func(ctx context.Context, attempt int) error {
		obj := k.newObject()
		obj.SetNamespace(ns)
		obj.SetName(name)
		err := kube.Delete(ctx, obj)
		if attempt > 0 && apierrors.IsNotFound(err) {
			return nil
		}
		return err
	})
}

func isGone(k kindOps, ns, name string) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, k.newObject())
	if apierrors.IsNotFound(err) {
		return true, nil
	}
	return false, err
}

// must fails the test on error.
var must = harnesstest.Must

func listObjects(k kindOps, ns string) ([]object, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	list := k.newList()
	if err := kube.List(ctx, list, client.InNamespace(ns)); err != nil {
		return nil, err
	}
	return k.items(list), nil
}

func readyForGeneration(obj object) bool {
	st := obj.GetManagedStatus()
	return harness.ReadyForGeneration(obj.GetGeneration(), st.ObservedGeneration, st.Conditions)
}

func conditionSummary(obj object) string {
	var parts []string
	for _, c := range obj.GetManagedStatus().Conditions {
		parts = append(parts, fmt.Sprintf("%s=%s/%s", c.Type, c.Status, c.Reason))
	}
	return strings.Join(parts, " ")
}

// writes counts the changes a scenario made to one kind's objects, as hookstream should see them: a POST per
// create, a PATCH per update and per create whose spec hookstream sets partly by update, a DELETE per delete.
type writes struct{ creates, updates, deletes, createPatches int }

func (w writes) ops() int { return w.creates + w.updates + w.deletes }

// kindRun is what a scenario wants of one kind's objects in its namespace, the changes it made since its
// baseline, and how convergence went.
type kindRun struct {
	k       kindOps
	ns      string
	want    map[string]spec
	deleted map[string]bool
	made    writes
	// recover is how long convergence took, once it did; converged says whether it did, and err why not.
	recover   time.Duration
	converged bool
	err       error
}

func newKindRun(t testing.TB, k kindOps, ns string) *kindRun {
	t.Helper()
	k.prepare(t, ns)
	return &kindRun{k: k, ns: ns, want: map[string]spec{}, deleted: map[string]bool{}}
}

// runsOf starts a run of every kind in ns. With Connections among the kinds, it also creates the Sources and
// Destinations they route between (connectionEnds), through the runs of those kinds, which must be among them:
// the ends are objects like any other, wanted and compared with hookstream, but scenarios never delete them (a
// change of their spec leaves the Connections as they are). They count among the changes made until the
// scenario's baseline.
func runsOf(t testing.TB, ns string, kinds ...kindOps) []*kindRun {
	t.Helper()
	var runs []*kindRun
	byKind := map[kindOps]*kindRun{}
	for _, k := range kinds {
		run := newKindRun(t, k, ns)
		runs = append(runs, run)
		byKind[k] = run
	}
	if byKind[connections] == nil {
		return runs
	}
	for _, k := range []kindOps{sources, destinations} {
		if byKind[k] == nil {
			t.Fatalf("Connections route between Sources and Destinations: runsOf needs the %s kind too", k.kind())
		}
		for _, name := range connectionEnds {
			must(t, byKind[k].create(name, 1))
		}
	}
	return runs
}

// create creates version n of the object name.
func (run *kindRun) create(name string, version int) error {
	return run.createSpec(name, run.k.specFor(run.ns, name, version))
}

// createSpec creates the object name with the spec sp.
func (run *kindRun) createSpec(name string, sp spec) error {
	if err := createObject(run.k, run.ns, name, sp); err != nil {
		return err
	}
	run.want[name] = sp
	delete(run.deleted, name)
	run.made.creates++
	run.made.createPatches += run.k.createPatches(sp)
	return nil
}

// update changes the object name to version n.
func (run *kindRun) update(name string, version int) error {
	sp := run.k.specFor(run.ns, name, version)
	if err := updateObject(run.k, run.ns, name, sp); err != nil {
		return err
	}
	run.want[name] = sp
	run.made.updates++
	return nil
}

func (run *kindRun) delete(name string) error {
	if err := deleteObject(run.k, run.ns, name); err != nil {
		return err
	}
	run.deletedNow(name)
	return nil
}

// deletedNow records that the object name was deleted.
func (run *kindRun) deletedNow(name string) {
	delete(run.want, name)
	run.deleted[name] = true
	run.made.deletes++
}

// baseline forgets the changes made so far: the scenario's fault starts now.
func (run *kindRun) baseline() {
	run.made = writes{}
	clear(run.deleted)
}

// notConverged says why the run's objects do not match what it wants yet, or returns nil: exactly the wanted
// names exist, none is being deleted, each has the wanted spec and is Ready for its generation.
func (run *kindRun) notConverged() error {
	items, err := listObjects(run.k, run.ns)
	if err != nil {
		return err
	}
	var problems []string
	seen := map[string]bool{}
	for _, obj := range items {
		name := obj.GetName()
		seen[name] = true
		sp, wanted := run.want[name]
		switch {
		case !wanted && !obj.GetDeletionTimestamp().IsZero():
			problems = append(problems, fmt.Sprintf("%s is still being deleted (%s)", name, conditionSummary(obj)))
		case !wanted:
			problems = append(problems, name+" exists but should not")
		case run.k.specOf(obj) != sp:
			problems = append(problems, fmt.Sprintf("%s has spec %+v, want %+v", name, run.k.specOf(obj), sp))
		case !readyForGeneration(obj):
			problems = append(problems, fmt.Sprintf("%s is not Ready for generation %d (%s)", name, obj.GetGeneration(), conditionSummary(obj)))
		}
	}
	for name := range run.want {
		if !seen[name] {
			problems = append(problems, name+" is missing")
		}
	}
	if len(problems) == 0 {
		return nil
	}
	slices.Sort(problems)
	more := ""
	if len(problems) > 5 {
		more = fmt.Sprintf(" (and %d more)", len(problems)-5)
		problems = problems[:5]
	}
	return fmt.Errorf("%ss: %s%s", run.k.kind(), strings.Join(problems, "; "), more)
}

// converge polls the runs together until each has converged, recording how long each took; a run that has not
// after size.recoveryLimit keeps the reason, with the tail of the process's log.
func converge(proc *harness.Process, runs ...*kindRun) {
	convergeWithin(size.recoveryLimit, proc, runs...)
}

// convergeWithin is converge with another limit than size.recoveryLimit.
func convergeWithin(limit time.Duration, proc *harness.Process, runs ...*kindRun) {
	start := time.Now()
	for _, run := range runs {
		run.converged, run.err = false, nil
	}
	for {
		pending := 0
		for _, run := range runs {
			if run.converged {
				continue
			}
			if run.err = run.notConverged(); run.err == nil {
				run.converged, run.recover = true, time.Since(start)
				continue
			}
			pending++
		}
		if pending == 0 {
			return
		}
		if time.Since(start) >= limit {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, run := range runs {
		if !run.converged {
			run.err = fmt.Errorf("not converged after %s: %w\n--- %s (%s) ---\n%s", limit, run.err, proc.Name,
				proc.LogPath, proc.Tail(40))
		}
	}
}

// waitConverged converges the runs, failing the test if one does not, and returns the longest time it took.
func waitConverged(t testing.TB, proc *harness.Process, runs ...*kindRun) time.Duration {
	t.Helper()
	converge(proc, runs...)
	var longest time.Duration
	for _, run := range runs {
		if !run.converged {
			t.Fatal(run.err)
		}
		longest = max(longest, run.recover)
	}
	return longest
}

// perKind checks each run in a subtest named after its kind, and settles the run's row by it: the row passes when
// its run converged, its subtest passed, and the test had not failed before. The row's recovery time is its run's.
func perKind(t *testing.T, runs []*kindRun, rows []*result, check func(t *testing.T, run *kindRun, r *result)) {
	t.Helper()
	shared := t.Failed()
	for i, run := range runs {
		r := rows[i]
		passed := t.Run(run.k.kind(), func(t *testing.T) {
			r.Test = t.Name()
			if !run.converged {
				t.Fatal(run.err)
			}
			r.Recover = run.recover
			check(t, run, r)
		})
		r.settle(passed && !shared)
	}
}

// tally is what a comparison of hookstream with the objects found.
type tally struct {
	Lost, Duplicated, Orphaned int
	Problems                   []string
}

func (tl *tally) problem(format string, args ...any) {
	tl.Problems = append(tl.Problems, fmt.Sprintf(format, args...))
}

func (tl *tally) addTo(r *result) {
	r.Lost += tl.Lost
	r.Duplicated += tl.Duplicated
	r.Orphaned += tl.Orphaned
}

// report fails the test for every problem found.
func (tl *tally) report(t testing.TB) {
	t.Helper()
	for _, p := range tl.Problems {
		t.Error(p)
	}
}

// settle records in r what run came to once the fault is over: whether it converged, how long that took, how many
// operations it attempted, and how hookstream compares with what it wants.
func settle(t testing.TB, r *result, hs *hookstream.Client, run *kindRun) {
	t.Helper()
	if !run.converged {
		t.Error(run.err)
	}
	r.Recover = max(r.Recover, run.recover)
	r.Attempted += run.made.ops()
	tl := compareRemote(t, hs, run)
	tl.addTo(r)
	tl.report(t)
}

// compareRemote compares hookstream with the run's objects: one remote resource per existing object, carrying its
// spec and recorded in its status, and none for the deleted ones or anything else.
func compareRemote(t testing.TB, hs *hookstream.Client, run *kindRun) tally {
	t.Helper()
	var tl tally
	k, ns, remote := run.k, run.ns, run.k.remote()
	rows := k.remoteBySlug(t, hs)
	items, err := listObjects(k, ns)
	if err != nil {
		t.Fatal(err)
	}
	objects := map[string]object{}
	for _, obj := range items {
		objects[obj.GetName()] = obj
	}
	described := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(run.want)) {
		slug := slugOf(ns, name)
		described[slug] = true
		got := rows[slug]
		if len(got) == 0 {
			tl.Lost++
			tl.problem("lost create: %s %s has no remote %s (slug %s)", k.kind(), name, remote, slug)
			continue
		}
		if len(got) > 1 {
			tl.Duplicated += len(got) - 1
			tl.problem("duplicate: slug %s has %d remote %ss", slug, len(got), remote)
		}
		row := got[0]
		if obj := objects[name]; obj == nil {
			tl.problem("%s %s is missing in Kubernetes", k.kind(), name)
		} else if id := obj.GetManagedStatus().ID; id != row.ID {
			tl.problem("%s %s: status.id %q, hookstream has %q", k.kind(), name, id, row.ID)
		}
		if diffs := row.diffs(run.want[name]); len(diffs) > 0 {
			tl.Lost++
			tl.problem("lost update: %s %s (remote %s): %s", k.kind(), name, row.ID, strings.Join(diffs, ", "))
		}
	}
	for _, slug := range slices.Sorted(maps.Keys(rows)) {
		if described[slug] {
			continue
		}
		tl.Orphaned += len(rows[slug])
		name := strings.TrimPrefix(slug, ns+"-")
		if run.deleted[name] {
			tl.Lost++
			tl.problem("lost delete: %s %s was deleted but slug %s still has %d remote %s(s)", k.kind(), name, slug, len(rows[slug]), remote)
		} else {
			tl.problem("orphan: slug %s (%d remote %ss) belongs to no %s", slug, len(rows[slug]), remote, k.kind())
		}
	}
	return tl
}

func ptrValue[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

func successes(st emulator.Stats, route string) int64 {
	var n int64
	for code, count := range st.Routes[route] {
		if code >= 200 && code < 300 {
			n += count
		}
	}
	return n
}

// describeStats renders the counts of the routes that saw requests, e.g. "POST /destinations 201×3 503×9".
func describeStats(st emulator.Stats) string {
	var parts []string
	routes := append(emulator.Routes(), emulator.RouteUnmatched)
	for _, route := range slices.Sorted(maps.Keys(st.Routes)) {
		if !slices.Contains(routes, route) {
			routes = append(routes, route)
		}
	}
	for _, route := range routes {
		codes := st.Routes[route]
		if len(codes) == 0 {
			continue
		}
		var cs []string
		for _, code := range slices.Sorted(maps.Keys(codes)) {
			cs = append(cs, fmt.Sprintf("%d×%d", code, codes[code]))
		}
		parts = append(parts, route+" "+strings.Join(cs, " "))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "; ")
}

// repeatedWrites counts the remote writes of one kind beyond the changes the run made: successful creates,
// updates and deletes above the number of each (a create whose spec hookstream sets partly by update is allowed
// one PATCH), plus creates hookstream refused with 409 (every slug belongs to one object, so a 409 means the
// operator created it before).
func repeatedWrites(st emulator.Stats, run *kindRun) (int, string) {
	rs, w := run.k.routes(), run.made
	excess := func(route string, made int) int {
		return max(0, int(successes(st, route))-made)
	}
	conflicts := int(st.CountStatus(rs.Create, http.StatusConflict))
	n := excess(rs.Create, w.creates) + excess(rs.Update, w.updates+w.createPatches) + excess(rs.Delete, w.deletes) + conflicts
	return n, fmt.Sprintf("remote writes: %d successful POST for %d creates (%d answered 409), %d successful PATCH for %d "+
		"updates and %d creates that need one, %d successful DELETE for %d deletes (%d answered 404)",
		successes(st, rs.Create), w.creates, conflicts, successes(st, rs.Update), w.updates, w.createPatches,
		successes(st, rs.Delete), w.deletes, st.CountStatus(rs.Delete, http.StatusNotFound))
}

// checkRepeatedWrites adds the repeated writes of the run since before to the row, and fails the test for any.
func checkRepeatedWrites(t testing.TB, r *result, st emulator.Stats, run *kindRun) {
	t.Helper()
	repeated, writes := repeatedWrites(st, run)
	r.Duplicated += repeated
	r.note("%s %s", run.k.kind(), writes)
	if repeated > 0 {
		t.Errorf("%d repeated remote writes of %ss: %s", repeated, run.k.kind(), writes)
	}
}

// kindStats keeps the counts of one kind's routes.
func kindStats(st emulator.Stats, k kindOps) emulator.Stats {
	out := emulator.Stats{Routes: map[string]map[int]int64{}}
	prefix := k.routes().Collection()
	for route, codes := range st.Routes {
		if _, path, _ := strings.Cut(route, " "); path == prefix || strings.HasPrefix(path, prefix+"/") {
			out.Routes[route] = codes
		}
	}
	return out
}

// kindOfPath is the kind whose API collection a request path (/v1/sources/...) is in, or nil.
func kindOfPath(path string) kindOps {
	for _, k := range allKinds {
		collection := "/v1" + k.routes().Collection()
		if path == collection || strings.HasPrefix(path, collection+"/") {
			return k
		}
	}
	return nil
}

// arrivalsBetween returns the arrival times of the requests that arrived in [from, to).
func arrivalsBetween(reqs []harness.Request, from, to time.Time) []time.Time {
	var out []time.Time
	for _, r := range reqs {
		if !r.Start.Before(from) && r.Start.Before(to) {
			out = append(out, r.Start)
		}
	}
	return out
}

// maxInWindow is the largest number of the sorted times that fit in any window of length w.
func maxInWindow(times []time.Time, w time.Duration) int {
	best, lo := 0, 0
	for hi := range times {
		for times[hi].Sub(times[lo]) >= w {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

// backoffAttempts is the most reconciles of one object that controller-runtime's per-item exponential backoff
// (5 ms doubling up to 1000 s) allows in d when every one fails: attempt k starts no earlier than 5 ms·(2^k − 1)
// after the first. With a priority queue, as this controller uses, controller-runtime v0.25 sets no overall 10 qps
// bucket, so the per-item limit is the only one.
func backoffAttempts(d time.Duration) int {
	return 1 + int(math.Floor(math.Log2(float64(d)/float64(5*time.Millisecond)+1)))
}

func total(counts map[string]int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

// metricsClient opens a new connection for every scrape, so that scraping keeps no goroutine busy in the manager.
var metricsClient = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

// scrape reads one metric from a Prometheus text endpoint, adding up its samples across labels.
func scrape(metricsURL, name string) (float64, error) {
	samples, err := harness.ScrapeMetrics(context.Background(), metricsClient, metricsURL)
	if err != nil {
		return 0, err
	}
	sum, found := samples.Sum(name, nil)
	if !found {
		return 0, fmt.Errorf("%s has no metric %s", metricsURL, name)
	}
	return sum, nil
}

// releases describes, from the manager's metrics, how many retries after a hookstream failure were brought forward
// for kind ("": every kind): when a key recovered, or as a probe of a key that was down.
func releases(metricsURL, kind string) string {
	samples, err := harness.ScrapeMetrics(context.Background(), metricsClient, metricsURL)
	if err != nil {
		return fmt.Sprintf("retries brought forward: cannot scrape the manager: %v", err)
	}
	count := func(trigger string) float64 {
		match := map[string]string{"trigger": trigger}
		if kind != "" {
			match["kind"] = kind
		}
		n, _ := samples.Sum("hookstream_recovery_releases_total", match)
		return n
	}
	return fmt.Sprintf("retries brought forward out of their backoff: %.0f when the API key recovered, %.0f as probes "+
		"of the key while it was down, %.0f with the budget of the key left unused while it was up", count("recovered"),
		count("probe"), count("idle"))
}

// annotateAll sets the reconcile-requested-at annotation on every object of the kinds in ns, asking for a check now.
func annotateAll(t testing.TB, ns, value string, kinds ...kindOps) {
	t.Helper()
	for _, k := range kinds {
		items, err := listObjects(k, ns)
		must(t, err)
		for _, obj := range items {
			before := obj.DeepCopyObject().(object)
			annotations := obj.GetAnnotations()
			if annotations == nil {
				annotations = map[string]string{}
			}
			annotations[v1.AnnotationReconcileRequestedAt] = value
			obj.SetAnnotations(annotations)
			must(t, kube.Patch(context.Background(), obj, client.MergeFrom(before)))
		}
	}
}

// waitAll polls until check accepts every object of the kinds in ns (at least one of each), failing after limit.
func waitAll(t testing.TB, ns string, limit time.Duration, what string, check func(obj object) error, kinds ...kindOps) {
	t.Helper()
	harnesstest.WaitUntil(t, limit, what, func() error {
		for _, k := range kinds {
			items, err := listObjects(k, ns)
			if err != nil {
				return err
			}
			if len(items) == 0 {
				return fmt.Errorf("no %ss", k.kind())
			}
			for _, obj := range items {
				if err := check(obj); err != nil {
					return fmt.Errorf("%s %s: %w", k.kind(), obj.GetName(), err)
				}
			}
		}
		return nil
	})
}

// hasCondition checks one condition's status and reason.
func hasCondition(obj object, condType string, status metav1.ConditionStatus, reason string) error {
	c := meta.FindStatusCondition(obj.GetManagedStatus().Conditions, condType)
	if c == nil {
		return fmt.Errorf("no %s condition (%s)", condType, conditionSummary(obj))
	}
	if c.Status != status || (reason != "" && c.Reason != reason) {
		return fmt.Errorf("%s=%s/%s, want %s/%s", condType, c.Status, c.Reason, status, reason)
	}
	return nil
}

// checkNoPanic fails the test when a process log shows a panic, recovered by controller-runtime or not.
func checkNoPanic(t testing.TB, procs ...*harness.Process) {
	t.Helper()
	for _, p := range procs {
		logs := p.Logs()
		if strings.Contains(logs, "panic: ") || strings.Contains(logs, "Observed a panic") {
			t.Errorf("%s (%s) panicked:\n%s", p.Name, p.LogPath, p.Tail(60))
		}
	}
}

// adoptions counts the manager log lines saying that a create whose result was not recorded was found by its key,
// for objects of kind k, and the distinct objects they name.
func adoptions(k kindOps, procs ...*harness.Process) (lines int, objects int) {
	seen := map[string]bool{}
	key := strings.ToLower(k.kind())
	for _, p := range procs {
		for line := range strings.SplitSeq(p.Logs(), "\n") {
			if !strings.Contains(line, "Found the remote resource of an unrecorded create") {
				continue
			}
			var entry map[string]json.RawMessage
			if json.Unmarshal([]byte(line), &entry) != nil || entry[key] == nil {
				continue
			}
			var ref struct{ Namespace, Name string }
			if json.Unmarshal(entry[key], &ref) == nil {
				lines++
				seen[ref.Namespace+"/"+ref.Name] = true
			}
		}
	}
	return lines, len(seen)
}
