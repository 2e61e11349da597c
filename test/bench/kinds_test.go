// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
)

const (
	// kindsDestinations creates N Destinations; kindsAll N of every kind, Connection i joining Source i to
	// Destination i.
	kindsDestinations = "destinations"
	kindsAll          = "all"
)

// benchKind is one kind the benchmark creates: what its i-th object looks like, and what the raw loop sends
// hookstream for it.
type benchKind struct {
	Kind      string // Destination
	Resource  string // destinations
	newObject func(bn *bench, namespace string, i int) client.Object
	// rawPost creates the remote resource of the i-th object and returns the status the raw loop records, besides
	// the conditions and observedGeneration every kind has; ids gives the remote ids the raw loop recorded for the
	// i-th object of another kind.
	rawPost func(ctx context.Context, hs *hookstream.Client, obj client.Object, i int,
		ids func(kind *benchKind, i int) string) (map[string]any, error)
}

// objectName is the name of the i-th object of the kind with the prefix.
func objectName(prefix string, i int) string { return fmt.Sprintf("%s%05d", prefix, i) }

const (
	sourcePrefix      = "s"
	destinationPrefix = "d"
	connectionPrefix  = "c"
)

var (
	destinationKind = &benchKind{Kind: "Destination", Resource: "destinations",
		newObject: func(bn *bench, namespace string, i int) client.Object { return bn.newDestination(namespace, i) },
		rawPost:   rawPostDestination}
	sourceKind = &benchKind{Kind: "Source", Resource: "sources",
		newObject: func(_ *bench, namespace string, i int) client.Object {
			return &v1.Source{ObjectMeta: metav1.ObjectMeta{Name: objectName(sourcePrefix, i), Namespace: namespace}}
		},
		rawPost: rawPostSource}
	connectionKind = &benchKind{Kind: "Connection", Resource: "connections",
		newObject: func(_ *bench, namespace string, i int) client.Object {
			return &v1.Connection{ObjectMeta: metav1.ObjectMeta{Name: objectName(connectionPrefix, i), Namespace: namespace},
				Spec: v1.ConnectionSpec{
					SourceRef:      &v1.EndReference{Name: objectName(sourcePrefix, i)},
					DestinationRef: &v1.EndReference{Name: objectName(destinationPrefix, i)},
				}}
		},
		rawPost: rawPostConnection}
)

// kindsOf returns the kinds a BENCH_KINDS value creates, in the order each index is created: the ends of a
// Connection before it, as `kubectl apply` of a route sends them.
func kindsOf(set string) []*benchKind {
	if set == kindsAll {
		return []*benchKind{sourceKind, destinationKind, connectionKind}
	}
	return []*benchKind{destinationKind}
}

func remoteTimes(created, updated time.Time) map[string]any {
	return map[string]any{"createdAt": metav1.NewTime(created), "updatedAt": metav1.NewTime(updated)}
}

func rawPostDestination(ctx context.Context, hs *hookstream.Client, obj client.Object, _ int,
	_ func(*benchKind, int) string) (map[string]any, error) {
	d := obj.(*v1.Destination)
	remote, err := hs.CreateDestination(ctx, &hookstream.CreateRequest{
		Name: d.Name, Slug: d.Namespace + "-" + d.Name, Type: hookstream.TypeHTTP, URL: d.Spec.HTTP.URL,
	})
	if err != nil {
		return nil, err
	}
	st := remoteTimes(remote.CreatedAt, remote.UpdatedAt)
	st["id"], st["slug"], st["type"], st["state"] = remote.ID, remote.Slug, remote.Type, remote.Status
	return st, nil
}

func rawPostSource(ctx context.Context, hs *hookstream.Client, obj client.Object, _ int,
	_ func(*benchKind, int) string) (map[string]any, error) {
	remote, err := hs.CreateSource(ctx, &hookstream.SourceCreateRequest{
		Name: obj.GetName(), Slug: obj.GetNamespace() + "-" + obj.GetName(),
	})
	if err != nil {
		return nil, err
	}
	st := remoteTimes(remote.CreatedAt, remote.UpdatedAt)
	st["id"], st["slug"], st["state"] = remote.ID, remote.Slug, remote.Status
	return st, nil
}

func rawPostConnection(ctx context.Context, hs *hookstream.Client, obj client.Object, i int,
	ids func(*benchKind, int) string) (map[string]any, error) {
	remote, err := hs.CreateConnection(ctx, &hookstream.ConnectionCreateRequest{
		SourceID: ids(sourceKind, i), DestinationID: ids(destinationKind, i), Name: obj.GetName(),
	})
	if err != nil {
		return nil, err
	}
	st := remoteTimes(remote.CreatedAt, remote.UpdatedAt)
	st["id"], st["name"], st["sourceID"], st["destinationID"] = remote.ID, remote.Name, remote.SourceID, remote.DestinationID
	return st, nil
}

// rawStatusPatch is the raw loop's one status write: what rawPost returned, observedGeneration, Ready and Synced.
func rawStatusPatch(obj client.Object, status map[string]any) (client.Patch, error) {
	now := metav1.Now()
	g := obj.GetGeneration()
	status["observedGeneration"] = g
	status["conditions"] = []metav1.Condition{
		{Type: v1.ConditionReady, Status: metav1.ConditionTrue, Reason: v1.ReasonAvailable,
			Message: "The remote resource exists in hookstream and matches the spec.", ObservedGeneration: g,
			LastTransitionTime: now},
		{Type: v1.ConditionSynced, Status: metav1.ConditionTrue, Reason: v1.ReasonReconcileSuccess,
			Message: "The last reconcile reached hookstream.", ObservedGeneration: g, LastTransitionTime: now},
	}
	b, err := json.Marshal(map[string]any{"status": status})
	if err != nil {
		return nil, err
	}
	return client.RawPatch(types.MergePatchType, b), nil
}
