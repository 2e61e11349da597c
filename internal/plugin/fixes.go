// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package plugin

import v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"

// Fixes maps every condition reason the operator writes (api/v1alpha1/conditions.go) to what a person does about
// it. It is the one troubleshooting table of the project: doctor prints it beside each object that is not Ready,
// and a test fails when a reason has no entry.
var Fixes = map[string]string{
	v1.ReasonAvailable:        "nothing: the remote resource exists and matches the spec",
	v1.ReasonReconcileSuccess: "nothing: the last reconcile reached hookstream",
	v1.ReasonCreating:         "wait: the remote resource is being created; if it stays, check that the manager runs",
	v1.ReasonUpdating:         "wait: the remote resource is being updated; if it stays, check that the manager runs",
	v1.ReasonDeleting:         "wait: the remote resource is being deleted; if it stays, check that the manager runs",
	v1.ReasonProgressing:      "wait: the spec changed and is being applied; if it stays, check that the manager runs",
	v1.ReasonCredentialsNotFound: "create the credentials Secret named in the message (spec.credentialsRef, else " +
		"hookstream-credentials) in the object's namespace, with the key apiKey",
	v1.ReasonCredentialsInvalid: "put a valid API key in the credentials Secret's key apiKey: it is empty, only " +
		"whitespace, or holds characters no HTTP header can carry",
	v1.ReasonSecretNotFound:    "create the referenced Secret or key in the object's namespace, or fix the reference",
	v1.ReasonConfigMapNotFound: "create the ConfigMap and key schemaValidation.schemaConfigMapRef names, holding a usable JSON Schema, or fix the reference",
	v1.ReasonConfigMapConflict: "choose another ingestURLConfigMap name, or delete that ConfigMap so the operator can create its own",
	v1.ReasonWaitingForSource: "create the Source spec.sourceRef names, or check its status: the Connection starts by " +
		"itself once the Source has an id",
	v1.ReasonWaitingForDestination: "create the Destination spec.destinationRef names, or check its status: the " +
		"Connection starts by itself once the Destination has an id",
	v1.ReasonProjectMismatch: "give the Connection and the Source and Destination it references the same credentials Secret",
	v1.ReasonAmbiguousRemote: "delete the extra remote connections in hookstream, or set spec.adoptID to the one to manage",
	v1.ReasonReplacing:       "wait: the remote connection is being replaced because its source or destination changed",
	v1.ReasonReplacementRequired: "create a new Connection: the remote one is observed or adopted, so the operator " +
		"does not replace it",
	v1.ReasonInUse: "delete the Connections the message names; connections outside Kubernetes are deleted in hookstream",
	v1.ReasonUnauthorized: "hookstream rejected the API key: put a valid one in the credentials Secret's key " +
		"apiKey (picked up at once)",
	v1.ReasonForbidden:   "the key may not do this, or the plan's limit of destinations or sources is reached: use another key or plan",
	v1.ReasonInvalidSpec: "fix the spec as the message (hookstream's, or the operator's) says; nothing is retried until the spec changes",
	v1.ReasonConflict:    "another remote resource of the project has this slug: set adoptionPolicy: BySlug, spec.adoptID, or another slug",
	v1.ReasonAlreadyManaged: "another object of the project manages this remote resource: delete that object (deletionPolicy Orphan " +
		"keeps the remote) for this one to take over, or remove spec.adoptID here",
	v1.ReasonRefNotPermitted: "ask the owners of the referenced namespace for a HookstreamReferenceGrant there (from: this " +
		"namespace's Connections, to: the Source or Destination), or reference an object of this namespace",
	v1.ReasonRateLimited: "wait: hookstream asked to slow down; lower --hookstream-rate-limit if it lasts",
	v1.ReasonAPIUnavailable: "wait: hookstream failed or could not be reached and the operator retries; check " +
		"--hookstream-url and the network if it lasts",
	v1.ReasonKubernetesForbidden: "grant the manager's ServiceAccount the permission the message names (config/rbac, or the chart)",
	v1.ReasonKubernetesError:     "wait: one of the operator's own Kubernetes calls failed and is retried; check the API server if it lasts",
	v1.ReasonPaused:              "remove the hookstream.io/paused annotation to resume",
	v1.ReasonObserved:            "nothing: managementPolicy Observe found the remote resource matching the spec",
	v1.ReasonDriftDetected:       "see status.drift: change the spec or hookstream so they agree (managementPolicy Observe never writes)",
	v1.ReasonNotFound: "the id (spec.adoptID, sourceID, destinationID) or, under Observe, the slug names nothing in " +
		"the key's project: fix it, or remove spec.adoptID to create the resource",
	v1.ReasonSlugMismatch:     "set spec.slug to the adopted resource's slug, as the message says",
	v1.ReasonTemplateMismatch: "set spec.template to the adopted source's template, as the message says",
	v1.ReasonCircuitClosed:    "nothing: hookstream delivers",
	v1.ReasonCircuitOpen: "fix the receiver, then reset the circuit with the annotation " +
		"hookstream.io/reset-circuit-requested-at",
	v1.ReasonCircuitHalfOpen: "fix the receiver; the next delivery is a probe, or reset the circuit with the annotation " +
		"hookstream.io/reset-circuit-requested-at",
	v1.ReasonNotActive:         "set spec.state to active to have hookstream deliver",
	v1.ReasonCircuitUnknown:    "wait: the circuit breaker has not been read yet; the Synced condition says why",
	v1.ReasonSecretNotAllowed:  "reference a Secret the object may send: never a credentials Secret, and one with the --secret-reference-label label when the manager has it",
	v1.ReasonURLNotAllowed:     "use a public URL: the manager runs with --destination-url-policy=deny-internal",
	v1.ReasonTooLarge:          "make the spec smaller (transform, schema, filters), as the message says",
	v1.ReasonInvalidAnnotation: "set hookstream.io/drift-interval to a Go duration of at least 10s (90s, 1h), 0 for never, or remove it",
	v1.ReasonTypeMismatch:      "set the spec's type (provider block) to the remote resource's, or adopt another resource",
}

// noReadyFix is the fix of an object without a Ready condition.
const noReadyFix = "the manager has not reconciled it yet: check that the manager runs and watches this namespace"

// FixFor returns the fix of a reason, or one saying the reason is not known to this version of the plugin.
func FixFor(reason string) string {
	if reason == "" {
		return noReadyFix
	}
	if f, ok := Fixes[reason]; ok {
		return f
	}
	return "the reason is newer than this plugin: read the condition's message, or upgrade the plugin"
}
