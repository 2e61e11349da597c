// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
)

// ExportDestinationProvider sets the provider block of spec from a remote destination, through the table of
// provider types, so that the comparison finds nothing to change in it. Secret values, which hookstream masks,
// become references made by ref from hookstream's name of the key (token, password, value, secret_access_key, ...).
// warnings name what the block cannot express. ok is false for a type without a provider block.
func ExportDestinationProvider(row *hookstream.Destination, spec *v1.DestinationSpec,
	ref func(key string) v1.SecretKeySelector) (warnings []string, ok bool) {
	t := hookstream.NormalizeType(row.Type)
	provider := providerByType(t)
	if provider == nil {
		return []string{fmt.Sprintf("type %q has no provider block in the Destination API; not exported", t)}, false
	}
	return provider.export(row, spec, ref), true
}

// exportProviderConfig sets a block's fields from the provider_config keys bound to them, and warns of the keys
// that have no field.
func exportProviderConfig(config map[string]string, keys []configKey, ref func(string) v1.SecretKeySelector) []string {
	used := map[string]bool{}
	for _, k := range keys {
		used[k.key] = true
		if k.secret != nil {
			*k.secret = ref(k.key)
		} else {
			k.set(config[k.key])
		}
	}
	var warnings []string
	for _, key := range slices.Sorted(maps.Keys(config)) {
		if !used[key] {
			warnings = append(warnings, fmt.Sprintf("provider_config.%s has no field in the Destination API and is not managed", key))
		}
	}
	return warnings
}

// sensitiveHeaderParts are the parts of a header name that mark its value as secret.
var sensitiveHeaderParts = []string{"token", "key", "secret", "signature", "password", "auth"}

// sensitiveHeader reports a header whose value is likely secret, by its name: Authorization, Proxy-Authorization,
// Cookie, and names containing token, key, secret, signature, password or auth.
func sensitiveHeader(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "authorization", "proxy-authorization", "cookie":
		return true
	}
	return slices.ContainsFunc(sensitiveHeaderParts, func(part string) bool { return strings.Contains(n, part) })
}

// headerKey is the Secret key a secret header's value is exported under: header-<name>, lowercase, with the
// characters a Secret key cannot hold replaced; unique among used.
func headerKey(name string, used map[string]bool) string {
	var b strings.Builder
	b.WriteString("header-")
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '.', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	key := b.String()
	for n := 2; used[key]; n++ {
		key = fmt.Sprintf("%s-%d", b.String(), n)
	}
	used[key] = true
	return key
}

// exportHTTP is the http block of a remote http destination.
func exportHTTP(d *hookstream.Destination, ref func(string) v1.SecretKeySelector) (*v1.HTTPDestination, []string) {
	var warnings []string
	h := &v1.HTTPDestination{URL: d.URL, Method: v1.HTTPMethod(strings.ToUpper(d.Method))}
	usedKeys := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(d.Headers)) {
		if !sensitiveHeader(name) {
			if h.Headers == nil {
				h.Headers = map[string]string{}
			}
			h.Headers[name] = d.Headers[name]
			continue
		}
		// hookstream does not mask header values: a secret one goes into the Secret, never into the manifest.
		key := headerKey(name, usedKeys)
		h.HeadersFrom = append(h.HeadersFrom, v1.HeaderFromSecret{Name: name, ValueFrom: ref(key)})
		warnings = append(warnings, fmt.Sprintf("header %s looks secret: spec.http.headersFrom reads it from Secret key %s; put its value there", name, key))
	}
	switch {
	case d.TimeoutMS > 0 && d.TimeoutMS%1000 == 0:
		h.TimeoutSeconds = new(int32(d.TimeoutMS / 1000))
	case d.TimeoutMS > 0:
		warnings = append(warnings, fmt.Sprintf("timeout_ms %d is not whole seconds: spec.http.timeoutSeconds is left unset (not managed)", d.TimeoutMS))
	}
	// The auth types as hookstream spells them are those of authTypes; the auth_config keys those of mapHTTP.
	switch d.AuthType {
	case authTypes[v1.HTTPAuthBearer]:
		h.Auth = &v1.HTTPAuth{Type: v1.HTTPAuthBearer, Bearer: &v1.BearerAuth{TokenSecretRef: ref("token")}}
	case authTypes[v1.HTTPAuthBasic]:
		h.Auth = &v1.HTTPAuth{Type: v1.HTTPAuthBasic, Basic: &v1.BasicAuth{Username: d.AuthConfig["username"], PasswordSecretRef: ref("password")}}
	case authTypes[v1.HTTPAuthAPIKey]:
		h.Auth = &v1.HTTPAuth{Type: v1.HTTPAuthAPIKey, APIKey: &v1.APIKeyAuth{Header: d.AuthConfig["header"], ValueSecretRef: ref("value")}}
	case "", authTypes[v1.HTTPAuthNone]:
		// hookstream's default; managing it would only add a block that changes nothing.
	default:
		warnings = append(warnings, fmt.Sprintf("auth_type %q has no field in the Destination API and is not managed", d.AuthType))
	}
	return h, warnings
}
