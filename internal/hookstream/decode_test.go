/*
Copyright 2026.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package hookstream

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func mustTime(t testing.TB, value string) time.Time {
	t.Helper()
	parsed, err := time.Parse(time.RFC3339Nano, value)
	if err != nil {
		t.Fatal(err)
	}
	return parsed.UTC()
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// ordersSQS is the destination both testdata rows describe.
func ordersSQS(t *testing.T) *Destination {
	return &Destination{
		ID:         "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6",
		OrgID:      "org_5f2c",
		EnvID:      "env_9a1b",
		Name:       "Orders SQS",
		Slug:       "orders-sqs",
		Type:       TypeAWSSQS,
		URL:        "",
		Method:     "POST",
		Headers:    map[string]string{"X-Team": "payments"},
		TimeoutMS:  30000,
		AuthType:   "bearer",
		AuthConfig: map[string]string{"token": "****f00d"},
		Status:     StatusActive,
		ProviderConfig: map[string]string{
			"queue_url":         "https://sqs.eu-west-1.amazonaws.com/123456789012/orders",
			"region":            "eu-west-1",
			"access_key_id":     "AKIAEXAMPLE",
			"secret_access_key": "****wxyz",
		},
		RetryEnabled:          new(true),
		RetryMaxAttempts:      new(5),
		RetryBackoffType:      new("exponential"),
		RetryIntervals:        []int{30, 300, 1800, 7200, 86400},
		CircuitBreakerEnabled: new(false),
		EventCount:            42,
		LastDeliveryAt:        new(mustTime(t, "2026-02-28T10:05:00.123Z")),
		CreatedAt:             mustTime(t, "2026-02-28T10:00:00Z"),
		UpdatedAt:             mustTime(t, "2026-02-28T10:01:00Z"),
	}
}

func TestDecodeDestination(t *testing.T) {
	nativeRow := ordersSQS(t)
	nativeRow.ID = "dst_01HQZ6"

	tests := map[string]struct {
		body []byte
		want *Destination
	}{
		"documented row encoding in the envelope": {
			body: readTestdata(t, "row-documented.json"),
			want: ordersSQS(t),
		},
		"native JSON types, bare row, dst_ id": {
			body: readTestdata(t, "row-native.json"),
			want: nativeRow,
		},
		"missing fields are zero or null": {
			body: []byte(`{"destination":{"id":"abc"}}`),
			want: &Destination{ID: "abc"},
		},
		"unknown fields are ignored": {
			body: []byte(`{"destination":{"id":"abc","signing_config":{"secret":"x"},"future":[1,2]},"meta":{}}`),
			want: &Destination{ID: "abc"},
		},
		"empty strings are null for objects, arrays, numbers, booleans and times": {
			body: []byte(`{"destination":{"id":"abc","headers":"","auth_config":"","provider_config":"",
				"retry_intervals":"","retry_enabled":"","retry_max_attempts":"","retry_backoff_type":"",
				"circuit_breaker_enabled":"","circuit_breaker_threshold":"","last_delivery_at":""}}`),
			want: &Destination{ID: "abc"},
		},
		"explicit nulls": {
			body: []byte(`{"destination":{"id":"abc","headers":null,"auth_config":null,"provider_config":null,
				"retry_intervals":null,"retry_enabled":null,"retry_max_attempts":null,"retry_backoff_type":null,
				"circuit_breaker_enabled":null,"circuit_breaker_threshold":null,"circuit_breaker_reset_ms":null,
				"last_delivery_at":null,"created_at":null}}`),
			want: &Destination{ID: "abc"},
		},
		"short type aliases become long": {
			body: []byte(`{"destination":{"id":"a","type":"pubsub"}}`),
			want: &Destination{ID: "a", Type: TypeGCPPubSub},
		},
		"numeric id is kept as its text": {
			body: []byte(`{"destination":{"id":12345}}`),
			want: &Destination{ID: "12345"},
		},
		"empty objects stay empty, not null": {
			body: []byte(`{"destination":{"id":"a","headers":"{}","provider_config":{}}}`),
			want: &Destination{ID: "a", Headers: map[string]string{}, ProviderConfig: map[string]string{}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := decodeDestination(tc.body)
			if err != nil {
				t.Fatalf("decodeDestination: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("decoded destination (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeDestinationRejects(t *testing.T) {
	tests := map[string]struct {
		body      string
		wantField string
	}{
		"not JSON":                     {body: `<html>`, wantField: ""},
		"an array":                     {body: `[]`, wantField: ""},
		"null":                         {body: `null`, wantField: ""},
		"no envelope and no id":        {body: `{"name":"x"}`, wantField: ""},
		"null destination":             {body: `{"destination":null}`, wantField: "destination"},
		"destination is a string":      {body: `{"destination":"x"}`, wantField: "destination"},
		"fractional integer":           {body: `{"destination":{"id":"a","timeout_ms":1.5}}`, wantField: "timeout_ms"},
		"integer that is not a number": {body: `{"destination":{"id":"a","timeout_ms":"soon"}}`, wantField: "timeout_ms"},
		"integer out of range":         {body: `{"destination":{"id":"a","retry_max_attempts":1e12}}`, wantField: "retry_max_attempts"},
		"boolean that is a word":       {body: `{"destination":{"id":"a","retry_enabled":"maybe"}}`, wantField: "retry_enabled"},
		"headers as an array":          {body: `{"destination":{"id":"a","headers":["x"]}}`, wantField: "headers"},
		"headers as a non-JSON string": {body: `{"destination":{"id":"a","headers":"x=y"}}`, wantField: "headers"},
		"intervals with a null":        {body: `{"destination":{"id":"a","retry_intervals":[30,null]}}`, wantField: "retry_intervals"},
		"unknown timestamp format":     {body: `{"destination":{"id":"a","created_at":"yesterday"}}`, wantField: "created_at"},
		"object as a string field":     {body: `{"destination":{"id":"a","name":{}}}`, wantField: "name"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := decodeDestination([]byte(tc.body))
			var decodeErr *DecodeError
			if !errors.As(err, &decodeErr) {
				t.Fatalf("error %v, want a *DecodeError", err)
			}
			if decodeErr.Field != tc.wantField {
				t.Errorf("DecodeError.Field = %q, want %q", decodeErr.Field, tc.wantField)
			}
		})
	}
}

func TestDecodeStringMap(t *testing.T) {
	tests := map[string]struct {
		raw     string
		want    map[string]string
		wantErr bool
	}{
		"absent":                    {raw: ``, want: nil},
		"null":                      {raw: `null`, want: nil},
		"empty string":              {raw: `""`, want: nil},
		"string null":               {raw: `"null"`, want: nil},
		"native object":             {raw: `{"a":"1","b":"2"}`, want: map[string]string{"a": "1", "b": "2"}},
		"object as a JSON string":   {raw: `"{\"a\":\"1\"}"`, want: map[string]string{"a": "1"}},
		"object encoded twice":      {raw: `"\"{\\\"a\\\":\\\"1\\\"}\""`, want: map[string]string{"a": "1"}},
		"empty object":              {raw: `"{}"`, want: map[string]string{}},
		"whitespace around":         {raw: `" {\"a\":\"1\"} "`, want: map[string]string{"a": "1"}},
		"non-string values compact": {raw: `{"n": 5, "b": true, "z": null, "o": {"k": [1, 2]}, "f": 1.50}`, want: map[string]string{"n": "5", "b": "true", "z": "null", "o": `{"k":[1,2]}`, "f": "1.50"}},
		"array":                     {raw: `["a"]`, wantErr: true},
		"number":                    {raw: `5`, wantErr: true},
		"string that is not JSON":   {raw: `"a=b"`, wantErr: true},
		"array in a string":         {raw: `"[1]"`, wantErr: true},
		"encoded three times":       {raw: `"\"\\\"{}\\\"\""`, wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := decodeStringMap(json.RawMessage(tc.raw), maxStringWrapping)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error = %v, want error %t", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if tc.want != nil && got == nil {
				t.Errorf("got nil, want a non-nil map")
			}
		})
	}
}

func TestDecodeBool(t *testing.T) {
	tests := map[string]struct {
		raw     string
		want    bool
		wantOK  bool
		wantErr bool
	}{
		"absent":         {raw: ``},
		"null":           {raw: `null`},
		"empty string":   {raw: `""`},
		"true":           {raw: `true`, want: true, wantOK: true},
		"false":          {raw: `false`, wantOK: true},
		"1":              {raw: `1`, want: true, wantOK: true},
		"0":              {raw: `0`, wantOK: true},
		"1.0":            {raw: `1.0`, want: true, wantOK: true},
		`"1"`:            {raw: `"1"`, want: true, wantOK: true},
		`"0"`:            {raw: `"0"`, wantOK: true},
		`"true"`:         {raw: `"true"`, want: true, wantOK: true},
		`"FALSE"`:        {raw: `"FALSE"`, wantOK: true},
		"non-zero (SQL)": {raw: `2`, want: true, wantOK: true},
		"word":           {raw: `"yes"`, wantErr: true},
		"object":         {raw: `{}`, wantErr: true},
		"array":          {raw: `[1]`, wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok, err := decodeBool(json.RawMessage(tc.raw))
			if (err != nil) != tc.wantErr {
				t.Fatalf("error = %v, want error %t", err, tc.wantErr)
			}
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("decodeBool(%s) = %t, %t; want %t, %t", tc.raw, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestDecodeInt(t *testing.T) {
	tests := map[string]struct {
		raw     string
		want    int64
		wantOK  bool
		wantErr bool
	}{
		"absent":            {raw: ``},
		"null":              {raw: `null`},
		"empty string":      {raw: `""`},
		"integer":           {raw: `30000`, want: 30000, wantOK: true},
		"negative":          {raw: `-3`, want: -3, wantOK: true},
		"integral float":    {raw: `30000.0`, want: 30000, wantOK: true},
		"exponent":          {raw: `3e4`, want: 30000, wantOK: true},
		"numeric string":    {raw: `"30000"`, want: 30000, wantOK: true},
		"padded string":     {raw: `" 42 "`, want: 42, wantOK: true},
		"float string":      {raw: `"30000.0"`, want: 30000, wantOK: true},
		"big int64":         {raw: `9007199254740993`, want: 9007199254740993, wantOK: true},
		"fraction":          {raw: `1.5`, wantErr: true},
		"word":              {raw: `"abc"`, wantErr: true},
		"boolean":           {raw: `true`, wantErr: true},
		"object":            {raw: `{}`, wantErr: true},
		"beyond int64":      {raw: `1e30`, wantErr: true},
		"exactly 2^63":      {raw: `9223372036854775808`, wantErr: true},
		"infinity string":   {raw: `"Inf"`, wantErr: true},
		"not a number text": {raw: `"NaN"`, wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok, err := decodeInt(json.RawMessage(tc.raw))
			if (err != nil) != tc.wantErr {
				t.Fatalf("error = %v, want error %t", err, tc.wantErr)
			}
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("decodeInt(%s) = %d, %t; want %d, %t", tc.raw, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestDecodeIntSlice(t *testing.T) {
	tests := map[string]struct {
		raw     string
		want    []int
		wantErr bool
	}{
		"absent":              {raw: ``, want: nil},
		"null":                {raw: `null`, want: nil},
		"empty string":        {raw: `""`, want: nil},
		"JSON string":         {raw: `"[30,300,1800]"`, want: []int{30, 300, 1800}},
		"native array":        {raw: `[30, 300, 1800]`, want: []int{30, 300, 1800}},
		"mixed element types": {raw: `["30", 300.0, 1800]`, want: []int{30, 300, 1800}},
		"comma-separated":     {raw: `"30, 300"`, want: []int{30, 300}},
		"empty array":         {raw: `"[]"`, want: []int{}},
		"null element":        {raw: `[30, null]`, wantErr: true},
		"fraction":            {raw: `"[1.5]"`, wantErr: true},
		"object":              {raw: `{"a":1}`, wantErr: true},
		"words":               {raw: `"soon"`, wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := decodeIntSlice(json.RawMessage(tc.raw), maxStringWrapping)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error = %v, want error %t", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if tc.want != nil && got == nil {
				t.Errorf("got nil, want a non-nil slice")
			}
		})
	}
}

func TestDecodeTime(t *testing.T) {
	tests := map[string]struct {
		raw     string
		want    *time.Time
		wantErr bool
	}{
		"absent":                  {raw: ``},
		"null":                    {raw: `null`},
		"empty string":            {raw: `""`},
		"RFC 3339":                {raw: `"2026-02-28T10:00:00Z"`, want: new(mustTime(t, "2026-02-28T10:00:00Z"))},
		"fractional seconds":      {raw: `"2026-02-28T10:00:00.123456Z"`, want: new(mustTime(t, "2026-02-28T10:00:00.123456Z"))},
		"offset becomes UTC":      {raw: `"2026-02-28T12:00:00+02:00"`, want: new(mustTime(t, "2026-02-28T10:00:00Z"))},
		"SQLite default":          {raw: `"2026-02-28 10:00:00"`, want: new(mustTime(t, "2026-02-28T10:00:00Z"))},
		"SQLite with fraction":    {raw: `"2026-02-28 10:00:00.5"`, want: new(mustTime(t, "2026-02-28T10:00:00.5Z"))},
		"ISO without zone is UTC": {raw: `"2026-02-28T10:00:00"`, want: new(mustTime(t, "2026-02-28T10:00:00Z"))},
		"Unix seconds":            {raw: `1772272800`, want: new(mustTime(t, "2026-02-28T10:00:00Z"))},
		"Unix milliseconds":       {raw: `1772272800000`, want: new(mustTime(t, "2026-02-28T10:00:00Z"))},
		"words":                   {raw: `"yesterday"`, wantErr: true},
		"object":                  {raw: `{}`, wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := decodeTime(json.RawMessage(tc.raw))
			if (err != nil) != tc.wantErr {
				t.Fatalf("error = %v, want error %t", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if got != nil && got.Location() != time.UTC {
				t.Errorf("location %v, want UTC", got.Location())
			}
		})
	}
}

func TestDecodeListPage(t *testing.T) {
	tests := map[string]struct {
		body string
		want *ListPage
	}{
		"documented page": {
			body: `{"destinations":[{"id":"b"},{"id":"a"}],"cursor":"c2","has_more":true}`,
			want: &ListPage{Destinations: []*Destination{{ID: "b"}, {ID: "a"}}, Cursor: "c2", HasMore: true},
		},
		"last page": {
			body: `{"destinations":[{"id":"a"}],"cursor":null,"has_more":false}`,
			want: &ListPage{Destinations: []*Destination{{ID: "a"}}},
		},
		"no cursor and no has_more is one page": {
			body: `{"destinations":[{"id":"a"}]}`,
			want: &ListPage{Destinations: []*Destination{{ID: "a"}}},
		},
		"a cursor without has_more means more": {
			body: `{"destinations":[{"id":"a"}],"cursor":"c2"}`,
			want: &ListPage{Destinations: []*Destination{{ID: "a"}}, Cursor: "c2", HasMore: true},
		},
		"has_more without a cursor cannot continue": {
			body: `{"destinations":[],"cursor":null,"has_more":true}`,
			want: &ListPage{Destinations: []*Destination{}},
		},
		"has_more as 0/1 and rows with native arrays": {
			body: `{"destinations":[{"id":"a","retry_intervals":[30]}],"cursor":"c2","has_more":1}`,
			want: &ListPage{Destinations: []*Destination{{ID: "a", RetryIntervals: []int{30}}}, Cursor: "c2", HasMore: true},
		},
		"null rows are skipped": {
			body: `{"destinations":[null,{"id":"a"}],"has_more":false}`,
			want: &ListPage{Destinations: []*Destination{{ID: "a"}}},
		},
		"null list is empty": {
			body: `{"destinations":null}`,
			want: &ListPage{Destinations: []*Destination{}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := decodeListPage([]byte(tc.body))
			if err != nil {
				t.Fatalf("decodeListPage: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeListPageRejects(t *testing.T) {
	tests := map[string]struct {
		body      string
		wantField string
	}{
		"no destinations member": {body: `{"data":[]}`, wantField: "destinations"},
		"destinations not array": {body: `{"destinations":{}}`, wantField: "destinations"},
		"a row is not an object": {body: `{"destinations":[{"id":"a"},"b"]}`, wantField: "destinations[1]"},
		"a bad column in a row":  {body: `{"destinations":[{"id":"a"},{"id":"b","timeout_ms":"x"}]}`, wantField: "destinations[1].timeout_ms"},
		"has_more is a word":     {body: `{"destinations":[],"has_more":"perhaps"}`, wantField: "has_more"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := decodeListPage([]byte(tc.body))
			var decodeErr *DecodeError
			if !errors.As(err, &decodeErr) {
				t.Fatalf("error %v, want a *DecodeError", err)
			}
			if decodeErr.Field != tc.wantField {
				t.Errorf("DecodeError.Field = %q, want %q", decodeErr.Field, tc.wantField)
			}
		})
	}
}

func TestDecodeCircuit(t *testing.T) {
	tests := map[string]struct {
		body string
		want *Circuit
	}{
		"documented": {
			body: `{"circuit":{"state":"open","failure_count":5,"last_transition_at":"2026-02-28T10:00:00Z"}}`,
			want: &Circuit{State: CircuitOpen, FailureCount: 5, LastTransitionAt: new(mustTime(t, "2026-02-28T10:00:00Z"))},
		},
		"never transitioned": {
			body: `{"circuit":{"state":"closed","failure_count":0,"last_transition_at":null}}`,
			want: &Circuit{State: CircuitClosed},
		},
		"bare object, underscore spelling, string count": {
			body: `{"state":"HALF_OPEN","failure_count":"3"}`,
			want: &Circuit{State: CircuitHalfOpen, FailureCount: 3},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := decodeCircuit([]byte(tc.body))
			if err != nil {
				t.Fatalf("decodeCircuit: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestNormalizeType(t *testing.T) {
	tests := map[string]string{
		"http": TypeHTTP, "sqs": TypeAWSSQS, "aws_sqs": TypeAWSSQS, "s3": TypeAWSS3, "aws_s3": TypeAWSS3,
		"eventbridge": TypeAWSEventBridge, "aws_eventbridge": TypeAWSEventBridge, "pubsub": TypeGCPPubSub,
		"gcp_pubsub": TypeGCPPubSub, "kafka": TypeKafka, "rabbitmq": TypeRabbitMQ, "websocket": TypeWebSocket,
		" SQS ": TypeAWSSQS, "": "", "carrier-pigeon": "carrier-pigeon",
	}
	for in, want := range tests {
		t.Run(in, func(t *testing.T) {
			if got := NormalizeType(in); got != want {
				t.Errorf("NormalizeType(%q) = %q, want %q", in, got, want)
			}
		})
	}
}

func TestIsMasked(t *testing.T) {
	tests := map[string]bool{
		"****":         true,
		"****wxyz":     true,
		"****€€€€":     true,
		"****wxy":      false,
		"****wxyz1":    false,
		"wxyz":         false,
		"":             false,
		"***wxyz":      false,
		"secret-value": false,
	}
	for in, want := range tests {
		t.Run(in, func(t *testing.T) {
			if got := IsMasked(in); got != want {
				t.Errorf("IsMasked(%q) = %t, want %t", in, got, want)
			}
		})
	}
}
