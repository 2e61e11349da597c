// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/controller"
	"github.com/hookstream/hookstream-operator/internal/managed"
)

func object(kind, namespace, name string, status map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"status": status}}
	u.SetGroupVersionKind(v1.GroupVersion.WithKind(kind))
	u.SetNamespace(namespace)
	u.SetName(name)
	return u
}

// openCircuitDestination is a Destination with the status the operator writes for an open circuit.
func openCircuitDestination(t *testing.T, namespace, name string) *unstructured.Unstructured {
	t.Helper()
	d := &v1.Destination{}
	d.Status.ID, d.Status.State, d.Status.LastDeliveryAt = "d1", "active", &metav1.Time{Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	d.Status.Circuit = &v1.CircuitStatus{State: v1.CircuitOpen, FailureCount: 5}
	managed.SetAvailable(d, "destination")
	controller.SetDelivering(d)
	status, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&d.Status)
	if err != nil {
		t.Fatal(err)
	}
	return object("Destination", namespace, name, status)
}

func TestStatus(t *testing.T) {
	// The scheme knows no hookstream type: the objects stay unstructured, as the plugin reads them.
	scheme := runtime.NewScheme()
	ready := func(status, reason string) map[string]any {
		return map[string]any{"type": "Ready", "status": status, "reason": reason, "message": "m"}
	}
	objs := []*unstructured.Unstructured{
		object("Connection", "b", "route", map[string]any{"id": "c1", "state": "active", "lastEventAt": "2026-01-02T03:04:05Z",
			"conditions": []any{ready("True", "Available")}}),
		openCircuitDestination(t, "b", "orders"),
		object("Destination", "a", "watched", map[string]any{"id": "d2", "state": "paused",
			"drift":      []any{map[string]any{"field": "url", "desired": "https://a", "observed": "https://b"}},
			"conditions": []any{ready("False", "DriftDetected")}}),
		object("Source", "a", "new", map[string]any{}),
	}
	b := fake.NewClientBuilder().WithScheme(scheme)
	for _, o := range objs {
		b = b.WithObjects(o)
	}
	c := b.Build()

	rows, err := CollectStatus(context.Background(), c, "")
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, r := range rows {
		order = append(order, r.Kind+"/"+r.Namespace+"/"+r.Name)
	}
	if diff := cmp.Diff([]string{"Destination/a/watched", "Destination/b/orders", "Source/a/new", "Connection/b/route"}, order); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	var table bytes.Buffer
	if err := PrintStatus(&table, rows, true); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"NAMESPACE", "watched", "DriftDetected", "url", "False (CircuitOpen), circuit open",
		"2026-01-02T03:04:05Z", "Source       a          new"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}

	inB, err := CollectStatus(context.Background(), c, "b")
	if err != nil {
		t.Fatal(err)
	}
	var js bytes.Buffer
	if err := PrintStatusJSON(&js, inB); err != nil {
		t.Fatal(err)
	}
	var parsed []StatusRow
	if err := json.Unmarshal(js.Bytes(), &parsed); err != nil {
		t.Fatal(err)
	}
	if len(parsed) != 2 || parsed[0].Delivering == nil || parsed[0].Delivering.Reason != "CircuitOpen" || parsed[1].Delivering != nil {
		t.Errorf("json:\n%s", js.String())
	}
	table.Reset()
	if err := PrintStatus(&table, inB, false); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(table.String(), "NAMESPACE") {
		t.Errorf("a namespace column without -A:\n%s", table.String())
	}
}
