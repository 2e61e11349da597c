// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package managed

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
)

// Waits for failures that the operator cannot fix by retrying quickly. A change of the referenced Secrets or of
// the spec triggers a reconcile at once, so these only bound how long an unnoticed outside fix waits.
const (
	credentialsRetryInterval = 5 * time.Minute
	conflictRetryInterval    = 2 * time.Second
	waitRecheckInterval      = time.Minute
	inUseRetryInterval       = 30 * time.Second
	minRateLimitWait         = time.Second
)

// StalledError is a failure that only a change of the spec, a Secret or hookstream can resolve. Kinds return it
// from CheckIdentity; its message says what to change.
type StalledError struct {
	Reason  string
	Message string
	// Final says that nothing but a change of the object's inputs (spec, Secrets, ConfigMaps, the
	// reconcile-requested annotation) can resolve it: the object is not checked again until one changes. Without
	// it, the periodic check looks again, for a change in hookstream.
	Final bool
}

func (e *StalledError) Error() string { return e.Message }

// Stall returns a StalledError that the periodic check looks at again.
func Stall(reason, format string, args ...any) error {
	return &StalledError{Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// Refuse returns a final StalledError: only a change of the object's inputs can resolve it.
func Refuse(reason, format string, args ...any) error {
	return &StalledError{Reason: reason, Message: fmt.Sprintf(format, args...), Final: true}
}

// WaitError is a reconcile that cannot go on until another object gets somewhere, such as a Connection whose
// Source has no id yet. It is not a failure: the object waits with the reason in Synced, and a watch on the other
// object starts the next reconcile. Ready turns False, unless KeepReady says the remote resource still exists and
// matches (its Source is being deleted, say).
type WaitError struct {
	Reason    string
	Message   string
	KeepReady bool
}

func (e *WaitError) Error() string { return e.Message }

// Wait returns a WaitError that turns Ready False.
func Wait(reason, format string, args ...any) error {
	return &WaitError{Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// WaitKeepingReady returns a WaitError that leaves Ready as the last observation set it.
func WaitKeepingReady(reason, format string, args ...any) error {
	return &WaitError{Reason: reason, Message: fmt.Sprintf(format, args...), KeepReady: true}
}

// OutsideShardError is a referenced object that exists but is not in the manager's shard (--watch-selector): the
// manager neither reads nor watches it.
type OutsideShardError struct {
	// Shard is the manager's label selector, Labels the object's labels, both as text.
	Shard, Labels string
}

func (e *OutsideShardError) Error() string {
	labels := e.Labels
	if labels == "" {
		labels = "none"
	}
	return fmt.Sprintf("it exists but is outside this manager's shard (--watch-selector %s; its labels: %s)", e.Shard, labels)
}

// ReplaceError, returned by CheckIdentity, says that the remote resource can no longer become what the spec asks
// for but a new one can: the machinery deletes it and creates another, such as a connection whose source changed.
type ReplaceError struct {
	Message string
}

func (e *ReplaceError) Error() string { return e.Message }

// Replace returns a ReplaceError.
func Replace(format string, args ...any) error {
	return &ReplaceError{Message: fmt.Sprintf(format, args...)}
}

// errInUse is hookstream refusing to delete a remote resource that others still reference (409).
type errInUse struct {
	remote    string
	referrers []string
	err       error
}

func (e *errInUse) Error() string {
	if len(e.referrers) == 0 {
		return fmt.Sprintf("hookstream refuses to delete the %s: connections outside Kubernetes still use it (%s); "+
			"delete them in hookstream", e.remote, apiMessage(e.err))
	}
	return fmt.Sprintf("hookstream refuses to delete the %s while connections use it; waiting for %s to go",
		e.remote, strings.Join(e.referrers, ", "))
}

func (e *errInUse) Unwrap() error { return e.err }

// errMissingSecret is a referenced Secret (or ConfigMap) or key that does not exist or cannot be used. Its
// message names the object and key, never a value.
type errMissingSecret struct {
	credentials bool
	configMap   bool
	// empty: the key exists but holds nothing but whitespace.
	empty     bool
	kind      string
	name, key string
	err       error
}

func (e *errMissingSecret) Error() string {
	what := "Secret"
	switch {
	case e.credentials:
		what = "credentials Secret"
	case e.configMap:
		what = "ConfigMap"
	}
	switch {
	case e.err != nil:
		return fmt.Sprintf("%s %q cannot be read: %v", what, e.name, e.err)
	case e.empty:
		return fmt.Sprintf("%s %q has an empty key %q", what, e.name, e.key)
	case e.key == "":
		return fmt.Sprintf("%s %q does not exist in the %s's namespace", what, e.name, e.kind)
	}
	return fmt.Sprintf("%s %q has no key %q", what, e.name, e.key)
}

func (e *errMissingSecret) Unwrap() error { return e.err }

// errConnect is a hookstream client that could not be built for an API key.
type errConnect struct {
	secret string
	err    error
}

func (e *errConnect) Error() string {
	return fmt.Sprintf("the API key in credentials Secret %q cannot be used: %v", e.secret, e.err)
}

func (e *errConnect) Unwrap() error { return e.err }

// errKubernetes is a failed read or write of the operator's own in Kubernetes: a finalizer, a marker, a status.
type errKubernetes struct {
	// what is being read or written, such as "the finalizer".
	what string
	err  error
}

func (e *errKubernetes) Error() string { return fmt.Sprintf("Kubernetes: %s: %v", e.what, e.err) }

func (e *errKubernetes) Unwrap() error { return e.err }

// kubeErr marks err as a failure of the operator's own Kubernetes call.
func kubeErr(what string, err error) error {
	if _, marked := errors.AsType[*errKubernetes](err); err == nil || marked {
		return err
	}
	return &errKubernetes{what: what, err: err}
}

// errRetry is a transient inconsistency worth retrying with backoff.
var errRetry = errors.New("retrying")

// outcome is what one failure means for an object: its conditions, its event and the reconcile result.
type outcome struct {
	// reason is the condition reason, never empty.
	reason  string
	message string
	// stalled failures wait for a change; the others are retried by the operator.
	stalled bool
	// quiet failures set no condition and record no event: a Kubernetes conflict, retried at once on the newer
	// object.
	quiet bool
	// noEvent failures set their condition but record no event.
	noEvent bool
	// normal outcomes are not failures: their event is of type Normal.
	normal bool
	// notReady outcomes turn Ready False even when the last observation was Ready: what it observed may be gone.
	notReady bool
	result   ctrl.Result
	err      error
}

// classify is the one place where an error becomes a condition, an event and a reconcile result. Typed errors
// are matched with errors.As and errors.Is, so any wrapping is seen through.
func classify(err error, action, credentialsSecret string, recheck time.Duration) outcome {
	var (
		missing *errMissingSecret
		stalled *StalledError
		waiting *WaitError
		inUse   *errInUse
		replace *ReplaceError
		connect *errConnect
		kube    *errKubernetes
	)
	switch {
	case errors.As(err, &missing):
		reason := v1.ReasonSecretNotFound
		hint := "create it, or fix the reference in the spec."
		switch {
		case missing.credentials && missing.empty:
			reason = v1.ReasonCredentialsInvalid
			hint = "put the hookstream API key under the key \"apiKey\"."
		case missing.credentials:
			reason = v1.ReasonCredentialsNotFound
			hint = "create it with the hookstream API key under the key \"apiKey\", or set spec.credentialsRef."
		case missing.configMap:
			reason = v1.ReasonConfigMapNotFound
		}
		if missing.err != nil && !apierrors.IsNotFound(missing.err) {
			// The object could not be read at all: an RBAC or API server failure, not a missing one.
			what := "Secret"
			if missing.configMap {
				what = "ConfigMap"
			}
			return kubernetesOutcome(missing.err, action, "read "+what+" "+missing.name)
		}
		// The Secret watch starts a reconcile as soon as it changes.
		return outcome{reason: reason, message: fmt.Sprintf("Cannot %s: %s; %s", action, missing.Error(), hint),
			stalled: true, result: ctrl.Result{RequeueAfter: credentialsRetryInterval}}

	case errors.As(err, &waiting):
		// A watch on the awaited object starts the next reconcile; the recheck only bounds a missed event.
		return outcome{reason: waiting.Reason, message: waiting.Message + ".", normal: true, notReady: !waiting.KeepReady,
			result: ctrl.Result{RequeueAfter: waitRecheckInterval}}

	case errors.As(err, &replace):
		// Only reached where the operator may not replace: managementPolicy Observe, or a remote resource taken
		// over with spec.adoptID, which is the user's to keep.
		return outcome{reason: v1.ReasonReplacementRequired, stalled: true,
			message: "Cannot " + action + ": the remote resource would have to be replaced (" + replace.Message +
				"), which the operator does not do under managementPolicy Observe or for a resource taken over with " +
				"spec.adoptID; create a new object for the new one.",
			result: ctrl.Result{RequeueAfter: recheck}}

	case errors.As(err, &inUse):
		// Deleting the referrers starts the next attempt at once; outside referrers are checked now and then.
		return outcome{reason: v1.ReasonInUse, message: "Cannot " + action + ": " + inUse.Error() + ".",
			result: ctrl.Result{RequeueAfter: inUseRetryInterval}}

	case errors.As(err, &connect):
		return outcome{reason: v1.ReasonCredentialsInvalid, stalled: true,
			message: fmt.Sprintf("Cannot %s: %s. Put a valid key under \"apiKey\".", action, connect.Error()),
			result:  ctrl.Result{RequeueAfter: credentialsRetryInterval}}

	case errors.As(err, &stalled):
		o := outcome{reason: stalled.Reason, message: "Cannot " + action + ": " + stalled.Message + ".", stalled: true}
		if stalled.Final {
			// The spec, Secret and ConfigMap watches and the reconcile-requested annotation start the next attempt.
			o.err = reconcile.TerminalError(err)
			return o
		}
		// Only a change of the spec, or of hookstream found by the periodic check, can resolve these.
		o.result = ctrl.Result{RequeueAfter: recheck}
		return o

	case errors.As(err, &kube):
		return kubernetesOutcome(kube.err, action, kube.what)

	case IsRemote(err, RemoteInvalid):
		return outcome{reason: v1.ReasonInvalidSpec, stalled: true,
			message: fmt.Sprintf("hookstream rejected the spec: %s. Fix the spec; nothing is retried until it changes.", apiMessage(err)),
			err:     reconcile.TerminalError(err)}

	case IsRemote(err, RemoteTooLarge):
		return outcome{reason: v1.ReasonTooLarge, stalled: true,
			message: fmt.Sprintf("hookstream refused the request as too large (413): %s. Make the spec smaller (headers, "+
				"schemas, filter rules, transforms); nothing is retried until it changes.", apiMessage(err)),
			err: reconcile.TerminalError(err)}

	case IsRemote(err, RemoteUnauthorized):
		return outcome{reason: v1.ReasonUnauthorized, stalled: true,
			message: fmt.Sprintf("hookstream rejected the API key in Secret %q (401). Put a valid key under \"apiKey\"; "+
				"the change is picked up at once.", credentialsSecret),
			result: ctrl.Result{RequeueAfter: credentialsRetryInterval}}

	case IsRemote(err, RemoteForbidden):
		return outcome{reason: v1.ReasonForbidden, stalled: true,
			message: fmt.Sprintf("hookstream refused to %s (403): %s. Check the key's project and plan limits.", action, apiMessage(err)),
			result:  ctrl.Result{RequeueAfter: credentialsRetryInterval}}

	case apierrors.IsConflict(err):
		// The object changed while we worked on it; the newer version is reconciled next.
		return outcome{reason: v1.ReasonKubernetesError, quiet: true, result: ctrl.Result{RequeueAfter: conflictRetryInterval}}
	}

	if limited, ok := errors.AsType[*RemoteError](err); ok && limited.Class == RemoteRateLimited {
		wait := max(limited.RetryAfter, minRateLimitWait)
		// Waiting as told is the normal way of things under a rate limit: no event for each wait.
		return outcome{reason: v1.ReasonRateLimited, noEvent: true,
			message: fmt.Sprintf("hookstream rate limit reached; retrying in %s.", wait.Round(time.Second)),
			result:  ctrl.Result{RequeueAfter: wait}}
	}
	return outcome{reason: v1.ReasonAPIUnavailable,
		message: fmt.Sprintf("Cannot %s: %s. Retrying with backoff.", action, errorSummary(err)), err: err}
}

// kubernetesOutcome describes a failed Kubernetes call of the operator's own: not a hookstream outage.
func kubernetesOutcome(err error, action, what string) outcome {
	switch {
	case apierrors.IsConflict(err):
		return outcome{reason: v1.ReasonKubernetesError, quiet: true, result: ctrl.Result{RequeueAfter: conflictRetryInterval}}
	case apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err):
		return outcome{reason: v1.ReasonKubernetesForbidden, err: err,
			message: fmt.Sprintf("Cannot %s: the Kubernetes API server refused to %s: %s. Grant the operator's "+
				"ServiceAccount that permission (see config/rbac); retrying with backoff.", action, what, apierrors.ReasonForError(err))}
	}
	return outcome{reason: v1.ReasonKubernetesError, err: err,
		message: fmt.Sprintf("Cannot %s: the Kubernetes API server failed to %s (%s). Retrying with backoff.",
			action, what, kubeSummary(err))}
}

// kubeSummary describes a Kubernetes error without anything request-specific that would churn the status.
func kubeSummary(err error) string {
	if status, ok := err.(apierrors.APIStatus); ok || errors.As(err, &status) {
		return fmt.Sprintf("%d %s", status.Status().Code, status.Status().Reason)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "no answer in time"
	}
	return "unreachable"
}

// apiMessage is hookstream's own message of an API error.
func apiMessage(err error) string { return remoteMessage(err) }

// errorSummary describes a transient error without anything request-specific that would churn the status.
func errorSummary(err error) string {
	if r, ok := errors.AsType[*RemoteError](err); ok && r.Status != 0 {
		return fmt.Sprintf("hookstream answered %d %s", r.Status, r.Message)
	}
	if errors.Is(err, errRetry) {
		return err.Error()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "hookstream did not answer in time"
	}
	return "hookstream could not be reached"
}
