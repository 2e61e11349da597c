// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// HookstreamReferenceGrantSpec lists who may reference what. A reference is allowed when one entry of from and
// one entry of to match it. It is shaped like Gateway API's ReferenceGrant and works without Gateway API.
type HookstreamReferenceGrantSpec struct {
	// from lists the namespaces (and kinds) whose objects may reference objects of this grant's namespace.
	// +required
	// +listType=atomic
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	From []ReferenceGrantFrom `json:"from"`

	// to lists the objects of this grant's namespace that may be referenced: every object of a kind, or one by
	// name.
	// +required
	// +listType=atomic
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	To []ReferenceGrantTo `json:"to"`
}

// ReferenceGrantFrom is a kind of object, in one namespace, that may reference.
type ReferenceGrantFrom struct {
	// group of the referring kind: hookstream.io.
	// +required
	// +kubebuilder:validation:Enum=hookstream.io
	Group string `json:"group"`

	// kind of the referring object: Connection (a Connection's sourceRef and destinationRef).
	// +required
	// +kubebuilder:validation:Enum=Connection
	Kind string `json:"kind"`

	// namespace of the referring objects.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Namespace string `json:"namespace"`
}

// ReferenceGrantTo is a kind of object of the grant's namespace, all of them or one, that may be referenced.
type ReferenceGrantTo struct {
	// group of the referenced kind: hookstream.io.
	// +required
	// +kubebuilder:validation:Enum=hookstream.io
	Group string `json:"group"`

	// kind of the referenced object: Source or Destination.
	// +required
	// +kubebuilder:validation:Enum=Source;Destination
	Kind string `json:"kind"`

	// name of the one object that may be referenced; every object of the kind when unset.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:resource:shortName=hsrg,categories=hookstream
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// HookstreamReferenceGrant lets objects of other namespaces reference objects of its own namespace: written by
// the team that owns the referenced objects, it allows Connections of the namespaces it lists to route from or
// to its Sources and Destinations. Deleting it stops those references: their remote connections are paused.
type HookstreamReferenceGrant struct {
	metav1.TypeMeta `json:",inline"`

	// metadata is standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitzero"`

	// spec says who may reference what.
	// +required
	Spec HookstreamReferenceGrantSpec `json:"spec"`
}

// +kubebuilder:object:root=true

// HookstreamReferenceGrantList is a list of HookstreamReferenceGrants.
type HookstreamReferenceGrantList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitzero"`
	Items           []HookstreamReferenceGrant `json:"items"`
}

// Allows reports whether the grant lets an object of kind fromKind in namespace from reference the object of kind
// toKind named name in the grant's namespace.
func (g *HookstreamReferenceGrant) Allows(fromKind, from, toKind, name string) bool {
	fromOK, toOK := false, false
	for _, f := range g.Spec.From {
		fromOK = fromOK || (f.Group == GroupVersion.Group && f.Kind == fromKind && f.Namespace == from)
	}
	for _, t := range g.Spec.To {
		toOK = toOK || (t.Group == GroupVersion.Group && t.Kind == toKind && (t.Name == "" || t.Name == name))
	}
	return fromOK && toOK
}

func init() {
	SchemeBuilder.Register(func(s *runtime.Scheme) error {
		s.AddKnownTypes(SchemeGroupVersion, &HookstreamReferenceGrant{}, &HookstreamReferenceGrantList{})
		return nil
	})
}
