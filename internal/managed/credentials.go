// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package managed

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
)

// SecretResolver returns the value of a Secret key referenced by the spec.
type SecretResolver func(ref v1.SecretKeySelector) (string, error)

// ConfigMapResolver returns the value of a ConfigMap key referenced by the spec.
type ConfigMapResolver func(ref v1.ConfigMapKeySelector) (string, error)

// credentials reads API keys from Secrets, remembering the last one seen in each, so that an object deleted
// together with its Secret (one `kubectl delete -f dir/`) can still delete its remote resource.
type credentials struct {
	secrets *secretStore
	// defaultSecret is the credentials Secret of objects without spec.credentialsRef.
	defaultSecret string
	// sendable, when set, is the label selector a Secret must match for its values to be sent (--secret-reference-label).
	sendable  labels.Selector
	kind      string
	lastKnown sync.Map // types.NamespacedName -> string
}

// secretName is the name of the Secret holding an object's API key.
func (c *credentials) secretName(obj Object) string {
	if ref := obj.GetManagedSpec().CredentialsRef; ref != nil && ref.Name != "" {
		return ref.Name
	}
	return c.defaultSecret
}

// apiKey reads the hookstream API key of an object. While deleting, a Secret that is already gone, or emptied, is
// replaced by the last key this process saw in it. A key of nothing but whitespace is no key.
func (c *credentials) apiKey(ctx context.Context, obj Object, deleting bool) (string, error) {
	key := types.NamespacedName{Namespace: obj.GetNamespace(), Name: c.secretName(obj)}
	missing := &errMissingSecret{credentials: true, kind: c.kind, name: key.Name}
	s, err := c.secrets.get(ctx, key)
	var value []byte
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		missing.err = err
		return "", missing
	default:
		value = s.Data[v1.CredentialsKey]
	}
	if apiKey := strings.TrimSpace(string(value)); apiKey != "" {
		c.lastKnown.Store(key, apiKey)
		return apiKey, nil
	}
	if deleting {
		if last, ok := c.lastKnown.Load(key); ok {
			return last.(string), nil
		}
	}
	if err == nil {
		missing.key = v1.CredentialsKey
		_, present := s.Data[v1.CredentialsKey]
		missing.empty = present
	}
	return "", missing
}

// resolver reads Secret keys from one namespace, and nowhere else. It refuses the Secrets the object may not send
// (see sendableSecret) and values that are not text.
func (c *credentials) resolver(ctx context.Context, namespace string) SecretResolver {
	cache := map[string]*corev1.Secret{}
	return func(ref v1.SecretKeySelector) (string, error) {
		s, ok := cache[ref.Name]
		if !ok {
			var err error
			if s, err = c.secrets.get(ctx, types.NamespacedName{Namespace: namespace, Name: ref.Name}); err != nil {
				if apierrors.IsNotFound(err) {
					return "", &errMissingSecret{kind: c.kind, name: ref.Name}
				}
				return "", &errMissingSecret{kind: c.kind, name: ref.Name, err: err}
			}
			cache[ref.Name] = s
		}
		if err := c.sendableSecret(s); err != nil {
			return "", err
		}
		v, ok := s.Data[ref.Key]
		if !ok {
			return "", &errMissingSecret{kind: c.kind, name: ref.Name, key: ref.Key}
		}
		if !utf8.Valid(v) {
			// hookstream takes text; replacement characters would send another value than the Secret's.
			return "", Refuse(v1.ReasonInvalidSpec, "key %q of Secret %q is not valid UTF-8 text; hookstream takes "+
				"secret values as text, so store the value as text (for binary material, its base64 or hex form)",
				ref.Key, ref.Name)
		}
		return string(v), nil
	}
}

// sendableSecret refuses a Secret whose values the object may not send to hookstream, and through it to a URL of
// the spec's choosing: a credentials Secret, recognised by the key that holds an API key for any object that
// names it in spec.credentialsRef, and, with --secret-reference-label, a Secret without that label.
func (c *credentials) sendableSecret(s *corev1.Secret) error {
	if _, holdsKey := s.Data[v1.CredentialsKey]; holdsKey || s.Name == c.defaultSecret {
		return Refuse(v1.ReasonSecretNotAllowed, "Secret %q is a credentials Secret (it holds a hookstream API key under "+
			"%q, or is the manager's default credentials Secret); its values are never sent anywhere. Reference a "+
			"Secret that holds only the value to send", s.Name, v1.CredentialsKey)
	}
	if c.sendable != nil && !c.sendable.Matches(labels.Set(s.Labels)) {
		return Refuse(v1.ReasonSecretNotAllowed, "Secret %q lacks the label %s that this manager requires of every "+
			"Secret whose values it sends (--secret-reference-label); ask whoever may read it to label it", s.Name,
			c.sendable.String())
	}
	return nil
}

// configMapResolver reads ConfigMap keys from one namespace, and nowhere else, straight from the API server: the
// manager caches only the metadata of ConfigMaps.
func configMapResolver(ctx context.Context, api client.Reader, kind, namespace string) ConfigMapResolver {
	cache := map[string]*corev1.ConfigMap{}
	return func(ref v1.ConfigMapKeySelector) (string, error) {
		cm, ok := cache[ref.Name]
		if !ok {
			cm = &corev1.ConfigMap{}
			if err := api.Get(ctx, types.NamespacedName{Namespace: namespace, Name: ref.Name}, cm); err != nil {
				if apierrors.IsNotFound(err) {
					return "", &errMissingSecret{configMap: true, kind: kind, name: ref.Name}
				}
				return "", &errMissingSecret{configMap: true, kind: kind, name: ref.Name, err: err}
			}
			cache[ref.Name] = cm
		}
		if v, ok := cm.Data[ref.Key]; ok {
			return v, nil
		}
		if v, ok := cm.BinaryData[ref.Key]; ok {
			if !utf8.Valid(v) {
				return "", Refuse(v1.ReasonInvalidSpec, "key %q of ConfigMap %q is binary data that is not valid "+
					"UTF-8 text; hookstream takes it as text", ref.Key, ref.Name)
			}
			return string(v), nil
		}
		return "", &errMissingSecret{configMap: true, kind: kind, name: ref.Name, key: ref.Key}
	}
}

// SecretsHash is a keyed hash of the secret values a request carries: stored in status, it tells a rotated Secret
// without revealing anything of the values. Empty when there are none.
func SecretsHash(material []string, apiKey string) string {
	if len(material) == 0 {
		return ""
	}
	mac := hmac.New(sha256.New, []byte(apiKey))
	mac.Write([]byte(strings.Join(material, "\n")))
	return "hmac-sha256:" + hex.EncodeToString(mac.Sum(nil))
}
