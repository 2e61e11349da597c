/*
Copyright 2026.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package managed

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

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
