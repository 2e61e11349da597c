// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
)

// Messages of the Source's validation rules, as users see them.
const (
	msgNotIPv4          = "must be an IPv4 address such as 203.0.113.7 or an IPv4 CIDR range in network form such as 203.0.113.0/24"
	msgVerificationType = "spec.verification needs a type (hmac_sha256, hmac_sha1 or standard_webhooks), " +
		"or a spec.template other than custom that pre-fills it"
	msgDedupFieldRequired = "spec.deduplication.field is required for header_field (a header name) and body_field " +
		"(a body path such as data.id)"
	msgDedupFieldUnused = "spec.deduplication.field is only used by header_field and body_field: remove it for payload_hash"
	msgOneSchema        = "set exactly one of spec.schemaValidation.schema (inline) and spec.schemaValidation.schemaConfigMapRef"
)

// githubSource is a valid Source: the GitHub template with its signing secret.
func githubSource(name string) *v1.Source {
	return &v1.Source{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: v1.SourceSpec{
			Template:     "github",
			Verification: &v1.SourceVerification{SecretRef: v1.SecretKeySelector{Name: "github-webhook", Key: "secret"}},
		},
	}
}

// ipv4List returns n distinct IPv4 addresses.
func ipv4List(n int) []v1.IPv4OrCIDR {
	list := make([]v1.IPv4OrCIDR, 0, n)
	for i := range n {
		list = append(list, v1.IPv4OrCIDR(fmt.Sprintf("10.0.%d.%d", i/256, i%256)))
	}
	return list
}

func TestSourceRoundTrip(t *testing.T) {
	ctx := context.Background()
	want := githubSource("round-trip")
	want.Spec.ManagementPolicy = v1.ManagementManage
	want.Spec.DeletionPolicy = v1.DeletionOrphan
	want.Spec.AdoptionPolicy = v1.AdoptBySlug
	want.Spec.CredentialsRef = &v1.LocalObjectReference{Name: "team-hookstream"}
	want.Spec.DisplayName = "GitHub organisation"
	want.Spec.Description = "Webhooks of every repository of the organisation"
	want.Spec.Slug = "github-org"
	want.Spec.Verification.Type = v1.VerificationHMACSHA256
	want.Spec.Verification.Header = "X-Hub-Signature-256"
	want.Spec.Deduplication = &v1.SourceDeduplication{
		Strategy: "header_field", Field: "X-GitHub-Delivery", WindowSeconds: ptr.To[int32](86400),
	}
	want.Spec.IPAllowlist = []v1.IPv4OrCIDR{"192.30.252.0/22", "185.199.108.0/22", "140.82.112.7"}
	want.Spec.IPDenylist = []v1.IPv4OrCIDR{"203.0.113.66"}
	want.Spec.SchemaValidation = &v1.SourceSchemaValidation{
		Action: "warn",
		// Compact, keys sorted: the form the API server answers with, so that the bytes compare equal.
		Schema: &runtime.RawExtension{Raw: []byte(`{"properties":{"action":{"type":"string"}},"required":["action"],"type":"object"}`)},
	}
	want.Spec.State = v1.StatePaused
	want.Spec.IngestURLConfigMap = "github-ingest"

	if err := k8s.Create(ctx, want.DeepCopy()); err != nil {
		t.Fatalf("create: %v", err)
	}
	got := &v1.Source{}
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(want), got); err != nil {
		t.Fatalf("get: %v", err)
	}
	if diff := cmp.Diff(want.Spec, got.Spec); diff != "" {
		t.Errorf("spec read back differs (-sent +stored):\n%s", diff)
	}

	// The schema ConfigMap form, the other branch of "exactly one".
	got.Spec.SchemaValidation = &v1.SourceSchemaValidation{
		Action:             "reject",
		SchemaConfigMapRef: &v1.ConfigMapKeySelector{Name: "github-schema", Key: "schema.json"},
	}
	if err := k8s.Update(ctx, got); err != nil {
		t.Fatalf("update to a schema from a ConfigMap: %v", err)
	}
	if err := k8s.Delete(ctx, got); err != nil {
		t.Fatalf("delete: %v", err)
	}
	err := k8s.Get(ctx, client.ObjectKeyFromObject(want), &v1.Source{})
	if !apierrors.IsNotFound(err) {
		t.Fatalf("after delete, get returned %v, want NotFound", err)
	}
}

func TestInvalidSourcesRejected(t *testing.T) {
	checkCreateRejected(t, githubSource, map[string]rejection[*v1.Source]{
		"ipv6 address in the allowlist": {
			mutate:  func(s *v1.Source) { s.Spec.IPAllowlist = []v1.IPv4OrCIDR{"2001:db8::1"} },
			message: `spec.ipAllowlist[0]: Invalid value: "2001:db8::1": ` + msgNotIPv4 + " (hookstream does not support IPv6)",
		},
		"ipv6 range in the denylist": {
			mutate:  func(s *v1.Source) { s.Spec.IPDenylist = []v1.IPv4OrCIDR{"2001:db8::/32"} },
			message: `spec.ipDenylist[0]: Invalid value: "2001:db8::/32": ` + msgNotIPv4,
		},
		"ipv4-mapped ipv6 address": {
			mutate:  func(s *v1.Source) { s.Spec.IPAllowlist = []v1.IPv4OrCIDR{"::ffff:203.0.113.7"} },
			message: msgNotIPv4,
		},
		"cidr with host bits set": {
			mutate:  func(s *v1.Source) { s.Spec.IPAllowlist = []v1.IPv4OrCIDR{"203.0.113.7/24"} },
			message: `spec.ipAllowlist[0]: Invalid value: "203.0.113.7/24": ` + msgNotIPv4,
		},
		"cidr prefix too long": {
			mutate:  func(s *v1.Source) { s.Spec.IPAllowlist = []v1.IPv4OrCIDR{"203.0.113.0/33"} },
			message: msgNotIPv4,
		},
		"not an address": {
			mutate:  func(s *v1.Source) { s.Spec.IPDenylist = []v1.IPv4OrCIDR{"203.0.113"} },
			message: msgNotIPv4,
		},
		"host name": {
			mutate:  func(s *v1.Source) { s.Spec.IPAllowlist = []v1.IPv4OrCIDR{"github.com"} },
			message: msgNotIPv4,
		},
		"101 allowlist entries": {
			mutate:  func(s *v1.Source) { s.Spec.IPAllowlist = ipv4List(101) },
			message: "spec.ipAllowlist: Too many: 101: must have at most 100 items",
		},
		"101 denylist entries": {
			mutate:  func(s *v1.Source) { s.Spec.IPDenylist = ipv4List(101) },
			message: "spec.ipDenylist: Too many: 101: must have at most 100 items",
		},
		"duplicate allowlist entry": {
			mutate:  func(s *v1.Source) { s.Spec.IPAllowlist = []v1.IPv4OrCIDR{"203.0.113.7", "203.0.113.7"} },
			message: `spec.ipAllowlist[1]: Duplicate value: "203.0.113.7"`,
		},
		"unknown template": {
			mutate:  func(s *v1.Source) { s.Spec.Template = "gitlab" },
			message: `spec.template: Unsupported value: "gitlab"`,
		},
		"a verifying template without verification": {
			mutate:  func(s *v1.Source) { s.Spec.Verification = nil },
			message: "this spec.template makes hookstream verify signatures, which needs the signing secret",
		},
		"verification without type and without template": {
			mutate:  func(s *v1.Source) { s.Spec.Template = "" },
			message: msgVerificationType,
		},
		"verification without type, template custom": {
			mutate:  func(s *v1.Source) { s.Spec.Template = "custom" },
			message: msgVerificationType,
		},
		"unknown verification type": {
			mutate:  func(s *v1.Source) { s.Spec.Verification.Type = "hmac_md5" },
			message: `spec.verification.type: Unsupported value: "hmac_md5"`,
		},
		"verification without secretRef": {
			mutate:  func(s *v1.Source) { s.Spec.Verification.Type = v1.VerificationHMACSHA256 },
			unset:   [][]string{{"spec", "verification", "secretRef"}},
			message: "spec.verification.secretRef: Required value",
		},
		"deduplication header not a header name": {
			mutate: func(s *v1.Source) {
				s.Spec.Deduplication = &v1.SourceDeduplication{Strategy: "header_field", Field: "X Request Id"}
			},
			message: "spec.deduplication.field must be an HTTP header name (an RFC 9110 token) for header_field",
		},
		"verification header not a header name": {
			mutate:  func(s *v1.Source) { s.Spec.Verification.Header = "X-Hub Signature" },
			message: "spec.verification.header: Invalid value: \"X-Hub Signature\": header must be an HTTP header name (an RFC 9110 token)",
		},
		"deduplication body_field without field": {
			mutate:  func(s *v1.Source) { s.Spec.Deduplication = &v1.SourceDeduplication{Strategy: "body_field"} },
			message: msgDedupFieldRequired,
		},
		"deduplication header_field without field": {
			mutate:  func(s *v1.Source) { s.Spec.Deduplication = &v1.SourceDeduplication{Strategy: "header_field"} },
			message: msgDedupFieldRequired,
		},
		"deduplication payload_hash with field": {
			mutate: func(s *v1.Source) {
				s.Spec.Deduplication = &v1.SourceDeduplication{Strategy: "payload_hash", Field: "data.id"}
			},
			message: msgDedupFieldUnused,
		},
		"deduplication unknown strategy": {
			mutate:  func(s *v1.Source) { s.Spec.Deduplication = &v1.SourceDeduplication{Strategy: "event_id"} },
			message: `spec.deduplication.strategy: Unsupported value: "event_id"`,
		},
		"deduplication window 0": {
			mutate: func(s *v1.Source) {
				s.Spec.Deduplication = &v1.SourceDeduplication{Strategy: "payload_hash", WindowSeconds: ptr.To[int32](0)}
			},
			message: "spec.deduplication.windowSeconds in body should be greater than or equal to 1",
		},
		"deduplication window 604801": {
			mutate: func(s *v1.Source) {
				s.Spec.Deduplication = &v1.SourceDeduplication{Strategy: "payload_hash", WindowSeconds: ptr.To[int32](604801)}
			},
			message: "spec.deduplication.windowSeconds in body should be less than or equal to 604800",
		},
		"schema both inline and from a ConfigMap": {
			mutate: func(s *v1.Source) {
				s.Spec.SchemaValidation = &v1.SourceSchemaValidation{
					Action:             "reject",
					Schema:             &runtime.RawExtension{Raw: []byte(`{"type":"object"}`)},
					SchemaConfigMapRef: &v1.ConfigMapKeySelector{Name: "schema", Key: "schema.json"},
				}
			},
			message: msgOneSchema,
		},
		"schema neither inline nor from a ConfigMap": {
			mutate:  func(s *v1.Source) { s.Spec.SchemaValidation = &v1.SourceSchemaValidation{Action: "reject"} },
			message: msgOneSchema,
		},
		"schema not an object": {
			mutate: func(s *v1.Source) {
				s.Spec.SchemaValidation = &v1.SourceSchemaValidation{
					Action: "reject", Schema: &runtime.RawExtension{Raw: []byte(`["type"]`)},
				}
			},
			message: `spec.schemaValidation.schema: Invalid value: "array": spec.schemaValidation.schema in body must be of type object`,
		},
		"unknown schema action": {
			mutate: func(s *v1.Source) {
				s.Spec.SchemaValidation = &v1.SourceSchemaValidation{
					Action: "block", SchemaConfigMapRef: &v1.ConfigMapKeySelector{Name: "schema", Key: "schema.json"},
				}
			},
			message: `spec.schemaValidation.action: Unsupported value: "block"`,
		},
		"schema ConfigMap key with a slash": {
			mutate: func(s *v1.Source) {
				s.Spec.SchemaValidation = &v1.SourceSchemaValidation{
					Action: "reject", SchemaConfigMapRef: &v1.ConfigMapKeySelector{Name: "schema", Key: "schemas/orders.json"},
				}
			},
			message: "spec.schemaValidation.schemaConfigMapRef.key in body should match",
		},
		"ingestURLConfigMap not a ConfigMap name": {
			mutate:  func(s *v1.Source) { s.Spec.IngestURLConfigMap = "GitHub_Ingest" },
			message: "spec.ingestURLConfigMap in body should match",
		},
		"bad slug": {
			mutate:  func(s *v1.Source) { s.Spec.Slug = "GitHub_Org" },
			message: "spec.slug in body should match '^[a-z0-9-]+$'",
		},
		"unknown state": {
			mutate:  func(s *v1.Source) { s.Spec.State = "stopped" },
			message: `spec.state: Unsupported value: "stopped"`,
		},
		"display name too long": {
			mutate:  func(s *v1.Source) { s.Spec.DisplayName = strings.Repeat("a", 129) },
			message: "spec.displayName: Too long: may not be more than 128 bytes",
		},
	})
}

// TestValidSourcesAccepted guards the other side of the rules: the limits themselves and the documented forms pass.
func TestValidSourcesAccepted(t *testing.T) {
	checkCreateAccepted(t, githubSource, map[string]func(s *v1.Source){
		"no template, verification with a type": func(s *v1.Source) {
			s.Spec.Template = ""
			s.Spec.Verification.Type = v1.VerificationStandardWebhooks
		},
		"template custom, verification with a type": func(s *v1.Source) {
			s.Spec.Template = "custom"
			s.Spec.Verification.Type = v1.VerificationHMACSHA1
			s.Spec.Verification.Header = "X-Signature"
		},
		"a template that verifies nothing, without verification": func(s *v1.Source) { s.Spec.Template = "sendgrid"; s.Spec.Verification = nil },
		"body deduplication on a path with spaces and dots": func(s *v1.Source) {
			s.Spec.Deduplication = &v1.SourceDeduplication{Strategy: "body_field", Field: "$.data.order id"}
		},
		"verification header with every token character": func(s *v1.Source) {
			s.Spec.Verification.Header = "X-Sig_1.a!#$%&'*+^`|~"
		},
		"nothing set": func(s *v1.Source) { s.Spec = v1.SourceSpec{} },
		"addresses and ranges at the limits": func(s *v1.Source) {
			s.Spec.IPAllowlist = []v1.IPv4OrCIDR{"0.0.0.0/0", "255.255.255.255", "255.255.255.255/32", "1.2.3.4"}
		},
		"100 entries in each list": func(s *v1.Source) {
			s.Spec.IPAllowlist = ipv4List(100)
			s.Spec.IPDenylist = ipv4List(100)
		},
		"empty lists": func(s *v1.Source) {
			s.Spec.IPAllowlist = []v1.IPv4OrCIDR{}
			s.Spec.IPDenylist = []v1.IPv4OrCIDR{}
		},
		"window 1": func(s *v1.Source) {
			s.Spec.Deduplication = &v1.SourceDeduplication{Strategy: "payload_hash", WindowSeconds: ptr.To[int32](1)}
		},
		"window 604800, body path": func(s *v1.Source) {
			s.Spec.Deduplication = &v1.SourceDeduplication{
				Strategy: "body_field", Field: "$.data.id", WindowSeconds: ptr.To[int32](604800),
			}
		},
		"ingestURLConfigMap with dots": func(s *v1.Source) { s.Spec.IngestURLConfigMap = "github.ingest-url" },
	})
}

func TestImmutableSourceFieldsRejectedOnUpdate(t *testing.T) {
	const (
		msgSlug     = "spec.slug is immutable"
		msgTemplate = "spec.template is immutable"
		msgAdoptID  = "spec.adoptID cannot be added, changed or removed after creation"
	)
	checkUpdateRejected(t, githubSource, map[string]transition[*v1.Source]{
		"slug changed": {
			initial: func(s *v1.Source) { s.Spec.Slug = "github-org" },
			change:  func(s *v1.Source) { s.Spec.Slug = "github-org-2" },
			message: msgSlug,
		},
		"slug added later": {
			initial: func(s *v1.Source) {},
			change:  func(s *v1.Source) { s.Spec.Slug = "github-org" },
			message: msgSlug,
		},
		"slug removed": {
			initial: func(s *v1.Source) { s.Spec.Slug = "github-org" },
			change:  func(s *v1.Source) { s.Spec.Slug = "" },
			message: msgSlug,
		},
		"template changed": {
			initial: func(s *v1.Source) {},
			change:  func(s *v1.Source) { s.Spec.Template = "stripe" },
			message: msgTemplate,
		},
		"template added later": {
			initial: func(s *v1.Source) { s.Spec.Template = ""; s.Spec.Verification = nil },
			change:  func(s *v1.Source) { s.Spec.Template = "github" },
			message: msgTemplate,
		},
		"template removed": {
			initial: func(s *v1.Source) {},
			change:  func(s *v1.Source) { s.Spec.Template = "" },
			message: msgTemplate,
		},
		"adoptID changed": {
			initial: func(s *v1.Source) { s.Spec.AdoptID = "src_0123456789" },
			change:  func(s *v1.Source) { s.Spec.AdoptID = "src_9876543210" },
			message: msgAdoptID,
		},
		"adoptID added later": {
			initial: func(s *v1.Source) {},
			change:  func(s *v1.Source) { s.Spec.AdoptID = "src_0123456789" },
			message: msgAdoptID,
		},
		"adoptID removed": {
			initial: func(s *v1.Source) { s.Spec.AdoptID = "src_0123456789" },
			change:  func(s *v1.Source) { s.Spec.AdoptID = "" },
			message: msgAdoptID,
		},
	})
}

// TestMutableSourceFieldsUpdated checks that the rules guarding immutable fields let every other change through.
func TestMutableSourceFieldsUpdated(t *testing.T) {
	ctx := context.Background()
	s := githubSource("mutable")
	s.Spec.Slug = "github-mutable"
	s.Spec.AdoptID = "src_0123456789"
	if err := k8s.Create(ctx, s); err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() { _ = k8s.Delete(ctx, s) })
	s.Spec.DisplayName = "GitHub"
	s.Spec.State = v1.StateDisabled
	s.Spec.Verification.Header = "X-Hub-Signature"
	s.Spec.Verification.Type = v1.VerificationHMACSHA1
	s.Spec.IPAllowlist = []v1.IPv4OrCIDR{"192.30.252.0/22"}
	s.Spec.IngestURLConfigMap = "github-ingest"
	s.Spec.ManagementPolicy = v1.ManagementObserve
	if err := k8s.Update(ctx, s); err != nil {
		t.Errorf("update of mutable fields: %v", err)
	}
}
