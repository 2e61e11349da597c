// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package managed

// The create marker: annotations recorded before a create, so that a reconcile after a crash finds what the
// create made instead of creating it again.

import (
	"time"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
)

// createRequestedAt returns when the operator first tried to create the remote resource, from the marker
// annotation; nil when it never did.
func createRequestedAt(obj Object) *time.Time {
	v, ok := obj.GetAnnotations()[v1.AnnotationCreateRequested]
	if !ok {
		return nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		// An unreadable marker still says a create may have happened; it only cannot date it.
		t = time.Time{}
	}
	return &t
}

// adoptOwnCreate records, for a remote resource an earlier unrecorded create of this object made, that it holds the
// secret values that create sent: they are not sent again unless they changed since.
func adoptOwnCreate(obj Object) {
	if hash := obj.GetAnnotations()[v1.AnnotationCreateSecretsHash]; hash != "" {
		obj.GetManagedStatus().AppliedSecretsHash = hash
	}
}

// markerClockSkew is how far hookstream's clock may be ahead of the manager's when telling a remote resource
// created by the marked attempt from one that existed before it.
const markerClockSkew = 2 * time.Minute

// createdByMarkedAttempt reports whether a remote row may have been created by the attempt the marker records,
// rather than having existed before it (someone else's with the same natural key).
func createdByMarkedAttempt(obj Object, row Row) bool {
	at := createRequestedAt(obj)
	return at != nil && (at.IsZero() || !row.CreatedAt.Before(at.Add(-markerClockSkew)))
}

// maxDriftHold is the longest hold of the drift the hold-drift-until annotation may ask for.
const maxDriftHold = 7 * 24 * time.Hour

// holdUntil reads the hold-drift-until annotation: the time until which changes made outside the operator are
// kept, nil when there is none or it has passed. A value that is no RFC 3339 time, or more than 7 days ahead, is
// refused until it changes.
func holdUntil(obj Object, now time.Time) (*time.Time, error) {
	v, ok := obj.GetAnnotations()[v1.AnnotationHoldDriftUntil]
	if !ok {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	switch {
	case err != nil:
		return nil, Refuse(v1.ReasonInvalidAnnotation, "%s %q is not an RFC 3339 time, such as %s", v1.AnnotationHoldDriftUntil, v,
			now.Add(4*time.Hour).UTC().Format(time.RFC3339))
	case t.Sub(now) > maxDriftHold:
		return nil, Refuse(v1.ReasonInvalidAnnotation, "%s %s is more than 7 days ahead: a hold keeps changes for 7 days at most; "+
			"set an earlier time, or list the fields in spec.ignoreChanges to keep them for good", v1.AnnotationHoldDriftUntil, v)
	case !t.After(now):
		return nil, nil
	}
	return &t, nil
}
