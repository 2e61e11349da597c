// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0
package controller

import (
	"context"
	"fmt"
	"iter"
	"reflect"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/internal/managed"
)

// Registered is one kind the operator manages, as every consumer reads it: the manager's setup and shard cache,
// the planner (kubectl hookstream diff), the plugin's manifests, export and status, and the tests that check the
// RBAC rules and the GitOps health checks. Kinds lists them all; a kind that is not there does not exist.
type Registered struct {
	// Kind is the Kubernetes kind, such as "Destination"; Resource its plural resource, such as "destinations".
	Kind     string
	Resource string
	// Remote is hookstream's noun for the remote resource, such as "destination".
	Remote string
	// LastActivity is the status field of the remote resource's latest activity, such as "lastDeliveryAt".
	LastActivity string
	// SecretRefs names the Secrets an object of the kind reads besides its credentials.
	SecretRefs func(obj managed.Object) []string
	// New returns an empty object of the kind, NewList an empty list.
	New     func() managed.Object
	NewList func() client.ObjectList

	setup      func(mgr ctrl.Manager, s Settings) error
	remoteRows func(ctx context.Context, c *hookstream.Client) iter.Seq2[managed.Row, error]
	preview    func(ctx context.Context, p Planner, obj managed.Object, refs managed.Refs) (managed.Summary, error)
}

// Kinds are the kinds the operator manages, in the order their controllers start and the plugin lists them.
var Kinds = []Registered{
	register(kindDestination, "destinations", "lastDeliveryAt", destinationDefinition, setupDestinations,
		func(c *hookstream.Client, _ client.Reader) destinationExternal { return &destinationClient{c} }),
	register(kindSource, "sources", "lastEventAt", sourceDefinition, setupSources,
		func(c *hookstream.Client, _ client.Reader) sourceExternal { return &sourceClient{c} }),
	register(kindConnection, "connections", "lastEventAt", connectionDefinition, setupConnections,
		func(c *hookstream.Client, objects client.Reader) connectionExternal {
			return &connectionClient{c: c, objects: objects}
		}),
}

// register builds the entry of a kind from its Definition (define), its controller's setup, and its hookstream
// client for the planner (external, reading referenced objects from objects).
func register[O managed.Object, R any, D managed.Desired, P any](kind, resource, lastActivity string,
	define func(env kindEnv, s Settings) *managed.Definition[O, R, D, P], setup func(ctrl.Manager, Settings) error,
	external func(c *hookstream.Client, objects client.Reader) managed.External[O, R, D, P]) Registered {
	def := define(kindEnv{}, Settings{})
	return Registered{
		Kind: kind, Resource: resource, Remote: def.Names.Remote, LastActivity: lastActivity,
		SecretRefs: func(obj managed.Object) []string { return def.SecretRefs(obj.(O)) },
		New:        func() managed.Object { return managed.NewObject[O]() },
		NewList: func() client.ObjectList {
			l, err := kindScheme.New(v1.GroupVersion.WithKind(kind + "List"))
			if err != nil {
				panic(fmt.Sprintf("%s has no list type: %v", kind, err))
			}
			return l.(client.ObjectList)
		},
		setup: setup,
		remoteRows: func(ctx context.Context, c *hookstream.Client) iter.Seq2[managed.Row, error] {
			return func(yield func(managed.Row, error) bool) {
				for r, err := range (translated[O, R, D, P]{external(c, nil)}).List(ctx) {
					var row managed.Row
					if err == nil {
						row = def.Row(r)
					}
					if !yield(row, err) || err != nil {
						return
					}
				}
			}
		},
		preview: func(ctx context.Context, p Planner, obj managed.Object, refs managed.Refs) (managed.Summary, error) {
			typed, ok := obj.(O)
			if !ok {
				return managed.Summary{}, fmt.Errorf("%T is not a %s", obj, kind)
			}
			def := define(kindEnv{objects: p.Objects}, Settings{})
			return managed.Preview(ctx, def, translated[O, R, D, P]{external(p.Client, p.Objects)}, typed, refs, p.APIKey)
		},
	}
}

// kindScheme holds the API's types, for the list type of each kind.
var kindScheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := v1.AddToScheme(s); err != nil {
		panic(err)
	}
	return s
}()

// APIKinds lists the managed kinds of the API group (api/v1alpha1): those with a remote counterpart in
// hookstream, sorted. Every one of them must be in Kinds. The group's other kinds (HookstreamReferenceGrant) are
// settings the machinery reads, with no remote counterpart.
func APIKinds() []string {
	var kinds []string
	apiPackage := reflect.TypeFor[v1.Destination]().PkgPath()
	managedKind := reflect.TypeFor[managed.Object]()
	for gvk, t := range kindScheme.AllKnownTypes() {
		// The group also holds metav1's option types, which are no kinds of the API.
		if gvk.GroupVersion() == v1.GroupVersion && t.PkgPath() == apiPackage && !strings.HasSuffix(gvk.Kind, "List") &&
			reflect.PointerTo(t).Implements(managedKind) {
			kinds = append(kinds, gvk.Kind)
		}
	}
	slices.Sort(kinds)
	return kinds
}

// RemoteRows walks the remote resources of the kind in the project of c.
func (k Registered) RemoteRows(ctx context.Context, c *hookstream.Client) iter.Seq2[managed.Row, error] {
	return k.remoteRows(ctx, c)
}

// KindOf returns the entry of obj's kind.
func KindOf(obj client.Object) (Registered, bool) {
	i := slices.IndexFunc(Kinds, func(k Registered) bool { return fmt.Sprintf("%T", k.New()) == fmt.Sprintf("%T", obj) })
	if i < 0 {
		return Registered{}, false
	}
	return Kinds[i], true
}

// KindNamed returns the entry of the kind with the Kubernetes kind name.
func KindNamed(kind string) (Registered, bool) {
	i := slices.IndexFunc(Kinds, func(k Registered) bool { return k.Kind == kind })
	if i < 0 {
		return Registered{}, false
	}
	return Kinds[i], true
}

// kindEnv is what a kind's Definition reads of the manager: its cache, its direct reader and the reference index.
// The planner has the cache alone.
type kindEnv struct {
	// objects reads from the manager's cache (or the plugin's manifests).
	objects client.Reader
	// api reads from the API server.
	api client.Reader
	// referrers names the Connections that reference an object; nil when not known.
	referrers referrersFunc
}

// newKindEnv is the kindEnv of a manager.
func newKindEnv(mgr ctrl.Manager, s Settings) kindEnv {
	return kindEnv{objects: mgr.GetClient(), api: mgr.GetAPIReader(), referrers: s.referrers(mgr)}
}

// Planner computes, for any registered kind, what its controller would do to hookstream for one object: the
// kind's own Definition and the plan function of package managed (managed.Preview), reading only.
type Planner struct {
	// Client reads hookstream with APIKey, the key the objects' credentials Secret holds.
	Client *hookstream.Client
	APIKey string
	// Objects reads the Sources and Destinations that Connections reference, with their status.id: the
	// Connection's natural key holds their ids.
	Objects client.Reader
}

// Plan computes what the controller of obj's kind would do to hookstream. obj's status carries what the cluster
// recorded (status.id, status.appliedSecretsHash); refs reads what its spec references. A failed hookstream read
// is returned as the error.
func (p Planner) Plan(ctx context.Context, obj managed.Object, refs managed.Refs) (managed.Summary, error) {
	k, ok := KindOf(obj)
	if !ok {
		return managed.Summary{}, fmt.Errorf("%T is not a hookstream kind", obj)
	}
	return k.preview(ctx, p, obj, refs)
}
