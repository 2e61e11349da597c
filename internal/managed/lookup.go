// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package managed

import (
	"context"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
)

// Where an object's remote resource is: by its recorded id, by spec.adoptID, or by the natural key a marked create
// may have used. The Reconciler and the read-only planner (kubectl hookstream diff) both look it up here.

// RemoteLookup is what LocateRemote found.
type RemoteLookup[R any] struct {
	Remote R
	Found  bool
	// GoneID is the recorded status.id whose remote resource was deleted outside the operator; "" otherwise. The
	// object is then looked for as a new one.
	GoneID string
	// OwnCreate reports a remote resource found by natural key that an earlier create of this object made without
	// its result being recorded.
	OwnCreate bool
}

// LocateRemote finds obj's remote resource: by the recorded id (status.id), else by spec.adoptID, with get; else
// by natural key (findByKey) when only observing, or when the create marker says a create may have happened
// unrecorded and the row found is not older than it. A recorded id that is gone is cleared from obj's status; an
// own create's applied secrets hash is taken from the marker. Events, logs and caches are the caller's.
func LocateRemote[O Object, R any](ctx context.Context, obj O, remoteName string, row func(R) Row,
	get func(ctx context.Context, id string) (R, error),
	findByKey func(ctx context.Context, obj O) (R, bool, error)) (out RemoteLookup[R], err error) {
	st := obj.GetManagedStatus()
	id := st.ID
	if id == "" {
		id = obj.GetManagedSpec().AdoptID
	}
	if id != "" {
		out.Remote, err = get(ctx, id)
		switch {
		case err == nil:
			out.Found = true
			return out, nil
		case !IsRemote(err, RemoteNotFound):
			return out, err
		case st.ID == "":
			return out, Refuse(v1.ReasonNotFound, "spec.adoptID %q names no %s in the hookstream project of the credentials",
				id, remoteName)
		case obj.GetManagedSpec().AdoptID != "":
			// The one the user named is gone: creating another would break the promise of adoptID.
			return out, Refuse(v1.ReasonNotFound, "the %s %s taken over with spec.adoptID %q was deleted outside the "+
				"operator. Nothing is created in its place while spec.adoptID names it (spec.adoptID cannot change): to create "+
				"a new %s, replace this object with one without spec.adoptID", remoteName, id, obj.GetManagedSpec().AdoptID,
				remoteName)
		}
		out.GoneID = id
		st.ID = ""
	}
	if observeOnly(obj) {
		out.Remote, out.Found, err = findByKey(ctx, obj)
		return out, err
	}
	if createRequestedAt(obj) == nil {
		return out, nil
	}
	remote, found, err := findByKey(ctx, obj)
	if err != nil || !found || !createdByMarkedAttempt(obj, row(remote)) {
		return out, err
	}
	adoptOwnCreate(obj)
	out.Remote, out.Found, out.OwnCreate = remote, true, true
	return out, nil
}

// takeOver decides whether a remote resource that holds obj's natural key is taken over: when adoptionPolicy
// allows it, or when an earlier attempt of this object may have created it (own). On a first attempt
// (firstAttempt) it can only be someone else's.
func takeOver(obj Object, row Row, firstAttempt bool) (adopt, own bool) {
	own = !firstAttempt && createdByMarkedAttempt(obj, row)
	return own || obj.GetManagedSpec().AdoptionPolicy == v1.AdoptBySlug, own
}

// FirstCreateAttempt reports whether a create of obj now would be the first: no create marker is recorded yet.
func FirstCreateAttempt(obj Object) bool { return createRequestedAt(obj) == nil }

// IsPaused reports the paused annotation: no hookstream call at all for the object while it is set.
func IsPaused(obj Object) bool { return obj.GetAnnotations()[v1.AnnotationPaused] == "true" }
