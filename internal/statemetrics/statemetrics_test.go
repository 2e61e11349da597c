// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package statemetrics

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/internal/managed"
	"github.com/hookstream/hookstream-operator/test/testenv"
)

func objectMeta(ns, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: ns, Name: name, Generation: 1}
}

// cluster holds objects whose statuses the reconciler's own condition setters wrote.
func cluster(t *testing.T) client.Reader {
	t.Helper()
	ready := &v1.Destination{ObjectMeta: objectMeta("team-a", "ready")}
	managed.SetAvailable(ready, "destination")
	ready.Status.Circuit = &v1.CircuitStatus{State: v1.CircuitClosed}

	open := &v1.Destination{ObjectMeta: objectMeta("team-a", "open")}
	managed.SetAvailable(open, "destination")
	open.Status.Circuit = &v1.CircuitStatus{State: v1.CircuitOpen}
	open.Spec.DeletionPolicy = v1.DeletionOrphan
	// Drift corrected under Manage.
	managed.SetDrift(open, []managed.FieldDiff{{Field: "url", Desired: "https://a", Observed: "https://b"}})

	blankKey := &v1.Destination{ObjectMeta: objectMeta("team-a", "blank-key")}
	managed.SetStalled(blankKey, v1.ReasonCredentialsInvalid, "The apiKey is empty.")

	paused := &v1.Destination{ObjectMeta: objectMeta("team-b", "paused")}
	paused.Annotations = map[string]string{v1.AnnotationPaused: "true"}
	managed.SetPaused(paused) // never reconciled before: no Ready condition, no circuit read

	observedDrift := &v1.Source{ObjectMeta: objectMeta("team-a", "observed")}
	observedDrift.Spec.ManagementPolicy = v1.ManagementObserve
	managed.SetObservedDrift(observedDrift, []string{"name"})
	managed.SetDrift(observedDrift, []managed.FieldDiff{{Field: "name", Desired: "a", Observed: "b"}})

	waiting := &v1.Connection{ObjectMeta: objectMeta("team-a", "waiting")}
	managed.SetRetrying(waiting, v1.ReasonWaitingForSource, "Waiting for Source team-a/x.")

	return fake.NewClientBuilder().WithScheme(testenv.Scheme()).
		WithObjects(ready, open, blankKey, paused, observedDrift, waiting).
		WithStatusSubresource(&v1.Destination{}, &v1.Source{}, &v1.Connection{}).Build()
}

func TestStateGaugesOnTheLeader(t *testing.T) {
	c := New(cluster(t), nil, "hookstream-operator")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = c.Start(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
	waitLeading(t, c)

	want := `
# HELP hookstream_objects Objects by kind, namespace, status of the Ready condition (True, False, Unknown; Unknown also when it is not set yet) and its reason.
# TYPE hookstream_objects gauge
hookstream_objects{kind="Connection",namespace="team-a",ready="False",reason="WaitingForSource"} 1
hookstream_objects{kind="Destination",namespace="team-a",ready="False",reason="CredentialsInvalid"} 1
hookstream_objects{kind="Destination",namespace="team-a",ready="True",reason="Available"} 2
hookstream_objects{kind="Destination",namespace="team-b",ready="Unknown",reason=""} 1
hookstream_objects{kind="Source",namespace="team-a",ready="False",reason="DriftDetected"} 1
# HELP hookstream_destination_circuits Destinations by namespace and circuit breaker state in status.circuit (closed, open, half-open; unknown before the first read).
# TYPE hookstream_destination_circuits gauge
hookstream_destination_circuits{namespace="team-a",state="closed"} 1
hookstream_destination_circuits{namespace="team-a",state="open"} 1
hookstream_destination_circuits{namespace="team-a",state="unknown"} 1
hookstream_destination_circuits{namespace="team-b",state="unknown"} 1
# HELP hookstream_manager_leader 1 on the manager replica that runs the controllers (the leader, or the only replica without leader election), 0 on a standby. The state gauges are exported by the leader only.
# TYPE hookstream_manager_leader gauge
hookstream_manager_leader{lease="hookstream-operator"} 1
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want),
		"hookstream_objects", "hookstream_destination_circuits", "hookstream_manager_leader"); err != nil {
		t.Error(err)
	}

	// Per kind and namespace, zeros included, so that a rule can tell "none" from "not exported".
	perNamespace := `
# HELP hookstream_objects_paused Objects with the hookstream.io/paused annotation set to "true" (no hookstream call), by kind and namespace.
# TYPE hookstream_objects_paused gauge
hookstream_objects_paused{kind="Connection",namespace="team-a"} 0
hookstream_objects_paused{kind="Destination",namespace="team-a"} 0
hookstream_objects_paused{kind="Destination",namespace="team-b"} 1
hookstream_objects_paused{kind="Source",namespace="team-a"} 0
# HELP hookstream_objects_observe_only Objects with managementPolicy Observe (never written to hookstream), by kind and namespace.
# TYPE hookstream_objects_observe_only gauge
hookstream_objects_observe_only{kind="Connection",namespace="team-a"} 0
hookstream_objects_observe_only{kind="Destination",namespace="team-a"} 0
hookstream_objects_observe_only{kind="Destination",namespace="team-b"} 0
hookstream_objects_observe_only{kind="Source",namespace="team-a"} 1
# HELP hookstream_objects_orphaning Objects with deletionPolicy Orphan (their remote resource stays in hookstream when they are deleted), by kind and namespace.
# TYPE hookstream_objects_orphaning gauge
hookstream_objects_orphaning{kind="Connection",namespace="team-a"} 0
hookstream_objects_orphaning{kind="Destination",namespace="team-a"} 1
hookstream_objects_orphaning{kind="Destination",namespace="team-b"} 0
hookstream_objects_orphaning{kind="Source",namespace="team-a"} 0
# HELP hookstream_objects_drifted Objects whose status.drift lists fields, by kind, namespace and managementPolicy: under Observe what differs from the spec now, under Manage what the last correction reverted.
# TYPE hookstream_objects_drifted gauge
hookstream_objects_drifted{kind="Connection",management_policy="Manage",namespace="team-a"} 0
hookstream_objects_drifted{kind="Connection",management_policy="Observe",namespace="team-a"} 0
hookstream_objects_drifted{kind="Destination",management_policy="Manage",namespace="team-a"} 1
hookstream_objects_drifted{kind="Destination",management_policy="Observe",namespace="team-a"} 0
hookstream_objects_drifted{kind="Destination",management_policy="Manage",namespace="team-b"} 0
hookstream_objects_drifted{kind="Destination",management_policy="Observe",namespace="team-b"} 0
hookstream_objects_drifted{kind="Source",management_policy="Manage",namespace="team-a"} 0
hookstream_objects_drifted{kind="Source",management_policy="Observe",namespace="team-a"} 1
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(perNamespace), "hookstream_objects_paused",
		"hookstream_objects_observe_only", "hookstream_objects_orphaning", "hookstream_objects_drifted"); err != nil {
		t.Error(err)
	}
	problems, err := testutil.CollectAndLint(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

func TestStandbyExportsNoState(t *testing.T) {
	c := New(cluster(t), nil, "")
	want := `
# HELP hookstream_manager_leader 1 on the manager replica that runs the controllers (the leader, or the only replica without leader election), 0 on a standby. The state gauges are exported by the leader only.
# TYPE hookstream_manager_leader gauge
hookstream_manager_leader{lease=""} 0
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

// failingReader fails every list, as a cache that cannot sync would.
type failingReader struct{ client.Reader }

func (failingReader) List(context.Context, client.ObjectList, ...client.ListOption) error {
	return errors.New("cache not synced")
}

func TestListFailuresAreCounted(t *testing.T) {
	c := New(failingReader{}, nil, "")
	c.leading.Store(true)
	for range 2 {
		if n := testutil.CollectAndCount(c, "hookstream_objects"); n != 0 {
			t.Errorf("%d hookstream_objects series from a failing cache, want 0", n)
		}
	}
	// Two scrapes above and the one that compares.
	want := `
# HELP hookstream_state_metrics_errors_total Scrapes whose read of a kind's objects from the manager's cache failed (that kind's state gauges were left out), by kind.
# TYPE hookstream_state_metrics_errors_total counter
hookstream_state_metrics_errors_total{kind="Connection"} 3
hookstream_state_metrics_errors_total{kind="Destination"} 3
hookstream_state_metrics_errors_total{kind="Source"} 3
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), "hookstream_state_metrics_errors_total"); err != nil {
		t.Error(err)
	}
}

func TestRateBudgetPerKeyHash(t *testing.T) {
	const key = "hs_test_statemetrics_key_0123456789"
	limiters := hookstream.NewLimiterRegistry(7, 3)
	limiter := limiters.For(key)
	for range 2 {
		if err := limiter.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	limiter.Observe(hookstream.RateLimitInfo{StatusCode: 429})
	c := New(failingReader{}, limiters, "")

	hash := hookstream.KeyHash(key)
	want := `
# HELP hookstream_rate_limit_requests_total Requests to hookstream the rate budget of an API key let through, by key hash (see docs/metrics.md).
# TYPE hookstream_rate_limit_requests_total counter
hookstream_rate_limit_requests_total{key="` + hash + `"} 2
# HELP hookstream_rate_limited_responses_total 429 (Too Many Requests) answers from hookstream, by key hash.
# TYPE hookstream_rate_limited_responses_total counter
hookstream_rate_limited_responses_total{key="` + hash + `"} 1
# HELP hookstream_rate_limit_budget_requests_per_second The rate budget of each API key (--hookstream-rate-limit; 0: unlimited), by key hash.
# TYPE hookstream_rate_limit_budget_requests_per_second gauge
hookstream_rate_limit_budget_requests_per_second{key="` + hash + `"} 7
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), "hookstream_rate_limit_requests_total",
		"hookstream_rate_limited_responses_total", "hookstream_rate_limit_budget_requests_per_second"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(c, "hookstream_rate_limit_wait_seconds_total"); n != 1 {
		t.Errorf("%d wait series, want 1", n)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if strings.Contains(l.GetValue(), key) {
					t.Errorf("%s carries the API key in label %s", f.GetName(), l.GetName())
				}
			}
		}
	}
}

func waitLeading(t *testing.T, c *Collector) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !c.leading.Load() {
		if time.Now().After(deadline) {
			t.Fatal("the collector did not start")
		}
		time.Sleep(time.Millisecond)
	}
}
