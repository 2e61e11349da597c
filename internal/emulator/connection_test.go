// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hookstream/hookstream-operator/internal/emulator"
)

// links is a source and a destination of one project, for connections to join.
type links struct {
	source      emulator.Source
	destination emulator.Destination
}

// newLinks creates a source and a websocket destination (nothing to send to) with key, under slug.
func (e *testEnv) newLinks(key, slug string) links {
	e.t.Helper()
	return links{
		source: sources.create(e, key, sourceWith(map[string]any{"slug": slug, "name": "Source " + slug})),
		destination: e.create(key, withFields(map[string]any{
			"slug": slug, "name": "Destination " + slug, "type": "websocket", "url": nil,
			"provider_config": map[string]any{"channel_name": slug},
		})),
	}
}

// connectionWith returns a valid create body joining l with fields added or replaced; a nil value removes one.
func connectionWith(l links, fields map[string]any) string {
	return bodyWith(map[string]any{"source_id": l.source.ID, "destination_id": l.destination.ID, "name": "Orders to billing"}, fields)
}

func TestConnectionRowEncoding(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	l := env.newLinks(keyA, "orders")
	rules := []map[string]any{
		{"field": "payload.type", "op": "eq", "value": "order.created"},
		{"value": json.RawMessage(`12.50`), "op": "gte", "field": "payload.amount"},
		{"field": "headers.X-Shop", "op": "in", "value": []any{"eu", "us", nil, 1}},
	}
	created := connections.create(env, keyA, connectionWith(l, map[string]any{
		"description": "Paid orders", "enabled": false, "filter_rules": rules,
		"transform_expression": `{"id": id, "total": amount}`,
	}))
	project, _ := env.server.Project(keyA)
	want := emulator.Connection{
		ID: created.ID, OrgID: project.OrgID, EnvID: project.EnvID, SourceID: l.source.ID,
		DestinationID: l.destination.ID, Name: "Orders to billing", Description: new("Paid orders"), Enabled: 0,
		Status: "active",
		FilterRules: new(`[{"field":"payload.type","op":"eq","value":"order.created"},` +
			`{"field":"payload.amount","op":"gte","value":12.50},` +
			`{"field":"headers.X-Shop","op":"in","value":["eu","us",null,1]}]`),
		TransformEnabled: 1, TransformExpression: new(`{"id": id, "total": amount}`),
		SourceName: new("Source orders"), DestinationName: new("Destination orders"),
		CreatedAt: "2026-02-28T10:00:00Z", UpdatedAt: "2026-02-28T10:00:00Z",
	}
	checkCreatedRow(t, env, connections, want, created,
		`"last_event_at":null`, `"event_count":0`, `"enabled":0`, `"transform_enabled":1`)
}

func TestConnectionCreateDefaults(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	l := env.newLinks(keyA, "orders")
	tests := map[string]struct {
		fields        map[string]any
		wantTransform int64
		wantExpr      *string
	}{
		"minimal":                     {nil, 0, nil},
		"expression turns it on":      {map[string]any{"transform_expression": "$"}, 1, new("$")},
		"empty expression":            {map[string]any{"transform_expression": ""}, 0, new("")},
		"null expression":             {map[string]any{"transform_expression": null}, 0, nil},
		"explicitly off":              {map[string]any{"transform_expression": "$", "transform_enabled": false}, 0, new("$")},
		"on without an expression":    {map[string]any{"transform_enabled": true}, 1, nil},
		"invalid JSONata is accepted": {map[string]any{"transform_expression": "{"}, 1, new("{")},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := connections.create(env, keyA, connectionWith(l, tc.fields))
			want := emulator.Connection{
				ID: got.ID, OrgID: got.OrgID, EnvID: got.EnvID, SourceID: l.source.ID, DestinationID: l.destination.ID,
				Name: "Orders to billing", Enabled: 1, Status: "active", TransformEnabled: tc.wantTransform,
				TransformExpression: tc.wantExpr, SourceName: new("Source orders"), DestinationName: new("Destination orders"),
				CreatedAt: "2026-02-28T10:00:00Z", UpdatedAt: "2026-02-28T10:00:00Z",
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// rule builds one filter rule; a value of nil leaves "value" out.
func rule(field, op string, value any) map[string]any {
	r := map[string]any{"field": field, "op": op}
	if value != nil {
		r["value"] = value
	}
	return r
}

func TestConnectionCreateValidation(t *testing.T) {
	tooMany := make([]map[string]any, 51)
	for i := range tooMany {
		tooMany[i] = rule("method", "eq", "POST")
	}
	const opMessage = "must be one of eq, neq, contains, gt, gte, lt, lte, exists, in"
	tests := map[string]rejection{
		"missing source_id":          {map[string]any{"source_id": nil}, "Invalid body: 'source_id' is required"},
		"missing destination_id":     {map[string]any{"destination_id": nil}, "Invalid body: 'destination_id' is required"},
		"missing name":               {map[string]any{"name": nil}, "Invalid body: 'name' is required"},
		"source_id number":           {map[string]any{"source_id": 5}, "Invalid body: 'source_id' must be a string"},
		"source_id empty":            {map[string]any{"source_id": ""}, "Invalid body: 'source_id' must be between 1 and 256 characters"},
		"destination_id null":        {map[string]any{"destination_id": null}, "Invalid body: 'destination_id' cannot be null"},
		"name empty":                 {map[string]any{"name": ""}, "Invalid body: 'name' must be between 1 and 128 characters"},
		"name too long":              {map[string]any{"name": strings.Repeat("n", 129)}, "Invalid body: 'name' must be between 1 and 128 characters"},
		"name null":                  {map[string]any{"name": null}, "Invalid body: 'name' cannot be null"},
		"description too long":       {map[string]any{"description": strings.Repeat("d", 1025)}, "Invalid body: 'description' must be at most 1024 characters"},
		"description number":         {map[string]any{"description": 1}, "Invalid body: 'description' must be a string"},
		"enabled number":             {map[string]any{"enabled": 1}, "Invalid body: 'enabled' must be a boolean"},
		"enabled null":               {map[string]any{"enabled": null}, "Invalid body: 'enabled' cannot be null"},
		"status on create":           {map[string]any{"status": "paused"}, "Invalid body: 'status' cannot be set on create; change it with PATCH"},
		"read-only event_count":      {map[string]any{"event_count": 0}, "Invalid body: 'event_count' is read-only"},
		"read-only source_name":      {map[string]any{"source_name": "x"}, "Invalid body: 'source_name' is read-only"},
		"read-only destination_nm":   {map[string]any{"destination_name": "x"}, "Invalid body: 'destination_name' is read-only"},
		"read-only last_event_at":    {map[string]any{"last_event_at": nil, "id": "x"}, "Invalid body: 'id' is read-only"},
		"unknown field":              {map[string]any{"slug": "orders"}, "Invalid body: 'slug' is not allowed"},
		"unknown before value":       {map[string]any{"name": 5, "zzz": 1}, "Invalid body: 'zzz' is not allowed"},
		"org_id number":              {map[string]any{"org_id": 5}, "Invalid body: 'org_id' must be a string"},
		"transform_enabled string":   {map[string]any{"transform_enabled": "yes"}, "Invalid body: 'transform_enabled' must be a boolean"},
		"expression too long":        {map[string]any{"transform_expression": strings.Repeat("$", 16385)}, "Invalid body: 'transform_expression' must be at most 16384 characters"},
		"expression object":          {map[string]any{"transform_expression": map[string]any{}}, "Invalid body: 'transform_expression' must be a string"},
		"rules object":               {map[string]any{"filter_rules": rule("method", "eq", "GET")}, "Invalid body: 'filter_rules' must be an array of rules"},
		"rules string":               {map[string]any{"filter_rules": "[]"}, "Invalid body: 'filter_rules' must be an array of rules"},
		"51 rules":                   {map[string]any{"filter_rules": tooMany}, "Invalid body: 'filter_rules' must have at most 50 rules"},
		"rule not an object":         {map[string]any{"filter_rules": []any{"method"}}, "Invalid body: 'filter_rules[0]' must be an object"},
		"rule null":                  {map[string]any{"filter_rules": []any{nil}}, "Invalid body: 'filter_rules[0]' must be an object"},
		"unknown rule key":           {map[string]any{"filter_rules": []any{withMap(rule("method", "eq", "GET"), map[string]any{"operator": "eq"})}}, "Invalid body: 'filter_rules[0].operator' is not allowed"},
		"rule without field":         {map[string]any{"filter_rules": []any{map[string]any{"op": "eq", "value": 1}}}, "Invalid body: 'filter_rules[0].field' is required"},
		"rule without op":            {map[string]any{"filter_rules": []any{map[string]any{"field": "method", "value": 1}}}, "Invalid body: 'filter_rules[0].op' is required"},
		"rule without value":         {map[string]any{"filter_rules": []any{rule("method", "exists", nil)}}, "Invalid body: 'filter_rules[0].value' is required"},
		"field empty":                {map[string]any{"filter_rules": []any{rule("", "eq", "GET")}}, "Invalid body: 'filter_rules[0].field' must be between 1 and 256 characters"},
		"field too long":             {map[string]any{"filter_rules": []any{rule("payload."+strings.Repeat("a", 249), "eq", "GET")}}, "Invalid body: 'filter_rules[0].field' must be between 1 and 256 characters"},
		"field number":               {map[string]any{"filter_rules": []any{rule("x", "eq", 1), map[string]any{"field": 1, "op": "eq", "value": 1}}}, "Invalid body: 'filter_rules[1].field' must be a string"},
		"op unknown":                 {map[string]any{"filter_rules": []any{rule("method", "equals", "GET")}}, "Invalid body: 'filter_rules[0].op' " + opMessage},
		"op upper case":              {map[string]any{"filter_rules": []any{rule("method", "EQ", "GET")}}, "Invalid body: 'filter_rules[0].op' " + opMessage},
		"op null":                    {map[string]any{"filter_rules": []any{map[string]any{"field": "method", "op": nil, "value": 1}}}, "Invalid body: 'filter_rules[0].op' " + opMessage},
		"eq object":                  {map[string]any{"filter_rules": []any{rule("payload.a", "eq", map[string]any{"b": 1})}}, "Invalid body: 'filter_rules[0].value' must be a string, number, boolean or null for op eq"},
		"neq array":                  {map[string]any{"filter_rules": []any{rule("payload.a", "neq", []int{1})}}, "Invalid body: 'filter_rules[0].value' must be a string, number, boolean or null for op neq"},
		"contains number":            {map[string]any{"filter_rules": []any{rule("payload.a", "contains", 5)}}, "Invalid body: 'filter_rules[0].value' must be a string for op contains"},
		"gt string":                  {map[string]any{"filter_rules": []any{rule("payload.a", "gt", "5")}}, "Invalid body: 'filter_rules[0].value' must be a number for op gt"},
		"gte null":                   {map[string]any{"filter_rules": []any{map[string]any{"field": "payload.a", "op": "gte", "value": nil}}}, "Invalid body: 'filter_rules[0].value' must be a number for op gte"},
		"lt boolean":                 {map[string]any{"filter_rules": []any{rule("payload.a", "lt", true)}}, "Invalid body: 'filter_rules[0].value' must be a number for op lt"},
		"lte array":                  {map[string]any{"filter_rules": []any{rule("payload.a", "lte", []int{1})}}, "Invalid body: 'filter_rules[0].value' must be a number for op lte"},
		"exists string":              {map[string]any{"filter_rules": []any{rule("payload.a", "exists", "true")}}, "Invalid body: 'filter_rules[0].value' must be a boolean for op exists"},
		"in string":                  {map[string]any{"filter_rules": []any{rule("payload.a", "in", "a,b")}}, "Invalid body: 'filter_rules[0].value' must be an array for op in"},
		"second rule reported":       {map[string]any{"filter_rules": []any{rule("method", "eq", "GET"), rule("method", "in", 1)}}, "Invalid body: 'filter_rules[1].value' must be an array for op in"},
		"rules before the transform": {map[string]any{"filter_rules": []any{rule("method", "in", 1)}, "transform_enabled": 1}, "Invalid body: 'filter_rules[0].value' must be an array for op in"},
	}
	env := newEnv(t, emulator.Options{})
	l := env.newLinks(keyA, "orders")
	checkBadRequests(t, env, connections.kind, http.MethodPost, "/v1/connections", bodiesOf(func(fields map[string]any) string { return connectionWith(l, fields) }, tests))
	if rows := connections.list(env, keyA, "").Rows; len(rows) != 0 {
		t.Errorf("rejected bodies left %d rows behind", len(rows))
	}
}

func TestConnectionCreateAcceptsEdgeValues(t *testing.T) {
	fifty := make([]map[string]any, 50)
	for i := range fifty {
		fifty[i] = rule(fmt.Sprintf("payload.n%d", i), "exists", true)
	}
	tests := map[string]struct {
		fields    map[string]any
		wantRules *string
	}{
		"50 rules":             {map[string]any{"filter_rules": fifty}, nil},
		"empty rules":          {map[string]any{"filter_rules": []any{}}, new(`[]`)},
		"null rules":           {map[string]any{"filter_rules": null}, nil},
		"eq null":              {map[string]any{"filter_rules": []any{map[string]any{"field": "payload.a", "op": "eq", "value": nil}}}, new(`[{"field":"payload.a","op":"eq","value":null}]`)},
		"numbers kept exact":   {map[string]any{"filter_rules": []any{rule("payload.a", "lt", json.RawMessage(`12345678901234567890.50`))}}, new(`[{"field":"payload.a","op":"lt","value":12345678901234567890.50}]`)},
		"in with mixed items":  {map[string]any{"filter_rules": []any{rule("payload.a", "in", []any{"a", 1, true, nil, []int{1}, map[string]int{"b": 2}})}}, new(`[{"field":"payload.a","op":"in","value":["a",1,true,null,[1],{"b":2}]}]`)},
		"any field accepted":   {map[string]any{"filter_rules": []any{rule("body.nothing", "exists", false)}}, new(`[{"field":"body.nothing","op":"exists","value":false}]`)},
		"256-character field":  {map[string]any{"filter_rules": []any{rule("payload."+strings.Repeat("a", 248), "exists", true)}}, nil},
		"16384-character expr": {map[string]any{"transform_expression": strings.Repeat(" ", 16383) + "$"}, nil},
		"empty description":    {map[string]any{"description": ""}, nil},
		"same name again":      {nil, nil},
		"own org_id, env_id":   {map[string]any{"org_id": "", "env_id": ""}, nil},
	}
	env := newEnv(t, emulator.Options{})
	project, _ := env.server.Project(keyA)
	l := env.newLinks(keyA, "orders")
	connections.create(env, keyA, connectionWith(l, nil))
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			fields := maps.Clone(tc.fields)
			if _, ok := fields["org_id"]; ok {
				fields["org_id"], fields["env_id"] = project.OrgID, project.EnvID
			}
			got := connections.create(env, keyA, connectionWith(l, fields))
			if tc.wantRules == nil {
				return
			}
			if diff := cmp.Diff(tc.wantRules, got.FilterRules); diff != "" {
				t.Errorf("filter_rules (-want +got):\n%s", diff)
			}
		})
	}
}

// The checks of a create run in this order: the body (400), the scope (403), then the linked rows (404).
func TestConnectionCreateLinksAndScope(t *testing.T) {
	env := newEnv(t, emulator.Options{MaxSources: 1, MaxDestinations: 1})
	a, _ := env.server.Project(keyA)
	b, _ := env.server.Project(keyB)
	mine := env.newLinks(keyA, "mine")
	theirs := env.newLinks(keyB, "theirs")
	env.call(http.MethodPatch, "/v1/sources/"+mine.source.ID, keyA, `{"status":"disabled"}`)
	env.call(http.MethodPatch, "/v1/destinations/"+mine.destination.ID, keyA, `{"status":"paused"}`)
	const missing = "0123456789abcdef0123456789abcdef"
	tests := map[string]struct {
		fields     map[string]any
		wantStatus int
		wantError  string
	}{
		"disabled source, paused destination":  {nil, http.StatusCreated, ""},
		"no plan limit, same name again":       {nil, http.StatusCreated, ""},
		"unknown source":                       {map[string]any{"source_id": missing}, http.StatusNotFound, "Source or destination not found"},
		"unknown destination":                  {map[string]any{"destination_id": missing}, http.StatusNotFound, "Source or destination not found"},
		"both unknown":                         {map[string]any{"source_id": missing, "destination_id": missing}, http.StatusNotFound, "Source or destination not found"},
		"another project's source":             {map[string]any{"source_id": theirs.source.ID}, http.StatusNotFound, "Source or destination not found"},
		"another project's destination":        {map[string]any{"destination_id": theirs.destination.ID}, http.StatusNotFound, "Source or destination not found"},
		"a destination's id as the source":     {map[string]any{"source_id": mine.destination.ID}, http.StatusNotFound, "Source or destination not found"},
		"prefixed id":                          {map[string]any{"source_id": "src_" + mine.source.ID}, http.StatusNotFound, "Source or destination not found"},
		"own org_id and env_id":                {map[string]any{"org_id": a.OrgID, "env_id": a.EnvID}, http.StatusCreated, ""},
		"other org_id":                         {map[string]any{"org_id": b.OrgID}, http.StatusForbidden, "Forbidden"},
		"other env_id":                         {map[string]any{"env_id": b.EnvID}, http.StatusForbidden, "Forbidden"},
		"scope before the links":               {map[string]any{"env_id": b.EnvID, "source_id": missing}, http.StatusForbidden, "Forbidden"},
		"validation before the scope":          {map[string]any{"env_id": b.EnvID, "name": ""}, http.StatusBadRequest, "Invalid body: 'name' must be between 1 and 128 characters"},
		"validation before the links":          {map[string]any{"source_id": missing, "enabled": "no"}, http.StatusBadRequest, "Invalid body: 'enabled' must be a boolean"},
		"another project's key sees no source": {map[string]any{"source_id": mine.source.ID, "destination_id": theirs.destination.ID}, http.StatusNotFound, "Source or destination not found"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			res := env.call(http.MethodPost, "/v1/connections", keyA, connectionWith(mine, tc.fields))
			if !checkAnswer(t, "", res, tc.wantStatus, tc.wantError) {
				return
			}
			if got := connections.decode(t, res); got.OrgID != a.OrgID || got.EnvID != a.EnvID || got.SourceID != mine.source.ID {
				t.Errorf("row %+v, want the key's project and the sent source", got)
			}
		})
	}
	if got := len(connections.list(env, keyA, "?limit=100").Rows); got != 3 {
		t.Errorf("%d connections, want the 3 created", got)
	}
}

const fullConnectionFields = `"name":"Orders","description":"d","enabled":true,
	"filter_rules":[{"field":"payload.type","op":"eq","value":"order.created"}],"transform_expression":"{\"id\": id}"`

// connectionPatches are PATCHes of a connection created with fullConnectionFields and the change each makes.
var connectionPatches = map[string]patchCase[emulator.Connection]{
	"name":                 {`{"name":"Renamed"}`, func(c *emulator.Connection) { c.Name = "Renamed" }},
	"description":          {`{"description":"new"}`, func(c *emulator.Connection) { c.Description = new("new") }},
	"null description":     {`{"description":null}`, func(c *emulator.Connection) { c.Description = nil }},
	"disabled flag":        {`{"enabled":false}`, func(c *emulator.Connection) { c.Enabled = 0 }},
	"paused":               {`{"status":"paused"}`, func(c *emulator.Connection) { c.Status = "paused" }},
	"disabled":             {`{"status":"disabled"}`, func(c *emulator.Connection) { c.Status = "disabled" }},
	"status and enabled":   {`{"status":"active","enabled":true}`, func(*emulator.Connection) {}},
	"rules replaced whole": {`{"filter_rules":[{"field":"method","op":"neq","value":"GET"}]}`, func(c *emulator.Connection) { c.FilterRules = new(`[{"field":"method","op":"neq","value":"GET"}]`) }},
	"rules emptied":        {`{"filter_rules":[]}`, func(c *emulator.Connection) { c.FilterRules = new(`[]`) }},
	"rules cleared":        {`{"filter_rules":null}`, func(c *emulator.Connection) { c.FilterRules = nil }},
	"transform off":        {`{"transform_enabled":false}`, func(c *emulator.Connection) { c.TransformEnabled = 0 }},
	"expression replaced":  {`{"transform_expression":"$"}`, func(c *emulator.Connection) { c.TransformExpression = new("$") }},
	"expression cleared, flag kept": {`{"transform_expression":null}`, func(c *emulator.Connection) {
		c.TransformExpression = nil
	}},
	"same value still 200": {`{"name":"Orders"}`, func(*emulator.Connection) {}},
}

// A transform turned on by PATCH stays off until transform_enabled is sent: a PATCH changes only what it sends.
func TestConnectionPatchLeavesTransformFlag(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	l := env.newLinks(keyA, "orders")
	created := connections.create(env, keyA, connectionWith(l, nil))
	got := connections.decode(t, env.call(http.MethodPatch, "/v1/connections/"+created.ID, keyA, `{"transform_expression":"$"}`))
	if got.TransformEnabled != 0 || got.TransformExpression == nil {
		t.Errorf("transform_enabled %d, expression %v; want 0 and the expression", got.TransformEnabled, got.TransformExpression)
	}
}

func TestConnectionPatchValidation(t *testing.T) {
	tests := map[string]badRequest{
		"empty object":       {`{}`, "No fields to update"},
		"source_id":          {`{"source_id":"0123456789abcdef0123456789abcdef"}`, "Invalid body: 'source_id' cannot be changed"},
		"destination_id":     {`{"destination_id":"0123456789abcdef0123456789abcdef"}`, "Invalid body: 'destination_id' cannot be changed"},
		"source_id null":     {`{"source_id":null}`, "Invalid body: 'source_id' cannot be changed"},
		"org_id":             {`{"org_id":"org_x"}`, "Invalid body: 'org_id' cannot be changed"},
		"env_id":             {`{"env_id":"env_x"}`, "Invalid body: 'env_id' cannot be changed"},
		"id":                 {`{"id":"x"}`, "Invalid body: 'id' is read-only"},
		"event_count":        {`{"event_count":0}`, "Invalid body: 'event_count' is read-only"},
		"source_name":        {`{"source_name":"x"}`, "Invalid body: 'source_name' is read-only"},
		"unknown":            {`{"slug":"x"}`, "Invalid body: 'slug' is not allowed"},
		"null name":          {`{"name":null}`, "Invalid body: 'name' cannot be null"},
		"null enabled":       {`{"enabled":null}`, "Invalid body: 'enabled' cannot be null"},
		"null status":        {`{"status":null}`, "Invalid body: 'status' cannot be null"},
		"null transform":     {`{"transform_enabled":null}`, "Invalid body: 'transform_enabled' cannot be null"},
		"status unknown":     {`{"status":"archived"}`, "Invalid body: 'status' must be one of active, paused, disabled"},
		"bad rule":           {`{"filter_rules":[{"field":"method","op":"like","value":"G"}]}`, "Invalid body: 'filter_rules[0].op' must be one of eq, neq, contains, gt, gte, lt, lte, exists, in"},
		"expression too big": {`{"transform_expression":"` + strings.Repeat("x", 16385) + `"}`, "Invalid body: 'transform_expression' must be at most 16384 characters"},
		"malformed":          {`{"name":`, "Invalid body: malformed JSON"},
		"array":              {`[]`, "Invalid body: expected a JSON object"},
	}
	env := newEnv(t, emulator.Options{})
	l := env.newLinks(keyA, "orders")
	created := connections.create(env, keyA, connectionWith(l, map[string]any{"filter_rules": []any{rule("method", "eq", "POST")}}))
	checkBadRequests(t, env, connections.kind, http.MethodPatch, "/v1/connections/"+created.ID, tests)
	if diff := cmp.Diff(created, connections.get(env, keyA, created.ID)); diff != "" {
		t.Errorf("rejected PATCHes changed the row (-want +got):\n%s", diff)
	}
}

// source_name and destination_name are read from the linked rows when the connection is read.
func TestConnectionNamesFollowTheLinkedRows(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	l := env.newLinks(keyA, "orders")
	created := connections.create(env, keyA, connectionWith(l, nil))
	env.call(http.MethodPatch, "/v1/sources/"+l.source.ID, keyA, `{"name":"Shop"}`)
	env.call(http.MethodPatch, "/v1/destinations/"+l.destination.ID, keyA, `{"name":"Billing"}`)
	got := connections.get(env, keyA, created.ID)
	if diff := cmp.Diff([]*string{new("Shop"), new("Billing")}, []*string{got.SourceName, got.DestinationName}); diff != "" {
		t.Errorf("source_name, destination_name (-want +got):\n%s", diff)
	}
	if got.UpdatedAt != created.UpdatedAt {
		t.Errorf("renaming a linked row moved updated_at to %s", got.UpdatedAt)
	}
	if listed := connections.list(env, keyA, "").Rows[0]; *listed.SourceName != "Shop" {
		t.Errorf("the list shows source_name %v", listed.SourceName)
	}
}

func TestConnectionList(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	first := env.newLinks(keyA, "first")
	second := env.newLinks(keyA, "second")
	for i := 1; i <= 25; i++ {
		l := first
		if i%5 == 0 {
			l = links{source: second.source, destination: first.destination}
		}
		connections.create(env, keyA, connectionWith(l, map[string]any{"name": fmt.Sprintf("c-%03d", i)}))
	}
	connections.create(env, keyA, connectionWith(second, map[string]any{"name": "c-026"}))
	connections.create(env, keyB, connectionWith(env.newLinks(keyB, "other"), nil))
	paused := connections.list(env, keyA, "?limit=1").Rows[0]
	env.call(http.MethodPatch, "/v1/connections/"+paused.ID, keyA, `{"status":"paused"}`)

	pages := 1
	var names []string
	for _, c := range connections.walk(env, keyA, "", 10, func(int) { pages++ }) {
		names = append(names, c.Name)
	}
	if pages != 3 {
		t.Errorf("%d pages, want 3", pages)
	}
	if diff := cmp.Diff(descending("c-%03d", 1, 26), names); diff != "" {
		t.Errorf("walk, newest first (-want +got):\n%s", diff)
	}

	checkListQueries(t, env, connections, map[string]listQuery{
		"default page":           {"", http.StatusOK, 20, ""},
		"by source":              {"?source_id=" + second.source.ID, http.StatusOK, 6, ""},
		"by destination":         {"?destination_id=" + second.destination.ID, http.StatusOK, 1, ""},
		"by both":                {"?source_id=" + second.source.ID + "&destination_id=" + first.destination.ID, http.StatusOK, 5, ""},
		"natural key lookup":     {"?source_id=" + second.source.ID + "&destination_id=" + second.destination.ID, http.StatusOK, 1, ""},
		"unknown source":         {"?source_id=0123456789abcdef0123456789abcdef", http.StatusOK, 0, ""},
		"another project's":      {"?destination_id=" + connections.list(env, keyB, "").Rows[0].DestinationID, http.StatusOK, 0, ""},
		"empty filter is absent": {"?source_id=&limit=100", http.StatusOK, 26, ""},
		"status paused":          {"?status=paused", http.StatusOK, 1, ""},
		"status and source":      {"?status=paused&source_id=" + first.source.ID, http.StatusOK, 0, ""},
		"status active":          {"?status=active&limit=100", http.StatusOK, 25, ""},
		"status unknown":         {"?status=enabled", http.StatusBadRequest, 0, "Invalid query: 'status' must be one of active, paused, disabled"},
		"limit 0":                {"?limit=0", http.StatusBadRequest, 0, "Invalid query: 'limit' must be an integer between 1 and 100"},
		"bad cursor":             {"?cursor=abc", http.StatusBadRequest, 0, "Invalid query: 'cursor' is not a cursor this API returned"},
	})
}

// A source or destination that connections reference cannot be deleted; once they are gone, it can.
func TestDeleteReferencedByConnections(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	l := env.newLinks(keyA, "orders")
	spare := env.newLinks(keyA, "spare")
	viaSource := connections.create(env, keyA, connectionWith(links{source: l.source, destination: spare.destination}, nil))
	viaDestination := connections.create(env, keyA, connectionWith(links{source: spare.source, destination: l.destination}, nil))
	theirs := env.newLinks(keyB, "theirs")
	connections.create(env, keyB, connectionWith(theirs, nil))
	steps := []struct {
		name       string
		key, path  string
		wantStatus int
		wantError  string
	}{
		{"destination in use", keyA, "/v1/destinations/" + l.destination.ID, http.StatusConflict, "Cannot delete a destination that has connections"},
		{"source in use", keyA, "/v1/sources/" + l.source.ID, http.StatusConflict, "Cannot delete a source that has connections"},
		{"another project's destination is not found", keyA, "/v1/destinations/" + theirs.destination.ID, http.StatusNotFound, "Destination not found"},
		{"another project's source is not found", keyA, "/v1/sources/" + theirs.source.ID, http.StatusNotFound, "Source not found"},
		{"the connection through the destination", keyA, "/v1/connections/" + viaDestination.ID, http.StatusOK, ""},
		{"destination free", keyA, "/v1/destinations/" + l.destination.ID, http.StatusOK, ""},
		{"source still in use", keyA, "/v1/sources/" + l.source.ID, http.StatusConflict, "Cannot delete a source that has connections"},
		{"the connection through the source", keyA, "/v1/connections/" + viaSource.ID, http.StatusOK, ""},
		{"source free", keyA, "/v1/sources/" + l.source.ID, http.StatusOK, ""},
		{"source gone", keyA, "/v1/sources/" + l.source.ID, http.StatusNotFound, "Source not found"},
		{"destination gone", keyA, "/v1/destinations/" + l.destination.ID, http.StatusNotFound, "Destination not found"},
	}
	for _, step := range steps {
		res := env.call(http.MethodDelete, step.path, step.key, "")
		checkAnswer(t, step.name, res, step.wantStatus, step.wantError)
	}
	// A refused delete changed nothing.
	sources.get(env, keyA, spare.source.ID)
	env.get(keyA, spare.destination.ID)
	if got := len(connections.list(env, keyB, "").Rows); got != 1 {
		t.Errorf("the other project has %d connections, want 1", got)
	}
}

// Connections share the org's API budget with destinations and sources.
func TestConnectionRateLimit(t *testing.T) {
	env := newEnv(t, emulator.Options{RateLimit: 1, RateLimitBurst: 1})
	env.call(http.MethodGet, "/v1/sources", keyA, "")
	res := env.call(http.MethodGet, "/v1/connections", keyA, "")
	if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") != "1" {
		t.Fatalf("status %d, Retry-After %q; want 429 and 1", res.status, res.header.Get("Retry-After"))
	}
	env.clock.Advance(time.Second)
	if res := env.call(http.MethodGet, "/v1/connections", keyA, ""); res.status != http.StatusOK {
		t.Errorf("after a second: status %d", res.status)
	}
}
