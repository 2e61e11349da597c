// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package managed

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"time"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
)

// PlanAction is what the operator does to hookstream for one object, as a Plan decides it.
type PlanAction string

// The actions of a Plan.
const (
	// PlanUnchanged: the remote resource matches the spec; nothing is written to it.
	PlanUnchanged PlanAction = "unchanged"
	// PlanUpdate: the remote resource is PATCHed, the fields of Plan.Diffs only.
	PlanUpdate PlanAction = "update"
	// PlanCreate: hookstream has no remote resource for the object; one is created.
	PlanCreate PlanAction = "create"
	// PlanReplace: the remote resource cannot become what the spec asks for (a connection whose source or
	// destination changed); it is deleted, and created anew by the next reconcile.
	PlanReplace PlanAction = "replace"
	// PlanDrift: managementPolicy is Observe, so nothing is written, but the remote resource differs from the spec
	// (status.drift lists Plan.Diffs).
	PlanDrift PlanAction = "drift"
	// PlanWait: the object waits for another one (a Connection for its Source or Destination to have an id).
	PlanWait PlanAction = "wait"
	// PlanBlocked: the operator stops with a condition that needs a change by you (Plan.Err says which).
	PlanBlocked PlanAction = "blocked"
	// PlanFailed: a read the plan needs failed (Plan.Err); it is retried with backoff.
	PlanFailed PlanAction = "failed"
	// PlanPaused: the paused annotation is set; no hookstream call at all until it is removed.
	PlanPaused PlanAction = "paused"
)

// Step is one write of a Plan, carried out in the order the plan lists them.
type Step string

// The steps of a Plan.
const (
	// StepFinalizer adds the finalizer and, before a create, the create marker (one metadata write).
	StepFinalizer Step = "finalizer"
	// StepCreate creates the remote resource.
	StepCreate Step = "create"
	// StepAdopt takes over the remote resource that holds the natural key.
	StepAdopt Step = "adopt"
	// StepRecordID writes status.id before the next remote call: if that call fails, or changes what the key
	// lookup matches (a Connection's name), the next reconcile and a deletion still find the remote resource.
	StepRecordID Step = "record-id"
	// StepUpdate PATCHes the differing fields.
	StepUpdate Step = "update"
	// StepDelete deletes the remote resource that cannot become what the spec asks for.
	StepDelete Step = "delete"
	// StepRecordReplacement clears status.id once the replaced remote resource is deleted, before the next create.
	StepRecordReplacement Step = "record-replacement"
	// StepDropMarker removes the create marker: the next create is a new attempt (after a replacement), or the
	// natural key is someone else's.
	StepDropMarker Step = "drop-marker"
)

// Facts is what is known of one object and its remote resource when a Plan is decided: the mapping of its spec,
// and what the remote lookups found. A reconcile gathers them, the read-only planner too.
type Facts[R any, D Desired] struct {
	// Want is the mapping of the spec; MapErr its failure.
	Want   D
	MapErr error
	// SecretsHash is the keyed hash of Want's secret material.
	SecretsHash string
	// RecordedID is status.id as stored when the object was read.
	RecordedID string
	// Lookup is where the remote resource was found (LocateRemote); LookupErr its failure.
	Lookup    RemoteLookup[R]
	LookupErr error
	// Created says that this reconcile created Lookup.Remote.
	Created bool
	// KeyLookedUp says that the natural key was looked up because a create would conflict, or did: Taken is the
	// remote resource that holds it, when TakenFound.
	KeyLookedUp bool
	Taken       R
	TakenFound  bool
	// FirstAttempt says that the create conflicting on the key was the object's first attempt: the key can only
	// be someone else's.
	FirstAttempt bool
	// HoldUntil is the time of the hold-drift-until annotation while the hold lasts: changes made outside the
	// operator are kept, nothing is written to the remote resource. nil when there is no hold.
	HoldUntil *time.Time
	// Disabled, when set, says that Want turns the remote resource off because the object may no longer have
	// what its spec asks for (see DisabledError): an existing remote resource is brought to Want, none is created,
	// and the object stalls with this cause.
	Disabled *StalledError
	// Owners names, by remote id, the other object of the project that manages that remote resource already (as
	// `Destination "orders"` in the same namespace, or "a Destination of another namespace"): of the remote
	// resources the lookups found.
	Owners map[string]string
}

// Plan is what the operator does to hookstream for one object: the outcome (Action), the writes that lead to it
// (Steps), and what they need.
type Plan[R any, P any] struct {
	Action PlanAction
	Steps  []Step
	// Remote is the remote resource the object maps to, when Found.
	Remote R
	Found  bool
	// Own says that the remote resource taken over (StepAdopt) was made by an earlier create of this object.
	Own bool
	// Patch is the update request of StepUpdate; Diffs the fields that differ, those that spec.ignoreChanges or a
	// hold keep marked as such (they are not in the patch).
	Patch P
	Diffs []FieldDiff
	// Stage names what the reconcile was doing when it stopped (PlanBlocked, PlanWait, PlanFailed), as in "Cannot
	// <stage>: ..."; Err says why.
	Stage string
	Err   error
	// Replace is why the remote resource is replaced (PlanReplace).
	Replace string
}

// Has reports whether the plan takes the step.
func (p Plan[R, P]) Has(s Step) bool {
	return slices.Contains(p.Steps, s)
}

// Decide computes the plan of one object from its facts, without any call: the reconcile carries it out, the
// kubectl plugin's diff shows it.
func Decide[O Object, R any, D Desired, P any](def *Definition[O, R, D, P], obj O, f Facts[R, D]) Plan[R, P] {
	var p Plan[R, P]
	if IsPaused(obj) {
		p.Action = PlanPaused
		return p
	}
	if f.MapErr != nil {
		p.Stage, p.Err = mapFailure(f.MapErr)
		p.Action = stopAction(p.Err)
		return p
	}
	remote := def.Names.Remote
	if f.LookupErr != nil {
		p.Stage, p.Err = "read the remote "+remote, f.LookupErr
		p.Action = stopAction(p.Err)
		return p
	}
	observe := observeOnly(obj)
	if !observe || def.Publisher != nil {
		// Observe never deletes the remote resource, but what the object publishes in the cluster goes with it,
		// garbage collector or not: the finalizer is what lets the operator remove it.
		p.Steps = append(p.Steps, StepFinalizer)
	}
	p.Remote, p.Found = f.Lookup.Remote, f.Lookup.Found
	applied := obj.GetManagedStatus().AppliedSecretsHash
	if !p.Found {
		adoptedHash, done := decideAbsent(def, obj, f, &p)
		if done {
			return p
		}
		if adoptedHash != "" {
			// The values the earlier create sent are what the remote resource holds.
			applied = adoptedHash
		}
	}
	if f.Created {
		applied = f.SecretsHash
	}
	if id := def.Row(p.Remote).ID; id != f.RecordedID && !observe && f.Owners[id] != "" {
		// One remote resource, one owner: the other object keeps it, this one waits for it to go.
		p.Action, p.Stage, p.Steps = PlanBlocked, "take over the remote "+remote, nil
		if createRequestedAt(obj) != nil {
			// What the key finds is the owner's: a deletion of this object must not take it for its own create.
			p.Steps = []Step{StepDropMarker}
		}
		p.Err = Stall(v1.ReasonAlreadyManaged, "%s %s is managed by %s already; this object writes nothing to it "+
			"and never deletes it. It takes over once that object is gone; to manage it from here, delete that object "+
			"first (with deletionPolicy Orphan to keep the %s)", remote, id, f.Owners[id], remote)
		return p
	}

	rotated := applied != f.SecretsHash
	if observe {
		// The remote secret values cannot be read back: without a hash of what this operator applied, only their
		// masked form can be compared.
		rotated = applied != "" && rotated
	}
	obs, err := def.Kind.Compare(obj, f.Want, p.Remote, rotated)
	if err != nil {
		replace, isReplace := errors.AsType[*ReplaceError](err)
		// A mapping that turns the remote resource off never deletes it.
		if isReplace && !observe && !f.Created && obj.GetManagedSpec().AdoptID == "" && f.Disabled == nil {
			p.Action, p.Replace = PlanReplace, replace.Message
			p.Steps = []Step{StepDelete, StepRecordReplacement, StepDropMarker}
			return p
		}
		p.Action, p.Stage, p.Err = PlanBlocked, "converge", err
		if observe {
			p.Stage = "observe"
		}
		p.Steps = nil
		return p
	}
	p.Patch = obs.Patch
	p.Diffs, obs.Diffs = keptChanges(obj, obs.Diffs, f.HoldUntil)
	if !observe {
		// Fields ignored or held are not written: the patch loses them.
		dropFields(p.Patch, obs.Diffs, p.Diffs)
	}
	switch {
	case obs.UpToDate():
		p.Action = PlanUnchanged
	case observe:
		p.Action = PlanDrift
	default:
		p.Action = PlanUpdate
		if def.Row(p.Remote).ID != f.RecordedID {
			p.Steps = append(p.Steps, StepRecordID)
		}
		p.Steps = append(p.Steps, StepUpdate)
	}
	return p
}

// decideAbsent plans for an object whose remote resource was not found: it stops (nothing may be created, or the
// key is another's) or creates, and done is true; or it adopts the remote resource that holds the key, and
// adoptedHash is the hash of the Secrets an earlier create of the object sent it, if that create made it.
func decideAbsent[O Object, R any, D Desired, P any](def *Definition[O, R, D, P], obj O, f Facts[R, D],
	p *Plan[R, P]) (adoptedHash string, done bool) {
	remote := def.Names.Remote
	switch {
	case f.Disabled != nil:
		// Nothing to turn off, and nothing may be created.
		p.Action, p.Stage, p.Steps, p.Err = PlanBlocked, "resolve the spec's references", nil, f.Disabled
		return "", true
	case observeOnly(obj):
		p.Steps = nil
		p.Action, p.Stage = PlanBlocked, "observe"
		p.Err = Stall(v1.ReasonNotFound, "managementPolicy is Observe and hookstream has no %s with %s%s. "+
			"Nothing is created in Observe; set spec.adoptID or the natural key to an existing %s, or managementPolicy Manage",
			remote, f.Want.KeyDescription(), adoptIDNote(obj), remote)
		return "", true
	case !f.TakenFound:
		p.Action = PlanCreate
		p.Steps = append(p.Steps, StepCreate)
		return "", true
	}
	adopt, own := takeOver(obj, def.Row(f.Taken), f.FirstAttempt)
	if !adopt {
		takeOver := "spec.adoptionPolicy: BySlug (its fields are then changed to match the spec) or spec.adoptID"
		if def.Names.NoSlug {
			takeOver = "spec.adoptID (its fields are then changed to match the spec)"
		}
		p.Action, p.Stage, p.Steps = PlanBlocked, "create the remote "+remote, []Step{StepDropMarker}
		p.Err = Refuse(v1.ReasonConflict, "%s is already used by another %s in the hookstream project. "+
			"It was left untouched. To take it over, set %s; otherwise choose a free value", f.Want.KeyDescription(),
			remote, takeOver)
		return "", true
	}
	p.Remote, p.Found, p.Own = f.Taken, true, own
	p.Steps = append(p.Steps, StepAdopt)
	if own {
		adoptedHash = obj.GetAnnotations()[v1.AnnotationCreateSecretsHash]
	}
	return adoptedHash, false
}

// keptChanges marks the differences spec.ignoreChanges lists (Ignored) or a hold keeps (HeldUntil): all are
// shown, only the others (active) are written.
func keptChanges(obj Object, diffs []FieldDiff, holdUntil *time.Time) (all, active []FieldDiff) {
	ignored := obj.GetManagedSpec().IgnoreChanges
	for _, d := range diffs {
		top, _, _ := strings.Cut(d.Field, ".")
		switch {
		case slices.Contains(ignored, top):
			d.Ignored = true
		case holdUntil != nil:
			d.HeldUntil = holdUntil
		default:
			active = append(active, d)
		}
		all = append(all, d)
	}
	return all, active
}

// dropFields removes from the update request (a pointer to a struct of JSON fields) the top-level fields of the
// differences that are not written, unless an active difference needs the same field.
func dropFields(patch any, active, all []FieldDiff) {
	v := reflect.ValueOf(patch)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return
	}
	needed := map[string]bool{}
	for _, d := range active {
		top, _, _ := strings.Cut(d.Field, ".")
		needed[top] = true
	}
	s := v.Elem()
	for _, d := range all {
		top, _, _ := strings.Cut(d.Field, ".")
		if needed[top] || (!d.Ignored && d.HeldUntil == nil) {
			continue
		}
		for i := range s.NumField() {
			if name, _, _ := strings.Cut(s.Type().Field(i).Tag.Get("json"), ","); name == top {
				s.Field(i).SetZero()
			}
		}
	}
}

// mapFailure tells what a failed mapping of the spec waits for, or what in the spec is wrong.
func mapFailure(err error) (stage string, _ error) {
	if _, secret := errors.AsType[*errMissingSecret](err); secret {
		return "read the referenced Secrets", err
	}
	if resolvesLater(err) {
		return "resolve the spec's references", err
	}
	// Anything else the mapping finds wrong is the spec's to fix.
	return "map the spec to a hookstream request", Refuse(v1.ReasonInvalidSpec, "%v", err)
}

// resolvesLater reports an error of the spec's references that is not the spec's to fix: a wait for another
// object, a stall the kind explains, or a failed read of the operator's own.
func resolvesLater(err error) bool {
	_, waiting := errors.AsType[*WaitError](err)
	_, stalled := errors.AsType[*StalledError](err)
	_, kube := errors.AsType[*errKubernetes](err)
	return waiting || stalled || kube
}

// stopAction is the action of a plan that stops on err.
func stopAction(err error) PlanAction {
	if _, waiting := errors.AsType[*WaitError](err); waiting {
		return PlanWait
	}
	if _, stalled := errors.AsType[*StalledError](err); stalled {
		return PlanBlocked
	}
	return PlanFailed
}

// Summary is a Plan as the kubectl plugin shows it, the same for every kind.
type Summary struct {
	Action PlanAction
	Steps  []Step
	// RemoteID is the id of the remote resource the object maps to; "" when there is none. When Taken, it is the
	// one that holds the object's natural key instead, someone else's.
	RemoteID string
	Taken    bool
	// Remote is that remote resource as read; nil when there is none.
	Remote any
	// Key describes the object's natural key, such as `slug "orders"`.
	Key string
	// Diffs are the fields that differ (PlanUpdate, PlanDrift), secret values hidden.
	Diffs []FieldDiff
	// Reason (a condition reason of api/v1alpha1) and Message explain PlanBlocked, PlanWait, PlanFailed and
	// PlanReplace, as the object's conditions would.
	Reason  string
	Message string
	// SecretsHash is the keyed hash of the secret values the spec resolves to, as status.appliedSecretsHash
	// records it once they are applied.
	SecretsHash string
}

// Summarise describes p for the plugin, with the reasons and messages the reconcile would write in conditions.
func Summarise[O Object, R any, D Desired, P any](def *Definition[O, R, D, P], obj O, f Facts[R, D],
	p Plan[R, P]) Summary {
	s := Summary{Action: p.Action, Steps: p.Steps, Diffs: p.Diffs, SecretsHash: f.SecretsHash}
	if f.MapErr == nil && p.Action != PlanPaused {
		s.Key = f.Want.KeyDescription()
	}
	if p.Found {
		s.RemoteID, s.Remote = def.Row(p.Remote).ID, p.Remote
	} else if f.TakenFound {
		s.RemoteID, s.Remote, s.Taken = def.Row(f.Taken).ID, f.Taken, true
	}
	switch {
	case p.Action == PlanPaused:
		s.Reason = v1.ReasonPaused
		s.Message = "the hookstream.io/paused annotation stops every hookstream call; nothing is written until it is removed"
	case p.Action == PlanReplace:
		s.Reason, s.Message = v1.ReasonReplacing, p.Replace
	case p.Err != nil:
		o := classify(p.Err, p.Stage, "", 0)
		s.Reason, s.Message = o.reason, o.message
		if waiting, ok := errors.AsType[*WaitError](p.Err); ok {
			s.Reason, s.Message = waiting.Reason, waiting.Message
		}
	}
	return s
}

// Preview decides the plan of obj with reads only, as the kubectl plugin's diff shows it: the same facts as a
// reconcile gathers, except that where the reconcile would create, the natural key is looked up to tell the
// conflict hookstream would answer. obj's status carries what the cluster recorded (status.id,
// status.appliedSecretsHash); refs reads what its spec references; apiKey is its key. A failed hookstream read is
// returned as the error.
func Preview[O Object, R any, D Desired, P any](ctx context.Context, def *Definition[O, R, D, P],
	hs External[O, R, D, P], obj O, refs Refs, apiKey string) (Summary, error) {
	f := Facts[R, D]{RecordedID: obj.GetManagedStatus().ID}
	if !IsPaused(obj) {
		mapSpec(def, obj, refs, &f)
	}
	if f.MapErr == nil && !IsPaused(obj) {
		f.SecretsHash = SecretsHash(f.Want.SecretMaterial(), apiKey)
		if f.HoldUntil, f.MapErr = holdUntil(obj, time.Now()); f.MapErr != nil {
			return Summarise(def, obj, f, Decide(def, obj, f)), nil
		}
		f.Lookup, f.LookupErr = LocateRemote(ctx, obj, def.Names.Remote, def.Row, hs.Observe, hs.FindByKey)
		if f.LookupErr == nil && !f.Lookup.Found && !observeOnly(obj) && !def.Names.NoSlug {
			taken, found, err := hs.FindByKey(ctx, obj)
			if err != nil {
				return Summary{}, err
			}
			f.KeyLookedUp, f.Taken, f.TakenFound, f.FirstAttempt = true, taken, found, FirstCreateAttempt(obj)
		}
	}
	p := Decide(def, obj, f)
	if p.Action == PlanFailed {
		if f.LookupErr != nil {
			return Summary{}, f.LookupErr
		}
		// A reference the reconcile would retry (a missing Secret): the plan cannot go on without it.
		p.Action = PlanBlocked
	}
	return Summarise(def, obj, f, p), nil
}
