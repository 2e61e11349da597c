// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
)

// ReadyItem is the part of an object a Ready watch or a list decodes: decoding whole objects would make the test
// itself a noticeable load on two cores.
type ReadyItem struct {
	Metadata struct {
		Name            string `json:"name"`
		Generation      int64  `json:"generation"`
		ResourceVersion string `json:"resourceVersion"`
	} `json:"metadata"`
	Status struct {
		ID                 string             `json:"id"`
		ObservedGeneration int64              `json:"observedGeneration"`
		Conditions         []metav1.Condition `json:"conditions"`
	} `json:"status"`
}

// IsReady reports an object whose Ready condition is True for its current generation.
func (d *ReadyItem) IsReady() bool {
	return ReadyForGeneration(d.Metadata.Generation, d.Status.ObservedGeneration, d.Status.Conditions)
}

// readyStatus is the status of the Ready condition, "" when there is none.
func (d *ReadyItem) readyStatus() metav1.ConditionStatus {
	if c := meta.FindStatusCondition(d.Status.Conditions, v1.ConditionReady); c != nil {
		return c.Status
	}
	return ""
}

// KindURL is the URL of a kind's objects (its plural resource, such as "destinations") in a namespace of the API
// server at host.
func KindURL(host, namespace, resource string) string {
	gv := v1.GroupVersion
	return fmt.Sprintf("%s/apis/%s/%s/namespaces/%s/%s", strings.TrimRight(host, "/"), gv.Group, gv.Version,
		namespace, resource)
}

// KubeStatusError is an answer of the API server other than 200.
type KubeStatusError struct {
	Code int
	Body string
}

func (e *KubeStatusError) Error() string { return fmt.Sprintf("%d %s", e.Code, e.Body) }

// KubeGet sends a GET with hc (a client of the API server, such as rest.HTTPClientFor's), asking for JSON; an
// answer other than 200 is a *KubeStatusError.
func KubeGet(ctx context.Context, hc *http.Client, url string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		return nil, &KubeStatusError{Code: resp.StatusCode, Body: string(b)}
	}
	return resp, nil
}

// ListReadyItems lists the objects at url (KindURL) from the API server's watch cache (resourceVersion 0: no etcd
// read).
func ListReadyItems(ctx context.Context, hc *http.Client, url string) ([]ReadyItem, error) {
	resp, err := KubeGet(ctx, hc, url+"?resourceVersion=0")
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", url, err)
	}
	defer resp.Body.Close()
	var list struct {
		Items []ReadyItem `json:"items"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		return nil, fmt.Errorf("listing %s: %w", url, err)
	}
	return list.Items, nil
}

// Flap is one object whose Ready condition left True while a ReadyWatch followed it.
type Flap struct {
	Name string
	// Status is what the Ready condition became: False, Unknown, or "" when it was gone.
	Status metav1.ConditionStatus
	Reason string
	At     time.Time
}

// ReadyWatch follows one kind's objects in a namespace through a watch: it counts those Ready for their generation,
// and the flaps, every time an object's Ready condition, once True, turned False or Unknown or went away. A watch
// costs the API server one encoding per change, shared with the manager's own watch, where polling lists of all N
// would cost it N encodings per poll: at N=5000, 0.4 s of API server CPU per list on two cores, enough to slow what
// is measured.
type ReadyWatch struct {
	mu     sync.Mutex
	ready  map[string]bool
	status map[string]metav1.ConditionStatus
	count  int
	events int
	flaps  []Flap
	// restarts counts the watches the API server ended: its timeout, a reader that fell behind, or a resource
	// version too old to resume from.
	restarts int
	// gaps counts the restarts from the current objects (the resource version was too old to resume from): a flap
	// that began and ended within such a gap goes unseen.
	gaps int
	err  error
}

// WatchReady starts a ReadyWatch of the objects at url (KindURL) with hc until ctx ends.
func WatchReady(ctx context.Context, hc *http.Client, url string) *ReadyWatch {
	w := &ReadyWatch{ready: map[string]bool{}, status: map[string]metav1.ConditionStatus{}}
	go w.run(ctx, url, hc)
	return w
}

// run watches from resourceVersion 0 (the current objects first, as ADDED events), and again from the last
// resourceVersion seen whenever the API server ends the watch.
func (w *ReadyWatch) run(ctx context.Context, url string, hc *http.Client) {
	rv := "0"
	for ctx.Err() == nil {
		next, err := w.watchOnce(ctx, url, rv, hc)
		var status *KubeStatusError
		switch {
		case err != nil && errors.As(err, &status) &&
			(status.Code == http.StatusTooManyRequests || status.Code == http.StatusServiceUnavailable):
			// The watch cache is (re)initialising, as after its CRD changed: resume from the same version.
			next = rv
		case err != nil && ctx.Err() == nil:
			w.mu.Lock()
			w.err = err
			w.mu.Unlock()
			return
		}
		w.mu.Lock()
		w.restarts++
		if next == "0" && rv != "0" {
			w.gaps++
		}
		w.mu.Unlock()
		rv = next
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// watchOnce watches from resource version rv until the API server ends the watch, and returns the version to
// resume from: the last one seen, or "0" (the current objects) when rv was too old.
func (w *ReadyWatch) watchOnce(ctx context.Context, url, rv string, hc *http.Client) (string, error) {
	resp, err := KubeGet(ctx, hc, url+"?watch=1&timeoutSeconds=3600&resourceVersion="+rv)
	if err != nil {
		return "", fmt.Errorf("watching: %w", err)
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	for {
		var ev struct {
			Type   string          `json:"type"`
			Object json.RawMessage `json:"object"`
		}
		if err := dec.Decode(&ev); err != nil {
			// The API server ended the watch (its timeout), or the context did: go on from the last change.
			return rv, nil
		}
		if ev.Type == "ERROR" {
			// Most likely 410 Gone (a metav1.Status): start again from the current objects.
			return "0", nil
		}
		var item ReadyItem
		if err := json.Unmarshal(ev.Object, &item); err != nil {
			return rv, fmt.Errorf("decoding a watch event: %w", err)
		}
		rv = item.Metadata.ResourceVersion
		w.observe(ev.Type, &item)
	}
}

func (w *ReadyWatch) observe(eventType string, item *ReadyItem) {
	name := item.Metadata.Name
	now := eventType != "DELETED" && item.IsReady()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.events++
	if was := w.ready[name]; was != now {
		w.ready[name] = now
		if now {
			w.count++
		} else {
			w.count--
		}
	}
	if eventType == "DELETED" {
		delete(w.status, name)
		return
	}
	status := item.readyStatus()
	if w.status[name] == metav1.ConditionTrue && status != metav1.ConditionTrue {
		f := Flap{Name: name, Status: status, At: time.Now()}
		if c := meta.FindStatusCondition(item.Status.Conditions, v1.ConditionReady); c != nil {
			f.Reason = c.Reason
		}
		w.flaps = append(w.flaps, f)
	}
	w.status[name] = status
}

// Gaps returns how many times the watch started again from the current objects, unable to resume.
func (w *ReadyWatch) Gaps() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.gaps
}

// State returns the objects Ready for their generation, the changes received, the watches the API server ended,
// and the error that stopped the watch, if any.
func (w *ReadyWatch) State() (ready, events, restarts int, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.count, w.events, w.restarts, w.err
}

// Flaps returns the flaps seen so far, oldest first.
func (w *ReadyWatch) Flaps() []Flap {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Flap(nil), w.flaps...)
}
