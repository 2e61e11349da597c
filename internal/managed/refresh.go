// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package managed

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

var (
	refreshListed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hookstream_status_refresh_objects_total",
		Help: "Objects the status refresh looked at, by kind and outcome: changed (their row or health moved; " +
			"reconciled), unchanged, or skipped (no id yet, paused, deleting, no readable credentials).",
	}, []string{labelKind, "outcome"})
	refreshFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hookstream_status_refresh_failures_total",
		Help: "Lists of an API key's remote rows that failed during a status refresh, by kind; its objects are " +
			"refreshed by their next drift check or the next refresh.",
	}, []string{labelKind})
)

func init() {
	metrics.Registry.MustRegister(refreshListed, refreshFailures)
}

// refresher keeps the counters in status fresh between drift checks: every interval it lists each API key's
// remote rows once (the drift checks then read that list too) and hands the reconciler only the objects whose
// status would change, or whose kind wants their health read again. It writes nothing itself, so every status
// write stays one patch at the end of a reconcile.
type refresher[O Object, R any, D Desired, P any] struct {
	r        *Reconciler[O, R, D, P]
	newList  func() client.ObjectList
	interval time.Duration
	// enqueue hands an object to the controller; false when ctx ended first.
	enqueue func(context.Context, O) bool
}

// RefreshResult counts what one status refresh did.
type RefreshResult struct {
	// Keys is the number of API keys whose rows were listed; Failed of those whose list failed.
	Keys, Failed int
	// Changed, Unchanged and Skipped count the objects by outcome.
	Changed, Unchanged, Skipped int
}

// Start refreshes every interval until ctx ends. It runs on the leader only, like the controllers.
func (f *refresher[O, R, D, P]) Start(ctx context.Context) error {
	ticker := time.NewTicker(f.interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
			res := f.r.RefreshStatus(ctx, f.newList, f.enqueue)
			logf.FromContext(ctx).V(1).Info("Status refresh", "kind", f.r.def.Names.Kind, "keys", res.Keys,
				"failedLists", res.Failed, "changed", res.Changed, "unchanged", res.Unchanged, "skipped", res.Skipped)
		}
	}
}

// RefreshStatus runs one status refresh: it lists the objects of the kind (newList returns an empty list) from
// the manager's cache, each of their API keys' remote rows once, and hands enqueue the objects whose status would
// change; enqueue returns false when ctx ended first. It writes nothing.
func (r *Reconciler[O, R, D, P]) RefreshStatus(ctx context.Context, newList func() client.ObjectList,
	enqueue func(context.Context, O) bool) RefreshResult {
	var res RefreshResult
	list := newList()
	if err := r.client.List(ctx, list); err != nil {
		logf.FromContext(ctx).Error(err, "Status refresh cannot list the objects", "kind", r.def.Names.Kind)
		return res
	}
	byKey := map[string][]O{}
	_ = meta.EachListItem(list, func(item runtime.Object) error {
		obj := item.(O)
		if h := r.def.Health; h != nil {
			h.Report(obj)
		}
		// An object never checked (hookstream.io/drift-interval "0") is left as its last reconcile saw it.
		if obj.GetManagedStatus().ID == "" || IsPaused(obj) || !obj.GetDeletionTimestamp().IsZero() || r.interval(obj) == 0 {
			res.Skipped++
			return nil
		}
		apiKey, err := r.creds.apiKey(ctx, obj, false)
		if err != nil {
			// The object's own reconcile reports a missing or empty credentials Secret.
			res.Skipped++
			return nil
		}
		byKey[apiKey] = append(byKey[apiKey], obj)
		return nil
	})
	for apiKey, objs := range byKey {
		res.Keys++
		rows, err := r.relist(ctx, apiKey)
		if err != nil {
			res.Failed++
			refreshFailures.WithLabelValues(r.def.Names.Kind).Inc()
			logf.FromContext(ctx).Info("Status refresh cannot list the remote rows of an API key; the objects wait "+
				"for their next check", "kind", r.def.Names.Kind, "objects", len(objs), "error", errorSummary(err))
			continue
		}
		for _, obj := range objs {
			row, listed := rows[obj.GetManagedStatus().ID]
			// A row missing from the list was deleted outside the operator: the reconcile finds out and says so.
			if listed && !r.statusMoves(obj, row) {
				res.Unchanged++
				continue
			}
			res.Changed++
			// A reconcile the refresh asks for is no first sight to spread over the interval: it reads the list
			// just taken.
			r.seen.Store(obj.GetUID(), struct{}{})
			if !enqueue(ctx, obj) {
				return res
			}
		}
	}
	refreshListed.WithLabelValues(r.def.Names.Kind, "changed").Add(float64(res.Changed))
	refreshListed.WithLabelValues(r.def.Names.Kind, "unchanged").Add(float64(res.Unchanged))
	refreshListed.WithLabelValues(r.def.Names.Kind, "skipped").Add(float64(res.Skipped))
	return res
}

// relist lists the rows of an API key into its snapshot, which the drift checks read too. A list the drift checks
// began less than half a refresh interval ago (or still run) serves instead: the rows are as fresh as the refresh
// needs, and the key is listed once, not twice, when its snapshot expires as a refresh is due.
func (r *Reconciler[O, R, D, P]) relist(ctx context.Context, apiKey string) (map[string]R, error) {
	hs, err := r.def.Kind.Connect(apiKey)
	if err != nil {
		return nil, err
	}
	return r.snapshots.relist(ctx, apiKey, hs, r.opts.StatusRefreshInterval/2)
}

// statusMoves reports whether mirroring the row would change obj's status, or the kind wants its health read
// anyway.
func (r *Reconciler[O, R, D, P]) statusMoves(obj O, row R) bool {
	if h := r.def.Health; h != nil && h.RefreshWanted(obj) {
		return true
	}
	probe := r.snapshot(obj)
	r.setObserved(probe, row)
	return !equality.Semantic.DeepEqual(probe, obj)
}

// genericEvent wraps an object for a channel source.
func genericEvent(obj client.Object) event.GenericEvent { return event.GenericEvent{Object: obj} }
