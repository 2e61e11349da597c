// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hookstream

import (
	"strings"
	"time"
)

// Destination types, in the long form the provider pages use and the emulator stores.
const (
	TypeHTTP           = "http"
	TypeAWSSQS         = "aws_sqs"
	TypeAWSS3          = "aws_s3"
	TypeAWSEventBridge = "aws_eventbridge"
	TypeGCPPubSub      = "gcp_pubsub"
	TypeKafka          = "kafka"
	TypeRabbitMQ       = "rabbitmq"
	TypeWebSocket      = "websocket"
)

// Statuses of destinations, sources and connections.
const (
	StatusActive   = "active"
	StatusPaused   = "paused"
	StatusDisabled = "disabled"
)

// Circuit breaker states.
const (
	CircuitClosed   = "closed"
	CircuitOpen     = "open"
	CircuitHalfOpen = "half-open"
)

// typeAliases are the short names hookstream's API guide uses.
var typeAliases = map[string]string{
	"sqs":         TypeAWSSQS,
	"s3":          TypeAWSS3,
	"eventbridge": TypeAWSEventBridge,
	"pubsub":      TypeGCPPubSub,
}

// NormalizeType maps a destination type to its long form ("sqs" -> "aws_sqs"), so that both spellings compare
// equal. Unknown types are returned lower-cased, to be judged by the server.
func NormalizeType(t string) string {
	t = strings.ToLower(strings.TrimSpace(t))
	if long, ok := typeAliases[t]; ok {
		return long
	}
	return t
}

// Destination is a decoded, normalised remote row. Pointer and nil fields are columns the server left null,
// which means "platform default".
type Destination struct {
	ID     string
	OrgID  string
	EnvID  string
	Name   string
	Slug   string
	Type   string // long form, see NormalizeType
	URL    string
	Method string // upper case

	Headers   map[string]string // nil when null
	TimeoutMS int

	AuthType   string
	AuthConfig map[string]string // nil when null; secret values arrive masked ("****" + last 4)

	Status string

	// ProviderConfig is nil when null. Non-string JSON values are rendered compactly as JSON text; secret values
	// arrive masked.
	ProviderConfig map[string]string

	RetryEnabled     *bool
	RetryMaxAttempts *int
	RetryBackoffType *string
	RetryIntervals   []int // seconds; nil when null

	CircuitBreakerEnabled   *bool
	CircuitBreakerThreshold *int
	CircuitBreakerResetMS   *int

	EventCount     int64
	LastDeliveryAt *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Circuit is a destination's circuit breaker.
type Circuit struct {
	State            string // CircuitClosed, CircuitOpen or CircuitHalfOpen
	FailureCount     int
	LastTransitionAt *time.Time
}

// CreateRequest is the body of POST /destinations. Requests send real JSON types; unset fields take the server's
// defaults.
type CreateRequest struct {
	Name           string            `json:"name"`
	Slug           string            `json:"slug"`
	Type           string            `json:"type,omitempty"`
	URL            string            `json:"url,omitempty"`
	Method         string            `json:"method,omitempty"`
	Headers        map[string]string `json:"headers,omitempty"`
	TimeoutMS      *int              `json:"timeout_ms,omitempty"`
	AuthType       string            `json:"auth_type,omitempty"`
	AuthConfig     map[string]string `json:"auth_config,omitempty"`
	ProviderConfig map[string]string `json:"provider_config,omitempty"`

	RetryEnabled     *bool   `json:"retry_enabled,omitempty"`
	RetryMaxAttempts *int    `json:"retry_max_attempts,omitempty"`
	RetryBackoffType *string `json:"retry_backoff_type,omitempty"`
	RetryIntervals   []int   `json:"retry_intervals,omitempty"`

	CircuitBreakerEnabled   *bool `json:"circuit_breaker_enabled,omitempty"`
	CircuitBreakerThreshold *int  `json:"circuit_breaker_threshold,omitempty"`
	CircuitBreakerResetMS   *int  `json:"circuit_breaker_reset_ms,omitempty"`
}

// String names the request without its secrets.
func (r CreateRequest) String() string {
	return "hookstream.CreateRequest{Slug: " + r.Slug + ", Type: " + r.Type + "}"
}

// GoString keeps secrets out of %#v as well.
func (r CreateRequest) GoString() string { return r.String() }
