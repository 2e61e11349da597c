// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"math/big"
	"strings"
)

// routedEvent is what filters read of an event: its request and its body parsed as JSON.
type routedEvent struct {
	ev *eventRecord
	// payload is the parsed body, numbers kept exact; payloadOK is false when the body is not JSON.
	payload   any
	payloadOK bool
}

func newRoutedEvent(ev *eventRecord) *routedEvent {
	re := &routedEvent{ev: ev}
	re.payload, re.payloadOK = decodeJSONValue(ev.body)
	return re
}

// decodeJSONValue decodes one JSON value, numbers as json.Number; false when data is not exactly one.
func decodeJSONValue(data []byte) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var value any
	if err := dec.Decode(&value); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err == nil {
		return nil, false // trailing data
	}
	return value, true
}

// lookup reads a filter field of the event; false when the field is missing (undefined).
//
//	payload               the whole JSON body
//	payload.<dot.path>    a value in the JSON body; a key that is a non-negative integer also indexes an
//	                      array (items.0.sku), as dedup's body_field does; keys are case-sensitive
//	headers.<name>        a request header, the name case-insensitive; several values joined with ", "
//	method                the request method
//	content_type          the Content-Type header as sent
//	source_ip             the client address the IP lists saw, when it was an IP address
//
// Any other field is missing. A JSON null is present, with the value null.
func (re *routedEvent) lookup(field string) (any, bool) {
	switch field {
	case "method":
		return re.ev.Method, true
	case "content_type":
		if re.ev.ContentType == nil {
			return nil, false
		}
		return *re.ev.ContentType, true
	case "source_ip":
		return re.ev.SourceIP, re.ev.SourceIP != ""
	case "payload":
		return re.payload, re.payloadOK
	}
	if name, ok := strings.CutPrefix(field, "headers."); ok {
		var values []string
		for key, v := range re.ev.Headers {
			if strings.EqualFold(key, name) {
				values = append(values, v...)
			}
		}
		if len(values) == 0 {
			return nil, false
		}
		return strings.Join(values, ", "), true
	}
	if path, ok := strings.CutPrefix(field, "payload."); ok && re.payloadOK {
		return lookupJSONPath(re.payload, strings.Split(path, "."))
	}
	return nil, false
}

// lookupJSONPath walks keys into a decoded JSON value: an object by key, an array by a key that is a
// non-negative integer. False when a step finds nothing; a null found at the end is present.
func lookupJSONPath(value any, keys []string) (any, bool) {
	for _, key := range keys {
		switch node := value.(type) {
		case map[string]any:
			next, ok := node[key]
			if !ok {
				return nil, false
			}
			value = next
		case []any:
			i, ok := arrayIndex(key, len(node))
			if !ok {
				return nil, false
			}
			value = node[i]
		default:
			return nil, false
		}
	}
	return value, true
}

// arrayIndex reads a key as an index of an array of n items: decimal digits only, no sign.
func arrayIndex(key string, n int) (int, bool) {
	if key == "" || len(key) > 9 {
		return 0, false
	}
	i := 0
	for _, r := range key {
		if r < '0' || r > '9' {
			return 0, false
		}
		i = i*10 + int(r-'0')
	}
	return i, i < n
}

// matches reports whether the event passes every rule (AND); no rules match everything.
func (re *routedEvent) matches(rules []filterRule) bool {
	for _, rule := range rules {
		value, present := re.lookup(rule.Field)
		if !ruleHolds(rule, value, present) {
			return false
		}
	}
	return true
}

// ruleHolds applies one operator. eq is strict JSON equality ("5" is not 5; 5 is 5.0); gt, gte, lt and lte
// compare numbers only; contains finds a substring in a string only; in is eq against any item of the
// array. A missing field fails every operator except neq and exists false.
func ruleHolds(rule filterRule, value any, present bool) bool {
	var want any
	if rule.Op != opExists {
		var ok bool
		if want, ok = decodeJSONValue(rule.Value); !ok {
			return false
		}
	}
	switch rule.Op {
	case opEq:
		return present && jsonEqual(value, want)
	case opNeq:
		return !present || !jsonEqual(value, want)
	case opContains:
		text, isText := value.(string)
		sub, _ := want.(string)
		return present && isText && strings.Contains(text, sub)
	case opGt, opGte, opLt, opLte:
		if !present {
			return false
		}
		c, ok := compareNumbers(value, want)
		if !ok {
			return false
		}
		switch rule.Op {
		case opGt:
			return c > 0
		case opGte:
			return c >= 0
		case opLt:
			return c < 0
		default:
			return c <= 0
		}
	case opExists:
		return present == (string(rule.Value) == "true")
	case opIn:
		items, _ := want.([]any)
		for _, item := range items {
			if present && jsonEqual(value, item) {
				return true
			}
		}
		return false
	}
	return false
}

// jsonEqual is JSON equality of decoded values: same type and value, numbers by exact value, arrays item
// by item, objects key by key.
func jsonEqual(a, b any) bool {
	switch a := a.(type) {
	case nil:
		return b == nil
	case string:
		s, ok := b.(string)
		return ok && a == s
	case bool:
		v, ok := b.(bool)
		return ok && a == v
	case json.Number:
		c, ok := compareNumbers(a, b)
		return ok && c == 0
	case []any:
		items, ok := b.([]any)
		if !ok || len(items) != len(a) {
			return false
		}
		for i := range a {
			if !jsonEqual(a[i], items[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		object, ok := b.(map[string]any)
		if !ok || len(object) != len(a) {
			return false
		}
		for key, value := range a {
			other, present := object[key]
			if !present || !jsonEqual(value, other) {
				return false
			}
		}
		return true
	}
	return false
}

// compareNumbers compares two JSON numbers exactly; false when either is not a number.
func compareNumbers(a, b any) (int, bool) {
	x, ok := a.(json.Number)
	y, ok2 := b.(json.Number)
	if !ok || !ok2 {
		return 0, false
	}
	rx, okx := new(big.Rat).SetString(string(x))
	ry, oky := new(big.Rat).SetString(string(y))
	if !okx || !oky {
		return 0, false
	}
	return rx.Cmp(ry), true
}

// routeCandidateSkipped reports a connection that routes nothing: enabled 0, paused or disabled, or
// leading to a disabled destination. A paused destination still gets the events, queued.
func routeCandidateSkipped(c *routeCandidate) bool {
	return c.Enabled == 0 || c.Status != "active" || c.destinationStatus == "disabled"
}

// planRoutes decides, for an event of an active source, which connections route it and what each
// delivers: the deliveries recordEvent stores with the event when it is not a duplicate. Filters read the
// event; a transform turns its body into what the destination receives, or fails the delivery.
func (s *Server) planRoutes(ctx context.Context, ev *eventRecord) ([]deliveryRecord, error) {
	candidates, err := s.store.connectionsOfSource(ctx, ev.SourceID)
	if err != nil || len(candidates) == 0 {
		return nil, err
	}
	re := newRoutedEvent(ev)
	var planned []deliveryRecord
	for i := range candidates {
		c := &candidates[i]
		if routeCandidateSkipped(c) || !re.matches(decodeFilterRules(c.FilterRules)) {
			continue
		}
		d := deliveryRecord{Delivery: Delivery{
			ID:            randomHex(16),
			EventID:       ev.ID,
			ConnectionID:  c.ID,
			DestinationID: c.DestinationID,
			Status:        deliveryQueued,
			ContentType:   ev.ContentType,
			CreatedAt:     ev.ReceivedAt,
		}, body: ev.body}
		if c.TransformEnabled == 1 && c.TransformExpression != nil && *c.TransformExpression != "" {
			body, err := transformBody(*c.TransformExpression, ev.body)
			if err != nil {
				message := "Transform failed: " + err.Error()
				d.Status, d.body, d.ContentType, d.CompletedAt = deliveryFailed, nil, nil, &ev.ReceivedAt
				d.Attempts = []DeliveryAttempt{{Attempt: 1, AttemptedAt: ev.ReceivedAt, Error: &message}}
				d.attemptsMade = 1
			} else {
				contentType := "application/json"
				d.body, d.ContentType = body, &contentType
			}
		}
		planned = append(planned, d)
	}
	return planned, nil
}
