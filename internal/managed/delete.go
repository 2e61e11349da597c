// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package managed

// The deletion of an object: its remote resource deleted as deletionPolicy allows, then its finalizer released.

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
)

// reconcileDelete deletes the remote resource, as deletionPolicy allows, and releases the finalizer.
func (r *Reconciler[O, R, D, P]) reconcileDelete(ctx context.Context, obj O) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(obj, v1.Finalizer) {
		return ctrl.Result{}, nil
	}
	spec, st := obj.GetManagedSpec(), obj.GetManagedStatus()
	keepRemote := spec.DeletionPolicy == v1.DeletionOrphan || observeOnly(obj)
	switch {
	case st.ID == "":
		// Nothing was recorded. A create that may have reached hookstream is found by its natural key.
		if createRequestedAt(obj) != nil && !keepRemote {
			return r.deleteUnrecorded(ctx, obj)
		}
	case keepRemote:
		logf.FromContext(ctx).Info("Leaving the remote resource in hookstream", "id", st.ID)
		r.event(obj, corev1.EventTypeNormal, "Orphaned", "Delete", fmt.Sprintf("Left hookstream %s %s in place (deletionPolicy %s, managementPolicy %s).",
			r.def.Names.Remote, st.ID, spec.DeletionPolicy, spec.ManagementPolicy))
	default:
		base := r.snapshot(obj)
		result, err := r.deleteRemote(ctx, obj, st.ID)
		if err != nil || !result.IsZero() {
			return r.finish(ctx, base, obj, result, err)
		}
	}
	return r.releaseFinalizer(ctx, obj)
}

// deleteUnrecorded deletes a remote resource whose create was attempted but never recorded, if hookstream has it
// and it was not there before the attempt.
func (r *Reconciler[O, R, D, P]) deleteUnrecorded(ctx context.Context, obj O) (ctrl.Result, error) {
	base := r.snapshot(obj)
	apiKey, err := r.creds.apiKey(ctx, obj, true)
	if err != nil {
		return r.deleteFailed(ctx, base, obj, err)
	}
	hs, err := r.connect(obj, apiKey)
	if err != nil {
		return r.deleteFailed(ctx, base, obj, err)
	}
	remote, found, err := hs.FindByKey(ctx, obj)
	if err != nil {
		return r.deleteFailed(ctx, base, obj, err)
	}
	if found && createdByMarkedAttempt(obj, r.def.Row(remote)) {
		id := r.def.Row(remote).ID
		owners, err := r.owners(ctx, obj, apiKey, "", id)
		if err != nil {
			return r.deleteFailed(ctx, base, obj, err)
		}
		if owners[id] != "" {
			// Another object manages what the key finds: whatever this object's attempt did, it is not its own.
			logf.FromContext(ctx).Info("Leaving the remote resource its owner manages", "id", id, "owner", owners[id])
			return r.releaseFinalizer(ctx, obj)
		}
		if result, err := r.deleteRemote(ctx, obj, id); err != nil || !result.IsZero() {
			return r.finish(ctx, base, obj, result, err)
		}
	}
	if !found {
		if until, waiting := r.createMayLand(obj, time.Now()); waiting {
			return r.waitForCreate(ctx, base, obj, until)
		}
	}
	return r.releaseFinalizer(ctx, obj)
}

// createMayLand reports whether the create the marker records may still land in hookstream at now: it was
// requested less than Options.CreateSettleTime ago (one hookstream call's timeout and a margin). until is when its
// outcome is certain. A marker that cannot be dated cannot be waited for.
func (r *Reconciler[O, R, D, P]) createMayLand(obj O, now time.Time) (until time.Time, waiting bool) {
	at := createRequestedAt(obj)
	if at == nil || at.IsZero() || r.opts.CreateSettleTime <= 0 {
		return time.Time{}, false
	}
	// The marker is recorded to the second, and before the call starts.
	until = at.Add(time.Second + r.opts.CreateSettleTime)
	return until, now.Before(until)
}

// createSettled reports a dated create marker whose create can no longer land at now: a new create attempt is
// then marked anew.
func (r *Reconciler[O, R, D, P]) createSettled(obj O, now time.Time) bool {
	at := createRequestedAt(obj)
	if at == nil || at.IsZero() || r.opts.CreateSettleTime <= 0 {
		return false
	}
	_, waiting := r.createMayLand(obj, now)
	return !waiting
}

// waitForCreate holds the finalizer of an object whose create found nothing by its natural key yet may still
// land: releasing it now would leave what that create makes as an orphan. The deletion looks again at until.
func (r *Reconciler[O, R, D, P]) waitForCreate(ctx context.Context, base, obj O, until time.Time) (ctrl.Result, error) {
	requested := obj.GetAnnotations()[v1.AnnotationCreateRequested]
	msg := fmt.Sprintf("No %s has this %s's natural key in hookstream, but the create requested at %s may still "+
		"land (a hookstream call can take until its timeout, and a margin): the deletion looks again at %s before it "+
		"releases the finalizer, so that nothing is left behind.", r.def.Names.Remote, r.def.Names.Kind, requested,
		until.UTC().Format(time.RFC3339))
	logf.FromContext(ctx).Info("Waiting for a create in flight before releasing the finalizer", "requested", requested,
		"until", until.UTC().Format(time.RFC3339))
	r.event(obj, corev1.EventTypeNormal, "WaitingForCreate", "Delete", msg)
	SetRetrying(obj, v1.ReasonDeleting, msg)
	SetDeleting(obj, r.def.Names)
	return r.finish(ctx, base, obj, ctrl.Result{RequeueAfter: time.Until(until) + 100*time.Millisecond}, nil)
}

func (r *Reconciler[O, R, D, P]) releaseFinalizer(ctx context.Context, obj O) (ctrl.Result, error) {
	base := r.snapshot(obj)
	if p := r.def.Publisher; p != nil {
		// Owner references alone are not enough: not every cluster runs a garbage collector.
		if err := r.publishErr(p.Unpublish(ctx, obj)); err != nil {
			return r.deleteFailed(ctx, base, obj, err)
		}
	}
	err := r.patchMetadata(ctx, obj, base, "remove the finalizer", true, func(o O) {
		controllerutil.RemoveFinalizer(o, v1.Finalizer)
	})
	if err == nil || apierrors.IsNotFound(err) {
		r.forget(client.ObjectKeyFromObject(obj))
		r.refused.Delete(obj.GetUID())
		return ctrl.Result{}, nil
	}
	return r.deleteFailed(ctx, base, obj, err)
}

// deleteRemote deletes the remote resource; one already gone counts as deleted.
func (r *Reconciler[O, R, D, P]) deleteRemote(ctx context.Context, obj O, id string) (ctrl.Result, error) {
	apiKey, err := r.creds.apiKey(ctx, obj, true)
	if err != nil {
		return r.deleteOutcome(ctx, obj, err)
	}
	hs, err := r.connect(obj, apiKey)
	if err != nil {
		return r.deleteOutcome(ctx, obj, err)
	}
	err = hs.Delete(ctx, id)
	if IsRemote(err, RemoteConflict) {
		err = r.inUse(ctx, obj, err)
	}
	if err != nil && !IsRemote(err, RemoteNotFound) {
		return r.deleteOutcome(ctx, obj, err)
	}
	if err == nil {
		remoteWrites.WithLabelValues(r.def.Names.Kind, "delete").Inc()
		logf.FromContext(ctx).Info("Deleted remote resource", "id", id)
		r.event(obj, corev1.EventTypeNormal, "Deleted", "Delete", fmt.Sprintf("Deleted hookstream %s %s.", r.def.Names.Remote, id))
	}
	return ctrl.Result{}, nil
}

// inUse explains hookstream's refusal to delete a remote resource that others still reference, naming the objects
// of the cluster that do.
func (r *Reconciler[O, R, D, P]) inUse(ctx context.Context, obj O, err error) error {
	used := &errInUse{remote: r.def.Names.Remote, err: err}
	if r.def.Referrers != nil {
		referrers, lerr := r.def.Referrers(ctx, obj)
		if lerr != nil {
			return kubeErr("list the objects that reference it", lerr)
		}
		used.referrers = referrers
	}
	return used
}

// deleteOutcome records a failed deletion: the failure's conditions, then Ready says the deletion waits.
func (r *Reconciler[O, R, D, P]) deleteOutcome(ctx context.Context, obj O, err error) (ctrl.Result, error) {
	result, herr := r.handleError(ctx, obj, "delete the remote "+r.def.Names.Remote, err)
	SetDeleting(obj, r.def.Names)
	return result, herr
}

// deleteFailed records a failed deletion step and writes the status.
func (r *Reconciler[O, R, D, P]) deleteFailed(ctx context.Context, base, obj O, err error) (ctrl.Result, error) {
	result, herr := r.deleteOutcome(ctx, obj, err)
	return r.finish(ctx, base, obj, result, herr)
}
