// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package integration

import (
	"context"
	"strconv"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
)

// The table machinery every kind's CRD tests share: a valid object of the kind, changed by each row.

// rejection is a change that makes a valid object invalid, and a part of the message the API server must answer
// with (what users see at `kubectl apply`).
type rejection[T client.Object] struct {
	mutate func(T)
	// unset lists fields removed from the object's JSON after mutate: what the Go type cannot leave out, such as
	// a required struct. A number in a path indexes a list.
	unset   [][]string
	message string
	// hidden is a secret the object carries, which the message must not show.
	hidden string
}

// transition is a valid object (initial) and a change to it that the API server must refuse on update.
type transition[T client.Object] struct {
	initial func(T)
	change  func(T)
	message string
}

// checkCreateRejected creates, for each row, the valid object changed by the row and expects an Invalid error
// carrying the row's message.
func checkCreateRejected[T client.Object](t *testing.T, valid func(name string) T, tests map[string]rejection[T]) {
	t.Helper()
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			obj := valid(objectName("invalid", name))
			tc.mutate(obj)
			u := toUnstructured(t, obj)
			for _, field := range tc.unset {
				if !removeField(u.Object, field) {
					t.Fatalf("the object has no field %v to unset", field)
				}
			}
			err := k8s.Create(context.Background(), u)
			if err == nil {
				_ = k8s.Delete(context.Background(), u)
			}
			checkInvalid(t, "create", err, tc.message)
			if tc.hidden != "" && err != nil && strings.Contains(err.Error(), tc.hidden) {
				t.Errorf("error %q shows the secret %q", err.Error(), tc.hidden)
			}
		})
	}
}

// checkCreateAccepted creates, for each row, the valid object changed by the row and expects it stored.
func checkCreateAccepted[T client.Object](t *testing.T, valid func(name string) T, tests map[string]func(T)) {
	t.Helper()
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			obj := valid(objectName("valid", name))
			mutate(obj)
			if err := k8s.Create(context.Background(), obj); err != nil {
				t.Fatalf("create: %v", err)
			}
			if err := k8s.Delete(context.Background(), obj); err != nil {
				t.Fatalf("delete: %v", err)
			}
		})
	}
}

// checkUpdateRejected creates, for each row, the valid object changed by initial, then updates it with change
// and expects an Invalid error carrying the row's message.
func checkUpdateRejected[T client.Object](t *testing.T, valid func(name string) T, tests map[string]transition[T]) {
	t.Helper()
	ctx := context.Background()
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			obj := valid(objectName("immutable", name))
			tc.initial(obj)
			if err := k8s.Create(ctx, obj); err != nil {
				t.Fatalf("create: %v", err)
			}
			t.Cleanup(func() { _ = k8s.Delete(ctx, obj) })
			tc.change(obj)
			checkInvalid(t, "update", k8s.Update(ctx, obj), tc.message)
		})
	}
}

func checkInvalid(t *testing.T, operation string, err error, message string) {
	t.Helper()
	if !apierrors.IsInvalid(err) {
		t.Fatalf("%s returned %v, want an Invalid error", operation, err)
	}
	if !strings.Contains(err.Error(), message) {
		t.Errorf("error %q does not contain %q", err.Error(), message)
	}
}

// removeField removes the field at path from a decoded JSON object, a number in the path indexing a list, and
// reports whether it was there.
func removeField(obj map[string]any, path []string) bool {
	var node any = obj
	for i, key := range path {
		last := i == len(path)-1
		switch n := node.(type) {
		case map[string]any:
			child, ok := n[key]
			if !ok {
				return false
			}
			if last {
				delete(n, key)
				return true
			}
			node = child
		case []any:
			index, err := strconv.Atoi(key)
			if err != nil || index < 0 || index >= len(n) || last {
				return false
			}
			node = n[index]
		default:
			return false
		}
	}
	return false
}

// toUnstructured converts a typed object to what the API server receives, with its apiVersion and kind.
func toUnstructured(t *testing.T, obj client.Object) *unstructured.Unstructured {
	t.Helper()
	gvk, err := apiutil.GVKForObject(obj, k8s.Scheme())
	if err != nil {
		t.Fatal(err)
	}
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{Object: content}
	u.SetGroupVersionKind(gvk)
	return u
}

// objectName makes a valid, distinct object name from a prefix and a test row's name.
func objectName(prefix, row string) string {
	var b strings.Builder
	b.WriteString(prefix)
	dash := true
	for _, r := range strings.ToLower(row) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash {
				b.WriteByte('-')
				dash = false
			}
			b.WriteRune(r)
		} else {
			dash = true
		}
	}
	name := b.String()
	if len(name) > 63 {
		name = strings.TrimRight(name[:63], "-")
	}
	return name
}
