// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/runtime"
	eventsv1client "k8s.io/client-go/kubernetes/typed/events/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
)

// eventReporter is the reporting controller of the Events the controllers emit.
const eventReporter = "hookstream-operator"

// newEventRecorder returns the recorder of the controllers' Events (events.k8s.io/v1), already sending them to the
// API server, and the function that stops it.
//
// The Events are written in protobuf rather than the JSON of the manager's own recorder: the API server decodes
// protobuf for less CPU, and Events are the writes a busy manager makes most after status. The manager's rest
// config cannot be switched to protobuf itself, as its clients also read and write the custom resources, which
// only speak JSON; so this recorder has a copy of the config, sharing the manager's HTTP client (connections).
//
// Recording starts at once, not when the manager starts or wins leadership, so that no Event is lost in between.
// Call stop once the manager has stopped, so that the reconciles finishing during its shutdown still have their
// Events sent: stop hands the Events emitted until then to the API server and waits for those writes, at most
// eventsDrainTimeout, then ends every goroutine of the recorder. Events emitted after it are dropped.
func newEventRecorder(cfg *rest.Config, httpClient *http.Client, scheme *runtime.Scheme) (
	rec events.EventRecorder, stop func(), err error) {
	cfg = rest.CopyConfig(cfg)
	cfg.ContentType = runtime.ContentTypeProtobuf
	cfg.AcceptContentTypes = runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON
	cl, err := eventsv1client.NewForConfigAndClient(cfg, httpClient)
	if err != nil {
		return nil, nil, fmt.Errorf("creating the events client: %w", err)
	}
	sink := &drainingSink{EventSink: &events.EventSinkImpl{Interface: cl}}
	broadcaster := events.NewBroadcaster(sink)
	// The context ends retries of Events the API server refused, and the broadcaster's series upkeep.
	ctx, cancel := context.WithCancel(context.Background())
	if err := broadcaster.StartRecordingToSinkWithContext(ctx); err != nil {
		cancel()
		broadcaster.Shutdown()
		return nil, nil, fmt.Errorf("starting to record events: %w", err)
	}
	// Each Event in the log at V(1), as the manager's own recorder does.
	if _, err := broadcaster.StartLogging(ctrl.Log.WithName("events").V(1)); err != nil {
		cancel()
		broadcaster.Shutdown()
		return nil, nil, fmt.Errorf("starting to log events: %w", err)
	}
	stop = func() {
		// The recorder hands each Event to the broadcaster from a goroutine of its own: the last ones get a moment
		// to arrive. Shutdown then hands the queued Events to the sink and the log, which write each in a
		// goroutine of its own; cancel ends the rest, writes included, so the writes are waited for first.
		time.Sleep(eventsSettle)
		broadcaster.Shutdown()
		sink.drain(eventsDrainTimeout)
		cancel()
	}
	return broadcaster.NewRecorder(scheme, eventReporter), stop, nil
}

const (
	// eventsSettle is how long stopping the recorder lets Events just emitted reach the broadcaster.
	eventsSettle = 100 * time.Millisecond
	// eventsDrainTimeout bounds how long stopping the recorder waits for the last Events to be written.
	eventsDrainTimeout = 5 * time.Second
)

// drainingSink counts the writes in flight, so that stopping the recorder can wait for them.
type drainingSink struct {
	events.EventSink
	mu       sync.Mutex
	inFlight int
	// lastStart is when the last write began.
	lastStart time.Time
}

func (s *drainingSink) begin() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight++
	s.lastStart = time.Now()
}

func (s *drainingSink) end() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight--
}

func (s *drainingSink) Create(ctx context.Context, event *eventsv1.Event) (*eventsv1.Event, error) {
	s.begin()
	defer s.end()
	return s.EventSink.Create(ctx, event)
}

func (s *drainingSink) Update(ctx context.Context, event *eventsv1.Event) (*eventsv1.Event, error) {
	s.begin()
	defer s.end()
	return s.EventSink.Update(ctx, event)
}

func (s *drainingSink) Patch(ctx context.Context, old *eventsv1.Event, data []byte) (*eventsv1.Event, error) {
	s.begin()
	defer s.end()
	return s.EventSink.Patch(ctx, old, data)
}

// drain waits, at most limit, until no write is in flight and none began for a moment: the broadcaster hands each
// Event to the sink in a goroutine of its own, so the last ones may start just after its Shutdown returned.
func (s *drainingSink) drain(limit time.Duration) {
	const quiet = 100 * time.Millisecond
	started := time.Now()
	deadline := started.Add(limit)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		idle := s.inFlight == 0 && time.Since(later(s.lastStart, started)) >= quiet
		s.mu.Unlock()
		if idle {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
