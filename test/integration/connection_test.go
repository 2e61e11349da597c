// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
)

// Messages of the Connection's validation rules, as users see them.
const (
	msgOneSource      = "set exactly one of spec.sourceRef (a Source object) and spec.sourceID (a source not managed here)"
	msgOneDestination = "set exactly one of spec.destinationRef (a Destination object) and spec.destinationID " +
		"(a destination not managed here)"
	msgFilterField = "spec.filters[0].field in body should match"
)

// githubToOrders is a valid Connection: from the Source github to the Destination orders-http, both in its namespace.
func githubToOrders(name string) *v1.Connection {
	return &v1.Connection{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: v1.ConnectionSpec{
			SourceRef:      &v1.EndReference{Name: "github"},
			DestinationRef: &v1.EndReference{Name: "orders-http"},
		},
	}
}

// rule is a filter rule whose value is the given JSON text; empty text is no value at all (JSON null).
func rule(field string, op v1.FilterOperator, value string) v1.FilterRule {
	r := v1.FilterRule{Field: field, Op: op}
	if value != "" {
		r.Value = &apiextensionsv1.JSON{Raw: []byte(value)}
	}
	return r
}

// rules returns n distinct filter rules.
func rules(n int) []v1.FilterRule {
	list := make([]v1.FilterRule, 0, n)
	for i := range n {
		list = append(list, rule(fmt.Sprintf("payload.items.%d.id", i), v1.FilterOperator("exists"), "true"))
	}
	return list
}

func TestConnectionRoundTrip(t *testing.T) {
	ctx := context.Background()
	want := githubToOrders("round-trip")
	want.Spec.ManagementPolicy = v1.ManagementManage
	want.Spec.DeletionPolicy = v1.DeletionOrphan
	want.Spec.CredentialsRef = &v1.LocalObjectReference{Name: "team-hookstream"}
	want.Spec.DisplayName = "GitHub pull requests to orders"
	want.Spec.Description = "Opened pull requests, reshaped for the orders service"
	// Values in the compact form the API server answers with, so that the bytes compare equal. A null value reads
	// back as no value.
	want.Spec.Filters = []v1.FilterRule{
		rule("headers.X-GitHub-Event", "eq", `"pull_request"`),
		rule("payload.action", "neq", `"closed"`),
		rule("payload.pull_request.title", "contains", `"orders"`),
		rule("payload.pull_request.additions", "gte", `10`),
		rule("payload.pull_request.deletions", "lt", `1000.5`),
		rule("payload.pull_request.draft", "eq", `false`),
		rule("payload.pull_request.merged_at", "eq", ""),
		rule("payload.pull_request.labels.0.name", "exists", `true`),
		rule("payload.repository.name", "in", `["orders","payments"]`),
		rule("method", "eq", `"POST"`),
		rule("content_type", "contains", `"json"`),
		rule("source_ip", "neq", `"203.0.113.7"`),
	}
	want.Spec.Transform = new(`{"event": "pr-opened", "number": pull_request.number}`)
	want.Spec.State = v1.StatePaused

	if err := k8s.Create(ctx, want.DeepCopy()); err != nil {
		t.Fatalf("create: %v", err)
	}
	got := &v1.Connection{}
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(want), got); err != nil {
		t.Fatalf("get: %v", err)
	}
	if diff := cmp.Diff(want.Spec, got.Spec); diff != "" {
		t.Errorf("spec read back differs (-sent +stored):\n%s", diff)
	}

	// The ids form, the other branch of both "exactly one" rules: a change of either end is allowed (the operator
	// replaces the remote connection).
	got.Spec.SourceRef, got.Spec.SourceID = nil, "src_0123456789"
	got.Spec.DestinationRef, got.Spec.DestinationID = nil, "dst-0123_456789"
	got.Spec.Transform = new("")
	if err := k8s.Update(ctx, got); err != nil {
		t.Fatalf("update to ids: %v", err)
	}
	if err := k8s.Delete(ctx, got); err != nil {
		t.Fatalf("delete: %v", err)
	}
	err := k8s.Get(ctx, client.ObjectKeyFromObject(want), &v1.Connection{})
	if !apierrors.IsNotFound(err) {
		t.Fatalf("after delete, get returned %v, want NotFound", err)
	}
}

func TestInvalidConnectionsRejected(t *testing.T) {
	withRule := func(r v1.FilterRule) func(c *v1.Connection) {
		return func(c *v1.Connection) { c.Spec.Filters = []v1.FilterRule{r} }
	}
	checkCreateRejected(t, githubToOrders, map[string]rejection[*v1.Connection]{
		"adoption by slug": {
			mutate:  func(c *v1.Connection) { c.Spec.AdoptionPolicy = v1.AdoptBySlug },
			message: "spec.adoptionPolicy BySlug has no meaning for a Connection",
		},
		"sourceRef and sourceID": {
			mutate:  func(c *v1.Connection) { c.Spec.SourceID = "src_0123456789" },
			message: msgOneSource,
		},
		"neither sourceRef nor sourceID": {
			mutate:  func(c *v1.Connection) { c.Spec.SourceRef = nil },
			message: msgOneSource,
		},
		"destinationRef and destinationID": {
			mutate:  func(c *v1.Connection) { c.Spec.DestinationID = "dst_0123456789" },
			message: msgOneDestination,
		},
		"neither destinationRef nor destinationID": {
			mutate:  func(c *v1.Connection) { c.Spec.DestinationRef = nil },
			message: msgOneDestination,
		},
		"sourceRef without a name": {
			mutate:  func(c *v1.Connection) { c.Spec.SourceRef.Name = "" },
			message: "spec.sourceRef.name in body should be at least 1 chars long",
		},
		"sourceID not an id": {
			mutate:  func(c *v1.Connection) { c.Spec.SourceRef, c.Spec.SourceID = nil, "src 0123" },
			message: "spec.sourceID in body should match '^[A-Za-z0-9_-]+$'",
		},
		"destinationID too long": {
			mutate: func(c *v1.Connection) {
				c.Spec.DestinationRef, c.Spec.DestinationID = nil, strings.Repeat("d", 65)
			},
			message: "spec.destinationID: Too long: may not be more than 64 bytes",
		},
		"unknown op": {
			mutate:  withRule(rule("payload.action", "regex", `"^open"`)),
			message: `spec.filters[0].op: Unsupported value: "regex": supported values: "eq", "neq", "contains", "gt", "gte", "lt", "lte", "exists", "in"`,
		},
		"field outside the documented paths": {
			mutate:  withRule(rule("body.action", "eq", `"opened"`)),
			message: msgFilterField,
		},
		"payload path empty": {
			mutate:  withRule(rule("payload.", "exists", `true`)),
			message: msgFilterField,
		},
		"payload alone": {
			mutate:  withRule(rule("payload", "exists", `true`)),
			message: msgFilterField,
		},
		"payload path with an empty segment": {
			mutate:  withRule(rule("payload.data..id", "exists", `true`)),
			message: msgFilterField,
		},
		"payload path ending with a dot": {
			mutate:  withRule(rule("payload.data.", "exists", `true`)),
			message: msgFilterField,
		},
		"payload path with a space": {
			mutate:  withRule(rule("payload.pull request", "exists", `true`)),
			message: msgFilterField,
		},
		"header name empty": {
			mutate:  withRule(rule("headers.", "exists", `true`)),
			message: msgFilterField,
		},
		"header name not a token": {
			mutate:  withRule(rule("headers.X GitHub Event", "eq", `"push"`)),
			message: msgFilterField,
		},
		"request field in another case": {
			mutate:  withRule(rule("Method", "eq", `"POST"`)),
			message: msgFilterField,
		},
		"field too long": {
			mutate:  withRule(rule("payload."+strings.Repeat("a", 249), "exists", `true`)),
			message: "spec.filters[0].field: Too long: may not be more than 256 bytes",
		},
		"rule without a value": {
			mutate:  withRule(rule("payload.action", "exists", `true`)),
			unset:   [][]string{{"spec", "filters", "0", "value"}},
			message: "spec.filters[0].value: Required value",
		},
		"rule without an op": {
			mutate:  withRule(rule("payload.action", "", `"opened"`)),
			unset:   [][]string{{"spec", "filters", "0", "op"}},
			message: "spec.filters[0].op: Required value",
		},
		"51 filters": {
			mutate:  func(c *v1.Connection) { c.Spec.Filters = rules(51) },
			message: "spec.filters: Too many: 51: must have at most 50 items",
		},
		"transform of 16385 characters": {
			mutate:  func(c *v1.Connection) { c.Spec.Transform = new(`{"a": "` + strings.Repeat("x", 16376) + `"}`) },
			message: "spec.transform: Too long: may not be more than 16384 bytes",
		},
		"display name too long": {
			mutate:  func(c *v1.Connection) { c.Spec.DisplayName = strings.Repeat("a", 129) },
			message: "spec.displayName: Too long: may not be more than 128 bytes",
		},
		"description too long": {
			mutate:  func(c *v1.Connection) { c.Spec.Description = strings.Repeat("a", 1025) },
			message: "spec.description: Too long: may not be more than 1024 bytes",
		},
		"unknown state": {
			mutate:  func(c *v1.Connection) { c.Spec.State = "enabled" },
			message: `spec.state: Unsupported value: "enabled"`,
		},
	})
}

// TestEmptyConnectionDisplayNameRejected sends displayName "" (the Go type leaves an empty one out): hookstream
// names are 1 to 128 characters, and an empty one would not be a key to find the connection by.
func TestEmptyConnectionDisplayNameRejected(t *testing.T) {
	u := toUnstructured(t, githubToOrders("empty-display-name"))
	if err := unstructured.SetNestedField(u.Object, "", "spec", "displayName"); err != nil {
		t.Fatal(err)
	}
	err := k8s.Create(context.Background(), u)
	if err == nil {
		_ = k8s.Delete(context.Background(), u)
	}
	checkInvalid(t, "create", err, "spec.displayName in body should be at least 1 chars long")
}

// TestValidConnectionsAccepted guards the other side of the rules: the limits themselves, the documented field
// forms, and the values only the operator checks.
func TestValidConnectionsAccepted(t *testing.T) {
	withRule := func(r v1.FilterRule) func(c *v1.Connection) {
		return func(c *v1.Connection) { c.Spec.Filters = []v1.FilterRule{r} }
	}
	checkCreateAccepted(t, githubToOrders, map[string]func(c *v1.Connection){
		"ids instead of references": func(c *v1.Connection) {
			c.Spec.SourceRef, c.Spec.SourceID = nil, "src_0123456789"
			c.Spec.DestinationRef, c.Spec.DestinationID = nil, "dst_0123456789"
		},
		"a reference and an id": func(c *v1.Connection) {
			c.Spec.DestinationRef, c.Spec.DestinationID = nil, "dst_0123456789"
		},
		"eq with a null value":           withRule(rule("payload.pull_request.merged_at", "eq", "")),
		"eq with an explicit null value": withRule(rule("payload.pull_request.merged_at", "eq", "null")),
		"in with a list":                 withRule(rule("payload.action", "in", `["opened","reopened",1,null]`)),
		"in with an empty list":          withRule(rule("payload.action", "in", `[]`)),
		"nested payload path":            withRule(rule("payload.data.object.items.0.price.unit_amount", "gt", `0`)),
		"payload path of odd characters": withRule(rule("payload.$meta.évènement-id", "exists", `true`)),
		"header name with every token character": withRule(rule("headers.X-Hub_Signature.256!#$%&'*+^|~", "exists",
			`false`)),
		"header name in lower case": withRule(rule("headers.x-github-event", "eq", `"push"`)),
		"every request field": func(c *v1.Connection) {
			c.Spec.Filters = []v1.FilterRule{
				rule("method", "eq", `"POST"`),
				rule("content_type", "contains", `"application/json"`),
				rule("source_ip", "in", `["192.30.252.1","140.82.112.7"]`),
			}
		},
		// The schema cannot see the value's type (any JSON is allowed there): the operator refuses these with
		// InvalidSpec before any call.
		"a value of the wrong type for the op": withRule(rule("payload.amount", "gt", `"ten"`)),
		"an object as value":                   withRule(rule("payload.amount", "eq", `{"gt":10}`)),
		"50 filters":                           func(c *v1.Connection) { c.Spec.Filters = rules(50) },
		"transform of 16384 characters": func(c *v1.Connection) {
			c.Spec.Transform = new(`{"a": "` + strings.Repeat("x", 16375) + `"}`)
		},
		// Its syntax is checked by the operator, not the schema.
		"transform that is not JSONata": func(c *v1.Connection) { c.Spec.Transform = new(`{"a": `) },
		"empty transform":               func(c *v1.Connection) { c.Spec.Transform = new("") },
		"display name of 128":           func(c *v1.Connection) { c.Spec.DisplayName = strings.Repeat("a", 128) },
		"display name of 1":             func(c *v1.Connection) { c.Spec.DisplayName = "a" },
		"state disabled":                func(c *v1.Connection) { c.Spec.State = v1.StateDisabled },
		"nothing but the ends":          func(c *v1.Connection) {},
	})
}

func TestImmutableConnectionFieldsRejectedOnUpdate(t *testing.T) {
	const msgAdoptID = "spec.adoptID cannot be added, changed or removed after creation: create a new Connection to " +
		"take over another remote connection"
	checkUpdateRejected(t, githubToOrders, map[string]transition[*v1.Connection]{
		"adoptID changed": {
			initial: func(c *v1.Connection) { c.Spec.AdoptID = "con_0123456789" },
			change:  func(c *v1.Connection) { c.Spec.AdoptID = "con_9876543210" },
			message: msgAdoptID,
		},
		"adoptID added later": {
			initial: func(c *v1.Connection) {},
			change:  func(c *v1.Connection) { c.Spec.AdoptID = "con_0123456789" },
			message: msgAdoptID,
		},
		"adoptID removed": {
			initial: func(c *v1.Connection) { c.Spec.AdoptID = "con_0123456789" },
			change:  func(c *v1.Connection) { c.Spec.AdoptID = "" },
			message: msgAdoptID,
		},
	})
}

// TestMutableConnectionFieldsUpdated checks that the rule guarding adoptID lets every other change through, the ends
// included: hookstream cannot re-point a connection, but the operator replaces it.
func TestMutableConnectionFieldsUpdated(t *testing.T) {
	ctx := context.Background()
	c := githubToOrders("mutable")
	c.Spec.AdoptID = "con_0123456789"
	c.Spec.Filters = rules(3)
	if err := k8s.Create(ctx, c); err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() { _ = k8s.Delete(ctx, c) })
	c.Spec.SourceRef = &v1.EndReference{Name: "stripe"}
	c.Spec.DestinationRef, c.Spec.DestinationID = nil, "dst_0123456789"
	c.Spec.DisplayName = "Stripe to orders"
	c.Spec.Filters = []v1.FilterRule{rule("payload.type", "eq", `"charge.succeeded"`)}
	c.Spec.Transform = new(`{"id": data.object.id}`)
	c.Spec.State = v1.StateDisabled
	c.Spec.ManagementPolicy = v1.ManagementObserve
	c.Spec.DeletionPolicy = v1.DeletionOrphan
	if err := k8s.Update(ctx, c); err != nil {
		t.Errorf("update of mutable fields: %v", err)
	}
}
