// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

// Package integration checks the CustomResourceDefinitions on a real kube-apiserver: that they install, store and
// return Destinations, Sources and Connections, reject invalid ones with the messages users see at `kubectl apply`,
// document every field for `kubectl explain`, and show the columns and category `kubectl get` uses.
package integration

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/test/testenv"
)

var (
	k8s client.Client
	// env is the running control plane; its kubectl runs the real command line against it.
	env *envtest.Environment
)

func TestMain(m *testing.M) {
	var err error
	env, err = testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	k8s, err = client.New(env.Config, client.Options{Scheme: env.Scheme})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		_ = env.Stop()
		os.Exit(1)
	}
	code := m.Run()
	if err := env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

func httpDestination(name string) *v1.Destination {
	return &v1.Destination{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: v1.DestinationSpec{
			HTTP: &v1.HTTPDestination{URL: "https://receiver.example.com/hooks"},
		},
	}
}

func TestDestinationRoundTrip(t *testing.T) {
	ctx := context.Background()
	want := httpDestination("round-trip")
	want.Spec.DisplayName = "Orders"
	want.Spec.State = v1.StatePaused
	want.Spec.HTTP.Method = "PUT"
	want.Spec.HTTP.Headers = map[string]string{"X-Team": "payments"}
	want.Spec.HTTP.HeadersFrom = []v1.HeaderFromSecret{{Name: "X-Token", ValueFrom: v1.SecretKeySelector{Name: "s", Key: "token"}}}
	want.Spec.HTTP.TimeoutSeconds = ptr.To[int32](10)
	want.Spec.HTTP.Auth = &v1.HTTPAuth{Type: v1.HTTPAuthBearer, Bearer: &v1.BearerAuth{TokenSecretRef: v1.SecretKeySelector{Name: "s", Key: "bearer"}}}
	want.Spec.Retry = &v1.RetryPolicy{Enabled: new(true), MaxAttempts: ptr.To[int32](3), Backoff: "linear", IntervalsSeconds: []int32{5, 10}}
	want.Spec.CircuitBreaker = &v1.CircuitBreakerPolicy{Enabled: new(false), Threshold: ptr.To[int32](7), ResetSeconds: ptr.To[int32](120)}

	if err := k8s.Create(ctx, want.DeepCopy()); err != nil {
		t.Fatalf("create: %v", err)
	}
	got := &v1.Destination{}
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(want), got); err != nil {
		t.Fatalf("get: %v", err)
	}
	if diff := cmp.Diff(want.Spec, got.Spec); diff != "" {
		t.Errorf("spec read back differs (-sent +stored):\n%s", diff)
	}
	if err := k8s.Delete(ctx, got); err != nil {
		t.Fatalf("delete: %v", err)
	}
	err := k8s.Get(ctx, client.ObjectKeyFromObject(want), &v1.Destination{})
	if !apierrors.IsNotFound(err) {
		t.Fatalf("after delete, get returned %v, want NotFound", err)
	}
}

func TestInvalidDestinationsRejected(t *testing.T) {
	checkCreateRejected(t, httpDestination, map[string]rejection[*v1.Destination]{
		"no provider block": {
			mutate:  func(d *v1.Destination) { d.Spec.HTTP = nil },
			message: "set exactly one provider block",
		},
		"two provider blocks": {
			mutate:  func(d *v1.Destination) { d.Spec.WebSocket = &v1.WebSocketDestination{ChannelName: "orders"} },
			message: "set exactly one provider block",
		},
		"relative url": {
			mutate:  func(d *v1.Destination) { d.Spec.HTTP.URL = "/hooks" },
			message: "url must be an absolute http:// or https:// URL",
		},
		"ftp url": {
			mutate:  func(d *v1.Destination) { d.Spec.HTTP.URL = "ftp://example.com/x" },
			message: "url must be an absolute http:// or https:// URL",
		},
		"unknown method": {
			mutate:  func(d *v1.Destination) { d.Spec.HTTP.Method = "GET" },
			message: `spec.http.method: Unsupported value: "GET"`,
		},
		"timeout out of range": {
			mutate:  func(d *v1.Destination) { d.Spec.HTTP.TimeoutSeconds = ptr.To[int32](121) },
			message: "spec.http.timeoutSeconds: Invalid value: 121: spec.http.timeoutSeconds in body should be less than or equal to 120",
		},
		"retry attempts out of range": {
			mutate:  func(d *v1.Destination) { d.Spec.Retry = &v1.RetryPolicy{MaxAttempts: ptr.To[int32](11)} },
			message: "spec.retry.maxAttempts in body should be less than or equal to 10",
		},
		"retry interval out of range": {
			mutate:  func(d *v1.Destination) { d.Spec.Retry = &v1.RetryPolicy{IntervalsSeconds: []int32{0}} },
			message: "spec.retry.intervalsSeconds[0] in body should be greater than or equal to 1",
		},
		"unknown backoff": {
			mutate:  func(d *v1.Destination) { d.Spec.Retry = &v1.RetryPolicy{Backoff: "random"} },
			message: `spec.retry.backoff: Unsupported value: "random"`,
		},
		"circuit threshold out of range": {
			mutate: func(d *v1.Destination) {
				d.Spec.CircuitBreaker = &v1.CircuitBreakerPolicy{Threshold: ptr.To[int32](101)}
			},
			message: "spec.circuitBreaker.threshold in body should be less than or equal to 100",
		},
		"bad slug": {
			mutate:  func(d *v1.Destination) { d.Spec.Slug = "Orders_1" },
			message: "spec.slug in body should match '^[a-z0-9-]+$'",
		},
		"unknown state": {
			mutate:  func(d *v1.Destination) { d.Spec.State = "stopped" },
			message: `spec.state: Unsupported value: "stopped"`,
		},
		"bearer type without bearer block": {
			mutate:  func(d *v1.Destination) { d.Spec.HTTP.Auth = &v1.HTTPAuth{Type: v1.HTTPAuthBearer} },
			message: "set auth.bearer exactly when auth.type is bearer",
		},
		"header both plain and from secret": {
			mutate: func(d *v1.Destination) {
				d.Spec.HTTP.Headers = map[string]string{"X-Token": "a"}
				d.Spec.HTTP.HeadersFrom = []v1.HeaderFromSecret{{Name: "X-Token", ValueFrom: v1.SecretKeySelector{Name: "s", Key: "k"}}}
			},
			message: "a header is set both in headers and headersFrom",
		},
		"header both plain and from secret, in another case": {
			mutate: func(d *v1.Destination) {
				d.Spec.HTTP.Headers = map[string]string{"x-shared-key": "plain"}
				d.Spec.HTTP.HeadersFrom = []v1.HeaderFromSecret{{Name: "X-Shared-Key", ValueFrom: v1.SecretKeySelector{Name: "s", Key: "k"}}}
			},
			message: "a header is set both in headers and headersFrom (header names are compared without case",
		},
		"two plain headers differing in case": {
			mutate:  func(d *v1.Destination) { d.Spec.HTTP.Headers = map[string]string{"X-Team": "a", "x-team": "b"} },
			message: "spec.http.headers: Invalid value: two names in headers differ only in case",
		},
		"two headersFrom differing in case": {
			mutate: func(d *v1.Destination) {
				d.Spec.HTTP.HeadersFrom = []v1.HeaderFromSecret{
					{Name: "X-Token", ValueFrom: v1.SecretKeySelector{Name: "s", Key: "a"}},
					{Name: "x-token", ValueFrom: v1.SecretKeySelector{Name: "s", Key: "b"}},
				}
			},
			message: "spec.http.headersFrom: Invalid value: two entries of headersFrom name the same header",
		},
		"plain header name with a space": {
			mutate:  func(d *v1.Destination) { d.Spec.HTTP.Headers = map[string]string{"X Team": "a"} },
			message: "every name in headers must be an HTTP header name (an RFC 9110 token)",
		},
		"plain header name with a colon": {
			mutate:  func(d *v1.Destination) { d.Spec.HTTP.Headers = map[string]string{"X-Team:": "a"} },
			message: "every name in headers must be an HTTP header name",
		},
		"empty plain header name": {
			mutate:  func(d *v1.Destination) { d.Spec.HTTP.Headers = map[string]string{"": "a"} },
			message: "every name in headers must be an HTTP header name",
		},
		"plain header name with a non-ASCII letter": {
			mutate:  func(d *v1.Destination) { d.Spec.HTTP.Headers = map[string]string{"X-Équipe": "a"} },
			message: "every name in headers must be an HTTP header name",
		},
		"headersFrom name with a space": {
			mutate: func(d *v1.Destination) {
				d.Spec.HTTP.HeadersFrom = []v1.HeaderFromSecret{{Name: "X Token", ValueFrom: v1.SecretKeySelector{Name: "s", Key: "k"}}}
			},
			message: "spec.http.headersFrom[0].name: Invalid value: \"X Token\": name must be an HTTP header name",
		},
		"plain header value with CR LF": {
			mutate:  func(d *v1.Destination) { d.Spec.HTTP.Headers = map[string]string{"X-Team": "a\r\nX-Injected: 1"} },
			message: "spec.http.headers: Invalid value: a value in headers holds a control character",
		},
		"plain header value over 8192 characters": {
			mutate:  func(d *v1.Destination) { d.Spec.HTTP.Headers = map[string]string{"X-Big": strings.Repeat("v", 8193)} },
			message: "spec.http.headers.X-Big: Too long: may not be more than 8192",
		},
		"plain header value with NUL": {
			mutate:  func(d *v1.Destination) { d.Spec.HTTP.Headers = map[string]string{"X-Team": "a\x00b"} },
			message: "a value in headers holds a control character",
		},
		"plain header value with DEL": {
			mutate:  func(d *v1.Destination) { d.Spec.HTTP.Headers = map[string]string{"X-Team": "a\x7fb"} },
			message: "a value in headers holds a control character",
		},
		"plain header value with an escape": {
			mutate:  func(d *v1.Destination) { d.Spec.HTTP.Headers = map[string]string{"X-Team": "\x1b[31m"} },
			message: "a value in headers holds a control character",
		},
		"api key header not a header name": {
			mutate: func(d *v1.Destination) {
				d.Spec.HTTP.Auth = &v1.HTTPAuth{Type: v1.HTTPAuthAPIKey, APIKey: &v1.APIKeyAuth{Header: "X-Api Key",
					ValueSecretRef: v1.SecretKeySelector{Name: "s", Key: "k"}}}
			},
			message: "spec.http.auth.apiKey.header: Invalid value: \"X-Api Key\": header must be an HTTP header name",
		},
		"authorization header beside bearer auth": {
			mutate: func(d *v1.Destination) {
				d.Spec.HTTP.Headers = map[string]string{"authorization": "Bearer plain"}
				d.Spec.HTTP.Auth = &v1.HTTPAuth{Type: v1.HTTPAuthBearer, Bearer: &v1.BearerAuth{TokenSecretRef: v1.SecretKeySelector{Name: "s", Key: "k"}}}
			},
			message: "a header in headers or headersFrom is the one auth already sets",
		},
		"api key header also in headersFrom": {
			mutate: func(d *v1.Destination) {
				d.Spec.HTTP.HeadersFrom = []v1.HeaderFromSecret{{Name: "x-api-key", ValueFrom: v1.SecretKeySelector{Name: "s", Key: "a"}}}
				d.Spec.HTTP.Auth = &v1.HTTPAuth{Type: v1.HTTPAuthAPIKey, APIKey: &v1.APIKeyAuth{Header: "X-Api-Key",
					ValueSecretRef: v1.SecretKeySelector{Name: "s", Key: "k"}}}
			},
			message: "a header in headers or headersFrom is the one auth already sets",
		},
		"basic username with a colon": {
			mutate: func(d *v1.Destination) {
				d.Spec.HTTP.Auth = &v1.HTTPAuth{Type: v1.HTTPAuthBasic, Basic: &v1.BasicAuth{Username: "ops:admin",
					PasswordSecretRef: v1.SecretKeySelector{Name: "s", Key: "k"}}}
			},
			message: "spec.http.auth.basic.username: Invalid value: \"ops:admin\": username must hold no colon",
		},
		"basic username with LF": {
			mutate: func(d *v1.Destination) {
				d.Spec.HTTP.Auth = &v1.HTTPAuth{Type: v1.HTTPAuthBasic, Basic: &v1.BasicAuth{Username: "ops\nX-Injected: 1",
					PasswordSecretRef: v1.SecretKeySelector{Name: "s", Key: "k"}}}
			},
			message: "username must hold no colon (basic authentication sends user:password, so the first colon ends the username) and no control character",
		},
		"http url with user and password": {
			mutate:  func(d *v1.Destination) { d.Spec.HTTP.URL = "https://ops:hunter2@receiver.example.com/hooks" },
			message: "spec.http.url: Invalid value: url must not carry a user name or password (user:password@host): set them in spec.http.auth",
			hidden:  "hunter2",
		},
		"ftp url with a password": {
			mutate:  func(d *v1.Destination) { d.Spec.HTTP.URL = "ftp://ops:hunter2@example.com/x" },
			message: "url must be an absolute http:// or https:// URL",
			hidden:  "hunter2",
		},
		"http url with a user only": {
			mutate:  func(d *v1.Destination) { d.Spec.HTTP.URL = "http://ops@receiver.example.com/hooks" },
			message: "url must not carry a user name or password",
		},
		"http url with an empty userinfo": {
			mutate:  func(d *v1.Destination) { d.Spec.HTTP.URL = "https://@receiver.example.com/hooks" },
			message: "url must not carry a user name or password",
		},
		"sqs queue url with userinfo": {
			mutate: func(d *v1.Destination) {
				d.Spec.HTTP = nil
				d.Spec.AWSSQS = &v1.AWSSQSDestination{QueueURL: "https://AKIA:secret@sqs.eu-west-1.amazonaws.com/1/q",
					Region: "eu-west-1", AWSCredentials: v1.AWSCredentials{AccessKeyID: "AKIA",
						SecretAccessKeySecretRef: v1.SecretKeySelector{Name: "s", Key: "k"}}}
			},
			message: "spec.awsSqs.queueUrl: Invalid value: queueUrl must not carry a user name or password (user:password@host): set the AWS access key in accessKeyId",
			hidden:  "AKIA:secret",
		},
		"rabbitmq url with password": {
			mutate: func(d *v1.Destination) {
				d.Spec.HTTP = nil
				d.Spec.RabbitMQ = rabbitMQ("amqps://user:secret@rabbit.example.com")
			},
			message: "spec.rabbitmq.url: Invalid value: url must not carry a user name or password (user:password@host): set the user in username and the password in a Secret",
			hidden:  "secret@",
		},
		"rabbitmq url with a user only": {
			mutate: func(d *v1.Destination) {
				d.Spec.HTTP = nil
				d.Spec.RabbitMQ = rabbitMQ("amqps://user@rabbit.example.com")
			},
			message: "set the user in username",
		},
		"kafka bootstrap servers with credentials": {
			mutate: func(d *v1.Destination) {
				d.Spec.HTTP = nil
				d.Spec.Kafka = &v1.KafkaDestination{BootstrapServers: "SASL_SSL://key:secret@broker.example.com:9092",
					ClusterID: "c", Topic: "t", APIKey: "key", APISecretSecretRef: v1.SecretKeySelector{Name: "s", Key: "k"}}
			},
			message: "spec.kafka.bootstrapServers: Invalid value: bootstrapServers must not carry credentials (user:password@host): set them in apiKey and apiSecretSecretRef",
			hidden:  "key:secret",
		},
		"websocket channel pattern": {
			mutate: func(d *v1.Destination) {
				d.Spec.HTTP = nil
				d.Spec.WebSocket = &v1.WebSocketDestination{ChannelName: "Orders!"}
			},
			message: "spec.websocket.channelName in body should match",
		},
	})
}

func TestValidDestinationsAccepted(t *testing.T) {
	checkCreateAccepted(t, httpDestination, map[string]func(d *v1.Destination){
		"header names with every token character": func(d *v1.Destination) {
			d.Spec.HTTP.Headers = map[string]string{"X-Custom_Header.1": "a", "!#$%&'*+-.^_`|~": "b"}
			d.Spec.HTTP.HeadersFrom = []v1.HeaderFromSecret{{Name: "X-Token_2.b", ValueFrom: v1.SecretKeySelector{Name: "s", Key: "k"}}}
		},
		"header values with a tab, spaces, quotes and non-ASCII text": func(d *v1.Destination) {
			d.Spec.HTTP.Headers = map[string]string{"X-Note": "a\tb c \"d\" été ✓", "X-Empty": ""}
		},
		"the same header name in headers and headersFrom of another name": func(d *v1.Destination) {
			d.Spec.HTTP.Headers = map[string]string{"X-Token-Id": "a"}
			d.Spec.HTTP.HeadersFrom = []v1.HeaderFromSecret{{Name: "X-Token", ValueFrom: v1.SecretKeySelector{Name: "s", Key: "k"}}}
		},
		"an Authorization header without auth": func(d *v1.Destination) {
			d.Spec.HTTP.Headers = map[string]string{"Authorization": "Bearer public"}
		},
		"an Authorization header beside an api key in another header": func(d *v1.Destination) {
			d.Spec.HTTP.Headers = map[string]string{"Authorization": "Bearer public"}
			d.Spec.HTTP.Auth = &v1.HTTPAuth{Type: v1.HTTPAuthAPIKey, APIKey: &v1.APIKeyAuth{Header: "X-Api-Key",
				ValueSecretRef: v1.SecretKeySelector{Name: "s", Key: "k"}}}
		},
		"an @ in the path, query and fragment of the url": func(d *v1.Destination) {
			d.Spec.HTTP.URL = "https://receiver.example.com/users/@me?by=a@b#@x"
		},
		"a basic username with spaces, dots and non-ASCII letters": func(d *v1.Destination) {
			d.Spec.HTTP.Auth = &v1.HTTPAuth{Type: v1.HTTPAuthBasic, Basic: &v1.BasicAuth{Username: "Zoë ops.team@example.com",
				PasswordSecretRef: v1.SecretKeySelector{Name: "s", Key: "k"}}}
		},
		"fifty headers and fifty headersFrom": func(d *v1.Destination) {
			d.Spec.HTTP.Headers = map[string]string{}
			for i := range 50 {
				d.Spec.HTTP.Headers[fmt.Sprintf("X-Plain-%d", i)] = "v"
				d.Spec.HTTP.HeadersFrom = append(d.Spec.HTTP.HeadersFrom, v1.HeaderFromSecret{Name: fmt.Sprintf("X-Secret-%d", i),
					ValueFrom: v1.SecretKeySelector{Name: "s", Key: "k"}})
			}
		},
	})
}

func TestImmutableDestinationFieldsRejectedOnUpdate(t *testing.T) {
	checkUpdateRejected(t, httpDestination, map[string]transition[*v1.Destination]{
		"slug changed": {
			initial: func(d *v1.Destination) { d.Spec.Slug = "orders" },
			change:  func(d *v1.Destination) { d.Spec.Slug = "orders-2" },
			message: "spec.slug is immutable",
		},
		"slug added later": {
			initial: func(d *v1.Destination) {},
			change:  func(d *v1.Destination) { d.Spec.Slug = "orders" },
			message: "spec.slug is immutable",
		},
		"provider type changed": {
			initial: func(d *v1.Destination) {},
			change:  toWebSocket,
			message: "the provider type is immutable",
		},
		"provider type changed from websocket to rabbitmq": {
			initial: toWebSocket,
			change: func(d *v1.Destination) {
				d.Spec.WebSocket = nil
				d.Spec.RabbitMQ = rabbitMQ("amqps://rabbit.example.com")
			},
			message: "the provider type is immutable",
		},
		"provider type changed back to http": {
			initial: toWebSocket,
			change: func(d *v1.Destination) {
				d.Spec.WebSocket = nil
				d.Spec.HTTP = &v1.HTTPDestination{URL: "https://example.com/hooks"}
			},
			message: "the provider type is immutable",
		},
	})
}

// toWebSocket makes an http Destination a websocket one.
func toWebSocket(d *v1.Destination) {
	d.Spec.HTTP = nil
	d.Spec.WebSocket = &v1.WebSocketDestination{ChannelName: "orders"}
}

// rabbitMQ is a RabbitMQ provider block, valid but for what url may carry.
func rabbitMQ(url string) *v1.RabbitMQDestination {
	return &v1.RabbitMQDestination{URL: url, Exchange: "x", Username: "u",
		PasswordSecretRef: v1.SecretKeySelector{Name: "s", Key: "k"}}
}
