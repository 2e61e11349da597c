// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package managed

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
)

var destinations = schema.GroupResource{Group: "hookstream.io", Resource: "destinations"}

// TestEveryFailureHasAReason: every class of failure becomes a condition with a non-empty reason and an event,
// whatever wraps the error, except a Kubernetes conflict, which is retried at once on the newer object.
func TestEveryFailureHasAReason(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("outer: %w", fmt.Errorf("inner: %w", err)) }
	tests := map[string]struct {
		err     error
		reason  string
		stalled bool
		// retried: the error goes back to controller-runtime for its exponential backoff.
		retried  bool
		terminal bool
		quiet    bool
		noEvent  bool
		// inMessage must appear in the condition message.
		inMessage string
	}{
		"credentials Secret missing": {
			err: &errMissingSecret{credentials: true, kind: "Destination", name: "creds"}, reason: v1.ReasonCredentialsNotFound,
			stalled: true, inMessage: `credentials Secret "creds" does not exist in the Destination's namespace`},
		"credentials key missing": {
			err: &errMissingSecret{credentials: true, name: "creds", key: "apiKey"}, reason: v1.ReasonCredentialsNotFound,
			stalled: true, inMessage: `"creds" has no key "apiKey"`},
		"credentials key empty or whitespace": {
			err: wrap(&errMissingSecret{credentials: true, empty: true, name: "creds", key: "apiKey"}), reason: v1.ReasonCredentialsInvalid,
			stalled: true, inMessage: `credentials Secret "creds" has an empty key "apiKey"`},
		"referenced Secret key missing": {
			err: &errMissingSecret{name: "tokens", key: "bearer"}, reason: v1.ReasonSecretNotFound,
			stalled: true, inMessage: `Secret "tokens" has no key "bearer"`},
		"Secret read refused by RBAC": {
			err:    &errMissingSecret{name: "tokens", err: apierrors.NewForbidden(schema.GroupResource{Resource: "secrets"}, "tokens", errors.New("rbac"))},
			reason: v1.ReasonKubernetesForbidden, retried: true, inMessage: "read Secret tokens"},
		"client cannot be built for the key": {
			err:    wrap(&errConnect{secret: "creds", err: errors.New("hookstream: the API key contains characters that cannot travel in an HTTP header")}),
			reason: v1.ReasonCredentialsInvalid, stalled: true, inMessage: `credentials Secret "creds" cannot be used`},
		"identity mismatch reported by the kind": {
			err: wrap(Stall(v1.ReasonTypeMismatch, "remote destination x has type %q", "kafka")), reason: v1.ReasonTypeMismatch,
			stalled: true, inMessage: `remote destination x has type "kafka"`},
		"finalizer patch refused by RBAC": {
			err:    kubeErr("add the finalizer", apierrors.NewForbidden(destinations, "orders", errors.New("rbac"))),
			reason: v1.ReasonKubernetesForbidden, retried: true, inMessage: "refused to add the finalizer"},
		"status write failed on the API server": {
			err:    kubeErr("write the status", apierrors.NewInternalError(errors.New("etcd"))),
			reason: v1.ReasonKubernetesError, retried: true, inMessage: "failed to write the status (500 InternalError)"},
		"status write timed out": {
			err:    wrap(kubeErr("write the status", apierrors.NewTimeoutError("slow", 1))),
			reason: v1.ReasonKubernetesError, retried: true, inMessage: "504 Timeout"},
		"Kubernetes conflict on the operator's own write": {
			err: kubeErr("add the finalizer", apierrors.NewConflict(destinations, "orders", errors.New("changed"))), reason: v1.ReasonKubernetesError,
			quiet: true},
		"hookstream rejects the spec (400)": {
			err: wrap(remote(RemoteInvalid, 400, "url must be https")), reason: v1.ReasonInvalidSpec,
			stalled: true, terminal: true, inMessage: "url must be https"},
		"hookstream rejects the body as too large (413)": {
			err: wrap(remote(RemoteTooLarge, 413, "Payload Too Large")), reason: v1.ReasonTooLarge,
			stalled: true, terminal: true, inMessage: "too large (413): Payload Too Large"},
		"hookstream finds the spec unprocessable (422)": {
			err: remote(RemoteInvalid, 422, "bad filter"), reason: v1.ReasonInvalidSpec,
			stalled: true, terminal: true, inMessage: "bad filter"},
		"refused for good until the inputs change": {
			err: wrap(Refuse(v1.ReasonConflict, "slug %q is taken", "orders")), reason: v1.ReasonConflict,
			stalled: true, terminal: true, inMessage: `slug "orders" is taken`},
		"hookstream rejects the key (401)": {
			err: remote(RemoteUnauthorized, 401, "Invalid API key"), reason: v1.ReasonUnauthorized,
			stalled: true, inMessage: `Secret "creds" (401)`},
		"hookstream forbids (403)": {
			err: remote(RemoteForbidden, 403, "Destination limit reached"), reason: v1.ReasonForbidden,
			stalled: true, inMessage: "Destination limit reached"},
		"hookstream rate limit (429)": {
			err:    wrap(&RemoteError{Class: RemoteRateLimited, Status: 429, Message: "Too many requests", RetryAfter: 30 * time.Second, Err: errors.New("429")}),
			reason: v1.ReasonRateLimited, noEvent: true, inMessage: "retrying in 30s"},
		"local rate budget beyond the deadline": {
			err: &RemoteError{Class: RemoteRateLimited, RetryAfter: 3 * time.Second, Err: errors.New("the rate budget is spent")}, reason: v1.ReasonRateLimited, noEvent: true, inMessage: "retrying in 3s"},
		"hookstream server error (503)": {
			err: remote(RemoteUnavailable, 503, "Service Unavailable"), reason: v1.ReasonAPIUnavailable,
			retried: true, inMessage: "hookstream answered 503 Service Unavailable"},
		"hookstream unreachable": {
			err:    &RemoteError{Err: &net.OpError{Op: "dial", Err: errors.New("refused")}},
			reason: v1.ReasonAPIUnavailable, retried: true, inMessage: "hookstream could not be reached"},
		"hookstream too slow": {
			err:    &RemoteError{Err: fmt.Errorf("GET /destinations/{id}: %w", context.DeadlineExceeded)},
			reason: v1.ReasonAPIUnavailable, retried: true, inMessage: "did not answer in time"},
		"waiting for a referenced object": {
			err: wrap(Wait(v1.ReasonWaitingForSource, "Source %q has no id yet", "github")), reason: v1.ReasonWaitingForSource,
			inMessage: `Source "github" has no id yet`},
		"replacement where the operator may not replace": {
			err: Replace("its source changed"), reason: v1.ReasonReplacementRequired, stalled: true, inMessage: "its source changed"},
		"deletion refused while connections use it": {
			err: &errInUse{remote: "source", referrers: []string{"Connection github-to-ci"},
				err: remote(RemoteConflict, 409, "Cannot delete a source that has connections")},
			reason: v1.ReasonInUse, inMessage: "waiting for Connection github-to-ci to go"},
		"deletion refused for connections outside Kubernetes": {
			err:    &errInUse{remote: "source", err: remote(RemoteConflict, 409, "Cannot delete a source that has connections")},
			reason: v1.ReasonInUse, inMessage: "connections outside Kubernetes still use it (Cannot delete a source that has connections)"},
		"transient inconsistency": {
			err: fmt.Errorf("slug \"x\" is taken but no destination has it: %w", errRetry), reason: v1.ReasonAPIUnavailable,
			retried: true, inMessage: "is taken but no destination has it"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			o := classify(tc.err, "do it", "creds", time.Minute)
			if o.reason == "" || o.reason != tc.reason {
				t.Errorf("reason = %q, want %q", o.reason, tc.reason)
			}
			if o.stalled != tc.stalled || o.quiet != tc.quiet || o.noEvent != tc.noEvent {
				t.Errorf("stalled, quiet, noEvent = %v, %v, %v; want %v, %v, %v", o.stalled, o.quiet, o.noEvent, tc.stalled, tc.quiet, tc.noEvent)
			}
			if got := o.err != nil; got != tc.retried && !tc.terminal {
				t.Errorf("error returned for backoff = %v, want %v", got, tc.retried)
			}
			if got := errors.Is(o.err, reconcile.TerminalError(nil)); got != tc.terminal {
				t.Errorf("terminal = %v, want %v", got, tc.terminal)
			}
			if o.err == nil && !tc.terminal && o.result.RequeueAfter <= 0 {
				t.Errorf("neither an error nor a requeue: the failure would never be retried")
			}
			if !tc.quiet && !strings.Contains(o.message, tc.inMessage) {
				t.Errorf("message %q does not contain %q", o.message, tc.inMessage)
			}
			if !tc.quiet && !strings.HasSuffix(o.message, ".") {
				t.Errorf("message %q is not a sentence", o.message)
			}
		})
	}
}

// remote is a failed remote call of the class, as a kind's External reports it.
func remote(class RemoteClass, status int, message string) error {
	return &RemoteError{Class: class, Status: status, Message: message, Err: fmt.Errorf("%d %s", status, message)}
}
