// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/managed"
)

func TestURLPolicy(t *testing.T) {
	dns := map[string][]netip.Addr{
		"receiver.example.com": {netip.MustParseAddr("93.184.215.14")},
		"sneaky.example.com":   {netip.MustParseAddr("93.184.215.14"), netip.MustParseAddr("10.0.0.7")},
		"metadata.example.com": {netip.MustParseAddr("169.254.169.254")},
	}
	lookup := func(_ context.Context, host string) ([]netip.Addr, error) {
		if a, ok := dns[host]; ok {
			return a, nil
		}
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	deny := URLPolicy{denyInternal: true, lookup: lookup}
	httpTo := func(url string) *v1.DestinationSpec { return &v1.DestinationSpec{HTTP: &v1.HTTPDestination{URL: url}} }
	tests := map[string]struct {
		policy URLPolicy
		spec   *v1.DestinationSpec
		// final: refused for good (a literal address); stalled: refused until DNS changes; warning: allowed with one.
		final, stalled bool
		inMessage      string
	}{
		"public host allowed":              {policy: deny, spec: httpTo("https://receiver.example.com/hook")},
		"loopback literal refused":         {policy: deny, spec: httpTo("http://127.0.0.1:8080/"), final: true, inMessage: "spec.http.url names a loopback address (127.0.0.1)"},
		"IPv6 loopback refused":            {policy: deny, spec: httpTo("http://[::1]/"), final: true, inMessage: "loopback address (::1)"},
		"localhost refused":                {policy: deny, spec: httpTo("http://localhost/"), final: true, inMessage: "loopback"},
		"metadata address refused":         {policy: deny, spec: httpTo("http://169.254.169.254/latest/meta-data"), final: true, inMessage: "cloud metadata address"},
		"link-local refused":               {policy: deny, spec: httpTo("http://169.254.10.1/"), final: true, inMessage: "link-local"},
		"private refused":                  {policy: deny, spec: httpTo("https://192.168.1.10/"), final: true, inMessage: "private address"},
		"IPv4-mapped IPv6 private refused": {policy: deny, spec: httpTo("https://[::ffff:10.1.2.3]/"), final: true, inMessage: "private"},
		"unspecified refused":              {policy: deny, spec: httpTo("http://0.0.0.0/"), final: true, inMessage: "unspecified"},
		"RabbitMQ URL checked too": {policy: deny, spec: &v1.DestinationSpec{RabbitMQ: &v1.RabbitMQDestination{URL: "amqps://10.0.0.1:5671"}},
			final: true, inMessage: "spec.rabbitmq.url names a private address"},
		"a name resolving to a private address": {policy: deny, spec: httpTo("https://sneaky.example.com/"), stalled: true,
			inMessage: "resolves to a private address (10.0.0.7)"},
		"a name resolving to metadata": {policy: deny, spec: httpTo("https://metadata.example.com/"), stalled: true,
			inMessage: "cloud metadata address"},
		"a name that does not resolve": {policy: deny, spec: httpTo("https://nowhere.example.com/"), stalled: true,
			inMessage: "cannot be resolved (no such host)"},
		"allow-all warns on a literal internal address": {spec: httpTo("http://127.0.0.1/"), inMessage: "loopback address (127.0.0.1)"},
		"allow-all makes no lookup":                     {spec: httpTo("https://sneaky.example.com/")},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			warnings, err := tc.policy.check(context.Background(), tc.spec)
			if !tc.final && !tc.stalled {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if got := strings.Join(warnings, "; "); (tc.inMessage == "") != (got == "") || !strings.Contains(got, tc.inMessage) {
					t.Errorf("warnings %q, want ones containing %q", got, tc.inMessage)
				}
				return
			}
			stalled, ok := errors.AsType[*managed.StalledError](err)
			if !ok || stalled.Reason != v1.ReasonURLNotAllowed || stalled.Final != tc.final {
				t.Fatalf("error %v, want URLNotAllowed with final %v", err, tc.final)
			}
			if !strings.Contains(err.Error(), tc.inMessage) {
				t.Errorf("message %q does not contain %q", err.Error(), tc.inMessage)
			}
		})
	}
	if _, err := NewURLPolicy("deny-some"); err == nil || !strings.Contains(err.Error(), "allow-all, deny-internal") {
		t.Errorf("an unknown policy gave %v, want an error listing the policies", err)
	}
}

func TestDefaultDisplayNameFitsTheContract(t *testing.T) {
	long := strings.Repeat("orders-", 36) // 252 characters, as long as a Kubernetes name gets
	tests := map[string]struct {
		name string
		want func(string) bool
	}{
		"a short name is kept":         {name: "orders", want: func(got string) bool { return got == "orders" }},
		"128 characters are kept":      {name: strings.Repeat("a", 128), want: func(got string) bool { return got == strings.Repeat("a", 128) }},
		"a long name is shortened":     {name: long, want: func(got string) bool { return len(got) <= 128 && strings.HasPrefix(got, "orders-orders") }},
		"129 characters are shortened": {name: strings.Repeat("b", 129), want: func(got string) bool { return len(got) <= 128 }},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := defaultDisplayName(tc.name)
			if !tc.want(got) || got != defaultDisplayName(tc.name) {
				t.Errorf("defaultDisplayName(%d characters) = %q (%d)", len(tc.name), got, len(got))
			}
		})
	}
	if a, b := defaultDisplayName(long+"a"), defaultDisplayName(long+"b"); a == b {
		t.Errorf("two long names sharing their first 128 characters got the same display name %q", a)
	}
}

func TestHeaderSafe(t *testing.T) {
	ref := v1.SecretKeySelector{Name: "tokens", Key: "bearer"}
	for value, ok := range map[string]bool{
		"plain-token":        true,
		"with\ttab":          true,
		"trailing\n":         false,
		"split\r\nX-Evil: 1": false,
		"nul\x00":            false,
		"del\x7f":            false,
	} {
		err := headerSafe(ref, value)
		if (err == nil) != ok {
			t.Errorf("headerSafe(%q) = %v, want accepted %v", value, err, ok)
		}
		if err != nil && (!strings.Contains(err.Error(), `key "bearer" of Secret "tokens"`) || strings.Contains(err.Error(), value)) {
			t.Errorf("message %q must name the Secret and key and never the value", err.Error())
		}
	}
}
