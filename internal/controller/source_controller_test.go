// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/internal/managed"
	"github.com/hookstream/hookstream-operator/test/harness"
)

func createSource(t *testing.T, namespace, name string, spec v1.SourceSpec) client.ObjectKey {
	t.Helper()
	s := &v1.Source{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}, Spec: spec}
	if err := k8s.Create(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	return client.ObjectKeyFromObject(s)
}

func getSource(t *testing.T, key client.ObjectKey) *v1.Source {
	t.Helper()
	s := &v1.Source{}
	if err := k8s.Get(context.Background(), key, s); err != nil {
		t.Fatal(err)
	}
	return s
}

func remoteSource(t *testing.T, id string) *hookstream.Source {
	t.Helper()
	row, err := remote.GetSource(context.Background(), id)
	if err != nil {
		t.Fatalf("reading remote source %s: %v", id, err)
	}
	return row
}

// postSigned posts a GitHub-style signed webhook and returns the status code.
func postSigned(t *testing.T, url, secret, body string) int {
	t.Helper()
	code, _, err := harness.PostGitHubWebhook(context.Background(), url, []byte(secret), body)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func getConfigMapIn(t *testing.T, namespace, name string) (*corev1.ConfigMap, error) {
	t.Helper()
	cm := &corev1.ConfigMap{}
	err := k8s.Get(context.Background(), client.ObjectKey{Namespace: namespace, Name: name}, cm)
	return cm, err
}

// TestSourceLifecycle is the Source's whole life on a real API server and the emulator: a GitHub-template source
// whose signing secret comes from a Secret, its ingest URL in status and in a ConfigMap, signed and badly signed
// webhooks, the event count, a rotated secret, and a deletion that removes the remote source and the ConfigMap
// (the test API server runs no garbage collector).
func TestSourceLifecycle(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	createSecret(t, ns, "github-signing", map[string]string{"secret": "github-signing-secret-0001"})
	key := createSource(t, ns, "github", v1.SourceSpec{
		DisplayName: "GitHub", Template: "github", IngestURLConfigMap: "github-ingest",
		Verification: &v1.SourceVerification{SecretRef: v1.SecretKeySelector{Name: "github-signing", Key: "secret"}},
	})

	s := waitForReadyOf(t, key, &v1.Source{})
	id := s.Status.ID
	if id == "" || s.Status.Slug != defaultSlug(ns, "github") || s.Status.State != hookstream.StatusActive {
		t.Fatalf("status after create = %+v", s.Status)
	}
	if want := emuURL + "/ingest/" + id; s.Status.IngestURL != want {
		t.Errorf("status.ingestURL = %q, want %q", s.Status.IngestURL, want)
	}
	if s.Status.VerificationType != hookstream.VerificationHMACSHA256 || s.Status.Template != "github" {
		t.Errorf("status: verificationType %q, template %q; want the github template's hmac_sha256",
			s.Status.VerificationType, s.Status.Template)
	}
	waitForEvent(t, key, "Created")
	cm, err := getConfigMapIn(t, ns, "github-ingest")
	if err != nil {
		t.Fatalf("ingest URL ConfigMap: %v", err)
	}
	if cm.Data[ConfigMapKeyIngestURL] != s.Status.IngestURL || cm.Data[ConfigMapKeySourceID] != id {
		t.Errorf("ConfigMap data = %v", cm.Data)
	}
	if ref := metav1.GetControllerOf(cm); ref == nil || ref.UID != s.UID {
		t.Errorf("ConfigMap controller = %+v, want the Source", ref)
	}

	if row := remoteSource(t, id); row.VerificationHeader == nil || !strings.EqualFold(*row.VerificationHeader, harness.GitHubSignatureHeader) {
		t.Errorf("the github template's signature header is %v, want %s", ptrString(row.VerificationHeader), harness.GitHubSignatureHeader)
	}
	if code := postSigned(t, s.Status.IngestURL, "github-signing-secret-0001", `{"action":"opened"}`); code != http.StatusOK {
		t.Errorf("correctly signed webhook: status %d, want 200", code)
	}
	if code := postSigned(t, s.Status.IngestURL, "not-the-secret", `{"action":"opened"}`); code != http.StatusUnauthorized {
		t.Errorf("badly signed webhook: status %d, want 401", code)
	}
	requestReconcileOf(t, key, &v1.Source{})
	if s = getSource(t, key); s.Status.EventCount != 1 || s.Status.LastEventAt == nil {
		t.Errorf("after one accepted webhook and a check: eventCount %d, lastEventAt %v", s.Status.EventCount, s.Status.LastEventAt)
	}

	// A rotated signing secret is sent again: the new one verifies, the old one no longer does.
	hash := s.Status.AppliedSecretsHash
	updateSecret(t, ns, "github-signing", map[string]string{"secret": "github-signing-secret-0002"})
	eventually(t, "rotated secret applied", func() error {
		if got := getSource(t, key).Status.AppliedSecretsHash; got == hash {
			return fmt.Errorf("appliedSecretsHash unchanged")
		}
		return nil
	})
	if code := postSigned(t, s.Status.IngestURL, "github-signing-secret-0002", `{"n":2}`); code != http.StatusOK {
		t.Errorf("webhook signed with the rotated secret: status %d, want 200", code)
	}
	if code := postSigned(t, s.Status.IngestURL, "github-signing-secret-0001", `{"n":3}`); code != http.StatusUnauthorized {
		t.Errorf("webhook signed with the old secret: status %d, want 401", code)
	}

	if err := k8s.Delete(ctx, &v1.Source{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: key.Name}}); err != nil {
		t.Fatal(err)
	}
	waitForGone(t, key, &v1.Source{})
	if _, err := remote.GetSource(ctx, id); !hookstream.IsNotFound(err) {
		t.Errorf("remote source after delete: err = %v, want not found", err)
	}
	if _, err := getConfigMapIn(t, ns, "github-ingest"); !apierrors.IsNotFound(err) {
		t.Errorf("ingest URL ConfigMap after delete: err = %v, want not found", err)
	}
}

// TestEverySourceFieldConverges creates one Source per row and checks that hookstream then holds what the spec
// asks for, by the comparison the operator itself uses, and that the operator's own write left nothing to do.
func TestEverySourceFieldConverges(t *testing.T) {
	ns := newNamespace(t)
	createSecret(t, ns, "signing", map[string]string{
		"hmac": "hmac-signing-secret-0001", "whsec": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
	})
	schemaCM := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "schemas"},
		Data:       map[string]string{"orders.json": `{"type": "object", "required": ["id"]}`},
	}
	if err := k8s.Create(context.Background(), schemaCM); err != nil {
		t.Fatal(err)
	}
	secret := func(key string) v1.SecretKeySelector { return v1.SecretKeySelector{Name: "signing", Key: key} }
	tests := map[string]v1.SourceSpec{
		"minimal":              {},
		"described and paused": {DisplayName: "Orders", Description: "orders from the shop", State: v1.StatePaused},
		"hmac sha1 with header": {Verification: &v1.SourceVerification{Type: v1.VerificationHMACSHA1, Header: "X-Signature",
			SecretRef: secret("hmac")}},
		"standard webhooks":     {Template: "svix", Verification: &v1.SourceVerification{Type: v1.VerificationStandardWebhooks, SecretRef: secret("whsec")}},
		"stripe template":       {Template: "stripe", Verification: &v1.SourceVerification{SecretRef: secret("hmac")}},
		"dedup by payload":      {Deduplication: &v1.SourceDeduplication{Strategy: "payload_hash", WindowSeconds: ptr.To[int32](600)}},
		"dedup by header":       {Deduplication: &v1.SourceDeduplication{Strategy: "header_field", Field: "X-Delivery-ID"}},
		"dedup by body path":    {Deduplication: &v1.SourceDeduplication{Strategy: "body_field", Field: "$.data.id"}},
		"ip lists":              {IPAllowlist: []v1.IPv4OrCIDR{"203.0.113.0/24", "198.51.100.7"}, IPDenylist: []v1.IPv4OrCIDR{"203.0.113.9"}},
		"empty allowlist":       {IPAllowlist: []v1.IPv4OrCIDR{}},
		"inline schema, warn":   {SchemaValidation: &v1.SourceSchemaValidation{Action: "warn", Schema: &runtime.RawExtension{Raw: []byte(`{"type":"object"}`)}}},
		"schema from ConfigMap": {SchemaValidation: &v1.SourceSchemaValidation{Action: "reject", SchemaConfigMapRef: &v1.ConfigMapKeySelector{Name: "schemas", Key: "orders.json"}}},
	}
	refs := managed.Refs{Secret: resolveFrom(ns), ConfigMap: func(ref v1.ConfigMapKeySelector) (string, error) {
		cm, err := getConfigMapIn(t, ns, ref.Name)
		return cm.Data[ref.Key], err
	}}
	i := 0
	for name, spec := range tests {
		i++
		t.Run(name, func(t *testing.T) {
			key := createSource(t, ns, fmt.Sprintf("s%d", i), spec)
			s := waitForReadyOf(t, key, &v1.Source{})
			want, err := buildSourceDesired(s, refs)
			if err != nil {
				t.Fatal(err)
			}
			if obs := compareSource(want, remoteSource(t, s.Status.ID), false); !obs.UpToDate() {
				t.Errorf("hookstream differs from the spec after Ready: %v", obs.Fields())
			}
		})
	}
}

// TestSourceDriftAndSchemaChanges checks that a change made in hookstream is reverted and that a change of the
// schema ConfigMap is applied, both without a spec change.
func TestSourceDriftAndSchemaChanges(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "schemas"},
		Data:       map[string]string{"orders.json": `{"type":"object"}`},
	}
	if err := k8s.Create(ctx, cm); err != nil {
		t.Fatal(err)
	}
	key := createSource(t, ns, "orders", v1.SourceSpec{
		IPAllowlist:      []v1.IPv4OrCIDR{"203.0.113.0/24"},
		SchemaValidation: &v1.SourceSchemaValidation{Action: "reject", SchemaConfigMapRef: &v1.ConfigMapKeySelector{Name: "schemas", Key: "orders.json"}},
	})
	id := waitForReadyOf(t, key, &v1.Source{}).Status.ID

	if _, err := remote.UpdateSource(ctx, id, &hookstream.SourceUpdateRequest{IPAllowlist: hookstream.Set([]string{"0.0.0.0/0"})}); err != nil {
		t.Fatal(err)
	}
	requestReconcileOf(t, key, &v1.Source{})
	if got := remoteSource(t, id).IPAllowlist; len(got) != 1 || got[0] != "203.0.113.0/24" {
		t.Errorf("ip_allowlist after a check = %v, want the spec's", got)
	}
	if note := waitForEvent(t, key, "DriftCorrected"); !strings.Contains(note, "ip_allowlist") {
		t.Errorf("DriftCorrected note %q does not name ip_allowlist", note)
	}

	cm.Data["orders.json"] = `{"type":"object","required":["id"]}`
	if err := k8s.Update(ctx, cm); err != nil {
		t.Fatal(err)
	}
	eventually(t, "schema ConfigMap change applied", func() error {
		got := remoteSource(t, id).JSONSchema
		if !jsonEqual(got, []byte(cm.Data["orders.json"])) {
			return fmt.Errorf("json_schema is %s", got)
		}
		return nil
	})
}
