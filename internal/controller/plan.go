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

package controller

import (
	"context"
	"errors"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/internal/managed"
)

// PlanAction is what the operator would do to hookstream for one object.
type PlanAction string

// The actions a Plan reports.
const (
	// PlanUnchanged: the remote resource matches the spec; nothing would be written.
	PlanUnchanged PlanAction = "unchanged"
	// PlanUpdate: the remote resource would be PATCHed, the fields of Plan.Diffs only.
	PlanUpdate PlanAction = "update"
	// PlanCreate: hookstream has no remote resource for the object; one would be created.
	PlanCreate PlanAction = "create"
	// PlanReplace: the remote resource cannot become what the spec asks for (a connection whose source or
	// destination changed); it would be deleted and created anew.
	PlanReplace PlanAction = "replace"
	// PlanDrift: managementPolicy is Observe, so nothing would be written, but the remote resource differs from the
	// spec (status.drift would list Plan.Diffs).
	PlanDrift PlanAction = "drift"
	// PlanWait: the object waits for another one (a Connection for its Source or Destination to have an id).
	PlanWait PlanAction = "wait"
	// PlanBlocked: the operator would stop with a condition that needs a change by you (Plan.Reason says which).
	PlanBlocked PlanAction = "blocked"
	// PlanPaused: the paused annotation is set; the operator makes no hookstream call until it is removed.
	PlanPaused PlanAction = "paused"
)

// Plan is what the operator's controller would do to hookstream for one object, computed without writing: the
// same mapping (Desired), remote lookup (status.id, spec.adoptID, natural key), identity check and comparison as
// the reconcile.
type Plan struct {
	Action PlanAction
	// RemoteID is the id of the remote resource the object maps to; "" when there is none.
	RemoteID string
	// Remote is that remote resource as read (a *hookstream.Destination, *hookstream.Source or
	// *hookstream.Connection); nil when there is none.
	Remote any
	// Key describes the object's natural key, such as `slug "orders"`.
	Key string
	// Diffs are the fields that differ (PlanUpdate, PlanDrift), secret values hidden.
	Diffs []managed.FieldDiff
	// Reason (a condition reason of api/v1alpha1) and Message explain PlanBlocked, PlanWait and PlanReplace.
	Reason  string
	Message string
	// SecretsHash is the keyed hash of the secret values the spec resolves to, as status.appliedSecretsHash
	// records it once they are applied.
	SecretsHash string
}

// Planner computes Plans against one hookstream project. It only reads.
type Planner struct {
	// Client reads hookstream with APIKey, the key the objects' credentials Secret holds.
	Client *hookstream.Client
	APIKey string
	// Objects reads the Sources and Destinations that Connections reference, with their status.id: the
	// Connection's natural key holds their ids.
	Objects client.Reader
}

// Plan computes what the controller of obj's kind (a *Destination, *Source or *Connection) would do to hookstream.
// obj's status carries what the cluster recorded (status.id, status.appliedSecretsHash); refs reads what its spec
// references. A failed hookstream read is returned as the error.
func (p Planner) Plan(ctx context.Context, obj managed.Object, refs managed.Refs) (Plan, error) {
	switch o := obj.(type) {
	case *v1.Destination:
		return plan(ctx, &destinationKind{}, &destinationClient{p.Client}, o, refs, p.APIKey)
	case *v1.Source:
		return plan(ctx, &sourceKind{}, &sourceClient{p.Client}, o, refs, p.APIKey)
	case *v1.Connection:
		return plan(ctx, &connectionKind{}, &connectionClient{c: p.Client, objects: p.Objects}, o, refs, p.APIKey)
	}
	return Plan{}, fmt.Errorf("%T is not a hookstream kind", obj)
}

// plan follows the decisions of the managed reconciler (reconcileNormal, findRemote, createOrAdopt), reading only:
// the remote lookup and the take-over of a taken key are the reconciler's own functions (managed.LocateRemote,
// managed.TakeOver). Where the reconciler would create, the plan looks the natural key up to tell the conflict
// hookstream would answer.
func plan[O managed.Object, R any, D managed.Desired, P any](ctx context.Context, kind managed.Kind[O, R, D, P],
	hs managed.External[O, R, D, P], obj O, refs managed.Refs, apiKey string) (Plan, error) {
	if managed.IsPaused(obj) {
		return Plan{Action: PlanPaused, Reason: v1.ReasonPaused,
			Message: "the hookstream.io/paused annotation stops every hookstream call; nothing is written until it is removed"}, nil
	}
	want, err := kind.Desired(obj, refs)
	if err != nil {
		return blockedPlan(err, v1.ReasonInvalidSpec), nil
	}
	out := Plan{Key: want.KeyDescription(), SecretsHash: managed.SecretsHash(want.SecretMaterial(), apiKey)}
	spec, st := obj.GetManagedSpec(), obj.GetManagedStatus()
	observe := spec.ManagementPolicy == v1.ManagementObserve
	names := kind.Names()

	lookup, err := managed.LocateRemote(ctx, obj, names.Remote, kind.Row, hs.Get, hs.FindByKey)
	if err != nil {
		if _, stalled := errors.AsType[*managed.StalledError](err); stalled {
			b := blockedPlan(err, "")
			b.Key, b.SecretsHash = out.Key, out.SecretsHash
			return b, nil
		}
		return out, err
	}
	remote, found := lookup.Remote, lookup.Found
	switch {
	case !found && observe:
		out.Action, out.Reason = PlanBlocked, v1.ReasonNotFound
		out.Message = fmt.Sprintf("managementPolicy is Observe and hookstream has no %s with %s", names.Remote, out.Key)
		return out, nil
	case !found && names.NoSlug:
		// hookstream takes any natural key of this kind: the create succeeds, beside any resource with the same key.
		out.Action = PlanCreate
		return out, nil
	case !found:
		taken, isTaken, err := hs.FindByKey(ctx, obj)
		if err != nil {
			return out, err
		}
		if !isTaken {
			out.Action = PlanCreate
			return out, nil
		}
		// hookstream answers the create with a conflict; the reconciler then decides as here.
		row := kind.Row(taken)
		if adopt, _ := managed.TakeOver(obj, row, managed.FirstCreateAttempt(obj)); !adopt {
			out.Action, out.Reason, out.RemoteID, out.Remote = PlanBlocked, v1.ReasonConflict, row.ID, taken
			out.Message = fmt.Sprintf("%s is already used by %s %s; set spec.adoptID or spec.adoptionPolicy BySlug to take it over",
				out.Key, names.Remote, row.ID)
			return out, nil
		}
		remote = taken
	}
	out.RemoteID, out.Remote = kind.Row(remote).ID, remote
	if err := kind.CheckIdentity(obj, want, remote); err != nil {
		if replace, ok := errors.AsType[*managed.ReplaceError](err); ok && spec.AdoptID == "" && !observe {
			out.Action, out.Reason, out.Message = PlanReplace, v1.ReasonReplacing, replace.Message
			return out, nil
		}
		b := blockedPlan(err, v1.ReasonReplacementRequired)
		b.RemoteID, b.Remote, b.Key, b.SecretsHash = out.RemoteID, out.Remote, out.Key, out.SecretsHash
		return b, nil
	}
	rotated := st.AppliedSecretsHash != out.SecretsHash
	if observe {
		rotated = st.AppliedSecretsHash != "" && rotated
	}
	obs := kind.Compare(want, remote, rotated)
	out.Diffs = obs.Diffs
	switch {
	case obs.UpToDate():
		out.Action = PlanUnchanged
	case observe:
		out.Action = PlanDrift
	default:
		out.Action = PlanUpdate
	}
	return out, nil
}

// blockedPlan turns an error of the mapping or of the identity check into a Plan.
func blockedPlan(err error, fallbackReason string) Plan {
	if waiting, ok := errors.AsType[*managed.WaitError](err); ok {
		return Plan{Action: PlanWait, Reason: waiting.Reason, Message: waiting.Message}
	}
	if stalled, ok := errors.AsType[*managed.StalledError](err); ok {
		return Plan{Action: PlanBlocked, Reason: stalled.Reason, Message: stalled.Message}
	}
	return Plan{Action: PlanBlocked, Reason: fallbackReason, Message: err.Error()}
}
