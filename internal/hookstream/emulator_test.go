// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hookstream

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hookstream/hookstream-operator/internal/emulator"
)

// These tests run the client against the emulator through contractTransport: every request and every answer
// is checked against the OpenAPI document, status codes included.

const otherAPIKey = "hs_test_fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

// startEmulator serves a fresh in-memory emulator; wrap, when set, sees every request first.
func startEmulator(t *testing.T, opts emulator.Options, wrap func(http.Handler) http.Handler) (*emulator.Server, string) {
	t.Helper()
	if opts.APIKeys == nil {
		opts.APIKeys = []string{testAPIKey, otherAPIKey}
	}
	server, err := emulator.New(opts)
	if err != nil {
		t.Fatalf("emulator.New: %v", err)
	}
	var handler http.Handler = server
	if wrap != nil {
		handler = wrap(server)
	}
	httpServer := httptest.NewServer(handler)
	t.Cleanup(func() {
		httpServer.Close()
		if err := server.Close(); err != nil {
			t.Errorf("emulator Close: %v", err)
		}
	})
	return server, httpServer.URL + "/v1"
}

func withKey(key string) testClientOption {
	return withOptions(func(o *Options) { o.APIKey = key })
}

// providerFixture is a valid create request of one type and the provider_config keys that read back masked.
type providerFixture struct {
	req     CreateRequest
	secrets []string
}

func providerFixtures() map[string]providerFixture {
	return map[string]providerFixture{
		TypeHTTP: {req: CreateRequest{
			Type: TypeHTTP, URL: "https://hooks.example.test/orders", Method: "PUT",
			Headers: map[string]string{"X-Team": "payments"}, TimeoutMS: new(5000),
			AuthType: "bearer", AuthConfig: map[string]string{"token": "tok_live_abcdef123456"},
		}},
		TypeAWSSQS: {req: CreateRequest{Type: TypeAWSSQS, ProviderConfig: map[string]string{
			"queue_url": "https://sqs.eu-west-1.amazonaws.com/123456789012/orders.fifo", "region": "eu-west-1",
			"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
			"message_group_id": "orders",
		}}, secrets: []string{"secret_access_key"}},
		TypeAWSS3: {req: CreateRequest{Type: TypeAWSS3, ProviderConfig: map[string]string{
			"bucket": "webhook-archive", "region": "us-east-1", "access_key_id": "AKIAIOSFODNN7EXAMPLE",
			"secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "prefix": "events/", "format": "json",
		}}, secrets: []string{"secret_access_key"}},
		TypeAWSEventBridge: {req: CreateRequest{Type: TypeAWSEventBridge, ProviderConfig: map[string]string{
			"event_bus_arn": "arn:aws:events:eu-west-1:123456789012:event-bus/orders", "region": "eu-west-1",
			"source": "hookstream.orders", "detail_type": "OrderEvent", "access_key_id": "AKIAIOSFODNN7EXAMPLE",
			"secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		}}, secrets: []string{"secret_access_key"}},
		TypeGCPPubSub: {req: CreateRequest{Type: TypeGCPPubSub, ProviderConfig: map[string]string{
			"project_id": "acme-prod", "topic_id": "orders",
			"service_account_json": `{"type":"service_account","private_key":"-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"}`,
		}}, secrets: []string{"service_account_json"}},
		TypeKafka: {req: CreateRequest{Type: TypeKafka, ProviderConfig: map[string]string{
			"bootstrap_servers": "pkc-123.eu-west-1.aws.confluent.cloud:9092", "cluster_id": "lkc-abc123",
			"topic": "orders", "api_key": "CKEYABCDEF", "api_secret": "csecret-0123456789abcdef",
		}}, secrets: []string{"api_secret"}},
		TypeRabbitMQ: {req: CreateRequest{Type: TypeRabbitMQ, ProviderConfig: map[string]string{
			"url": "amqps://rabbit.example.test:5671", "vhost": "/prod", "exchange": "orders",
			"routing_key": "orders.created", "username": "hookstream", "password": "rabbit-password-42",
		}}, secrets: []string{"password"}},
		TypeWebSocket: {req: CreateRequest{Type: TypeWebSocket, ProviderConfig: map[string]string{
			"channel_name": "orders.live-feed_1",
		}}},
	}
}

func TestEmulatorCreateEveryType(t *testing.T) {
	_, baseURL := startEmulator(t, emulator.Options{}, nil)
	for typ, fixture := range providerFixtures() {
		for _, spelling := range []string{typ, shortAlias(typ)} {
			if spelling == "" {
				continue
			}
			t.Run(spelling, func(t *testing.T) {
				client, _ := newContractClient(t, baseURL)
				req := fixture.req
				req.Type = spelling
				req.Name = "Orders via " + spelling
				req.Slug = "orders-" + strings.ReplaceAll(spelling, "_", "-")
				if typ == TypeAWSSQS {
					req.RetryEnabled = new(true)
					req.RetryMaxAttempts = new(3)
					req.RetryBackoffType = new("linear")
					req.RetryIntervals = []int{10, 60}
					req.CircuitBreakerEnabled = new(false)
					req.CircuitBreakerThreshold = new(9)
					req.CircuitBreakerResetMS = new(120000)
				}
				created, err := client.CreateDestination(t.Context(), &req)
				if err != nil {
					t.Fatalf("CreateDestination: %v", err)
				}
				want := expectedAfterCreate(req, fixture.secrets)
				if diff := cmp.Diff(want, created, ignoreServerAssigned); diff != "" {
					t.Errorf("created (-want +got):\n%s", diff)
				}
				if created.ID == "" || created.OrgID == "" || created.EnvID == "" || created.CreatedAt.IsZero() {
					t.Errorf("server-assigned fields missing: %+v", created)
				}
				got, err := client.GetDestination(t.Context(), created.ID)
				if err != nil {
					t.Fatalf("GetDestination: %v", err)
				}
				if diff := cmp.Diff(created, got); diff != "" {
					t.Errorf("read back (-created +got):\n%s", diff)
				}
			})
		}
	}
}

func shortAlias(typ string) string {
	for short, long := range typeAliases {
		if long == typ {
			return short
		}
	}
	return ""
}

// ignoreServerAssigned leaves out what only the server decides.
var ignoreServerAssigned = cmpopts.IgnoreFields(Destination{}, "ID", "OrgID", "EnvID", "CreatedAt", "UpdatedAt")

// authSecrets are the auth_config keys that read back masked.
var authSecrets = []string{"token", "password", "value"}

// masked is the documented read-back form of a secret: "****" and its last 4 characters, "****" alone below 8.
func masked(secret string) string {
	const prefix = "****"
	runes := []rune(secret)
	if len(runes) < 8 {
		return prefix
	}
	return prefix + string(runes[len(runes)-4:])
}

func maskedCopy(config map[string]string, secrets []string) map[string]string {
	if config == nil {
		return nil
	}
	out := maps.Clone(config)
	for _, key := range secrets {
		if value, ok := out[key]; ok {
			out[key] = masked(value)
		}
	}
	return out
}

// expectedAfterCreate is the destination a create request should produce, with the documented defaults.
func expectedAfterCreate(req CreateRequest, providerSecrets []string) *Destination {
	want := &Destination{
		Name: req.Name, Slug: req.Slug, Type: NormalizeType(req.Type), URL: req.URL, Method: req.Method,
		Headers: req.Headers, TimeoutMS: 30000, AuthType: req.AuthType,
		AuthConfig:     maskedCopy(req.AuthConfig, authSecrets),
		Status:         StatusActive,
		ProviderConfig: maskedCopy(req.ProviderConfig, providerSecrets),
		RetryEnabled:   req.RetryEnabled, RetryMaxAttempts: req.RetryMaxAttempts, RetryBackoffType: req.RetryBackoffType,
		RetryIntervals: req.RetryIntervals, CircuitBreakerEnabled: req.CircuitBreakerEnabled,
		CircuitBreakerThreshold: req.CircuitBreakerThreshold, CircuitBreakerResetMS: req.CircuitBreakerResetMS,
	}
	if want.Type == "" {
		want.Type = TypeHTTP
	}
	if want.Method == "" {
		want.Method = http.MethodPost
	}
	if req.TimeoutMS != nil {
		want.TimeoutMS = *req.TimeoutMS
	}
	if want.AuthType == "" {
		want.AuthType = "none"
	}
	return want
}

func TestEmulatorListsEveryPage(t *testing.T) {
	_, baseURL := startEmulator(t, emulator.Options{}, nil)
	client, transport := newContractClient(t, baseURL)
	const total = 250
	created := make([]string, 0, total)
	for i := range total {
		dest, err := client.CreateDestination(t.Context(), &CreateRequest{
			Name: "Destination " + strconv.Itoa(i), Slug: "dest-" + strconv.Itoa(i), URL: "https://hooks.example.test/" + strconv.Itoa(i),
		})
		if err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
		created = append(created, dest.ID)
	}
	listsBefore := len(listRequests(transport))

	var walked []string
	for dest, err := range client.AllDestinations(t.Context()) {
		if err != nil {
			t.Fatalf("AllDestinations: %v", err)
		}
		walked = append(walked, dest.ID)
	}

	newestFirst := slices.Clone(created)
	slices.Reverse(newestFirst)
	if diff := cmp.Diff(newestFirst, walked); diff != "" {
		t.Errorf("walked ids, newest first (-want +got):\n%s", diff)
	}
	lists := listRequests(transport)[listsBefore:]
	if len(lists) != 3 {
		t.Errorf("%d list requests for %d destinations, want 3", len(lists), total)
	}
	for i, ex := range lists {
		if got := ex.Query.Get("limit"); got != strconv.Itoa(MaxPageSize) {
			t.Errorf("page %d: limit=%q, want %d", i, got, MaxPageSize)
		}
		if hasCursor := ex.Query.Get("cursor") != ""; hasCursor != (i > 0) {
			t.Errorf("page %d: cursor sent = %t", i, hasCursor)
		}
	}
}

func listRequests(transport *contractTransport) []exchange {
	var lists []exchange
	for _, ex := range transport.Exchanges() {
		if ex.Method == http.MethodGet && ex.Path == "/v1/destinations" {
			lists = append(lists, ex)
		}
	}
	return lists
}

func TestEmulatorPatch(t *testing.T) {
	_, baseURL := startEmulator(t, emulator.Options{}, nil)
	base := CreateRequest{
		URL: "https://hooks.example.test/orders", Method: "POST", Headers: map[string]string{"X-Team": "payments", "X-Env": "prod"},
		TimeoutMS: new(10000), AuthType: "bearer", AuthConfig: map[string]string{"token": "tok_live_abcdef123456"},
		RetryEnabled: new(true), RetryMaxAttempts: new(4), RetryBackoffType: new("fixed"), RetryIntervals: []int{60},
		CircuitBreakerEnabled: new(true), CircuitBreakerThreshold: new(3), CircuitBreakerResetMS: new(30000),
	}
	tests := map[string]struct {
		update   UpdateRequest
		wantKeys []string
		// apply edits the destination as it was into the one expected after the PATCH.
		apply func(d *Destination)
	}{
		"one field": {
			update:   UpdateRequest{Name: Set("Renamed")},
			wantKeys: []string{"name"},
			apply:    func(d *Destination) { d.Name = "Renamed" },
		},
		"status": {
			update:   UpdateRequest{Status: Set(StatusDisabled)},
			wantKeys: []string{"status"},
			apply:    func(d *Destination) { d.Status = StatusDisabled },
		},
		"headers are replaced, not merged": {
			update:   UpdateRequest{Headers: Set(map[string]string{"X-New": "1"})},
			wantKeys: []string{"headers"},
			apply:    func(d *Destination) { d.Headers = map[string]string{"X-New": "1"} },
		},
		"several retry fields": {
			update: UpdateRequest{RetryBackoffType: Set("exponential"), RetryIntervals: Set([]int{5, 50, 500}),
				RetryMaxAttempts: Set(10)},
			wantKeys: []string{"retry_backoff_type", "retry_intervals", "retry_max_attempts"},
			apply: func(d *Destination) {
				d.RetryBackoffType, d.RetryIntervals, d.RetryMaxAttempts = new("exponential"), []int{5, 50, 500}, new(10)
			},
		},
		"false and zero-like values are sent": {
			update:   UpdateRequest{RetryEnabled: Set(false), CircuitBreakerEnabled: Set(false)},
			wantKeys: []string{"circuit_breaker_enabled", "retry_enabled"},
			apply:    func(d *Destination) { d.RetryEnabled, d.CircuitBreakerEnabled = new(false), new(false) },
		},
		"null clears to the platform default": {
			update: UpdateRequest{RetryMaxAttempts: Null[int](), RetryIntervals: Null[[]int](),
				CircuitBreakerThreshold: Null[int](), Headers: Null[map[string]string]()},
			wantKeys: []string{"circuit_breaker_threshold", "headers", "retry_intervals", "retry_max_attempts"},
			apply: func(d *Destination) {
				d.RetryMaxAttempts, d.RetryIntervals, d.CircuitBreakerThreshold, d.Headers = nil, nil, nil, nil
			},
		},
		"auth is switched whole": {
			update: UpdateRequest{AuthType: Set("basic"),
				AuthConfig: Set(map[string]string{"username": "svc", "password": "pa55word-xyz"})},
			wantKeys: []string{"auth_config", "auth_type"},
			apply: func(d *Destination) {
				d.AuthType, d.AuthConfig = "basic", map[string]string{"username": "svc", "password": masked("pa55word-xyz")}
			},
		},
		"delivery settings": {
			update:   UpdateRequest{URL: Set("https://hooks.example.test/v2"), Method: Set("PATCH"), TimeoutMS: Set(120000)},
			wantKeys: []string{"method", "timeout_ms", "url"},
			apply: func(d *Destination) {
				d.URL, d.Method, d.TimeoutMS = "https://hooks.example.test/v2", "PATCH", 120000
			},
		},
	}
	i := 0
	for name, tc := range tests {
		i++
		slug := "patch-" + strconv.Itoa(i)
		t.Run(name, func(t *testing.T) {
			client, transport := newContractClient(t, baseURL)
			req := base
			req.Name, req.Slug = "Patch "+slug, slug
			before, err := client.CreateDestination(t.Context(), &req)
			if err != nil {
				t.Fatalf("create: %v", err)
			}
			after, err := client.UpdateDestination(t.Context(), before.ID, &tc.update)
			if err != nil {
				t.Fatalf("UpdateDestination: %v", err)
			}

			var sent map[string]json.RawMessage
			if err := json.Unmarshal(transport.last(t).Body, &sent); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.wantKeys, slices.Sorted(maps.Keys(sent))); diff != "" {
				t.Errorf("keys sent (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantKeys, tc.update.Fields()); diff != "" {
				t.Errorf("Fields (-want +got):\n%s", diff)
			}

			want := *before
			tc.apply(&want)
			if diff := cmp.Diff(&want, after, cmpopts.IgnoreFields(Destination{}, "UpdatedAt")); diff != "" {
				t.Errorf("after the PATCH (-want +got):\n%s", diff)
			}
			got, err := client.GetDestination(t.Context(), before.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(after, got); diff != "" {
				t.Errorf("read back (-patched +got):\n%s", diff)
			}
		})
	}
}

func TestEmulatorDelete(t *testing.T) {
	_, baseURL := startEmulator(t, emulator.Options{}, nil)
	client, _ := newContractClient(t, baseURL)
	dest, err := client.CreateDestination(t.Context(), &CreateRequest{Name: "Doomed", Slug: "doomed", URL: "https://hooks.example.test/x"})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.DeleteDestination(t.Context(), dest.ID); err != nil {
		t.Fatalf("first delete: %v", err)
	}
	if _, err := client.GetDestination(t.Context(), dest.ID); !IsNotFound(err) {
		t.Errorf("get after delete: %v, want IsNotFound", err)
	}
	if err := client.DeleteDestination(t.Context(), dest.ID); !IsNotFound(err) {
		t.Errorf("second delete: %v, want IsNotFound", err)
	}
	// The slug is free again.
	if _, err := client.CreateDestination(t.Context(), &CreateRequest{Name: "Again", Slug: "doomed", URL: "https://hooks.example.test/x"}); err != nil {
		t.Errorf("create with the freed slug: %v", err)
	}
}

func TestEmulatorCircuit(t *testing.T) {
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	t.Cleanup(failing.Close)
	server, baseURL := startEmulator(t, emulator.Options{}, nil)
	client, _ := newContractClient(t, baseURL)
	dest, err := client.CreateDestination(t.Context(), &CreateRequest{
		Name: "Flaky", Slug: "flaky", URL: failing.URL, RetryEnabled: new(false),
		CircuitBreakerEnabled: new(true), CircuitBreakerThreshold: new(2), CircuitBreakerResetMS: new(3600000),
	})
	if err != nil {
		t.Fatal(err)
	}

	circuit, err := client.GetCircuit(t.Context(), dest.ID)
	if err != nil {
		t.Fatalf("GetCircuit: %v", err)
	}
	if diff := cmp.Diff(&Circuit{State: CircuitClosed}, circuit); diff != "" {
		t.Errorf("new circuit (-want +got):\n%s", diff)
	}

	if _, err := server.Deliver(t.Context(), dest.ID, 2); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	circuit, err = client.GetCircuit(t.Context(), dest.ID)
	if err != nil {
		t.Fatalf("GetCircuit: %v", err)
	}
	if circuit.State != CircuitOpen || circuit.FailureCount < 2 || circuit.LastTransitionAt == nil {
		t.Errorf("after 2 failures: %+v, want open with a transition time", circuit)
	}

	reset, err := client.ResetCircuit(t.Context(), dest.ID)
	if err != nil {
		t.Fatalf("ResetCircuit: %v", err)
	}
	if reset.State != CircuitClosed || reset.FailureCount != 0 {
		t.Errorf("after reset: %+v, want closed with no failures", reset)
	}
	after, err := client.GetDestination(t.Context(), dest.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.EventCount != 2 || after.LastDeliveryAt == nil {
		t.Errorf("event_count %d, last_delivery_at %v; want 2 and a time", after.EventCount, after.LastDeliveryAt)
	}

	for name, call := range map[string]func() error{
		"get": func() error { _, err := client.GetCircuit(t.Context(), "00000000000000000000000000000000"); return err },
		"reset": func() error {
			_, err := client.ResetCircuit(t.Context(), "00000000000000000000000000000000")
			return err
		},
	} {
		if err := call(); !IsNotFound(err) {
			t.Errorf("%s of a missing circuit: %v, want IsNotFound", name, err)
		}
	}
}

func TestEmulatorErrors(t *testing.T) {
	_, baseURL := startEmulator(t, emulator.Options{MaxDestinations: 3}, nil)
	owner, _ := newContractClient(t, baseURL)
	mine, err := owner.CreateDestination(t.Context(), &CreateRequest{Name: "Mine", Slug: "mine", URL: "https://hooks.example.test/m"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := owner.CreateDestination(t.Context(), &CreateRequest{Name: "Two", Slug: "two", URL: "https://hooks.example.test/2"}); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.CreateDestination(t.Context(), &CreateRequest{Name: "Three", Slug: "three", URL: "https://hooks.example.test/3"}); err != nil {
		t.Fatal(err)
	}

	tests := map[string]struct {
		key  string
		call func(ctx context.Context, c *Client) error
		want []string
	}{
		"401 bad key on list": {
			key: "hs_test_0000000000000000000000000000000000000000000000000000000000000000",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.ListDestinations(ctx, ListOptions{})
				return err
			},
			want: []string{"ErrUnauthorized"},
		},
		"401 bad key on create": {
			key: "hs_test_0000000000000000000000000000000000000000000000000000000000000000",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.CreateDestination(ctx, &CreateRequest{Name: "x", Slug: "x", URL: "https://hooks.example.test/x"})
				return err
			},
			want: []string{"ErrUnauthorized"},
		},
		"404 for another project's id on get": {
			key:  otherAPIKey,
			call: func(ctx context.Context, c *Client) error { _, err := c.GetDestination(ctx, mine.ID); return err },
			want: []string{"ErrNotFound"},
		},
		"404 for another project's id on patch": {
			key: otherAPIKey,
			call: func(ctx context.Context, c *Client) error {
				_, err := c.UpdateDestination(ctx, mine.ID, &UpdateRequest{Name: Set("stolen")})
				return err
			},
			want: []string{"ErrNotFound"},
		},
		"404 for another project's id on delete": {
			key:  otherAPIKey,
			call: func(ctx context.Context, c *Client) error { return c.DeleteDestination(ctx, mine.ID) },
			want: []string{"ErrNotFound"},
		},
		"404 for a dst_ id that does not exist": {
			key:  testAPIKey,
			call: func(ctx context.Context, c *Client) error { _, err := c.GetDestination(ctx, "dst_01HQZ6"); return err },
			want: []string{"ErrNotFound"},
		},
		"409 duplicate slug": {
			key: testAPIKey,
			call: func(ctx context.Context, c *Client) error {
				_, err := c.CreateDestination(ctx, &CreateRequest{Name: "Again", Slug: "mine", URL: "https://hooks.example.test/m"})
				return err
			},
			want: []string{"ErrConflict"},
		},
		"403 plan limit": {
			key: testAPIKey,
			call: func(ctx context.Context, c *Client) error {
				_, err := c.CreateDestination(ctx, &CreateRequest{Name: "Fourth", Slug: "fourth", URL: "https://hooks.example.test/4"})
				return err
			},
			want: []string{"ErrForbidden"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			client, _ := newContractClient(t, baseURL, withKey(tc.key))
			err := tc.call(t.Context(), client)
			if diff := cmp.Diff(tc.want, matchedSentinels(err)); diff != "" {
				t.Errorf("error %v\nsentinels (-want +got):\n%s", err, diff)
			}
			var apiErr *APIError
			if errors.As(err, &apiErr) && (apiErr.Message == "" || apiErr.RequestID == "") {
				t.Errorf("APIError without message or request id: %+v", apiErr)
			}
			if IsRetryable(err) {
				t.Errorf("IsRetryable(%v) = true", err)
			}
		})
	}
}

func TestEmulatorRejectsInvalidFields(t *testing.T) {
	_, baseURL := startEmulator(t, emulator.Options{}, nil)
	setup, _ := newContractClient(t, baseURL)
	existing, err := setup.CreateDestination(t.Context(), &CreateRequest{Name: "Target", Slug: "target", URL: "https://hooks.example.test/t"})
	if err != nil {
		t.Fatal(err)
	}
	valid := func(edit func(r *CreateRequest)) func(ctx context.Context, c *Client) error {
		return func(ctx context.Context, c *Client) error {
			req := CreateRequest{Name: "Invalid", Slug: "invalid", URL: "https://hooks.example.test/i"}
			edit(&req)
			_, err := c.CreateDestination(ctx, &req)
			return err
		}
	}
	patch := func(update UpdateRequest) func(ctx context.Context, c *Client) error {
		return func(ctx context.Context, c *Client) error {
			_, err := c.UpdateDestination(ctx, existing.ID, &update)
			return err
		}
	}
	sqs := providerFixtures()[TypeAWSSQS].req.ProviderConfig

	tests := map[string]struct {
		call func(ctx context.Context, c *Client) error
		// docRejects says whether the OpenAPI document can express the rule; the server must reject either way.
		docRejects bool
	}{
		"slug pattern":               {call: valid(func(r *CreateRequest) { r.Slug = "Not A Slug" }), docRejects: true},
		"slug too long":              {call: valid(func(r *CreateRequest) { r.Slug = strings.Repeat("a", 65) }), docRejects: true},
		"name empty":                 {call: valid(func(r *CreateRequest) { r.Name = "" }), docRejects: true},
		"name too long":              {call: valid(func(r *CreateRequest) { r.Name = strings.Repeat("n", 129) }), docRejects: true},
		"unknown type":               {call: valid(func(r *CreateRequest) { r.Type = "carrier_pigeon" }), docRejects: true},
		"method GET":                 {call: valid(func(r *CreateRequest) { r.Method = "GET" }), docRejects: true},
		"url too long":               {call: valid(func(r *CreateRequest) { r.URL = "https://x.test/" + strings.Repeat("p", 2040) }), docRejects: true},
		"url not absolute":           {call: valid(func(r *CreateRequest) { r.URL = "hooks/orders" })},
		"url missing for http":       {call: valid(func(r *CreateRequest) { r.URL = "" })},
		"url set for another type":   {call: valid(func(r *CreateRequest) { r.Type, r.ProviderConfig = TypeAWSSQS, sqs })},
		"timeout below 1000":         {call: valid(func(r *CreateRequest) { r.TimeoutMS = new(999) }), docRejects: true},
		"timeout above 120000":       {call: valid(func(r *CreateRequest) { r.TimeoutMS = new(120001) }), docRejects: true},
		"unknown auth type":          {call: valid(func(r *CreateRequest) { r.AuthType = "oauth" }), docRejects: true},
		"bearer without a token":     {call: valid(func(r *CreateRequest) { r.AuthType = "bearer" })},
		"retry attempts 0":           {call: valid(func(r *CreateRequest) { r.RetryMaxAttempts = new(0) }), docRejects: true},
		"retry attempts 11":          {call: valid(func(r *CreateRequest) { r.RetryMaxAttempts = new(11) }), docRejects: true},
		"unknown backoff":            {call: valid(func(r *CreateRequest) { r.RetryBackoffType = new("random") }), docRejects: true},
		"11 retry intervals":         {call: valid(func(r *CreateRequest) { r.RetryIntervals = slices.Repeat([]int{1}, 11) }), docRejects: true},
		"retry interval 0":           {call: valid(func(r *CreateRequest) { r.RetryIntervals = []int{0} }), docRejects: true},
		"retry interval above a day": {call: valid(func(r *CreateRequest) { r.RetryIntervals = []int{86401} }), docRejects: true},
		"breaker threshold 101":      {call: valid(func(r *CreateRequest) { r.CircuitBreakerThreshold = new(101) }), docRejects: true},
		"breaker reset below 1000":   {call: valid(func(r *CreateRequest) { r.CircuitBreakerResetMS = new(999) }), docRejects: true},
		"sqs without its queue": {call: valid(func(r *CreateRequest) {
			r.URL, r.Type, r.ProviderConfig = "", TypeAWSSQS, map[string]string{"region": "eu-west-1"}
		})},
		"provider field of another type": {call: valid(func(r *CreateRequest) { r.ProviderConfig = map[string]string{"bucket": "b"} })},
		"websocket channel pattern": {call: valid(func(r *CreateRequest) {
			r.URL, r.Type, r.ProviderConfig = "", TypeWebSocket, map[string]string{"channel_name": "Bad Name!"}
		})},
		"patch status unknown":  {call: patch(UpdateRequest{Status: Set("deleted")}), docRejects: true},
		"patch name empty":      {call: patch(UpdateRequest{Name: Set("")}), docRejects: true},
		"patch name null":       {call: patch(UpdateRequest{Name: Null[string]()}), docRejects: true},
		"patch timeout 5":       {call: patch(UpdateRequest{TimeoutMS: Set(5)}), docRejects: true},
		"patch url not http":    {call: patch(UpdateRequest{URL: Set("ftp://hooks.example.test/x")})},
		"patch empty intervals": {call: patch(UpdateRequest{RetryIntervals: Set([]int{})}), docRejects: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			client, transport := newContractClient(t, baseURL, allowingRequestViolations())
			err := tc.call(t.Context(), client)
			if !IsInvalid(err) {
				t.Fatalf("error %v, want IsInvalid", err)
			}
			violation := transport.last(t).RequestViolation
			if got := violation != nil; got != tc.docRejects {
				t.Errorf("the document rejects the request = %t, want %t (%v)", got, tc.docRejects, violation)
			}
		})
	}
}

func TestEmulatorRateLimit(t *testing.T) {
	server, baseURL := startEmulator(t, emulator.Options{RateLimit: 1, RateLimitBurst: 2}, nil)
	client, transport := newContractClient(t, baseURL)
	var err error
	for range 10 {
		if _, err = client.ListDestinations(t.Context(), ListOptions{}); err != nil {
			break
		}
	}
	wait, ok := IsRateLimited(err)
	if !ok {
		t.Fatalf("error %v, want IsRateLimited", err)
	}
	retryAfter, convErr := strconv.Atoi(transport.last(t).ResponseHeader.Get("Retry-After"))
	if convErr != nil {
		t.Fatalf("the 429 has no Retry-After in seconds: %v", convErr)
	}
	if want := time.Duration(retryAfter) * time.Second; wait != want || wait <= 0 {
		t.Errorf("IsRateLimited wait %s, want the Retry-After %s", wait, want)
	}
	if !IsRetryable(err) {
		t.Errorf("a 429 is not retryable")
	}
	if got := server.Stats().CountStatus(emulator.RouteListDestinations, http.StatusTooManyRequests); got != 1 {
		t.Errorf("%d answers 429, want 1", got)
	}
}

// TestEmulatorKeyLimiterPausesAllCallers: once the server asks for a pause (a 429, or a window with nothing
// remaining), no client of the key sends anything until the pause has passed, and then they all succeed.
func TestEmulatorKeyLimiterPausesAllCallers(t *testing.T) {
	tests := map[string]struct {
		opts emulator.Options
		// faults, when set, are active until the first pause.
		faults  *emulator.Faults
		want429 int64
	}{
		"after a 429 with Retry-After": {
			faults: &emulator.Faults{ErrorRate: 1, ErrorStatus: http.StatusTooManyRequests,
				Routes: []string{emulator.RouteListDestinations}},
			want429: 1,
		},
		"when the window runs out, before any 429": {
			opts:    emulator.Options{RateLimit: 5, RateLimitBurst: 5},
			want429: 0,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var mu sync.Mutex
			var arrivals []time.Time
			record := func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					mu.Lock()
					arrivals = append(arrivals, time.Now())
					mu.Unlock()
					next.ServeHTTP(w, r)
				})
			}
			server, baseURL := startEmulator(t, tc.opts, record)
			if tc.faults != nil {
				server.SetFaults(*tc.faults)
			}
			registry := NewLimiterRegistry(0, 1)
			limiter := registry.keyLimiter(testAPIKey)
			withSharedLimiter := withOptions(func(o *Options) { o.Limiter = registry.For(o.APIKey) })

			first, _ := newContractClient(t, baseURL, withSharedLimiter)
			for range 20 {
				_, err := first.ListDestinations(t.Context(), ListOptions{})
				if limiter.pauseEnd().After(time.Now()) {
					if _, ok := IsRateLimited(err); ok != (tc.want429 > 0) {
						t.Errorf("pausing call: error %v, want rate limited = %t", err, tc.want429 > 0)
					}
					break
				}
				if err != nil {
					t.Fatalf("ListDestinations: %v", err)
				}
			}
			pausedUntil := limiter.pauseEnd()
			if !pausedUntil.After(time.Now()) {
				t.Fatalf("the key was never paused")
			}
			server.ClearFaults()
			mu.Lock()
			arrivalsBefore := len(arrivals)
			mu.Unlock()

			const callers = 5
			errs := make([]error, callers)
			var wg sync.WaitGroup
			for i := range callers {
				client, _ := newContractClient(t, baseURL, withSharedLimiter)
				wg.Go(func() {
					_, errs[i] = client.ListDestinations(t.Context(), ListOptions{})
				})
			}
			wg.Wait()

			for i, err := range errs {
				if err != nil {
					t.Errorf("caller %d: %v", i, err)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if got := len(arrivals) - arrivalsBefore; got != callers {
				t.Errorf("%d requests after the pause, want %d", got, callers)
			}
			for _, arrival := range arrivals[arrivalsBefore:] {
				if arrival.Before(pausedUntil) {
					t.Errorf("a request arrived %s before the pause ended", pausedUntil.Sub(arrival))
				}
			}
			if got := server.Stats().CountStatus(emulator.RouteListDestinations, http.StatusTooManyRequests); got != tc.want429 {
				t.Errorf("%d answers 429, want %d", got, tc.want429)
			}
		})
	}
}

// TestEmulatorPauseBeyondDeadline: a caller whose deadline ends before the pause does gets a rate-limit error at
// once, without a request.
func TestEmulatorPauseBeyondDeadline(t *testing.T) {
	_, baseURL := startEmulator(t, emulator.Options{}, nil)
	limiter := newKeyLimiter(0, 1)
	limiter.Observe(RateLimitInfo{StatusCode: http.StatusTooManyRequests, RetryAfter: time.Minute})
	client, transport := newContractClient(t, baseURL, withOptions(func(o *Options) {
		o.Limiter = limiter
		o.Timeout = 100 * time.Millisecond
	}))
	_, err := client.ListDestinations(t.Context(), ListOptions{})
	wait, ok := IsRateLimited(err)
	if !ok || wait <= 50*time.Second {
		t.Errorf("IsRateLimited = %s, %t; want about a minute (error %v)", wait, ok, err)
	}
	if n := len(transport.Exchanges()); n != 0 {
		t.Errorf("%d requests sent during the pause", n)
	}
}
