// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookstream/hookstream-operator/internal/emulator"
	"github.com/hookstream/hookstream-operator/test/harness"
	"github.com/hookstream/hookstream-operator/test/harness/harnesstest"
)

// conditionsJSON is status.conditions as kubectl prints it in JSON.
type conditionsJSON []struct {
	Type, Status, Reason, Message string
}

// get returns the status, reason and message of the condition of the type; all empty when there is none.
func (cs conditionsJSON) get(condType string) (status, reason, message string) {
	for _, c := range cs {
		if c.Type == condType {
			return c.Status, c.Reason, c.Message
		}
	}
	return "", "", ""
}

// healthJSON is the part of a Destination the delivery health test reads through kubectl.
type healthJSON struct {
	Status struct {
		ID      string `json:"id"`
		Circuit *struct {
			State        string `json:"state"`
			FailureCount int64  `json:"failureCount"`
		} `json:"circuit"`
		LastHandledCircuitResetAt string         `json:"lastHandledCircuitResetAt"`
		Conditions                conditionsJSON `json:"conditions"`
	} `json:"status"`
}

func (h healthJSON) condition(condType string) (status, reason, message string) {
	return h.Status.Conditions.get(condType)
}

func (h healthJSON) circuit() string {
	if h.Status.Circuit == nil {
		return ""
	}
	return h.Status.Circuit.State
}

// TestCircuitHealthWithKubectl runs the manager binary with a short status refresh against a receiver that refuses
// deliveries, and checks what the delivery health promises: within one refresh the open circuit is in status with
// Delivering False (CircuitOpen), a Warning event and the gauge at 1, while Ready stays True; the reset annotation
// resets the circuit in hookstream once, echoes the value and closes it in status, with a Normal event.
func TestCircuitHealthWithKubectl(t *testing.T) {
	ctx := context.Background()
	emu := s.StartEmulator(t)
	ns := s.NewNamespace(t, "health")
	const refresh = 2 * time.Second
	mgr := s.StartManager(t, emu, ns, append([]string{"--status-refresh-interval", refresh.String()}, harness.MetricsArgs...)...)
	metricsURL := harnesstest.MetricsURL(t, mgr)
	rcv := harnesstest.NewReceiver(t)
	rcv.SetStatus(http.StatusInternalServerError)

	s.Apply(t, ns, fmt.Sprintf(`
apiVersion: hookstream.io/v1alpha1
kind: Destination
metadata: {name: flaky}
spec:
  http: {url: %s/hooks}
  retry: {enabled: false}
  circuitBreaker: {threshold: 3, resetSeconds: 3600}
`, rcv.URL))
	if _, err := s.Kubectl("wait", "destination/flaky", "-n", ns, "--for=condition=Ready", "--timeout=60s"); err != nil {
		t.Fatalf("%v\nmanager logs:\n%s", err, mgr.Logs())
	}
	get := func() healthJSON {
		var h healthJSON
		harnesstest.Must(t, json.Unmarshal([]byte(s.MustKubectl(t, "get", "destination", "flaky", "-n", ns, "-o", "json")), &h))
		return h
	}
	if h := get(); h.circuit() != "closed" {
		t.Errorf("a new destination's circuit: %q, want closed", h.circuit())
	}

	// Three refused deliveries open the circuit in hookstream; nothing tells the operator but its refresh.
	var delivered emulator.DeliveryResult
	emu.Admin(t, http.MethodPost, "/_emulator/destinations/"+get().Status.ID+"/deliveries", map[string]int{"count": 3}, &delivered)
	if delivered.CircuitState != emulator.CircuitOpen {
		t.Fatalf("three refused deliveries left the circuit %q", delivered.CircuitState)
	}
	openedAt := time.Now()
	harnesstest.WaitUntil(t, 3*refresh+5*time.Second, "the open circuit in status", func() error {
		if h := get(); h.circuit() != "open" {
			return fmt.Errorf("status.circuit.state %q", h.circuit())
		}
		return nil
	})
	t.Logf("open circuit in status %s after the deliveries (refresh interval %s)", time.Since(openedAt).Round(100*time.Millisecond), refresh)
	h := get()
	if st, reason, msg := h.condition("Delivering"); st != "False" || reason != "CircuitOpen" || !strings.Contains(msg, "3 consecutive") {
		t.Errorf("Delivering = %s %s %q, want False CircuitOpen naming 3 failures", st, reason, msg)
	}
	if st, reason, _ := h.condition("Ready"); st != "True" {
		t.Errorf("Ready = %s %s: an open circuit must not change Ready", st, reason)
	}
	waitForEventReason(t, ns, "CircuitOpened", "Warning")
	gauge := func() float64 {
		samples, err := harness.ScrapeMetrics(ctx, nil, metricsURL)
		harnesstest.Must(t, err)
		v, _ := samples.Sum("hookstream_destination_circuit_open", map[string]string{"namespace": ns, "name": "flaky"})
		return v
	}
	if g := gauge(); g != 1 {
		t.Errorf("hookstream_destination_circuit_open = %v, want 1", g)
	}
	wide := s.MustKubectl(t, "get", "destination", "flaky", "-n", ns)
	if !strings.Contains(wide, "CIRCUIT") || !strings.Contains(wide, "open") {
		t.Errorf("kubectl get lacks the circuit column:\n%s", wide)
	}

	// The receiver is fixed; the reset annotation closes the circuit at once, once.
	rcv.SetStatus(http.StatusNoContent)
	resetsBefore := emu.Stats(t).Count(emulator.RouteResetCircuit)
	s.MustKubectl(t, "annotate", "destination", "flaky", "-n", ns, "hookstream.io/reset-circuit-requested-at=first")
	harnesstest.WaitUntil(t, 20*time.Second, "the reset handled", func() error {
		if h := get(); h.Status.LastHandledCircuitResetAt != "first" || h.circuit() != "closed" {
			return fmt.Errorf("lastHandledCircuitResetAt %q, circuit %q", h.Status.LastHandledCircuitResetAt, h.circuit())
		}
		return nil
	})
	if st, reason, _ := get().condition("Delivering"); st != "True" || reason != "CircuitClosed" {
		t.Errorf("Delivering after the reset = %s %s, want True CircuitClosed", st, reason)
	}
	waitForEventReason(t, ns, "CircuitReset", "Normal")
	circuit, err := emu.Client(t).GetCircuit(ctx, get().Status.ID)
	harnesstest.Must(t, err)
	if circuit.State != "closed" {
		t.Errorf("hookstream's circuit after the reset: %s", circuit.State)
	}
	// Several refreshes later the value is still handled once.
	time.Sleep(2 * refresh)
	if n := emu.Stats(t).Count(emulator.RouteResetCircuit) - resetsBefore; n != 1 {
		t.Errorf("%d circuit resets for one annotation value, want 1", n)
	}
	if g := gauge(); g != 0 {
		t.Errorf("hookstream_destination_circuit_open after the reset = %v, want 0", g)
	}
}

// waitForEventReason waits for an event of the type and reason in the namespace.
func waitForEventReason(t *testing.T, namespace, reason, eventType string) {
	t.Helper()
	harnesstest.WaitUntil(t, 20*time.Second, "a "+reason+" event", func() error {
		out, err := s.Kubectl("get", "events", "-n", namespace, "--field-selector", "reason="+reason,
			"-o", "jsonpath={.items[*].type}")
		if err != nil {
			return err
		}
		if !strings.Contains(out, eventType) {
			return fmt.Errorf("events of reason %s: types %q", reason, out)
		}
		return nil
	})
}
