// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package managed

import (
	"context"
	"errors"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
)

// TestCheckReference runs a Connection of namespace orders referencing Source github of namespace platform (unless
// a row says otherwise) against the grants of a fake API server.
func TestCheckReference(t *testing.T) {
	group := v1.GroupVersion.Group
	grant := func(ns string, from v1.ReferenceGrantFrom, to ...v1.ReferenceGrantTo) *v1.HookstreamReferenceGrant {
		return &v1.HookstreamReferenceGrant{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "g-" + from.Namespace},
			Spec: v1.HookstreamReferenceGrantSpec{From: []v1.ReferenceGrantFrom{from}, To: to}}
	}
	fromOrders := v1.ReferenceGrantFrom{Group: group, Kind: "Connection", Namespace: "orders"}
	sources := v1.ReferenceGrantTo{Group: group, Kind: "Source"}
	github := v1.ReferenceGrantTo{Group: group, Kind: "Source", Name: "github"}
	tests := map[string]struct {
		grants  []*v1.HookstreamReferenceGrant
		kind    string
		ns      string
		listErr error
		allowed bool
	}{
		"own namespace, no grant needed": {ns: "orders", allowed: true},
		"no grant":                       {},
		"every Source":                   {grants: []*v1.HookstreamReferenceGrant{grant("platform", fromOrders, sources)}, allowed: true},
		"this Source by name":            {grants: []*v1.HookstreamReferenceGrant{grant("platform", fromOrders, github)}, allowed: true},
		"another Source by name": {grants: []*v1.HookstreamReferenceGrant{grant("platform", fromOrders,
			v1.ReferenceGrantTo{Group: group, Kind: "Source", Name: "stripe"})}},
		"Destinations only": {grants: []*v1.HookstreamReferenceGrant{grant("platform", fromOrders,
			v1.ReferenceGrantTo{Group: group, Kind: "Destination"})}},
		"the other kind of the grant": {kind: "Destination", grants: []*v1.HookstreamReferenceGrant{grant("platform", fromOrders, sources)}},
		"another namespace granted": {grants: []*v1.HookstreamReferenceGrant{grant("platform",
			v1.ReferenceGrantFrom{Group: group, Kind: "Connection", Namespace: "billing"}, sources)}},
		"another kind granted": {grants: []*v1.HookstreamReferenceGrant{grant("platform",
			v1.ReferenceGrantFrom{Group: group, Kind: "Source", Namespace: "orders"}, sources)}},
		"another group": {grants: []*v1.HookstreamReferenceGrant{grant("platform",
			v1.ReferenceGrantFrom{Group: "gateway.networking.k8s.io", Kind: "Connection", Namespace: "orders"}, sources)}},
		"a grant in the referring namespace allows nothing": {grants: []*v1.HookstreamReferenceGrant{grant("orders", fromOrders, sources)}},
		"one of several grants": {grants: []*v1.HookstreamReferenceGrant{
			grant("platform", v1.ReferenceGrantFrom{Group: group, Kind: "Connection", Namespace: "billing"}, sources),
			grant("platform", fromOrders, v1.ReferenceGrantTo{Group: group, Kind: "Destination"}, github),
		}, allowed: true},
		"grants cannot be read": {listErr: errors.New("connection refused")},
	}
	scheme := runtime.NewScheme()
	if err := v1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			b := fake.NewClientBuilder().WithScheme(scheme)
			for _, g := range tc.grants {
				b = b.WithObjects(g)
			}
			b = b.WithInterceptorFuncs(interceptor.Funcs{List: func(ctx context.Context, c client.WithWatch, list client.ObjectList,
				opts ...client.ListOption) error {
				if tc.listErr != nil {
					return tc.listErr
				}
				return c.List(ctx, list, opts...)
			}})
			kind, ns := "Source", "platform"
			if tc.kind != "" {
				kind = tc.kind
			}
			if tc.ns != "" {
				ns = tc.ns
			}
			err := checkReference(context.Background(), b.Build(), "Connection", "orders", kind, ns, "github")
			switch {
			case tc.allowed && err != nil:
				t.Errorf("refused: %v", err)
			case tc.listErr != nil && (err == nil || IsNotPermitted(err) || !errors.Is(err, tc.listErr)):
				t.Errorf("err = %v, want the failed list", err)
			case !tc.allowed && tc.listErr == nil && !IsNotPermitted(err):
				t.Errorf("err = %v, want not permitted", err)
			}
		})
	}
}
