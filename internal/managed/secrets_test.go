// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package managed

import (
	"context"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/test/testenv"
)

// countingReader counts the reads that reach the API server.
type countingReader struct {
	client.Reader
	gets int
}

func (c *countingReader) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	c.gets++
	return c.Reader.Get(ctx, key, obj, opts...)
}

func TestSecretStoreReadsDataOncePerVersion(t *testing.T) {
	ctx := context.Background()
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "creds", Annotations: map[string]string{"big": "metadata"}},
		Data:       map[string][]byte{"apiKey": []byte("v1")},
	}
	cluster := fake.NewClientBuilder().WithScheme(testenv.Scheme()).WithObjects(secret).Build()
	api := &countingReader{Reader: cluster}
	store := newSecretStore(cluster, api)
	key := types.NamespacedName{Namespace: "team", Name: "creds"}

	for range 3 {
		got, err := store.get(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if string(got.Data["apiKey"]) != "v1" || len(got.Annotations) != 0 {
			t.Fatalf("got %+v, want the data and nothing else", got)
		}
	}
	if api.gets != 1 {
		t.Errorf("3 reads of an unchanged Secret reached the API server %d times, want 1", api.gets)
	}

	secret.Data["apiKey"] = []byte("v2")
	if err := cluster.Update(ctx, secret); err != nil {
		t.Fatal(err)
	}
	got, err := store.get(ctx, key)
	if err != nil || string(got.Data["apiKey"]) != "v2" {
		t.Fatalf("after an update: %v, %v; want v2", got, err)
	}
	if api.gets != 2 {
		t.Errorf("API reads after an update = %d, want 2", api.gets)
	}

	if err := cluster.Delete(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if _, err := store.get(ctx, key); !apierrors.IsNotFound(err) {
		t.Errorf("after a delete: err %v, want not found", err)
	}
	if len(store.data) != 0 {
		t.Errorf("a deleted Secret stays in memory")
	}
}

// TestResolverRefusesWhatMayNotBeSent: a spec's Secret reference resolves only to text from a Secret the object
// may send: never a credentials Secret, and with --secret-reference-label only a labelled one. Every refusal is
// final and names the Secret (and key), never the value.
func TestResolverRefusesWhatMayNotBeSent(t *testing.T) {
	ctx := context.Background()
	const value = "s3cr3t-value"
	secret := func(name string, labelled map[string]string, data map[string]string) *corev1.Secret {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: name, Labels: labelled}, Data: map[string][]byte{}}
		for k, v := range data {
			s.Data[k] = []byte(v)
		}
		return s
	}
	cluster := fake.NewClientBuilder().WithScheme(testenv.Scheme()).WithObjects(
		secret("creds", nil, map[string]string{"apiKey": "hs_live_x", "token": value}),
		secret("hookstream-credentials", nil, map[string]string{"token": value}),
		secret("plain", nil, map[string]string{"token": value, "binary": "\xff\xfe" + value}),
		secret("labelled", map[string]string{"hookstream.io/sendable": "true"}, map[string]string{"token": value}),
	).Build()
	sendable := labels.SelectorFromSet(labels.Set{"hookstream.io/sendable": "true"})
	tests := map[string]struct {
		sendable labels.Selector
		ref      v1.SecretKeySelector
		reason   string
		inMsg    string
	}{
		"a plain Secret":                       {ref: v1.SecretKeySelector{Name: "plain", Key: "token"}},
		"a Secret holding an API key":          {ref: v1.SecretKeySelector{Name: "creds", Key: "token"}, reason: v1.ReasonSecretNotAllowed, inMsg: `Secret "creds" is a credentials Secret`},
		"the default credentials Secret":       {ref: v1.SecretKeySelector{Name: "hookstream-credentials", Key: "token"}, reason: v1.ReasonSecretNotAllowed, inMsg: `"hookstream-credentials" is a credentials Secret`},
		"a value that is not UTF-8":            {ref: v1.SecretKeySelector{Name: "plain", Key: "binary"}, reason: v1.ReasonInvalidSpec, inMsg: `key "binary" of Secret "plain" is not valid UTF-8`},
		"a labelled Secret under the label":    {sendable: sendable, ref: v1.SecretKeySelector{Name: "labelled", Key: "token"}},
		"an unlabelled Secret under the label": {sendable: sendable, ref: v1.SecretKeySelector{Name: "plain", Key: "token"}, reason: v1.ReasonSecretNotAllowed, inMsg: `Secret "plain" lacks the label hookstream.io/sendable=true`},
		"credentials even when labelled": {sendable: labels.Everything(), ref: v1.SecretKeySelector{Name: "creds", Key: "token"},
			reason: v1.ReasonSecretNotAllowed, inMsg: "credentials Secret"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c := &credentials{secrets: newSecretStore(cluster, cluster), defaultSecret: "hookstream-credentials",
				sendable: tc.sendable, kind: "Destination"}
			got, err := c.resolver(ctx, "team")(tc.ref)
			if tc.reason == "" {
				if err != nil || got != value {
					t.Fatalf("resolved %q, %v; want the value", got, err)
				}
				return
			}
			stalled, ok := errors.AsType[*StalledError](err)
			if !ok || stalled.Reason != tc.reason || !stalled.Final {
				t.Fatalf("error %v, want a final stall with reason %s", err, tc.reason)
			}
			if !strings.Contains(err.Error(), tc.inMsg) || strings.Contains(err.Error(), value) {
				t.Errorf("message %q must contain %q and never the value", err.Error(), tc.inMsg)
			}
		})
	}
}
