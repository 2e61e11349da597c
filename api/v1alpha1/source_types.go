// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// SourceSpec is the desired state of a hookstream source: where webhooks arrive and how they are checked. Fields
// left unset are not managed: hookstream keeps its own value (the platform default, the template's, or whatever
// was set elsewhere).
//
// +kubebuilder:validation:XValidation:rule="has(self.slug) == has(oldSelf.slug) && (!has(self.slug) || self.slug == oldSelf.slug)",message="spec.slug is immutable (it is the source's key in hookstream): to use another slug, create a new Source and delete this one"
// +kubebuilder:validation:XValidation:rule="has(self.template) == has(oldSelf.template) && (!has(self.template) || self.template == oldSelf.template)",message="spec.template is immutable (hookstream sets it at creation only): to use another template, create a new Source and delete this one"
// +kubebuilder:validation:XValidation:rule="has(self.adoptID) == has(oldSelf.adoptID) && (!has(self.adoptID) || self.adoptID == oldSelf.adoptID)",message="spec.adoptID cannot be added, changed or removed after creation: create a new Source to take over another remote source"
// +kubebuilder:validation:XValidation:rule="!has(self.verification) || has(self.verification.type) || (has(self.template) && self.template != 'custom')",message="spec.verification needs a type (hmac_sha256, hmac_sha1 or standard_webhooks), or a spec.template other than custom that pre-fills it"
// +kubebuilder:validation:XValidation:rule="!has(self.template) || self.template in ['sendgrid', 'postmark', 'custom'] || has(self.verification)",message="this spec.template makes hookstream verify signatures, which needs the signing secret: set spec.verification.secretRef (only sendgrid, postmark and custom verify nothing by themselves)"
type SourceSpec struct {
	// The lifecycle fields every kind has: managementPolicy, deletionPolicy, adoptionPolicy, adoptID and
	// credentialsRef.
	ManagedSpec `json:",inline"`

	// displayName is the source's name in hookstream (API field `name`), 1 to 128 characters.
	// Defaults to metadata.name.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	DisplayName string `json:"displayName,omitempty"`

	// description of the source in hookstream, at most 1024 characters.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Description string `json:"description,omitempty"`

	// slug is the source's unique key within its hookstream project: lowercase letters, digits and dashes, 1 to
	// 64 characters. Immutable. Defaults to a value derived from the namespace and name
	// (`<namespace>-<name>-<hash of both>`, shortened to fit), shown in status.slug. The ingest URL uses the
	// source's id, not its slug.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[a-z0-9-]+$`
	Slug string `json:"slug,omitempty"`

	// template names the service that sends the webhooks. hookstream pre-fills the verification settings from it
	// (for example github: HMAC-SHA256 in the X-Hub-Signature-256 header); what spec.verification sets wins.
	// Immutable: hookstream sets it at creation only.
	// +optional
	Template SourceTemplate `json:"template,omitempty"`

	// verification checks the signature of every webhook at ingest; a request without a valid signature is
	// refused with 401. Unset leaves hookstream's settings (the template's, if any).
	// +optional
	Verification *SourceVerification `json:"verification,omitempty"`

	// deduplication stores a repeated event within the window but does not deliver it again.
	// +optional
	Deduplication *SourceDeduplication `json:"deduplication,omitempty"`

	// ipAllowlist, when set, accepts webhooks only from these IPv4 addresses or CIDR ranges (IPv6 is not
	// supported by hookstream); others are refused with 403. At most 100 entries; an empty list clears it.
	// +optional
	// +kubebuilder:validation:MaxItems=100
	// +listType=set
	IPAllowlist []IPv4OrCIDR `json:"ipAllowlist,omitempty"`

	// ipDenylist refuses webhooks from these IPv4 addresses or CIDR ranges with 403. It is checked before the
	// allowlist. At most 100 entries; an empty list clears it.
	// +optional
	// +kubebuilder:validation:MaxItems=100
	// +listType=set
	IPDenylist []IPv4OrCIDR `json:"ipDenylist,omitempty"`

	// schemaValidation checks every JSON body against a JSON Schema (draft 4, 6 or 7) at ingest.
	// +optional
	SchemaValidation *SourceSchemaValidation `json:"schemaValidation,omitempty"`

	// state is the source's state (API field `status`): `active` accepts and routes webhooks, `paused` accepts
	// and stores them without routing (nothing is replayed on resume), `disabled` refuses them with 403. Unset
	// leaves hookstream's value (`active` for a new source).
	// +optional
	State ResourceState `json:"state,omitempty"`

	// ingestURLConfigMap, when set, makes the operator write a ConfigMap of this name in the Source's namespace
	// with the keys `ingestURL` and `sourceID`, owned by the Source, kept current and deleted with it, so that
	// workloads can read the URL through configMapKeyRef. An existing ConfigMap of that name that the Source
	// does not own is left untouched and reported.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	IngestURLConfigMap string `json:"ingestURLConfigMap,omitempty"`
}

// SourceTemplate is a service whose webhook conventions hookstream knows.
// +kubebuilder:validation:Enum=stripe;github;shopify;slack;twilio;sendgrid;intercom;linear;clerk;svix;paddle;resend;postmark;typeform;custom
type SourceTemplate string

// IPv4OrCIDR is an IPv4 address (203.0.113.7) or an IPv4 CIDR range in network form (203.0.113.0/24, not
// 203.0.113.7/24, which hookstream could store in another form and so show as drift).
// +kubebuilder:validation:MinLength=7
// +kubebuilder:validation:MaxLength=18
// +kubebuilder:validation:XValidation:rule="isIP(self) ? ip(self).family() == 4 : (isCIDR(self) && cidr(self).ip().family() == 4 && cidr(self) == cidr(self).masked())",message="must be an IPv4 address such as 203.0.113.7 or an IPv4 CIDR range in network form such as 203.0.113.0/24 (hookstream does not support IPv6)"
type IPv4OrCIDR string

// VerificationType is how webhook signatures are checked.
// +kubebuilder:validation:Enum=hmac_sha256;hmac_sha1;standard_webhooks
type VerificationType string

const (
	// VerificationHMACSHA256: the hex HMAC-SHA256 of the raw body, optionally prefixed (`sha256=`).
	VerificationHMACSHA256 VerificationType = "hmac_sha256"
	// VerificationHMACSHA1: the hex HMAC-SHA1 of the raw body, optionally prefixed (`sha1=`).
	VerificationHMACSHA1 VerificationType = "hmac_sha1"
	// VerificationStandardWebhooks: the Standard Webhooks scheme (webhook-id, webhook-timestamp and
	// webhook-signature headers, base64 secret).
	VerificationStandardWebhooks VerificationType = "standard_webhooks"
)

// SourceVerification checks webhook signatures.
type SourceVerification struct {
	// type of signature. Defaults to the template's.
	// +optional
	Type VerificationType `json:"type,omitempty"`
	// header that carries the signature, for example X-Hub-Signature-256. Defaults to the template's. Standard
	// Webhooks use their own headers.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:XValidation:rule=`self.matches(r"^[A-Za-z0-9!#$%&'*+.^_|~\x60-]+$")`,message="header must be an HTTP header name (an RFC 9110 token): letters, digits and !#$%&'*+-.^_`|~ only, at least one, no space, colon or control character, for example X-Api-Token"
	Header string `json:"header,omitempty"`
	// secretRef selects the signing secret in a Secret of the Source's namespace. hookstream never shows it
	// again; the operator sends it again when the Secret changes. For standard_webhooks it is the base64
	// secret, with or without its `whsec_` prefix.
	// +required
	SecretRef SecretKeySelector `json:"secretRef"`
}

// DeduplicationStrategy is how a repeated event is recognised.
// +kubebuilder:validation:Enum=payload_hash;header_field;body_field
type DeduplicationStrategy string

// SourceDeduplication recognises repeated events.
// +kubebuilder:validation:XValidation:rule="self.strategy == 'payload_hash' || has(self.field)",message="spec.deduplication.field is required for header_field (a header name) and body_field (a body path such as data.id)"
// +kubebuilder:validation:XValidation:rule="self.strategy != 'payload_hash' || !has(self.field)",message="spec.deduplication.field is only used by header_field and body_field: remove it for payload_hash"
// +kubebuilder:validation:XValidation:rule=`self.strategy != 'header_field' || !has(self.field) || self.field.matches(r"^[A-Za-z0-9!#$%&'*+.^_|~\x60-]+$")`,message="spec.deduplication.field must be an HTTP header name (an RFC 9110 token) for header_field: letters, digits and !#$%&'*+-.^_`|~ only, no space, colon or control character, for example X-Request-Id"
type SourceDeduplication struct {
	// strategy: `payload_hash` (the whole body), `header_field` (a header's value) or `body_field` (a value in
	// the JSON body).
	// +required
	Strategy DeduplicationStrategy `json:"strategy"`
	// field is the header name (header_field) or the body path (body_field, such as data.id or $.data.id).
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Field string `json:"field,omitempty"`
	// windowSeconds is how long an event is remembered, 1 to 604800 seconds (7 days). Defaults to hookstream's
	// (300).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=604800
	WindowSeconds *int32 `json:"windowSeconds,omitempty"`
}

// SchemaAction is what happens to a body that fails the JSON Schema.
// +kubebuilder:validation:Enum=reject;warn
type SchemaAction string

// SourceSchemaValidation checks JSON bodies against a JSON Schema.
// +kubebuilder:validation:XValidation:rule="has(self.schema) != has(self.schemaConfigMapRef)",message="set exactly one of spec.schemaValidation.schema (inline) and spec.schemaValidation.schemaConfigMapRef"
type SourceSchemaValidation struct {
	// action: `reject` refuses a failing body with 422 and the validation errors; `warn` stores, tags and
	// delivers it.
	// +required
	Action SchemaAction `json:"action"`
	// schema is the JSON Schema (draft 4, 6 or 7), inline.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Type=object
	Schema *runtime.RawExtension `json:"schema,omitempty"`
	// schemaConfigMapRef reads the JSON Schema from a ConfigMap key in the Source's namespace; a change of the
	// ConfigMap is applied.
	// +optional
	SchemaConfigMapRef *ConfigMapKeySelector `json:"schemaConfigMapRef,omitempty"`
}

// ConfigMapKeySelector selects one key of a ConfigMap in the object's own namespace.
type ConfigMapKeySelector struct {
	// name of the ConfigMap, in the object's namespace.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// key within the ConfigMap's data.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	Key string `json:"key"`
}

// SourceStatus is the observed state of a Source.
type SourceStatus struct {
	// The status fields every kind has: observedGeneration, id, appliedSecretsHash, drift, driftObservedAt,
	// lastHandledReconcileAt and conditions.
	ManagedStatus `json:",inline"`

	// slug of the remote source: spec.slug or the value derived from namespace and name.
	// +optional
	Slug string `json:"slug,omitempty"`

	// state is the remote source's state (API field `status`).
	// +optional
	State string `json:"state,omitempty"`

	// ingestURL is where senders post webhooks: hookstream's URL when it sends one, else the API base URL +
	// /ingest/ + the source's id. It is not a secret (hookstream shows the id everywhere); protect the source with
	// spec.verification and the IP lists.
	// +optional
	IngestURL string `json:"ingestURL,omitempty"`

	// ingestURLConfigMap is the ConfigMap the operator last wrote the ingest URL into.
	// +optional
	IngestURLConfigMap string `json:"ingestURLConfigMap,omitempty"`

	// template of the remote source.
	// +optional
	Template string `json:"template,omitempty"`

	// verificationType is the remote source's signature check (`none` when it has none).
	// +optional
	VerificationType string `json:"verificationType,omitempty"`

	// eventCount is the number of events hookstream accepted at this source (duplicates and refusals not
	// counted), as of the last check.
	// +optional
	EventCount int64 `json:"eventCount,omitempty"`

	// lastEventAt is the time of the latest accepted event, as of the last check.
	// +optional
	LastEventAt *metav1.Time `json:"lastEventAt,omitempty"`

	// createdAt is when hookstream created the source.
	// +optional
	CreatedAt *metav1.Time `json:"createdAt,omitempty"`

	// updatedAt is when hookstream last changed the source.
	// +optional
	UpdatedAt *metav1.Time `json:"updatedAt,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=hss,categories=hookstream
// +kubebuilder:printcolumn:name="ID",type=string,JSONPath=`.status.id`
// +kubebuilder:printcolumn:name="State",type=string,JSONPath=`.status.state`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Synced",type=string,JSONPath=`.status.conditions[?(@.type=="Synced")].status`
// +kubebuilder:printcolumn:name="Ingest URL",type=string,JSONPath=`.status.ingestURL`,priority=1
// +kubebuilder:printcolumn:name="Last Event",type=date,JSONPath=`.status.lastEventAt`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Slug",type=string,JSONPath=`.status.slug`,priority=1
// +kubebuilder:printcolumn:name="Events",type=integer,JSONPath=`.status.eventCount`,priority=1
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1

// Source is a hookstream source managed from Kubernetes: the public URL where webhooks arrive, with the signature
// check, deduplication, IP lists and schema validation applied to them.
type Source struct {
	metav1.TypeMeta `json:",inline"`

	// metadata is standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitzero"`

	// spec is the desired source. Fields left unset are not managed: hookstream keeps its own value.
	// +required
	Spec SourceSpec `json:"spec"`

	// status is the observed source. A new Source reads observedGeneration 0, so that status tools (kstatus,
	// Flux) see it as in progress until the operator has handled it.
	// +optional
	// +kubebuilder:default={observedGeneration: 0}
	Status SourceStatus `json:"status,omitzero"`
}

// +kubebuilder:object:root=true

// SourceList is a list of Sources.
type SourceList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitzero"`
	Items           []Source `json:"items"`
}

func init() {
	SchemeBuilder.Register(func(s *runtime.Scheme) error {
		s.AddKnownTypes(SchemeGroupVersion, &Source{}, &SourceList{})
		return nil
	})
}

// GetManagedSpec returns the lifecycle fields of the spec.
func (s *Source) GetManagedSpec() *ManagedSpec { return &s.Spec.ManagedSpec }

// GetManagedStatus returns the status fields every kind has.
func (s *Source) GetManagedStatus() *ManagedStatus { return &s.Status.ManagedStatus }
