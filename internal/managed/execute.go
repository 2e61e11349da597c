// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package managed

// The executor: a reconcile of an object that is not being deleted gathers its facts, decides its plan (Decide)
// and carries the plan's steps out, then mirrors the remote resource into status.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
)

// reconcileNormal gathers the facts of obj (its credentials, the mapping of its spec, where its remote resource
// is), decides the plan and carries it out. base is the object as stored: the status patch at the end is computed
// from it, and the steps that write before the end (StepRecordID, StepRecordReplacement) move it on.
func (r *Reconciler[O, R, D, P]) reconcileNormal(ctx context.Context, obj O, base *O) (result ctrl.Result, err error) {
	interval, err := r.driftInterval(obj)
	if err != nil {
		return r.handleError(ctx, obj, "read the "+v1.AnnotationDriftInterval+" annotation", err)
	}
	apiKey, err := r.creds.apiKey(ctx, obj, false)
	if err != nil {
		return r.handleError(ctx, obj, "read the credentials", err)
	}
	f := Facts[R, D]{RecordedID: obj.GetManagedStatus().ID}
	mapSpec(r.def, obj, r.refs(ctx, obj, apiKey), &f)
	if f.MapErr != nil {
		return r.execute(ctx, obj, base, nil, apiKey, f)
	}
	inputHash := refusedInputHash(obj, f.Want, apiKey)
	if r.refusedBefore(obj, inputHash) {
		// Refused for good with these very inputs: calling hookstream again could only be refused again.
		return ctrl.Result{}, nil
	}
	defer func() { r.recordRefusal(obj, inputHash, err) }()
	f.SecretsHash = SecretsHash(f.Want.SecretMaterial(), apiKey)
	if f.HoldUntil, err = holdUntil(obj, time.Now()); err != nil {
		return r.handleError(ctx, obj, "read the "+v1.AnnotationHoldDriftUntil+" annotation", err)
	}
	// The end of a hold reads hookstream anew: what was held must be seen as it is now to be corrected.
	holdEnds := f.HoldUntil == nil && obj.GetManagedStatus().DriftHeldUntil != nil
	// A mapping that turns the remote resource off (a grant revoked) is carried out at once, whatever the interval.
	periodic := isPeriodicCheck(obj, f.SecretsHash) && !r.healthRequested(obj) && !holdEnds && f.Disabled == nil
	firstSight := r.firstSight(obj)
	switch {
	case periodic && interval == 0:
		// Never checked: only a change of the spec, its Secrets or a requested check reaches hookstream.
		return ctrl.Result{}, nil
	case periodic && firstSight:
		// After a restart every object shows up at once; spreading their first checks over the interval keeps
		// hookstream and the API server calm.
		return r.checkResult(rand.N(interval) + time.Second), nil
	}
	hs, err := r.connect(obj, apiKey)
	if err != nil {
		return r.handleError(ctx, obj, "connect to hookstream", err)
	}
	f.Lookup, f.LookupErr = r.findRemote(ctx, obj, apiKey, hs, periodic)
	if f.LookupErr == nil && f.Lookup.Found {
		if f.Owners, err = r.owners(ctx, obj, apiKey, f.RecordedID, r.def.Row(f.Lookup.Remote).ID); err != nil {
			return r.handleError(ctx, obj, "look for another owner of the remote "+r.def.Names.Remote, err)
		}
	}
	return r.execute(ctx, obj, base, hs, apiKey, f)
}

// execute carries out the plan Decide makes of the facts, step by step. A create, or a create that conflicts on
// the natural key, adds facts: the plan is decided again with them, so that what follows (adopt, compare, update)
// is decided in one place.
func (r *Reconciler[O, R, D, P]) execute(ctx context.Context, obj O, base *O, hs External[O, R, D, P], apiKey string,
	f Facts[R, D]) (ctrl.Result, error) {
	// What the status said before this reconcile, for the kind's health observation; base changes on the way.
	before := *base
	for {
		p := Decide(r.def, obj, f)
		switch p.Action {
		case PlanBlocked, PlanWait, PlanFailed:
			if p.Has(StepDropMarker) {
				// The key is someone else's: a later reconcile must not take their resource for ours.
				if err := r.dropCreateMarker(ctx, obj, *base); err != nil {
					return r.handleError(ctx, obj, p.Stage, err)
				}
			}
			return r.handleError(ctx, obj, p.Stage, p.Err)
		case PlanReplace:
			return r.replace(ctx, obj, base, hs, r.def.Row(p.Remote).ID, p.Replace)
		}
		markedNow, err := r.ensureFinalizer(ctx, obj, *base, p, f)
		if err != nil {
			return r.handleError(ctx, obj, "record the finalizer", err)
		}
		if p.Action == PlanCreate {
			if f, err = r.create(ctx, obj, hs, apiKey, f, markedNow); err != nil {
				return r.handleError(ctx, obj, "create the remote "+r.def.Names.Remote, err)
			}
			continue
		}
		if p.Has(StepAdopt) {
			r.adopt(ctx, obj, p)
		}
		if p.Has(StepRecordID) {
			obj.GetManagedStatus().ID = r.def.Row(p.Remote).ID
			if err := r.recordNow(ctx, obj, base); err != nil {
				return r.handleError(ctx, obj, fmt.Sprintf("record the new %s's id", r.def.Names.Remote), err)
			}
		}
		remote := p.Remote
		if p.Has(StepUpdate) && f.Disabled != nil {
			// What the kind recorded while comparing (a Connection's own pause) is written before the write that
			// turns the remote resource off: were that write answered and the status lost, nothing would tell the
			// operator's doing from someone else's, and a later grant could not undo it.
			if err := r.recordNow(ctx, obj, base); err != nil {
				return r.handleError(ctx, obj, "record the status", err)
			}
		}
		if p.Has(StepUpdate) {
			st := obj.GetManagedStatus()
			updated, err := hs.Update(ctx, r.def.Row(remote).ID, p.Patch)
			if err != nil {
				return r.handleError(ctx, obj, "update the remote "+r.def.Names.Remote, err)
			}
			remote = updated
			r.snapshots.put(apiKey, remote)
			r.recordUpdate(ctx, obj, p.Diffs, fieldsOf(written(p.Diffs)),
				f.Created || obj.GetGeneration() != st.ObservedGeneration || st.AppliedSecretsHash != f.SecretsHash)
		}
		return r.converged(ctx, obj, before, remote, apiKey, f, p)
	}
}

// converged mirrors the remote resource into status, publishes and observes its health, once the plan's writes
// are done (or, under Observe, without any).
func (r *Reconciler[O, R, D, P]) converged(ctx context.Context, obj, before O, remote R, apiKey string, f Facts[R, D],
	p Plan[R, P]) (ctrl.Result, error) {
	observe := observeOnly(obj)
	if !observe && !slices.ContainsFunc(p.Diffs, func(d FieldDiff) bool { return d.Secret && !isWritten(d) }) {
		// A secret value not written (ignored or held) is not applied: its rotation must still show later.
		obj.GetManagedStatus().AppliedSecretsHash = f.SecretsHash
	}
	r.setObserved(obj, remote)
	if err := r.publish(ctx, obj); err != nil {
		return r.handleError(ctx, obj, "publish the "+r.def.Names.Remote+"'s details", err)
	}
	if err := r.observeHealth(ctx, obj, before, remote, apiKey, f.Created, observe); err != nil {
		return r.handleError(ctx, obj, "read the "+r.def.Names.Remote+"'s delivery health", err)
	}
	MarkCheckHandled(obj)
	if f.Disabled != nil {
		// The remote resource is turned off as the mapping asks (under Observe it is only shown); the object stalls
		// until its references are allowed again.
		shown := p.Diffs
		if !observe {
			shown = slices.DeleteFunc(slices.Clone(p.Diffs), isWritten)
		}
		SetDrift(obj, shown)
		return r.handleError(ctx, obj, "resolve the spec's references", f.Disabled)
	}
	after := r.checkAfter(obj)
	hold := time.Duration(0)
	switch {
	case !observe:
		SetAvailable(obj, r.def.Names.Remote)
		if len(written(p.Diffs)) < len(p.Diffs) || slices.ContainsFunc(obj.GetManagedStatus().Drift, keptDrift) {
			// What is ignored or held shows in status.drift, until nothing is kept any more.
			SetDrift(obj, p.Diffs)
		}
		if hold = r.noteHold(obj, f.HoldUntil, p.Diffs); hold > 0 {
			// The end of the hold is handled when it comes, not at the next periodic check.
			after = min(after, hold)
		}
	case p.Action == PlanUnchanged:
		SetDrift(obj, p.Diffs)
		SetObservedMatch(obj, r.def.Names.Remote)
	default:
		SetDrift(obj, p.Diffs)
		SetObservedDrift(obj, fieldsOf(written(p.Diffs)))
	}
	if r.interval(obj) == 0 && hold == 0 {
		// Never checked by time: the next reconcile waits for a change.
		return ctrl.Result{}, nil
	}
	return r.checkResult(after), nil
}

// written lists the differences that are written: neither ignored nor held.
func written(diffs []FieldDiff) []FieldDiff {
	var out []FieldDiff
	for _, d := range diffs {
		if isWritten(d) {
			out = append(out, d)
		}
	}
	return out
}

func isWritten(d FieldDiff) bool { return !d.Ignored && d.HeldUntil == nil }

// keptDrift reports an entry of status.drift that is ignored or held.
func keptDrift(d v1.FieldDrift) bool { return d.Ignored || d.HeldUntil != nil }

// noteHold records in status when a hold of the drift starts and ends, with a Normal event each, and returns how
// long until the hold ends (0 when there is none).
func (r *Reconciler[O, R, D, P]) noteHold(obj O, until *time.Time, diffs []FieldDiff) time.Duration {
	st := obj.GetManagedStatus()
	switch {
	case until != nil && (st.DriftHeldUntil == nil || !st.DriftHeldUntil.Time.Equal(*until)):
		st.DriftHeldUntil = Time(until)
		held := "nothing differs yet"
		if fields := fieldsOf(diffs); len(fields) > 0 {
			held = "held now: " + strings.Join(fields, ", ")
		}
		r.event(obj, corev1.EventTypeNormal, "DriftHeld", "Hold", fmt.Sprintf("Keeping changes made outside the "+
			"operator until %s (%s); %s.", until.UTC().Format(time.RFC3339), v1.AnnotationHoldDriftUntil, held))
	case until == nil && st.DriftHeldUntil != nil:
		r.event(obj, corev1.EventTypeNormal, "DriftHoldEnded", "Hold", fmt.Sprintf("The hold of %s ended; changes made "+
			"outside the operator are corrected again.", st.DriftHeldUntil.UTC().Format(time.RFC3339)))
		st.DriftHeldUntil = nil
	}
	if until == nil {
		return 0
	}
	return time.Until(*until) + time.Second
}

// create carries out StepCreate, crash-safely: the create marker was recorded before (StepFinalizer), so that a
// reconcile after a crash looks the natural key up instead of creating a duplicate. It returns the facts the
// create adds: the remote resource it made, or, when the natural key is taken, the one that holds it.
func (r *Reconciler[O, R, D, P]) create(ctx context.Context, obj O, hs External[O, R, D, P], apiKey string,
	f Facts[R, D], firstAttempt bool) (Facts[R, D], error) {
	remote, err := hs.Create(ctx, f.Want)
	switch {
	case err == nil:
		row := r.def.Row(remote)
		remoteWrites.WithLabelValues(r.def.Names.Kind, "create").Inc()
		logf.FromContext(ctx).Info("Created remote resource", "id", row.ID, "key", row.Key)
		r.event(obj, corev1.EventTypeNormal, "Created", "Create", fmt.Sprintf("Created hookstream %s %s (%s).",
			r.def.Names.Remote, row.ID, row.Key))
		r.snapshots.put(apiKey, remote)
		obj.GetManagedStatus().AppliedSecretsHash = f.SecretsHash
		r.setObserved(obj, remote)
		f.Lookup, f.Created = RemoteLookup[R]{Remote: remote, Found: true}, true
		return f, nil
	case IsRemote(err, RemoteNotFound):
		// Only a resource the request names can be missing (a connection's source or destination id).
		return f, Refuse(v1.ReasonInvalidSpec, "hookstream refused the create (404): %s; the spec names "+
			"a remote resource that does not exist in the project of the credentials", apiMessage(err))
	case !IsRemote(err, RemoteConflict):
		// The create may have happened anyway (a timeout, a lost answer): the marker stays, so the next attempt
		// looks the natural key up first.
		return f, err
	}
	taken, found, err := hs.FindByKey(ctx, obj)
	if err != nil {
		return f, err
	}
	if !found {
		return f, fmt.Errorf("%s is taken but no %s has it: %w", f.Want.KeyDescription(), r.def.Names.Remote, errRetry)
	}
	f.KeyLookedUp, f.Taken, f.TakenFound, f.FirstAttempt = true, taken, true, firstAttempt
	f.Owners, err = r.owners(ctx, obj, apiKey, f.RecordedID, r.def.Row(taken).ID)
	return f, err
}

// adopt carries out StepAdopt: the remote resource that holds the natural key becomes the object's.
func (r *Reconciler[O, R, D, P]) adopt(ctx context.Context, obj O, p Plan[R, P]) {
	row := r.def.Row(p.Remote)
	if p.Own {
		adoptOwnCreate(obj)
	}
	logf.FromContext(ctx).Info("Adopted existing remote resource", "id", row.ID, "key", row.Key)
	r.event(obj, corev1.EventTypeNormal, "Adopted", "Adopt", fmt.Sprintf("Took over hookstream %s %s (%s).",
		r.def.Names.Remote, row.ID, row.Key))
	r.setObserved(obj, p.Remote)
}

// replace deletes a remote resource that cannot become what the spec asks for, so that the next reconcile
// creates the one that can. The create marker is renewed first: the new create is a new attempt.
func (r *Reconciler[O, R, D, P]) replace(ctx context.Context, obj O, base *O, hs External[O, R, D, P], id string,
	why string) (ctrl.Result, error) {
	if err := hs.Delete(ctx, id); err != nil && !IsRemote(err, RemoteNotFound) {
		return r.handleError(ctx, obj, "replace the remote "+r.def.Names.Remote, err)
	}
	remoteWrites.WithLabelValues(r.def.Names.Kind, "delete").Inc()
	logf.FromContext(ctx).Info("Replaced the remote resource", "id", id, "why", why)
	r.event(obj, corev1.EventTypeNormal, "Replacing", "Replace", fmt.Sprintf("Deleted hookstream %s %s to create it anew: %s.",
		r.def.Names.Remote, id, why))
	st := obj.GetManagedStatus()
	st.ID = ""
	// Recorded before the new create, so that a crash in between does not leave this object pointing at nothing.
	if err := r.recordNow(ctx, obj, base); err != nil {
		return r.handleError(ctx, obj, "record the replacement", err)
	}
	if err := r.dropCreateMarker(ctx, obj, *base); err != nil {
		return r.handleError(ctx, obj, "renew the create marker", err)
	}
	msg := fmt.Sprintf("Replacing the remote %s: %s.", r.def.Names.Remote, why)
	SetRetrying(obj, v1.ReasonReplacing, msg)
	setCondition(obj, v1.ConditionReady, metav1.ConditionFalse, v1.ReasonReplacing, msg)
	return ctrl.Result{RequeueAfter: time.Millisecond}, nil
}

// findRemote returns the remote resource of obj, found false when there is none (see LocateRemote). Periodic
// checks read the recorded id from the key's list snapshot.
func (r *Reconciler[O, R, D, P]) findRemote(ctx context.Context, obj O, apiKey string, hs External[O, R, D, P],
	periodic bool) (RemoteLookup[R], error) {
	get := hs.Observe
	if periodic && r.opts.Observation != ObserveByGet {
		// A snapshot is no older than the interval of the object that reads it: the key is listed once per the
		// shortest interval of its objects.
		maxAge := r.interval(obj)
		get = func(ctx context.Context, id string) (R, error) { return r.snapshots.get(ctx, apiKey, hs, id, maxAge) }
	}
	lookup, err := LocateRemote(ctx, obj, r.def.Names.Remote, r.def.Row, get, hs.FindByKey)
	if id := lookup.GoneID; id != "" {
		r.snapshots.forget(apiKey, id)
		logf.FromContext(ctx).Info("Remote resource is gone", "id", id)
		r.event(obj, corev1.EventTypeWarning, "RemoteDeleted", "Observe",
			fmt.Sprintf("%s %s was deleted outside the operator.", capitalise(r.def.Names.Remote), id))
	}
	if err != nil {
		return RemoteLookup[R]{}, err
	}
	if lookup.OwnCreate {
		row := r.def.Row(lookup.Remote)
		logf.FromContext(ctx).Info("Found the remote resource of an unrecorded create", "id", row.ID, "key", row.Key)
		r.event(obj, corev1.EventTypeNormal, "Adopted", "Adopt", fmt.Sprintf("Found hookstream %s %s (%s), created by an earlier "+
			"attempt whose result was not recorded; using it instead of creating another.", r.def.Names.Remote, row.ID, row.Key))
	}
	return lookup, nil
}

// ensureFinalizer adds the finalizer and, before a create, the create-requested marker, in one metadata patch with
// optimistic concurrency: of two writers that raced, one fails here instead of both creating. It reports whether
// it set the marker, that is whether the coming create is the first attempt.
func (r *Reconciler[O, R, D, P]) ensureFinalizer(ctx context.Context, obj, base O, p Plan[R, P],
	f Facts[R, D]) (markedNow bool, err error) {
	if !p.Has(StepFinalizer) {
		return false, nil
	}
	creating := p.Action == PlanCreate
	key := ""
	if creating && r.def.RecordedKey != nil {
		key = r.def.RecordedKey(f.Want)
	}
	secretsHash := f.SecretsHash
	// A marker whose create has settled is renewed: the lookup this reconcile made found nothing that create made,
	// and a deletion must wait for this attempt, not the first one.
	needMarker := creating && (createRequestedAt(obj) == nil || r.createSettled(obj, time.Now()))
	// An earlier attempt that created nothing (its key was just looked up) may have recorded another key: a
	// Connection renamed or re-pointed since. The key recorded must be the one the coming create sends, or a lookup
	// after a crash between this POST and the status write would miss what it made.
	needKey := creating && key != "" && obj.GetAnnotations()[v1.AnnotationCreateKey] != key
	if controllerutil.ContainsFinalizer(obj, v1.Finalizer) && !needMarker && !needKey {
		return false, nil
	}
	err = r.patchMetadata(ctx, obj, base, "add the finalizer", true, func(o O) {
		controllerutil.AddFinalizer(o, v1.Finalizer)
		if needMarker {
			metav1.SetMetaDataAnnotation(objectMeta(o), v1.AnnotationCreateRequested, time.Now().UTC().Format(time.RFC3339))
			if secretsHash != "" {
				metav1.SetMetaDataAnnotation(objectMeta(o), v1.AnnotationCreateSecretsHash, secretsHash)
			}
		}
		if needMarker || needKey {
			metav1.SetMetaDataAnnotation(objectMeta(o), v1.AnnotationCreateKey, key)
		}
	})
	return needMarker && err == nil, err
}

// recordNow writes obj's status before the reconcile ends, for a step that must be recorded before the next remote
// call, and moves base on to it.
func (r *Reconciler[O, R, D, P]) recordNow(ctx context.Context, obj O, base *O) error {
	if err := r.patchStatus(ctx, *base, obj); err != nil {
		return err
	}
	*base = r.snapshot(obj)
	return nil
}

// dropCreateMarker removes the create-requested marker once the natural key is known to belong to someone else,
// so that a later reconcile does not take that remote resource for the one it tried to create.
func (r *Reconciler[O, R, D, P]) dropCreateMarker(ctx context.Context, obj, base O) error {
	return r.patchMetadata(ctx, obj, base, "remove the create marker", false, func(o O) {
		delete(objectMeta(o).Annotations, v1.AnnotationCreateRequested)
		delete(objectMeta(o).Annotations, v1.AnnotationCreateSecretsHash)
		delete(objectMeta(o).Annotations, v1.AnnotationCreateKey)
	})
}

// recordUpdate reports a PATCH: an update when the spec or a Secret changed, else a correction of drift.
func (r *Reconciler[O, R, D, P]) recordUpdate(ctx context.Context, obj O, diffs []FieldDiff, fields []string, specChanged bool) {
	remoteWrites.WithLabelValues(r.def.Names.Kind, "update").Inc()
	if specChanged {
		logf.FromContext(ctx).V(1).Info("Updated remote resource", "fields", fields)
		r.event(obj, corev1.EventTypeNormal, "Updated", "Update", fmt.Sprintf("Updated %s.", strings.Join(fields, ", ")))
		return
	}
	for _, f := range fields {
		driftCorrections.WithLabelValues(r.def.Names.Kind, f).Inc()
	}
	SetDrift(obj, diffs)
	logf.FromContext(ctx).Info("Reverted changes made outside the operator", "fields", fields)
	r.event(obj, corev1.EventTypeNormal, "DriftCorrected", "Update", fmt.Sprintf("Reverted %s, changed outside the operator.", strings.Join(fields, ", ")))
}

// publish lets a kind that publishes details of its remote resource in the cluster bring them up to date.
func (r *Reconciler[O, R, D, P]) publish(ctx context.Context, obj O) error {
	if p := r.def.Publisher; p != nil {
		return r.publishErr(p.Publish(ctx, obj))
	}
	return nil
}

// publishErr marks a publishing failure as a failed Kubernetes call, unless the kind says it needs a change.
func (r *Reconciler[O, R, D, P]) publishErr(err error) error {
	if err == nil {
		return nil
	}
	if _, stalled := errors.AsType[*StalledError](err); stalled {
		return err
	}
	return kubeErr("write the objects the "+r.def.Names.Kind+" publishes", err)
}

func (r *Reconciler[O, R, D, P]) setObserved(obj O, remote R) {
	obj.GetManagedStatus().ID = r.def.Row(remote).ID
	r.def.Kind.SetObserved(obj, remote)
}
