// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package managed

// References across namespaces. An object reads what its spec references in its own namespace; another
// namespace opens its objects with a HookstreamReferenceGrant, which only that namespace can write. The check is
// made here, in one place, for every kind and for the kubectl plugin's diff.

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
)

// NotPermittedError is a reference to an object of another namespace that no HookstreamReferenceGrant of that
// namespace allows.
type NotPermittedError struct {
	// FromKind and From are the referring object's kind and namespace; Kind, Namespace and Name the referenced
	// object.
	FromKind, From        string
	Kind, Namespace, Name string
}

func (e *NotPermittedError) Error() string {
	return fmt.Sprintf("%s %q of namespace %q may not be referenced from namespace %q: no HookstreamReferenceGrant of "+
		"namespace %q allows %ss of %q to reference it; its owners can create one (from: [{group: %s, kind: %s, "+
		"namespace: %s}], to: [{group: %s, kind: %s, name: %s}])", e.Kind, e.Name, e.Namespace, e.From, e.Namespace,
		e.FromKind, e.From, v1.GroupVersion.Group, e.FromKind, e.From, v1.GroupVersion.Group, e.Kind, e.Name)
}

// checkReference returns a *NotPermittedError unless an object of kind fromKind in namespace from may reference
// the object of kind kind named name in namespace ns: its own namespace always may, another only by a grant of
// ns. grants reads the HookstreamReferenceGrants.
func checkReference(ctx context.Context, grants client.Reader, fromKind, from, kind, ns, name string) error {
	if ns == from {
		return nil
	}
	var list v1.HookstreamReferenceGrantList
	if err := grants.List(ctx, &list, client.InNamespace(ns)); err != nil {
		return kubeErr("list the HookstreamReferenceGrants of namespace "+ns, err)
	}
	for i := range list.Items {
		if list.Items[i].Allows(fromKind, from, kind, name) {
			return nil
		}
	}
	return &NotPermittedError{FromKind: fromKind, From: from, Kind: kind, Namespace: ns, Name: name}
}

// apiScheme knows the kinds of the API group: the kind of what a reference reads is told from its Go type.
var apiScheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := v1.AddToScheme(s); err != nil {
		panic(err)
	}
	return s
}()

// GetReferenced reads into the object that an object of kind fromKind in namespace from references: of into's
// kind, named name in namespace (from's when empty), once checkReference allows it.
func GetReferenced(ctx context.Context, objects client.Reader, fromKind, from, namespace, name string, into client.Object) error {
	if namespace == "" {
		namespace = from
	}
	gvk, err := apiutil.GVKForObject(into, apiScheme)
	if err != nil {
		return err
	}
	if err := checkReference(ctx, objects, fromKind, from, gvk.Kind, namespace, name); err != nil {
		return err
	}
	return objects.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, into)
}

// IsNotPermitted reports a reference that no grant allows.
func IsNotPermitted(err error) bool {
	_, ok := errors.AsType[*NotPermittedError](err)
	return ok
}

// DisabledError, returned by Kind.Desired together with a mapping, says that the object may no longer have what its
// spec asks for (a reference that a grant stopped allowing), and that the mapping turns its remote resource off
// instead: an existing remote resource is brought to that mapping, none is created, and the object stalls with the
// reason. Nothing is deleted behind its owner's back.
type DisabledError struct {
	Cause *StalledError
}

func (e *DisabledError) Error() string { return e.Cause.Error() }

func (e *DisabledError) Unwrap() error { return e.Cause }

// Disable returns a DisabledError.
func Disable(reason, format string, args ...any) error {
	return &DisabledError{Cause: &StalledError{Reason: reason, Message: fmt.Sprintf(format, args...)}}
}

// mapSpec calls the kind's mapping and sets the facts it gives: the mapping, its failure, or a mapping that
// disables the remote resource.
func mapSpec[O Object, R any, D Desired, P any](def *Definition[O, R, D, P], obj O, refs Refs, f *Facts[R, D]) {
	f.Want, f.MapErr = def.Kind.Desired(obj, refs)
	if disabled, ok := errors.AsType[*DisabledError](f.MapErr); ok {
		f.Disabled, f.MapErr = disabled.Cause, nil
	}
}
