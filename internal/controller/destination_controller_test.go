// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/emulator"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/internal/managed"
)

const (
	routeCreate = "POST /destinations"
	routeGet    = "GET /destinations/{id}"
	routePatch  = "PATCH /destinations/{id}"
	routeDelete = "DELETE /destinations/{id}"
)

func createDestination(t *testing.T, namespace, name string, spec v1.DestinationSpec) client.ObjectKey {
	t.Helper()
	d := &v1.Destination{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}, Spec: spec}
	if err := k8s.Create(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	return client.ObjectKeyFromObject(d)
}

func updateSpec(t *testing.T, key client.ObjectKey, change func(*v1.DestinationSpec)) {
	t.Helper()
	d := getDestination(t, key)
	change(&d.Spec)
	if err := k8s.Update(context.Background(), d); err != nil {
		t.Fatal(err)
	}
}

func deleteAndWaitGone(t *testing.T, key client.ObjectKey) {
	t.Helper()
	if err := k8s.Delete(context.Background(), &v1.Destination{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}}); err != nil {
		t.Fatal(err)
	}
	waitForGone(t, key, &v1.Destination{})
}

func remoteRow(t *testing.T, id string) *hookstream.Destination {
	t.Helper()
	row, err := remote.GetDestination(context.Background(), id)
	if err != nil {
		t.Fatalf("reading remote destination %s: %v", id, err)
	}
	return row
}

// calls returns the emulator's request count of a route since the last reset.
func calls(route string) int64 { return emu.Stats().Count(route) }

// waitForEvent waits for an event of the given reason about the Destination and returns its note.
func waitForEvent(t *testing.T, key client.ObjectKey, reason string) string {
	t.Helper()
	var note string
	eventually(t, "event "+reason, func() error {
		list := &eventsv1.EventList{}
		if err := k8s.List(context.Background(), list, client.InNamespace(key.Namespace)); err != nil {
			return err
		}
		for _, e := range list.Items {
			if e.Regarding.Name == key.Name && e.Reason == reason {
				note = e.Note
				return nil
			}
		}
		return fmt.Errorf("no %s event among %d", reason, len(list.Items))
	})
	return note
}

func TestLifecycle(t *testing.T) {
	ns := newNamespace(t)
	createSecret(t, ns, "receiver", map[string]string{"token": "bearer-token-0001"})
	key := createDestination(t, ns, "orders", v1.DestinationSpec{
		DisplayName: "Orders",
		HTTP: &v1.HTTPDestination{
			URL:  "https://receiver.example.com/hooks",
			Auth: &v1.HTTPAuth{Type: v1.HTTPAuthBearer, Bearer: &v1.BearerAuth{TokenSecretRef: v1.SecretKeySelector{Name: "receiver", Key: "token"}}},
		},
	})

	d := waitForReady(t, key)
	if d.Status.ID == "" || d.Status.Slug != defaultSlug(ns, "orders") || d.Status.State != "active" || d.Status.Type != "http" {
		t.Fatalf("status after create = %+v", d.Status)
	}
	if d.Status.CreatedAt == nil || d.Status.UpdatedAt == nil {
		t.Errorf("createdAt/updatedAt not mirrored: %+v", d.Status)
	}
	if !strings.HasPrefix(d.Status.AppliedSecretsHash, "hmac-sha256:") {
		t.Errorf("appliedSecretsHash = %q", d.Status.AppliedSecretsHash)
	}
	row := remoteRow(t, d.Status.ID)
	if row.Name != "Orders" || row.URL != "https://receiver.example.com/hooks" || row.AuthType != "bearer" ||
		row.AuthConfig["token"] != maskSecret("bearer-token-0001") {
		t.Errorf("remote row = %+v", row)
	}
	if !hasFinalizer(d) {
		t.Errorf("finalizer missing: %v", d.Finalizers)
	}
	waitForEvent(t, key, "Created")

	// A spec change PATCHes only the changed field.
	emu.ResetStats()
	updateSpec(t, key, func(s *v1.DestinationSpec) { s.HTTP.Method = "PUT"; s.State = v1.StatePaused })
	d = waitForReady(t, key)
	row = remoteRow(t, d.Status.ID)
	if row.Method != "PUT" || row.Status != "paused" || d.Status.State != "paused" {
		t.Errorf("after update: remote method %q status %q, status.state %q", row.Method, row.Status, d.Status.State)
	}
	if got := calls(routePatch); got != 1 {
		t.Errorf("PATCH calls for one spec change = %d, want 1", got)
	}
	if got := calls(routeCreate); got != 0 {
		t.Errorf("POST calls for a spec change = %d, want 0", got)
	}
	if note := waitForEvent(t, key, "Updated"); !strings.Contains(note, "method") || !strings.Contains(note, "status") {
		t.Errorf("Updated event note %q does not name the fields", note)
	}

	// Delete removes the remote destination, then the object.
	id := d.Status.ID
	deleteAndWaitGone(t, key)
	if _, err := remote.GetDestination(context.Background(), id); !hookstream.IsNotFound(err) {
		t.Errorf("remote destination after delete: err = %v, want not found", err)
	}
}

func hasFinalizer(d *v1.Destination) bool {
	return slices.Contains(d.Finalizers, v1.Finalizer)
}

// TestEveryFieldConverges sets every field of every provider type, and checks that the remote row has them and
// that a further reconcile sends no PATCH: normalisation of the remote encoding must not cause endless updates.
func TestEveryFieldConverges(t *testing.T) {
	ns := newNamespace(t)
	createSecret(t, ns, "s", map[string]string{
		"token": "token-value-1234", "password": "password-5678", "key": "sk-aws-9999", "json": `{"type":"service_account"}`,
		"short": "abc", "header": "header-value-42",
	})
	ref := func(k string) v1.SecretKeySelector { return v1.SecretKeySelector{Name: "s", Key: k} }
	aws := v1.AWSCredentials{AccessKeyID: "AKIAEXAMPLE", SecretAccessKeySecretRef: ref("key")}
	common := func(s v1.DestinationSpec) v1.DestinationSpec {
		s.DisplayName = "All fields"
		s.State = v1.StateDisabled
		s.Retry = &v1.RetryPolicy{Enabled: new(true), MaxAttempts: ptr.To[int32](7), Backoff: "linear", IntervalsSeconds: []int32{15, 60, 600}}
		s.CircuitBreaker = &v1.CircuitBreakerPolicy{Enabled: new(false), Threshold: ptr.To[int32](12), ResetSeconds: ptr.To[int32](90)}
		return s
	}
	specs := map[string]v1.DestinationSpec{
		"http-basic": common(v1.DestinationSpec{HTTP: &v1.HTTPDestination{
			URL: "http://receiver.example.com:8080/in", Method: "PATCH", TimeoutSeconds: ptr.To[int32](45),
			Headers: map[string]string{"X-Team": "payments"}, HeadersFrom: []v1.HeaderFromSecret{{Name: "X-Secret", ValueFrom: ref("header")}},
			Auth: &v1.HTTPAuth{Type: v1.HTTPAuthBasic, Basic: &v1.BasicAuth{Username: "hook", PasswordSecretRef: ref("password")}},
		}}),
		"http-apikey": common(v1.DestinationSpec{HTTP: &v1.HTTPDestination{
			URL:  "https://receiver.example.com/in",
			Auth: &v1.HTTPAuth{Type: v1.HTTPAuthAPIKey, APIKey: &v1.APIKeyAuth{Header: "X-Api-Key", ValueSecretRef: ref("short")}},
		}}),
		"http-none": common(v1.DestinationSpec{HTTP: &v1.HTTPDestination{URL: "https://receiver.example.com/in", Auth: &v1.HTTPAuth{Type: v1.HTTPAuthNone}}}),
		"sqs": common(v1.DestinationSpec{AWSSQS: &v1.AWSSQSDestination{
			QueueURL: "https://sqs.eu-west-1.amazonaws.com/123456789012/events.fifo", Region: "eu-west-1", MessageGroupID: "g1", AWSCredentials: aws}}),
		"s3": common(v1.DestinationSpec{AWSS3: &v1.AWSS3Destination{Bucket: "events-bucket", Region: "us-east-1", Prefix: "in/", Format: "raw", AWSCredentials: aws}}),
		"eventbridge": common(v1.DestinationSpec{AWSEventBridge: &v1.AWSEventBridgeDestination{
			EventBusARN: "arn:aws:events:eu-west-1:123456789012:event-bus/default", Region: "eu-west-1", Source: "hookstream", DetailType: "webhook", AWSCredentials: aws}}),
		"pubsub":    common(v1.DestinationSpec{GCPPubSub: &v1.GCPPubSubDestination{ProjectID: "proj", TopicID: "topic", ServiceAccountJSONSecretRef: ref("json")}}),
		"kafka":     common(v1.DestinationSpec{Kafka: &v1.KafkaDestination{BootstrapServers: "b1:9092,b2:9092", ClusterID: "lkc-1", Topic: "events", APIKey: "KAFKAKEY", APISecretSecretRef: ref("password")}}),
		"rabbitmq":  common(v1.DestinationSpec{RabbitMQ: &v1.RabbitMQDestination{URL: "amqps://rabbit.example.com:5671", VHost: "/prod", Exchange: "events", RoutingKey: "hooks.in", Username: "hook", PasswordSecretRef: ref("password")}}),
		"websocket": common(v1.DestinationSpec{WebSocket: &v1.WebSocketDestination{ChannelName: "orders.v1"}}),
	}
	for name, spec := range specs {
		t.Run(name, func(t *testing.T) {
			key := createDestination(t, ns, name, spec)
			d := waitForReady(t, key)
			row := remoteRow(t, d.Status.ID)

			want, err := buildDesired(d, resolveFrom(ns))
			if err != nil {
				t.Fatal(err)
			}
			if obs := compareDestination(want, row, false); !obs.UpToDate() {
				t.Errorf("remote row differs from the spec in %v", obs.Fields())
			}
			if row.Name != "All fields" || row.Status != "disabled" || ptr.Deref(row.RetryMaxAttempts, 0) != 7 ||
				ptr.Deref(row.CircuitBreakerResetMS, 0) != 90000 || !cmp.Equal(row.RetryIntervals, []int{15, 60, 600}) {
				t.Errorf("remote row common fields = %+v", row)
			}

			before := emu.Stats()
			requestReconcile(t, key)
			after := emu.Stats()
			if n := after.Count(routeGet) - before.Count(routeGet); n < 1 {
				t.Errorf("the requested reconcile read nothing from hookstream (%d GETs)", n)
			}
			if n := after.Count(routePatch) - before.Count(routePatch); n != 0 {
				t.Errorf("an up-to-date destination was PATCHed %d times", n)
			}
			if n := after.Count(routeCreate) - before.Count(routeCreate); n != 0 {
				t.Errorf("an existing destination was POSTed %d times", n)
			}
		})
	}
}

// resolveFrom reads Secret keys from the API server, for building the expected remote state in tests.
func resolveFrom(namespace string) managed.SecretResolver {
	return func(ref v1.SecretKeySelector) (string, error) {
		s := &corev1.Secret{}
		if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: namespace, Name: ref.Name}, s); err != nil {
			return "", err
		}
		return string(s.Data[ref.Key]), nil
	}
}

func TestUnchangedObjectMakesNoWrites(t *testing.T) {
	ns := newNamespace(t)
	// A project of its own: with the key every other test uses, another test's periodic check may have left a list
	// snapshot that this Destination's create is added to, and the check below would then read no hookstream at all.
	updateSecret(t, ns, "hookstream-credentials", map[string]string{v1.CredentialsKey: otherAPIKey})
	createSecret(t, ns, "hdr", map[string]string{"v": "value-1", "unused": "x"})
	key := createDestination(t, ns, "quiet", v1.DestinationSpec{HTTP: &v1.HTTPDestination{
		URL: "https://receiver.example.com/q", HeadersFrom: []v1.HeaderFromSecret{{Name: "X-V", ValueFrom: v1.SecretKeySelector{Name: "hdr", Key: "v"}}},
	}})
	d := waitForReady(t, key)

	// Changing a key the Destination does not use triggers a reconcile that must find nothing to do.
	before := emu.Stats()
	updateSecret(t, ns, "hdr", map[string]string{"v": "value-1", "unused": "y"})
	eventually(t, "reconcile after the Secret change", func() error {
		reads := func(s emulator.Stats) int64 { return s.Count(routeGet) + s.Count(emulator.RouteListDestinations) }
		if n := reads(emu.Stats()) - reads(before); n < 1 {
			return errors.New("no read of hookstream yet")
		}
		return nil
	})
	time.Sleep(time.Second) // let a write, if any, land
	after := getDestination(t, key)
	if after.ResourceVersion != d.ResourceVersion {
		t.Errorf("the Destination was written (resourceVersion %s -> %s); status diff:\n%s",
			d.ResourceVersion, after.ResourceVersion, cmp.Diff(d.Status, after.Status))
	}
	stats := emu.Stats()
	if n := stats.Writes() - before.Writes(); n != 0 {
		t.Errorf("%d writes to hookstream for an unchanged object", n)
	}
}

func TestDriftIsReverted(t *testing.T) {
	ns := newNamespace(t)
	key := createDestination(t, ns, "drift", v1.DestinationSpec{
		HTTP:  &v1.HTTPDestination{URL: "https://receiver.example.com/drift", TimeoutSeconds: ptr.To[int32](10)},
		Retry: &v1.RetryPolicy{MaxAttempts: ptr.To[int32](3)},
	})
	d := waitForReady(t, key)
	_, err := remote.UpdateDestination(context.Background(), d.Status.ID, &hookstream.UpdateRequest{
		URL: hookstream.Set("https://attacker.example.com/"), RetryMaxAttempts: hookstream.Null[int](),
		CircuitBreakerThreshold: hookstream.Set(50), // not in the spec: must stay as set
	})
	if err != nil {
		t.Fatal(err)
	}
	requestReconcile(t, key)
	row := remoteRow(t, d.Status.ID)
	if row.URL != "https://receiver.example.com/drift" || ptr.Deref(row.RetryMaxAttempts, 0) != 3 {
		t.Errorf("drift not reverted: url %q, retry_max_attempts %v", row.URL, row.RetryMaxAttempts)
	}
	if ptr.Deref(row.CircuitBreakerThreshold, 0) != 50 {
		t.Errorf("an unmanaged field was changed: circuit_breaker_threshold %v", row.CircuitBreakerThreshold)
	}
	note := waitForEvent(t, key, "DriftCorrected")
	if !strings.Contains(note, "url") || !strings.Contains(note, "retry_max_attempts") {
		t.Errorf("DriftCorrected note %q does not name the fields", note)
	}
}

func TestSecretRotationPropagates(t *testing.T) {
	ns := newNamespace(t)
	createSecret(t, ns, "rabbit", map[string]string{"password": "first-password-AAAA"})
	key := createDestination(t, ns, "rotate", v1.DestinationSpec{RabbitMQ: &v1.RabbitMQDestination{
		URL: "amqps://rabbit.example.com", Exchange: "e", RoutingKey: "hooks", Username: "u",
		PasswordSecretRef: v1.SecretKeySelector{Name: "rabbit", Key: "password"},
	}})
	d := waitForReady(t, key)
	firstHash := d.Status.AppliedSecretsHash

	// Same last four characters: only the hash in status can tell the values apart.
	updateSecret(t, ns, "rabbit", map[string]string{"password": "second-password-AAAA"})
	eventually(t, "rotated secret applied", func() error {
		d = getDestination(t, key)
		if d.Status.AppliedSecretsHash == firstHash {
			return errors.New("appliedSecretsHash unchanged")
		}
		return nil
	})
	full, err := emu.Destination(context.Background(), d.Status.ID)
	if err != nil {
		t.Fatal(err)
	}
	if full.ProviderConfig == nil || !strings.Contains(*full.ProviderConfig, "second-password-AAAA") {
		t.Errorf("hookstream still holds the old password")
	}
	if strings.Contains(fmt.Sprint(d.Status), "password-AAAA") {
		t.Errorf("status holds the secret: %+v", d.Status)
	}
}

func TestBadAPIKeyRecoversWhenSecretIsFixed(t *testing.T) {
	ns := newNamespace(t)
	updateSecret(t, ns, "hookstream-credentials", map[string]string{v1.CredentialsKey: "hs_test_wrong"})
	key := createDestination(t, ns, "badkey", v1.DestinationSpec{HTTP: &v1.HTTPDestination{URL: "https://receiver.example.com/k"}})
	d := waitForCondition(t, key, v1.ConditionReady, metav1.ConditionFalse, v1.ReasonUnauthorized)
	if c := findCondition(d, v1.ConditionStalled); c == nil || c.Status != metav1.ConditionTrue {
		t.Errorf("Stalled = %+v, want True", c)
	}
	if strings.Contains(fmt.Sprint(d.Status), "hs_test_wrong") {
		t.Errorf("status holds the API key")
	}
	updateSecret(t, ns, "hookstream-credentials", map[string]string{v1.CredentialsKey: testAPIKey})
	waitForReady(t, key)
}

func TestMissingCredentialsNamesTheSecret(t *testing.T) {
	ns := newNamespace(t)
	key := createDestination(t, ns, "nocreds", v1.DestinationSpec{
		ManagedSpec: v1.ManagedSpec{CredentialsRef: &v1.LocalObjectReference{Name: "team-hookstream"}},
		HTTP:        &v1.HTTPDestination{URL: "https://receiver.example.com/c"},
	})
	d := waitForCondition(t, key, v1.ConditionReady, metav1.ConditionFalse, v1.ReasonCredentialsNotFound)
	if c := findCondition(d, v1.ConditionReady); !strings.Contains(c.Message, `"team-hookstream"`) {
		t.Errorf("message %q does not name the Secret", c.Message)
	}
	createSecret(t, ns, "team-hookstream", map[string]string{v1.CredentialsKey: testAPIKey})
	waitForReady(t, key)
}

func TestInvalidSpecStallsWithoutRetrying(t *testing.T) {
	ns := newNamespace(t)
	emu.SetFaults(emulator.Faults{ErrorRate: 1, ErrorStatus: 400, Routes: []string{routeCreate}})
	t.Cleanup(emu.ClearFaults)
	before := emu.Stats().Count(routeCreate)
	key := createDestination(t, ns, "invalid", v1.DestinationSpec{HTTP: &v1.HTTPDestination{URL: "https://receiver.example.com/i"}})
	d := waitForCondition(t, key, v1.ConditionStalled, metav1.ConditionTrue, v1.ReasonInvalidSpec)
	if d.Status.ObservedGeneration != d.Generation {
		t.Errorf("a stalled generation is not observed: %d vs %d", d.Status.ObservedGeneration, d.Generation)
	}
	time.Sleep(3 * time.Second)
	if n := emu.Stats().Count(routeCreate) - before; n != 1 {
		t.Errorf("%d POSTs for a rejected spec, want exactly 1", n)
	}
	// A spec change is retried.
	emu.ClearFaults()
	updateSpec(t, key, func(s *v1.DestinationSpec) { s.DisplayName = "fixed" })
	waitForReady(t, key)
}

func TestOutageRecovers(t *testing.T) {
	ns := newNamespace(t)
	emu.SetFaults(emulator.Faults{Outage: true})
	t.Cleanup(emu.ClearFaults)
	key := createDestination(t, ns, "outage", v1.DestinationSpec{HTTP: &v1.HTTPDestination{URL: "https://receiver.example.com/o"}})
	d := waitForCondition(t, key, v1.ConditionSynced, metav1.ConditionFalse, v1.ReasonAPIUnavailable)
	if c := findCondition(d, v1.ConditionReconciling); c == nil || c.Status != metav1.ConditionTrue {
		t.Errorf("Reconciling = %+v during an outage, want True", c)
	}
	emu.ClearFaults()
	d = waitForReady(t, key)
	if findCondition(d, v1.ConditionReconciling) != nil || findCondition(d, v1.ConditionStalled) != nil {
		t.Errorf("Reconciling/Stalled left behind: %+v", d.Status.Conditions)
	}
}

func TestDeleteWhenRemoteIsAlreadyGone(t *testing.T) {
	ns := newNamespace(t)
	key := createDestination(t, ns, "gone", v1.DestinationSpec{HTTP: &v1.HTTPDestination{URL: "https://receiver.example.com/g"}})
	d := waitForReady(t, key)
	if err := remote.DeleteDestination(context.Background(), d.Status.ID); err != nil {
		t.Fatal(err)
	}
	deleteAndWaitGone(t, key)
}

func TestDeleteOfNeverCreatedMakesNoCall(t *testing.T) {
	ns := newNamespace(t)
	key := createDestination(t, ns, "never", v1.DestinationSpec{
		ManagedSpec: v1.ManagedSpec{CredentialsRef: &v1.LocalObjectReference{Name: "missing"}},
		HTTP:        &v1.HTTPDestination{URL: "https://receiver.example.com/n"},
	})
	waitForCondition(t, key, v1.ConditionReady, metav1.ConditionFalse, v1.ReasonCredentialsNotFound)
	before := emu.Stats().Total()
	deleteAndWaitGone(t, key)
	if n := emu.Stats().Total() - before; n != 0 {
		t.Errorf("%d hookstream calls to delete a never-created destination", n)
	}
}

func TestRemoteDeletedOutOfBandIsRecreated(t *testing.T) {
	ns := newNamespace(t)
	key := createDestination(t, ns, "recreate", v1.DestinationSpec{HTTP: &v1.HTTPDestination{URL: "https://receiver.example.com/r"}})
	d := waitForReady(t, key)
	oldID := d.Status.ID
	if err := remote.DeleteDestination(context.Background(), oldID); err != nil {
		t.Fatal(err)
	}
	requestReconcile(t, key)
	d = waitForReady(t, key)
	if d.Status.ID == "" || d.Status.ID == oldID {
		t.Errorf("status.id = %q after the remote was deleted (old %q)", d.Status.ID, oldID)
	}
}

func findCondition(d *v1.Destination, condType string) *metav1.Condition {
	for i := range d.Status.Conditions {
		if d.Status.Conditions[i].Type == condType {
			return &d.Status.Conditions[i]
		}
	}
	return nil
}

// TestSecretsOfOtherNamespacesAreNotRead: a reference names a Secret of the Destination's namespace only; a Secret
// of the same name elsewhere is never used.
func TestSecretsOfOtherNamespacesAreNotRead(t *testing.T) {
	other := newNamespace(t)
	createSecret(t, other, "shared-token", map[string]string{"token": "other-namespace-token"})
	ns := newNamespace(t)
	key := createDestination(t, ns, "cross", v1.DestinationSpec{HTTP: &v1.HTTPDestination{
		URL:  "https://receiver.example.com/x",
		Auth: &v1.HTTPAuth{Type: v1.HTTPAuthBearer, Bearer: &v1.BearerAuth{TokenSecretRef: v1.SecretKeySelector{Name: "shared-token", Key: "token"}}},
	}})
	d := waitForCondition(t, key, v1.ConditionReady, metav1.ConditionFalse, v1.ReasonSecretNotFound)
	if d.Status.ID != "" {
		t.Errorf("a destination was created with another namespace's Secret: %s", d.Status.ID)
	}
}
