// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package harness

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// GitHubSignatureHeader is where GitHub, and hookstream's github template, put the webhook signature.
const GitHubSignatureHeader = "X-Hub-Signature-256"

// PostGitHubWebhook posts body to an ingest URL the way GitHub sends webhooks: the hex HMAC-SHA256 of the body
// with secret, prefixed "sha256=", in X-Hub-Signature-256, and a fresh X-GitHub-Delivery id. It returns the status
// code and the answer's body.
func PostGitHubWebhook(ctx context.Context, url string, secret []byte, body string) (int, string, error) {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(body))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "pull_request")
	req.Header.Set("X-GitHub-Delivery", fmt.Sprintf("delivery-%d", time.Now().UnixNano()))
	req.Header.Set(GitHubSignatureHeader, "sha256="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer func() { _ = resp.Body.Close() }()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, strings.TrimSpace(string(answer)), err
}
