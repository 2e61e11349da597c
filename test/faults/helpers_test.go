/*
Copyright 2026.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package faults

import (
	"context"
	"encoding/json"
	"errors"
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

// writeRoutes are the routes whose requests change hookstream.
var writeRoutes = []string{emulator.RouteCreateDestination, emulator.RouteUpdateDestination, emulator.RouteDeleteDestination}

// spec is the part of a Destination's spec that the scenarios change and then look for in hookstream.
type spec struct {
	DisplayName string
	URL         string
	MaxAttempts int32
}

// specFor is version n of a Destination's spec: every version differs from the previous one in all three fields.
func specFor(name string, version int) spec {
	return spec{
		DisplayName: fmt.Sprintf("%s v%d", name, version),
		URL:         fmt.Sprintf("https://receiver.example.com/%s/v%d", name, version),
		MaxAttempts: int32(1 + version%10),
	}
}

func (sp spec) applyTo(d *v1.Destination) {
	d.Spec.DisplayName = sp.DisplayName
	d.Spec.HTTP = &v1.HTTPDestination{URL: sp.URL}
	d.Spec.Retry = &v1.RetryPolicy{MaxAttempts: new(sp.MaxAttempts)}
}

func specOf(d *v1.Destination) spec {
	sp := spec{DisplayName: d.Spec.DisplayName}
	if d.Spec.HTTP != nil {
		sp.URL = d.Spec.HTTP.URL
	}
	if d.Spec.Retry != nil && d.Spec.Retry.MaxAttempts != nil {
		sp.MaxAttempts = *d.Spec.Retry.MaxAttempts
	}
	return sp
}

// slugOf is the explicit slug every scenario sets, so that a remote destination can be traced to its Destination
// even after the Destination is gone.
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

func createDestination(ns, name string, sp spec) error {
	return kubeRetry(func(ctx context.Context, attempt int) error {
		d := &v1.Destination{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
		d.Spec.Slug = slugOf(ns, name)
		sp.applyTo(d)
		err := kube.Create(ctx, d)
		if attempt > 0 && apierrors.IsAlreadyExists(err) {
			// The previous attempt went through; only its answer was lost.
			return nil
		}
		return err
	})
}

func updateDestination(ns, name string, sp spec) error {
	return kubeRetry(func(ctx context.Context, _ int) error {
		d := &v1.Destination{}
		if err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, d); err != nil {
			return err
		}
		before := d.DeepCopy()
		sp.applyTo(d)
		return kube.Patch(ctx, d, client.MergeFrom(before))
	})
}

func deleteDestination(ns, name string) error {
	return kubeRetry(func(ctx context.Context, attempt int) error {
		err := kube.Delete(ctx, &v1.Destination{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}})
		if attempt > 0 && apierrors.IsNotFound(err) {
			return nil
		}
		return err
	})
}

// must fails the test on error.
var must = harnesstest.Must

func listDestinations(ns string) ([]v1.Destination, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	list := &v1.DestinationList{}
	if err := kube.List(ctx, list, client.InNamespace(ns)); err != nil {
		return nil, err
	}
	return list.Items, nil
}

func readyForGeneration(d *v1.Destination) bool {
	return harness.ReadyForGeneration(d.Generation, d.Status.ObservedGeneration, d.Status.Conditions)
}

func conditionSummary(d *v1.Destination) string {
	var parts []string
	for _, c := range d.Status.Conditions {
		parts = append(parts, fmt.Sprintf("%s=%s/%s", c.Type, c.Status, c.Reason))
	}
	return strings.Join(parts, " ")
}

// notConverged says why the Destinations of ns do not match want yet, or returns nil: exactly the names of want
// exist, none is being deleted, each has the wanted spec and is Ready for its generation.
func notConverged(ns string, want map[string]spec) error {
	items, err := listDestinations(ns)
	if err != nil {
		return err
	}
	var problems []string
	seen := map[string]bool{}
	for i := range items {
		d := &items[i]
		seen[d.Name] = true
		sp, wanted := want[d.Name]
		switch {
		case !wanted && !d.DeletionTimestamp.IsZero():
			problems = append(problems, fmt.Sprintf("%s is still being deleted (%s)", d.Name, conditionSummary(d)))
		case !wanted:
			problems = append(problems, d.Name+" exists but should not")
		case specOf(d) != sp:
			problems = append(problems, fmt.Sprintf("%s has spec %+v, want %+v", d.Name, specOf(d), sp))
		case !readyForGeneration(d):
			problems = append(problems, fmt.Sprintf("%s is not Ready for generation %d (%s)", d.Name, d.Generation, conditionSummary(d)))
		}
	}
	for name := range want {
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
	return errors.New(strings.Join(problems, "; ") + more)
}

// waitConverged polls until notConverged is nil and returns how long that took; the test fails after
// size.recoveryLimit, with the tails of the given processes' logs.
func waitConverged(t testing.TB, ns string, want map[string]spec, procs ...*harness.Process) time.Duration {
	t.Helper()
	start := time.Now()
	var err error
	for time.Since(start) < size.recoveryLimit {
		if err = notConverged(ns, want); err == nil {
			return time.Since(start)
		}
		time.Sleep(200 * time.Millisecond)
	}
	var logs strings.Builder
	for _, p := range procs {
		fmt.Fprintf(&logs, "\n--- %s (%s) ---\n%s", p.Name, p.LogPath, p.Tail(40))
	}
	t.Fatalf("not converged after %s: %v%s", size.recoveryLimit, err, logs.String())
	return 0
}

// tally is what a comparison of hookstream with the Destinations found.
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

// compareRemote compares hookstream with the Destinations: one remote destination per existing Destination,
// carrying its spec and recorded in its status, and none for the deleted ones or anything else.
func compareRemote(t testing.TB, hs *hookstream.Client, ns string, want map[string]spec, deleted map[string]bool) tally {
	t.Helper()
	var tl tally
	rows := harnesstest.RemoteBySlug(t, hs)
	items, err := listDestinations(ns)
	if err != nil {
		t.Fatal(err)
	}
	objects := map[string]*v1.Destination{}
	for i := range items {
		objects[items[i].Name] = &items[i]
	}
	described := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(want)) {
		sp := want[name]
		slug := slugOf(ns, name)
		described[slug] = true
		got := rows[slug]
		if len(got) == 0 {
			tl.Lost++
			tl.problem("lost create: %s has no remote destination (slug %s)", name, slug)
			continue
		}
		if len(got) > 1 {
			tl.Duplicated += len(got) - 1
			tl.problem("duplicate: slug %s has %d remote destinations", slug, len(got))
		}
		remote := got[0]
		if d := objects[name]; d == nil {
			tl.problem("%s is missing in Kubernetes", name)
		} else if d.Status.ID != remote.ID {
			tl.problem("%s: status.id %q, hookstream has %q", name, d.Status.ID, remote.ID)
		}
		var diffs []string
		if remote.Name != sp.DisplayName {
			diffs = append(diffs, fmt.Sprintf("name %q want %q", remote.Name, sp.DisplayName))
		}
		if remote.URL != sp.URL {
			diffs = append(diffs, fmt.Sprintf("url %q want %q", remote.URL, sp.URL))
		}
		if remote.RetryMaxAttempts == nil || *remote.RetryMaxAttempts != int(sp.MaxAttempts) {
			diffs = append(diffs, fmt.Sprintf("retry_max_attempts %v want %d", ptrValue(remote.RetryMaxAttempts), sp.MaxAttempts))
		}
		if len(diffs) > 0 {
			tl.Lost++
			tl.problem("lost update: %s (remote %s): %s", name, remote.ID, strings.Join(diffs, ", "))
		}
	}
	for _, slug := range slices.Sorted(maps.Keys(rows)) {
		if described[slug] {
			continue
		}
		tl.Orphaned += len(rows[slug])
		name := strings.TrimPrefix(slug, ns+"-")
		if deleted[name] {
			tl.Lost++
			tl.problem("lost delete: %s was deleted but slug %s still has %d remote destination(s)", name, slug, len(rows[slug]))
		} else {
			tl.problem("orphan: slug %s (%d remote destinations) belongs to no Destination", slug, len(rows[slug]))
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
	for _, route := range append(emulator.Routes(), emulator.RouteUnmatched) {
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

// repeatedWrites counts remote writes beyond the changes made: successful creates, updates and deletes above the
// number of each, plus creates hookstream refused with 409 (every slug belongs to one Destination, so a 409 means
// the operator created it before).
func repeatedWrites(st emulator.Stats, creates, updates, deletes int) (int, string) {
	excess := func(route string, made int) int {
		return max(0, int(successes(st, route))-made)
	}
	conflicts := int(st.CountStatus(emulator.RouteCreateDestination, http.StatusConflict))
	n := excess(emulator.RouteCreateDestination, creates) + excess(emulator.RouteUpdateDestination, updates) +
		excess(emulator.RouteDeleteDestination, deletes) + conflicts
	return n, fmt.Sprintf("remote writes: %d successful POST for %d creates (%d answered 409), %d successful PATCH for %d "+
		"updates, %d successful DELETE for %d deletes (%d answered 404)",
		successes(st, emulator.RouteCreateDestination), creates, conflicts,
		successes(st, emulator.RouteUpdateDestination), updates,
		successes(st, emulator.RouteDeleteDestination), deletes, st.CountStatus(emulator.RouteDeleteDestination, http.StatusNotFound))
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

// annotateAll sets the reconcile-requested-at annotation on every Destination of ns, asking for a check now.
func annotateAll(t testing.TB, ns, value string) {
	t.Helper()
	items, err := listDestinations(ns)
	must(t, err)
	for i := range items {
		d := &items[i]
		before := d.DeepCopy()
		metav1.SetMetaDataAnnotation(&d.ObjectMeta, v1.AnnotationReconcileRequestedAt, value)
		must(t, kube.Patch(context.Background(), d, client.MergeFrom(before)))
	}
}

// waitAll polls until check accepts every Destination of ns (at least one), failing after limit.
func waitAll(t testing.TB, ns string, limit time.Duration, what string, check func(d *v1.Destination) error) {
	t.Helper()
	harnesstest.WaitUntil(t, limit, what, func() error {
		items, err := listDestinations(ns)
		if err != nil {
			return err
		}
		if len(items) == 0 {
			return errors.New("no Destinations")
		}
		for i := range items {
			if err := check(&items[i]); err != nil {
				return fmt.Errorf("%s: %w", items[i].Name, err)
			}
		}
		return nil
	})
}

// hasCondition checks one condition's status and reason.
func hasCondition(d *v1.Destination, condType string, status metav1.ConditionStatus, reason string) error {
	c := meta.FindStatusCondition(d.Status.Conditions, condType)
	if c == nil {
		return fmt.Errorf("no %s condition (%s)", condType, conditionSummary(d))
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

// adoptions counts the manager log lines saying that a create whose result was not recorded was found by slug,
// and the distinct Destinations they name.
func adoptions(procs ...*harness.Process) (lines int, destinations int) {
	seen := map[string]bool{}
	for _, p := range procs {
		for line := range strings.SplitSeq(p.Logs(), "\n") {
			if !strings.Contains(line, "Found the remote resource of an unrecorded create") {
				continue
			}
			lines++
			var entry struct {
				Destination struct{ Namespace, Name string } `json:"destination"`
			}
			if json.Unmarshal([]byte(line), &entry) == nil {
				seen[entry.Destination.Namespace+"/"+entry.Destination.Name] = true
			}
		}
	}
	return lines, len(seen)
}
