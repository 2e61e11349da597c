// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0
package managed

// One remote resource, one owner: the objects of a kind are indexed by the id of the remote resource they manage,
// so that an object whose adoptID, adoption by slug or natural key finds one that another object of the project
// manages already writes nothing to it (AlreadyManaged).

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
)

// RemoteIDIndex indexes the objects of a kind by the id of the remote resource they manage (status.id). Objects
// under managementPolicy Observe manage nothing: several may observe one remote resource.
const RemoteIDIndex = "hookstream.io/remote-id"

// RemoteIDOf is the index function of RemoteIDIndex.
func RemoteIDOf(o client.Object) []string {
	obj, ok := o.(Object)
	if !ok || observeOnly(obj) {
		return nil
	}
	if id := obj.GetManagedStatus().ID; id != "" {
		return []string{id}
	}
	return nil
}

// owners names, for the remote id a lookup found (when it is not the one obj recorded), the other object of the
// kind that manages it with the same API key, and so in the same project. The manager's cache answers: in a shard,
// the objects of other shards are not seen.
func (r *Reconciler[O, R, D, P]) owners(ctx context.Context, obj O, apiKey, recorded, id string) (map[string]string, error) {
	if id == "" || id == recorded || observeOnly(obj) {
		return nil, nil
	}
	gvk, err := apiutil.GVKForObject(obj, r.client.Scheme())
	if err != nil {
		return nil, err
	}
	list, err := r.client.Scheme().New(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
	if err != nil {
		return nil, err
	}
	if err := r.client.List(ctx, list.(client.ObjectList), client.MatchingFields{RemoteIDIndex: id}); err != nil {
		return nil, kubeErr("list the objects that manage "+id, err)
	}
	var owner string
	err = meta.EachListItem(list, func(item runtime.Object) error {
		other, ok := item.(Object)
		if !ok || other.GetUID() == obj.GetUID() || owner != "" {
			return nil
		}
		theirs, err := r.creds.apiKey(ctx, other, false)
		if err != nil || theirs != apiKey {
			// Another project's object with the same id is no owner; one whose credentials cannot be read says
			// itself what is wrong.
			return nil
		}
		if other.GetNamespace() == obj.GetNamespace() {
			owner = fmt.Sprintf("%s %q", r.def.Names.Kind, other.GetName())
		} else {
			owner = fmt.Sprintf("a %s of another namespace", r.def.Names.Kind)
		}
		return nil
	})
	if err != nil || owner == "" {
		return nil, err
	}
	return map[string]string{id: owner}, nil
}
