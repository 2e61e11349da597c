// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package managed

import (
	"errors"
	"time"
)

// RemoteClass classifies a failed call of a kind's External: what the machinery does about it depends on it alone.
type RemoteClass int

// The classes of failed remote calls.
const (
	// RemoteUnavailable is any failure a retry may cure: no answer, a 5xx, a timeout. Retried with backoff.
	RemoteUnavailable RemoteClass = iota
	// RemoteNotFound: the remote resource does not exist (404).
	RemoteNotFound
	// RemoteConflict: the natural key is taken, or other remote resources still use the one to delete (409).
	RemoteConflict
	// RemoteInvalid: the request was refused as invalid (400, 422, or refused before it was sent).
	RemoteInvalid
	// RemoteTooLarge: the request was refused as too large (413).
	RemoteTooLarge
	// RemoteUnauthorized: the API key was refused (401).
	RemoteUnauthorized
	// RemoteForbidden: the key may not do this, or a plan limit was reached (403).
	RemoteForbidden
	// RemoteRateLimited: the rate limit was reached (429, or the client's own limiter); RetryAfter says how long
	// to wait.
	RemoteRateLimited
)

// RemoteError is a failed remote call, as the kind's External translated it from its API client's error.
type RemoteError struct {
	Class RemoteClass
	// Status is the HTTP status of the answer; 0 when there was none.
	Status int
	// Message is the remote API's own message, for conditions; never a secret.
	Message string
	// RetryAfter is how long to wait before trying again (RemoteRateLimited).
	RetryAfter time.Duration
	// Err is the API client's error.
	Err error
}

func (e *RemoteError) Error() string { return e.Err.Error() }

func (e *RemoteError) Unwrap() error { return e.Err }

// IsRemote reports a RemoteError of the class.
func IsRemote(err error, class RemoteClass) bool {
	r, ok := errors.AsType[*RemoteError](err)
	return ok && r.Class == class
}

// remoteMessage is the remote API's own message of a failed call, else the error's text.
func remoteMessage(err error) string {
	if r, ok := errors.AsType[*RemoteError](err); ok && r.Message != "" {
		return r.Message
	}
	return err.Error()
}
