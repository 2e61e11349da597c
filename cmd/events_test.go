// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/events"
)

// The recorder POSTs events.k8s.io/v1 Events in protobuf, as hookstream-operator.
func TestEventRecorderWritesProtobuf(t *testing.T) {
	type post struct {
		path, contentType string
		event             *eventsv1.Event
		err               error
	}
	posts := make(chan post, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		p := post{path: r.Method + " " + r.URL.Path, contentType: r.Header.Get("Content-Type"), err: err}
		if err == nil {
			var obj runtime.Object
			if obj, _, p.err = clientgoscheme.Codecs.UniversalDeserializer().Decode(body, nil, nil); p.err == nil {
				p.event, _ = obj.(*eventsv1.Event)
			}
		}
		posts <- p
		w.Header().Set("Content-Type", runtime.ContentTypeProtobuf)
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(body)
	}))
	defer srv.Close()

	cfg := &rest.Config{Host: srv.URL}
	rec, stop := startRecorder(t, cfg)
	defer stop()
	if cfg.ContentType != "" {
		t.Errorf("the manager's config was changed to %q", cfg.ContentType)
	}
	obj := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "orders"}}
	rec.Eventf(obj, nil, corev1.EventTypeNormal, "Created", "Create", "created %s", "dst_1")

	select {
	case p := <-posts:
		if p.path != "POST /apis/events.k8s.io/v1/namespaces/team-a/events" {
			t.Errorf("request %s, want a POST of an Event in team-a", p.path)
		}
		if p.contentType != runtime.ContentTypeProtobuf {
			t.Errorf("Content-Type %q, want %q", p.contentType, runtime.ContentTypeProtobuf)
		}
		switch {
		case p.err != nil:
			t.Errorf("decoding the body: %v", p.err)
		case p.event == nil:
			t.Error("the body is not an events.k8s.io/v1 Event")
		case p.event.Reason != "Created" || p.event.Note != "created dst_1" ||
			p.event.ReportingController != eventReporter || p.event.Regarding.Name != "orders":
			t.Errorf("event reason %q note %q reporter %q regarding %q", p.event.Reason, p.event.Note,
				p.event.ReportingController, p.event.Regarding.Name)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no Event was written within 10s")
	}

	stop()
	// Dropped, without a panic.
	rec.Eventf(obj, nil, corev1.EventTypeNormal, "Deleted", "Delete", "deleted")
}

// Stopping the recorder right after an Event waits for its write instead of cutting it off.
func TestEventRecorderStopWaitsForTheLastWrites(t *testing.T) {
	var mu sync.Mutex
	written := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		time.Sleep(300 * time.Millisecond) // a slow API server
		mu.Lock()
		written++
		mu.Unlock()
		w.Header().Set("Content-Type", runtime.ContentTypeProtobuf)
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	rec, stop := startRecorder(t, &rest.Config{Host: srv.URL})
	for i := range 3 {
		obj := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: fmt.Sprintf("orders-%d", i)}}
		rec.Eventf(obj, nil, corev1.EventTypeNormal, "Created", "Create", "created")
	}
	stop()
	mu.Lock()
	defer mu.Unlock()
	if written != 3 {
		t.Errorf("%d of 3 Events written when stop returned", written)
	}
}

// startRecorder starts the manager's event recorder against the API server of cfg.
func startRecorder(t *testing.T, cfg *rest.Config) (events.EventRecorder, func()) {
	t.Helper()
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rec, stop, err := newEventRecorder(cfg, httpClient, scheme)
	if err != nil {
		t.Fatal(err)
	}
	return rec, stop
}
