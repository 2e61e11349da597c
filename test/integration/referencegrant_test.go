// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package integration

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
)

// sourcesGrant is a valid grant: the Connections of namespace orders may route from the Source github.
func sourcesGrant(name string) *v1.HookstreamReferenceGrant {
	return &v1.HookstreamReferenceGrant{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: v1.HookstreamReferenceGrantSpec{
			From: []v1.ReferenceGrantFrom{{Group: "hookstream.io", Kind: "Connection", Namespace: "orders"}},
			To:   []v1.ReferenceGrantTo{{Group: "hookstream.io", Kind: "Source", Name: "github"}},
		},
	}
}

func TestReferenceGrantSchema(t *testing.T) {
	checkCreateAccepted(t, sourcesGrant, map[string]func(*v1.HookstreamReferenceGrant){
		"every Source": func(g *v1.HookstreamReferenceGrant) { g.Spec.To[0].Name = "" },
		"Destinations too": func(g *v1.HookstreamReferenceGrant) {
			g.Spec.To = append(g.Spec.To, v1.ReferenceGrantTo{Group: "hookstream.io", Kind: "Destination"})
		},
		"several namespaces": func(g *v1.HookstreamReferenceGrant) {
			g.Spec.From = append(g.Spec.From, v1.ReferenceGrantFrom{Group: "hookstream.io", Kind: "Connection", Namespace: "billing"})
		},
	})
	checkCreateRejected(t, sourcesGrant, map[string]rejection[*v1.HookstreamReferenceGrant]{
		"no from": {mutate: func(g *v1.HookstreamReferenceGrant) { g.Spec.From = nil }, message: "spec.from"},
		"no to":   {mutate: func(g *v1.HookstreamReferenceGrant) { g.Spec.To = nil }, message: "spec.to"},
		"another group": {mutate: func(g *v1.HookstreamReferenceGrant) { g.Spec.From[0].Group = "gateway.networking.k8s.io" },
			message: `spec.from[0].group: Unsupported value: "gateway.networking.k8s.io"`},
		"a kind that references nothing": {mutate: func(g *v1.HookstreamReferenceGrant) { g.Spec.From[0].Kind = "Source" },
			message: `spec.from[0].kind: Unsupported value: "Source"`},
		"a kind nothing references": {mutate: func(g *v1.HookstreamReferenceGrant) { g.Spec.To[0].Kind = "Connection" },
			message: `spec.to[0].kind: Unsupported value: "Connection"`},
		"a namespace that cannot exist": {mutate: func(g *v1.HookstreamReferenceGrant) { g.Spec.From[0].Namespace = "Orders_Team" },
			message: "spec.from[0].namespace in body should match"},
		"an empty namespace": {mutate: func(g *v1.HookstreamReferenceGrant) { g.Spec.From[0].Namespace = "" },
			message: "spec.from[0].namespace"},
	})
}

func TestConnectionEndNamespaceSchema(t *testing.T) {
	checkCreateAccepted(t, githubToOrders, map[string]func(*v1.Connection){
		"a Source of another namespace": func(c *v1.Connection) { c.Spec.SourceRef.Namespace = "platform" },
	})
	checkCreateRejected(t, githubToOrders, map[string]rejection[*v1.Connection]{
		"a namespace that cannot exist": {mutate: func(c *v1.Connection) { c.Spec.DestinationRef.Namespace = "Platform" },
			message: "spec.destinationRef.namespace in body should match"},
	})
}
