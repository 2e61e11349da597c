// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	mathrand "math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configures a Server.
type Options struct {
	// APIKeys are the accepted API keys. Each key has its own project: its org_id and env_id are derived
	// from the key, so the same key finds the same rows again in a database file.
	APIKeys []string
	// DBPath is the SQLite database file; "" keeps the data in memory for the life of the Server.
	DBPath string
	// RateLimit is the sustained request rate per org in requests per second; 0 disables enforcement.
	RateLimit float64
	// RateLimitBurst is the token bucket size; 0 means max(1, int(RateLimit)).
	RateLimitBurst int
	// MaxDestinations is the plan limit per project; 0 means unlimited.
	MaxDestinations int
	// MaxSources is the plan limit of sources per project; 0 means unlimited.
	MaxSources int
	// TrustedClientIPHeader names a header (such as X-Forwarded-For) whose first entry is the client address
	// the IP lists of a source check at ingest; "" means the connection's remote address. Set it only behind
	// a proxy that writes the header: a client could otherwise choose its own address.
	TrustedClientIPHeader string
	// Admin enables the /_emulator/ admin API.
	Admin bool
	// Logger receives one line per request (method, path, status, duration, request id, and env_id, the project,
	// when the request carried a known API key); nil is silent.
	// API keys and bodies are never logged.
	Logger *slog.Logger
	// Now is the clock for timestamps, rate limiting and circuit cooldowns; nil means time.Now.
	Now func() time.Time
	// DeliveryClient sends http deliveries; nil means a client that does not follow redirects.
	DeliveryClient *http.Client
	// Variants are the alternative readings of the contract to serve (see VariantNames; ParseVariants reads a
	// list with "all"); none serves the contract as the emulator decides it.
	Variants []string
}

// Project is what an API key sees: one environment inside one org.
type Project struct {
	OrgID string `json:"org_id"`
	EnvID string `json:"env_id"`
}

// ProjectForKey is the project the emulator gives an API key: stable ids derived from the key without revealing it.
func ProjectForKey(key string) Project { return projectForKey(key) }

// projectForKey derives stable ids from the key without revealing it.
func projectForKey(key string) Project {
	org := sha256.Sum256([]byte("hookstream-emulator/org/" + key))
	env := sha256.Sum256([]byte("hookstream-emulator/env/" + key))
	return Project{OrgID: "org_" + hex.EncodeToString(org[:12]), EnvID: "env_" + hex.EncodeToString(env[:12])}
}

// Server is the emulated hookstream API. It is safe for concurrent use.
type Server struct {
	opts     Options
	now      func() time.Time
	logger   *slog.Logger
	client   *http.Client
	store    *store
	projects map[string]Project
	limiter  *rateLimiter
	schemas  schemaCache
	stats    statsRecorder
	faults   atomic.Pointer[Faults]
	// faultsChanged is closed, and replaced, whenever the faults are set or cleared: it ends HandlingDelay holds.
	faultsMu      sync.Mutex
	faultsChanged chan struct{}
	variants      variantSet

	// destinations, sources and connections serve the calls the three resources share.
	destinations resource[record, *draft]
	sources      resource[sourceRecord, *sourceDraft]
	connections  resource[connectionRecord, *connectionDraft]
	// handlers serve the API routes, by route.
	handlers map[string]func(*call)

	// destinationLocks holds a *sync.Mutex per destination id: see lockDestination.
	destinationLocks sync.Map
	// scheduler runs the deliveries routing queues.
	scheduler scheduler
	closeOnce sync.Once
	closeErr  error
}

// New opens the store and returns a Server ready to serve.
func New(opts Options) (*Server, error) {
	if len(opts.APIKeys) == 0 {
		return nil, errors.New("emulator: at least one API key is required")
	}
	if opts.RateLimit < 0 || math.IsNaN(opts.RateLimit) || math.IsInf(opts.RateLimit, 0) {
		return nil, fmt.Errorf("emulator: rate limit must be a finite number >= 0, got %v", opts.RateLimit)
	}
	if opts.RateLimitBurst < 0 {
		return nil, fmt.Errorf("emulator: rate limit burst must be >= 0, got %d", opts.RateLimitBurst)
	}
	if opts.MaxDestinations < 0 {
		return nil, fmt.Errorf("emulator: max destinations must be >= 0, got %d", opts.MaxDestinations)
	}
	if opts.MaxSources < 0 {
		return nil, fmt.Errorf("emulator: max sources must be >= 0, got %d", opts.MaxSources)
	}
	if name := opts.TrustedClientIPHeader; name != "" && !isHeaderName(name) {
		return nil, fmt.Errorf("emulator: trusted client IP header %q is not a header name", name)
	}
	variants, err := newVariantSet(opts.Variants)
	if err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	projects := make(map[string]Project, len(opts.APIKeys))
	for i, key := range opts.APIKeys {
		if strings.TrimSpace(key) == "" {
			return nil, fmt.Errorf("emulator: API key %d is empty", i)
		}
		projects[key] = projectForKey(key)
	}
	st, err := openStore(opts.DBPath)
	if err != nil {
		return nil, err
	}
	s := &Server{
		opts:     opts,
		now:      opts.Now,
		logger:   opts.Logger,
		client:   opts.DeliveryClient,
		store:    st,
		projects: projects,
		limiter:  newRateLimiter(opts.RateLimit, opts.RateLimitBurst),
		variants: variants,
	}
	st.refs = referencePolicy{cascade: variants.cascadeDelete, dangle: variants.danglingConnections,
		uniqueConnectionNames: variants.uniqueConnectionNames}
	s.destinations, s.sources, s.connections = s.destinationResource(), s.sourceResource(), s.connectionResource()
	s.handlers = map[string]func(*call){
		RouteListDestinations:  s.destinations.list,
		RouteCreateDestination: s.createDestination,
		RouteGetDestination:    s.destinations.get,
		RouteUpdateDestination: s.destinations.update,
		RouteDeleteDestination: s.destinations.delete,
		RouteGetCircuit:        s.getCircuit,
		RouteResetCircuit:      s.resetCircuit,
		RouteListSources:       s.sources.list,
		RouteCreateSource:      s.createSource,
		RouteGetSource:         s.sources.get,
		RouteUpdateSource:      s.sources.update,
		RouteDeleteSource:      s.sources.delete,
		RouteListConnections:   s.connections.list,
		RouteCreateConnection:  s.createConnection,
		RouteGetConnection:     s.connections.get,
		RouteUpdateConnection:  s.connections.update,
		RouteDeleteConnection:  s.connections.delete,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.client == nil {
		s.client = &http.Client{
			// A webhook receiver answering with a redirect has not accepted the event.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	s.scheduler.init()
	// A database file may hold deliveries that were queued when the emulator last stopped.
	queued, _, err := st.queuedDestinations(context.Background())
	if err != nil {
		s.scheduler.stop()
		_ = st.close()
		return nil, err
	}
	for _, id := range queued {
		s.kick(id)
	}
	return s, nil
}

// Close stops the deliveries (an attempt in flight is cut short and made again by the next start on the
// same database file), then releases the store. Requests after Close fail with 500.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.scheduler.stop()
		s.closeErr = s.store.close()
	})
	return s.closeErr
}

// Project returns the project an API key belongs to.
func (s *Server) Project(apiKey string) (Project, bool) {
	p, ok := s.projects[apiKey]
	return p, ok
}

// Stats returns the request counts so far.
func (s *Server) Stats() Stats { return s.stats.snapshot() }

// ResetStats forgets all request counts.
func (s *Server) ResetStats() { s.stats.reset() }

// SetFaults replaces the active faults, as PUT /_emulator/faults does.
func (s *Server) SetFaults(f Faults) {
	f.Routes = slices.Clone(f.Routes)
	s.faults.Store(&f)
	s.releaseHolds()
}

// ClearFaults removes all faults.
func (s *Server) ClearFaults() {
	s.faults.Store(nil)
	s.releaseHolds()
}

// releaseHolds ends the holds of the HandlingDelay fault: the faults they were held by changed.
func (s *Server) releaseHolds() {
	s.faultsMu.Lock()
	defer s.faultsMu.Unlock()
	if s.faultsChanged != nil {
		close(s.faultsChanged)
		s.faultsChanged = nil
	}
}

// holdsReleased returns the channel that is closed when the faults next change.
func (s *Server) holdsReleased() <-chan struct{} {
	s.faultsMu.Lock()
	defer s.faultsMu.Unlock()
	if s.faultsChanged == nil {
		s.faultsChanged = make(chan struct{})
	}
	return s.faultsChanged
}

// Faults returns the active faults.
func (s *Server) Faults() Faults {
	if f := s.faults.Load(); f != nil {
		out := *f
		out.Routes = slices.Clone(f.Routes)
		return out
	}
	return Faults{}
}

// Destination returns a stored row of any project, secrets unmasked.
func (s *Server) Destination(ctx context.Context, id string) (Destination, error) {
	r, err := s.store.destinations.lookup(ctx, "", id)
	return r.Destination, err
}

// ServeHTTP serves the API under /v1/ and, when enabled, the admin API under /_emulator/.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rw := &responseWriter{ResponseWriter: w}
	requestID := newRequestID()
	rw.Header().Set("X-Request-Id", requestID)
	defer func() {
		attrs := []slog.Attr{
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", rw.status),
			slog.Duration("duration", time.Since(start)),
			slog.String("request_id", requestID),
		}
		if rw.envID != "" {
			// The project of an authenticated request, so that a test can tell whose requests these were.
			attrs = append(attrs, slog.String("env_id", rw.envID))
		}
		s.logger.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
	}()

	// Routing works on the escaped path so that an encoded "/" inside an id stays inside the id.
	path := r.URL.EscapedPath()
	if id, ok := strings.CutPrefix(path, ingestAliasPrefix); ok && s.variants.ingestURLField {
		path = "/v1/ingest/" + id
	}
	switch {
	case path == "/v1" || strings.HasPrefix(path, "/v1/"):
		s.serveAPI(rw, r, requestID, strings.TrimPrefix(path, "/v1"))
	case s.opts.Admin && (path == "/_emulator" || strings.HasPrefix(path, "/_emulator/")):
		s.serveAdmin(rw, r, requestID, strings.TrimPrefix(path, "/_emulator"))
	case path == "/healthz" && r.Method == http.MethodGet:
		writeJSON(rw, http.StatusOK, map[string]bool{"ok": true})
	default:
		writeError(rw, requestID, http.StatusNotFound, "Not found")
	}
}

// responseWriter remembers the status code for stats and logs; 0 means nothing was answered. A delay, set by
// the ResponseDelay fault, holds the first write: by then the request has been handled.
type responseWriter struct {
	http.ResponseWriter
	status int
	delay  time.Duration
	// envID is the project of an authenticated API request, for the request log.
	envID string
}

func (w *responseWriter) hold() {
	if d := w.delay; d > 0 {
		w.delay = 0
		time.Sleep(d)
	}
}

func (w *responseWriter) WriteHeader(status int) {
	w.hold()
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	w.hold()
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// call is one authenticated API request.
type call struct {
	w         *responseWriter
	r         *http.Request
	requestID string
	project   Project
	id        string
}

// matchRoute maps an API path (without /v1) to its route name and the id in it. When the path exists but not
// for this method, the route is RouteUnmatched and allow lists the methods it has.
func matchRoute(method, path string) (route, id string, allow []string) {
	segments := strings.Split(strings.TrimPrefix(path, "/"), "/")
	byMethod := routesOf(segments)
	if byMethod == nil {
		return RouteUnmatched, "", nil
	}
	if len(segments) > 1 {
		var err error
		if id, err = url.PathUnescape(segments[1]); err != nil {
			return RouteUnmatched, "", nil
		}
	}
	if route, ok := byMethod[method]; ok {
		return route, id, nil
	}
	allow = make([]string, 0, len(byMethod))
	for m := range byMethod {
		allow = append(allow, m)
	}
	slices.Sort(allow)
	return RouteUnmatched, "", allow
}

// routesOf maps the methods of one API path to their routes; nil when the path is not the API's.
func routesOf(segments []string) map[string]string {
	if len(segments) > 1 && segments[1] == "" {
		return nil
	}
	switch {
	case segments[0] == "destinations" && len(segments) == 1:
		return map[string]string{http.MethodGet: RouteListDestinations, http.MethodPost: RouteCreateDestination}
	case segments[0] == "destinations" && len(segments) == 2:
		return map[string]string{
			http.MethodGet: RouteGetDestination, http.MethodPatch: RouteUpdateDestination,
			http.MethodDelete: RouteDeleteDestination,
		}
	case segments[0] == "destinations" && len(segments) == 3 && segments[2] == "circuit":
		return map[string]string{http.MethodGet: RouteGetCircuit}
	case segments[0] == "destinations" && len(segments) == 4 && segments[2] == "circuit" && segments[3] == "reset":
		return map[string]string{http.MethodPost: RouteResetCircuit}
	case segments[0] == "sources" && len(segments) == 1:
		return map[string]string{http.MethodGet: RouteListSources, http.MethodPost: RouteCreateSource}
	case segments[0] == "sources" && len(segments) == 2:
		return map[string]string{
			http.MethodGet: RouteGetSource, http.MethodPatch: RouteUpdateSource, http.MethodDelete: RouteDeleteSource,
		}
	case segments[0] == "connections" && len(segments) == 1:
		return map[string]string{http.MethodGet: RouteListConnections, http.MethodPost: RouteCreateConnection}
	case segments[0] == "connections" && len(segments) == 2:
		return map[string]string{
			http.MethodGet: RouteGetConnection, http.MethodPatch: RouteUpdateConnection,
			http.MethodDelete: RouteDeleteConnection,
		}
	case segments[0] == "ingest" && len(segments) == 2:
		return map[string]string{
			http.MethodGet: RouteIngest, http.MethodPost: RouteIngest, http.MethodPut: RouteIngest,
			http.MethodPatch: RouteIngest, http.MethodDelete: RouteIngest,
		}
	}
	return nil
}

// isPublicPath reports the paths under /ingest, the public part of the API: they need no API key, and
// those that are not /ingest/{source_id} answer 404 or 405 without one.
func isPublicPath(path string) bool {
	return path == "/ingest" || strings.HasPrefix(path, "/ingest/")
}

func (s *Server) serveAPI(w *responseWriter, r *http.Request, requestID, path string) {
	route, id, allow := matchRoute(r.Method, path)
	defer func() { s.stats.record(route, w.status) }()

	project, authenticated := s.authenticate(r)
	if authenticated {
		w.envID = project.EnvID
	}
	if s.injectFault(w, r, requestID, route, project, authenticated) {
		return
	}
	if f := s.faults.Load(); f != nil && f.HandlingDelay > 0 && f.matches(route) {
		r = s.holdBeforeHandling(r, route, f.HandlingDelay)
	}
	if f := s.faults.Load(); f != nil && f.ResponseDelay > 0 && f.matches(route) {
		w.delay = f.ResponseDelay
	}
	if isPublicPath(path) {
		s.serveIngest(&call{w: w, r: r, requestID: requestID, id: id}, route, allow)
		return
	}
	if !authenticated {
		setRateHeaders(w, s.limiter.peek("", s.now()))
		writeError(w, requestID, http.StatusUnauthorized, "Invalid API key")
		return
	}
	decision := s.limiter.take(project.OrgID, s.now())
	setRateHeaders(w, decision)
	if !decision.allowed {
		w.Header().Set("Retry-After", strconv.Itoa(decision.retryAfter))
		writeError(w, requestID, http.StatusTooManyRequests, "Rate limit exceeded")
		return
	}

	if handle, ok := s.handlers[route]; ok {
		handle(&call{w: w, r: r, requestID: requestID, project: project, id: id})
		return
	}
	if allow != nil {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, requestID, http.StatusMethodNotAllowed, "Method not allowed")
		return
	}
	writeError(w, requestID, http.StatusNotFound, "Not found")
}

// serveIngest serves the public ingest path: no API key, and the source's org pays the rate limit. Other
// methods answer 405 without a key too.
func (s *Server) serveIngest(c *call, route string, allow []string) {
	if route != RouteIngest {
		setRateHeaders(c.w, s.limiter.peek("", s.now()))
		if allow == nil {
			writeError(c.w, c.requestID, http.StatusNotFound, "Not found")
			return
		}
		c.w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(c.w, c.requestID, http.StatusMethodNotAllowed, "Method not allowed")
		return
	}
	s.ingest(c)
}

// authenticate accepts X-API-Key, or a bearer token as the generated code samples send it.
func (s *Server) authenticate(r *http.Request) (Project, bool) {
	key := r.Header.Get("X-API-Key")
	if key == "" {
		if token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			key = strings.TrimSpace(token)
		}
	}
	if key == "" {
		return Project{}, false
	}
	p, ok := s.projects[key]
	return p, ok
}

// injectFault applies the active faults and reports whether the request has been answered (or dropped).
func (s *Server) injectFault(w *responseWriter, r *http.Request, requestID, route string, project Project, authenticated bool) bool {
	f := s.faults.Load()
	if f == nil {
		return false
	}
	if f.Latency > 0 {
		timer := time.NewTimer(f.Latency)
		select {
		case <-timer.C:
		case <-r.Context().Done():
			timer.Stop()
			return true
		}
	}
	if f.matches(route) && (f.DropConnections || (f.DropRate > 0 && mathrand.Float64() < f.DropRate)) {
		dropConnection(w)
		return true
	}
	var status int
	switch {
	case f.Outage:
		status = http.StatusServiceUnavailable
	case f.ErrorRate > 0 && f.matches(route) && mathrand.Float64() < f.ErrorRate:
		status = f.errorStatus()
	default:
		return false
	}
	org := ""
	if authenticated {
		org = project.OrgID
	}
	setRateHeaders(w, s.limiter.peek(org, s.now()))
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	writeError(w, requestID, status, statusMessage(status))
	return true
}

// holdBeforeHandling holds a request for d, or until the faults change, and returns it to be handled whatever
// became of its client: its body is read first, and its context no longer ends with the client's connection.
func (s *Server) holdBeforeHandling(r *http.Request, route string, d time.Duration) *http.Request {
	released := s.holdsReleased()
	// What the client sent is the request; a body cut short is handled as it came, as a server would.
	body, _ := io.ReadAll(r.Body)
	held := r.Clone(context.WithoutCancel(r.Context()))
	held.Body = io.NopCloser(bytes.NewReader(body))
	s.stats.holding(route, 1)
	defer s.stats.holding(route, -1)
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-released:
	}
	return held
}

// dropConnection closes the client connection without an answer. Where the connection cannot be taken
// over (HTTP/2, recorders), aborting the handler has the same effect on the client.
func dropConnection(w *responseWriter) {
	conn, _, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

func statusMessage(status int) string {
	switch status {
	case http.StatusServiceUnavailable:
		return "Service unavailable"
	case http.StatusTooManyRequests:
		return "Rate limit exceeded"
	case http.StatusInternalServerError:
		return "Internal server error"
	case http.StatusUnauthorized:
		return "Invalid API key"
	case http.StatusForbidden:
		return "Forbidden"
	case http.StatusNotFound:
		return "Not found"
	}
	if text := http.StatusText(status); text != "" {
		return text
	}
	return "Error"
}

func setRateHeaders(w http.ResponseWriter, d rateDecision) {
	h := w.Header()
	h.Set("RateLimit-Limit", strconv.Itoa(d.limit))
	h.Set("RateLimit-Remaining", strconv.Itoa(d.remaining))
	h.Set("RateLimit-Reset", strconv.Itoa(d.reset))
}

// errorBody is hookstream's error envelope.
type errorBody struct {
	Error     string `json:"error"`
	Status    int    `json:"status"`
	RequestID string `json:"request_id"`
}

func writeError(w http.ResponseWriter, requestID string, status int, message string) {
	writeJSON(w, status, errorBody{Error: message, Status: status, RequestID: requestID})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error":"Internal server error","status":500,"request_id":""}` + "\n")
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func newRequestID() string {
	return "req_" + randomHex(8)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}
