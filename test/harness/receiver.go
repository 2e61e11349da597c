// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package harness

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// Receiver is a local HTTP server that records the deliveries it gets.
type Receiver struct {
	URL      string
	srv      *http.Server
	mu       sync.Mutex
	requests []*http.Request
	bodies   []string
	// status is what it answers; 204 unless SetStatus changed it.
	status int
}

// StartReceiver starts a receiver that answers 204 (see SetStatus) on a free loopback port.
func StartReceiver() (*Receiver, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Receiver{URL: "http://" + l.Addr().String(), status: http.StatusNoContent}
	r.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
		r.mu.Lock()
		r.requests = append(r.requests, req)
		r.bodies = append(r.bodies, string(body))
		status := r.status
		r.mu.Unlock()
		w.WriteHeader(status)
	}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = r.srv.Serve(l) }()
	return r, nil
}

// SetStatus makes the receiver answer every later delivery with the HTTP status code, such as 500 to refuse it.
func (r *Receiver) SetStatus(code int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status = code
}

// Close stops the receiver.
func (r *Receiver) Close() { _ = r.srv.Shutdown(context.Background()) }

// Received returns the requests received so far.
func (r *Receiver) Received() []*http.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*http.Request(nil), r.requests...)
}

// Bodies returns the bodies of the requests received so far, in order.
func (r *Receiver) Bodies() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.bodies...)
}
