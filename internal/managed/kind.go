// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

// Package managed is the reconcile machinery every hookstream kind (Destination, Source, Connection) stands on:
// the skeleton (pause, delete, observe-only, create-or-adopt, update, one status patch at the end), finalizer and
// create marker, credentials with the last known key, periodic checks with jitter, list snapshots, the mapping
// of every failure to a condition and an event, condition setters and metrics. A kind supplies only the answers
// to six calls (how its remote is read, listed, created, updated, deleted and found again by its natural key) and
// its pure spec-to-request mapping and comparison: see Definition, Kind and External. A reconcile gathers what it
// needs to know, computes a Plan with a pure function (Decide) and carries the plan out (see execute.go).
package managed

import (
	"context"
	"iter"
	"reflect"
	"slices"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
)

// Object is a Kubernetes object with a remote counterpart in hookstream.
type Object interface {
	client.Object
	GetManagedSpec() *v1.ManagedSpec
	GetManagedStatus() *v1.ManagedStatus
}

// Kind is the seam between the machinery and one kind: how its remote resources are reached (Connect), and its
// pure mapping (Desired, Compare, SetObserved). O is the object, R the remote row, D the desired remote state
// built from the spec, P the update request. Everything else a kind has is data or an option of its Definition.
type Kind[O Object, R any, D Desired, P any] interface {
	// Connect returns the kind's hookstream client for an API key.
	Connect(apiKey string) (External[O, R, D, P], error)
	// Desired maps the spec to the wanted remote state, reading referenced Secrets, ConfigMaps and objects
	// through refs only. A *WaitError waits for another object; a *StalledError explains what to change; any
	// other error is the spec's to fix (InvalidSpec).
	Desired(obj O, refs Refs) (D, error)
	// Compare checks a remote row against the spec. Its error refuses the row: a *StalledError when an immutable
	// field differs, a *ReplaceError when a new remote resource can become what the row cannot. Otherwise it
	// lists what differs, for the fields the spec sets, and the update request that would make them equal.
	// secretsRotated says that the Secrets changed since they were applied: the masked remote values cannot
	// show it.
	Compare(obj O, want D, remote R, secretsRotated bool) (Observation[P], error)
	// SetObserved mirrors the remote row into the object's status (the id aside: the machinery records it).
	SetObserved(obj O, remote R)
}

// External is a kind's hookstream client, bound to one API key: the six calls the machinery makes. Its errors
// are the machinery's own: a failed hookstream call is a *RemoteError (see RemoteErrorFrom).
type External[O Object, R any, D Desired, P any] interface {
	// Observe reads a remote row by id; a RemoteNotFound error when there is none.
	Observe(ctx context.Context, id string) (R, error)
	// List walks every row of the key's project; the periodic checks read it once per key and interval.
	List(ctx context.Context) iter.Seq2[R, error]
	// FindByKey finds the row an earlier create of obj may have made, by the kind's natural key; found is false
	// when there is none. Two rows for one key are an error: the machinery must not pick one.
	FindByKey(ctx context.Context, obj O) (row R, found bool, err error)
	// Create creates the remote row; a RemoteConflict error when the natural key is taken.
	Create(ctx context.Context, want D) (R, error)
	// Update changes the fields of the patch only.
	Update(ctx context.Context, id string, patch P) (R, error)
	// Delete deletes the remote row; a RemoteNotFound error when it is already gone, RemoteConflict when other
	// remote resources still use it.
	Delete(ctx context.Context, id string) error
}

// Definition registers a kind with the machinery: its seam, two facts the machinery reads of its rows and
// objects, and the optional capabilities it has. The zero value of an option turns it off.
type Definition[O Object, R any, D Desired, P any] struct {
	Names Names
	Kind  Kind[O, R, D, P]
	// Row tells the generic facts of a remote row.
	Row func(remote R) Row
	// SecretRefs lists the names of the Secrets an object reads besides its credentials: a change of one
	// reconciles the object.
	SecretRefs func(obj O) []string

	// Publisher, when set, publishes facts of the remote resource in the cluster (a Source's ingest URL).
	Publisher Publisher[O]
	// Referrers, when set, names the objects of the cluster that still reference obj, for the message of a
	// deletion hookstream refuses because other remote resources use it.
	Referrers func(ctx context.Context, obj O) ([]string, error)
	// Health, when set, observes the delivery health of the remote resource (a Destination's circuit).
	Health Health[O, R]
	// RecordedKey, when set, is the natural key recorded with the create marker (AnnotationCreateKey), for kinds
	// whose spec can change the key (a Connection's name and ends): FindByKey then looks up what the marked
	// create made, even when the spec changed since.
	RecordedKey func(want D) string
}

// Publisher publishes facts of a remote resource in the cluster, such as a Source's ingest URL in a ConfigMap.
// Errors that are not a StalledError count as failed Kubernetes calls.
type Publisher[O Object] interface {
	// Publish brings what obj publishes up to date with its status; called once the remote resource was found
	// and, unless only observed, converged.
	Publish(ctx context.Context, obj O) error
	// Unpublish removes everything obj published; called before its finalizer is released, whatever the
	// deletionPolicy.
	Unpublish(ctx context.Context, obj O) error
}

// Refs reads the objects a spec references, in the object's own namespace, and in another only where a
// HookstreamReferenceGrant of that namespace allows it.
type Refs struct {
	Secret    SecretResolver
	ConfigMap ConfigMapResolver
	// Object reads an object, such as a Source a Connection references, from the manager's cache into into.
	// namespace is the object's own when empty; another one answers a *NotPermittedError unless a grant of that
	// namespace allows the reference.
	Object func(into client.Object, namespace, name string) error
	// SameProject tells whether another object uses the object's own hookstream API key, and so its project.
	SameProject func(other Object) (bool, error)
}

// Desired is the remote state an object asks for.
type Desired interface {
	// KeyDescription names the natural key for messages, such as `slug "team-a-orders"`.
	KeyDescription() string
	// SecretMaterial lists every secret value the request carries, each prefixed with its field, sorted; its
	// keyed hash tells a rotated Secret.
	SecretMaterial() []string
	// Request is everything the remote resource is asked to be, as a value that encodes to JSON the same way for
	// the same spec, Secrets and ConfigMaps: its keyed hash tells whether a request refused for good changed.
	Request() any
}

// NewObject returns an empty object of a kind: O is a pointer to the kind's struct.
func NewObject[O Object]() O {
	return reflect.New(reflect.TypeFor[O]().Elem()).Interface().(O)
}

// Names names a kind.
type Names struct {
	// Kind is the Kubernetes kind, such as "Destination".
	Kind string
	// Remote is hookstream's noun for the remote resource, such as "destination".
	Remote string
	// NoSlug says the kind's natural key is not a slug, so adoptionPolicy BySlug does not apply to it.
	NoSlug bool
}

// Row is what the machinery needs to know of any remote row.
type Row struct {
	ID string
	// Key describes the natural key for messages, such as `slug team-a-orders`.
	Key       string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// FieldDiff is one remote field that differs from the spec.
type FieldDiff struct {
	Field    string
	Desired  string
	Observed string
	// Secret hides both values wherever the difference is shown.
	Secret bool
	// Ignored: spec.ignoreChanges lists the field, which is never corrected.
	Ignored bool
	// HeldUntil: the hold-drift-until annotation keeps the change until then; nil when not held.
	HeldUntil *time.Time
}

// Observation is the comparison of the spec with a remote row: the differing fields and the update request
// that makes them equal.
type Observation[P any] struct {
	Patch P
	Diffs []FieldDiff
}

// Add records a differing field that is not secret.
func (o *Observation[P]) Add(field, desired, observed string) {
	o.Diffs = append(o.Diffs, FieldDiff{Field: field, Desired: desired, Observed: observed})
}

// UpToDate reports whether nothing differs.
func (o Observation[P]) UpToDate() bool { return len(o.Diffs) == 0 }

// Fields lists the differing field names, sorted, each once.
func (o Observation[P]) Fields() []string { return fieldsOf(o.Diffs) }

// fieldsOf lists the field names of diffs, sorted, each once.
func fieldsOf(diffs []FieldDiff) []string {
	names := make([]string, 0, len(diffs))
	for _, d := range diffs {
		names = append(names, d.Field)
	}
	slices.Sort(names)
	return slices.Compact(names)
}
