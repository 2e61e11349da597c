// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Event is one request a source accepted, as GET /_emulator/sources/{id}/events shows it. Headers are all
// the request's headers, secrets included; the admin API is for a trusted machine, and the emulator never
// logs them.
type Event struct {
	ID         string              `json:"id"`
	SourceID   string              `json:"source_id"`
	ReceivedAt string              `json:"received_at"`
	Method     string              `json:"method"`
	Query      string              `json:"query"`
	Headers    map[string][]string `json:"headers"`
	// Body is the raw body: as text when it is valid UTF-8 (BodyEncoding "text"), else in standard base64
	// (BodyEncoding "base64").
	Body         string  `json:"body"`
	BodyEncoding string  `json:"body_encoding"`
	ContentType  *string `json:"content_type"`
	// SourceIP is the client address the IP lists were checked against; "" when it was not an IP address.
	SourceIP string `json:"source_ip"`
	// Duplicate marks an event that repeats DuplicateOf within the dedup window: stored, not counted, and
	// never routed.
	Duplicate   bool    `json:"duplicate"`
	DuplicateOf *string `json:"duplicate_of"`
	// SchemaWarnings lists what failed the source's JSON schema under schema_action warn (or null); null
	// when the event passed or was not validated.
	SchemaWarnings []string `json:"schema_warnings"`
	// Paused marks an event that arrived while its source was paused: stored and counted, never routed.
	Paused bool `json:"paused"`
}

// eventRecord is a stored event: the admin view plus what only the store needs.
type eventRecord struct {
	Event
	receivedAtMS int64
	body         []byte
	dedupKey     *string
}

type ingestAnswer struct {
	EventID  string `json:"event_id"`
	SourceID string `json:"source_id"`
}

// schemaRejection is the error envelope of a 422, with what failed the schema.
type schemaRejection struct {
	errorBody
	ValidationErrors []string `json:"validation_errors"`
}

// ingestBucket is the rate-limit bucket of ingest traffic: the source's org, apart from its API calls.
func ingestBucket(orgID string) string { return "ingest/" + orgID }

// ingest serves ANY /ingest/{source_id}. It takes no API key; the checks run in this order: unknown source
// 404, rate limit 429, disabled 403, IP denylist then allowlist 403, body size 413, signature 401, schema
// (reject) 422. What passes is stored, a duplicate or a paused source's event included, and answered 200.
// An original event of an active source is routed before the answer: the connections it passes queue their
// deliveries, which the scheduler makes afterwards, so that the answer never waits on a receiver.
func (s *Server) ingest(c *call) {
	ctx := c.r.Context()
	now := s.now()
	src, err := s.store.sources.lookup(ctx, "", c.id)
	if err != nil {
		setRateHeaders(c.w, s.limiter.peek("", now))
		s.writeFailure(c, err)
		return
	}
	decision := s.limiter.take(ingestBucket(src.OrgID), now)
	setRateHeaders(c.w, decision)
	switch {
	case !decision.allowed:
		c.w.Header().Set("Retry-After", strconv.Itoa(decision.retryAfter))
		writeError(c.w, c.requestID, http.StatusTooManyRequests, "Rate limit exceeded")
		return
	case src.Status == "disabled":
		writeError(c.w, c.requestID, http.StatusForbidden, "Source is disabled")
		return
	}
	client := s.clientAddr(c.r)
	if !ipAllowed(&src.Source, client) {
		writeError(c.w, c.requestID, http.StatusForbidden, "IP address not allowed")
		return
	}
	body, ok := s.readBody(c)
	if !ok {
		return
	}
	if err := verifySignature(&src.Source, c.r.Header, body, now); err != nil {
		writeError(c.w, c.requestID, http.StatusUnauthorized, err.Error())
		return
	}
	var warnings []string
	if src.SchemaValidationEnabled == 1 && src.JSONSchema != nil {
		if warnings, err = s.schemas.validatePayload(*src.JSONSchema, body); err != nil {
			s.internalError(c, err)
			return
		}
		if len(warnings) > 0 && src.SchemaAction != nil && *src.SchemaAction == schemaActionReject {
			writeJSON(c.w, http.StatusUnprocessableEntity, schemaRejection{
				errorBody: errorBody{
					Error:     "Payload does not match the source's JSON schema",
					Status:    http.StatusUnprocessableEntity,
					RequestID: c.requestID,
				},
				ValidationErrors: warnings,
			})
			return
		}
	}

	ev := eventRecord{
		Event: Event{
			ID:             randomHex(16),
			SourceID:       src.ID,
			ReceivedAt:     formatTime(now),
			Method:         c.r.Method,
			Query:          c.r.URL.RawQuery,
			Headers:        c.r.Header.Clone(),
			SchemaWarnings: warnings,
			Paused:         src.Status == "paused",
		},
		receivedAtMS: now.UnixMilli(),
		body:         body,
		dedupKey:     dedupKey(&src.Source, c.r.Header, body),
	}
	if contentType := c.r.Header.Get("Content-Type"); contentType != "" {
		ev.ContentType = &contentType
	}
	if client.IsValid() {
		ev.SourceIP = client.String()
	}
	var routed []deliveryRecord
	if !ev.Paused {
		if routed, err = s.planRoutes(ctx, &ev); err != nil {
			s.internalError(c, err)
			return
		}
	}
	queuedFor, err := s.store.recordEvent(ctx, &ev, src.DedupWindowSeconds*1000, routed)
	if err != nil {
		s.writeFailure(c, err)
		return
	}
	for _, id := range queuedFor {
		s.kick(id)
	}
	if ev.Duplicate && s.variants.ingestDuplicate409 {
		// Stored and marked as always, but answered as the errors page has it.
		writeError(c.w, c.requestID, http.StatusConflict, "Duplicate event")
		return
	}
	writeJSON(c.w, http.StatusOK, ingestAnswer{EventID: ev.ID, SourceID: src.ID})
}

// clientAddr is the address the IP lists apply to: the first entry of Options.TrustedClientIPHeader when
// that is set and holds an address, else the connection's remote address. IPv4-mapped IPv6 addresses count
// as IPv4. The zero Addr means neither was an address.
func (s *Server) clientAddr(r *http.Request) netip.Addr {
	if name := s.opts.TrustedClientIPHeader; name != "" {
		first, _, _ := strings.Cut(r.Header.Get(name), ",")
		if addr, ok := parseClientAddr(strings.TrimSpace(first)); ok {
			return addr
		}
	}
	addr, _ := parseClientAddr(r.RemoteAddr)
	return addr
}

func parseClientAddr(value string) (netip.Addr, bool) {
	if addrPort, err := netip.ParseAddrPort(value); err == nil {
		return addrPort.Addr().Unmap(), true
	}
	if addr, err := netip.ParseAddr(value); err == nil {
		return addr.Unmap(), true
	}
	return netip.Addr{}, false
}

// ipAllowed applies the denylist, then the allowlist. An empty or null allowlist allows every address; a
// client that is not an IPv4 address matches no entry.
func ipAllowed(src *Source, addr netip.Addr) bool {
	if ipListContains(src.IPDenylist, addr) {
		return false
	}
	if src.IPAllowlist == nil || *src.IPAllowlist == "[]" {
		return true
	}
	return ipListContains(src.IPAllowlist, addr)
}

func ipListContains(encoded *string, addr netip.Addr) bool {
	if encoded == nil || !addr.Is4() {
		return false
	}
	var entries []string
	if err := json.Unmarshal([]byte(*encoded), &entries); err != nil {
		return false
	}
	return slices.ContainsFunc(entries, func(entry string) bool {
		prefix, ok := parseIPv4Prefix(entry)
		return ok && prefix.Contains(addr)
	})
}

// dedupKey is what makes two events of a source the same under its dedup strategy, prefixed with the
// strategy and field so that a changed setting never matches old events; nil when dedup is off or the
// event lacks the field (such an event is never a duplicate). A body field holding null counts as absent.
func dedupKey(src *Source, header http.Header, body []byte) *string {
	if src.DedupEnabled == 0 || src.DedupStrategy == nil {
		return nil
	}
	var key string
	switch *src.DedupStrategy {
	case dedupPayloadHash:
		sum := sha256.Sum256(body)
		key = dedupPayloadHash + ":" + hex.EncodeToString(sum[:])
	case dedupHeaderField:
		if src.DedupField == nil {
			return nil
		}
		values := header.Values(*src.DedupField)
		if len(values) == 0 {
			return nil
		}
		key = dedupHeaderField + ":" + http.CanonicalHeaderKey(*src.DedupField) + ":" + strings.Join(values, ", ")
	case dedupBodyField:
		if src.DedupField == nil {
			return nil
		}
		value, ok := lookupBodyPath(body, bodyPath(*src.DedupField))
		if !ok {
			return nil
		}
		key = dedupBodyField + ":" + *src.DedupField + ":" + encodeJSON(value)
	default:
		return nil
	}
	return &key
}

// lookupBodyPath reads the value at keys in a JSON body; a key that is a non-negative integer also indexes
// an array. A null there counts as absent.
func lookupBodyPath(body []byte, keys []string) (any, bool) {
	if keys == nil {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var value any
	if err := dec.Decode(&value); err != nil {
		return nil, false
	}
	value, found := lookupJSONPath(value, keys)
	return value, found && value != nil
}

// SourceEvents returns the events a source of any project has accepted, oldest first.
func (s *Server) SourceEvents(ctx context.Context, id string) ([]Event, error) {
	if _, err := s.store.sources.lookup(ctx, "", id); err != nil {
		return nil, err
	}
	records, err := s.store.sourceEvents(ctx, id)
	if err != nil {
		return nil, err
	}
	events := make([]Event, 0, len(records))
	for _, r := range records {
		events = append(events, r.Event)
	}
	return events, nil
}

// scanEvent reads one events row; the admin view's derived fields are filled in from the stored columns.
func scanEvent(row rowScanner) (eventRecord, error) {
	var r eventRecord
	var headers string
	var warnings *string
	var paused int64
	err := row.Scan(&r.ID, &r.SourceID, &r.ReceivedAt, &r.receivedAtMS, &r.Method, &r.Query, &headers, &r.body,
		&r.ContentType, &r.SourceIP, &r.dedupKey, &r.DuplicateOf, &warnings, &paused)
	if err != nil {
		return eventRecord{}, err
	}
	if err := json.Unmarshal([]byte(headers), &r.Headers); err != nil {
		return eventRecord{}, err
	}
	if warnings != nil {
		if err := json.Unmarshal([]byte(*warnings), &r.SchemaWarnings); err != nil {
			return eventRecord{}, err
		}
	}
	r.Duplicate = r.DuplicateOf != nil
	r.Paused = paused == 1
	if utf8.Valid(r.body) {
		r.Body, r.BodyEncoding = string(r.body), "text"
	} else {
		r.Body, r.BodyEncoding = base64.StdEncoding.EncodeToString(r.body), "base64"
	}
	return r, nil
}

// encodeOptionalList encodes a list column; an empty list is null.
func encodeOptionalList(items []string) *string {
	if len(items) == 0 {
		return nil
	}
	encoded := encodeJSON(items)
	return &encoded
}
