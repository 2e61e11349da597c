// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hookstream/hookstream-operator/internal/emulator"
)

// withFields returns a valid http create body with fields added or replaced; a nil value removes one.
func withFields(fields map[string]any) string {
	return bodyWith(map[string]any{"name": "Orders", "slug": "orders", "url": "https://example.com/hook"}, fields)
}

// null stands for an explicit JSON null in withFields, where nil removes the field.
var null = json.RawMessage("null")

func TestCreateValidation(t *testing.T) {
	tests := map[string]badRequest{
		"missing name":          {`{"slug":"a","url":"https://example.com"}`, "Invalid body: 'name' is required"},
		"missing slug":          {`{"name":"a","url":"https://example.com"}`, "Invalid body: 'slug' is required"},
		"missing both":          {`{"url":"https://example.com"}`, "Invalid body: 'name' is required"},
		"name empty":            {withFields(map[string]any{"name": ""}), "Invalid body: 'name' must be between 1 and 128 characters"},
		"name too long":         {withFields(map[string]any{"name": strings.Repeat("n", 129)}), "Invalid body: 'name' must be between 1 and 128 characters"},
		"name number":           {withFields(map[string]any{"name": 5}), "Invalid body: 'name' must be a string"},
		"name null":             {withFields(map[string]any{"name": null}), "Invalid body: 'name' cannot be null"},
		"slug uppercase":        {withFields(map[string]any{"slug": "Orders"}), "Invalid body: 'slug' must match pattern ^[a-z0-9-]+$"},
		"slug underscore":       {withFields(map[string]any{"slug": "a_b"}), "Invalid body: 'slug' must match pattern ^[a-z0-9-]+$"},
		"slug empty":            {withFields(map[string]any{"slug": ""}), "Invalid body: 'slug' must be between 1 and 64 characters"},
		"slug too long":         {withFields(map[string]any{"slug": strings.Repeat("s", 65)}), "Invalid body: 'slug' must be between 1 and 64 characters"},
		"slug array":            {withFields(map[string]any{"slug": []string{"a"}}), "Invalid body: 'slug' must be a string"},
		"type unknown":          {withFields(map[string]any{"type": "ftp"}), "Invalid body: 'type' must be one of http, aws_sqs, aws_s3, aws_eventbridge, gcp_pubsub, kafka, rabbitmq, websocket (or the aliases sqs, s3, eventbridge, pubsub)"},
		"type wrong case":       {withFields(map[string]any{"type": "HTTP"}), "Invalid body: 'type' must be one of http, aws_sqs, aws_s3, aws_eventbridge, gcp_pubsub, kafka, rabbitmq, websocket (or the aliases sqs, s3, eventbridge, pubsub)"},
		"url missing":           {withFields(map[string]any{"url": nil}), "Invalid body: 'url' is required for type http"},
		"url empty":             {withFields(map[string]any{"url": ""}), "Invalid body: 'url' is required for type http"},
		"url relative":          {withFields(map[string]any{"url": "/hook"}), "Invalid body: 'url' must be an absolute http or https URL"},
		"url ftp":               {withFields(map[string]any{"url": "ftp://example.com"}), "Invalid body: 'url' must be an absolute http or https URL"},
		"url no host":           {withFields(map[string]any{"url": "https://"}), "Invalid body: 'url' must be an absolute http or https URL"},
		"url too long":          {withFields(map[string]any{"url": "https://example.com/" + strings.Repeat("p", 2029)}), "Invalid body: 'url' must be at most 2048 characters"},
		"url number":            {withFields(map[string]any{"url": 1}), "Invalid body: 'url' must be a string"},
		"method lowercase":      {withFields(map[string]any{"method": "post"}), "Invalid body: 'method' must be one of POST, PUT, PATCH"},
		"method GET":            {withFields(map[string]any{"method": "GET"}), "Invalid body: 'method' must be one of POST, PUT, PATCH"},
		"headers array":         {withFields(map[string]any{"headers": []string{"a"}}), "Invalid body: 'headers' must be an object of strings"},
		"headers string":        {withFields(map[string]any{"headers": "X-A: 1"}), "Invalid body: 'headers' must be an object of strings"},
		"header value number":   {withFields(map[string]any{"headers": map[string]any{"X-A": 1}}), "Invalid body: 'headers.X-A' must be a string"},
		"headers null":          {withFields(map[string]any{"headers": null}), "Invalid body: 'headers' cannot be null"},
		"timeout too small":     {withFields(map[string]any{"timeout_ms": 999}), "Invalid body: 'timeout_ms' must be an integer between 1000 and 120000"},
		"timeout too large":     {withFields(map[string]any{"timeout_ms": 120001}), "Invalid body: 'timeout_ms' must be an integer between 1000 and 120000"},
		"timeout fraction":      {withFields(map[string]any{"timeout_ms": 1500.5}), "Invalid body: 'timeout_ms' must be an integer between 1000 and 120000"},
		"timeout string":        {withFields(map[string]any{"timeout_ms": "5000"}), "Invalid body: 'timeout_ms' must be an integer between 1000 and 120000"},
		"auth_type unknown":     {withFields(map[string]any{"auth_type": "oauth"}), "Invalid body: 'auth_type' must be one of none, bearer, basic, api_key"},
		"bearer no config":      {withFields(map[string]any{"auth_type": "bearer"}), "Invalid body: 'auth_config' is required for auth_type bearer"},
		"bearer no token":       {withFields(map[string]any{"auth_type": "bearer", "auth_config": map[string]any{}}), "Invalid body: 'auth_config.token' is required for auth_type bearer"},
		"bearer empty token":    {withFields(map[string]any{"auth_type": "bearer", "auth_config": map[string]any{"token": ""}}), "Invalid body: 'auth_config.token' is required for auth_type bearer"},
		"bearer extra key":      {withFields(map[string]any{"auth_type": "bearer", "auth_config": map[string]any{"token": "t", "tokn": "t"}}), "Invalid body: 'auth_config.tokn' is not allowed for auth_type bearer"},
		"basic no password":     {withFields(map[string]any{"auth_type": "basic", "auth_config": map[string]any{"username": "u"}}), "Invalid body: 'auth_config.password' is required for auth_type basic"},
		"basic no username":     {withFields(map[string]any{"auth_type": "basic", "auth_config": map[string]any{"password": "p"}}), "Invalid body: 'auth_config.username' is required for auth_type basic"},
		"api_key no header":     {withFields(map[string]any{"auth_type": "api_key", "auth_config": map[string]any{"value": "v"}}), "Invalid body: 'auth_config.header' is required for auth_type api_key"},
		"api_key no value":      {withFields(map[string]any{"auth_type": "api_key", "auth_config": map[string]any{"header": "X-Key"}}), "Invalid body: 'auth_config.value' is required for auth_type api_key"},
		"auth_config number":    {withFields(map[string]any{"auth_type": "bearer", "auth_config": map[string]any{"token": 5}}), "Invalid body: 'auth_config.token' must be a string"},
		"auth_config array":     {withFields(map[string]any{"auth_config": []string{}}), "Invalid body: 'auth_config' must be an object of strings"},
		"status on create":      {withFields(map[string]any{"status": "paused"}), "Invalid body: 'status' cannot be set on create; change it with PATCH"},
		"unknown field":         {withFields(map[string]any{"colour": "red"}), "Invalid body: 'colour' is not allowed"},
		"read-only id":          {withFields(map[string]any{"id": "0123456789abcdef0123456789abcdef"}), "Invalid body: 'id' is read-only"},
		"read-only event_count": {withFields(map[string]any{"event_count": 3}), "Invalid body: 'event_count' is read-only"},
		"read-only org_id":      {withFields(map[string]any{"org_id": "org_1"}), "Invalid body: 'org_id' is read-only"},
		"unknown before value":  {withFields(map[string]any{"name": 5, "zzz": 1}), "Invalid body: 'zzz' is not allowed"},
		"retry_enabled string":  {withFields(map[string]any{"retry_enabled": "true"}), "Invalid body: 'retry_enabled' must be a boolean"},
		"retry_enabled number":  {withFields(map[string]any{"retry_enabled": 1}), "Invalid body: 'retry_enabled' must be a boolean"},
		"retry_enabled null":    {withFields(map[string]any{"retry_enabled": null}), "Invalid body: 'retry_enabled' cannot be null"},
		"attempts zero":         {withFields(map[string]any{"retry_max_attempts": 0}), "Invalid body: 'retry_max_attempts' must be an integer between 1 and 10"},
		"attempts eleven":       {withFields(map[string]any{"retry_max_attempts": 11}), "Invalid body: 'retry_max_attempts' must be an integer between 1 and 10"},
		"backoff unknown":       {withFields(map[string]any{"retry_backoff_type": "random"}), "Invalid body: 'retry_backoff_type' must be one of exponential, linear, fixed"},
		"intervals empty":       {withFields(map[string]any{"retry_intervals": []int{}}), "Invalid body: 'retry_intervals' must be an array of 1 to 10 integers"},
		"intervals eleven":      {withFields(map[string]any{"retry_intervals": []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}}), "Invalid body: 'retry_intervals' must be an array of 1 to 10 integers"},
		"intervals object":      {withFields(map[string]any{"retry_intervals": map[string]int{"a": 1}}), "Invalid body: 'retry_intervals' must be an array of 1 to 10 integers"},
		"interval zero":         {withFields(map[string]any{"retry_intervals": []int{30, 0}}), "Invalid body: 'retry_intervals[1]' must be an integer between 1 and 86400"},
		"interval too long":     {withFields(map[string]any{"retry_intervals": []int{86401}}), "Invalid body: 'retry_intervals[0]' must be an integer between 1 and 86400"},
		"interval string":       {withFields(map[string]any{"retry_intervals": []any{"30"}}), "Invalid body: 'retry_intervals[0]' must be an integer between 1 and 86400"},
		"breaker enabled 0":     {withFields(map[string]any{"circuit_breaker_enabled": 0}), "Invalid body: 'circuit_breaker_enabled' must be a boolean"},
		"threshold zero":        {withFields(map[string]any{"circuit_breaker_threshold": 0}), "Invalid body: 'circuit_breaker_threshold' must be an integer between 1 and 100"},
		"threshold 101":         {withFields(map[string]any{"circuit_breaker_threshold": 101}), "Invalid body: 'circuit_breaker_threshold' must be an integer between 1 and 100"},
		"reset too short":       {withFields(map[string]any{"circuit_breaker_reset_ms": 999}), "Invalid body: 'circuit_breaker_reset_ms' must be an integer between 1000 and 3600000"},
		"reset too long":        {withFields(map[string]any{"circuit_breaker_reset_ms": 3600001}), "Invalid body: 'circuit_breaker_reset_ms' must be an integer between 1000 and 3600000"},
		"http provider_config":  {withFields(map[string]any{"provider_config": map[string]any{"queue_url": "q"}}), "Invalid body: 'provider_config.queue_url' is not allowed for type http"},
		"config and alias":      {withFields(map[string]any{"provider_config": map[string]any{}, "config": map[string]any{}}), "Invalid body: 'config' and 'provider_config' are the same field; send only one of them"},
		"url for sqs":           {withFields(map[string]any{"type": "sqs", "provider_config": sqsConfig}), "Invalid body: 'url' must be empty for type aws_sqs"},
	}
	env := newEnv(t, emulator.Options{})
	checkBadRequests(t, env, destinations.kind, http.MethodPost, "/v1/destinations", tests)
	list := env.do(http.MethodGet, "/v1/destinations", keyA, "")
	if !strings.Contains(string(list.body), `"destinations":[]`) {
		t.Errorf("rejected bodies left rows behind: %s", list.body)
	}
}

func TestCreateAcceptsEdgeValues(t *testing.T) {
	tests := map[string]struct {
		fields map[string]any
		check  func(emulator.Destination) string
	}{
		"name 128 characters": {map[string]any{"name": strings.Repeat("é", 128)}, func(d emulator.Destination) string {
			return cmp.Diff(strings.Repeat("é", 128), d.Name)
		}},
		"timeout as 3e4": {map[string]any{"timeout_ms": json.RawMessage("3e4")}, func(d emulator.Destination) string {
			return cmp.Diff(int64(30000), d.TimeoutMS)
		}},
		"timeout as 1000.0": {map[string]any{"timeout_ms": json.RawMessage("1000.0")}, func(d emulator.Destination) string {
			return cmp.Diff(int64(1000), d.TimeoutMS)
		}},
		"url of 2048 characters": {map[string]any{"url": "https://example.com/" + strings.Repeat("p", 2028)}, func(d emulator.Destination) string {
			return cmp.Diff(2048, len(d.URL))
		}},
		"method PATCH": {map[string]any{"method": "PATCH"}, func(d emulator.Destination) string {
			return cmp.Diff("PATCH", d.Method)
		}},
		"header values unmasked": {map[string]any{"headers": map[string]string{"Authorization": "Bearer abcdefghijkl"}}, func(d emulator.Destination) string {
			return cmp.Diff(new(`{"Authorization":"Bearer abcdefghijkl"}`), d.Headers)
		}},
		"html characters kept": {map[string]any{"headers": map[string]string{"X-Q": "a<b&c>"}}, func(d emulator.Destination) string {
			return cmp.Diff(new(`{"X-Q":"a<b&c>"}`), d.Headers)
		}},
		"auth_config with none kept": {map[string]any{"auth_config": map[string]string{"note": "x"}}, func(d emulator.Destination) string {
			return cmp.Diff(new(`{"note":"x"}`), d.AuthConfig)
		}},
		"null auth_config": {map[string]any{"auth_config": null}, func(d emulator.Destination) string {
			return cmp.Diff((*string)(nil), d.AuthConfig)
		}},
		"empty provider_config for http": {map[string]any{"provider_config": map[string]any{}}, func(d emulator.Destination) string {
			return cmp.Diff(new(`{}`), d.ProviderConfig)
		}},
		"ten intervals": {map[string]any{"retry_intervals": []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 86400}}, func(d emulator.Destination) string {
			return cmp.Diff(new(`[1,2,3,4,5,6,7,8,9,86400]`), d.RetryIntervals)
		}},
		"api_key auth": {map[string]any{"auth_type": "api_key", "auth_config": map[string]string{"header": "X-Key", "value": "v"}}, func(d emulator.Destination) string {
			return cmp.Diff(new(`{"header":"X-Key","value":"****"}`), d.AuthConfig)
		}},
	}
	env := newEnv(t, emulator.Options{})
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			fields := maps.Clone(tc.fields)
			fields["slug"] = slugFor(name)
			got := env.create(keyA, withFields(fields))
			if diff := tc.check(got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

var sqsConfig = map[string]any{"queue_url": "https://sqs.eu-west-1.amazonaws.com/1/q", "region": "eu-west-1", "access_key_id": "AKIA", "secret_access_key": "sqs-secret-value"}

// providerCases has a valid provider_config per non-http type, with its secret field and its masked form.
var providerCases = map[string]struct {
	typ, storedType string
	config          map[string]any
	masked          string
}{
	"aws_sqs":         {"aws_sqs", "aws_sqs", sqsConfig, `{"access_key_id":"AKIA","queue_url":"https://sqs.eu-west-1.amazonaws.com/1/q","region":"eu-west-1","secret_access_key":"****alue"}`},
	"sqs alias":       {"sqs", "aws_sqs", sqsConfig, `{"access_key_id":"AKIA","queue_url":"https://sqs.eu-west-1.amazonaws.com/1/q","region":"eu-west-1","secret_access_key":"****alue"}`},
	"aws_s3":          {"aws_s3", "aws_s3", map[string]any{"bucket": "b", "region": "r", "access_key_id": "a", "secret_access_key": "s3-secret-1234", "prefix": "events/", "format": "raw"}, `{"access_key_id":"a","bucket":"b","format":"raw","prefix":"events/","region":"r","secret_access_key":"****1234"}`},
	"s3 alias":        {"s3", "aws_s3", map[string]any{"bucket": "b", "region": "r", "access_key_id": "a", "secret_access_key": "short"}, `{"access_key_id":"a","bucket":"b","region":"r","secret_access_key":"****"}`},
	"aws_eventbridge": {"aws_eventbridge", "aws_eventbridge", map[string]any{"event_bus_arn": "arn:aws:events:r:1:event-bus/b", "region": "r", "source": "s", "detail_type": "d", "access_key_id": "a", "secret_access_key": "eb-secret-5678"}, `{"access_key_id":"a","detail_type":"d","event_bus_arn":"arn:aws:events:r:1:event-bus/b","region":"r","secret_access_key":"****5678","source":"s"}`},
	"eventbridge":     {"eventbridge", "aws_eventbridge", map[string]any{"event_bus_arn": "arn", "region": "r", "source": "s", "detail_type": "d", "access_key_id": "a", "secret_access_key": "eb-secret-5678"}, `{"access_key_id":"a","detail_type":"d","event_bus_arn":"arn","region":"r","secret_access_key":"****5678","source":"s"}`},
	"gcp_pubsub":      {"gcp_pubsub", "gcp_pubsub", map[string]any{"project_id": "p", "topic_id": "t", "service_account_json": `{"type":"service_account"}`}, `{"project_id":"p","service_account_json":"****nt\"}","topic_id":"t"}`},
	"pubsub alias":    {"pubsub", "gcp_pubsub", map[string]any{"project_id": "p", "topic_id": "t", "service_account_json": "sa-json-9999"}, `{"project_id":"p","service_account_json":"****9999","topic_id":"t"}`},
	"kafka":           {"kafka", "kafka", map[string]any{"bootstrap_servers": "b:9092", "cluster_id": "c", "topic": "t", "api_key": "visible-api-key", "api_secret": "kafka-secret-0000"}, `{"api_key":"visible-api-key","api_secret":"****0000","bootstrap_servers":"b:9092","cluster_id":"c","topic":"t"}`},
	"rabbitmq":        {"rabbitmq", "rabbitmq", map[string]any{"url": "amqps://mq", "vhost": "/", "exchange": "e", "routing_key": "k", "username": "u", "password": "rabbit-pass-4321"}, `{"exchange":"e","password":"****4321","routing_key":"k","url":"amqps://mq","username":"u","vhost":"/"}`},
	"websocket":       {"websocket", "websocket", map[string]any{"channel_name": "orders.eu_1-a"}, `{"channel_name":"orders.eu_1-a"}`},
}

func TestCreateProviderTypes(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	for name, tc := range providerCases {
		t.Run(name, func(t *testing.T) {
			for _, field := range []string{"provider_config", "config"} {
				got := env.create(keyA, withFields(map[string]any{"slug": slugFor(name + " " + field), "type": tc.typ, "url": nil, field: tc.config}))
				if diff := cmp.Diff(tc.storedType, got.Type); diff != "" {
					t.Errorf("%s: type (-want +got):\n%s", field, diff)
				}
				if diff := cmp.Diff(new(tc.masked), got.ProviderConfig); diff != "" {
					t.Errorf("%s: provider_config (-want +got):\n%s", field, diff)
				}
				if got.URL != "" {
					t.Errorf("%s: url %q, want empty", field, got.URL)
				}
				stored, err := env.server.Destination(t.Context(), got.ID)
				if err != nil {
					t.Fatal(err)
				}
				var config map[string]any
				if err := json.Unmarshal([]byte(*stored.ProviderConfig), &config); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tc.config, config); diff != "" {
					t.Errorf("%s: stored provider_config keeps real values (-want +got):\n%s", field, diff)
				}
			}
		})
	}
}

func TestCreateProviderValidation(t *testing.T) {
	tests := map[string]rejection{}
	for name, tc := range providerCases {
		for key := range tc.config {
			if key == "vhost" || key == "prefix" || key == "format" || key == "message_group_id" {
				continue
			}
			config := maps.Clone(tc.config)
			delete(config, key)
			tests[name+" without "+key] = rejection{
				body: map[string]any{"type": tc.typ, "url": nil, "provider_config": config},
				want: "Invalid body: 'provider_config." + key + "' is required for type " + tc.storedType,
			}
			config = maps.Clone(tc.config)
			config[key] = ""
			tests[name+" with empty "+key] = rejection{
				body: map[string]any{"type": tc.typ, "url": nil, "config": config},
				want: "Invalid body: 'config." + key + "' is required for type " + tc.storedType,
			}
		}
		tests[name+" without provider_config"] = rejection{
			body: map[string]any{"type": tc.typ, "url": nil},
			want: "Invalid body: 'provider_config' is required for type " + tc.storedType,
		}
		tests[name+" with null provider_config"] = rejection{
			body: map[string]any{"type": tc.typ, "url": nil, "provider_config": null},
			want: "Invalid body: 'provider_config' is required for type " + tc.storedType,
		}
		withExtra := maps.Clone(tc.config)
		withExtra["extra"] = "x"
		tests[name+" with unknown key"] = rejection{
			body: map[string]any{"type": tc.typ, "url": nil, "provider_config": withExtra},
			want: "Invalid body: 'provider_config.extra' is not allowed for type " + tc.storedType,
		}
	}
	s3 := maps.Clone(providerCases["aws_s3"].config)
	s3["format"] = "xml"
	tests["s3 format xml"] = rejection{map[string]any{"type": "aws_s3", "url": nil, "provider_config": s3}, "Invalid body: 'provider_config.format' must be one of json, raw"}
	tests["websocket channel uppercase"] = rejection{map[string]any{"type": "websocket", "url": nil, "provider_config": map[string]any{"channel_name": "Orders"}}, "Invalid body: 'provider_config.channel_name' must match pattern ^[a-z0-9._-]+$"}
	tests["websocket channel space"] = rejection{map[string]any{"type": "websocket", "url": nil, "provider_config": map[string]any{"channel_name": "a b"}}, "Invalid body: 'provider_config.channel_name' must match pattern ^[a-z0-9._-]+$"}
	tests["kafka secret not a string"] = rejection{map[string]any{"type": "kafka", "url": nil, "provider_config": map[string]any{"api_secret": 5}}, "Invalid body: 'provider_config.api_secret' must be a string"}

	env := newEnv(t, emulator.Options{})
	checkBadRequests(t, env, destinations.kind, http.MethodPost, "/v1/destinations", bodiesOf(withFields, tests))
}

func TestMalformedBodies(t *testing.T) {
	tests := map[string]badRequest{
		"empty":             {"", "Invalid body: expected a JSON object"},
		"whitespace":        {"  \n", "Invalid body: expected a JSON object"},
		"truncated":         {`{"name":"a","slug":`, "Invalid body: malformed JSON"},
		"trailing garbage":  {`{"name":"a"} x`, "Invalid body: malformed JSON"},
		"two objects":       {`{"name":"a"}{"slug":"b"}`, "Invalid body: malformed JSON"},
		"single quotes":     {`{'name':'a'}`, "Invalid body: malformed JSON"},
		"array":             {`[{"name":"a"}]`, "Invalid body: expected a JSON object"},
		"string":            {`"name"`, "Invalid body: expected a JSON object"},
		"number":            {`42`, "Invalid body: expected a JSON object"},
		"null":              {`null`, "Invalid body: expected a JSON object"},
		"not json":          {`name=a&slug=b`, "Invalid body: malformed JSON"},
		"trailing comma":    {`{"name":"a",}`, "Invalid body: malformed JSON"},
		"huge number":       {withFields(map[string]any{"timeout_ms": json.RawMessage("1e400")}), "Invalid body: 'timeout_ms' must be an integer between 1000 and 120000"},
		"nested depth":      {withFields(map[string]any{"headers": map[string]any{"a": map[string]any{"b": "c"}}}), "Invalid body: 'headers.a' must be a string"},
		"empty object":      {`{}`, "Invalid body: 'name' is required"},
		"duplicate keys ok": {`{"name":5,"name":"a","slug":"a"}`, "Invalid body: 'url' is required for type http"},
	}
	env := newEnv(t, emulator.Options{})
	checkBadRequests(t, env, destinations.kind, http.MethodPost, "/v1/destinations", tests)
}

func TestSlugConflict(t *testing.T) {
	env := newEnv(t, emulator.Options{})
	first := env.create(keyA, withFields(nil))
	tests := map[string]struct {
		key        string
		body       string
		wantStatus int
		wantError  string
	}{
		"same slug, same project":      {keyA, withFields(map[string]any{"name": "Other"}), http.StatusConflict, "Destination with slug 'orders' already exists"},
		"same slug, other type":        {keyA, withFields(map[string]any{"type": "websocket", "url": nil, "provider_config": map[string]any{"channel_name": "c"}}), http.StatusConflict, "Destination with slug 'orders' already exists"},
		"same slug, other project":     {keyB, withFields(nil), http.StatusCreated, ""},
		"other slug, same project":     {keyA, withFields(map[string]any{"slug": "orders-2"}), http.StatusCreated, ""},
		"validation before uniqueness": {keyA, withFields(map[string]any{"method": "GET"}), http.StatusBadRequest, "Invalid body: 'method' must be one of POST, PUT, PATCH"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			res := env.do(http.MethodPost, "/v1/destinations", tc.key, tc.body)
			checkAnswer(t, "", res, tc.wantStatus, tc.wantError)
		})
	}
	if got := env.get(keyA, first.ID); got.Name != "Orders" {
		t.Errorf("the conflicting create changed the first row: name %q", got.Name)
	}
}

func TestPlanLimit(t *testing.T) {
	env := newEnv(t, emulator.Options{MaxDestinations: 2})
	a := env.create(keyA, withFields(map[string]any{"slug": "a"}))
	env.create(keyA, withFields(map[string]any{"slug": "b"}))

	runCreateSteps(t, env, destinations.kind, []createStep{
		{name: "third create", key: keyA, body: withFields(map[string]any{"slug": "c"}), wantStatus: http.StatusForbidden, wantError: "Plan limit reached: 2 destinations"},
		{name: "duplicate slug at the limit answers 409", key: keyA, body: withFields(map[string]any{"slug": "a"}), wantStatus: http.StatusConflict, wantError: "Destination with slug 'a' already exists"},
		{name: "other project has its own limit", key: keyB, body: withFields(map[string]any{"slug": "c"}), wantStatus: http.StatusCreated},
		{name: "after a delete", key: keyA, body: withFields(map[string]any{"slug": "c"}), deleteID: a.ID, wantStatus: http.StatusCreated},
		{name: "full again", key: keyA, body: withFields(map[string]any{"slug": "d"}), wantStatus: http.StatusForbidden, wantError: "Plan limit reached: 2 destinations"},
	})
}
