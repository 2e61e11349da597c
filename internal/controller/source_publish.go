// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/managed"
)

// Keys and marks of the ingest URL ConfigMap.
const (
	ConfigMapKeyIngestURL = "ingestURL"
	ConfigMapKeySourceID  = "sourceID"
	// annotationContentHash lets the operator see from the cached metadata alone that a ConfigMap is current.
	annotationContentHash = "hookstream.io/content-hash"
	fieldOwner            = "hookstream-operator"
)

// configMapPublisher writes a Source's ingest URL into the ConfigMap spec.ingestURLConfigMap names, and deletes
// it again. It only ever changes ConfigMaps the Source controls (owner reference with its UID), and reads only
// their metadata from the manager's cache.
type configMapPublisher struct {
	client client.Client
	// api reads from the API server, where the cache may not have caught up.
	api client.Reader
}

// publish brings the ConfigMap up to date with the Source's status, and deletes the one an earlier
// spec.ingestURLConfigMap named.
func (p *configMapPublisher) Publish(ctx context.Context, s *v1.Source) error {
	st := &s.Status
	name := s.Spec.IngestURLConfigMap
	if old := st.IngestURLConfigMap; old != "" && old != name {
		if err := p.deleteOwned(ctx, s, old); err != nil {
			return err
		}
		st.IngestURLConfigMap = ""
	}
	if name == "" || st.IngestURL == "" {
		return nil
	}
	data := map[string]string{ConfigMapKeyIngestURL: st.IngestURL, ConfigMapKeySourceID: st.ID}
	hash := contentHash(data)

	current, err := p.metadata(ctx, p.client, s.Namespace, name)
	if apierrors.IsNotFound(err) {
		// The cache may lag behind a ConfigMap someone just created: never write over it unseen.
		current, err = p.metadata(ctx, p.api, s.Namespace, name)
	}
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return fmt.Errorf("read ConfigMap %q: %w", name, err)
	case !controlledBy(current, s):
		return managed.Stall(v1.ReasonConfigMapConflict, "ConfigMap %q already exists in namespace %q and does not belong to "+
			"this Source, so it was left untouched; delete it or choose another spec.ingestURLConfigMap", name, s.Namespace)
	case current.Annotations[annotationContentHash] == hash:
		st.IngestURLConfigMap = name
		return nil
	}

	cm := corev1ac.ConfigMap(name, s.Namespace).
		WithLabels(map[string]string{"app.kubernetes.io/managed-by": fieldOwner}).
		WithAnnotations(map[string]string{annotationContentHash: hash}).
		WithOwnerReferences(metav1ac.OwnerReference().
			WithAPIVersion(v1.GroupVersion.String()).WithKind(kindSource).WithName(s.Name).WithUID(s.UID).
			WithController(true).WithBlockOwnerDeletion(true)).
		WithData(data)
	if err := p.client.Apply(ctx, cm, client.FieldOwner(fieldOwner), client.ForceOwnership); err != nil {
		return fmt.Errorf("write ConfigMap %q: %w", name, err)
	}
	st.IngestURLConfigMap = name
	return nil
}

// unpublish deletes every ConfigMap the Source published: the one its spec names and the one its status
// recorded. Owner references would let a garbage collector do it, but not every cluster runs one.
func (p *configMapPublisher) Unpublish(ctx context.Context, s *v1.Source) error {
	names := []string{s.Spec.IngestURLConfigMap, s.Status.IngestURLConfigMap}
	for _, name := range slices.Compact(names) {
		if name == "" {
			continue
		}
		if err := p.deleteOwned(ctx, s, name); err != nil {
			return err
		}
	}
	return nil
}

// deleteOwned deletes the ConfigMap if the Source controls it; a missing one counts as deleted.
func (p *configMapPublisher) deleteOwned(ctx context.Context, s *v1.Source, name string) error {
	current, err := p.metadata(ctx, p.api, s.Namespace, name)
	switch {
	case apierrors.IsNotFound(err):
		return nil
	case err != nil:
		return fmt.Errorf("read ConfigMap %q: %w", name, err)
	case !controlledBy(current, s):
		return nil
	}
	err = p.client.Delete(ctx, current, client.Preconditions{UID: &current.UID, ResourceVersion: &current.ResourceVersion})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete ConfigMap %q: %w", name, err)
	}
	return nil
}

func (p *configMapPublisher) metadata(ctx context.Context, r client.Reader, namespace, name string) (*metav1.PartialObjectMetadata, error) {
	cm := &metav1.PartialObjectMetadata{}
	cm.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("ConfigMap"))
	if err := r.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, cm); err != nil {
		return nil, err
	}
	return cm, nil
}

// controlledBy reports whether the Source is the object's controller.
func controlledBy(obj metav1.Object, s *v1.Source) bool {
	ref := metav1.GetControllerOf(obj)
	return ref != nil && ref.UID == s.UID
}

// contentHash is a short digest of the ConfigMap's data.
func contentHash(data map[string]string) string {
	h := sha256.New()
	for _, k := range slices.Sorted(maps.Keys(data)) {
		fmt.Fprintf(h, "%s=%s\n", k, data[k])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
