// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/controller"
)

// objectSet serves Gets of hookstream objects from memory (the manifests, with the remote ids a plan found), then
// from fallback (the cluster) when set. It is the Reader the controllers' references and lookups read through.
type objectSet struct {
	objects  map[string]client.Object
	fallback client.Reader
}

func newObjectSet(fallback client.Reader) *objectSet {
	return &objectSet{objects: map[string]client.Object{}, fallback: fallback}
}

// The kinds the plugin treats apart from the others.
const (
	kindDestination = "Destination"
	kindSource      = "Source"
	kindConnection  = "Connection"
)

func objectKey(kind, namespace, name string) string { return kind + "/" + namespace + "/" + name }

// kindOf names the kind of a hookstream object (controller.Kinds), or its Go type for anything else.
func kindOf(obj client.Object) string {
	if k, ok := controller.KindOf(obj); ok {
		return k.Kind
	}
	return fmt.Sprintf("%T", obj)
}

func (s *objectSet) put(obj client.Object) {
	s.objects[objectKey(kindOf(obj), obj.GetNamespace(), obj.GetName())] = obj
}

// Get copies the object into into.
func (s *objectSet) Get(ctx context.Context, key client.ObjectKey, into client.Object, opts ...client.GetOption) error {
	kind := kindOf(into)
	obj, ok := s.objects[objectKey(kind, key.Namespace, key.Name)]
	if !ok {
		if s.fallback != nil {
			return s.fallback.Get(ctx, key, into, opts...)
		}
		return apierrors.NewNotFound(schema.GroupResource{Group: v1.GroupVersion.Group, Resource: strings.ToLower(kind) + "s"}, key.Name)
	}
	// into and obj are of one type: the key names the kind.
	reflect.ValueOf(into).Elem().Set(reflect.ValueOf(obj.DeepCopyObject()).Elem())
	return nil
}

// List lists the HookstreamReferenceGrants that allow references to another namespace: the cluster's (manifests
// are of one namespace, and a reference to it needs none). Without a cluster there is none. Nothing else is listed
// through an objectSet.
func (s *objectSet) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	if _, ok := list.(*v1.HookstreamReferenceGrantList); !ok {
		return errors.New("listing is not supported here")
	}
	if s.fallback == nil {
		return nil
	}
	return s.fallback.List(ctx, list, opts...)
}
