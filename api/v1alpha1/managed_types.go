// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ManagedSpec holds the lifecycle fields every hookstream kind has. Kinds embed it inline, so the fields sit
// directly under spec.
type ManagedSpec struct {
	// managementPolicy: `Manage` (default) creates, updates and deletes the remote resource; `Observe` never
	// writes to hookstream: it finds the remote resource (by adoptID, else by its natural key such as the slug),
	// mirrors it into status and lists in status.drift what `Manage` would change.
	// +optional
	ManagementPolicy ManagementPolicy `json:"managementPolicy,omitempty"`

	// deletionPolicy: `Delete` (default) deletes the remote resource with the object; `Orphan` leaves it in
	// hookstream.
	// +optional
	DeletionPolicy DeletionPolicy `json:"deletionPolicy,omitempty"`

	// adoptionPolicy decides what happens when creating finds the natural key (the slug) already used in the
	// project: `Never` (default) leaves the existing resource untouched and reports SlugConflict; `BySlug` takes
	// it over and then converges it to the spec, PATCHing only the fields that differ.
	// +optional
	AdoptionPolicy AdoptionPolicy `json:"adoptionPolicy,omitempty"`

	// adoptID takes over the existing hookstream resource with this id instead of creating one. Nothing is
	// changed remotely until the normal comparison, which PATCHes only the fields that differ. Cannot be added,
	// changed or removed later.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9_-]+$`
	AdoptID string `json:"adoptID,omitempty"`

	// credentialsRef names the Secret, in the object's namespace, that holds the hookstream API key under the
	// key `apiKey`. The key decides the hookstream project. Defaults to the manager's default credentials Secret
	// (flag --default-credentials-secret, `hookstream-credentials` unless changed).
	// +optional
	CredentialsRef *LocalObjectReference `json:"credentialsRef,omitempty"`

	// ignoreChanges lists remote fields, as status.drift names them (the part before a dot: auth_config covers
	// auth_config.token), that the operator sets when it creates the remote resource and never corrects after:
	// changes made to them outside the operator stay, and status.drift lists them as ignored. Example: [status]
	// lets on-call pause a destination in the dashboard.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=64
	// +kubebuilder:validation:items:Pattern=`^[a-z][a-z0-9_]*$`
	IgnoreChanges []string `json:"ignoreChanges,omitempty"`
}

// ManagedStatus holds the status fields every hookstream kind has. Kinds embed it inline.
type ManagedStatus struct {
	// observedGeneration is the metadata.generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// id of the remote resource in hookstream.
	// +optional
	ID string `json:"id,omitempty"`

	// appliedSecretsHash is a keyed hash (HMAC-SHA256) of the secret values last sent to hookstream, and of data
	// read from referenced ConfigMaps (a Source's schema). hookstream masks secrets on read, so this is how a
	// rotated Secret is detected; it reveals nothing of the values.
	// +optional
	AppliedSecretsHash string `json:"appliedSecretsHash,omitempty"`

	// refusedInputHash is a keyed hash of the request that was refused for good (by hookstream with a 4xx that no
	// retry can cure, or by the operator before the call) together with the spec's generation. While the spec,
	// its Secrets and ConfigMaps hash the same and hookstream.io/reconcile-requested-at is unchanged, the operator
	// does not call hookstream again for it. It reveals nothing of the values.
	// +optional
	RefusedInputHash string `json:"refusedInputHash,omitempty"`

	// drift lists the remote fields that differ from the spec. With managementPolicy Observe: what Manage would
	// change now. With Manage: what the last correction of changes made outside the operator reverted. Secret
	// values are never shown.
	// +optional
	// +listType=map
	// +listMapKey=field
	Drift []FieldDrift `json:"drift,omitempty"`

	// driftObservedAt is when status.drift was last set.
	// +optional
	DriftObservedAt *metav1.Time `json:"driftObservedAt,omitempty"`

	// driftHeldUntil is the time of the hookstream.io/hold-drift-until annotation while its hold lasts: changes
	// made outside the operator are kept until then.
	// +optional
	DriftHeldUntil *metav1.Time `json:"driftHeldUntil,omitempty"`

	// lastHandledReconcileAt echoes the value of the hookstream.io/reconcile-requested-at annotation that was
	// last acted on.
	// +optional
	LastHandledReconcileAt string `json:"lastHandledReconcileAt,omitempty"`

	// conditions: Ready (the remote resource exists and matches the spec), Synced (the last attempt to reach
	// hookstream worked), Reconciling (a change is in progress) and Stalled (progress needs a change by you);
	// a Destination also has Delivering (its circuit breaker is closed and it is active).
	// +optional
	// +listType=map
	// +listMapKey=type
	// +patchStrategy=merge
	// +patchMergeKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`
}

// ManagementPolicy says whether the operator may write to hookstream.
// +kubebuilder:validation:Enum=Manage;Observe
type ManagementPolicy string

const (
	// ManagementManage creates, updates and deletes the remote resource.
	ManagementManage ManagementPolicy = "Manage"
	// ManagementObserve only reads the remote resource and reports the drift.
	ManagementObserve ManagementPolicy = "Observe"
)

// DeletionPolicy says what happens to the remote resource when the object is deleted.
// +kubebuilder:validation:Enum=Delete;Orphan
type DeletionPolicy string

const (
	// DeletionDelete deletes the remote resource.
	DeletionDelete DeletionPolicy = "Delete"
	// DeletionOrphan leaves the remote resource in hookstream.
	DeletionOrphan DeletionPolicy = "Orphan"
)

// AdoptionPolicy says whether an existing remote destination with the same slug may be taken over.
// +kubebuilder:validation:Enum=Never;BySlug
type AdoptionPolicy string

const (
	// AdoptNever reports a slug conflict and leaves the existing remote resource untouched.
	AdoptNever AdoptionPolicy = "Never"
	// AdoptBySlug takes over the existing remote resource with the same slug.
	AdoptBySlug AdoptionPolicy = "BySlug"
)

// FieldDrift is one remote field that differs from the spec.
type FieldDrift struct {
	// field is the hookstream API field, for example url or provider_config.region.
	// +required
	Field string `json:"field"`
	// desired is the value the spec asks for ("(secret)" for secret values).
	// +optional
	Desired string `json:"desired,omitempty"`
	// observed is the value hookstream holds ("(secret, differs)" for secret values).
	// +optional
	Observed string `json:"observed,omitempty"`
	// ignored says that spec.ignoreChanges lists the field: the operator never corrects it.
	// +optional
	Ignored bool `json:"ignored,omitempty"`
	// heldUntil says that the hookstream.io/hold-drift-until annotation keeps the change until then.
	// +optional
	HeldUntil *metav1.Time `json:"heldUntil,omitempty"`
}
