// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"k8s.io/utils/ptr"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
)

// contractRow is a remote destination as the contract's Destination schema spells it (a raw store row: objects as
// JSON-encoded strings, booleans as 0/1, every column present), with the contract's defaults for what the create
// request leaves out: method POST, timeout_ms 30000, auth_type none, status active, null policies.
func contractRow(overrides map[string]any) map[string]any {
	row := map[string]any{
		"id": "0123456789abcdef0123456789abcdef", "org_id": "org_1", "env_id": "env_1", "name": "orders",
		"slug": "orders", "type": "http", "url": "", "method": "POST", "headers": nil, "timeout_ms": 30000,
		"auth_type": "none", "auth_config": nil, "status": "active", "event_count": 0, "last_delivery_at": nil,
		"created_at": "2026-02-28T10:00:00Z", "updated_at": "2026-02-28T10:00:00Z",
		"retry_enabled": nil, "retry_max_attempts": nil, "retry_backoff_type": nil, "retry_intervals": nil,
		"circuit_breaker_enabled": nil, "circuit_breaker_threshold": nil, "circuit_breaker_reset_ms": nil,
		"provider_config": nil,
	}
	maps.Copy(row, overrides)
	return row
}

// decodeContractRow reads a row through the real client, as the operator does: GET /destinations/{id} answered
// with the row in its envelope.
func decodeContractRow(t *testing.T, row map[string]any) *hookstream.Destination {
	t.Helper()
	body, err := json.Marshal(map[string]any{"destination": row})
	if err != nil {
		t.Fatal(err)
	}
	transport := roundTripFunc(func(*http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(bytes.NewReader(body))}, nil
	})
	c, err := hookstream.New(hookstream.Options{BaseURL: "https://hookstream.invalid/v1", APIKey: "key",
		HTTPClient: &http.Client{Transport: transport}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.GetDestination(context.Background(), "0123456789abcdef0123456789abcdef")
	if err != nil {
		t.Fatalf("decoding the row: %v", err)
	}
	return got
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// mutableColumns are the columns of a row that a person could change in hookstream. The others are the row's
// identity (slug and type are CheckIdentity's) or read only.
var mutableColumns = []string{
	"name", "url", "method", "headers", "timeout_ms", "auth_type", "auth_config", "status", "retry_enabled",
	"retry_max_attempts", "retry_backoff_type", "retry_intervals", "circuit_breaker_enabled",
	"circuit_breaker_threshold", "circuit_breaker_reset_ms", "provider_config",
}

// rowMutation is one change to a row and the field name a comparison that manages it reports.
type rowMutation struct {
	field  string
	mutate func(row map[string]any)
}

// mutationsOf lists a change of every mutable column of row, and of every key of its JSON objects one by one: a
// masked secret is read back with other last characters, a plain value is changed, a null column is given a value.
func mutationsOf(row map[string]any) []rowMutation {
	var out []rowMutation
	other := map[string][2]string{ // a value of the column, and the one to change it to
		"method": {"POST", "PUT"}, "status": {"active", "paused"}, "auth_type": {"none", "bearer"},
		"retry_backoff_type": {"fixed", "linear"},
	}
	for _, column := range mutableColumns {
		switch v := row[column].(type) {
		case nil:
			value := map[string]any{"retry_enabled": 1, "circuit_breaker_enabled": 1, "retry_intervals": "[5]",
				"retry_backoff_type": "linear", "headers": `{"X-Added":"1"}`, "auth_config": `{"token":"****zzzz"}`,
				"provider_config": `{"added":"1"}`}[column]
			if value == nil {
				value = 4
			}
			out = append(out, rowMutation{column, func(r map[string]any) { r[column] = value }})
		case int:
			changed := v + 1000
			if strings.HasSuffix(column, "_enabled") {
				changed = 1 - v
			}
			out = append(out, rowMutation{column, func(r map[string]any) { r[column] = changed }})
		case string:
			if column == "retry_intervals" {
				out = append(out, rowMutation{column, func(r map[string]any) { r[column] = "[7]" }})
				continue
			}
			if column == "headers" || column == "auth_config" || column == "provider_config" {
				var object map[string]string
				if err := json.Unmarshal([]byte(v), &object); err != nil {
					panic(err)
				}
				for _, key := range slices.Sorted(maps.Keys(object)) {
					changed := maps.Clone(object)
					if strings.HasPrefix(object[key], "****") {
						changed[key] = "****zzzz"
					} else {
						changed[key] += "-changed"
					}
					encoded, _ := json.Marshal(changed)
					field := column + "." + key
					if column == "headers" {
						field = column
					}
					out = append(out, rowMutation{field, func(r map[string]any) { r[column] = string(encoded) }})
				}
				continue
			}
			changed := v + "-changed"
			if pair, ok := other[column]; ok {
				changed = pair[0]
				if v == pair[0] {
					changed = pair[1]
				}
			}
			out = append(out, rowMutation{column, func(r map[string]any) { r[column] = changed }})
		}
	}
	return out
}

// TestContractRowsConvergeForEveryField: for each spec, the row hookstream holds after creating it is written out
// from the contract (its column names, encodings, defaults, and the masks of secrets: "****" and the last four
// characters, "****" alone under eight), not computed by the operator. The row must satisfy the contract's
// Destination schema, read back through the client as up to date, and every change to one of its columns or
// keys must be reported under its name exactly when the spec manages it (managed lists those names).
func TestContractRowsConvergeForEveryField(t *testing.T) {
	schema := contractSchema(t, "Destination")
	// The values of testSecrets: tok-0123456789, pw-abcdefgh, abc and header-secret (headers are not masked).
	tests := map[string]struct {
		spec    v1.DestinationSpec
		row     map[string]any
		managed []string
	}{
		"http minimal": {
			spec:    v1.DestinationSpec{HTTP: &v1.HTTPDestination{URL: "https://example.com/h"}},
			row:     map[string]any{"url": "https://example.com/h"},
			managed: []string{"name", "url"},
		},
		"http full": {
			spec: v1.DestinationSpec{
				DisplayName: "Orders", State: v1.StatePaused,
				HTTP: &v1.HTTPDestination{
					URL: "https://example.com/h", Method: "PUT", TimeoutSeconds: ptr.To[int32](12),
					Headers:     map[string]string{"X-Team": "payments"},
					HeadersFrom: []v1.HeaderFromSecret{{Name: "X-Secret", ValueFrom: credsRef("hdr")}},
					Auth:        &v1.HTTPAuth{Type: v1.HTTPAuthBasic, Basic: &v1.BasicAuth{Username: "u", PasswordSecretRef: credsRef("password")}},
				},
				Retry: &v1.RetryPolicy{Enabled: new(true), MaxAttempts: ptr.To[int32](3), Backoff: "fixed", IntervalsSeconds: []int32{10}},
				CircuitBreaker: &v1.CircuitBreakerPolicy{
					Enabled: new(false), Threshold: ptr.To[int32](9), ResetSeconds: ptr.To[int32](30),
				},
			},
			row: map[string]any{
				"name": "Orders", "status": "paused", "url": "https://example.com/h", "method": "PUT", "timeout_ms": 12000,
				"headers":   `{"X-Secret":"header-secret","X-Team":"payments"}`,
				"auth_type": "basic", "auth_config": `{"password":"****efgh","username":"u"}`,
				"retry_enabled": 1, "retry_max_attempts": 3, "retry_backoff_type": "fixed", "retry_intervals": "[10]",
				"circuit_breaker_enabled": 0, "circuit_breaker_threshold": 9, "circuit_breaker_reset_ms": 30000,
			},
			managed: []string{"name", "status", "url", "method", "timeout_ms", "headers", "auth_type",
				"auth_config.password", "auth_config.username", "retry_enabled", "retry_max_attempts",
				"retry_backoff_type", "retry_intervals", "circuit_breaker_enabled", "circuit_breaker_threshold",
				"circuit_breaker_reset_ms"},
		},
		"http bearer": {
			spec: v1.DestinationSpec{HTTP: &v1.HTTPDestination{URL: "https://e.com",
				Auth: &v1.HTTPAuth{Type: v1.HTTPAuthBearer, Bearer: &v1.BearerAuth{TokenSecretRef: credsRef("token")}}}},
			row:     map[string]any{"url": "https://e.com", "auth_type": "bearer", "auth_config": `{"token":"****6789"}`},
			managed: []string{"name", "url", "auth_type", "auth_config.token"},
		},
		"http short token": {
			spec: v1.DestinationSpec{HTTP: &v1.HTTPDestination{URL: "https://e.com",
				Auth: &v1.HTTPAuth{Type: v1.HTTPAuthBearer, Bearer: &v1.BearerAuth{TokenSecretRef: credsRef("short")}}}},
			row:     map[string]any{"url": "https://e.com", "auth_type": "bearer", "auth_config": `{"token":"****"}`},
			managed: []string{"name", "url", "auth_type", "auth_config.token"},
		},
		"http api key": {
			spec: v1.DestinationSpec{HTTP: &v1.HTTPDestination{URL: "https://e.com",
				Auth: &v1.HTTPAuth{Type: v1.HTTPAuthAPIKey, APIKey: &v1.APIKeyAuth{Header: "X-Key", ValueSecretRef: credsRef("token")}}}},
			row:     map[string]any{"url": "https://e.com", "auth_type": "api_key", "auth_config": `{"header":"X-Key","value":"****6789"}`},
			managed: []string{"name", "url", "auth_type", "auth_config.header", "auth_config.value"},
		},
		"http auth none": {
			spec:    v1.DestinationSpec{HTTP: &v1.HTTPDestination{URL: "https://e.com", Auth: &v1.HTTPAuth{Type: v1.HTTPAuthNone}}},
			row:     map[string]any{"url": "https://e.com"},
			managed: []string{"name", "url", "auth_type", "auth_config"},
		},
		"sqs": {
			spec: v1.DestinationSpec{AWSSQS: &v1.AWSSQSDestination{QueueURL: "https://sqs.x/q", Region: "eu-west-1", MessageGroupID: "g", AWSCredentials: testAWSCredentials}},
			row: map[string]any{"type": "aws_sqs", "provider_config": `{"access_key_id":"AKIA","message_group_id":"g",` +
				`"queue_url":"https://sqs.x/q","region":"eu-west-1","secret_access_key":"****6789"}`},
			managed: []string{"name", "provider_config.access_key_id", "provider_config.message_group_id",
				"provider_config.queue_url", "provider_config.region", "provider_config.secret_access_key"},
		},
		"s3": {
			spec: v1.DestinationSpec{AWSS3: &v1.AWSS3Destination{Bucket: "b", Region: "eu-west-1", Prefix: "p/", Format: "raw", AWSCredentials: testAWSCredentials}},
			row: map[string]any{"type": "aws_s3", "provider_config": `{"access_key_id":"AKIA","bucket":"b","format":"raw",` +
				`"prefix":"p/","region":"eu-west-1","secret_access_key":"****6789"}`},
			managed: []string{"name", "provider_config.access_key_id", "provider_config.bucket", "provider_config.format",
				"provider_config.prefix", "provider_config.region", "provider_config.secret_access_key"},
		},
		"eventbridge": {
			spec: v1.DestinationSpec{AWSEventBridge: &v1.AWSEventBridgeDestination{EventBusARN: "arn:aws:events:x", Region: "r",
				Source: "s", DetailType: "d", AWSCredentials: testAWSCredentials}},
			row: map[string]any{"type": "aws_eventbridge", "provider_config": `{"access_key_id":"AKIA","detail_type":"d",` +
				`"event_bus_arn":"arn:aws:events:x","region":"r","secret_access_key":"****6789","source":"s"}`},
			managed: []string{"name", "provider_config.access_key_id", "provider_config.detail_type",
				"provider_config.event_bus_arn", "provider_config.region", "provider_config.secret_access_key",
				"provider_config.source"},
		},
		"pubsub": {
			spec: v1.DestinationSpec{GCPPubSub: &v1.GCPPubSubDestination{ProjectID: "p", TopicID: "t", ServiceAccountJSONSecretRef: credsRef("token")}},
			row: map[string]any{"type": "gcp_pubsub",
				"provider_config": `{"project_id":"p","service_account_json":"****6789","topic_id":"t"}`},
			managed: []string{"name", "provider_config.project_id", "provider_config.service_account_json", "provider_config.topic_id"},
		},
		"kafka": {
			spec: v1.DestinationSpec{Kafka: &v1.KafkaDestination{BootstrapServers: "b:9092", ClusterID: "c", Topic: "t", APIKey: "k",
				APISecretSecretRef: credsRef("password")}},
			row: map[string]any{"type": "kafka", "provider_config": `{"api_key":"k","api_secret":"****efgh",` +
				`"bootstrap_servers":"b:9092","cluster_id":"c","topic":"t"}`},
			managed: []string{"name", "provider_config.api_key", "provider_config.api_secret",
				"provider_config.bootstrap_servers", "provider_config.cluster_id", "provider_config.topic"},
		},
		"rabbitmq": {
			spec: v1.DestinationSpec{RabbitMQ: &v1.RabbitMQDestination{URL: "amqps://r", VHost: "/v", Exchange: "e", RoutingKey: "k",
				Username: "u", PasswordSecretRef: credsRef("password")}},
			row: map[string]any{"type": "rabbitmq", "provider_config": `{"exchange":"e","password":"****efgh",` +
				`"routing_key":"k","url":"amqps://r","username":"u","vhost":"/v"}`},
			managed: []string{"name", "provider_config.exchange", "provider_config.password", "provider_config.routing_key",
				"provider_config.url", "provider_config.username", "provider_config.vhost"},
		},
		"websocket": {
			spec:    v1.DestinationSpec{WebSocket: &v1.WebSocketDestination{ChannelName: "orders"}},
			row:     map[string]any{"type": "websocket", "provider_config": `{"channel_name":"orders"}`},
			managed: []string{"name", "provider_config.channel_name"},
		},
	}
	covered := map[string]bool{}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tc.spec.Slug = "orders"
			want, err := buildDesired(newDestination(tc.spec), resolveTestSecret)
			if err != nil {
				t.Fatal(err)
			}
			covered[want.request.Type] = true
			row := contractRow(tc.row)
			if err := schema.VisitJSON(decodedJSON(t, row), openapi3.MultiErrors()); err != nil {
				t.Fatalf("the expected row breaks the contract's Destination schema: %v", err)
			}
			if obs := compareDestination(want, decodeContractRow(t, row), false); !obs.UpToDate() {
				t.Errorf("the row hookstream holds for the spec is not up to date; differing fields %v", obs.Fields())
			}
			var reported []string
			for _, m := range mutationsOf(row) {
				changed := maps.Clone(row)
				m.mutate(changed)
				fields := compareDestination(want, decodeContractRow(t, changed), false).Fields()
				var expected []string
				if slices.Contains(tc.managed, m.field) {
					expected = []string{m.field}
					reported = append(reported, m.field)
				}
				if diff := cmp.Diff(expected, fields, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("a change of %s is reported as (-expected +reported):\n%s", m.field, diff)
				}
			}
			if diff := cmp.Diff(slices.Sorted(slices.Values(tc.managed)), slices.Compact(slices.Sorted(slices.Values(reported)))); diff != "" {
				t.Errorf("managed fields that no change of the row reaches (-managed +reached):\n%s", diff)
			}
		})
	}
	for _, p := range destinationProviders {
		if !covered[p.wireType] {
			t.Errorf("no case for the provider type %s", p.wireType)
		}
	}
}

// decodedJSON is v as encoding/json decodes it (numbers as float64), the form the schema validator expects.
func decodedJSON(t *testing.T, v any) any {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
