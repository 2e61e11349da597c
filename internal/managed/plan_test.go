// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0
package managed

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
)

// planDesired is a desired state for the plan table.
type planDesired struct{}

func (planDesired) KeyDescription() string   { return `slug "orders"` }
func (planDesired) SecretMaterial() []string { return nil }
func (planDesired) Request() any             { return "request" }

// planKind compares with compare, and records whether it was told the Secrets rotated.
type planKind struct {
	compare func(remote *testRow) (Observation[string], error)
	rotated *bool
}

func (planKind) Connect(string) (External[*v1.Destination, *testRow, planDesired, string], error) {
	return nil, errors.New("the plan makes no call")
}
func (planKind) Desired(*v1.Destination, Refs) (planDesired, error) { return planDesired{}, nil }
func (k planKind) Compare(_ *v1.Destination, _ planDesired, remote *testRow, rotated bool) (Observation[string], error) {
	if k.rotated != nil {
		*k.rotated = rotated
	}
	if k.compare == nil {
		return Observation[string]{}, nil
	}
	return k.compare(remote)
}
func (planKind) SetObserved(*v1.Destination, *testRow) {}

// TestDecide covers every action and step of a plan, from the facts alone.
func TestDecide(t *testing.T) {
	marked := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	row := &testRow{ID: "d1"}
	differs := func(*testRow) (Observation[string], error) {
		var o Observation[string]
		o.Patch = "url"
		o.Add("url", "https://new", "https://old")
		return o, nil
	}
	replace := func(*testRow) (Observation[string], error) {
		return Observation[string]{}, Replace("its source changed")
	}
	stall := func(*testRow) (Observation[string], error) {
		return Observation[string]{}, Stall(v1.ReasonTypeMismatch, "type differs")
	}
	found := RemoteLookup[*testRow]{Remote: row, Found: true}
	notPermitted := Disable(v1.ReasonRefNotPermitted, "no grant").(*DisabledError).Cause
	tests := map[string]struct {
		object    func(*v1.Destination)
		facts     Facts[*testRow, planDesired]
		compare   func(*testRow) (Observation[string], error)
		publisher bool

		action  PlanAction
		steps   []Step
		reason  string // of Err, when the plan stops
		own     bool
		rotated bool
	}{
		"paused": {object: func(d *v1.Destination) { d.Annotations = map[string]string{v1.AnnotationPaused: "true"} },
			action: PlanPaused},
		"a referenced Secret is missing": {facts: Facts[*testRow, planDesired]{MapErr: &errMissingSecret{name: "tokens", key: "k"}},
			action: PlanFailed},
		"waiting for another object": {facts: Facts[*testRow, planDesired]{MapErr: Wait(v1.ReasonWaitingForSource, "no id yet")},
			action: PlanWait, reason: v1.ReasonWaitingForSource},
		"the spec cannot be mapped": {facts: Facts[*testRow, planDesired]{MapErr: errors.New("bad header")},
			action: PlanBlocked, reason: v1.ReasonInvalidSpec},
		"hookstream cannot be read": {facts: Facts[*testRow, planDesired]{LookupErr: &RemoteError{Err: errors.New("503")}},
			action: PlanFailed},
		"adoptID names nothing": {facts: Facts[*testRow, planDesired]{LookupErr: Refuse(v1.ReasonNotFound, "no such id")},
			action: PlanBlocked, reason: v1.ReasonNotFound},
		"observed, nothing there": {object: observe, action: PlanBlocked, reason: v1.ReasonNotFound},
		"nothing there: create":   {action: PlanCreate, steps: []Step{StepFinalizer, StepCreate}},
		"key taken on a first attempt": {
			facts:  Facts[*testRow, planDesired]{KeyLookedUp: true, Taken: row, TakenFound: true, FirstAttempt: true},
			action: PlanBlocked, steps: []Step{StepDropMarker}, reason: v1.ReasonConflict},
		"key taken, adoption by slug": {object: func(d *v1.Destination) { d.Spec.AdoptionPolicy = v1.AdoptBySlug },
			facts:  Facts[*testRow, planDesired]{KeyLookedUp: true, Taken: row, TakenFound: true, FirstAttempt: true},
			action: PlanUnchanged, steps: []Step{StepFinalizer, StepAdopt}},
		"key taken by an earlier attempt of ours": {object: func(d *v1.Destination) {
			d.Annotations = map[string]string{v1.AnnotationCreateRequested: marked.Format(time.RFC3339),
				v1.AnnotationCreateSecretsHash: "applied-then"}
		},
			facts: Facts[*testRow, planDesired]{SecretsHash: "applied-then", KeyLookedUp: true, TakenFound: true,
				Taken: &testRow{ID: "d1", UpdatedAt: marked}},
			compare: differs,
			action:  PlanUpdate, steps: []Step{StepFinalizer, StepAdopt, StepRecordID, StepUpdate}, own: true},
		"found, up to date": {facts: Facts[*testRow, planDesired]{RecordedID: "d1", SecretsHash: "h", Lookup: found},
			action: PlanUnchanged, steps: []Step{StepFinalizer}, rotated: true},
		"found, Secrets as applied": {object: func(d *v1.Destination) { d.Status.AppliedSecretsHash = "h" },
			facts:  Facts[*testRow, planDesired]{RecordedID: "d1", SecretsHash: "h", Lookup: found},
			action: PlanUnchanged, steps: []Step{StepFinalizer}},
		"found, differs": {facts: Facts[*testRow, planDesired]{RecordedID: "d1", SecretsHash: "h", Lookup: found}, compare: differs,
			action: PlanUpdate, steps: []Step{StepFinalizer, StepUpdate}, rotated: true},
		"found by key, differs: the id first": {facts: Facts[*testRow, planDesired]{SecretsHash: "h", Lookup: found}, compare: differs,
			action: PlanUpdate, steps: []Step{StepFinalizer, StepRecordID, StepUpdate}, rotated: true},
		"just created": {facts: Facts[*testRow, planDesired]{SecretsHash: "h", Lookup: found, Created: true},
			action: PlanUnchanged, steps: []Step{StepFinalizer}},
		"cannot become the spec: replace": {facts: Facts[*testRow, planDesired]{RecordedID: "d1", Lookup: found},
			compare: replace, action: PlanReplace, steps: []Step{StepDelete, StepRecordReplacement, StepDropMarker}},
		"cannot become the spec, taken over by id": {object: func(d *v1.Destination) { d.Spec.AdoptID = "d1" },
			facts: Facts[*testRow, planDesired]{RecordedID: "d1", Lookup: found}, compare: replace,
			action: PlanBlocked, reason: v1.ReasonReplacementRequired},
		"cannot become the spec right after its create": {facts: Facts[*testRow, planDesired]{Lookup: found, Created: true},
			compare: replace, action: PlanBlocked, reason: v1.ReasonReplacementRequired},
		"an immutable field differs": {facts: Facts[*testRow, planDesired]{RecordedID: "d1", Lookup: found}, compare: stall,
			action: PlanBlocked, reason: v1.ReasonTypeMismatch},
		"adopted by id, another object manages it": {object: func(d *v1.Destination) { d.Spec.AdoptID = "d1" },
			facts:  Facts[*testRow, planDesired]{Lookup: found, Owners: map[string]string{"d1": `Destination "first"`}},
			action: PlanBlocked, reason: v1.ReasonAlreadyManaged},
		"the key's holder is managed by another object": {object: func(d *v1.Destination) {
			d.Spec.AdoptionPolicy = v1.AdoptBySlug
			d.Annotations = map[string]string{v1.AnnotationCreateRequested: marked.Format(time.RFC3339)}
		},
			facts: Facts[*testRow, planDesired]{KeyLookedUp: true, Taken: row, TakenFound: true, FirstAttempt: true,
				Owners: map[string]string{"d1": "a Destination of another namespace"}},
			action: PlanBlocked, steps: []Step{StepDropMarker}, reason: v1.ReasonAlreadyManaged},
		"its own recorded remote, listed as managed by another too": {
			facts:  Facts[*testRow, planDesired]{RecordedID: "d1", Lookup: found, Owners: map[string]string{"d1": "x"}},
			action: PlanUnchanged, steps: []Step{StepFinalizer}},
		"observed while another object manages it": {object: observe,
			facts:  Facts[*testRow, planDesired]{Lookup: found, Owners: map[string]string{"d1": `Destination "first"`}},
			action: PlanUnchanged},
		"a field spec.ignoreChanges lists differs": {object: func(d *v1.Destination) { d.Spec.IgnoreChanges = []string{"status"} },
			facts: Facts[*testRow, planDesired]{RecordedID: "d1", Lookup: found},
			compare: func(*testRow) (Observation[string], error) {
				var o Observation[string]
				o.Patch = "status"
				o.Add("status", "active", "paused")
				return o, nil
			},
			action: PlanUnchanged, steps: []Step{StepFinalizer}},
		"differences held until a time": {facts: Facts[*testRow, planDesired]{RecordedID: "d1", Lookup: found,
			HoldUntil: &marked}, compare: differs, action: PlanUnchanged, steps: []Step{StepFinalizer}},
		"turned off, nothing there: no create": {facts: Facts[*testRow, planDesired]{Disabled: notPermitted},
			action: PlanBlocked, reason: v1.ReasonRefNotPermitted},
		"turned off, key taken: no adoption": {facts: Facts[*testRow, planDesired]{Disabled: notPermitted, KeyLookedUp: true,
			Taken: row, TakenFound: true}, action: PlanBlocked, reason: v1.ReasonRefNotPermitted},
		"turned off, cannot become the spec: never replaced": {facts: Facts[*testRow, planDesired]{RecordedID: "d1",
			Lookup: found, Disabled: notPermitted}, compare: replace, action: PlanBlocked, reason: v1.ReasonReplacementRequired},
		"turned off, found on": {facts: Facts[*testRow, planDesired]{RecordedID: "d1", Lookup: found, Disabled: notPermitted},
			compare: differs, action: PlanUpdate, steps: []Step{StepFinalizer, StepUpdate}},
		"observed, differs": {object: observe, facts: Facts[*testRow, planDesired]{Lookup: found}, compare: differs,
			action: PlanDrift},
		"observed, Secrets never applied": {object: observe, facts: Facts[*testRow, planDesired]{SecretsHash: "h", Lookup: found},
			action: PlanUnchanged},
		"observed by a kind that publishes": {object: observe, publisher: true,
			facts: Facts[*testRow, planDesired]{Lookup: found}, action: PlanUnchanged, steps: []Step{StepFinalizer}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			obj := &v1.Destination{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "orders"}}
			if tc.object != nil {
				tc.object(obj)
			}
			rotated := false
			def := &Definition[*v1.Destination, *testRow, planDesired, string]{
				Names: Names{Kind: "Destination", Remote: "destination"},
				Kind:  planKind{compare: tc.compare, rotated: &rotated},
				Row:   func(r *testRow) Row { return Row{ID: r.ID, CreatedAt: r.UpdatedAt} },
			}
			if tc.publisher {
				def.Publisher = nopPublisher{}
			}
			p := Decide(def, obj, tc.facts)
			if p.Action != tc.action || !slices.Equal(p.Steps, tc.steps) {
				t.Errorf("plan %s %v, want %s %v (err %v)", p.Action, p.Steps, tc.action, tc.steps, p.Err)
			}
			reason := ""
			if p.Err != nil {
				reason = classify(p.Err, p.Stage, "", 0).reason
			}
			if tc.reason != "" && reason != tc.reason {
				t.Errorf("stops with reason %q, want %q (%v)", reason, tc.reason, p.Err)
			}
			if p.Own != tc.own {
				t.Errorf("own = %v, want %v", p.Own, tc.own)
			}
			if rotated != tc.rotated {
				t.Errorf("the comparison was told the Secrets rotated: %v, want %v", rotated, tc.rotated)
			}
			if obj.Status.AppliedSecretsHash != "" && tc.object == nil {
				t.Errorf("Decide changed the object's status")
			}
		})
	}
}

func observe(d *v1.Destination) { d.Spec.ManagementPolicy = v1.ManagementObserve }

// nopPublisher publishes nothing.
type nopPublisher struct{}

func (nopPublisher) Publish(context.Context, *v1.Destination) error   { return nil }
func (nopPublisher) Unpublish(context.Context, *v1.Destination) error { return nil }

// TestKeptChangesLeaveThePatch: a field spec.ignoreChanges lists leaves the update request, unless an active
// difference needs the same top-level field; a hold keeps every field.
func TestKeptChangesLeaveThePatch(t *testing.T) {
	type patch struct {
		URL        *string           `json:"url,omitempty"`
		Status     *string           `json:"status,omitempty"`
		AuthConfig map[string]string `json:"auth_config,omitempty"`
	}
	str := func(s string) *string { return &s }
	obj := &v1.Destination{}
	obj.Spec.IgnoreChanges = []string{"status", "auth_config"}
	diffs := []FieldDiff{{Field: "url"}, {Field: "status"}, {Field: "auth_config.token", Secret: true}}
	all, active := keptChanges(obj, diffs, nil)
	if len(active) != 1 || active[0].Field != "url" || !all[1].Ignored || !all[2].Ignored || all[0].Ignored {
		t.Fatalf("kept %+v, active %+v", all, active)
	}
	p := &patch{URL: str("https://new"), Status: str("active"), AuthConfig: map[string]string{"token": "t"}}
	dropFields(p, active, all)
	if p.URL == nil || p.Status != nil || p.AuthConfig != nil {
		t.Errorf("patch after dropping the ignored fields: %+v", p)
	}

	until := time.Date(2026, 12, 8, 6, 0, 0, 0, time.UTC)
	held, active := keptChanges(&v1.Destination{}, diffs, &until)
	if len(active) != 0 || held[0].HeldUntil == nil || !held[0].HeldUntil.Equal(until) {
		t.Errorf("held %+v, active %+v: a hold keeps every field", held, active)
	}
}

// TestHoldUntil reads the hold-drift-until annotation: a time ahead holds, one passed does not, and a value that
// is no time or more than 7 days ahead is refused.
func TestHoldUntil(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for value, want := range map[string]string{
		"":                     "none",
		"2026-12-07T16:00:00Z": "2026-12-07T16:00:00Z",
		"2026-12-07T11:00:00Z": "none",
		"tomorrow":             "refused",
		"2026-12-20T00:00:00Z": "refused",
	} {
		obj := &v1.Destination{}
		if value != "" {
			obj.Annotations = map[string]string{v1.AnnotationHoldDriftUntil: value}
		}
		until, err := holdUntil(obj, now)
		got := "none"
		switch {
		case err != nil:
			got = "refused"
			if !errors.Is(classify(err, "hold", "", 0).err, reconcile.TerminalError(nil)) {
				t.Errorf("%q: refused but retried", value)
			}
		case until != nil:
			got = until.UTC().Format(time.RFC3339)
		}
		if got != want {
			t.Errorf("%q: %s, want %s (%v)", value, got, want, err)
		}
	}
}
