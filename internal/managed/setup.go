// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package managed

import (
	"context"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/source"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
)

// secretRefsIndex indexes objects by the names of the Secrets they read, credentials included.
const secretRefsIndex = "hookstream.io/secret-refs"

// secretRefs lists the Secrets an object reads: its credentials and the kind's own references.
func (r *Reconciler[O, R, D, P]) secretRefs(obj O) []string {
	return append([]string{r.creds.secretName(obj)}, r.def.SecretRefs(obj)...)
}

// SetupWithManager registers the kind's controller: objects trigger on spec, annotation and deletion changes
// (never on their own status writes); Secrets trigger the objects that reference them. newList returns an empty
// list of the kind; customise adds the kind's own watches.
func (r *Reconciler[O, R, D, P]) SetupWithManager(mgr ctrl.Manager, maxConcurrent int, newList func() client.ObjectList,
	customise ...func(*builder.Builder) *builder.Builder) error {
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), NewObject[O](), RemoteIDIndex, RemoteIDOf); err != nil {
		return err
	}
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), NewObject[O](), secretRefsIndex,
		func(o client.Object) []string { return r.secretRefs(o.(O)) }); err != nil {
		return err
	}
	deleting := predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
		return !e.ObjectNew.GetDeletionTimestamp().IsZero()
	}}
	forSecret := func(ctx context.Context, o client.Object) []ctrl.Request {
		list := newList()
		if err := mgr.GetClient().List(ctx, list, client.InNamespace(o.GetNamespace()),
			client.MatchingFields{secretRefsIndex: o.GetName()}); err != nil {
			logf.FromContext(ctx).Error(err, "Cannot list the objects of a Secret", "kind", r.def.Names.Kind, "secret", klog.KObj(o))
			return nil
		}
		var reqs []ctrl.Request
		_ = meta.EachListItem(list, func(item runtime.Object) error {
			reqs = append(reqs, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(item.(client.Object))})
			return nil
		})
		return reqs
	}
	rec := newRecovery(r.def.Names.Kind, r.opts.Calls, r.opts.ProbeInterval) // recovery.go: retries brought forward when hookstream recovers
	b := ctrl.NewControllerManagedBy(mgr).
		For(NewObject[O](), builder.WithPredicates(predicate.Or(
			predicate.GenerationChangedPredicate{}, annotationsChanged(v1.AnnotationReconcileRequestedAt, v1.AnnotationPaused,
				v1.AnnotationHoldDriftUntil, v1.AnnotationResetCircuitRequestedAt, v1.AnnotationDriftInterval), deleting))).
		WatchesMetadata(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(forSecret)).
		WatchesRawSource(rec.source()). // recovery.go: the work queue, for the retries brought forward
		WithOptions(controller.Options{MaxConcurrentReconciles: max(1, maxConcurrent), UsePriorityQueue: new(true)}).
		Named(strings.ToLower(r.def.Names.Kind))
	if r.opts.StatusRefreshInterval > 0 {
		// A series from the start, so that alerts on its increase see the first failure.
		refreshFailures.WithLabelValues(r.def.Names.Kind)
		changed := make(chan event.GenericEvent, refreshQueue)
		b = b.WatchesRawSource(source.Channel(changed, &handler.EnqueueRequestForObject{}))
		if err := mgr.Add(&refresher[O, R, D, P]{r: r, newList: newList, interval: r.opts.StatusRefreshInterval,
			enqueue: func(ctx context.Context, obj O) bool {
				select {
				case changed <- genericEvent(obj):
					return true
				case <-ctx.Done():
					return false
				}
			}}); err != nil {
			return err
		}
	}
	for _, c := range customise {
		b = c(b)
	}
	return b.Complete(rec.wrap(r)) // recovery.go: records which objects wait for which API key
}

// refreshQueue is how many objects a status refresh hands the controller before it waits for the controller to
// take them.
const refreshQueue = 1024

// annotationsChanged passes updates that change one of the annotations; the operator's own marker does not
// trigger a reconcile.
func annotationsChanged(names ...string) predicate.Funcs {
	return predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
		oldA, newA := e.ObjectOld.GetAnnotations(), e.ObjectNew.GetAnnotations()
		for _, n := range names {
			if oldA[n] != newA[n] {
				return true
			}
		}
		return false
	}}
}
