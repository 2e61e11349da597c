// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hookstream

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// healthRig is a client of one key against a server whose answer the test sets.
type healthRig struct {
	status atomic.Int32
	client *Client
	health *KeyHealth
}

func newHealthRig(t *testing.T) *healthRig {
	t.Helper()
	rig := &healthRig{}
	rig.status.Store(http.StatusNotFound)
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(int(rig.status.Load()))
		_, _ = w.Write([]byte(`{"error":{"code":"x","message":"x"}}`))
	}))
	t.Cleanup(server.Close)
	c, err := New(Options{BaseURL: server.URL, APIKey: "key", Limiter: NewLimiterRegistry(0, 1).For("key")})
	if err != nil {
		t.Fatal(err)
	}
	rig.client, rig.health = c, c.Health()
	if rig.health == nil {
		t.Fatal("a client with a registry's limiter has no KeyHealth")
	}
	return rig
}

// call makes one call answered with status, within log's context when log is set.
func (rig *healthRig) call(ctx context.Context, status int) {
	rig.status.Store(int32(status))
	_, _ = rig.client.GetDestination(ctx, "d")
}

func TestKeyHealthIsDownWhenSeveralCallersFail(t *testing.T) {
	rig := newHealthRig(t)
	recovered := 0
	stop := rig.health.OnRecovered(func() { recovered++ })

	one, _ := WithCallLog(context.Background())
	for range 3 {
		rig.call(one, http.StatusServiceUnavailable)
	}
	if rig.health.Down() {
		t.Error("down after the failures of one caller alone")
	}
	rig.call(context.Background(), http.StatusNotFound)
	if recovered != 0 {
		t.Error("a success after one caller's failures counted as a recovery")
	}

	two, _ := WithCallLog(context.Background())
	rig.call(one, http.StatusBadGateway)
	rig.call(two, http.StatusTooManyRequests)
	if !rig.health.Down() {
		t.Error("not down after the failures of two callers")
	}
	rig.call(context.Background(), http.StatusConflict)
	if rig.health.Down() || recovered != 1 {
		t.Errorf("after a success: down %v, %d recoveries; want up, 1", rig.health.Down(), recovered)
	}
	rig.call(context.Background(), http.StatusOK)
	if recovered != 1 {
		t.Errorf("a success while up counted as a recovery (%d)", recovered)
	}

	stop()
	rig.call(one, http.StatusInternalServerError)
	rig.call(two, http.StatusInternalServerError)
	rig.call(context.Background(), http.StatusNotFound)
	if recovered != 1 {
		t.Error("a stopped watcher was called")
	}
}

func TestCallLogNamesTheKeyThatFailed(t *testing.T) {
	rig := newHealthRig(t)
	ctx, log := WithCallLog(context.Background())
	rig.call(ctx, http.StatusNotFound)
	if log.Failed() != nil {
		t.Error("a 404 recorded as a failure of hookstream")
	}
	rig.call(ctx, http.StatusServiceUnavailable)
	if log.Failed() != rig.health {
		t.Error("a 503 not recorded as a failure of the key")
	}
	if log.RecoveredSince() {
		t.Error("recovered since the failure, with no call since")
	}
	other, _ := WithCallLog(context.Background())
	rig.call(other, http.StatusServiceUnavailable)
	rig.call(context.Background(), http.StatusOK)
	if !log.RecoveredSince() {
		t.Error("the key recovered after the failure, and the log does not say so")
	}

	cancelled, cancel := context.WithCancel(context.Background())
	cancelledCtx, cancelledLog := WithCallLog(cancelled)
	cancel()
	rig.call(cancelledCtx, http.StatusOK)
	if cancelledLog.Failed() != nil {
		t.Error("a call its caller cancelled recorded as a failure of hookstream")
	}
}

func TestKeyHealthProbesOnlyASilentKeyThatIsDown(t *testing.T) {
	rig := newHealthRig(t)
	rig.call(context.Background(), http.StatusServiceUnavailable)
	rig.call(context.Background(), http.StatusServiceUnavailable)
	if rig.health.TryProbe() {
		t.Error("a probe granted right after a call")
	}
	time.Sleep(ProbeInterval)
	if !rig.health.TryProbe() {
		t.Error("no probe granted for a key down and silent for ProbeInterval")
	}
	if rig.health.TryProbe() {
		t.Error("a second probe granted within ProbeInterval of the first")
	}
	rig.call(context.Background(), http.StatusNotFound)
	time.Sleep(ProbeInterval)
	if rig.health.TryProbe() {
		t.Error("a probe granted for a key that is up")
	}
}

func TestKeyHealthGrantsTheUnusedBudgetOfASilentKeyThatIsUp(t *testing.T) {
	rig := newHealthRig(t)
	rig.call(context.Background(), http.StatusNotFound)
	if rig.health.TryIdle() {
		t.Error("the budget counted as unused right after a call")
	}
	time.Sleep(ProbeInterval)
	if !rig.health.TryIdle() {
		t.Error("nothing granted for a key up and silent for ProbeInterval")
	}
	if rig.health.TryIdle() || rig.health.TryProbe() {
		t.Error("a second call granted within ProbeInterval of the first")
	}
	rig.call(context.Background(), http.StatusServiceUnavailable)
	rig.call(context.Background(), http.StatusServiceUnavailable)
	time.Sleep(ProbeInterval)
	if rig.health.TryIdle() {
		t.Error("the budget of a key that is down granted as unused (only a probe may try it)")
	}
	if !rig.health.TryProbe() {
		t.Error("no probe granted for a key down and silent for ProbeInterval")
	}
}

func TestKeyHealthWaitTurnHonoursTheServersPause(t *testing.T) {
	rig := newHealthRig(t)
	limiter := rig.client.limiter.(*keyLimiter)
	limiter.Observe(RateLimitInfo{StatusCode: http.StatusTooManyRequests, RetryAfter: 100 * time.Millisecond})
	end := limiter.pauseEnd()
	if err := rig.health.WaitTurn(context.Background()); err != nil {
		t.Fatal(err)
	}
	if now := time.Now(); now.Before(end) {
		t.Errorf("a turn given %s before the pause hookstream asked for ended", end.Sub(now))
	}
}
