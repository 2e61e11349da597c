// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/internal/managed"
)

const (
	testSourceID      = "5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e"
	testDestinationID = "de57de57de57de57de57de57de57de57"
)

func jsonValue(v string) *apiextensionsv1.JSON { return &apiextensionsv1.JSON{Raw: []byte(v)} }

// fullConnection sets every field of the spec, with ids rather than references.
func fullConnection() *v1.Connection {
	return &v1.Connection{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "orders-to-billing"},
		Spec: v1.ConnectionSpec{
			DisplayName: "orders to billing", Description: "paid orders only", SourceID: testSourceID,
			DestinationID: testDestinationID, State: v1.StatePaused, Transform: new(`{"order": id}`),
			Filters: []v1.FilterRule{
				{Field: "payload.status", Op: "eq", Value: jsonValue(`"paid"`)},
				{Field: "payload.total", Op: "gte", Value: jsonValue(`100`)},
				{Field: "headers.X-Test", Op: "exists", Value: jsonValue(`false`)},
			},
		},
	}
}

// idRefs resolves nothing: the connections of these tests name ids.
func idRefs() managed.Refs {
	return managed.Refs{Object: func(client.Object, string, string) error { return errors.New("no object reads expected") }}
}

// convergedConnection holds what fullConnection asks for, the values in another JSON spelling.
func convergedConnection() *hookstream.Connection {
	return &hookstream.Connection{
		ID: tableID, SourceID: testSourceID, DestinationID: testDestinationID, Name: "orders to billing",
		Description: new("paid orders only"), Enabled: true, Status: "paused",
		FilterRules: []hookstream.FilterRule{
			{Field: "payload.status", Op: "eq", Value: json.RawMessage(`"paid"`)},
			{Field: "payload.total", Op: "gte", Value: json.RawMessage(`100.0`)},
			{Field: "headers.X-Test", Op: "exists", Value: json.RawMessage(`false`)},
		},
		TransformEnabled: true, TransformExpression: new(`{"order": id}`),
		SourceName: new("orders"), DestinationName: new("billing"),
	}
}

func TestConnectionCompareFindsEachField(t *testing.T) {
	want, err := buildConnectionDesired(fullConnection(), idRefs())
	if err != nil {
		t.Fatal(err)
	}
	if obs := compareConnection(want, convergedConnection(), false); !obs.UpToDate() {
		t.Fatalf("the converged row differs: %+v", obs.Diffs)
	}
	tests := map[string]struct {
		change func(*hookstream.Connection)
		fields []string
		patch  []string
	}{
		"name":        {func(r *hookstream.Connection) { r.Name = "x" }, []string{"name"}, []string{"name"}},
		"description": {func(r *hookstream.Connection) { r.Description = nil }, []string{"description"}, []string{"description"}},
		// status and enabled are one setting: both are always sent.
		"status":       {func(r *hookstream.Connection) { r.Status = "active" }, []string{"status"}, []string{"enabled", "status"}},
		"disabled":     {func(r *hookstream.Connection) { r.Enabled = false }, []string{"enabled"}, []string{"enabled", "status"}},
		"a rule value": {func(r *hookstream.Connection) { r.FilterRules[0].Value = json.RawMessage(`"refunded"`) }, []string{"filter_rules"}, []string{"filter_rules"}},
		"a rule gone":  {func(r *hookstream.Connection) { r.FilterRules = r.FilterRules[:2] }, []string{"filter_rules"}, []string{"filter_rules"}},
		"rules reordered": {func(r *hookstream.Connection) {
			r.FilterRules[0], r.FilterRules[1] = r.FilterRules[1], r.FilterRules[0]
		},
			[]string{"filter_rules"}, []string{"filter_rules"}},
		"transform off":    {func(r *hookstream.Connection) { r.TransformEnabled = false }, []string{"transform_enabled"}, []string{"transform_enabled"}},
		"transform edited": {func(r *hookstream.Connection) { r.TransformExpression = new(`payload`) }, []string{"transform_expression"}, []string{"transform_expression"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			row := convergedConnection()
			tc.change(row)
			obs := compareConnection(want, row, false)
			if diff := cmp.Diff(tc.fields, obs.Fields()); diff != "" {
				t.Errorf("differing fields (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.patch, obs.Patch.Fields()); diff != "" {
				t.Errorf("PATCH fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConnectionEmptyFiltersAndTransformClear(t *testing.T) {
	c := fullConnection()
	c.Spec.Filters = []v1.FilterRule{}
	c.Spec.Transform = new("")
	want, err := buildConnectionDesired(c, idRefs())
	if err != nil {
		t.Fatal(err)
	}
	obs := compareConnection(want, convergedConnection(), false)
	if !obs.Patch.FilterRules.IsNull() || !obs.Patch.TransformExpression.IsNull() {
		t.Errorf("empty filters and transform should PATCH both to null; fields %v", obs.Patch.Fields())
	}
	if enabled, ok := obs.Patch.TransformEnabled.Value(); !ok || enabled {
		t.Errorf("transform_enabled = %v (set %v), want false", enabled, ok)
	}
	row := convergedConnection()
	row.FilterRules, row.TransformEnabled, row.TransformExpression = nil, false, nil
	if obs := compareConnection(want, row, false); !obs.UpToDate() {
		t.Errorf("a row without filters and transform differs: %v", obs.Fields())
	}
}

func TestConnectionUnsetFieldsAreLeftAlone(t *testing.T) {
	c := &v1.Connection{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "c"},
		Spec: v1.ConnectionSpec{SourceID: testSourceID, DestinationID: testDestinationID}}
	want, err := buildConnectionDesired(c, idRefs())
	if err != nil {
		t.Fatal(err)
	}
	row := convergedConnection()
	row.Name = defaultSlug("team", "c")
	if obs := compareConnection(want, row, false); !obs.UpToDate() {
		t.Errorf("a spec without filters, transform and state manages them anyway: %v", obs.Fields())
	}
}

func TestFilterValueMustSuitTheOperator(t *testing.T) {
	tests := []struct {
		op, value string
		ok        bool
	}{
		{"eq", `"paid"`, true}, {"eq", `5`, true}, {"eq", `null`, true}, {"eq", `true`, true}, {"eq", `[1]`, false},
		{"neq", `{"a":1}`, false}, {"contains", `"ord"`, true}, {"contains", `5`, false}, {"gt", `-1.5`, true},
		{"lte", `"5"`, false}, {"exists", `true`, true}, {"exists", `"yes"`, false}, {"in", `["a", 1]`, true},
		{"in", `"a"`, false},
	}
	for _, tc := range tests {
		c := fullConnection()
		c.Spec.Filters = []v1.FilterRule{{Field: "payload.x", Op: v1.FilterOperator(tc.op), Value: jsonValue(tc.value)}}
		_, err := buildConnectionDesired(c, idRefs())
		if (err == nil) != tc.ok {
			t.Errorf("op %s value %s: error %v, want accepted %v", tc.op, tc.value, err, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "spec.filters[0].value must be") {
			t.Errorf("op %s value %s: message %q does not say what the value must be", tc.op, tc.value, err)
		}
	}
}

func TestTransformSyntaxIsChecked(t *testing.T) {
	c := fullConnection()
	c.Spec.Transform = new(`{"order": payload.id`)
	if _, err := buildConnectionDesired(c, idRefs()); err == nil || !strings.Contains(err.Error(), "not a valid JSONata expression") {
		t.Errorf("error = %v, want the transform refused", err)
	}
}

// TestResolveEnds covers what a Connection waits for and what stops it.
func TestResolveEnds(t *testing.T) {
	source := func(change func(*v1.Source)) *v1.Source {
		s := &v1.Source{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "orders"}}
		s.Status.ID = testSourceID
		if change != nil {
			change(s)
		}
		return s
	}
	destination := &v1.Destination{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "billing"}}
	destination.Status.ID = testDestinationID
	now := metav1.Now()
	tests := map[string]struct {
		source  *v1.Source
		getErr  error             // what reading the Source returns instead
		keys    map[string]string // credentials Secret name -> API key
		reason  string
		waiting bool
		// message is part of the message the error must carry; keepReady, that the wait leaves Ready alone.
		message      string
		keepReady    bool
		notPermitted bool
	}{
		"both resolved":     {source: source(nil)},
		"source missing":    {reason: v1.ReasonWaitingForSource, waiting: true},
		"source without id": {source: source(func(s *v1.Source) { s.Status.ID = "" }), reason: v1.ReasonWaitingForSource, waiting: true},
		"source being deleted": {source: source(func(s *v1.Source) { s.DeletionTimestamp = &now; s.Finalizers = []string{v1.Finalizer} }),
			reason: v1.ReasonWaitingForSource, waiting: true, keepReady: true},
		"source of another project": {source: source(func(s *v1.Source) {
			s.Spec.CredentialsRef = &v1.LocalObjectReference{Name: "other-project"}
		}), reason: v1.ReasonProjectMismatch},
		"source of another namespace, no grant": {getErr: &managed.NotPermittedError{FromKind: kindConnection, From: "team",
			Kind: kindSource, Namespace: "platform", Name: "orders"}, notPermitted: true},
		"source in another shard": {getErr: &managed.OutsideShardError{Shard: "hookstream.io/shard=a", Labels: "hookstream.io/shard=b"},
			reason: v1.ReasonWaitingForSource, waiting: true, keepReady: true,
			message: "outside this manager's shard (--watch-selector hookstream.io/shard=a; its labels: hookstream.io/shard=b)"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c := &v1.Connection{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "c"}, Spec: v1.ConnectionSpec{
				SourceRef: &v1.EndReference{Name: "orders"}, DestinationRef: &v1.EndReference{Name: "billing"}}}
			get := func(into client.Object, _, name string) error {
				switch obj := into.(type) {
				case *v1.Source:
					if tc.getErr != nil {
						return tc.getErr
					}
					if tc.source == nil {
						return apierrors.NewNotFound(v1.GroupVersion.WithResource("sources").GroupResource(), name)
					}
					tc.source.DeepCopyInto(obj)
				case *v1.Destination:
					destination.DeepCopyInto(obj)
				}
				return nil
			}
			apiKey := func(o managed.Object) string {
				if ref := o.GetManagedSpec().CredentialsRef; ref != nil {
					return "key of " + ref.Name
				}
				return "key of the default Secret"
			}
			sameProject := func(o managed.Object) (bool, error) { return apiKey(o) == apiKey(c), nil }
			src, dst, err := resolveEnds(c, get, sameProject)
			if tc.notPermitted {
				if !managed.IsNotPermitted(err) {
					t.Errorf("error = %v, want the refusal of the reference", err)
				}
				return
			}
			if tc.reason == "" {
				if err != nil || src != testSourceID || dst != testDestinationID {
					t.Errorf("resolveEnds = %q, %q, %v", src, dst, err)
				}
				return
			}
			wait, isWait := errors.AsType[*managed.WaitError](err)
			stall, isStall := errors.AsType[*managed.StalledError](err)
			switch {
			case tc.waiting && (!isWait || wait.Reason != tc.reason):
				t.Errorf("error = %v, want a wait with reason %s", err, tc.reason)
			case !tc.waiting && (!isStall || stall.Reason != tc.reason):
				t.Errorf("error = %v, want a stall with reason %s", err, tc.reason)
			case !strings.Contains(err.Error(), `"orders"`):
				t.Errorf("message %q does not name the Source", err)
			case !strings.Contains(err.Error(), tc.message):
				t.Errorf("message %q does not say %q", err, tc.message)
			case tc.waiting && wait.KeepReady != tc.keepReady:
				t.Errorf("KeepReady = %v, want %v", wait.KeepReady, tc.keepReady)
			}
		})
	}
}

// TestConnectionWithoutGrant maps, compares and observes a Connection whose Source of another namespace no grant
// allows: nothing to create without a remote connection; with one, the operator pauses it if it is active (the
// spec's disabled or paused kept), leaves one paused or disabled in hookstream as it is, and keeps its ends and name.
// Once allowed again, only the operator's own pause is undone, unless spec.state says otherwise.
func TestConnectionWithoutGrant(t *testing.T) {
	notPermitted := &managed.NotPermittedError{FromKind: kindConnection, From: "team", Kind: kindSource, Namespace: "platform",
		Name: "github"}
	refs := func(allowed bool) managed.Refs {
		return managed.Refs{
			Object: func(into client.Object, _, _ string) error {
				if !allowed {
					return notPermitted
				}
				into.(*v1.Source).Status.ID = testSourceID
				return nil
			},
			SameProject: func(managed.Object) (bool, error) { return true, nil },
		}
	}
	tests := map[string]struct {
		spec     v1.ResourceState
		remote   string // the remote connection's state; none when empty
		pausedBy bool   // status.pausedWithoutGrant before
		allowed  bool

		stall     bool   // no mapping: nothing to create
		patch     string // the status the PATCH sends, "" for none
		pausedNow bool   // status.pausedWithoutGrant after the PATCH is observed
	}{
		"no remote connection: nothing to create":    {stall: true},
		"active: paused by the operator":             {remote: "active", patch: "paused", pausedNow: true},
		"spec active: paused by the operator":        {spec: v1.StateActive, remote: "active", patch: "paused", pausedNow: true},
		"paused in hookstream: left as it is":        {remote: "paused"},
		"disabled in hookstream: left as it is":      {remote: "disabled"},
		"spec disabled: the spec's state":            {spec: v1.StateDisabled, remote: "active", patch: "disabled"},
		"spec paused: the spec's pause":              {spec: v1.StatePaused, remote: "active", patch: "paused"},
		"paused by the operator, still no grant":     {remote: "paused", pausedBy: true, pausedNow: true},
		"allowed again: the operator's pause undone": {remote: "paused", pausedBy: true, allowed: true, patch: "active"},
		"allowed again, spec paused: stays paused":   {spec: v1.StatePaused, remote: "paused", pausedBy: true, allowed: true},
		"allowed, paused in hookstream: left as is":  {remote: "paused", allowed: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c := &v1.Connection{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "c"}, Spec: v1.ConnectionSpec{
				SourceRef: &v1.EndReference{Namespace: "platform", Name: "github"}, DestinationID: testDestinationID,
				State: tc.spec}}
			row := &hookstream.Connection{ID: tableID, SourceID: testSourceID, DestinationID: testDestinationID,
				Name: connectionName(c), Status: tc.remote, Enabled: tc.remote != "disabled",
				SourceName: new("github"), DestinationName: new("billing")}
			if tc.remote != "" {
				c.Status.ID, c.Status.SourceID, c.Status.DestinationID, c.Status.Name = row.ID, row.SourceID, row.DestinationID, row.Name
			}
			c.Status.PausedWithoutGrant = tc.pausedBy
			kind := &connectionKind{}
			want, err := kind.Desired(c, refs(tc.allowed))
			_, isDisabled := errors.AsType[*managed.DisabledError](err)
			stall, isStall := errors.AsType[*managed.StalledError](err)
			switch {
			case tc.stall:
				if !isStall || isDisabled || stall.Reason != v1.ReasonRefNotPermitted || want != nil {
					t.Fatalf("= %v, %v; want a RefNotPermitted stall and no mapping", want, err)
				}
				return
			case !tc.allowed && (!isDisabled || stall.Reason != v1.ReasonRefNotPermitted || !strings.Contains(err.Error(), tableID)):
				t.Fatalf("err = %v, want the connection kept from routing, named", err)
			case tc.allowed && err != nil:
				t.Fatal(err)
			}
			obs, err := kind.Compare(c, want, row, false)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := obs.Patch.Status.Value()
			if enabled, ok := obs.Patch.Enabled.Value(); ok {
				row.Status, row.Enabled = got, enabled
			}
			if got != tc.patch || (!tc.allowed && (!obs.Patch.FilterRules.IsZero() || !obs.Patch.Name.IsZero())) {
				t.Errorf("patch %+v, want status %q and nothing else", obs.Patch, tc.patch)
			}
			kind.SetObserved(c, row)
			if c.Status.PausedWithoutGrant != tc.pausedNow {
				t.Errorf("status.pausedWithoutGrant = %v, want %v", c.Status.PausedWithoutGrant, tc.pausedNow)
			}
		})
	}
}
