// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0
package fourthkind

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/hookstream/hookstream-operator/internal/managed"
)

// remoteWidget is a widget's remote row.
type remoteWidget struct {
	ID, Name, Color string
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// desiredWidget is the remote state a Widget asks for.
type desiredWidget struct{ Name, Color string }

func (d *desiredWidget) KeyDescription() string   { return fmt.Sprintf("name %q", d.Name) }
func (d *desiredWidget) SecretMaterial() []string { return nil }
func (d *desiredWidget) Request() any             { return *d }

// colorPatch is the update request: the colour.
type colorPatch struct{ Color string }

// widgetDefinition registers the Widget kind with the machinery.
func widgetDefinition(store *widgetStore) *managed.Definition[*Widget, *remoteWidget, *desiredWidget, *colorPatch] {
	return &managed.Definition[*Widget, *remoteWidget, *desiredWidget, *colorPatch]{
		Names: managed.Names{Kind: "Widget", Remote: "widget", NoSlug: true},
		Kind:  widgetKind{store: store},
		Row: func(r *remoteWidget) managed.Row {
			return managed.Row{ID: r.ID, Key: "name " + r.Name, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
		},
		SecretRefs: func(*Widget) []string { return nil },
	}
}

// widgetKind is the seam: Connect, and the pure mapping.
type widgetKind struct{ store *widgetStore }

func (k widgetKind) Connect(string) (managed.External[*Widget, *remoteWidget, *desiredWidget, *colorPatch], error) {
	return k.store, nil
}

func (widgetKind) Desired(w *Widget, _ managed.Refs) (*desiredWidget, error) {
	if w.Spec.Color == "" {
		return nil, errors.New("spec.color is empty")
	}
	return &desiredWidget{Name: w.Namespace + "/" + w.Name, Color: w.Spec.Color}, nil
}

func (widgetKind) Compare(_ *Widget, want *desiredWidget, remote *remoteWidget,
	_ bool) (managed.Observation[*colorPatch], error) {
	var obs managed.Observation[*colorPatch]
	if remote.Color != want.Color {
		obs.Patch = &colorPatch{Color: want.Color}
		obs.Add("color", want.Color, remote.Color)
	}
	return obs, nil
}

func (widgetKind) SetObserved(w *Widget, remote *remoteWidget) { w.Status.Color = remote.Color }

// widgetStore is the remote side: widgets in memory, with the machinery's errors.
type widgetStore struct {
	mu     sync.Mutex
	rows   map[string]remoteWidget
	nextID int
	calls  []string
}

func newWidgetStore() *widgetStore { return &widgetStore{rows: map[string]remoteWidget{}} }

var errNotFound = &managed.RemoteError{Class: managed.RemoteNotFound, Status: 404, Message: "no such widget",
	Err: errors.New("404 no such widget")}

func (s *widgetStore) record(call string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, call)
}

func (s *widgetStore) Observe(_ context.Context, id string) (*remoteWidget, error) {
	s.record("Observe")
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.rows[id]
	if !ok {
		return nil, errNotFound
	}
	return &r, nil
}

func (s *widgetStore) List(context.Context) iter.Seq2[*remoteWidget, error] {
	s.record("List")
	s.mu.Lock()
	rows := slices.Collect(maps.Values(s.rows))
	s.mu.Unlock()
	return func(yield func(*remoteWidget, error) bool) {
		for _, r := range rows {
			if !yield(&r, nil) {
				return
			}
		}
	}
}

func (s *widgetStore) FindByKey(ctx context.Context, w *Widget) (*remoteWidget, bool, error) {
	name := w.Namespace + "/" + w.Name
	for r, err := range s.List(ctx) {
		if err != nil || r.Name == name {
			return r, err == nil, err
		}
	}
	return nil, false, nil
}

func (s *widgetStore) Create(_ context.Context, want *desiredWidget) (*remoteWidget, error) {
	s.record("Create")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	now := time.Now()
	r := remoteWidget{ID: "w" + strconv.Itoa(s.nextID), Name: want.Name, Color: want.Color, CreatedAt: now, UpdatedAt: now}
	s.rows[r.ID] = r
	return &r, nil
}

func (s *widgetStore) Update(_ context.Context, id string, patch *colorPatch) (*remoteWidget, error) {
	s.record("Update")
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.rows[id]
	if !ok {
		return nil, errNotFound
	}
	r.Color, r.UpdatedAt = patch.Color, time.Now()
	s.rows[id] = r
	return &r, nil
}

func (s *widgetStore) Delete(_ context.Context, id string) error {
	s.record("Delete")
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.rows[id]; !ok {
		return errNotFound
	}
	delete(s.rows, id)
	return nil
}

// set changes a remote widget behind the operator's back, as a dashboard would.
func (s *widgetStore) set(id, color string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.rows[id]
	r.Color, r.UpdatedAt = color, time.Now()
	s.rows[id] = r
}

// snapshot returns the remote widgets by id.
func (s *widgetStore) snapshot() map[string]remoteWidget {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.rows)
}
