// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator_test

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	jsonata "github.com/blues/jsonata-go"
	"github.com/google/go-cmp/cmp"

	"github.com/hookstream/hookstream-operator/internal/emulator"
)

// waitDeliveries waits until no destination queue is being delivered and returns how many deliveries wait.
func (e *testEnv) waitDeliveries() int {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.t.Context(), 20*time.Second)
	defer cancel()
	queued, err := e.server.WaitForDeliveries(ctx)
	if err != nil {
		e.t.Fatalf("waiting for deliveries: %v", err)
	}
	return queued
}

func (e *testEnv) deliveries(connectionID string) []emulator.Delivery {
	e.t.Helper()
	deliveries, err := e.server.ConnectionDeliveries(e.t.Context(), connectionID)
	if err != nil {
		e.t.Fatalf("deliveries of %s: %v", connectionID, err)
	}
	return deliveries
}

// httpDestination creates an http destination that delivers to rcv, with fields added or replaced.
func (e *testEnv) httpDestination(key, slug string, rcv *receiver, fields map[string]any) emulator.Destination {
	e.t.Helper()
	body := map[string]any{"slug": slug, "name": slug, "url": rcv.server.URL + "/" + slug}
	maps.Copy(body, fields)
	return e.create(key, withFields(body))
}

const routedBody = `{"type":"order.created","amount":42,"currency":"EUR","items":[{"sku":"a"},{"sku":"b"}],` +
	`"tags":["x"],"flag":true,"none":null,"nested":{"n":"5"},"big":12345678901234567890}`

func TestFilterRules(t *testing.T) {
	jsonRequest := ingestCall{body: routedBody, header: map[string]string{"Content-Type": "application/json", "X-Shop": "eu"}}
	tests := map[string]struct {
		rules   []map[string]any
		request *ingestCall // jsonRequest when nil
		want    bool
	}{
		"no rules":                    {nil, nil, true},
		"eq string":                   {[]map[string]any{rule("payload.type", "eq", "order.created")}, nil, true},
		"eq other string":             {[]map[string]any{rule("payload.type", "eq", "order.paid")}, nil, false},
		"eq is case-sensitive":        {[]map[string]any{rule("payload.type", "eq", "Order.Created")}, nil, false},
		"eq number":                   {[]map[string]any{rule("payload.amount", "eq", 42)}, nil, true},
		"eq 42.0 is 42":               {[]map[string]any{rule("payload.amount", "eq", json.RawMessage(`42.0`))}, nil, true},
		"eq string is not a number":   {[]map[string]any{rule("payload.amount", "eq", "42")}, nil, false},
		"eq number is not a string":   {[]map[string]any{rule("payload.nested.n", "eq", 5)}, nil, false},
		"eq large numbers exactly":    {[]map[string]any{rule("payload.big", "eq", json.RawMessage(`12345678901234567891`))}, nil, false},
		"eq large number":             {[]map[string]any{rule("payload.big", "eq", json.RawMessage(`12345678901234567890`))}, nil, true},
		"eq boolean":                  {[]map[string]any{rule("payload.flag", "eq", true)}, nil, true},
		"eq boolean is not a string":  {[]map[string]any{rule("payload.flag", "eq", "true")}, nil, false},
		"eq null":                     {[]map[string]any{{"field": "payload.none", "op": "eq", "value": nil}}, nil, true},
		"eq null, field missing":      {[]map[string]any{{"field": "payload.gone", "op": "eq", "value": nil}}, nil, false},
		"eq null is not false":        {[]map[string]any{rule("payload.none", "eq", false)}, nil, false},
		"eq an array field":           {[]map[string]any{rule("payload.tags", "eq", "x")}, nil, false},
		"eq missing":                  {[]map[string]any{rule("payload.gone", "eq", "x")}, nil, false},
		"neq other":                   {[]map[string]any{rule("payload.type", "neq", "order.paid")}, nil, true},
		"neq same":                    {[]map[string]any{rule("payload.type", "neq", "order.created")}, nil, false},
		"neq type mismatch":           {[]map[string]any{rule("payload.amount", "neq", "42")}, nil, true},
		"neq missing":                 {[]map[string]any{rule("payload.gone", "neq", "x")}, nil, true},
		"contains":                    {[]map[string]any{rule("payload.type", "contains", "created")}, nil, true},
		"contains is case-sensitive":  {[]map[string]any{rule("payload.type", "contains", "CREATED")}, nil, false},
		"contains in an array":        {[]map[string]any{rule("payload.tags", "contains", "x")}, nil, false},
		"contains in a number":        {[]map[string]any{rule("payload.amount", "contains", "4")}, nil, false},
		"contains missing":            {[]map[string]any{rule("payload.gone", "contains", "")}, nil, false},
		"gt":                          {[]map[string]any{rule("payload.amount", "gt", 41.5)}, nil, true},
		"gt equal":                    {[]map[string]any{rule("payload.amount", "gt", 42)}, nil, false},
		"gte equal":                   {[]map[string]any{rule("payload.amount", "gte", 42)}, nil, true},
		"lt":                          {[]map[string]any{rule("payload.amount", "lt", 42.01)}, nil, true},
		"lte below":                   {[]map[string]any{rule("payload.amount", "lte", 41.99)}, nil, false},
		"lte equal":                   {[]map[string]any{rule("payload.amount", "lte", 42)}, nil, true},
		"gt on a numeric string":      {[]map[string]any{rule("payload.nested.n", "gt", 4)}, nil, false},
		"lt on a boolean":             {[]map[string]any{rule("payload.flag", "lt", 2)}, nil, false},
		"gt missing":                  {[]map[string]any{rule("payload.gone", "gt", -1)}, nil, false},
		"exists":                      {[]map[string]any{rule("payload.amount", "exists", true)}, nil, true},
		"exists, holding null":        {[]map[string]any{rule("payload.none", "exists", true)}, nil, true},
		"exists missing":              {[]map[string]any{rule("payload.gone", "exists", true)}, nil, false},
		"exists false, missing":       {[]map[string]any{rule("payload.gone", "exists", false)}, nil, true},
		"exists false, present":       {[]map[string]any{rule("payload.amount", "exists", false)}, nil, false},
		"in":                          {[]map[string]any{rule("payload.currency", "in", []any{"USD", "EUR"})}, nil, true},
		"in, not listed":              {[]map[string]any{rule("payload.currency", "in", []any{"usd", "eur"})}, nil, false},
		"in numbers":                  {[]map[string]any{rule("payload.amount", "in", []any{1, 42})}, nil, true},
		"in strings of numbers":       {[]map[string]any{rule("payload.amount", "in", []any{"42"})}, nil, false},
		"in null":                     {[]map[string]any{rule("payload.none", "in", []any{nil})}, nil, true},
		"in an array item":            {[]map[string]any{rule("payload.tags", "in", []any{[]any{"x"}})}, nil, true},
		"in empty":                    {[]map[string]any{rule("payload.currency", "in", []any{})}, nil, false},
		"in missing":                  {[]map[string]any{rule("payload.gone", "in", []any{nil, "x"})}, nil, false},
		"array index":                 {[]map[string]any{rule("payload.items.1.sku", "eq", "b")}, nil, true},
		"array index past the end":    {[]map[string]any{rule("payload.items.2.sku", "exists", false)}, nil, true},
		"array by name":               {[]map[string]any{rule("payload.items.sku", "exists", false)}, nil, true},
		"signed array index":          {[]map[string]any{rule("payload.items.+1.sku", "exists", false)}, nil, true},
		"the whole payload":           {[]map[string]any{rule("payload", "exists", true)}, nil, true},
		"payload keys case-sensitive": {[]map[string]any{rule("payload.Type", "exists", false)}, nil, true},
		"not JSON, no payload":        {[]map[string]any{rule("payload", "exists", false)}, &ingestCall{body: "type=order.created"}, true},
		"not JSON, neq":               {[]map[string]any{rule("payload.type", "neq", "order.created")}, &ingestCall{body: "type=order.created"}, true},
		"header":                      {[]map[string]any{rule("headers.X-Shop", "eq", "eu")}, nil, true},
		"header name in lower case":   {[]map[string]any{rule("headers.x-shop", "eq", "eu")}, nil, true},
		"header name in upper case":   {[]map[string]any{rule("headers.X-SHOP", "in", []any{"us", "eu"})}, nil, true},
		"header value case-sensitive": {[]map[string]any{rule("headers.X-Shop", "eq", "EU")}, nil, false},
		"header missing":              {[]map[string]any{rule("headers.X-Region", "exists", false)}, nil, true},
		"method":                      {[]map[string]any{rule("method", "eq", "PUT")}, &ingestCall{method: http.MethodPut, body: routedBody}, true},
		"method is case-sensitive":    {[]map[string]any{rule("method", "eq", "post")}, nil, false},
		"content_type":                {[]map[string]any{rule("content_type", "eq", "application/json")}, nil, true},
		"content_type contains":       {[]map[string]any{rule("content_type", "contains", "json")}, &ingestCall{body: routedBody, header: map[string]string{"Content-Type": "application/json; charset=utf-8"}}, true},
		"content_type missing":        {[]map[string]any{rule("content_type", "exists", false)}, &ingestCall{body: routedBody}, true},
		"source_ip":                   {[]map[string]any{rule("source_ip", "eq", "192.0.2.10")}, nil, true},
		"source_ip other":             {[]map[string]any{rule("source_ip", "in", []any{"10.0.0.1"})}, nil, false},
		"unknown field is missing":    {[]map[string]any{rule("body.type", "exists", false)}, nil, true},
		"all rules hold":              {[]map[string]any{rule("payload.type", "eq", "order.created"), rule("payload.amount", "gte", 10), rule("headers.x-shop", "eq", "eu")}, nil, true},
		"one rule fails":              {[]map[string]any{rule("payload.type", "eq", "order.created"), rule("payload.amount", "gte", 100)}, nil, false},
	}
	env := newEnv(t, emulator.Options{})
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			env := env.with(t)
			l := env.newLinks(keyA, slugFor(name))
			fields := map[string]any{}
			if tc.rules != nil {
				fields["filter_rules"] = tc.rules
			}
			conn := connections.create(env, keyA, connectionWith(l, fields))
			request := jsonRequest
			if tc.request != nil {
				request = *tc.request
			}
			answer := env.ingestOK(l.source.ID, request)
			var wantCount int64
			var wantEvents []string
			if tc.want {
				wantCount, wantEvents = 1, []string{answer.EventID}
			}
			got := connections.get(env, keyA, conn.ID)
			var gotEvents []string
			for _, d := range env.deliveries(conn.ID) {
				gotEvents = append(gotEvents, d.EventID)
			}
			if got.EventCount != wantCount || cmp.Diff(wantEvents, gotEvents) != "" {
				t.Errorf("event_count %d, deliveries of %v; want %d, %v", got.EventCount, gotEvents, wantCount, wantEvents)
			}
		})
	}
}

// The event reaches every connection that routes it; connections that are off, or lead to a disabled
// destination, route nothing; a paused destination queues until it is active again.
func TestRoutingFanOutAndSkips(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	billing, shipping, archive := newReceiver(t), newReceiver(t), newReceiver(t)
	src := sources.create(env, keyA, sourceWith(map[string]any{"slug": "shop"}))
	dests := map[string]emulator.Destination{
		"billing":  env.httpDestination(keyA, "billing", billing, nil),
		"shipping": env.httpDestination(keyA, "shipping", shipping, nil),
		"archive":  env.httpDestination(keyA, "archive", archive, nil),
		"disabled": env.httpDestination(keyA, "disabled", billing, nil),
	}
	env.call(http.MethodPatch, "/v1/destinations/"+dests["archive"].ID, keyA, `{"status":"paused"}`)
	env.call(http.MethodPatch, "/v1/destinations/"+dests["disabled"].ID, keyA, `{"status":"disabled"}`)
	planned := map[string]struct {
		destination string
		fields      map[string]any
		patch       string
		routes      bool
	}{
		"to billing":                {"billing", nil, "", true},
		"to shipping, filtered":     {"shipping", map[string]any{"filter_rules": []any{rule("payload.type", "eq", "order.created")}}, "", true},
		"to archive, paused dest":   {"archive", nil, "", true},
		"filtered out":              {"shipping", map[string]any{"filter_rules": []any{rule("payload.type", "eq", "order.paid")}}, "", false},
		"connection paused":         {"shipping", nil, `{"status":"paused"}`, false},
		"connection disabled":       {"billing", nil, `{"status":"disabled"}`, false},
		"enabled 0":                 {"billing", map[string]any{"enabled": false}, "", false},
		"active but enabled 0":      {"billing", nil, `{"enabled":false}`, false},
		"to a disabled destination": {"disabled", nil, "", false},
	}
	ids := map[string]string{}
	for name, c := range planned {
		fields := map[string]any{"name": name}
		maps.Copy(fields, c.fields)
		created := connections.create(env, keyA, connectionWith(links{source: src, destination: dests[c.destination]}, fields))
		if c.patch != "" {
			env.call(http.MethodPatch, "/v1/connections/"+created.ID, keyA, c.patch)
		}
		ids[name] = created.ID
	}

	env.clock.Advance(time.Minute)
	first := env.ingestOK(src.ID, ingestCall{body: routedBody, header: map[string]string{"Content-Type": "application/json"}})
	if queued := env.waitDeliveries(); queued != 1 {
		t.Errorf("%d deliveries wait, want 1: the paused destination's", queued)
	}
	for name, c := range planned {
		got := connections.get(env, keyA, ids[name])
		var want []any
		if c.routes {
			want = []any{int64(1), new("2026-02-28T10:01:00Z"), 1}
		} else {
			want = []any{int64(0), (*string)(nil), 0}
		}
		if diff := cmp.Diff(want, []any{got.EventCount, got.LastEventAt, len(env.deliveries(ids[name]))}); diff != "" {
			t.Errorf("%s: event_count, last_event_at, deliveries (-want +got):\n%s", name, diff)
		}
		if got.UpdatedAt != "2026-02-28T10:00:00Z" {
			t.Errorf("%s: routing moved updated_at to %s", name, got.UpdatedAt)
		}
	}
	for name, rcv := range map[string]*receiver{"billing": billing, "shipping": shipping} {
		got := rcv.received()
		if len(got) != 1 {
			t.Fatalf("%s received %d requests, want 1", name, len(got))
		}
		want := []string{"/" + name, routedBody, "application/json", first.EventID, "1"}
		if diff := cmp.Diff(want, []string{got[0].Path, got[0].BodyRaw, got[0].Header.Get("Content-Type"),
			got[0].Header.Get("X-Hookstream-Event-Id"), got[0].Header.Get("X-Hookstream-Delivery-Attempt")}); diff != "" {
			t.Errorf("%s: path, body, content type, event id, attempt (-want +got):\n%s", name, diff)
		}
	}
	if got := env.get(keyA, dests["billing"].ID); got.EventCount != 1 || got.LastDeliveryAt == nil {
		t.Errorf("billing: event_count %d, last_delivery_at %v; want 1 and a time", got.EventCount, got.LastDeliveryAt)
	}

	// A paused source stores its events and routes none, not even on resume.
	env.call(http.MethodPatch, "/v1/sources/"+src.ID, keyA, `{"status":"paused"}`)
	env.ingestOK(src.ID, ingestCall{body: `{"type":"order.created","while":"paused"}`})
	env.call(http.MethodPatch, "/v1/sources/"+src.ID, keyA, `{"status":"active"}`)
	second := env.ingestOK(src.ID, ingestCall{body: `{"type":"order.created","n":2}`})
	env.waitDeliveries()
	if events := env.events(src.ID); len(events) != 3 || !events[1].Paused {
		t.Errorf("%d events stored, want 3 with the second paused", len(events))
	}
	if got := len(billing.received()); got != 2 {
		t.Errorf("billing received %d requests, want 2: the paused source's event is never routed", got)
	}
	if got := connections.get(env, keyA, ids["to billing"]).EventCount; got != 2 {
		t.Errorf("event_count %d, want 2", got)
	}

	// The paused destination delivers its queue in order once active.
	if got := len(archive.received()); got != 0 {
		t.Fatalf("the paused destination received %d requests", got)
	}
	env.call(http.MethodPatch, "/v1/destinations/"+dests["archive"].ID, keyA, `{"status":"active"}`)
	if queued := env.waitDeliveries(); queued != 0 {
		t.Errorf("%d deliveries still wait", queued)
	}
	var order []string
	for _, req := range archive.received() {
		order = append(order, req.Header.Get("X-Hookstream-Event-Id"))
	}
	if diff := cmp.Diff([]string{first.EventID, second.EventID}, order); diff != "" {
		t.Errorf("the archive's queue, in order (-want +got):\n%s", diff)
	}
}

func TestRoutingSkipsDuplicates(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	l := env.newLinks(keyA, "orders")
	env.call(http.MethodPatch, "/v1/sources/"+l.source.ID, keyA, `{"dedup_strategy":"payload_hash","dedup_enabled":true}`)
	conn := connections.create(env, keyA, connectionWith(l, nil))
	env.ingestOK(l.source.ID, ingestCall{body: `{"n":1}`})
	env.ingestOK(l.source.ID, ingestCall{body: `{"n":1}`})
	env.waitDeliveries()
	if got := connections.get(env, keyA, conn.ID).EventCount; got != 1 {
		t.Errorf("event_count %d, want 1: a duplicate is not routed", got)
	}
	if got := len(env.deliveries(conn.ID)); got != 1 {
		t.Errorf("%d deliveries, want 1", got)
	}
}

func TestRoutingTransforms(t *testing.T) {
	const order = `{"id":"o_1","customer":{"name":"Ada"},"items":[{"price":2},{"price":3.5}]}`
	compileError := func(expression string) string {
		_, err := jsonata.Compile(expression)
		if err == nil {
			t.Fatalf("%s compiles", expression)
		}
		return "Transform failed: " + err.Error()
	}
	tests := map[string]struct {
		fields          map[string]any
		body            string
		contentType     string
		wantBody        string
		wantContentType string
		wantError       string
	}{
		"an object":                  {fields: map[string]any{"transform_expression": `{"order": id, "total": $sum(items.price)}`}, wantBody: `{"order":"o_1","total":5.5}`, wantContentType: "application/json"},
		"a path to an object":        {fields: map[string]any{"transform_expression": `customer`}, wantBody: `{"name":"Ada"}`, wantContentType: "application/json"},
		"keys sorted, no escaping":   {fields: map[string]any{"transform_expression": `{"z": "<&>", "a": [1, 2]}`}, wantBody: `{"a":[1,2],"z":"<&>"}`, wantContentType: "application/json"},
		"bounded recursion":          {fields: map[string]any{"transform_expression": `($f := function($n){$n <= 1 ? 1 : $n * $f($n - 1)}; {"factorial": $f(5)})`}, wantBody: `{"factorial":120}`, wantContentType: "application/json"},
		"functions in builtins":      {fields: map[string]any{"transform_expression": `{"skus": $map(items, function($i){$i.price * 2})}`}, wantBody: `{"skus":[4,7]}`, wantContentType: "application/json"},
		"transform_enabled 0":        {fields: map[string]any{"transform_expression": `{"x": 1}`, "transform_enabled": false}, contentType: "text/plain", wantBody: order, wantContentType: "text/plain"},
		"empty expression":           {fields: map[string]any{"transform_expression": "", "transform_enabled": true}, wantBody: order},
		"no expression":              {fields: map[string]any{"transform_enabled": true}, contentType: "application/json", wantBody: order, wantContentType: "application/json"},
		"returns a string":           {fields: map[string]any{"transform_expression": `id`}, wantError: "Transform failed: the expression returned a string, not an object"},
		"returns an array":           {fields: map[string]any{"transform_expression": `items`}, wantError: "Transform failed: the expression returned an array, not an object"},
		"returns a number":           {fields: map[string]any{"transform_expression": `1 + 1`}, wantError: "Transform failed: the expression returned a number, not an object"},
		"returns a boolean":          {fields: map[string]any{"transform_expression": `true`}, wantError: "Transform failed: the expression returned a boolean, not an object"},
		"returns null":               {fields: map[string]any{"transform_expression": `null`}, wantError: "Transform failed: the expression returned null, not an object"},
		"returns nothing":            {fields: map[string]any{"transform_expression": `missing`}, wantError: "Transform failed: the expression returned nothing, not an object"},
		"fails":                      {fields: map[string]any{"transform_expression": `$error("no total")`}, wantError: "Transform failed: no total"},
		"does not compile":           {fields: map[string]any{"transform_expression": `{"a": }`}, wantError: compileError(`{"a": }`)},
		"body not JSON":              {fields: map[string]any{"transform_expression": `{"a": 1}`}, body: "id=o_1", wantError: "Transform failed: the body is not JSON"},
		"empty body":                 {fields: map[string]any{"transform_expression": `{"a": 1}`}, body: " ", wantError: "Transform failed: the body is not JSON"},
		"endless recursion":          {fields: map[string]any{"transform_expression": `($f := function($x){$f($x)}; {"a": $f(1)})`}, wantError: "Transform failed: functions nested deeper than 1000 calls"},
		"endless self-application":   {fields: map[string]any{"transform_expression": `{"a": (function($g){$g($g)})(function($g){$g($g)})}`}, wantError: "Transform failed: functions nested deeper than 1000 calls"},
		"endless through a built-in": {fields: map[string]any{"transform_expression": `($f := function($x){$map([$x], $f)}; {"a": $f(1)})`}, wantError: "Transform failed: functions nested deeper than 1000 calls"},
	}
	env := newEnv(t, emulator.Options{})
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			env := env.with(t)
			rcv := newReceiver(t)
			src := sources.create(env, keyA, sourceWith(map[string]any{"slug": slugFor(name)}))
			dest := env.httpDestination(keyA, slugFor(name), rcv, nil)
			conn := connections.create(env, keyA, connectionWith(links{source: src, destination: dest}, tc.fields))
			body := tc.body
			if body == "" {
				body = order
			}
			request := ingestCall{body: body}
			if tc.contentType != "" {
				request.header = map[string]string{"Content-Type": tc.contentType}
			}
			answer := env.ingestOK(src.ID, request)
			env.waitDeliveries()

			deliveries := env.deliveries(conn.ID)
			if len(deliveries) != 1 {
				t.Fatalf("%d deliveries, want 1", len(deliveries))
			}
			d := deliveries[0]
			if got := connections.get(env, keyA, conn.ID).EventCount; got != 1 {
				t.Errorf("connection event_count %d, want 1: the event passed the filters", got)
			}
			if tc.wantError != "" {
				want := emulator.Delivery{
					ID: d.ID, EventID: answer.EventID, ConnectionID: conn.ID, DestinationID: dest.ID, Status: "failed",
					BodyEncoding: "text", CreatedAt: "2026-02-28T10:00:00Z", CompletedAt: new("2026-02-28T10:00:00Z"),
					Attempts: []emulator.DeliveryAttempt{{Attempt: 1, AttemptedAt: "2026-02-28T10:00:00Z", Error: new(tc.wantError)}},
				}
				if diff := cmp.Diff(want, d); diff != "" {
					t.Errorf("delivery (-want +got):\n%s", diff)
				}
				if got := len(rcv.received()); got != 0 {
					t.Errorf("the receiver got %d requests", got)
				}
				if got := env.get(keyA, dest.ID); got.EventCount != 0 || got.LastDeliveryAt != nil {
					t.Errorf("destination event_count %d, last_delivery_at %v: nothing reached it", got.EventCount, got.LastDeliveryAt)
				}
				return
			}
			got := rcv.received()
			if len(got) != 1 {
				t.Fatalf("the receiver got %d requests, want 1", len(got))
			}
			if diff := cmp.Diff([]string{tc.wantBody, tc.wantContentType, answer.EventID},
				[]string{got[0].BodyRaw, got[0].Header.Get("Content-Type"), got[0].Header.Get("X-Hookstream-Event-Id")}); diff != "" {
				t.Errorf("body, content type, event id (-want +got):\n%s", diff)
			}
			if d.Status != "succeeded" || d.Body == nil || *d.Body != tc.wantBody {
				t.Errorf("delivery %+v, want succeeded with the body sent", d)
			}
		})
	}
}

func TestRoutedDeliveryRetries(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	rcv := newReceiver(t, http.StatusInternalServerError, http.StatusBadGateway, http.StatusOK)
	l := links{source: sources.create(env, keyA, sourceWith(nil)), destination: env.httpDestination(keyA, "flaky", rcv, nil)}
	conn := connections.create(env, keyA, connectionWith(l, nil))
	answer := env.ingestOK(l.source.ID, ingestCall{body: `{"n":1}`})
	env.waitDeliveries()

	var attempts, eventIDs []string
	for _, req := range rcv.received() {
		attempts = append(attempts, req.Header.Get("X-Hookstream-Delivery-Attempt"))
		eventIDs = append(eventIDs, req.Header.Get("X-Hookstream-Event-Id"))
	}
	if diff := cmp.Diff([]string{"1", "2", "3"}, attempts); diff != "" {
		t.Errorf("attempt headers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{answer.EventID, answer.EventID, answer.EventID}, eventIDs); diff != "" {
		t.Errorf("event ids (-want +got):\n%s", diff)
	}
	at := "2026-02-28T10:00:00Z"
	want := []emulator.DeliveryAttempt{
		{Attempt: 1, AttemptedAt: at, ResponseStatus: new(500), Error: new("HTTP 500")},
		{Attempt: 2, AttemptedAt: at, ResponseStatus: new(502), Error: new("HTTP 502")},
		{Attempt: 3, AttemptedAt: at, Succeeded: true, ResponseStatus: new(200)},
	}
	d := env.deliveries(conn.ID)[0]
	if diff := cmp.Diff(want, d.Attempts); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
	if d.Status != "succeeded" || d.CompletedAt == nil {
		t.Errorf("delivery %s, completed_at %v", d.Status, d.CompletedAt)
	}
	if got := env.get(keyA, l.destination.ID).EventCount; got != 1 {
		t.Errorf("destination event_count %d, want 1: one event, three attempts", got)
	}
}

// An open circuit holds the queue, as a paused destination does; the cooldown lets the next delivery through
// as the probe. A circuit that opens during an event's retries holds that event, which goes on with its next
// attempt.
func TestRoutedDeliveryCircuit(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	rcv := newReceiver(t, http.StatusInternalServerError)
	l := links{source: sources.create(env, keyA, sourceWith(nil)), destination: env.httpDestination(keyA, "down", rcv, map[string]any{
		"retry_max_attempts": 3, "circuit_breaker_threshold": 2, "circuit_breaker_reset_ms": 30000,
	})}
	conn := connections.create(env, keyA, connectionWith(l, nil))
	first := env.ingestOK(l.source.ID, ingestCall{body: `{"n":1}`})
	second := env.ingestOK(l.source.ID, ingestCall{body: `{"n":2}`})
	if queued := env.waitDeliveries(); queued != 2 {
		t.Fatalf("%d deliveries wait, want 2", queued)
	}
	if got := len(rcv.received()); got != 2 {
		t.Errorf("the receiver got %d requests, want 2: the circuit opened after the second failure", got)
	}
	if got := circuitOf(t, env, l.destination.ID); got.State != "open" {
		t.Errorf("circuit %s, want open", got.State)
	}

	env.clock.Advance(29 * time.Second)
	if queued := env.waitDeliveries(); queued != 2 || len(rcv.received()) != 2 {
		t.Errorf("during the cooldown: %d queued, %d requests; want 2 and 2", queued, len(rcv.received()))
	}
	env.clock.Advance(time.Second)
	rcv.setStatuses(http.StatusOK)
	if queued := env.waitDeliveries(); queued != 0 {
		t.Errorf("%d deliveries wait after the cooldown, want 0", queued)
	}
	var order []string
	for _, req := range rcv.received() {
		order = append(order, req.Header.Get("X-Hookstream-Event-Id")+"#"+req.Header.Get("X-Hookstream-Delivery-Attempt"))
	}
	if diff := cmp.Diff([]string{first.EventID + "#3", second.EventID + "#1"}, order); diff != "" {
		t.Errorf("after the cooldown, event#attempt (-want +got):\n%s", diff)
	}
	var summary []string
	for _, d := range env.deliveries(conn.ID) {
		summary = append(summary, d.Status+"/"+strconv.Itoa(len(d.Attempts)))
	}
	if diff := cmp.Diff([]string{"succeeded/3", "succeeded/1"}, summary); diff != "" {
		t.Errorf("deliveries, status/attempts (-want +got):\n%s", diff)
	}
	if got := circuitOf(t, env, l.destination.ID); got.State != "closed" {
		t.Errorf("circuit %s, want closed", got.State)
	}
	if got := env.get(keyA, l.destination.ID).EventCount; got != 2 {
		t.Errorf("destination event_count %d, want 2", got)
	}
}

// The ingest answer does not wait for the receiver: routing queues, the scheduler delivers.
func TestIngestDoesNotWaitForReceivers(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	release := make(chan struct{})
	arrived := make(chan string, 1)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- r.Header.Get("X-Hookstream-Event-Id")
		<-release
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	dest := env.create(keyA, withFields(map[string]any{"slug": "slow", "url": slow.URL}))
	src := sources.create(env, keyA, sourceWith(nil))
	conn := connections.create(env, keyA, connectionWith(links{source: src, destination: dest}, nil))

	answered := make(chan ingestAnswer, 1)
	go func() { answered <- env.ingestOK(src.ID, ingestCall{body: `{"n":1}`}) }()
	var answer ingestAnswer
	select {
	case answer = <-answered:
	case <-time.After(10 * time.Second):
		t.Fatal("the ingest answer waited for the receiver")
	}
	if got := <-arrived; got != answer.EventID {
		t.Errorf("the receiver got event %s, want %s", got, answer.EventID)
	}
	if d := env.deliveries(conn.ID)[0]; d.Status != "queued" {
		t.Errorf("while the receiver holds the request: %s, want queued", d.Status)
	}
	close(release)
	env.waitDeliveries()
	if d := env.deliveries(conn.ID)[0]; d.Status != "succeeded" {
		t.Errorf("after the receiver answered: %s, want succeeded", d.Status)
	}
}

// Deleting a connection leaves the deliveries it queued to run; deleting the destination then drops them.
func TestQueuedDeliveriesOutliveTheirConnection(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	rcv := newReceiver(t)
	src := sources.create(env, keyA, sourceWith(nil))
	kept := env.httpDestination(keyA, "kept", rcv, nil)
	dropped := env.httpDestination(keyA, "dropped", rcv, nil)
	for _, dest := range []emulator.Destination{kept, dropped} {
		env.call(http.MethodPatch, "/v1/destinations/"+dest.ID, keyA, `{"status":"paused"}`)
		connections.create(env, keyA, connectionWith(links{source: src, destination: dest}, map[string]any{"name": dest.Slug}))
	}
	answer := env.ingestOK(src.ID, ingestCall{body: `{"n":1}`})
	for _, conn := range connections.list(env, keyA, "").Rows {
		env.call(http.MethodDelete, "/v1/connections/"+conn.ID, keyA, "")
	}
	if res := env.call(http.MethodDelete, "/v1/destinations/"+dropped.ID, keyA, ""); res.status != http.StatusOK {
		t.Fatalf("deleting the destination: %d", res.status)
	}
	env.call(http.MethodPatch, "/v1/destinations/"+kept.ID, keyA, `{"status":"active"}`)
	if queued := env.waitDeliveries(); queued != 0 {
		t.Errorf("%d deliveries wait, want 0", queued)
	}
	got := rcv.received()
	if len(got) != 1 || got[0].Path != "/kept" || got[0].Header.Get("X-Hookstream-Event-Id") != answer.EventID {
		t.Errorf("the receiver got %d requests (want one, to /kept, of event %s)", len(got), answer.EventID)
	}
}

// A delivery queued when the emulator stops is delivered by the next start on the same database file.
func TestQueuedDeliveriesSurviveARestart(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "emulator.db")
	rcv := newReceiver(t)
	first := newEnv(t, emulator.Options{DBPath: dbPath})
	src := sources.create(first, keyA, sourceWith(nil))
	dest := first.httpDestination(keyA, "later", rcv, nil)
	connections.create(first, keyA, connectionWith(links{source: src, destination: dest}, nil))
	first.call(http.MethodPatch, "/v1/destinations/"+dest.ID, keyA, `{"status":"paused"}`)
	answer := first.ingestOK(src.ID, ingestCall{body: `{"n":1}`})
	if err := first.server.Close(); err != nil {
		t.Fatal(err)
	}

	second := newEnv(t, emulator.Options{DBPath: dbPath})
	if queued := second.waitDeliveries(); queued != 1 {
		t.Fatalf("%d deliveries wait after the restart, want 1", queued)
	}
	second.call(http.MethodPatch, "/v1/destinations/"+dest.ID, keyA, `{"status":"active"}`)
	second.waitDeliveries()
	if got := rcv.received(); len(got) != 1 || got[0].Header.Get("X-Hookstream-Event-Id") != answer.EventID {
		t.Errorf("the receiver got %d requests, want the queued event", len(got))
	}
}

func TestAdminConnectionDeliveries(t *testing.T) {
	env := newEnv(t, emulator.Options{Admin: true})
	rcv := newReceiver(t)
	src := sources.create(env, keyB, sourceWith(nil))
	dest := env.httpDestination(keyB, "admin", rcv, nil)
	conn := connections.create(env, keyB, connectionWith(links{source: src, destination: dest}, map[string]any{
		"filter_rules": []any{rule("payload.n", "gt", 0)},
	}))
	env.ingestOK(src.ID, ingestCall{body: `{"n":0}`})
	answer := env.ingestOK(src.ID, ingestCall{body: `{"n":1}`, header: map[string]string{"Content-Type": "application/json"}})

	res := env.do(http.MethodPost, "/_emulator/deliveries/wait", "", "")
	if res.status != http.StatusOK || string(res.body) != `{"queued":0}`+"\n" {
		t.Fatalf("wait: %d %s", res.status, res.body)
	}
	res = env.do(http.MethodGet, "/_emulator/connections/"+conn.ID+"/deliveries", "", "")
	if res.status != http.StatusOK {
		t.Fatalf("status %d, body %s", res.status, res.body)
	}
	var got struct {
		Deliveries []emulator.Delivery `json:"deliveries"`
	}
	decodeStrict(t, res.body, &got)
	if len(got.Deliveries) != 1 {
		t.Fatalf("%d deliveries, want 1: the filter let one event through", len(got.Deliveries))
	}
	at := "2026-02-28T10:00:00Z"
	want := emulator.Delivery{
		ID: got.Deliveries[0].ID, EventID: answer.EventID, ConnectionID: conn.ID, DestinationID: dest.ID,
		Status: "succeeded", Body: new(`{"n":1}`), BodyEncoding: "text", ContentType: new("application/json"),
		CreatedAt: at, CompletedAt: &at,
		Attempts: []emulator.DeliveryAttempt{{Attempt: 1, AttemptedAt: at, Succeeded: true, ResponseStatus: new(200)}},
	}
	if diff := cmp.Diff(want, got.Deliveries[0]); diff != "" {
		t.Errorf("delivery (-want +got):\n%s", diff)
	}

	tests := map[string]struct {
		method, path string
		wantStatus   int
		wantError    string
	}{
		"unknown connection": {http.MethodGet, "/_emulator/connections/0123456789abcdef0123456789abcdef/deliveries", 404, "Connection not found"},
		"POST deliveries":    {http.MethodPost, "/_emulator/connections/" + conn.ID + "/deliveries", 405, "Method not allowed"},
		"GET wait":           {http.MethodGet, "/_emulator/deliveries/wait", 405, "Method not allowed"},
		"no id":              {http.MethodGet, "/_emulator/connections//deliveries", 404, "Not found"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			res := env.do(tc.method, tc.path, "", "")
			if res.status != tc.wantStatus {
				t.Fatalf("status %d, want %d", res.status, tc.wantStatus)
			}
			if got := errorOf(t, res); got != tc.wantError {
				t.Errorf("error %q, want %q", got, tc.wantError)
			}
		})
	}
}
