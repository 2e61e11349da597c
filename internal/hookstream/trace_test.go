// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hookstream

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookstream/hookstream-operator/internal/emulator"
)

// TestTraceRedactsEverySecret sends secrets of every kind through a traced client, to an emulator that reads them
// back in plain text, and checks that the trace file holds one line per exchange and none of the secrets.
func TestTraceRedactsEverySecret(t *testing.T) {
	_, baseURL := startEmulator(t, emulator.Options{Variants: []string{emulator.VariantSecretPlaintext}}, nil)
	path := filepath.Join(t.TempDir(), "trace.jsonl")
	file, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = file.Close() }()
	c, err := New(Options{BaseURL: baseURL, APIKey: testAPIKey, Trace: file})
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{"tok_live_abcdef123456", "header-from-secret-42", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"whsec_0123456789abcdef", "rotated-secret-987654"}
	ctx := context.Background()
	http, err := c.CreateDestination(ctx, &CreateRequest{Name: "H", Slug: "h", Type: TypeHTTP, URL: "https://e.test/",
		Headers: map[string]string{"X-Shared-Key": secrets[1]}, AuthType: "bearer",
		AuthConfig: map[string]string{"token": secrets[0]}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateDestination(ctx, &CreateRequest{Name: "Q", Slug: "q", Type: TypeAWSSQS,
		ProviderConfig: map[string]string{"queue_url": "https://sqs.eu-west-1.amazonaws.com/1/q", "region": "eu-west-1",
			"access_key_id": "AKIA1", "secret_access_key": secrets[2]}}); err != nil {
		t.Fatal(err)
	}
	src, err := c.CreateSource(ctx, &SourceCreateRequest{Name: "S", Slug: "s", Template: "github",
		VerificationSecret: new(secrets[3])})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateSource(ctx, src.ID, &SourceUpdateRequest{VerificationSecret: Set(secrets[4])}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetDestination(ctx, http.ID); err != nil {
		t.Fatal(err)
	}
	// The client read the secrets back in plain text: the trace is what must hide them.
	if got, err := c.GetSource(ctx, src.ID); err != nil || got.VerificationSecret == nil || *got.VerificationSecret != secrets[4] {
		t.Fatalf("the emulator did not read the secret back in plain text (%v)", err)
	}
	for range c.AllSources(ctx) {
	}
	if _, err := c.GetSource(ctx, "missing"); !IsNotFound(err) {
		t.Fatalf("GET of a missing source: %v", err)
	}

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, secret := range append(secrets, testAPIKey, strings.TrimPrefix(testAPIKey, "hs_test_")) {
		if strings.Contains(text, secret) {
			t.Errorf("the trace holds a secret (%d characters)", len(secret))
		}
	}
	var lines []traceLine
	scanner := bufio.NewScanner(strings.NewReader(text))
	scanner.Buffer(nil, 1<<20)
	for scanner.Scan() {
		var line traceLine
		if err := json.Unmarshal(scanner.Bytes(), &line); err != nil {
			t.Fatalf("line %q: %v", scanner.Text(), err)
		}
		lines = append(lines, line)
	}
	if len(lines) != 8 {
		t.Fatalf("%d lines, want one per exchange (8)", len(lines))
	}
	first := lines[0]
	if first.Method != "POST" || first.Path != "/v1/destinations" || first.Status != 201 ||
		first.RequestHeader.Get("X-API-Key") != Redacted || !strings.Contains(string(first.RequestBody), Redacted) ||
		!strings.Contains(string(first.ResponseBody), `"slug":"h"`) {
		t.Errorf("first line %+v", first)
	}
	if last := lines[len(lines)-1]; last.Status != 404 || last.Path != "/v1/sources/missing" {
		t.Errorf("last line %+v", last)
	}
}

func TestRedactBody(t *testing.T) {
	tests := map[string]struct{ in, want string }{
		"filter values stay": {`{"filter_rules":[{"field":"a","op":"eq","value":"x"}]}`,
			`{"filter_rules":[{"field":"a","op":"eq","value":"x"}]}`},
		"api_key auth value": {`{"auth_config":{"header":"X-K","value":"v"}}`,
			`{"auth_config":{"header":"(secret)","value":"(secret)"}}`},
		"encoded provider config": {`{"provider_config":"{\"region\":\"r\",\"api_secret\":\"s\"}"}`,
			`{"provider_config":"{\"api_secret\":\"(secret)\",\"region\":\"r\"}"}`},
		"null secret stays null": {`{"verification_secret":null}`, `{"verification_secret":null}`},
		"numbers kept exactly":   {`{"timeout_ms":12345678901234567890}`, `{"timeout_ms":12345678901234567890}`},
		"not JSON":               {`token=abc`, `"(not JSON, 9 bytes)"`},
	}
	for name, tc := range tests {
		if got := string(redactBody([]byte(tc.in))); got != tc.want {
			t.Errorf("%s: got %s, want %s", name, got, tc.want)
		}
	}
}
