// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package controller

// The reference index: which Connections route from or to which Sources and Destinations, by name (of any
// namespace) or by id, and which need a grant of which namespace. The Connection kind reads it to start at once
// when an end or a grant changes; the Source and Destination kinds read it to name the Connections that block their
// deletion, and to retry that deletion when one goes.

import (
	"context"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/managed"
)

// connectionEndsIndex indexes Connections by what they route between: "Source/<namespace>/<name>" and
// "Destination/<namespace>/<name>" for references, "source-id/<namespace>/<id>" and
// "destination-id/<namespace>/<id>" for ids (the Connection's namespace), and "granted-by/<namespace>" for a
// reference to another namespace, which a grant of that namespace allows.
const connectionEndsIndex = "hookstream.io/connection-ends"

func endKey(kind, namespace, name string) string { return kind + "/" + namespace + "/" + name }

func grantKey(namespace string) string { return "granted-by/" + namespace }

func connectionEnds(c *v1.Connection) []string {
	var keys []string
	ref := func(kind string, ref *v1.EndReference) {
		if ref == nil {
			return
		}
		ns := endNamespace(c, ref)
		keys = append(keys, endKey(kind, ns, ref.Name))
		if ns != c.Namespace {
			keys = append(keys, grantKey(ns))
		}
	}
	ref(kindSource, c.Spec.SourceRef)
	ref(kindDestination, c.Spec.DestinationRef)
	if c.Spec.SourceID != "" {
		keys = append(keys, idKey(kindSource, c.Namespace, c.Spec.SourceID))
	}
	if c.Spec.DestinationID != "" {
		keys = append(keys, idKey(kindDestination, c.Namespace, c.Spec.DestinationID))
	}
	return slices.Compact(slices.Sorted(slices.Values(keys)))
}

// idKey is the index key of a Connection of namespace that names the end of the kind by hookstream id.
func idKey(kind, namespace, id string) string {
	prefix := "source-id/"
	if kind == kindDestination {
		prefix = "destination-id/"
	}
	return prefix + namespace + "/" + id
}

func indexConnectionEnds(mgr ctrl.Manager) error {
	return mgr.GetFieldIndexer().IndexField(context.Background(), &v1.Connection{}, connectionEndsIndex,
		func(o client.Object) []string { return connectionEnds(o.(*v1.Connection)) })
}

// connectionsOf lists the Connections, of every namespace, that match any of the index keys.
func connectionsOf(ctx context.Context, c client.Reader, keys ...string) ([]v1.Connection, error) {
	var found []v1.Connection
	seen := map[types.NamespacedName]bool{}
	for _, key := range keys {
		var list v1.ConnectionList
		if err := c.List(ctx, &list, client.MatchingFields{connectionEndsIndex: key}); err != nil {
			return nil, err
		}
		for _, item := range list.Items {
			if name := client.ObjectKeyFromObject(&item); !seen[name] {
				seen[name] = true
				found = append(found, item)
			}
		}
	}
	return found, nil
}

// referrersFunc names the Connections that route from or to the object of the kind ("Source", "Destination")
// with the namespace, name and hookstream id.
type referrersFunc func(ctx context.Context, kind, namespace, name, id string) ([]string, error)

// endKeys are the index keys of the Connections that route from or to the object: by reference from any
// namespace, by id from its own.
func endKeys(kind, namespace, name, id string) []string {
	keys := []string{endKey(kind, namespace, name)}
	if id != "" {
		keys = append(keys, idKey(kind, namespace, id))
	}
	return keys
}

// referrerNames names the Connections for a message shown in namespace: those of that namespace by name, those
// of other namespaces by namespace only (their names are not the object's owners' to read), and only those that
// have a remote connection: any namespace can name an object it may not reference.
func referrerNames(namespace string, conns []v1.Connection) []string {
	var names, others []string
	for _, conn := range conns {
		switch {
		case conn.Namespace == namespace:
			names = append(names, kindConnection+" "+conn.Name)
		case conn.Status.ID != "" && !slices.Contains(others, conn.Namespace):
			others = append(others, conn.Namespace)
		}
	}
	slices.Sort(others)
	for _, ns := range others {
		names = append(names, fmt.Sprintf("Connections of namespace %q", ns))
	}
	return names
}

// referrersOf names the referring Connections that c, an indexed reader, holds.
func referrersOf(c client.Reader) referrersFunc {
	return func(ctx context.Context, kind, namespace, name, id string) ([]string, error) {
		conns, err := connectionsOf(ctx, c, endKeys(kind, namespace, name, id)...)
		if err != nil {
			return nil, err
		}
		return referrerNames(namespace, conns), nil
	}
}

// referrersOption is the Referrers option of the Source and Destination kinds: the Connections that route from
// or to an object.
func referrersOption[O managed.Object](referrers referrersFunc, kind string) func(ctx context.Context, obj O) ([]string, error) {
	if referrers == nil {
		return nil
	}
	return func(ctx context.Context, obj O) ([]string, error) {
		return referrers(ctx, kind, obj.GetNamespace(), obj.GetName(), obj.GetManagedStatus().ID)
	}
}

// referrers names the referring Connections. In a shard the cache holds the shard's alone, so those of other
// shards are read from the API server (this happens only when hookstream refused a deletion).
func (s Settings) referrers(mgr ctrl.Manager) referrersFunc {
	inShard := mgr.GetClient()
	if s.Shard == nil {
		return referrersOf(inShard)
	}
	api := mgr.GetAPIReader()
	return func(ctx context.Context, kind, namespace, name, id string) ([]string, error) {
		conns, err := connectionsOf(ctx, inShard, endKeys(kind, namespace, name, id)...)
		if err != nil {
			return nil, err
		}
		names := referrerNames(namespace, conns)
		var list v1.ConnectionList
		if err := api.List(ctx, &list); err != nil {
			return nil, err
		}
		keys := endKeys(kind, namespace, name, id)
		var outside []v1.Connection
		for _, c := range list.Items {
			if s.Shard.Matches(labels.Set(c.Labels)) {
				continue
			}
			if slices.ContainsFunc(connectionEnds(&c), func(k string) bool { return slices.Contains(keys, k) }) {
				outside = append(outside, c)
			}
		}
		for _, n := range referrerNames(namespace, outside) {
			names = append(names, n+" (outside this manager's shard)")
		}
		return names, nil
	}
}

// watchConnectionsOf makes the Source or Destination controller retry a deletion that connections blocked as
// soon as a Connection that referenced the object is gone.
func watchConnectionsOf(kind string, objects client.Reader, newList func() client.ObjectList) func(*builder.Builder) *builder.Builder {
	return func(b *builder.Builder) *builder.Builder {
		toReferenced := func(ctx context.Context, o client.Object) []ctrl.Request {
			c := o.(*v1.Connection)
			ref, id := c.Spec.SourceRef, c.Spec.SourceID
			if kind == kindDestination {
				ref, id = c.Spec.DestinationRef, c.Spec.DestinationID
			}
			if ref != nil {
				return []ctrl.Request{{NamespacedName: types.NamespacedName{Namespace: endNamespace(c, ref), Name: ref.Name}}}
			}
			// An end named by id: the objects of the namespace that have that id.
			list := newList()
			if err := objects.List(ctx, list, client.InNamespace(c.Namespace)); err != nil {
				logf.FromContext(ctx).Error(err, "Cannot list the objects a Connection names by id", "kind", kind)
				return nil
			}
			var reqs []ctrl.Request
			_ = meta.EachListItem(list, func(item runtime.Object) error {
				if obj := item.(managed.Object); obj.GetManagedStatus().ID == id {
					reqs = append(reqs, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(obj)})
				}
				return nil
			})
			return reqs
		}
		onlyDeletes := predicate.Funcs{
			CreateFunc:  func(event.CreateEvent) bool { return false },
			UpdateFunc:  func(event.UpdateEvent) bool { return false },
			GenericFunc: func(event.GenericEvent) bool { return false },
		}
		return b.Watches(&v1.Connection{}, handler.EnqueueRequestsFromMapFunc(toReferenced), builder.WithPredicates(onlyDeletes))
	}
}
