// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// The provider-type rule below looks at the block the new spec sets and asks whether the old spec set it too, which
// is enough because the first rule makes it exactly one (relax that rule and this one must compare every block
// again). It stops at the first block set: two has() for an http Destination where comparing every block took
// sixteen on each update.

// DestinationSpec is the desired state of a hookstream destination. Fields left unset are not managed: hookstream
// keeps its own value (the platform default, or whatever was set elsewhere).
//
// +kubebuilder:validation:XValidation:rule="[has(self.http), has(self.awsSqs), has(self.awsS3), has(self.awsEventBridge), has(self.gcpPubSub), has(self.kafka), has(self.rabbitmq), has(self.websocket)].filter(x, x).size() == 1",message="set exactly one provider block: http, awsSqs, awsS3, awsEventBridge, gcpPubSub, kafka, rabbitmq or websocket"
// +kubebuilder:validation:XValidation:rule="has(self.slug) == has(oldSelf.slug) && (!has(self.slug) || self.slug == oldSelf.slug)",message="spec.slug is immutable (it is the destination's key in hookstream): to use another slug, create a new Destination and delete this one"
// +kubebuilder:validation:XValidation:rule="has(self.http) ? has(oldSelf.http) : has(self.awsSqs) ? has(oldSelf.awsSqs) : has(self.awsS3) ? has(oldSelf.awsS3) : has(self.awsEventBridge) ? has(oldSelf.awsEventBridge) : has(self.gcpPubSub) ? has(oldSelf.gcpPubSub) : has(self.kafka) ? has(oldSelf.kafka) : has(self.rabbitmq) ? has(oldSelf.rabbitmq) : !has(self.websocket) || has(oldSelf.websocket)",message="the provider type is immutable (the provider block decides the hookstream type): to change it, create a new Destination and delete this one"
// +kubebuilder:validation:XValidation:rule="has(self.adoptID) == has(oldSelf.adoptID) && (!has(self.adoptID) || self.adoptID == oldSelf.adoptID)",message="spec.adoptID cannot be added, changed or removed after creation: create a new Destination to take over another remote destination"
type DestinationSpec struct {
	// The lifecycle fields every kind has: managementPolicy, deletionPolicy, adoptionPolicy, adoptID and
	// credentialsRef.
	ManagedSpec `json:",inline"`

	// displayName is the destination's name in hookstream (API field `name`), 1 to 128 characters.
	// Defaults to metadata.name.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	DisplayName string `json:"displayName,omitempty"`

	// slug is the destination's unique key within its hookstream project: lowercase letters, digits and dashes,
	// 1 to 64 characters. Immutable. Defaults to a value derived from the namespace and name
	// (`<namespace>-<name>-<hash of both>`, shortened to fit), shown in status.slug.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Pattern=`^[a-z0-9-]+$`
	Slug string `json:"slug,omitempty"`

	// state is the destination's delivery state (API field `status`): `active` delivers events, `paused` holds
	// them, `disabled` drops them. Unset leaves hookstream's value (`active` for a new destination).
	// +optional
	State ResourceState `json:"state,omitempty"`

	// http delivers events as HTTP requests (hookstream type `http`).
	// +optional
	HTTP *HTTPDestination `json:"http,omitempty"`
	// awsSqs sends events to an Amazon SQS queue (hookstream type `aws_sqs`).
	// +optional
	AWSSQS *AWSSQSDestination `json:"awsSqs,omitempty"`
	// awsS3 writes events as objects to an Amazon S3 bucket (hookstream type `aws_s3`).
	// +optional
	AWSS3 *AWSS3Destination `json:"awsS3,omitempty"`
	// awsEventBridge puts events on an Amazon EventBridge bus (hookstream type `aws_eventbridge`).
	// +optional
	AWSEventBridge *AWSEventBridgeDestination `json:"awsEventBridge,omitempty"`
	// gcpPubSub publishes events to a Google Cloud Pub/Sub topic (hookstream type `gcp_pubsub`).
	// +optional
	GCPPubSub *GCPPubSubDestination `json:"gcpPubSub,omitempty"`
	// kafka produces events to a Kafka topic (hookstream type `kafka`).
	// +optional
	Kafka *KafkaDestination `json:"kafka,omitempty"`
	// rabbitmq publishes events to a RabbitMQ exchange (hookstream type `rabbitmq`).
	// +optional
	RabbitMQ *RabbitMQDestination `json:"rabbitmq,omitempty"`
	// websocket broadcasts events on a hookstream WebSocket channel (hookstream type `websocket`).
	// +optional
	WebSocket *WebSocketDestination `json:"websocket,omitempty"`

	// retry is the retry policy for failed deliveries. Unset fields keep hookstream's defaults
	// (enabled, 5 attempts, exponential backoff, intervals 30s, 5m, 30m, 2h, 24h).
	// +optional
	Retry *RetryPolicy `json:"retry,omitempty"`

	// circuitBreaker stops deliveries after consecutive failures. Unset fields keep hookstream's defaults
	// (enabled, threshold 5, reset after 60 seconds).
	// +optional
	CircuitBreaker *CircuitBreakerPolicy `json:"circuitBreaker,omitempty"`
}

// ResourceState is the state of a hookstream resource (API field `status`); each kind documents what it means.
// +kubebuilder:validation:Enum=active;paused;disabled
type ResourceState string

const (
	// StateActive: a destination delivers events, a source accepts and routes them.
	StateActive ResourceState = "active"
	// StatePaused: a destination holds events, a source stores them without routing.
	StatePaused ResourceState = "paused"
	// StateDisabled: a destination drops events, a source refuses them (403).
	StateDisabled ResourceState = "disabled"
)

// LocalObjectReference names an object in the referring object's own namespace.
type LocalObjectReference struct {
	// name of the object, in the same namespace.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// SecretKeySelector selects one key of a Secret in the referring object's own namespace. There is deliberately
// no namespace field: an object can only use Secrets its own namespace holds.
type SecretKeySelector struct {
	// name of the Secret, in the same namespace.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// key within the Secret's data.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	Key string `json:"key"`
}

// HTTPMethod is the HTTP method used for deliveries.
// +kubebuilder:validation:Enum=POST;PUT;PATCH
type HTTPMethod string

// The rules on a URL sit on the struct that holds it, with fieldPath naming the URL, not on the URL itself: the
// API server quotes the value of a string that fails a rule in its answer, and a URL that fails may carry a
// password.

// HTTPDestination delivers events as HTTP requests.
// +kubebuilder:validation:XValidation:rule="!has(self.headers) || !has(self.headersFrom) || self.headersFrom.all(h, !self.headers.exists(k, k.lowerAscii() == h.name.lowerAscii()))",message="a header is set both in headers and headersFrom (header names are compared without case, so X-Token and x-token are the same header): keep it in one of them"
// +kubebuilder:validation:XValidation:rule="!has(self.auth) || self.auth.type == 'none' || [self.auth.type == 'apiKey' && has(self.auth.apiKey) ? self.auth.apiKey.header.lowerAscii() : 'authorization'].all(a, (!has(self.headers) || !self.headers.exists(k, k.lowerAscii() == a)) && (!has(self.headersFrom) || !self.headersFrom.exists(h, h.name.lowerAscii() == a)))",message="a header in headers or headersFrom is the one auth already sets (Authorization for bearer and basic, auth.apiKey.header for apiKey; names are compared without case): remove it from headers or headersFrom, or set auth.type none"
// +kubebuilder:validation:XValidation:rule=`!has(self.url) || !self.url.matches(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*@")`,message="url must not carry a user name or password (user:password@host): set them in spec.http.auth (type basic, with the password in a Secret), or use a bearer token or API key there",fieldPath=".url"
// +kubebuilder:validation:XValidation:rule=`!has(self.url) || isURL(self.url) && url(self.url).getScheme() in ['http', 'https'] && url(self.url).getHostname() != ""`,message="url must be an absolute http:// or https:// URL, for example https://example.com/webhooks",fieldPath=".url"
type HTTPDestination struct {
	// url receives the deliveries: an absolute http or https URL, at most 2048 characters.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	URL string `json:"url"`

	// method is the HTTP method of each delivery: POST, PUT or PATCH. Unset keeps hookstream's value (POST).
	// +optional
	Method HTTPMethod `json:"method,omitempty"`

	// headers are added to every delivery, as plain values. Use headersFrom for values that are secret. Names are
	// HTTP tokens (RFC 9110), distinct without regard to case; values are at most 8192 characters and hold no
	// control character but tab.
	// +optional
	// +kubebuilder:validation:MaxProperties=50
	// +kubebuilder:validation:XValidation:rule=`self.all(k, k.matches(r"^[A-Za-z0-9!#$%&'*+.^_|~\x60-]+$"))`,message="every name in headers must be an HTTP header name (an RFC 9110 token): letters, digits and !#$%&'*+-.^_`|~ only, at least one, no space, colon or control character, for example X-Api-Token"
	// +kubebuilder:validation:XValidation:rule="self.all(k, self.exists_one(j, j.lowerAscii() == k.lowerAscii()))",message="two names in headers differ only in case, which makes them the same header: keep one"
	// +kubebuilder:validation:XValidation:rule=`self.all(k, !self[k].matches(r"[\x00-\x08\x0a-\x1f\x7f]"))`,message="a value in headers holds a control character (CR, LF, NUL, DEL or another below space; only tab is allowed): remove it, one header per entry"
	Headers map[string]HeaderValue `json:"headers,omitempty"`

	// headersFrom adds headers whose values come from Secret keys in the Destination's namespace.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=50
	// +kubebuilder:validation:XValidation:rule="self.all(h, self.exists_one(j, j.name.lowerAscii() == h.name.lowerAscii()))",message="two entries of headersFrom name the same header (names are compared without case): keep one"
	HeadersFrom []HeaderFromSecret `json:"headersFrom,omitempty"`

	// timeoutSeconds is how long hookstream waits for the receiver, 1 to 120 seconds. Unset keeps hookstream's
	// value (30 seconds).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=120
	TimeoutSeconds *int32 `json:"timeoutSeconds,omitempty"`

	// auth is how hookstream authenticates to the receiver. Unset keeps hookstream's value (no authentication).
	// +optional
	Auth *HTTPAuth `json:"auth,omitempty"`
}

// HeaderValue is the value of a plain delivery header, at most 8192 characters (what common HTTP servers take in
// one header line).
// +kubebuilder:validation:MaxLength=8192
type HeaderValue = string

// HeaderValue is an alias, so that the field stays a map[string]string in Go: the bound gives the values of
// headers a size in the CRD, which keeps the cost of the check on every value within the API server's budget.

// HeaderFromSecret is a delivery header whose value is read from a Secret.
type HeaderFromSecret struct {
	// name of the header, for example Authorization or X-Api-Token.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:XValidation:rule=`self.matches(r"^[A-Za-z0-9!#$%&'*+.^_|~\x60-]+$")`,message="name must be an HTTP header name (an RFC 9110 token): letters, digits and !#$%&'*+-.^_`|~ only, at least one, no space, colon or control character, for example X-Api-Token"
	Name string `json:"name"`
	// valueFrom selects the Secret key that holds the header's value.
	// +required
	ValueFrom SecretKeySelector `json:"valueFrom"`
}

// HTTPAuthType is how hookstream authenticates to an HTTP receiver.
// +kubebuilder:validation:Enum=none;bearer;basic;apiKey
type HTTPAuthType string

const (
	// HTTPAuthNone sends no credentials.
	HTTPAuthNone HTTPAuthType = "none"
	// HTTPAuthBearer sends `Authorization: Bearer <token>`.
	HTTPAuthBearer HTTPAuthType = "bearer"
	// HTTPAuthBasic sends HTTP basic authentication.
	HTTPAuthBasic HTTPAuthType = "basic"
	// HTTPAuthAPIKey sends a key in a header of your choice.
	HTTPAuthAPIKey HTTPAuthType = "apiKey"
)

// HTTPAuth is the receiver authentication of an HTTP destination. Every secret part comes from a Secret.
// +kubebuilder:validation:XValidation:rule="self.type == 'bearer' ? has(self.bearer) : !has(self.bearer)",message="set auth.bearer exactly when auth.type is bearer"
// +kubebuilder:validation:XValidation:rule="self.type == 'basic' ? has(self.basic) : !has(self.basic)",message="set auth.basic exactly when auth.type is basic"
// +kubebuilder:validation:XValidation:rule="self.type == 'apiKey' ? has(self.apiKey) : !has(self.apiKey)",message="set auth.apiKey exactly when auth.type is apiKey"
type HTTPAuth struct {
	// type of authentication: none, bearer, basic or apiKey. The block of the same name holds its settings.
	// +required
	Type HTTPAuthType `json:"type"`
	// bearer sends the token as `Authorization: Bearer <token>`.
	// +optional
	Bearer *BearerAuth `json:"bearer,omitempty"`
	// basic sends HTTP basic authentication.
	// +optional
	Basic *BasicAuth `json:"basic,omitempty"`
	// apiKey sends a secret value in a header.
	// +optional
	APIKey *APIKeyAuth `json:"apiKey,omitempty"`
}

// BearerAuth configures bearer-token authentication.
type BearerAuth struct {
	// tokenSecretRef selects the Secret key holding the token.
	// +required
	TokenSecretRef SecretKeySelector `json:"tokenSecretRef"`
}

// BasicAuth configures HTTP basic authentication.
type BasicAuth struct {
	// username sent to the receiver.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:XValidation:rule=`!self.matches(r"[:\x00-\x1f\x7f]")`,message="username must hold no colon (basic authentication sends user:password, so the first colon ends the username) and no control character"
	Username string `json:"username"`
	// passwordSecretRef selects the Secret key holding the password.
	// +required
	PasswordSecretRef SecretKeySelector `json:"passwordSecretRef"`
}

// APIKeyAuth sends a secret value in a header.
type APIKeyAuth struct {
	// header that carries the key, for example X-Api-Key.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:XValidation:rule=`self.matches(r"^[A-Za-z0-9!#$%&'*+.^_|~\x60-]+$")`,message="header must be an HTTP header name (an RFC 9110 token): letters, digits and !#$%&'*+-.^_`|~ only, at least one, no space, colon or control character, for example X-Api-Token"
	Header string `json:"header"`
	// valueSecretRef selects the Secret key holding the value.
	// +required
	ValueSecretRef SecretKeySelector `json:"valueSecretRef"`
}

// AWSCredentials are the AWS access key pair hookstream uses. Only the secret access key is secret.
type AWSCredentials struct {
	// accessKeyId of the AWS access key, for example AKIAIOSFODNN7EXAMPLE.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	AccessKeyID string `json:"accessKeyId"`
	// secretAccessKeySecretRef selects the Secret key holding the secret access key.
	// +required
	SecretAccessKeySecretRef SecretKeySelector `json:"secretAccessKeySecretRef"`
}

// AWSSQSDestination sends events to an Amazon SQS queue.
// +kubebuilder:validation:XValidation:rule=`!has(self.queueUrl) || !self.queueUrl.matches(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*@")`,message="queueUrl must not carry a user name or password (user:password@host): set the AWS access key in accessKeyId and secretAccessKeySecretRef",fieldPath=".queueUrl"
// +kubebuilder:validation:XValidation:rule="!has(self.queueUrl) || isURL(self.queueUrl) && url(self.queueUrl).getScheme() == 'https'",message="queueUrl must be an https:// URL, for example https://sqs.eu-west-1.amazonaws.com/123456789012/events",fieldPath=".queueUrl"
type AWSSQSDestination struct {
	// queueUrl of the SQS queue, for example https://sqs.eu-west-1.amazonaws.com/123456789012/events.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	QueueURL string `json:"queueUrl"`
	// region of the queue, for example eu-west-1.
	// +required
	// +kubebuilder:validation:Pattern=`^[a-z0-9-]+$`
	// +kubebuilder:validation:MaxLength=64
	Region string `json:"region"`
	// messageGroupId for FIFO queues.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	MessageGroupID string `json:"messageGroupId,omitempty"`
	AWSCredentials `json:",inline"`
}

// S3Format is how events are written to S3.
// +kubebuilder:validation:Enum=json;raw
type S3Format string

// AWSS3Destination writes events as objects to an Amazon S3 bucket.
type AWSS3Destination struct {
	// bucket name.
	// +required
	// +kubebuilder:validation:MinLength=3
	// +kubebuilder:validation:MaxLength=63
	Bucket string `json:"bucket"`
	// region of the bucket, for example eu-west-1.
	// +required
	// +kubebuilder:validation:Pattern=`^[a-z0-9-]+$`
	// +kubebuilder:validation:MaxLength=64
	Region string `json:"region"`
	// prefix of the object keys.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Prefix string `json:"prefix,omitempty"`
	// format of each object: json (the event envelope) or raw (the payload as received).
	// +optional
	Format         S3Format `json:"format,omitempty"`
	AWSCredentials `json:",inline"`
}

// AWSEventBridgeDestination puts events on an Amazon EventBridge bus.
type AWSEventBridgeDestination struct {
	// eventBusArn of the target bus, for example arn:aws:events:eu-west-1:123456789012:event-bus/default.
	// +required
	// +kubebuilder:validation:Pattern=`^arn:aws[a-z-]*:events:`
	// +kubebuilder:validation:MaxLength=1600
	EventBusARN string `json:"eventBusArn"`
	// region of the bus, for example eu-west-1.
	// +required
	// +kubebuilder:validation:Pattern=`^[a-z0-9-]+$`
	// +kubebuilder:validation:MaxLength=64
	Region string `json:"region"`
	// source of the EventBridge entries.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Source string `json:"source"`
	// detailType of the EventBridge entries.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	DetailType     string `json:"detailType"`
	AWSCredentials `json:",inline"`
}

// GCPPubSubDestination publishes events to a Google Cloud Pub/Sub topic.
type GCPPubSubDestination struct {
	// projectId of the Google Cloud project.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	ProjectID string `json:"projectId"`
	// topicId of the Pub/Sub topic.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	TopicID string `json:"topicId"`
	// serviceAccountJsonSecretRef selects the Secret key holding the service account key file (JSON).
	// +required
	ServiceAccountJSONSecretRef SecretKeySelector `json:"serviceAccountJsonSecretRef"`
}

// KafkaDestination produces events to a Kafka topic.
// +kubebuilder:validation:XValidation:rule="!has(self.bootstrapServers) || !self.bootstrapServers.contains('@')",message="bootstrapServers must not carry credentials (user:password@host): set them in apiKey and apiSecretSecretRef",fieldPath=".bootstrapServers"
type KafkaDestination struct {
	// bootstrapServers, comma-separated host:port pairs.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	BootstrapServers string `json:"bootstrapServers"`
	// clusterId of the Kafka cluster.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	ClusterID string `json:"clusterId"`
	// topic that receives the events.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=249
	Topic string `json:"topic"`
	// apiKey of the Kafka credentials (the public half).
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	APIKey string `json:"apiKey"`
	// apiSecretSecretRef selects the Secret key holding the Kafka API secret.
	// +required
	APISecretSecretRef SecretKeySelector `json:"apiSecretSecretRef"`
}

// RabbitMQDestination publishes events to a RabbitMQ exchange.
// +kubebuilder:validation:XValidation:rule=`!has(self.url) || !self.url.matches(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*@")`,message="url must not carry a user name or password (user:password@host): set the user in username and the password in a Secret referenced by passwordSecretRef",fieldPath=".url"
// +kubebuilder:validation:XValidation:rule="!has(self.url) || isURL(self.url) && url(self.url).getScheme() in ['amqp', 'amqps']",message="url must be an amqp:// or amqps:// URL, for example amqps://rabbit.example.com:5671",fieldPath=".url"
type RabbitMQDestination struct {
	// url of the broker, for example amqps://rabbit.example.com:5671. Put no password in it: use passwordSecretRef.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	URL string `json:"url"`
	// vhost on the broker. Unset keeps hookstream's value (`/`).
	// +optional
	// +kubebuilder:validation:MaxLength=256
	VHost string `json:"vhost,omitempty"`
	// exchange that receives the events.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	Exchange string `json:"exchange"`
	// routingKey of the published messages.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	RoutingKey string `json:"routingKey"`
	// username on the broker.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Username string `json:"username"`
	// passwordSecretRef selects the Secret key holding the broker password.
	// +required
	PasswordSecretRef SecretKeySelector `json:"passwordSecretRef"`
}

// WebSocketDestination broadcasts events on a hookstream WebSocket channel.
type WebSocketDestination struct {
	// channelName: lowercase letters, digits, dots, underscores and dashes.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[a-z0-9._-]+$`
	ChannelName string `json:"channelName"`
}

// BackoffType is how the wait between retries grows.
// +kubebuilder:validation:Enum=exponential;linear;fixed
type BackoffType string

// RetryPolicy is the retry policy of failed deliveries. Unset fields are not managed.
type RetryPolicy struct {
	// enabled turns retries on or off.
	// +optional
	Enabled *bool `json:"enabled,omitempty"`
	// maxAttempts is the number of delivery attempts, 1 to 10.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=10
	MaxAttempts *int32 `json:"maxAttempts,omitempty"`
	// backoff: exponential waits intervalsSeconds[n-1] (the last one repeats), linear waits
	// intervalsSeconds[0] * n, fixed always waits intervalsSeconds[0].
	// +optional
	Backoff BackoffType `json:"backoff,omitempty"`
	// intervalsSeconds are the waits between attempts in seconds, 1 to 10 entries, each 1 to 86400.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=10
	// +kubebuilder:validation:items:Minimum=1
	// +kubebuilder:validation:items:Maximum=86400
	IntervalsSeconds []int32 `json:"intervalsSeconds,omitempty"`
}

// CircuitBreakerPolicy stops deliveries after consecutive failures. Unset fields are not managed.
type CircuitBreakerPolicy struct {
	// enabled turns the circuit breaker on or off.
	// +optional
	Enabled *bool `json:"enabled,omitempty"`
	// threshold is the number of consecutive failures that opens the circuit, 1 to 100.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	Threshold *int32 `json:"threshold,omitempty"`
	// resetSeconds is how long the circuit stays open before one probe delivery, 1 to 3600 seconds.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=3600
	ResetSeconds *int32 `json:"resetSeconds,omitempty"`
}

// DestinationStatus is the observed state of a Destination.
type DestinationStatus struct {
	// The status fields every kind has: observedGeneration, id, appliedSecretsHash, drift, driftObservedAt,
	// lastHandledReconcileAt and conditions.
	ManagedStatus `json:",inline"`

	// slug of the remote destination: spec.slug or the value derived from namespace and name.
	// +optional
	Slug string `json:"slug,omitempty"`

	// type of the remote destination in hookstream, for example http or aws_sqs.
	// +optional
	Type string `json:"type,omitempty"`

	// state is the remote destination's delivery state (API field `status`).
	// +optional
	State string `json:"state,omitempty"`

	// eventCount is the number of events hookstream routed to this destination.
	// +optional
	EventCount int64 `json:"eventCount,omitempty"`

	// lastDeliveryAt is the time of the latest delivery attempt.
	// +optional
	LastDeliveryAt *metav1.Time `json:"lastDeliveryAt,omitempty"`

	// createdAt is when hookstream created the destination.
	// +optional
	CreatedAt *metav1.Time `json:"createdAt,omitempty"`

	// updatedAt is when hookstream last changed the destination.
	// +optional
	UpdatedAt *metav1.Time `json:"updatedAt,omitempty"`

	// circuit is the destination's circuit breaker in hookstream, read again when its counters move or while it
	// is not closed. The Delivering condition summarises it.
	// +optional
	Circuit *CircuitStatus `json:"circuit,omitempty"`

	// lastHandledCircuitResetAt is the value of the hookstream.io/reset-circuit-requested-at annotation handled
	// last: the circuit was reset for it.
	// +optional
	LastHandledCircuitResetAt string `json:"lastHandledCircuitResetAt,omitempty"`
}

// CircuitState is the state of a destination's circuit breaker.
// +kubebuilder:validation:Enum=closed;open;half-open
type CircuitState string

// Circuit breaker states. A closed circuit delivers; an open one refuses deliveries until its reset time has
// passed; a half-open one lets one probe delivery through and closes when it succeeds.
const (
	CircuitClosed   CircuitState = "closed"
	CircuitOpen     CircuitState = "open"
	CircuitHalfOpen CircuitState = "half-open"
)

// CircuitStatus is a destination's circuit breaker as hookstream reports it.
type CircuitStatus struct {
	// state is closed (delivering), open (deliveries refused after failureCount consecutive failures) or
	// half-open (one probe delivery decides).
	// +required
	State CircuitState `json:"state"`

	// failureCount is the number of consecutive failed delivery attempts.
	// +optional
	FailureCount int64 `json:"failureCount,omitempty"`

	// lastTransitionAt is when the circuit last changed state; absent when it never did.
	// +optional
	LastTransitionAt *metav1.Time `json:"lastTransitionAt,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=hsdest;hsd,categories=hookstream
// +kubebuilder:printcolumn:name="ID",type=string,JSONPath=`.status.id`
// +kubebuilder:printcolumn:name="State",type=string,JSONPath=`.status.state`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Synced",type=string,JSONPath=`.status.conditions[?(@.type=="Synced")].status`
// +kubebuilder:printcolumn:name="Circuit",type=string,JSONPath=`.status.circuit.state`
// +kubebuilder:printcolumn:name="Last Delivery",type=date,JSONPath=`.status.lastDeliveryAt`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Slug",type=string,JSONPath=`.status.slug`,priority=1
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=`.status.type`,priority=1
// +kubebuilder:printcolumn:name="Events",type=integer,JSONPath=`.status.eventCount`,priority=1
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1

// Destination is a hookstream destination managed from Kubernetes: where hookstream delivers webhooks, with its
// retry policy and circuit breaker.
type Destination struct {
	metav1.TypeMeta `json:",inline"`

	// metadata is standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitzero"`

	// spec is the desired destination. Fields left unset are not managed: hookstream keeps its own value.
	// +required
	Spec DestinationSpec `json:"spec"`

	// status is the observed destination. A new Destination reads observedGeneration 0, so that status tools
	// (kstatus, Flux) see it as in progress until the operator has handled it.
	// +optional
	// +kubebuilder:default={observedGeneration: 0}
	Status DestinationStatus `json:"status,omitzero"`
}

// +kubebuilder:object:root=true

// DestinationList is a list of Destinations.
type DestinationList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitzero"`
	Items           []Destination `json:"items"`
}

func init() {
	SchemeBuilder.Register(func(s *runtime.Scheme) error {
		s.AddKnownTypes(SchemeGroupVersion, &Destination{}, &DestinationList{})
		return nil
	})
}

// GetManagedSpec returns the lifecycle fields of the spec.
func (d *Destination) GetManagedSpec() *ManagedSpec { return &d.Spec.ManagedSpec }

// GetManagedStatus returns the status fields every kind has.
func (d *Destination) GetManagedStatus() *ManagedStatus { return &d.Status.ManagedStatus }
