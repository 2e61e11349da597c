// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/internal/managed"
)

// connectionExternal is the Connection kind's hookstream client.
type connectionExternal = managed.External[*v1.Connection, *hookstream.Connection, *desiredConnection, *hookstream.ConnectionUpdateRequest]

// +kubebuilder:rbac:groups=hookstream.io,resources=connections,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=hookstream.io,resources=connections/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=hookstream.io,resources=connections/finalizers,verbs=update
// +kubebuilder:rbac:groups=hookstream.io,resources=hookstreamreferencegrants,verbs=get;list;watch

// setupConnections registers the Connection controller: one hookstream connection per Connection object, between
// the ids of the Source and Destination it references (or the ids it names).
func setupConnections(mgr ctrl.Manager, s Settings) error {
	reader := mgr.GetClient()
	// A referenced object that gets an id, changes it, starts or ends its deletion starts the Connections that
	// use it at once.
	// A new object has no id yet, and the Connections of those seen at start-up have their own first reconcile.
	endChanged := predicate.Funcs{
		CreateFunc: func(event.CreateEvent) bool { return false },
		UpdateFunc: func(e event.UpdateEvent) bool {
			before, after := e.ObjectOld.(managed.Object), e.ObjectNew.(managed.Object)
			// The generation covers a changed spec.credentialsRef, which a ProjectMismatch may wait for.
			return before.GetManagedStatus().ID != after.GetManagedStatus().ID || before.GetGeneration() != after.GetGeneration() ||
				before.GetDeletionTimestamp().IsZero() != after.GetDeletionTimestamp().IsZero()
		},
	}
	// An object that appears with an id was moved into this manager's shard (relabelled): it starts the
	// Connections that wait for it. At start-up no Connection of those seen is waiting for an end that has an id.
	arrivedWithID := predicate.Funcs{
		CreateFunc:  func(e event.CreateEvent) bool { return e.Object.(managed.Object).GetManagedStatus().ID != "" },
		UpdateFunc:  func(event.UpdateEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
	}
	// enqueue starts the Connections that the index key of an object names (those waiting for an end only, if
	// waitingOnly).
	enqueue := func(key func(o client.Object) string, waitingOnly bool) handler.EventHandler {
		return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []ctrl.Request {
			conns, err := connectionsOf(ctx, reader, key(o))
			if err != nil {
				logf.FromContext(ctx).Error(err, "Cannot list the Connections of an object", "object", klog.KObj(o))
				return nil
			}
			reqs := make([]ctrl.Request, 0, len(conns))
			for _, c := range conns {
				if waitingOnly && !waitingForEnd(&c) {
					continue
				}
				reqs = append(reqs, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(&c)})
			}
			return reqs
		})
	}
	toConnections := func(kind string, waitingOnly bool) handler.EventHandler {
		return enqueue(func(o client.Object) string { return endKey(kind, o.GetNamespace(), o.GetName()) }, waitingOnly)
	}
	// A grant that appears, changes or goes starts the Connections that reference its namespace from another.
	toGranted := enqueue(func(o client.Object) string { return grantKey(o.GetNamespace()) }, false)
	rec := managed.NewReconciler(s.Client, mgr.GetClient(), mgr.GetAPIReader(), s.Recorder, connectionDefinition(newKindEnv(mgr, s), s),
		s.managedOptions())
	return rec.SetupWithManager(mgr, s.MaxConcurrentReconciles, func() client.ObjectList { return &v1.ConnectionList{} },
		func(b *builder.Builder) *builder.Builder {
			return b.
				Watches(&v1.Source{}, toConnections(kindSource, false), builder.WithPredicates(endChanged)).
				Watches(&v1.Destination{}, toConnections(kindDestination, false), builder.WithPredicates(endChanged)).
				Watches(&v1.Source{}, toConnections(kindSource, true), builder.WithPredicates(arrivedWithID)).
				Watches(&v1.Destination{}, toConnections(kindDestination, true), builder.WithPredicates(arrivedWithID)).
				Watches(&v1.HookstreamReferenceGrant{}, toGranted)
		})
}

// waitingForEnd reports a Connection whose last reconcile waited for its Source or Destination.
func waitingForEnd(c *v1.Connection) bool {
	synced := meta.FindStatusCondition(c.Status.Conditions, v1.ConditionSynced)
	return synced != nil && (synced.Reason == v1.ReasonWaitingForSource || synced.Reason == v1.ReasonWaitingForDestination)
}

// connectionDefinition registers the Connection kind with the machinery of package managed: one hookstream
// connection per Connection object, between the ids of the Source and Destination it references (or the ids it
// names).
func connectionDefinition(env kindEnv, s Settings) *managed.Definition[*v1.Connection, *hookstream.Connection,
	*desiredConnection, *hookstream.ConnectionUpdateRequest] {
	return &managed.Definition[*v1.Connection, *hookstream.Connection, *desiredConnection, *hookstream.ConnectionUpdateRequest]{
		Names: managed.Names{Kind: kindConnection, Remote: "connection", NoSlug: true},
		Kind: &connectionKind{connect: connectWith(s.Clients, func(c *hookstream.Client) connectionExternal {
			return &connectionClient{c: c, objects: env.objects}
		})},
		Row:         connectionRow,
		SecretRefs:  connectionSecretRefs,
		RecordedKey: (*desiredConnection).RecordedKey,
	}
}

// connectionKind answers the machinery's questions for Connections.
type connectionKind struct {
	connect func(apiKey string) (connectionExternal, error)
}

var _ managed.Kind[*v1.Connection, *hookstream.Connection, *desiredConnection, *hookstream.ConnectionUpdateRequest] = (*connectionKind)(nil)

func (k *connectionKind) Connect(apiKey string) (connectionExternal, error) { return k.connect(apiKey) }

func (*connectionKind) Desired(c *v1.Connection, refs managed.Refs) (*desiredConnection, error) {
	return buildConnectionDesired(c, refs)
}

// Compare replaces a remote connection whose source or destination is no longer the spec's (hookstream cannot
// re-point one), stops on one whose source or destination is gone from hookstream, else lists the fields that
// differ.
func (*connectionKind) Compare(c *v1.Connection, want *desiredConnection, remote *hookstream.Connection,
	rotated bool) (managed.Observation[*hookstream.ConnectionUpdateRequest], error) {
	if err := connectionIdentity(want, remote); err != nil {
		return managed.Observation[*hookstream.ConnectionUpdateRequest]{}, err
	}
	if want.pauseOnly {
		if remote.Status != string(v1.StateActive) || !remote.Enabled {
			// Kept from routing already (by on-call, say): left as it is, and a grant does not resume it later.
			unchanged := *want
			unchanged.status, unchanged.enabled, unchanged.request.Enabled = "", false, nil
			return compareConnection(&unchanged, remote, rotated), nil
		}
		// The operator's pause, which a grant undoes.
		c.Status.PausedWithoutGrant = true
	}
	return compareConnection(want, remote, rotated), nil
}

// connectionIdentity rejects a remote connection that cannot become what the spec asks for.
func connectionIdentity(want *desiredConnection, remote *hookstream.Connection) error {
	req := &want.request
	switch {
	case remote.SourceID != req.SourceID:
		return managed.Replace("its source changed from %s to %s", remote.SourceID, req.SourceID)
	case remote.DestinationID != req.DestinationID:
		return managed.Replace("its destination changed from %s to %s", remote.DestinationID, req.DestinationID)
	case remote.Dangling():
		return managed.Stall(v1.ReasonNotFound, "remote connection %s routes between source %s and destination %s, but "+
			"hookstream no longer has one of them; delete the connection in hookstream or recreate what it lost",
			remote.ID, remote.SourceID, remote.DestinationID)
	}
	return nil
}

// connectionRow tells the machinery the generic facts of a remote connection.
func connectionRow(remote *hookstream.Connection) managed.Row {
	return managed.Row{ID: remote.ID, CreatedAt: remote.CreatedAt, UpdatedAt: remote.UpdatedAt,
		Key: fmt.Sprintf("source %s, destination %s, name %q", remote.SourceID, remote.DestinationID, remote.Name)}
}

// SetObserved mirrors the remote row into status.
func (*connectionKind) SetObserved(c *v1.Connection, remote *hookstream.Connection) {
	st := &c.Status
	st.Name = remote.Name
	st.SourceID = remote.SourceID
	st.DestinationID = remote.DestinationID
	st.State = remote.Status
	if !remote.Enabled {
		st.State = string(v1.StateDisabled)
	}
	if st.State != string(v1.StatePaused) || specKeepsFromRouting(c) {
		// Resumed, or the spec's state decides: no pause of the operator's is left to undo.
		st.PausedWithoutGrant = false
	}
	st.EventCount = remote.EventCount
	st.LastEventAt = managed.Time(remote.LastEventAt)
	st.CreatedAt = managed.Time(&remote.CreatedAt)
	st.UpdatedAt = managed.Time(&remote.UpdatedAt)
}

// connectionSecretRefs is empty: connections read no Secret besides their credentials.
func connectionSecretRefs(*v1.Connection) []string { return nil }

// connectionClient is the hookstream client seen through the machinery's calls.
type connectionClient struct {
	c *hookstream.Client
	// objects reads the Sources and Destinations a Connection references, and the grants that allow them.
	objects client.Reader
}

var _ connectionExternal = (*connectionClient)(nil)

func (h *connectionClient) Observe(ctx context.Context, id string) (*hookstream.Connection, error) {
	return h.c.GetConnection(ctx, id)
}

func (h *connectionClient) List(ctx context.Context) iter.Seq2[*hookstream.Connection, error] {
	return h.c.AllConnections(ctx, hookstream.ConnectionListOptions{})
}

// FindByKey lists the connections between the Connection's source and destination and picks the one with its
// name. Two of them are an error: the operator never picks one. Ends that cannot be resolved have nothing to find.
func (h *connectionClient) FindByKey(ctx context.Context, c *v1.Connection) (*hookstream.Connection, bool, error) {
	var key connectionKey
	if recorded := c.Annotations[v1.AnnotationCreateKey]; recorded == "" || json.Unmarshal([]byte(recorded), &key) != nil {
		// No key recorded with the create marker (none was marked, or by an earlier version): the spec's.
		get := func(into client.Object, namespace, name string) error {
			return managed.GetReferenced(ctx, h.objects, kindConnection, c.Namespace, namespace, name, into)
		}
		var err error
		if key.SourceID, key.DestinationID, err = resolveEnds(c, get, nil); err != nil {
			if _, waiting := errors.AsType[*managed.WaitError](err); waiting || managed.IsNotPermitted(err) {
				// Nothing of an end that is not there yet, or not allowed, can have been created.
				return nil, false, nil
			}
			return nil, false, err
		}
		key.Name = connectionName(c)
	}
	sourceID, destinationID, name := key.SourceID, key.DestinationID, key.Name
	var matches []*hookstream.Connection
	for row, err := range h.c.AllConnections(ctx, hookstream.ConnectionListOptions{SourceID: sourceID, DestinationID: destinationID}) {
		if err != nil {
			return nil, false, err
		}
		if row.Name == name && row.SourceID == sourceID && row.DestinationID == destinationID {
			matches = append(matches, row)
		}
	}
	switch len(matches) {
	case 0:
		return nil, false, nil
	case 1:
		return matches[0], true, nil
	}
	return nil, false, managed.Stall(v1.ReasonAmbiguousRemote, "%d remote connections have source %s, destination %s and "+
		"name %q, so the operator cannot tell which is this Connection's; delete the extra ones in hookstream, or set "+
		"spec.adoptID to the one to manage", len(matches), sourceID, destinationID, name)
}

// Create creates the connection. hookstream's 404 does not say which end is missing: both are read to tell. A 409
// (a hookstream that makes connection names unique) means the key is taken: by a connection between the same ends,
// which the machinery looks up as for any conflict, or by one between others, which only another name resolves.
func (h *connectionClient) Create(ctx context.Context, want *desiredConnection) (*hookstream.Connection, error) {
	created, err := h.c.CreateConnection(ctx, &want.request)
	req := &want.request
	if hookstream.IsConflict(err) {
		return nil, h.nameTaken(ctx, req, err)
	}
	if err == nil || !hookstream.IsNotFound(err) {
		return created, err
	}
	if _, gerr := h.c.GetSource(ctx, req.SourceID); hookstream.IsNotFound(gerr) {
		return nil, managed.Refuse(v1.ReasonNotFound, "hookstream has no source %s in the credentials' project", req.SourceID)
	}
	if _, gerr := h.c.GetDestination(ctx, req.DestinationID); hookstream.IsNotFound(gerr) {
		return nil, managed.Refuse(v1.ReasonNotFound, "hookstream has no destination %s in the credentials' project", req.DestinationID)
	}
	return nil, err
}

// nameTaken explains a 409 on create: the conflict itself when a connection between the same ends has the name,
// else a stall naming the connection elsewhere that holds it.
func (h *connectionClient) nameTaken(ctx context.Context, req *hookstream.ConnectionCreateRequest, conflict error) error {
	for row, err := range h.c.AllConnections(ctx, hookstream.ConnectionListOptions{}) {
		if err != nil {
			return err
		}
		if row.Name != req.Name {
			continue
		}
		if row.SourceID == req.SourceID && row.DestinationID == req.DestinationID {
			return conflict
		}
		return managed.Refuse(v1.ReasonConflict, "hookstream refuses the name %q: connection %s (source %s, destination %s) "+
			"has it, and this hookstream makes connection names unique; set spec.displayName to a free name",
			req.Name, row.ID, row.SourceID, row.DestinationID)
	}
	return conflict
}

func (h *connectionClient) Update(ctx context.Context, id string, patch *hookstream.ConnectionUpdateRequest) (*hookstream.Connection, error) {
	return h.c.UpdateConnection(ctx, id, patch)
}

func (h *connectionClient) Delete(ctx context.Context, id string) error {
	return h.c.DeleteConnection(ctx, id)
}
