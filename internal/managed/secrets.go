// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package managed

import (
	"context"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// secretStore reads Secrets while keeping only the ones Destinations reference in memory. The manager watches
// Secrets as metadata only (a cluster can hold thousands of large Secrets, Helm releases among them); the data of
// a referenced Secret is read from the API server once per resourceVersion and kept until the Secret changes.
type secretStore struct {
	// metadata reads Secret metadata from the manager's metadata-only cache.
	metadata client.Reader
	// api reads Secrets from the API server.
	api client.Reader

	mu   sync.Mutex
	data map[types.NamespacedName]*corev1.Secret
}

func newSecretStore(metadata, api client.Reader) *secretStore {
	return &secretStore{metadata: metadata, api: api, data: map[types.NamespacedName]*corev1.Secret{}}
}

// get returns the Secret, reading it from the API server only when its resourceVersion moved.
func (s *secretStore) get(ctx context.Context, key types.NamespacedName) (*corev1.Secret, error) {
	meta := &metav1.PartialObjectMetadata{}
	meta.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
	if err := s.metadata.Get(ctx, key, meta); err != nil {
		s.forget(key)
		return nil, err
	}
	s.mu.Lock()
	cached, ok := s.data[key]
	s.mu.Unlock()
	if ok && cached.ResourceVersion == meta.ResourceVersion {
		return cached, nil
	}
	secret := &corev1.Secret{}
	if err := s.api.Get(ctx, key, secret); err != nil {
		return nil, err
	}
	// Only the data and the labels (--secret-reference-label) are used; the rest would only take memory.
	slim := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{
		Namespace: secret.Namespace, Name: secret.Name, ResourceVersion: secret.ResourceVersion, Labels: secret.Labels,
	}, Data: secret.Data}
	s.mu.Lock()
	s.data[key] = slim
	s.mu.Unlock()
	return slim, nil
}

// forget drops a Secret that is gone, or no longer referenced.
func (s *secretStore) forget(key types.NamespacedName) {
	s.mu.Lock()
	delete(s.data, key)
	s.mu.Unlock()
}
