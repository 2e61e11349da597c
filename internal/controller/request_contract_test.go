// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0
package controller

import (
	"context"
	"encoding/json"
	"maps"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"
	"k8s.io/utils/ptr"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/hookstream/contract"
)

// TestSpecMapsToTheContractsFields maps one spec per provider type to its create request and compares the JSON
// body with what the hookstream contract names each field (the expected bodies are written from the contract's
// tables, not from the mapping), then validates the body against the contract's DestinationCreate schema. A field
// sent under the wrong key, in the wrong unit or in the wrong object fails here.
func TestSpecMapsToTheContractsFields(t *testing.T) {
	schema := contractSchema(t, "DestinationCreate")
	const slug = "orders-slug"
	tests := map[string]struct {
		spec v1.DestinationSpec
		// body is the create request as the contract spells it (name and slug added by the test).
		body map[string]any
	}{
		"http with every field": {
			spec: v1.DestinationSpec{
				DisplayName: "Orders", State: v1.StatePaused,
				HTTP: &v1.HTTPDestination{
					URL: "https://example.com/h", Method: "PUT", TimeoutSeconds: ptr.To[int32](12),
					Headers:     map[string]string{"X-Team": "payments"},
					HeadersFrom: []v1.HeaderFromSecret{{Name: "X-Secret", ValueFrom: credsRef("hdr")}},
					Auth:        &v1.HTTPAuth{Type: v1.HTTPAuthBasic, Basic: &v1.BasicAuth{Username: "u", PasswordSecretRef: credsRef("password")}},
				},
				Retry: &v1.RetryPolicy{Enabled: new(true), MaxAttempts: ptr.To[int32](3), Backoff: "fixed", IntervalsSeconds: []int32{10, 60}},
				CircuitBreaker: &v1.CircuitBreakerPolicy{
					Enabled: new(false), Threshold: ptr.To[int32](9), ResetSeconds: ptr.To[int32](30),
				},
			},
			body: map[string]any{
				"name": "Orders", "type": "http", "url": "https://example.com/h", "method": "PUT", "timeout_ms": 12000.0,
				"headers":   map[string]any{"X-Team": "payments", "X-Secret": "header-secret"},
				"auth_type": "basic", "auth_config": map[string]any{"username": "u", "password": "pw-abcdefgh"},
				"retry_enabled": true, "retry_max_attempts": 3.0, "retry_backoff_type": "fixed", "retry_intervals": []any{10.0, 60.0},
				"circuit_breaker_enabled": false, "circuit_breaker_threshold": 9.0, "circuit_breaker_reset_ms": 30000.0,
			},
		},
		"http bearer": {
			spec: v1.DestinationSpec{HTTP: &v1.HTTPDestination{URL: "https://e.com", Auth: &v1.HTTPAuth{Type: v1.HTTPAuthBearer, Bearer: &v1.BearerAuth{TokenSecretRef: credsRef("token")}}}},
			body: map[string]any{"type": "http", "url": "https://e.com", "auth_type": "bearer", "auth_config": map[string]any{"token": "tok-0123456789"}},
		},
		"http api key": {
			spec: v1.DestinationSpec{HTTP: &v1.HTTPDestination{URL: "https://e.com", Auth: &v1.HTTPAuth{Type: v1.HTTPAuthAPIKey, APIKey: &v1.APIKeyAuth{Header: "X-Key", ValueSecretRef: credsRef("token")}}}},
			body: map[string]any{"type": "http", "url": "https://e.com", "auth_type": "api_key", "auth_config": map[string]any{"header": "X-Key", "value": "tok-0123456789"}},
		},
		"aws_sqs": {
			spec: v1.DestinationSpec{AWSSQS: &v1.AWSSQSDestination{QueueURL: "https://sqs.x/q", Region: "eu-west-1", MessageGroupID: "g", AWSCredentials: testAWSCredentials}},
			body: map[string]any{"type": "aws_sqs", "provider_config": map[string]any{
				"queue_url": "https://sqs.x/q", "region": "eu-west-1", "message_group_id": "g", "access_key_id": "AKIA", "secret_access_key": "tok-0123456789"}},
		},
		"aws_s3": {
			spec: v1.DestinationSpec{AWSS3: &v1.AWSS3Destination{Bucket: "b", Region: "eu-west-1", Prefix: "p/", Format: "raw", AWSCredentials: testAWSCredentials}},
			body: map[string]any{"type": "aws_s3", "provider_config": map[string]any{
				"bucket": "b", "region": "eu-west-1", "prefix": "p/", "format": "raw", "access_key_id": "AKIA", "secret_access_key": "tok-0123456789"}},
		},
		"aws_eventbridge": {
			spec: v1.DestinationSpec{AWSEventBridge: &v1.AWSEventBridgeDestination{EventBusARN: "arn:aws:events:x", Region: "r", Source: "s", DetailType: "d", AWSCredentials: testAWSCredentials}},
			body: map[string]any{"type": "aws_eventbridge", "provider_config": map[string]any{
				"event_bus_arn": "arn:aws:events:x", "region": "r", "source": "s", "detail_type": "d", "access_key_id": "AKIA", "secret_access_key": "tok-0123456789"}},
		},
		"gcp_pubsub": {
			spec: v1.DestinationSpec{GCPPubSub: &v1.GCPPubSubDestination{ProjectID: "p", TopicID: "t", ServiceAccountJSONSecretRef: credsRef("token")}},
			body: map[string]any{"type": "gcp_pubsub", "provider_config": map[string]any{"project_id": "p", "topic_id": "t", "service_account_json": "tok-0123456789"}},
		},
		"kafka": {
			spec: v1.DestinationSpec{Kafka: &v1.KafkaDestination{BootstrapServers: "b:9092", ClusterID: "c", Topic: "t", APIKey: "k", APISecretSecretRef: credsRef("password")}},
			body: map[string]any{"type": "kafka", "provider_config": map[string]any{
				"bootstrap_servers": "b:9092", "cluster_id": "c", "topic": "t", "api_key": "k", "api_secret": "pw-abcdefgh"}},
		},
		"rabbitmq": {
			spec: v1.DestinationSpec{RabbitMQ: &v1.RabbitMQDestination{URL: "amqps://r", VHost: "/v", Exchange: "e", RoutingKey: "k", Username: "u", PasswordSecretRef: credsRef("password")}},
			body: map[string]any{"type": "rabbitmq", "provider_config": map[string]any{
				"url": "amqps://r", "vhost": "/v", "exchange": "e", "routing_key": "k", "username": "u", "password": "pw-abcdefgh"}},
		},
		"websocket": {
			spec: v1.DestinationSpec{WebSocket: &v1.WebSocketDestination{ChannelName: "orders"}},
			body: map[string]any{"type": "websocket", "provider_config": map[string]any{"channel_name": "orders"}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tc.spec.Slug = slug
			d := newDestination(tc.spec)
			want, err := buildDesired(d, resolveTestSecret)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := json.Marshal(&want.request)
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatal(err)
			}
			expected := map[string]any{"slug": slug, "name": d.Name}
			maps.Copy(expected, tc.body)
			if diff := cmp.Diff(expected, got); diff != "" {
				t.Errorf("create request differs from the contract's fields (-contract +sent):\n%s", diff)
			}
			if err := schema.VisitJSON(got, openapi3.MultiErrors()); err != nil {
				t.Errorf("the create request breaks the contract's DestinationCreate schema: %v", err)
			}
		})
	}
}

// contractSchema is the schema of the repository's OpenAPI contract with the name.
func contractSchema(t *testing.T, name string) *openapi3.Schema {
	t.Helper()
	doc, err := contract.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ref, ok := doc.Components.Schemas[name]
	if !ok {
		t.Fatalf("the contract has no schema %s", name)
	}
	return ref.Value
}

// credsRef is a key of the Secret creds, the Secret the contract tests' specs read (testSecrets).
func credsRef(key string) v1.SecretKeySelector { return v1.SecretKeySelector{Name: "creds", Key: key} }

// testAWSCredentials are the AWS credentials of the contract tests' specs.
var testAWSCredentials = v1.AWSCredentials{AccessKeyID: "AKIA", SecretAccessKeySecretRef: credsRef("token")}
