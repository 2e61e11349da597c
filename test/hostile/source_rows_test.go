// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hostile

import (
	"fmt"
	"strings"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
)

var signingSecret = secret("signing", map[string]string{"secret": secretValue})

// verifying is a Source checking HMAC-SHA256 signatures in the header, with the secret of Secret "signing".
func verifying(header string) string {
	return source("verification:\n  type: hmac_sha256\n  header: " + header +
		"\n  secretRef: {name: signing, key: secret}")
}

func sourceRows() []row {
	return []row{
		// At apply time.
		{name: "source: verification header with CR LF", apply: "header " + msgHeaderName,
			objects: verifying(`"X-Sig\r\nX-Injected: 1"`)},
		{name: "source: verification header with a space", apply: "header " + msgHeaderName,
			objects: verifying("X Signature")},
		{name: "source: empty verification header", apply: "spec.verification.header",
			objects: verifying(`""`)},
		{name: "source: IPv6 in the allowlist", apply: "must be an IPv4 address such as 203.0.113.7",
			objects: source("ipAllowlist: [\"::1\"]")},
		{name: "source: CIDR with host bits", apply: "IPv4 CIDR range in network form",
			objects: source("ipAllowlist: [10.0.0.1/8]")},
		{name: "source: host name in the denylist", apply: "must be an IPv4 address",
			objects: source("ipDenylist: [evil.example]")},
		{name: "source: 101 allowlist entries", apply: "must have at most 100 items",
			objects: source("ipAllowlist:\n" + repeat(101, func(i int) string { return fmt.Sprintf("- 10.0.%d.%d", i/250, i%250) }))},
		{name: "source: duplicate allowlist entries", apply: "Duplicate value",
			objects: source("ipAllowlist: [10.0.0.1, 10.0.0.1]")},
		{name: "source: schema inline and from a ConfigMap", apply: "set exactly one of spec.schemaValidation.schema",
			objects: source("schemaValidation:\n  action: reject\n  schema: {type: object}\n  schemaConfigMapRef: {name: s, key: k}")},
		{name: "source: inline schema that is a list", apply: "spec.schemaValidation.schema",
			objects: source("schemaValidation:\n  action: reject\n  schema: [1, 2]")},
		{name: "source: verifying template without its secret", apply: "this spec.template makes hookstream verify signatures",
			objects: source("template: stripe")},
		{name: "source: unknown template", apply: `spec.template: Unsupported value: "evil"`,
			objects: source("template: evil")},
		{name: "source: header deduplication without a field", apply: "spec.deduplication.field is required",
			objects: source("deduplication: {strategy: header_field}")},
		{name: "source: deduplication header with CR LF", apply: "spec.deduplication.field must be an HTTP header name",
			objects: source("deduplication: {strategy: header_field, field: \"X-Id\\r\\nX-Injected: 1\"}")},
		{name: "source: deduplication window over a week", apply: "should be less than or equal to 604800",
			objects: source("deduplication: {strategy: payload_hash, windowSeconds: 604801}")},
		{name: "source: ingest URL ConfigMap with a path", apply: "spec.ingestURLConfigMap in body should match",
			objects: source("ingestURLConfigMap: ../kube-system/cm")},
		{name: "source: description over 1024 characters", apply: "Too long: may not be more than 1024",
			objects: source("description: " + strings.Repeat("d", 1025))},
		{name: "source: empty display name", apply: "spec.displayName in body should be at least 1 chars long",
			objects: source(`displayName: ""`)},
		{name: "source: signing secret key with a path", apply: "spec.verification.secretRef.key in body should match",
			objects: source("verification:\n  type: hmac_sha256\n  secretRef: {name: signing, key: ../secret}")},
		{name: "source: template changed", apply: "spec.template is immutable",
			objects: paused("Source", "template: sendgrid"), change: paused("Source", "template: postmark")},
		{name: "source: slug removed", apply: "spec.slug is immutable",
			objects: paused("Source", "slug: orders"), change: paused("Source", "state: active")},

		// Refused by the manager.
		{name: "source: signing Secret that does not exist", reason: v1.ReasonSecretNotFound,
			objects: verifying("X-Signature")},
		{name: "source: schema ConfigMap that does not exist", reason: v1.ReasonConfigMapNotFound,
			objects: source("schemaValidation:\n  action: reject\n  schemaConfigMapRef: {name: nowhere, key: schema.json}")},
		{name: "source: schema ConfigMap that is not JSON", reason: v1.ReasonInvalidSpec,
			objects: docs(configMap("schema", "schema.json", "{type: object"),
				source("schemaValidation:\n  action: reject\n  schemaConfigMapRef: {name: schema, key: schema.json}"))},
		{name: "source: schema ConfigMap holding a list", reason: v1.ReasonInvalidSpec,
			objects: docs(configMap("schema", "schema.json", `[{"type": "object"}]`),
				source("schemaValidation:\n  action: reject\n  schemaConfigMapRef: {name: schema, key: schema.json}"))},
		{name: "source: schema that is no JSON Schema", reason: v1.ReasonInvalidSpec, remoteCalls: 1,
			objects: source("schemaValidation:\n  action: reject\n  schema: {type: 12}")},
		{name: "source: schema referring to the metadata address", reason: v1.ReasonInvalidSpec, remoteCalls: 1,
			objects: source("schemaValidation:\n  action: reject\n  schema: {$ref: \"http://169.254.169.254/latest/meta-data/\"}")},
		{name: "source: adoptID naming nothing", reason: v1.ReasonNotFound,
			objects: source("adoptID: doesnotexist0000")},
		{name: "source: observed but absent", reason: v1.ReasonNotFound,
			objects: source("managementPolicy: Observe")},
		{name: "source: slug taken by another source", reason: v1.ReasonConflict, remoteCalls: 1,
			remote: takenSourceSlug, objects: source("slug: taken")},

		// Refusals the manager is to make.
		{name: "source: signing secret not UTF-8", reason: v1.ReasonInvalidSpec, objects: docs(secretBytes("signing", "secret", []byte(secretValue+"\xc3\x28")), verifying("X-Signature")),
			secret: secretValue},
		{name: "source: signing secret from the credentials Secret", reason: "SecretNotAllowed", objects: source("verification:\n  type: hmac_sha256\n  secretRef: {name: hookstream-credentials, key: apiKey}")},
		{name: "source: signing Secret without the reference label", reason: "SecretNotAllowed",
			manager: labelledSecrets, objects: docs(signingSecret, verifying("X-Signature")),
			secret: secretValue},
		{name: "source: inline schema over a megabyte", reason: v1.ReasonTooLarge, remoteCalls: 1, objects: source("schemaValidation:\n  action: reject\n  schema:\n    description: " +
			strings.Repeat("s", 1100<<10))},
		{name: "source: default display name over 128 characters", reason: v1.ReasonAvailable, remoteCalls: 1,
			objects: strings.Replace(source("state: active"), "name: hostile", "name: "+strings.Repeat("s", 200), 1)},
	}
}
