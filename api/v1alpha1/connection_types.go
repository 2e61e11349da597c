// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package v1alpha1

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// ConnectionSpec is the desired state of a hookstream connection: the route from one source to one destination,
// with the events it lets through and how it reshapes them. Fields left unset are not managed.
//
// +kubebuilder:validation:XValidation:rule="has(self.sourceRef) != has(self.sourceID)",message="set exactly one of spec.sourceRef (a Source object) and spec.sourceID (a source not managed here)"
// +kubebuilder:validation:XValidation:rule="has(self.destinationRef) != has(self.destinationID)",message="set exactly one of spec.destinationRef (a Destination object) and spec.destinationID (a destination not managed here)"
// +kubebuilder:validation:XValidation:rule="!has(self.adoptionPolicy) || self.adoptionPolicy == 'Never'",message="spec.adoptionPolicy BySlug has no meaning for a Connection, which has no slug: to take over a remote connection, set spec.adoptID"
// +kubebuilder:validation:XValidation:rule="has(self.adoptID) == has(oldSelf.adoptID) && (!has(self.adoptID) || self.adoptID == oldSelf.adoptID)",message="spec.adoptID cannot be added, changed or removed after creation: create a new Connection to take over another remote connection"
type ConnectionSpec struct {
	// The lifecycle fields every kind has: managementPolicy, deletionPolicy, adoptionPolicy, adoptID and
	// credentialsRef. A connection has no slug: its natural key is its source, its destination and its name.
	ManagedSpec `json:",inline"`

	// displayName is the connection's name in hookstream (API field `name`), 1 to 128 characters. Defaults to a
	// name derived from the namespace and name (`<namespace>-<name>-<hash of both>`), which, with the source and
	// the destination, lets the operator find the connection again after a crash.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	DisplayName string `json:"displayName,omitempty"`

	// description of the connection in hookstream, at most 1024 characters.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Description string `json:"description,omitempty"`

	// sourceRef names the Source whose events the connection routes; the Connection waits until it has an id.
	// A Source of another namespace needs a HookstreamReferenceGrant in that namespace. hookstream cannot
	// re-point a connection: a change replaces the remote connection.
	// +optional
	SourceRef *EndReference `json:"sourceRef,omitempty"`

	// sourceID is the id of a hookstream source not managed by a Source object. A change replaces the remote
	// connection.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9_-]+$`
	SourceID string `json:"sourceID,omitempty"`

	// destinationRef names the Destination that receives the routed events; the Connection waits until it has
	// an id. A Destination of another namespace needs a HookstreamReferenceGrant in that namespace. A change
	// replaces the remote connection.
	// +optional
	DestinationRef *EndReference `json:"destinationRef,omitempty"`

	// destinationID is the id of a hookstream destination not managed by a Destination object. A change replaces
	// the remote connection.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9_-]+$`
	DestinationID string `json:"destinationID,omitempty"`

	// filters lets an event through only when every rule matches (AND); an empty list routes every event (and
	// clears rules set in hookstream); unset leaves hookstream's rules alone. An event that several connections
	// let through goes to each of their destinations. At most 50 rules.
	// +optional
	// +kubebuilder:validation:MaxItems=50
	// +listType=atomic
	Filters []FilterRule `json:"filters,omitempty"`

	// transform is a JSONata expression applied to the parsed JSON body after the filters; it must return a JSON
	// object, which HTTP destinations then receive instead of the body. An event whose transform fails is not
	// delivered through this connection (hookstream records a failed attempt). Empty means no transform. The
	// syntax is checked before anything is sent; a bad expression is reported as InvalidSpec.
	// +optional
	// +kubebuilder:validation:MaxLength=16384
	Transform *string `json:"transform,omitempty"`

	// state is the connection's state (API fields `status` and `enabled`, set together): `active` routes events,
	// `paused` and `disabled` skip the connection (events arriving meanwhile are never delivered through it).
	// Unset leaves hookstream's value (`active` for a new connection).
	// +optional
	State ResourceState `json:"state,omitempty"`
}

// FilterOperator compares an event field with a rule's value.
// +kubebuilder:validation:Enum=eq;neq;contains;gt;gte;lt;lte;exists;in
type FilterOperator string

// FilterRule is one condition on an event. The operator and the field are checked at apply time; the value's type
// (which the schema cannot see: any JSON is allowed there) is checked by the operator before anything is sent, and
// a wrong one is reported as InvalidSpec.
type FilterRule struct {
	// field is what the rule reads: `payload.<dot.path>` (the JSON body; a number in the path indexes an array),
	// `headers.<name>` (a request header, any case), `method`, `content_type` or `source_ip`.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:Pattern=`^(payload\.[^.\s]+(\.[^.\s]+)*|headers\.[A-Za-z0-9!#$%&'*+.^_|~-]+|method|content_type|source_ip)$`
	Field string `json:"field"`
	// op: `eq`/`neq` (strict JSON equality: "5" is not 5), `contains` (substring), `gt`/`gte`/`lt`/`lte`
	// (numbers only), `exists` (true: present, false: absent), `in` (one of a list). On a missing field every
	// operator is false except neq and exists: false.
	// +required
	Op FilterOperator `json:"op"`
	// value to compare with, of the type the operator takes: a string, number, true, false or null for eq and
	// neq; a string for contains; a number for gt, gte, lt and lte; true or false for exists; a list for in.
	// +required
	// +nullable
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:pruning:PreserveUnknownFields
	Value *apiextensionsv1.JSON `json:"value"`
}

// EndReference names the Source or Destination a Connection routes from or to.
type EndReference struct {
	// name of the object.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// namespace of the object; the Connection's own when unset. Another namespace must allow the reference with
	// a HookstreamReferenceGrant, and the object must use the Connection's hookstream project.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Namespace string `json:"namespace,omitempty"`
}

// ConnectionStatus is the observed state of a Connection.
type ConnectionStatus struct {
	// The status fields every kind has: observedGeneration, id, appliedSecretsHash, drift, driftObservedAt,
	// lastHandledReconcileAt and conditions.
	ManagedStatus `json:",inline"`

	// name of the remote connection: spec.displayName or the derived one.
	// +optional
	Name string `json:"name,omitempty"`

	// sourceID is the id of the source the remote connection routes from.
	// +optional
	SourceID string `json:"sourceID,omitempty"`

	// destinationID is the id of the destination the remote connection routes to.
	// +optional
	DestinationID string `json:"destinationID,omitempty"`

	// state is the remote connection's state (API field `status`; `disabled` when `enabled` is off).
	// +optional
	State string `json:"state,omitempty"`

	// pausedWithoutGrant says that the operator paused the remote connection because a HookstreamReferenceGrant
	// no longer allows one of its references (condition reason RefNotPermitted). Once a grant allows it again,
	// the connection is resumed, unless spec.state says otherwise.
	// +optional
	PausedWithoutGrant bool `json:"pausedWithoutGrant,omitempty"`

	// eventCount is the number of events the connection routed (they passed its filters), as of the last check.
	// +optional
	EventCount int64 `json:"eventCount,omitempty"`

	// lastEventAt is the time of the latest routed event, as of the last check.
	// +optional
	LastEventAt *metav1.Time `json:"lastEventAt,omitempty"`

	// createdAt is when hookstream created the connection.
	// +optional
	CreatedAt *metav1.Time `json:"createdAt,omitempty"`

	// updatedAt is when hookstream last changed the connection.
	// +optional
	UpdatedAt *metav1.Time `json:"updatedAt,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=hsc,categories=hookstream
// +kubebuilder:printcolumn:name="ID",type=string,JSONPath=`.status.id`
// +kubebuilder:printcolumn:name="Source",type=string,JSONPath=`.status.sourceID`
// +kubebuilder:printcolumn:name="Destination",type=string,JSONPath=`.status.destinationID`
// +kubebuilder:printcolumn:name="State",type=string,JSONPath=`.status.state`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Synced",type=string,JSONPath=`.status.conditions[?(@.type=="Synced")].status`,priority=1
// +kubebuilder:printcolumn:name="Events",type=integer,JSONPath=`.status.eventCount`,priority=1
// +kubebuilder:printcolumn:name="Last Event",type=date,JSONPath=`.status.lastEventAt`,priority=1
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1

// Connection is a hookstream connection managed from Kubernetes: the route from a source to a destination, with
// filter rules and a transform.
type Connection struct {
	metav1.TypeMeta `json:",inline"`

	// metadata is standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitzero"`

	// spec is the desired connection. Fields left unset are not managed: hookstream keeps its own value.
	// +required
	Spec ConnectionSpec `json:"spec"`

	// status is the observed connection. A new Connection reads observedGeneration 0, so that status tools
	// (kstatus, Flux) see it as in progress until the operator has handled it.
	// +optional
	// +kubebuilder:default={observedGeneration: 0}
	Status ConnectionStatus `json:"status,omitzero"`
}

// +kubebuilder:object:root=true

// ConnectionList is a list of Connections.
type ConnectionList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitzero"`
	Items           []Connection `json:"items"`
}

func init() {
	SchemeBuilder.Register(func(s *runtime.Scheme) error {
		s.AddKnownTypes(SchemeGroupVersion, &Connection{}, &ConnectionList{})
		return nil
	})
}

// GetManagedSpec returns the lifecycle fields of the spec.
func (c *Connection) GetManagedSpec() *ManagedSpec { return &c.Spec.ManagedSpec }

// GetManagedStatus returns the status fields every kind has.
func (c *Connection) GetManagedStatus() *ManagedStatus { return &c.Status.ManagedStatus }
