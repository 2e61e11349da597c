// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package v1alpha1

// Condition types of a Destination. Reconciling and Stalled follow the kstatus conventions that Flux and
// Argo CD read.
const (
	// ConditionReady is True when the remote resource exists and matches the spec.
	ConditionReady = "Ready"
	// ConditionSynced is True when the last attempt to reach hookstream worked.
	ConditionSynced = "Synced"
	// ConditionReconciling is True while the operator is bringing the remote resource to the spec.
	ConditionReconciling = "Reconciling"
	// ConditionStalled is True when no progress is possible until the spec, a Secret or hookstream changes.
	ConditionStalled = "Stalled"
	// ConditionDelivering is a Destination's delivery health: True while its circuit breaker is closed and it is
	// active, False while the circuit is open or half-open or the destination is not active, Unknown until the
	// circuit was read. It does not change Ready, which says that the remote destination matches the spec.
	ConditionDelivering = "Delivering"
)

// Condition reasons. Each names a cause a person can act on; the condition message says how.
const (
	// ReasonAvailable: the remote resource exists and matches the spec.
	ReasonAvailable = "Available"
	// ReasonReconcileSuccess: the last reconcile reached hookstream and did what it had to.
	ReasonReconcileSuccess = "ReconcileSuccess"
	// ReasonCreating: the remote resource is being created.
	ReasonCreating = "Creating"
	// ReasonUpdating: the remote resource differs from the spec and is being updated.
	ReasonUpdating = "Updating"
	// ReasonDeleting: the remote resource is being deleted.
	ReasonDeleting = "Deleting"
	// ReasonProgressing: the spec changed and has not been applied yet.
	ReasonProgressing = "Progressing"
	// ReasonCredentialsNotFound: the credentials Secret or its apiKey key is missing.
	ReasonCredentialsNotFound = "CredentialsNotFound"
	// ReasonCredentialsInvalid: the credentials Secret's apiKey is empty, only whitespace, or cannot be sent.
	ReasonCredentialsInvalid = "CredentialsInvalid"
	// ReasonSecretNotFound: a Secret or key referenced by the spec is missing.
	ReasonSecretNotFound = "SecretNotFound"
	// ReasonConfigMapNotFound: a ConfigMap or key referenced by the spec (a Source's schema) is missing or not
	// usable.
	ReasonConfigMapNotFound = "ConfigMapNotFound"
	// ReasonConfigMapConflict: the ConfigMap a Source is to publish its ingest URL into exists and is not the
	// Source's; it is left untouched.
	ReasonConfigMapConflict = "ConfigMapConflict"
	// ReasonWaitingForSource: a Connection's spec.sourceRef names a Source that does not exist or has no id yet.
	ReasonWaitingForSource = "WaitingForSource"
	// ReasonWaitingForDestination: a Connection's spec.destinationRef names a Destination that does not exist or
	// has no id yet.
	ReasonWaitingForDestination = "WaitingForDestination"
	// ReasonProjectMismatch: a Connection and the Source or Destination it references use different hookstream
	// API keys, so they may live in different projects.
	ReasonProjectMismatch = "ProjectMismatch"
	// ReasonAmbiguousRemote: more than one remote connection has the Connection's source, destination and name;
	// the operator does not pick one.
	ReasonAmbiguousRemote = "AmbiguousRemote"
	// ReasonReplacing: the remote resource cannot become what the spec asks for (a connection's source or
	// destination changed); it was deleted and another is being created.
	ReasonReplacing = "Replacing"
	// ReasonReplacementRequired: the remote resource would have to be replaced (a connection's source or
	// destination changed), which the operator does not do under managementPolicy Observe or for a remote
	// resource taken over with spec.adoptID.
	ReasonReplacementRequired = "ReplacementRequired"
	// ReasonInUse: hookstream refuses to delete a source or destination that connections still reference; the
	// deletion waits for them.
	ReasonInUse = "InUse"
	// ReasonUnauthorized: hookstream rejected the API key (401).
	ReasonUnauthorized = "Unauthorized"
	// ReasonForbidden: hookstream refused the call (403), for example a plan limit.
	ReasonForbidden = "Forbidden"
	// ReasonInvalidSpec: hookstream rejected the spec (400); the message is hookstream's.
	ReasonInvalidSpec = "InvalidSpec"
	// ReasonConflict: the slug is already used by another remote resource in the project (409).
	ReasonConflict = "SlugConflict"
	// ReasonAlreadyManaged: the remote resource that spec.adoptID, adoption by slug or the natural key names is
	// managed by another object of the project; nothing is written until that object goes.
	ReasonAlreadyManaged = "AlreadyManaged"
	// ReasonRefNotPermitted: a Connection references a Source or Destination of another namespace that no
	// HookstreamReferenceGrant of that namespace allows; nothing is created, and an existing remote connection is
	// paused until a grant allows the reference again.
	ReasonRefNotPermitted = "RefNotPermitted"
	// ReasonRateLimited: hookstream asked to slow down (429); the operator waits as told.
	ReasonRateLimited = "RateLimited"
	// ReasonAPIUnavailable: hookstream failed or could not be reached; the operator retries with backoff.
	ReasonAPIUnavailable = "APIUnavailable"
	// ReasonKubernetesForbidden: the Kubernetes API server refused one of the operator's own reads or writes
	// (RBAC); the operator's ClusterRole needs the permission the message names.
	ReasonKubernetesForbidden = "KubernetesForbidden"
	// ReasonKubernetesError: one of the operator's own reads or writes in Kubernetes failed; retried with backoff.
	ReasonKubernetesError = "KubernetesError"
	// ReasonPaused: the hookstream.io/paused annotation stops every hookstream call for the object.
	ReasonPaused = "Paused"
	// ReasonObserved: managementPolicy Observe found the remote resource and it matches the spec.
	ReasonObserved = "Observed"
	// ReasonDriftDetected: managementPolicy Observe found fields that differ from the spec (see status.drift).
	ReasonDriftDetected = "DriftDetected"
	// ReasonNotFound: managementPolicy Observe, or spec.adoptID, names a remote resource that does not exist, or
	// the remote resource taken over with spec.adoptID was deleted outside the operator (it is never created
	// anew while spec.adoptID names it).
	ReasonNotFound = "RemoteNotFound"
	// ReasonSlugMismatch: the adopted remote destination has another slug than spec.slug.
	ReasonSlugMismatch = "SlugMismatch"
	// ReasonTemplateMismatch: the adopted remote source has another template than spec.template.
	ReasonTemplateMismatch = "TemplateMismatch"
	// ReasonCircuitClosed: the destination's circuit breaker is closed; hookstream delivers.
	ReasonCircuitClosed = "CircuitClosed"
	// ReasonCircuitOpen: deliveries failed often enough in a row to open the circuit breaker; hookstream holds
	// the destination's events until a probe delivery succeeds after the reset time, or the circuit is reset.
	ReasonCircuitOpen = "CircuitOpen"
	// ReasonCircuitHalfOpen: the circuit breaker's reset time has passed; the next delivery is a probe that closes
	// it on success and opens it again on failure.
	ReasonCircuitHalfOpen = "CircuitHalfOpen"
	// ReasonNotActive: the destination's state is paused or disabled, so hookstream does not deliver to it.
	ReasonNotActive = "NotActive"
	// ReasonCircuitUnknown: the circuit breaker has not been read yet, or the last read failed.
	ReasonCircuitUnknown = "CircuitUnknown"
	// ReasonSecretNotAllowed: the spec references a Secret that this object may not send to hookstream: a credentials
	// Secret (one holding a hookstream API key under "apiKey"), or, when the manager runs with
	// --secret-reference-label, a Secret without that label.
	ReasonSecretNotAllowed = "SecretNotAllowed"
	// ReasonURLNotAllowed: under --destination-url-policy=deny-internal, a Destination's URL names a loopback,
	// link-local, private, or cloud metadata address, literally or through DNS.
	ReasonURLNotAllowed = "URLNotAllowed"
	// ReasonTooLarge: hookstream refused the request as too large (413), or the spec exceeds a size limit of the
	// contract that the operator checks before the call.
	ReasonTooLarge = "TooLarge"
	// ReasonTypeMismatch: the remote resource has another type than the spec asks for (a Destination's provider
	// block; http for a Source).
	ReasonTypeMismatch = "TypeMismatch"
	// ReasonInvalidAnnotation: an annotation the operator reads has a value it cannot take (such as
	// hookstream.io/drift-interval); nothing is done until the annotation changes.
	ReasonInvalidAnnotation = "InvalidAnnotation"
)

// Annotations understood by the operator.
const (
	// AnnotationReconcileRequestedAt asks for a check of the remote resource now when its value changes
	// (any string, a timestamp by convention). The value handled last is echoed in status.lastHandledReconcileAt.
	AnnotationReconcileRequestedAt = "hookstream.io/reconcile-requested-at"
	// AnnotationHoldDriftUntil keeps every change made outside the operator to the remote resource until the RFC
	// 3339 time it holds (at most 7 days ahead): nothing is written to it meanwhile, status.drift lists the held
	// fields, and the drift is corrected once the time has passed. For on-call during an incident.
	AnnotationHoldDriftUntil = "hookstream.io/hold-drift-until"
	// AnnotationCreateRequested records, before the first create call, when the operator asked hookstream to create
	// the remote resource (RFC 3339). While status.id is empty it says that a remote resource with the slug, created after
	// that time, may be this one's, so it is taken over rather than created twice. Written by the operator.
	AnnotationCreateRequested = "hookstream.io/create-requested"
	// AnnotationCreateSecretsHash records, with AnnotationCreateRequested, the keyed hash of the secret values the
	// create sends (see status.appliedSecretsHash), so that a remote resource found after an unrecorded create is
	// known to hold them and they are not sent again. Written by the operator.
	AnnotationCreateSecretsHash = "hookstream.io/create-secrets-hash"
	// AnnotationCreateKey records, with AnnotationCreateRequested, the natural key the create sends when the spec
	// can change it (a Connection's source, destination and name), so that the remote resource an unrecorded create
	// made is found by the key it was made with. Written by the operator.
	AnnotationCreateKey = "hookstream.io/create-key"
	// AnnotationResetCircuitRequestedAt asks for a reset of a Destination's circuit breaker in hookstream, once per
	// value (any string, a timestamp by convention). The value handled last is echoed in
	// status.lastHandledCircuitResetAt.
	AnnotationResetCircuitRequestedAt = "hookstream.io/reset-circuit-requested-at"
	// AnnotationPaused set to "true" stops every hookstream call for the object, deletion included, until it is
	// removed.
	AnnotationPaused = "hookstream.io/paused"
	// AnnotationDriftInterval sets how often the object is compared with hookstream when nothing else triggers it:
	// a Go duration of at least 10s ("90s", "1h"), or "0" for never (changes of the spec and its
	// Secrets are still applied). Without it the manager's --drift-interval applies.
	AnnotationDriftInterval = "hookstream.io/drift-interval"
)

// Finalizer makes sure the remote resource is deleted (as deletionPolicy says) before the object goes.
const Finalizer = "hookstream.io/finalizer"

// CredentialsKey is the key of the API key in the credentials Secret.
const CredentialsKey = "apiKey"
