// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0
// Package fourthkind is a throwaway fourth kind, Widget, added the way docs/maintainers.md says a kind is added:
// its API type (this file, as api/v1alpha1/<kind>_types.go), its Definition with its Kind and External
// (widget_controller.go, as internal/controller/<kind>_controller.go), and its reconciler set up on the machinery of
// package managed. Its remote resources live in memory (widgetStore) instead of hookstream. Its test shows that the
// machinery creates, updates, corrects and deletes them with nothing else added.
package fourthkind

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
)

// GroupVersion is the throwaway kind's own API group, apart from hookstream.io's.
var GroupVersion = schema.GroupVersion{Group: "fourthkind.test.hookstream.io", Version: "v1alpha1"}

// SchemeBuilder registers Widget and WidgetList.
var SchemeBuilder = runtime.NewSchemeBuilder(func(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &Widget{}, &WidgetList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
})

// WidgetSpec is a widget's desired state: the lifecycle fields every kind shares, and its colour.
type WidgetSpec struct {
	v1.ManagedSpec `json:",inline"`
	Color          string `json:"color"`
}

// WidgetStatus mirrors the remote widget.
type WidgetStatus struct {
	v1.ManagedStatus `json:",inline"`
	Color            string `json:"color,omitempty"`
}

// Widget is the throwaway kind.
type Widget struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              WidgetSpec   `json:"spec,omitempty"`
	Status            WidgetStatus `json:"status,omitempty"`
}

// GetManagedSpec returns the lifecycle fields of the spec.
func (w *Widget) GetManagedSpec() *v1.ManagedSpec { return &w.Spec.ManagedSpec }

// GetManagedStatus returns the common fields of the status.
func (w *Widget) GetManagedStatus() *v1.ManagedStatus { return &w.Status.ManagedStatus }

// DeepCopyObject copies the widget (controller-gen writes this for a kind of api/v1alpha1).
func (w *Widget) DeepCopyObject() runtime.Object {
	out := &Widget{TypeMeta: w.TypeMeta}
	meta, spec, status := w.ObjectMeta, w.Spec, w.Status
	meta.DeepCopyInto(&out.ObjectMeta)
	spec.DeepCopyInto(&out.Spec.ManagedSpec)
	out.Spec.Color = spec.Color
	status.DeepCopyInto(&out.Status.ManagedStatus)
	out.Status.Color = status.Color
	return out
}

// WidgetList is a list of widgets.
type WidgetList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Widget `json:"items"`
}

// DeepCopyObject copies the list.
func (l *WidgetList) DeepCopyObject() runtime.Object {
	out := &WidgetList{TypeMeta: l.TypeMeta}
	list := l.ListMeta
	list.DeepCopyInto(&out.ListMeta)
	for i := range l.Items {
		out.Items = append(out.Items, *l.Items[i].DeepCopyObject().(*Widget))
	}
	return out
}
