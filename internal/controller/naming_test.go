// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"regexp"
	"strings"
	"testing"
)

func TestDefaultSlug(t *testing.T) {
	valid := regexp.MustCompile(`^[a-z0-9-]{1,64}$`)
	long := strings.Repeat("a", 63)
	tests := map[string]struct {
		namespace, name string
		want            string // exact value, or "" to check only the rules
	}{
		"plain":                  {namespace: "payments", name: "orders", want: "payments-orders-9c633e19"},
		"dots get a hash suffix": {namespace: "payments", name: "orders.v2"},
		"too long":               {namespace: long, name: long},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := defaultSlug(tc.namespace, tc.name)
			if !valid.MatchString(got) {
				t.Fatalf("defaultSlug(%q, %q) = %q, which breaks the slug rules", tc.namespace, tc.name, got)
			}
			if tc.want != "" && got != tc.want {
				t.Errorf("defaultSlug(%q, %q) = %q, want %q", tc.namespace, tc.name, got, tc.want)
			}
			if again := defaultSlug(tc.namespace, tc.name); again != got {
				t.Errorf("not deterministic: %q then %q", got, again)
			}
		})
	}
}

func TestDefaultSlugDistinguishesNamesThatNormaliseAlike(t *testing.T) {
	a := defaultSlug("team", "orders.v2")
	b := defaultSlug("team", "orders-v2")
	c := defaultSlug("team-orders", "v2")
	if a == b || b == c || a == c {
		t.Errorf("slugs collide: %q, %q, %q", a, b, c)
	}
	long := strings.Repeat("x", 60)
	if defaultSlug(long, "one") == defaultSlug(long, "two") {
		t.Errorf("truncated slugs of different names collide")
	}
}
