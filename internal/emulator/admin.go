// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// adminStats is GET /_emulator/stats: Stats plus its derived totals.
type adminStats struct {
	Stats
	Total  int64 `json:"total"`
	Writes int64 `json:"writes"`
}

type deliveryRequest struct {
	Count *int `json:"count"`
}

type eventsEnvelope struct {
	Events []Event `json:"events"`
}

type deliveriesEnvelope struct {
	Deliveries []Delivery `json:"deliveries"`
}

// waitAnswer is POST /_emulator/deliveries/wait: how many deliveries still wait for their destination.
type waitAnswer struct {
	Queued int `json:"queued"`
}

type projectInfo struct {
	Project
	KeyPrefix string `json:"key_prefix"`
}

// serveAdmin serves the admin API. It needs no API key: it exists only when the emulator is started
// with Admin, for tests and demos on a trusted machine.
func (s *Server) serveAdmin(w *responseWriter, r *http.Request, requestID, path string) {
	segments := strings.Split(strings.TrimPrefix(path, "/"), "/")
	for i, segment := range segments {
		unescaped, err := url.PathUnescape(segment)
		if err != nil {
			writeError(w, requestID, http.StatusNotFound, "Not found")
			return
		}
		segments[i] = unescaped
	}
	switch path {
	case "/stats":
		switch r.Method {
		case http.MethodGet:
			st := s.Stats()
			writeJSON(w, http.StatusOK, adminStats{Stats: st, Total: st.Total(), Writes: st.Writes()})
		case http.MethodDelete:
			s.ResetStats()
			writeJSON(w, http.StatusOK, adminStats{Stats: s.Stats()})
		default:
			methodNotAllowed(w, requestID, http.MethodGet, http.MethodDelete)
		}
	case "/faults":
		switch r.Method {
		case http.MethodGet:
			writeJSON(w, http.StatusOK, s.Faults())
		case http.MethodPut:
			s.putFaults(w, r, requestID)
		case http.MethodDelete:
			s.ClearFaults()
			writeJSON(w, http.StatusOK, s.Faults())
		default:
			methodNotAllowed(w, requestID, http.MethodDelete, http.MethodGet, http.MethodPut)
		}
	case "/deliveries/wait":
		if r.Method != http.MethodPost {
			methodNotAllowed(w, requestID, http.MethodPost)
			return
		}
		queued, err := s.WaitForDeliveries(r.Context())
		if err != nil {
			s.writeAdminError(w, requestID, err)
			return
		}
		writeJSON(w, http.StatusOK, waitAnswer{Queued: queued})
	case "/projects":
		if r.Method != http.MethodGet {
			methodNotAllowed(w, requestID, http.MethodGet)
			return
		}
		writeJSON(w, http.StatusOK, map[string][]projectInfo{"projects": s.projectList()})
	default:
		if !s.serveAdminResource(w, r, requestID, segments) {
			writeError(w, requestID, http.StatusNotFound, "Not found")
		}
	}
}

// adminRoute is an admin route of one destination, source or connection: /{kind}/{id}, or
// /{kind}/{id}/{sub}.
type adminRoute struct {
	kind, sub, method string
	serve             func(s *Server, w *responseWriter, r *http.Request, requestID, id string)
}

var adminRoutes = []adminRoute{
	{kind: "destinations", method: http.MethodGet, serve: (*Server).adminDestination},
	{kind: "destinations", sub: "deliveries", method: http.MethodPost, serve: (*Server).postDeliveries},
	{kind: "sources", method: http.MethodGet, serve: (*Server).adminSource},
	{kind: "sources", sub: "events", method: http.MethodGet, serve: (*Server).adminSourceEvents},
	{kind: "connections", sub: "deliveries", method: http.MethodGet, serve: (*Server).adminConnectionDeliveries},
}

// serveAdminResource serves the admin routes of one destination, source or connection, and reports whether
// the path was one.
func (s *Server) serveAdminResource(w *responseWriter, r *http.Request, requestID string, segments []string) bool {
	if len(segments) < 2 || len(segments) > 3 || segments[1] == "" {
		return false
	}
	sub := ""
	if len(segments) == 3 {
		sub = segments[2]
	}
	for _, route := range adminRoutes {
		if route.kind != segments[0] || route.sub != sub {
			continue
		}
		if r.Method != route.method {
			methodNotAllowed(w, requestID, route.method)
			return true
		}
		route.serve(s, w, r, requestID, segments[1])
		return true
	}
	return false
}

func (s *Server) adminDestination(w *responseWriter, r *http.Request, requestID, id string) {
	d, err := s.Destination(r.Context(), id)
	if err != nil {
		s.writeAdminError(w, requestID, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]Destination{"destination": d})
}

func (s *Server) adminSource(w *responseWriter, r *http.Request, requestID, id string) {
	src, err := s.Source(r.Context(), id)
	if err != nil {
		s.writeAdminError(w, requestID, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]Source{"source": src})
}

func (s *Server) adminSourceEvents(w *responseWriter, r *http.Request, requestID, id string) {
	events, err := s.SourceEvents(r.Context(), id)
	if err != nil {
		s.writeAdminError(w, requestID, err)
		return
	}
	writeJSON(w, http.StatusOK, eventsEnvelope{Events: events})
}

func (s *Server) adminConnectionDeliveries(w *responseWriter, r *http.Request, requestID, id string) {
	deliveries, err := s.ConnectionDeliveries(r.Context(), id)
	if err != nil {
		s.writeAdminError(w, requestID, err)
		return
	}
	writeJSON(w, http.StatusOK, deliveriesEnvelope{Deliveries: deliveries})
}

func (s *Server) putFaults(w *responseWriter, r *http.Request, requestID string) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		writeError(w, requestID, http.StatusBadRequest, "Invalid body: could not read the request body")
		return
	}
	var f Faults
	if err := json.Unmarshal(body, &f); err != nil {
		writeError(w, requestID, http.StatusBadRequest, "Invalid body: "+err.Error())
		return
	}
	if err := f.Validate(); err != nil {
		writeError(w, requestID, http.StatusBadRequest, "Invalid body: "+err.Error())
		return
	}
	s.SetFaults(f)
	writeJSON(w, http.StatusOK, s.Faults())
}

func (s *Server) postDeliveries(w *responseWriter, r *http.Request, requestID, id string) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		writeError(w, requestID, http.StatusBadRequest, "Invalid body: could not read the request body")
		return
	}
	count := 1
	if len(bytes.TrimSpace(body)) > 0 {
		var req deliveryRequest
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil || dec.More() {
			writeError(w, requestID, http.StatusBadRequest, "Invalid body: expected {\"count\": <1..1000>}")
			return
		}
		if req.Count != nil {
			count = *req.Count
		}
	}
	result, err := s.Deliver(r.Context(), id, count)
	if err != nil {
		s.writeAdminError(w, requestID, err)
		return
	}
	writeJSON(w, http.StatusOK, result)
}

func (s *Server) writeAdminError(w http.ResponseWriter, requestID string, err error) {
	switch {
	case errors.Is(err, ErrNotFound):
		writeError(w, requestID, http.StatusNotFound, "Destination not found")
	case errors.Is(err, ErrSourceNotFound):
		writeError(w, requestID, http.StatusNotFound, "Source not found")
	case errors.Is(err, ErrConnectionNotFound):
		writeError(w, requestID, http.StatusNotFound, "Connection not found")
	case errors.Is(err, ErrInvalidArgument):
		writeError(w, requestID, http.StatusBadRequest, "Invalid body: "+strings.TrimPrefix(err.Error(), ErrInvalidArgument.Error()+": "))
	default:
		s.logger.Error("admin request failed", "request_id", requestID, "error", err)
		writeError(w, requestID, http.StatusInternalServerError, "Internal server error")
	}
}

func methodNotAllowed(w http.ResponseWriter, requestID string, allow ...string) {
	w.Header().Set("Allow", strings.Join(allow, ", "))
	writeError(w, requestID, http.StatusMethodNotAllowed, "Method not allowed")
}

// projectList shows each project with a key prefix long enough to tell keys apart, never the whole key.
func (s *Server) projectList() []projectInfo {
	list := make([]projectInfo, 0, len(s.projects))
	for key, p := range s.projects {
		list = append(list, projectInfo{Project: p, KeyPrefix: KeyPrefix(key)})
	}
	slices.SortFunc(list, func(a, b projectInfo) int { return strings.Compare(a.EnvID, b.EnvID) })
	return list
}

// KeyPrefix shortens an API key for display: its first 8 characters and an ellipsis.
func KeyPrefix(key string) string {
	runes := []rune(key)
	if len(runes) <= 8 {
		return strings.Repeat("*", len(runes))
	}
	return string(runes[:8]) + "…"
}
