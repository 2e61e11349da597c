// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"math/rand/v2"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/controller"
	"github.com/hookstream/hookstream-operator/internal/emulator"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/internal/managed"
)

const testAPIKey = "hs_test_plugin000000000000000000000000000000000000000000000000000001"

// newEmulator starts an in-process emulator and returns a client of its project.
func newEmulator(t *testing.T) (*emulator.Server, *hookstream.Client) {
	t.Helper()
	emu, err := emulator.New(emulator.Options{APIKeys: []string{testAPIKey}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	t.Cleanup(func() {
		srv.Close()
		_ = emu.Close()
	})
	hs, err := hookstream.New(hookstream.Options{BaseURL: srv.URL + "/v1", APIKey: testAPIKey})
	if err != nil {
		t.Fatal(err)
	}
	return emu, hs
}

// secretValue is the secret value the fixtures create for a Secret key of the export, so that the round trip can
// hand the controller the very values hookstream holds (the export names a destination's Secret
// <slug>-destination-secrets, a source's <slug>-source-secrets).
// The value is base64, which a standard_webhooks secret must be.
func secretValue(secretName, key string) string {
	return base64.StdEncoding.EncodeToString([]byte("value-of-" + secretName + "-" + key))
}

// createFixtures creates, through the API, rows covering every destination type and auth, the retry and circuit
// settings, sources with a template, verification, deduplication, IP lists and a schema, and connections with
// filters, a transform and a state.
func createFixtures(t *testing.T, hs *hookstream.Client) {
	t.Helper()
	ctx := context.Background()
	dsec := func(slug, key string) string { return secretValue(slug+"-destination-secrets", key) }
	dests := []hookstream.CreateRequest{
		{Name: "Orders API", Slug: "orders", Type: "http", URL: "https://orders.example.com/hooks", Method: "PUT",
			Headers: map[string]string{"X-Team": "orders", "Authorization": dsec("orders", "header-authorization"),
				"X-Webhook-Signature-Key": dsec("orders", "header-x-webhook-signature-key")},
			TimeoutMS: new(15000), AuthType: "bearer",
			AuthConfig:   map[string]string{"token": dsec("orders", "token")},
			RetryEnabled: new(true), RetryMaxAttempts: new(3), RetryBackoffType: new("linear"), RetryIntervals: []int{10, 20},
			CircuitBreakerEnabled: new(true), CircuitBreakerThreshold: new(7), CircuitBreakerResetMS: new(120000)},
		{Name: "Billing", Slug: "billing", Type: "http", URL: "https://billing.example.com/", AuthType: "basic",
			AuthConfig: map[string]string{"username": "hook", "password": dsec("billing", "password")}},
		{Name: "Audit", Slug: "audit", Type: "http", URL: "https://audit.example.com/", AuthType: "api_key",
			AuthConfig: map[string]string{"header": "X-Api-Key", "value": dsec("audit", "value")}},
		{Name: "Plain", Slug: "plain", Type: "http", URL: "http://plain.example.com/in"},
		{Name: "Queue", Slug: "queue", Type: "aws_sqs", ProviderConfig: map[string]string{"queue_url": "https://sqs.eu-west-1.amazonaws.com/1/q",
			"region": "eu-west-1", "access_key_id": "AKIA1", "secret_access_key": dsec("queue", "secret_access_key"), "message_group_id": "g"}},
		{Name: "Bucket", Slug: "bucket", Type: "aws_s3", ProviderConfig: map[string]string{"bucket": "b", "region": "eu-west-1",
			"access_key_id": "AKIA2", "secret_access_key": dsec("bucket", "secret_access_key"), "prefix": "events/", "format": "raw"}},
		{Name: "Bus", Slug: "bus", Type: "aws_eventbridge", ProviderConfig: map[string]string{"event_bus_arn": "arn:aws:events:eu-west-1:1:event-bus/default",
			"region": "eu-west-1", "source": "hooks", "detail_type": "Hook", "access_key_id": "AKIA3", "secret_access_key": dsec("bus", "secret_access_key")}},
		{Name: "Topic", Slug: "topic", Type: "gcp_pubsub", ProviderConfig: map[string]string{"project_id": "p", "topic_id": "t",
			"service_account_json": dsec("topic", "service_account_json")}},
		{Name: "Stream", Slug: "stream", Type: "kafka", ProviderConfig: map[string]string{"bootstrap_servers": "k:9092", "cluster_id": "c",
			"topic": "events", "api_key": "key", "api_secret": dsec("stream", "api_secret")}},
		{Name: "Rabbit", Slug: "rabbit", Type: "rabbitmq", ProviderConfig: map[string]string{"url": "amqps://rabbit.example.com", "vhost": "/hooks",
			"exchange": "x", "routing_key": "r", "username": "u", "password": dsec("rabbit", "password")}},
		{Name: "Live", Slug: "live", Type: "websocket", ProviderConfig: map[string]string{"channel_name": "live.events"}},
	}
	ids := map[string]string{}
	for i := range dests {
		d, err := hs.CreateDestination(ctx, &dests[i])
		if err != nil {
			t.Fatalf("creating destination %s: %v", dests[i].Slug, err)
		}
		ids[d.Slug] = d.ID
	}
	if _, err := hs.UpdateDestination(ctx, ids["plain"], &hookstream.UpdateRequest{Status: hookstream.Set("paused")}); err != nil {
		t.Fatal(err)
	}
	schema := json.RawMessage(`{"type":"object","required":["id"]}`)
	srcs := []hookstream.SourceCreateRequest{
		{Name: "GitHub", Slug: "github", Template: "github", VerificationSecret: new(secretValue("github-source-secrets", "verification_secret")),
			Description: new("pushes"), DedupStrategy: new("body_field"), DedupField: new("delivery.id"), DedupWindowSeconds: new(600),
			IPAllowlist: []string{"203.0.113.0/24", "198.51.100.7"}, IPDenylist: []string{"203.0.113.9"}},
		{Name: "Shop", Slug: "shop", VerificationType: new("standard_webhooks"), VerificationSecret: new(secretValue("shop-source-secrets", "verification_secret")),
			SchemaValidationEnabled: new(true), JSONSchema: schema, SchemaAction: new("reject"), DedupStrategy: new("payload_hash")},
		{Name: "Open", Slug: "open"},
		// A schema without an action: hookstream stores null and applies warn.
		{Name: "Loose", Slug: "loose", SchemaValidationEnabled: new(true), JSONSchema: schema},
	}
	srcIDs := map[string]string{}
	for i := range srcs {
		s, err := hs.CreateSource(ctx, &srcs[i])
		if err != nil {
			t.Fatalf("creating source %s: %v", srcs[i].Slug, err)
		}
		srcIDs[s.Slug] = s.ID
	}
	if _, err := hs.UpdateSource(ctx, srcIDs["open"], &hookstream.SourceUpdateRequest{Status: hookstream.Set("disabled")}); err != nil {
		t.Fatal(err)
	}
	conns := []hookstream.ConnectionCreateRequest{
		{SourceID: srcIDs["github"], DestinationID: ids["orders"], Name: "GitHub to orders", Description: new("pushes only"),
			FilterRules: []hookstream.FilterRule{
				{Field: "headers.x-github-event", Op: "eq", Value: json.RawMessage(`"push"`)},
				{Field: "payload.size", Op: "gte", Value: json.RawMessage(`3`)},
				{Field: "payload.repo", Op: "in", Value: json.RawMessage(`["a","b"]`)},
			},
			TransformExpression: new(`{"id": id}`)},
		{SourceID: srcIDs["shop"], DestinationID: ids["queue"], Name: "Shop to queue"},
		// The same name again: the names of the objects must still be unique.
		{SourceID: srcIDs["shop"], DestinationID: ids["live"], Name: "Shop to queue"},
	}
	for i := range conns {
		c, err := hs.CreateConnection(ctx, &conns[i])
		if err != nil {
			t.Fatalf("creating connection %s: %v", conns[i].Name, err)
		}
		if i == 1 {
			if _, err := hs.UpdateConnection(ctx, c.ID, &hookstream.ConnectionUpdateRequest{
				Status: hookstream.Set("paused"), Enabled: hookstream.Set(true)}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// testRefs resolves what an exported spec references: the fixtures' secret values, and the exported objects.
func testRefs(objects *objectSet, namespace string) managed.Refs {
	return managed.Refs{
		Secret: func(ref v1.SecretKeySelector) (string, error) { return secretValue(ref.Name, ref.Key), nil },
		Object: func(into client.Object, ns, name string) error {
			if ns == "" {
				ns = namespace
			}
			return objects.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, into)
		},
		SameProject: func(managed.Object) (bool, error) { return true, nil },
	}
}

// TestExportRoundTrip exports rows made through the API and runs the controllers' own mapping and comparison
// (controller.Planner: Desired, CheckIdentity, Compare) on every exported object against the row it came from:
// nothing may differ. Objects whose spec reads Secrets differ in their secret fields only until those values are
// recorded as applied, as after the one PATCH the operator then sends.
func TestExportRoundTrip(t *testing.T) {
	ctx := context.Background()
	emu, hs := newEmulator(t)
	createFixtures(t, hs)
	exp, err := ExportProject(ctx, hs, ExportOptions{Namespace: "team"})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(exp.Destinations) + len(exp.Sources) + len(exp.Connections); got != 11+4+3 {
		t.Fatalf("exported %d objects, want 18; warnings: %v", got, exp.Warnings)
	}
	objects := newObjectSet(nil)
	for _, obj := range exp.Objects() {
		mo := obj.(managed.Object)
		// A Source or Destination adopted by its id has that id once the operator found it.
		mo.GetManagedStatus().ID = mo.GetManagedSpec().AdoptID
		objects.put(obj)
	}
	planner := controller.Planner{Client: hs, APIKey: testAPIKey, Objects: objects}
	refs := testRefs(objects, "team")
	before := emu.Stats()
	withSecrets := 0
	for _, obj := range exp.Objects() {
		mo := obj.DeepCopyObject().(managed.Object)
		name := kindOf(mo) + " " + mo.GetName()
		plan, err := planner.Plan(ctx, mo, refs)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if plan.SecretsHash != "" {
			withSecrets++
			for _, d := range plan.Diffs {
				if !d.Secret {
					t.Errorf("%s: a field that is not secret differs before the secrets are applied: %+v", name, d)
				}
			}
			mo.GetManagedStatus().AppliedSecretsHash = plan.SecretsHash
			if plan, err = planner.Plan(ctx, mo, refs); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		if plan.Action != managed.PlanUnchanged || len(plan.Diffs) > 0 || plan.RemoteID != mo.GetManagedSpec().AdoptID {
			t.Errorf("%s: plan %+v, want unchanged with remote %s", name, plan, mo.GetManagedSpec().AdoptID)
		}
	}
	if withSecrets != 11 {
		t.Errorf("%d objects read Secrets, want 11 (3 http auths, 6 providers with a secret, 2 verified sources)", withSecrets)
	}
	if writes := harnessWrites(emu.Stats(), before); writes != 0 {
		t.Errorf("the export and the plans wrote to hookstream %d times", writes)
	}
}

// harnessWrites counts the configuration writes between two stats snapshots.
func harnessWrites(after, before emulator.Stats) int64 { return after.Writes() - before.Writes() }

// TestExportShape checks the manifests' references, names and Secrets, and that a second export of the same
// project is byte for byte the same.
func TestExportShape(t *testing.T) {
	ctx := context.Background()
	_, hs := newEmulator(t)
	createFixtures(t, hs)
	render := func() []File {
		exp, err := ExportProject(ctx, hs, ExportOptions{Namespace: "team", CredentialsSecret: "hs-key"})
		if err != nil {
			t.Fatal(err)
		}
		files, err := exp.Files()
		if err != nil {
			t.Fatal(err)
		}
		return files
	}
	first, second := render(), render()
	if diff := cmp.Diff(first, second); diff != "" {
		t.Fatalf("a second export differs (-first +second):\n%s", diff)
	}
	byName := map[string]string{}
	var names []string
	for _, f := range first {
		byName[f.Name] = string(f.Content)
		names = append(names, f.Name)
	}
	wantNames := []string{
		"destination-audit.yaml", "destination-billing.yaml", "destination-bucket.yaml", "destination-bus.yaml",
		"destination-live.yaml", "destination-orders.yaml", "destination-plain.yaml", "destination-queue.yaml",
		"destination-rabbit.yaml", "destination-stream.yaml", "destination-topic.yaml",
		"source-github.yaml", "source-loose.yaml", "source-open.yaml", "source-shop.yaml",
		"connection-github-to-orders.yaml", "connection-shop-to-queue.yaml", "connection-shop-to-queue-",
		KustomizationFile, SecretsExampleFile,
	}
	for _, want := range wantNames {
		found := false
		for _, n := range names {
			found = found || n == want || (strings.HasSuffix(want, "-") && strings.HasPrefix(n, want))
		}
		if !found {
			t.Errorf("no file %s among %v", want, names)
		}
	}
	conn := byName["connection-github-to-orders.yaml"]
	for _, want := range []string{"sourceRef:\n    name: github", "destinationRef:\n    name: orders", "adoptID: ",
		"credentialsRef:\n    name: hs-key", "namespace: team", "transform: '{\"id\": id}'"} {
		if !strings.Contains(conn, want) {
			t.Errorf("connection manifest lacks %q:\n%s", want, conn)
		}
	}
	secrets := byName[SecretsExampleFile]
	for _, want := range []string{"name: hs-key\n", "  apiKey: \"\"\n", "name: orders-destination-secrets\n", "  token: \"\"\n",
		"name: github-source-secrets\n", "  verification_secret: \"\"\n"} {
		if !strings.Contains(secrets, want) {
			t.Errorf("%s lacks %q:\n%s", SecretsExampleFile, want, secrets)
		}
	}
	if strings.Contains(secrets, secretValue("orders-destination-secrets", "token")) || strings.Contains(secrets, "****") {
		t.Errorf("%s holds a value:\n%s", SecretsExampleFile, secrets)
	}
	kust := byName[KustomizationFile]
	if !strings.Contains(kust, "- destination-orders.yaml\n") || strings.Contains(kust, "- "+SecretsExampleFile) {
		t.Errorf("kustomization:\n%s", kust)
	}
	if !bytes.Contains([]byte(byName["destination-plain.yaml"]), []byte("state: paused")) {
		t.Errorf("destination-plain.yaml:\n%s", byName["destination-plain.yaml"])
	}
}

func TestObjectName(t *testing.T) {
	cases := map[string]struct{ in, want string }{
		"slug kept":          {"team-a-orders", "team-a-orders"},
		"edges trimmed":      {"-orders-", "orders"},
		"display name":       {"GitHub → Orders (prod)", "github-orders-prod"},
		"runs collapse":      {"a--b", "a-b"},
		"nothing left":       {"→", "fallback"},
		"long is shortened":  {strings.Repeat("ab-", 30), strings.TrimRight(strings.Repeat("ab-", 21), "-")},
		"digits lead freely": {"2024-events", "2024-events"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := ObjectName(tc.in, "fallback"); got != tc.want {
				t.Errorf("ObjectName(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// exportWithin runs BuildExport, failing the test if it does not return in time (a name search that never ends).
func exportWithin(t *testing.T, dests []*hookstream.Destination, srcs []*hookstream.Source, conns []*hookstream.Connection,
	opts ExportOptions) *Export {
	t.Helper()
	type result struct {
		exp *Export
		err error
	}
	done := make(chan result, 1)
	go func() {
		exp, err := BuildExport(dests, srcs, conns, opts)
		done <- result{exp, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatal(r.err)
		}
		return r.exp
	case <-time.After(5 * time.Second):
		t.Fatal("BuildExport did not return")
		return nil
	}
}

// TestExportNameCollisions names colliding rows uniquely, in a bounded search: ids sharing their first characters,
// and an appended id part that is another row's slug.
func TestExportNameCollisions(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	dest := func(id, slug string, age int) *hookstream.Destination {
		return &hookstream.Destination{ID: id, Slug: slug, Name: slug, Type: "http", URL: "https://x.example.com/",
			CreatedAt: at.Add(time.Duration(age) * time.Minute)}
	}
	cases := map[string]struct {
		rows []*hookstream.Destination
		want []string
	}{
		"ids share their first 12 characters": {
			rows: []*hookstream.Destination{dest("abcdef012345aaaa", "foo", 0), dest("abcdef012345bbbb", "foo", 1),
				dest("abcdef012345cccc", "foo", 2)},
			want: []string{"foo", "foo-abcdef012345", "foo-abcdef012345-2"},
		},
		"the id part is another slug": {
			rows: []*hookstream.Destination{dest("0123456789abcdef", "foo", 0), dest("fedcba9876543210", "foo", 1),
				dest("1111111111111111", "foo-fedcba987654", 2)},
			want: []string{"foo", "foo-fedcba987654", "foo-fedcba987654-2"},
		},
		"long slugs keep the counter": {
			rows: []*hookstream.Destination{dest("abcdef012345aaaa", strings.Repeat("a", 63), 0),
				dest("abcdef012345bbbb", strings.Repeat("a", 63), 1), dest("abcdef012345cccc", strings.Repeat("a", 63), 2)},
			want: []string{strings.Repeat("a", 63), strings.Repeat("a", 50) + "-abcdef012345",
				strings.Repeat("a", 48) + "-abcdef012345-2"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			exp := exportWithin(t, tc.rows, nil, nil, ExportOptions{Namespace: "team"})
			var got []string
			for _, d := range exp.Destinations {
				got = append(got, d.Name)
				if len(d.Name) > maxNameLength {
					t.Errorf("name %q is longer than %d", d.Name, maxNameLength)
				}
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tc.want))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("names (-want +got):\n%s", diff)
			}
		})
	}
}

// TestExportDeterministic exports the same rows in shuffled orders: the files are the same bytes.
func TestExportDeterministic(t *testing.T) {
	ctx := context.Background()
	_, hs := newEmulator(t)
	createFixtures(t, hs)
	var (
		dests []*hookstream.Destination
		srcs  []*hookstream.Source
		conns []*hookstream.Connection
	)
	for d, err := range hs.AllDestinations(ctx) {
		noErr(t, err)
		dests = append(dests, d)
	}
	for s, err := range hs.AllSources(ctx) {
		noErr(t, err)
		srcs = append(srcs, s)
	}
	for c, err := range hs.AllConnections(ctx, hookstream.ConnectionListOptions{}) {
		noErr(t, err)
		conns = append(conns, c)
	}
	render := func() []File {
		exp := exportWithin(t, dests, srcs, conns, ExportOptions{Namespace: "team"})
		files, err := exp.Files()
		noErr(t, err)
		return files
	}
	first := render()
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5 {
		rng.Shuffle(len(dests), func(i, j int) { dests[i], dests[j] = dests[j], dests[i] })
		rng.Shuffle(len(srcs), func(i, j int) { srcs[i], srcs[j] = srcs[j], srcs[i] })
		rng.Shuffle(len(conns), func(i, j int) { conns[i], conns[j] = conns[j], conns[i] })
		if diff := cmp.Diff(first, render()); diff != "" {
			t.Fatalf("an export of shuffled rows differs (-first +shuffled):\n%s", diff)
		}
	}
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestExportCredentials: spec.credentialsRef is written for a credentials Secret other than the operator's
// default (--default-credentials-secret), and a Secret the key was read from is not in secrets.example.yaml.
func TestExportCredentials(t *testing.T) {
	rows := []*hookstream.Destination{{ID: "0123456789abcdef", Slug: "plain", Name: "Plain", Type: "http", URL: "https://x.example.com/"}}
	cases := map[string]struct {
		opts        ExportOptions
		ref         string
		listed, not []string
	}{
		"the default":                   {opts: ExportOptions{}, listed: []string{"name: hookstream-credentials\n"}},
		"another default":               {opts: ExportOptions{DefaultCredentialsSecret: "hs-default"}, listed: []string{"name: hs-default\n"}},
		"another Secret":                {opts: ExportOptions{CredentialsSecret: "hs-key"}, ref: "hs-key", listed: []string{"name: hs-key\n"}},
		"the usual name, not default":   {opts: ExportOptions{CredentialsSecret: "hookstream-credentials", DefaultCredentialsSecret: "hs-default"}, ref: "hookstream-credentials"},
		"read from the cluster":         {opts: ExportOptions{CredentialsSecret: "hs-key", CredentialsInCluster: true}, ref: "hs-key", not: []string{"hs-key", "apiKey"}},
		"default read from the cluster": {opts: ExportOptions{CredentialsSecret: "hookstream-credentials", CredentialsInCluster: true}, not: []string{"hookstream-credentials", "apiKey"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			tc.opts.Namespace = "team"
			exp := exportWithin(t, rows, nil, nil, tc.opts)
			ref := ""
			if r := exp.Destinations[0].Spec.CredentialsRef; r != nil {
				ref = r.Name
			}
			if ref != tc.ref {
				t.Errorf("credentialsRef %q, want %q", ref, tc.ref)
			}
			secrets := string(exp.SecretsExample())
			for _, want := range tc.listed {
				if !strings.Contains(secrets, want) || !strings.Contains(secrets, "  apiKey: \"\"\n") {
					t.Errorf("%s lacks %q and its apiKey:\n%s", SecretsExampleFile, want, secrets)
				}
			}
			for _, unwanted := range tc.not {
				if strings.Contains(secrets, unwanted) {
					t.Errorf("%s holds %q:\n%s", SecretsExampleFile, unwanted, secrets)
				}
			}
		})
	}
}

// TestExportSkipsUnknownDestinationTypes: a destination of a type the Destination API cannot describe is not
// exported (the CRD would reject its manifest); its connections name it by id.
func TestExportSkipsUnknownDestinationTypes(t *testing.T) {
	dests := []*hookstream.Destination{
		{ID: "0123456789abcdef", Slug: "plain", Name: "Plain", Type: "http", URL: "https://x.example.com/"},
		{ID: "fedcba9876543210", Slug: "mystery", Name: "Mystery", Type: "carrier_pigeon"},
	}
	srcs := []*hookstream.Source{{ID: "5555555555555555", Slug: "in", Name: "In", Type: hookstream.SourceTypeHTTP}}
	conns := []*hookstream.Connection{{ID: "7777777777777777", Name: "In to mystery", SourceID: "5555555555555555",
		DestinationID: "fedcba9876543210", Status: "active", Enabled: true}}
	exp := exportWithin(t, dests, srcs, conns, ExportOptions{Namespace: "team"})
	if len(exp.Destinations) != 1 || exp.Destinations[0].Name != "plain" {
		t.Errorf("exported destinations %v, want plain only", exp.Objects())
	}
	c := exp.Connections[0].Spec
	if c.DestinationRef != nil || c.DestinationID != "fedcba9876543210" || c.SourceRef == nil || c.SourceRef.Name != "in" {
		t.Errorf("connection ends: %+v %q %+v", c.DestinationRef, c.DestinationID, c.SourceRef)
	}
	if !slices.ContainsFunc(exp.Warnings, func(w string) bool {
		return strings.Contains(w, `Destination mystery: type "carrier_pigeon" has no provider block`)
	}) {
		t.Errorf("warnings %v", exp.Warnings)
	}
}

// TestExportFixturesCoverEveryProviderType: the round trip's fixtures hold a destination of every type of the
// controller's table of provider types, and each is exported, so that TestExportRoundTrip runs every type's export
// through the controller's comparison.
func TestExportFixturesCoverEveryProviderType(t *testing.T) {
	ctx := context.Background()
	_, hs := newEmulator(t)
	createFixtures(t, hs)
	types := map[string]bool{}
	remote := 0
	for d, err := range hs.AllDestinations(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		remote++
		types[hookstream.NormalizeType(d.Type)] = true
	}
	for _, typ := range controller.DestinationTypes() {
		if !types[typ] {
			t.Errorf("the fixtures have no destination of type %s: add one to createFixtures", typ)
		}
	}
	exp, err := ExportProject(ctx, hs, ExportOptions{Namespace: "team"})
	if err != nil {
		t.Fatal(err)
	}
	if len(exp.Destinations) != remote {
		t.Errorf("exported %d of %d destinations; warnings: %v", len(exp.Destinations), remote, exp.Warnings)
	}
}
