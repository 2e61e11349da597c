// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/test/harness"
)

func destinationName(i int) string { return objectName(destinationPrefix, i) }

// newDestination is the Destination every mode creates: the smallest spec, one http URL.
func (bn *bench) newDestination(namespace string, i int) *v1.Destination {
	url := fmt.Sprintf("https://receiver.example.com/hooks/%d", i)
	if bn.destinationURL != nil {
		url = bn.destinationURL(i)
	}
	return &v1.Destination{
		ObjectMeta: metav1.ObjectMeta{Name: destinationName(i), Namespace: namespace},
		Spec:       v1.DestinationSpec{HTTP: &v1.HTTPDestination{URL: url}},
	}
}

// readyItem is the part of an object the Ready watch and the final list decode.
type readyItem = harness.ReadyItem

// listReady lists the namespace's Destinations from the API server's watch cache (resourceVersion 0: no etcd read).
func (bn *bench) listReady(ctx context.Context, namespace string) ([]readyItem, error) {
	return listItems[readyItem](ctx, bn, namespace, destinationKind)
}

// kindURL is the URL of a kind's objects in a namespace.
func (bn *bench) kindURL(namespace, resource string) string {
	return harness.KindURL(bn.kube.Host, namespace, resource)
}

// listItems lists the namespace's objects of a kind from the API server's watch cache, decoding into T only the
// part of each the caller reads.
func listItems[T any](ctx context.Context, bn *bench, namespace string, kind *benchKind) ([]T, error) {
	resp, err := harness.KubeGet(ctx, bn.kubeHTTP, bn.kindURL(namespace, kind.Resource)+"?resourceVersion=0")
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", kind.Resource, err)
	}
	defer resp.Body.Close()
	var list struct {
		Items []T `json:"items"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		return nil, fmt.Errorf("listing %s: %w", kind.Resource, err)
	}
	return list.Items, nil
}

func (bn *bench) watchReady(ctx context.Context, namespace string, kind *benchKind) *harness.ReadyWatch {
	return harness.WatchReady(ctx, bn.kubeHTTP, bn.kindURL(namespace, kind.Resource))
}

// createOutcome is what creating the objects and waiting for all of them to be Ready took.
type createOutcome struct {
	CreatesDone time.Duration // the last create answered, from the first create sent
	AllReady    time.Duration // every object Ready for its generation, from the first create sent
	// WatchEvents is how many changes the Ready watches received, WatchRestarts how many times the API server
	// ended one of them.
	WatchEvents, WatchRestarts int
	// Items are the Destinations once all are Ready, sorted by name.
	Items []readyItem
}

// createJob is one object to create: the index-th of a kind.
type createJob struct {
	kind  *benchKind
	index int
}

// createdObject is an object the creators created, handed to the raw loop.
type createdObject struct {
	createJob
	obj client.Object
}

// createAndWait creates N objects of each of the configured kinds with cfg.Creators workers (for each index, its
// kinds in order) and waits until all are Ready. Each created object is sent on created, when not nil, which is
// closed after the last create.
func (bn *bench) createAndWait(ctx context.Context, namespace string,
	created chan<- createdObject) (*createOutcome, error) {
	n := bn.cfg.N
	kinds := kindsOf(bn.cfg.Kinds)
	total := n * len(kinds)
	watchCtx, stopWatches := context.WithCancel(ctx)
	defer stopWatches()
	watches := make([]*harness.ReadyWatch, len(kinds))
	for i, k := range kinds {
		watches[i] = bn.watchReady(watchCtx, namespace, k)
	}
	readyNow := func() (ready, events, restarts int, err error) {
		for _, w := range watches {
			r, e, rs, werr := w.State()
			ready, events, restarts = ready+r, events+e, restarts+rs
			err = cmp.Or(err, werr)
		}
		return ready, events, restarts, err
	}

	start := time.Now()
	jobs := make(chan createJob)
	createErr := make(chan error, bn.cfg.Creators)
	createsDone := make(chan time.Duration, 1)
	var wg sync.WaitGroup
	for range bn.cfg.Creators {
		wg.Go(func() {
			for j := range jobs {
				obj := j.kind.newObject(bn, namespace, j.index)
				if err := bn.cl.Create(ctx, obj); err != nil {
					createErr <- fmt.Errorf("creating %s %s: %w", j.kind.Kind, obj.GetName(), err)
					for range jobs {
						// Drained, so that the feeder never blocks on a worker that gave up.
					}
					return
				}
				if created != nil {
					created <- createdObject{createJob: j, obj: obj}
				}
			}
		})
	}
	go func() {
		for i := range n {
			for _, k := range kinds {
				jobs <- createJob{kind: k, index: i}
			}
		}
		close(jobs)
		wg.Wait()
		if created != nil {
			close(created)
		}
		createsDone <- time.Since(start)
	}()

	out := &createOutcome{CreatesDone: -1}
	limit := max(10*time.Minute, time.Duration(total)*200*time.Millisecond)
	lastReport := time.Now()
	for {
		select {
		case err := <-createErr:
			return nil, err
		case <-ctx.Done():
			return nil, ctx.Err()
		case d := <-createsDone:
			out.CreatesDone = d
			bn.logf("  all %d creates answered after %.1fs", total, d.Seconds())
		case <-time.After(20 * time.Millisecond):
		}
		ready, events, restarts, err := readyNow()
		if err != nil {
			return nil, err
		}
		if ready == total && out.CreatesDone >= 0 {
			out.AllReady = time.Since(start)
			out.WatchEvents, out.WatchRestarts = events, restarts
			break
		}
		if time.Since(lastReport) >= 10*time.Second {
			bn.logf("  %d of %d Ready after %.0fs", ready, total, time.Since(start).Seconds())
			lastReport = time.Now()
		}
		if time.Since(start) > limit {
			var notReady []string
			for _, k := range kinds {
				items, err := listItems[readyItem](ctx, bn, namespace, k)
				if err != nil {
					notReady = append(notReady, err.Error())
					continue
				}
				notReady = append(notReady, k.Resource+" "+notReadySummary(items))
			}
			return nil, fmt.Errorf("only %d of %d objects Ready after %s; not Ready: %s",
				ready, total, limit, strings.Join(notReady, "; "))
		}
	}
	items, err := bn.listReady(ctx, namespace)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(items, func(a, b readyItem) int { return strings.Compare(a.Metadata.Name, b.Metadata.Name) })
	out.Items = items
	return out, nil
}

// notReadySummary counts the objects that are not Ready by their Ready reason.
func notReadySummary(items []readyItem) string {
	reasons := map[string]int{}
	for i := range items {
		if items[i].IsReady() {
			continue
		}
		reason := "no Ready condition"
		if c := meta.FindStatusCondition(items[i].Status.Conditions, v1.ConditionReady); c != nil {
			reason = c.Reason + ": " + c.Message
		}
		reasons[reason]++
	}
	return fmt.Sprint(reasons)
}

// warmCacheCapacity is the watch cache capacity (events of history) warmUp grows each kind's cache to. The API
// server sizes a new watch's buffer from its cache's capacity at that moment (capacity/75 events, between 10 and
// 100 for a custom resource) and doubles the capacity from 100 as events come: a watch opened on a cold cache gets
// 10 events of buffer where later ones get 100, and falls behind sooner, to be closed and replay what it missed.
// 12800 is the first capacity the doubling reaches that gives 100.
const warmCacheCapacity = 12800

// warmUp creates, status-patches, lists and deletes a few objects of each kind before anything is measured, so
// that the first mode does not pay for the API server's and the client's first use of the resources (discovery,
// the CRDs' handlers), and patches their status until each kind's watch cache holds warmCacheCapacity events, as
// the later modes find it after the earlier ones.
func (bn *bench) warmUp(ctx context.Context) error {
	ns := bn.env.NewNamespace(bn.b, "bench-warmup")
	for _, k := range kindsOf(bn.cfg.Kinds) {
		objs := make([]client.Object, 20)
		for i := range objs {
			objs[i] = k.newObject(bn, ns, i)
			if err := bn.cl.Create(ctx, objs[i]); err != nil {
				return fmt.Errorf("warming up: %w", err)
			}
		}
		capacity, err := bn.growWatchCache(ctx, k, objs)
		if err != nil {
			return fmt.Errorf("warming up: %w", err)
		}
		bn.logf("  warm-up: the %s watch cache holds %.0f events", k.Resource, capacity)
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(v1.GroupVersion.WithKind(k.Kind + "List"))
		if err := bn.cl.List(ctx, list, client.InNamespace(ns)); err != nil {
			return fmt.Errorf("warming up: %w", err)
		}
		obj := &unstructured.Unstructured{}
		obj.SetGroupVersionKind(v1.GroupVersion.WithKind(k.Kind))
		if err := bn.cl.DeleteAllOf(ctx, obj, client.InNamespace(ns)); err != nil {
			return fmt.Errorf("warming up: %w", err)
		}
	}
	return nil
}

// growWatchCache patches the status of objs, round after round, until the kind's watch cache capacity
// (watch_cache_capacity) reaches warmCacheCapacity, for two minutes at most. It returns the capacity.
func (bn *bench) growWatchCache(ctx context.Context, k *benchKind, objs []client.Object) (float64, error) {
	deadline := time.Now().Add(2 * time.Minute)
	for round := 0; ; round++ {
		scrape, err := scrapeKubeWrites(ctx, bn.kubeHTTP, bn.kube.Host)
		if err != nil {
			return 0, err
		}
		capacity, ok := scrape.cacheCapacity[k.Resource]
		if !ok {
			return 0, fmt.Errorf("the API server reports no watch_cache_capacity of %s", k.Resource)
		}
		if capacity >= warmCacheCapacity || time.Now().After(deadline) {
			return capacity, nil
		}
		// 25 patches of each object between two looks at the capacity, spread over the creators.
		var wg sync.WaitGroup
		errs := make(chan error, len(objs))
		for i, obj := range objs {
			wg.Go(func() {
				for j := range 25 {
					patch, err := rawStatusPatch(obj, map[string]any{"id": fmt.Sprintf("warm-up-%d-%d-%d", i, round, j)})
					if err == nil {
						err = bn.cl.Status().Patch(ctx, obj, patch)
					}
					if err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			return 0, err
		}
	}
}
