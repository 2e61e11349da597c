// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/emulator"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/internal/managed"
	"github.com/hookstream/hookstream-operator/test/testenv"
)

// emulatedProject returns a hookstream client on a fresh in-process emulator, with one source and one destination.
func emulatedProject(t *testing.T) (hs *hookstream.Client, sourceID, destinationID string) {
	t.Helper()
	emu, err := emulator.New(emulator.Options{APIKeys: []string{testAPIKey}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	t.Cleanup(func() { srv.Close(); _ = emu.Close() })
	if hs, err = hookstream.New(hookstream.Options{BaseURL: srv.URL + "/v1", APIKey: testAPIKey}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	src, err := hs.CreateSource(ctx, &hookstream.SourceCreateRequest{Name: "orders", Slug: "orders"})
	if err != nil {
		t.Fatal(err)
	}
	dst, err := hs.CreateDestination(ctx, &hookstream.CreateRequest{Name: "billing", Slug: "billing", Type: hookstream.TypeHTTP,
		URL: "https://billing.example.com/hooks"})
	if err != nil {
		t.Fatal(err)
	}
	return hs, src.ID, dst.ID
}

// TestConnectionFindByKey finds the connection an unrecorded create made by its ends and name, and refuses to
// choose between two.
func TestConnectionFindByKey(t *testing.T) {
	ctx := context.Background()
	hs, sourceID, destinationID := emulatedProject(t)
	byID := &v1.Connection{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "c"},
		Spec: v1.ConnectionSpec{DisplayName: "route", SourceID: sourceID, DestinationID: destinationID}}
	cc := &connectionClient{c: hs, objects: fake.NewClientBuilder().WithScheme(testenv.Scheme()).Build()}
	create := func(name string) *hookstream.Connection {
		row, err := hs.CreateConnection(ctx, &hookstream.ConnectionCreateRequest{SourceID: sourceID, DestinationID: destinationID, Name: name})
		if err != nil {
			t.Fatal(err)
		}
		return row
	}

	create("another route")
	if _, found, err := cc.FindByKey(ctx, byID); found || err != nil {
		t.Fatalf("with no connection of that name: found %v, err %v", found, err)
	}
	made := create("route")
	if row, found, err := cc.FindByKey(ctx, byID); !found || err != nil || row.ID != made.ID {
		t.Fatalf("FindByKey = %+v, %v, %v; want connection %s", row, found, err, made.ID)
	}

	// The key recorded with the create marker wins over a spec changed since: the name the create sent.
	renamed := byID.DeepCopy()
	renamed.Spec.DisplayName = "renamed route"
	renamed.Annotations = map[string]string{v1.AnnotationCreateKey: (&desiredConnection{request: hookstream.ConnectionCreateRequest{
		SourceID: sourceID, DestinationID: destinationID, Name: "route"}}).RecordedKey()}
	if row, found, err := cc.FindByKey(ctx, renamed); !found || err != nil || row.ID != made.ID {
		t.Errorf("renamed after its create: FindByKey = %v, %v; want connection %s", found, err, made.ID)
	}

	// The end being deleted still has its id: the connection is found, so that its deletion can delete it.
	now := metav1.Now()
	src := &v1.Source{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "orders", Finalizers: []string{v1.Finalizer},
		DeletionTimestamp: &now}, Status: v1.SourceStatus{ManagedStatus: v1.ManagedStatus{ID: sourceID}}}
	cc.objects = fake.NewClientBuilder().WithScheme(testenv.Scheme()).WithObjects(src).Build()
	byRef := byID.DeepCopy()
	byRef.Spec.SourceID, byRef.Spec.SourceRef = "", &v1.EndReference{Name: "orders"}
	if row, found, err := cc.FindByKey(ctx, byRef); !found || err != nil || row.ID != made.ID {
		t.Errorf("with the Source being deleted: FindByKey = %v, %v; want connection %s", found, err, made.ID)
	}

	create("route")
	_, _, err := cc.FindByKey(ctx, byID)
	if stall, ok := errors.AsType[*managed.StalledError](err); !ok || stall.Reason != v1.ReasonAmbiguousRemote {
		t.Errorf("with two connections of the key: err = %v, want a stall with reason %s", err, v1.ReasonAmbiguousRemote)
	}
}

// TestConnectionCreateNamesTheMissingEnd reads both ends when hookstream's 404 does not say which is missing, and
// stops for good: no retry can create a route from or to nothing.
func TestConnectionCreateNamesTheMissingEnd(t *testing.T) {
	ctx := context.Background()
	hs, sourceID, destinationID := emulatedProject(t)
	cc := &connectionClient{c: hs, objects: client.Reader(nil)}
	const missing = "0123456789abcdef0123456789abcdef"
	for name, req := range map[string]hookstream.ConnectionCreateRequest{
		"source":      {SourceID: missing, DestinationID: destinationID, Name: "r"},
		"destination": {SourceID: sourceID, DestinationID: missing, Name: "r"},
	} {
		_, err := cc.Create(ctx, &desiredConnection{request: req})
		stall, ok := errors.AsType[*managed.StalledError](err)
		if !ok || stall.Reason != v1.ReasonNotFound || !strings.Contains(stall.Message, "no "+name+" "+missing) {
			t.Errorf("missing %s: err = %v, want a stall naming it", name, err)
		}
		if ok && !stall.Final {
			t.Errorf("missing %s: the stall is retried at every check; only a change of the spec can cure it", name)
		}
	}
}
