// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package faults

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/emulator"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/test/harness/harnesstest"
)

// sentinel returns a recognisable secret value whose last 16 characters are random.
func sentinel(kind string) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "SENTINEL-" + kind + "-7f3a-" + hex.EncodeToString(b)
}

// haystack is one output that must not contain a secret.
type haystack struct {
	name string
	text strings.Builder
}

// occurrences counts a secret in text as itself, base64-encoded, or by its random tail alone.
func occurrences(text, secret string) int {
	return strings.Count(text, secret) + strings.Count(text, base64.StdEncoding.EncodeToString([]byte(secret))) +
		strings.Count(text, secret[len(secret)-16:])
}

// secretsManifest is the three Secrets of the scenario's Destinations and Sources, with the values of one
// generation.
func secretsManifest(v map[string]string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata: {name: receiver}
stringData: {token: %q, signature: %q, password: %q, apikey: %q}
---
apiVersion: v1
kind: Secret
metadata: {name: providers}
stringData: {sqs: %q, kafka: %q, rabbit: %q}
---
apiVersion: v1
kind: Secret
metadata: {name: signing}
stringData: {sha256: %q, sha1: %q}
`, v["BEARER-TOKEN"], v["HEADER-SECRET"], v["BASIC-PASSWORD"], v["APIKEY-AUTH"], v["SQS-SECRET-ACCESS-KEY"],
		v["KAFKA-API-SECRET"], v["RABBITMQ-PASSWORD"], v["SIGNING-SHA256"], v["SIGNING-SHA1"])
}

// sourceSecrets maps the Sources of sourcesManifest to the secret kind their signatures are checked with.
var sourceSecrets = map[string]string{"ingest-sha256": "SIGNING-SHA256", "ingest-sha1": "SIGNING-SHA1"}

func sourcesManifest(ns string) string {
	return fmt.Sprintf(`apiVersion: hookstream.io/v1alpha1
kind: Source
metadata: {name: ingest-sha256}
spec:
  slug: %[1]s-ingest-sha256
  displayName: Ingest v1
  verification: {type: hmac_sha256, header: X-Hub-Signature-256, secretRef: {name: signing, key: sha256}}
  deduplication: {strategy: payload_hash, windowSeconds: 600}
---
apiVersion: hookstream.io/v1alpha1
kind: Source
metadata: {name: ingest-sha1}
spec:
  slug: %[1]s-ingest-sha1
  verification: {type: hmac_sha1, header: X-Signature, secretRef: {name: signing, key: sha1}}
  ipAllowlist: [203.0.113.0/24]
`, ns)
}

// remoteSecretIs reports whether a secret read back from hookstream, masked ("****" and the last four characters)
// or in plain text, is the given one. It never shows either.
func remoteSecretIs(got *string, want string) bool {
	return got != nil && (*got == want || *got == "****"+want[len(want)-4:])
}

func destinationsManifest(ns string) string {
	return fmt.Sprintf(`apiVersion: hookstream.io/v1alpha1
kind: Destination
metadata: {name: web-bearer}
spec:
  slug: %[1]s-web-bearer
  http:
    url: https://receiver.example.com/bearer
    headers: {X-Team: payments}
    headersFrom:
    - {name: X-Signature, valueFrom: {name: receiver, key: signature}}
    auth: {type: bearer, bearer: {tokenSecretRef: {name: receiver, key: token}}}
---
apiVersion: hookstream.io/v1alpha1
kind: Destination
metadata: {name: web-basic}
spec:
  slug: %[1]s-web-basic
  displayName: Basic v1
  http:
    url: https://receiver.example.com/basic
    auth: {type: basic, basic: {username: hookstream, passwordSecretRef: {name: receiver, key: password}}}
---
apiVersion: hookstream.io/v1alpha1
kind: Destination
metadata: {name: web-apikey}
spec:
  slug: %[1]s-web-apikey
  http:
    url: https://receiver.example.com/apikey
    auth: {type: apiKey, apiKey: {header: X-Api-Key, valueSecretRef: {name: receiver, key: apikey}}}
---
apiVersion: hookstream.io/v1alpha1
kind: Destination
metadata: {name: queue}
spec:
  slug: %[1]s-queue
  awsSqs:
    queueUrl: https://sqs.eu-west-1.amazonaws.com/123456789012/orders
    region: eu-west-1
    accessKeyId: AKIAIOSFODNN7EXAMPLE
    secretAccessKeySecretRef: {name: providers, key: sqs}
---
apiVersion: hookstream.io/v1alpha1
kind: Destination
metadata: {name: stream}
spec:
  slug: %[1]s-stream
  kafka:
    bootstrapServers: pkc-1.eu-west-1.aws.confluent.cloud:9092
    clusterId: lkc-1
    topic: orders
    apiKey: KAFKAKEY00000001
    apiSecretSecretRef: {name: providers, key: kafka}
---
apiVersion: hookstream.io/v1alpha1
kind: Destination
metadata: {name: rabbit}
spec:
  slug: %[1]s-rabbit
  rabbitmq:
    url: amqps://rabbit.example.com:5671
    exchange: orders
    routingKey: orders.created
    username: hookstream
    passwordSecretRef: {name: providers, key: rabbit}
`, ns)
}

// storedRow is a remote destination as the emulator stores it, secrets unmasked.
func storedRow(t testing.TB, emu *harnesstest.Emulator, id string) string {
	t.Helper()
	var out struct {
		Destination emulator.Destination `json:"destination"`
	}
	emu.Admin(t, http.MethodGet, "/_emulator/destinations/"+id, nil, &out)
	d := out.Destination
	return fmt.Sprintf("%s %s %s", deref(d.Headers), deref(d.AuthConfig), deref(d.ProviderConfig))
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func setAPIKey(t testing.TB, ns, key string) {
	t.Helper()
	secret := &corev1.Secret{}
	must(t, kube.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: "hookstream-credentials"}, secret))
	secret.Data = map[string][]byte{v1.CredentialsKey: []byte(key)}
	must(t, kube.Update(context.Background(), secret))
}

// TestNoSecretInAnyOutput runs the whole lifecycle of Destinations and Sources with recognisable secret values (the
// API key, a wrong API key, HTTP auth secrets, a secret header, provider secrets, source signing secrets, values
// someone else wrote into hookstream), rotates them,
// provokes every class of hookstream failure (400, 401, 429, 503) and drift, and deletes everything. None of the
// values may appear in the manager's debug log, in any Event, in any status, or in any condition message.
func TestNoSecretInAnyOutput(t *testing.T) {
	r := table.start(t, "secrets in logs, events, status")
	apiKey, wrongKey, drifted := sentinel("API-KEY"), sentinel("WRONG-API-KEY"), sentinel("REMOTE-HEADER")
	kinds := []string{"BEARER-TOKEN", "HEADER-SECRET", "BASIC-PASSWORD", "APIKEY-AUTH", "SQS-SECRET-ACCESS-KEY",
		"KAFKA-API-SECRET", "RABBITMQ-PASSWORD", "SIGNING-SHA256", "SIGNING-SHA1"}
	driftedSigning := sentinel("REMOTE-SIGNING")
	v1Values, v2Values := map[string]string{}, map[string]string{}
	secrets := map[string]string{"API-KEY": apiKey, "WRONG-API-KEY": wrongKey, "REMOTE-HEADER": drifted,
		"REMOTE-SIGNING": driftedSigning}
	for _, k := range kinds {
		v1Values[k], v2Values[k] = sentinel(k), sentinel(k+"-V2")
		secrets[k], secrets[k+"-V2"] = v1Values[k], v2Values[k]
	}

	emu := s.StartEmulatorWithKey(t, apiKey)
	hs := emu.Client(t)
	ns := s.NewNamespace(t, "secrets")
	setAPIKey(t, ns, apiKey)
	mgr := s.StartManager(t, emu, ns, "--zap-log-level=debug")

	statuses := &haystack{name: "Destination and Source statuses (kubectl get -o yaml)"}
	messages := &haystack{name: "condition messages of provoked failures"}
	snapshot := func() {
		statuses.text.WriteString(s.MustKubectl(t, "get", "destinations,sources", "-n", ns, "-o", "yaml"))
	}
	recordMessages := func() {
		for _, k := range secretKinds {
			items, err := listObjects(k, ns)
			must(t, err)
			for _, obj := range items {
				for _, c := range obj.GetManagedStatus().Conditions {
					fmt.Fprintf(&messages.text, "%s %s %s %s: %s\n", k.kind(), obj.GetName(), c.Type, c.Reason, c.Message)
				}
			}
		}
	}
	allReady := func(what string) {
		t.Helper()
		waitAll(t, ns, 60*time.Second, what, func(obj object) error {
			if !readyForGeneration(obj) {
				return fmt.Errorf("not Ready for generation %d (%s)", obj.GetGeneration(), conditionSummary(obj))
			}
			return nil
		}, secretKinds...)
	}
	steps := 0

	// Create everything.
	s.Apply(t, ns, secretsManifest(v1Values))
	s.Apply(t, ns, destinationsManifest(ns))
	s.Apply(t, ns, sourcesManifest(ns))
	steps += 11
	allReady("all Destinations and Sources Ready")
	harnesstest.WaitUntil(t, 10*time.Second, "the signing secrets in hookstream", func() error { return sourceSecretsAre(hs, ns, v1Values) })
	snapshot()

	// Rotate every secret value: hookstream must get the new ones.
	s.Apply(t, ns, secretsManifest(v2Values))
	steps += 3
	harnesstest.WaitUntil(t, 60*time.Second, "the rotated secrets in hookstream", func() error {
		return rotated(t, emu, hs, ns, kinds, v2Values)
	})
	allReady("all Destinations and Sources Ready after the rotation")
	snapshot()

	// Someone changes a destination in hookstream, secret header included; the operator reverts it.
	bearer := &v1.Destination{}
	must(t, kube.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: "web-bearer"}, bearer))
	_, err := hs.UpdateDestination(context.Background(), bearer.Status.ID, &hookstream.UpdateRequest{
		Name:    hookstream.Set("changed elsewhere"),
		Headers: hookstream.Set(map[string]string{"X-Team": "payments", "X-Signature": drifted}),
	})
	must(t, err)
	// The same for a source's signing secret.
	ingest := &v1.Source{}
	must(t, kube.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: "ingest-sha256"}, ingest))
	_, err = hs.UpdateSource(context.Background(), ingest.Status.ID, &hookstream.SourceUpdateRequest{
		Name:               hookstream.Set("changed elsewhere"),
		VerificationSecret: hookstream.Set(driftedSigning),
	})
	must(t, err)
	annotateAll(t, ns, "drift", secretKinds...)
	steps += 2
	harnesstest.WaitUntil(t, 60*time.Second, "the drift to be reverted", func() error {
		if row := storedRow(t, emu, bearer.Status.ID); !strings.Contains(row, v2Values["HEADER-SECRET"]) {
			return fmt.Errorf("hookstream still has the header written elsewhere")
		}
		src, err := hs.GetSource(context.Background(), ingest.Status.ID)
		if err != nil {
			return err
		}
		if src.Name == "changed elsewhere" || !remoteSecretIs(src.VerificationSecret, v2Values["SIGNING-SHA256"]) {
			return fmt.Errorf("hookstream still has the source's name or signing secret written elsewhere")
		}
		return nil
	})
	allReady("all Destinations and Sources Ready after the drift")
	snapshot()

	// hookstream rejects an update with 400: the spec is marked invalid with hookstream's message.
	emu.SetFaults(t, emulator.Faults{ErrorRate: 1, ErrorStatus: http.StatusBadRequest,
		Routes: []string{destinations.routes().Update, sources.routes().Update}})
	patchDisplayName(t, destinations, ns, "web-basic", "Basic v2")
	patchDisplayName(t, sources, ns, "ingest-sha256", "Ingest v2")
	steps += 2
	for k, name := range map[kindOps]string{destinations: "web-basic", sources: "ingest-sha256"} {
		waitOne(t, k, ns, name, func(obj object) error {
			return hasCondition(obj, v1.ConditionStalled, metav1.ConditionTrue, v1.ReasonInvalidSpec)
		})
	}
	snapshot()
	recordMessages()
	emu.ClearFaults(t)
	patchDisplayName(t, destinations, ns, "web-basic", "Basic v3")
	patchDisplayName(t, sources, ns, "ingest-sha256", "Ingest v3")
	steps += 2
	allReady("all Destinations and Sources Ready after the 400")

	// A wrong API key: 401 on every Destination, until the right key is back.
	setAPIKey(t, ns, wrongKey)
	steps++
	waitAll(t, ns, 60*time.Second, "Unauthorized everywhere", func(obj object) error {
		return hasCondition(obj, v1.ConditionSynced, metav1.ConditionFalse, v1.ReasonUnauthorized)
	}, secretKinds...)
	snapshot()
	recordMessages()
	setAPIKey(t, ns, apiKey)
	steps++
	waitAll(t, ns, 60*time.Second, "Synced again with the right key", func(obj object) error {
		return hasCondition(obj, v1.ConditionSynced, metav1.ConditionTrue, "")
	}, secretKinds...)

	// hookstream failing with 500, then a 429 storm, each met by a check that every object asks for. (An
	// outage's 503 is the outage scenario's subject.)
	for _, f := range []struct {
		faults  emulator.Faults
		reasons []string
	}{
		{emulator.Faults{ErrorRate: 1, ErrorStatus: http.StatusInternalServerError}, []string{v1.ReasonAPIUnavailable}},
		{emulator.Faults{ErrorRate: 1, ErrorStatus: http.StatusTooManyRequests}, []string{v1.ReasonRateLimited}},
	} {
		emu.SetFaults(t, f.faults)
		annotateAll(t, ns, f.reasons[0], secretKinds...)
		steps++
		// A retried check may be answered differently within a second: every object must have shown the failure
		// at least once, and each message shown is searched.
		seen := map[string]bool{}
		waitAll(t, ns, 60*time.Second, f.reasons[0]+" on every object", func(obj object) error {
			key := fmt.Sprintf("%T %s", obj, obj.GetName())
			conditions := obj.GetManagedStatus().Conditions
			c := meta.FindStatusCondition(conditions, v1.ConditionSynced)
			if c != nil && c.Status == metav1.ConditionFalse && slices.Contains(f.reasons, c.Reason) && !seen[key] {
				seen[key] = true
				for _, c := range conditions {
					fmt.Fprintf(&messages.text, "%s %s %s: %s\n", key, c.Type, c.Reason, c.Message)
				}
			}
			if !seen[key] {
				return fmt.Errorf("has not shown Synced=False/%v yet (%s)", f.reasons, conditionSummary(obj))
			}
			return nil
		}, secretKinds...)
		snapshot()
		emu.ClearFaults(t)
		waitAll(t, ns, size.recoveryLimit, "Synced after "+f.reasons[0], func(obj object) error {
			return hasCondition(obj, v1.ConditionSynced, metav1.ConditionTrue, "")
		}, secretKinds...)
	}
	snapshot()

	// Delete everything: hookstream must be empty.
	runs := runsOf(t, ns, secretKinds...)
	for _, run := range runs {
		items, err := listObjects(run.k, ns)
		must(t, err)
		for _, obj := range items {
			must(t, run.delete(obj.GetName()))
			steps++
		}
	}
	waitConverged(t, mgr, runs...)
	r.Attempted = steps
	for _, run := range runs {
		tl := compareRemote(t, hs, run)
		tl.addTo(r)
		tl.report(t)
	}

	logs := &haystack{name: "manager log (--zap-log-level=debug)"}
	logs.text.WriteString(mgr.Logs())
	events := &haystack{name: "Events (core/v1 and events.k8s.io/v1)"}
	events.text.WriteString(s.MustKubectl(t, "get", "events.events.k8s.io", "-n", ns, "-o", "yaml"))
	coreEvents := s.MustKubectl(t, "get", "events", "-n", ns, "-o", "yaml")
	events.text.WriteString(coreEvents)
	eventCount := strings.Count(coreEvents, "\n  kind: Event\n")
	if eventCount == 0 || !strings.Contains(events.text.String(), "DriftCorrected") {
		t.Errorf("the Events hold no DriftCorrected event; the search would prove little:\n%s", events.text.String())
	}
	for _, h := range []*haystack{logs, events, statuses, messages} {
		found := 0
		for kind, value := range secrets {
			if n := occurrences(h.text.String(), value); n > 0 {
				found += n
				t.Errorf("%s contains the %s value %d times", h.name, kind, n)
			}
		}
		r.note("%s: %d KiB searched, %d hits", h.name, h.text.Len()/1024, found)
	}
	r.note("%d secret values (as written, base64, and their random 16-character tail), Source signing secrets "+
		"included; %d Events; failures provoked: 400 InvalidSpec, 401 Unauthorized, 500 APIUnavailable, 429 RateLimited, "+
		"drift of a secret header and of a signing secret", len(secrets), eventCount)
	checkNoPanic(t, mgr)
}

// sourceSecretsAre checks that hookstream holds the given signing secrets, by kind of secret, without showing them.
func sourceSecretsAre(hs *hookstream.Client, ns string, values map[string]string) error {
	items, err := listObjects(sources, ns)
	if err != nil {
		return err
	}
	for _, obj := range items {
		id := obj.GetManagedStatus().ID
		if id == "" {
			return fmt.Errorf("Source %s has no id", obj.GetName())
		}
		src, err := hs.GetSource(context.Background(), id)
		if err != nil {
			return err
		}
		if kind := sourceSecrets[obj.GetName()]; !remoteSecretIs(src.VerificationSecret, values[kind]) {
			return fmt.Errorf("hookstream's source %s does not have the wanted %s", id, kind)
		}
	}
	return nil
}

// rotated checks that hookstream holds the values of every kind of secret.
func rotated(t testing.TB, emu *harnesstest.Emulator, hs *hookstream.Client, ns string, kinds []string, values map[string]string) error {
	items, err := listObjects(destinations, ns)
	if err != nil {
		return err
	}
	stored := ""
	for _, obj := range items {
		id := obj.GetManagedStatus().ID
		if id == "" {
			return fmt.Errorf("%s has no id", obj.GetName())
		}
		stored += storedRow(t, emu, id)
	}
	for _, k := range kinds {
		if strings.HasPrefix(k, "SIGNING-") {
			continue // a source's, checked below
		}
		if !strings.Contains(stored, values[k]) {
			return fmt.Errorf("the new %s is not in hookstream", k)
		}
	}
	return sourceSecretsAre(hs, ns, values)
}

func patchDisplayName(t testing.TB, k kindOps, ns, name, value string) {
	t.Helper()
	obj := k.newObject()
	must(t, kube.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, obj))
	before := obj.DeepCopyObject().(object)
	switch o := obj.(type) {
	case *v1.Destination:
		o.Spec.DisplayName = value
	case *v1.Source:
		o.Spec.DisplayName = value
	}
	must(t, kube.Patch(context.Background(), obj, client.MergeFrom(before)))
}

func waitOne(t testing.TB, k kindOps, ns, name string, check func(obj object) error) {
	t.Helper()
	harnesstest.WaitUntil(t, 60*time.Second, k.kind()+" "+name, func() error {
		obj := k.newObject()
		if err := kube.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, obj); err != nil {
			return err
		}
		return check(obj)
	})
}
