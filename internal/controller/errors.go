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
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
)

// Waits for failures that the operator cannot fix by retrying quickly. A change of the referenced Secrets or of
// the spec triggers a reconcile at once, so these only bound how long an unnoticed outside fix waits.
const (
	credentialsRetryInterval = 5 * time.Minute
	conflictRetryInterval    = 2 * time.Second
	minRateLimitWait         = time.Second
)

// errMissingSecret is a referenced Secret or key that does not exist. Its message names the Secret and key, never
// a value.
type errMissingSecret struct {
	credentials bool
	name, key   string
	err         error
}

func (e *errMissingSecret) Error() string {
	what := "Secret"
	if e.credentials {
		what = "credentials Secret"
	}
	if e.err != nil {
		return fmt.Sprintf("%s %q cannot be read: %v", what, e.name, e.err)
	}
	if e.key == "" {
		return fmt.Sprintf("%s %q does not exist in the Destination's namespace", what, e.name)
	}
	return fmt.Sprintf("%s %q has no key %q", what, e.name, e.key)
}

// Failures found by the reconciler itself; each maps to a condition reason in handleError.
var (
	// errTypeMismatch: the remote destination's type is not the spec's provider type.
	errTypeMismatch = errors.New("type mismatch")
	// errSlugMismatch: the remote destination's slug is not spec.slug.
	errSlugMismatch = errors.New("slug mismatch")
	// errSlugConflict: the slug is taken and adoption is not allowed.
	errSlugConflict = errors.New("slug conflict")
	// errRemoteNotFound: spec.adoptID names no remote destination.
	errRemoteNotFound = errors.New("remote destination not found")
	// errRetry: a transient inconsistency worth retrying with backoff.
	errRetry = errors.New("retrying")
)

var stalledReasons = map[error]string{
	errTypeMismatch:   v1.ReasonTypeMismatch,
	errSlugMismatch:   v1.ReasonSlugMismatch,
	errSlugConflict:   v1.ReasonConflict,
	errRemoteNotFound: v1.ReasonNotFound,
}

// handleError is the one place where a failure becomes conditions, an event and a reconcile result.
func (r *DestinationReconciler) handleError(ctx context.Context, d *v1.Destination, action string, err error) (ctrl.Result, error) {
	var missing *errMissingSecret
	var apiErr *hookstream.APIError
	switch {
	case errors.As(err, &missing):
		reason := v1.ReasonSecretNotFound
		hint := "create it, or fix the reference in the spec."
		if missing.credentials {
			reason = v1.ReasonCredentialsNotFound
			hint = "create it with the hookstream API key under the key \"apiKey\", or set spec.credentialsRef."
		}
		msg := fmt.Sprintf("Cannot %s: %s; %s", action, missing.Error(), hint)
		setStalled(d, reason, msg)
		r.warn(d, reason, action, msg)
		// The Secret watch starts a reconcile as soon as it appears.
		return ctrl.Result{RequeueAfter: credentialsRetryInterval}, nil

	case errors.Is(err, errTypeMismatch), errors.Is(err, errSlugMismatch), errors.Is(err, errSlugConflict),
		errors.Is(err, errRemoteNotFound):
		reason := stalledReasons[errors.Unwrap(err)]
		msg := "Cannot " + action + ": " + strings.TrimPrefix(err.Error(), errors.Unwrap(err).Error()+": ") + "."
		setStalled(d, reason, msg)
		r.warn(d, reason, action, msg)
		// Only a change of the spec, or of hookstream found by the periodic check, can resolve these.
		return ctrl.Result{RequeueAfter: r.driftCheckAfter()}, nil

	case hookstream.IsInvalid(err):
		msg := fmt.Sprintf("hookstream rejected the spec: %s. Fix the spec; nothing is retried until it changes.", apiMessage(err))
		setStalled(d, v1.ReasonInvalidSpec, msg)
		r.warn(d, "InvalidSpec", action, msg)
		return ctrl.Result{}, reconcile.TerminalError(err)

	case hookstream.IsUnauthorized(err):
		msg := fmt.Sprintf("hookstream rejected the API key in Secret %q (401). Put a valid key under \"apiKey\"; "+
			"the change is picked up at once.", credentialsSecretName(d, r.DefaultCredentialsSecret))
		setStalled(d, v1.ReasonUnauthorized, msg)
		r.warn(d, v1.ReasonUnauthorized, action, msg)
		return ctrl.Result{RequeueAfter: credentialsRetryInterval}, nil

	case hookstream.IsForbidden(err):
		msg := fmt.Sprintf("hookstream refused to %s (403): %s. Check the key's project and plan limits.", action, apiMessage(err))
		setStalled(d, v1.ReasonForbidden, msg)
		r.warn(d, v1.ReasonForbidden, action, msg)
		return ctrl.Result{RequeueAfter: credentialsRetryInterval}, nil

	case apierrors.IsConflict(err):
		// The object changed while we worked on it; the newer version is reconciled next.
		return ctrl.Result{RequeueAfter: conflictRetryInterval}, nil
	}

	if wait, ok := hookstream.IsRateLimited(err); ok {
		wait = max(wait, minRateLimitWait)
		msg := fmt.Sprintf("hookstream rate limit reached; retrying in %s.", wait.Round(time.Second))
		setRetrying(d, v1.ReasonRateLimited, msg)
		return ctrl.Result{RequeueAfter: wait}, nil
	}

	msg := fmt.Sprintf("Cannot %s: %s. Retrying with backoff.", action, errorSummary(err, apiErr))
	setRetrying(d, v1.ReasonAPIUnavailable, msg)
	r.warn(d, "APIUnavailable", action, msg)
	return ctrl.Result{}, err
}

// apiMessage is hookstream's own message of an API error.
func apiMessage(err error) string {
	var apiErr *hookstream.APIError
	if errors.As(err, &apiErr) {
		return apiErr.Message
	}
	return err.Error()
}

// errorSummary describes a transient error without anything request-specific that would churn the status.
func errorSummary(err error, apiErr *hookstream.APIError) string {
	if errors.As(err, &apiErr) {
		return fmt.Sprintf("hookstream answered %d %s", apiErr.StatusCode, apiErr.Message)
	}
	if errors.Is(err, errRetry) {
		return err.Error()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "hookstream did not answer in time"
	}
	return "hookstream could not be reached"
}
