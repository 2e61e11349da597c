/*
Copyright 2026.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

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

// secretsManifest is the two Secrets of the scenario's Destinations, with the values of one generation.
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
`, v["BEARER-TOKEN"], v["HEADER-SECRET"], v["BASIC-PASSWORD"], v["APIKEY-AUTH"], v["SQS-SECRET-ACCESS-KEY"],
		v["KAFKA-API-SECRET"], v["RABBITMQ-PASSWORD"])
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

// TestNoSecretInAnyOutput runs the whole lifecycle with recognisable secret values (the API key, a wrong API key,
// HTTP auth secrets, a secret header, provider secrets, a value someone else wrote into hookstream), rotates them,
// provokes every class of hookstream failure (400, 401, 429, 503) and drift, and deletes everything. None of the
// values may appear in the manager's debug log, in any Event, in any status, or in any condition message.
func TestNoSecretInAnyOutput(t *testing.T) {
	r := table.start(t, "secrets in logs, events, status")
	apiKey, wrongKey, drifted := sentinel("API-KEY"), sentinel("WRONG-API-KEY"), sentinel("REMOTE-HEADER")
	kinds := []string{"BEARER-TOKEN", "HEADER-SECRET", "BASIC-PASSWORD", "APIKEY-AUTH", "SQS-SECRET-ACCESS-KEY",
		"KAFKA-API-SECRET", "RABBITMQ-PASSWORD"}
	v1Values, v2Values := map[string]string{}, map[string]string{}
	secrets := map[string]string{"API-KEY": apiKey, "WRONG-API-KEY": wrongKey, "REMOTE-HEADER": drifted}
	for _, k := range kinds {
		v1Values[k], v2Values[k] = sentinel(k), sentinel(k+"-V2")
		secrets[k], secrets[k+"-V2"] = v1Values[k], v2Values[k]
	}

	emu := s.StartEmulatorWithKey(t, apiKey)
	hs := emu.Client(t)
	ns := s.NewNamespace(t, "secrets")
	setAPIKey(t, ns, apiKey)
	mgr := s.StartManager(t, emu, ns, "--zap-log-level=debug")

	statuses := &haystack{name: "Destination statuses (kubectl get -o yaml)"}
	messages := &haystack{name: "condition messages of provoked failures"}
	snapshot := func() {
		statuses.text.WriteString(s.MustKubectl(t, "get", "destinations", "-n", ns, "-o", "yaml"))
	}
	recordMessages := func() {
		items, err := listObjects(destinations, ns)
		must(t, err)
		for _, obj := range items {
			for _, c := range obj.GetManagedStatus().Conditions {
				fmt.Fprintf(&messages.text, "%s %s %s: %s\n", obj.GetName(), c.Type, c.Reason, c.Message)
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
		}, destinations)
	}
	steps := 0

	// Create everything.
	s.Apply(t, ns, secretsManifest(v1Values))
	s.Apply(t, ns, destinationsManifest(ns))
	steps += 8
	allReady("all Destinations Ready")
	snapshot()

	// Rotate every secret value: hookstream must get the new ones.
	s.Apply(t, ns, secretsManifest(v2Values))
	steps += 2
	harnesstest.WaitUntil(t, 60*time.Second, "the rotated secrets in hookstream", func() error {
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
			if !strings.Contains(stored, v2Values[k]) {
				return fmt.Errorf("the new %s is not in hookstream", k)
			}
		}
		return nil
	})
	allReady("all Destinations Ready after the rotation")
	snapshot()

	// Someone changes a destination in hookstream, secret header included; the operator reverts it.
	bearer := &v1.Destination{}
	must(t, kube.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: "web-bearer"}, bearer))
	_, err := hs.UpdateDestination(context.Background(), bearer.Status.ID, &hookstream.UpdateRequest{
		Name:    hookstream.Set("changed elsewhere"),
		Headers: hookstream.Set(map[string]string{"X-Team": "payments", "X-Signature": drifted}),
	})
	must(t, err)
	annotateAll(t, ns, "drift", destinations)
	steps++
	harnesstest.WaitUntil(t, 60*time.Second, "the drift to be reverted", func() error {
		if row := storedRow(t, emu, bearer.Status.ID); !strings.Contains(row, v2Values["HEADER-SECRET"]) {
			return fmt.Errorf("hookstream still has the header written elsewhere")
		}
		return nil
	})
	allReady("all Destinations Ready after the drift")
	snapshot()

	// hookstream rejects an update with 400: the spec is marked invalid with hookstream's message.
	emu.SetFaults(t, emulator.Faults{ErrorRate: 1, ErrorStatus: http.StatusBadRequest, Routes: []string{emulator.RouteUpdateDestination}})
	patchDisplayName(t, destinations, ns, "web-basic", "Basic v2")
	steps++
	waitOne(t, destinations, ns, "web-basic", func(obj object) error {
		return hasCondition(obj, v1.ConditionStalled, metav1.ConditionTrue, v1.ReasonInvalidSpec)
	})
	snapshot()
	recordMessages()
	emu.ClearFaults(t)
	patchDisplayName(t, destinations, ns, "web-basic", "Basic v3")
	steps++
	allReady("all Destinations Ready after the 400")

	// A wrong API key: 401 on every Destination, until the right key is back.
	setAPIKey(t, ns, wrongKey)
	steps++
	waitAll(t, ns, 60*time.Second, "Unauthorized everywhere", func(obj object) error {
		return hasCondition(obj, v1.ConditionSynced, metav1.ConditionFalse, v1.ReasonUnauthorized)
	}, destinations)
	snapshot()
	recordMessages()
	setAPIKey(t, ns, apiKey)
	steps++
	waitAll(t, ns, 60*time.Second, "Synced again with the right key", func(obj object) error {
		return hasCondition(obj, v1.ConditionSynced, metav1.ConditionTrue, "")
	}, destinations)

	// hookstream failing with 500, then a 429 storm, each met by a check that every Destination asks for. (An
	// outage's 503 is the outage scenario's subject.)
	for _, f := range []struct {
		faults  emulator.Faults
		reasons []string
	}{
		{emulator.Faults{ErrorRate: 1, ErrorStatus: http.StatusInternalServerError}, []string{v1.ReasonAPIUnavailable}},
		{emulator.Faults{ErrorRate: 1, ErrorStatus: http.StatusTooManyRequests}, []string{v1.ReasonRateLimited}},
	} {
		emu.SetFaults(t, f.faults)
		annotateAll(t, ns, f.reasons[0], destinations)
		steps++
		// A retried check may be answered differently within a second: every Destination must have shown the
		// failure at least once, and each message shown is searched.
		seen := map[string]bool{}
		waitAll(t, ns, 60*time.Second, f.reasons[0]+" on every Destination", func(obj object) error {
			name, conditions := obj.GetName(), obj.GetManagedStatus().Conditions
			c := meta.FindStatusCondition(conditions, v1.ConditionSynced)
			if c != nil && c.Status == metav1.ConditionFalse && slices.Contains(f.reasons, c.Reason) && !seen[name] {
				seen[name] = true
				for _, c := range conditions {
					fmt.Fprintf(&messages.text, "%s %s %s: %s\n", name, c.Type, c.Reason, c.Message)
				}
			}
			if !seen[name] {
				return fmt.Errorf("has not shown Synced=False/%v yet (%s)", f.reasons, conditionSummary(obj))
			}
			return nil
		}, destinations)
		snapshot()
		emu.ClearFaults(t)
		waitAll(t, ns, size.recoveryLimit, "Synced after "+f.reasons[0], func(obj object) error {
			return hasCondition(obj, v1.ConditionSynced, metav1.ConditionTrue, "")
		}, destinations)
	}
	snapshot()

	// Delete everything: hookstream must be empty.
	run := newKindRun(t, destinations, ns)
	items, err := listObjects(destinations, ns)
	must(t, err)
	for _, obj := range items {
		must(t, run.delete(obj.GetName()))
		steps++
	}
	waitConverged(t, mgr, run)
	r.Attempted = steps
	tl := compareRemote(t, hs, run)
	tl.addTo(r)
	tl.report(t)

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
	r.note("%d secret values (as written, base64, and their random 16-character tail); %d Events; failures provoked: "+
		"400 InvalidSpec, 401 Unauthorized, 500 APIUnavailable, 429 RateLimited, drift of a secret header", len(secrets), eventCount)
	checkNoPanic(t, mgr)
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
