// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/labels"

	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/controller"
	"github.com/hookstream/hookstream-operator/test/testenv"
)

func TestParseShard(t *testing.T) {
	tests := map[string]struct {
		expr      string
		canonical string // "" for no shard
		wantErr   string
		selects   map[string]string
		skips     map[string]string
	}{
		"unset":          {expr: ""},
		"blank":          {expr: "  "},
		"one label":      {expr: "hookstream.io/shard=a", canonical: "hookstream.io/shard=a", selects: map[string]string{"hookstream.io/shard": "a"}, skips: map[string]string{"hookstream.io/shard": "b"}},
		"double equals":  {expr: "hookstream.io/shard==a", canonical: "hookstream.io/shard=a"},
		"sorted by key":  {expr: "tier=gold,hookstream.io/shard=a", canonical: "hookstream.io/shard=a,tier=gold"},
		"set based":      {expr: "hookstream.io/shard in (b,a)", canonical: "hookstream.io/shard in (a,b)", selects: map[string]string{"hookstream.io/shard": "b"}},
		"unlabelled":     {expr: "!hookstream.io/shard", canonical: "!hookstream.io/shard", selects: map[string]string{}, skips: map[string]string{"hookstream.io/shard": "a"}},
		"not equal":      {expr: "hookstream.io/shard!=a", canonical: "hookstream.io/shard!=a", selects: map[string]string{}},
		"invalid":        {expr: "hookstream.io/shard=a b", wantErr: `invalid --watch-selector "hookstream.io/shard=a b"`},
		"invalid key":    {expr: "-bad-=a", wantErr: "invalid --watch-selector"},
		"invalid value":  {expr: "shard=" + strings.Repeat("x", 64), wantErr: "invalid --watch-selector"},
		"unclosed paren": {expr: "shard in (a", wantErr: "invalid --watch-selector"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			sel, err := parseShard(tc.expr)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("parseShard(%q) error = %v, want one containing %q", tc.expr, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseShard(%q): %v", tc.expr, err)
			}
			got := ""
			if sel != nil {
				got = sel.String()
			}
			if got != tc.canonical {
				t.Errorf("parseShard(%q) = %q, want %q", tc.expr, got, tc.canonical)
			}
			if tc.selects != nil && !sel.Matches(labels.Set(tc.selects)) {
				t.Errorf("%q does not select %v", got, tc.selects)
			}
			if tc.skips != nil && sel.Matches(labels.Set(tc.skips)) {
				t.Errorf("%q selects %v", got, tc.skips)
			}
		})
	}
}

func TestLeaderElectionID(t *testing.T) {
	dnsLabel := regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	tests := map[string]struct {
		explicit, selector string
		want               string // exact name; "" checks the form only
		prefix             string
	}{
		"unsharded":                  {want: defaultLeaderElectionID},
		"explicit":                   {explicit: "payments-operator", want: "payments-operator"},
		"explicit wins over a shard": {explicit: "payments-operator", selector: "hookstream.io/shard=a", want: "payments-operator"},
		"shard a":                    {selector: "hookstream.io/shard=a", prefix: "hookstream-operator-hookstream-io-shard-a-"},
		"set based":                  {selector: "hookstream.io/shard in (a,b)", prefix: "hookstream-operator-hookstream-io-shard-in-a-b-"},
		"unlabelled":                 {selector: "!hookstream.io/shard", prefix: "hookstream-operator-hookstream-io-shard-"},
		"long selector is shortened": {selector: "example.com/team=" + strings.Repeat("payments", 7) + ",hookstream.io/shard=a", prefix: "hookstream-operator-example-com-team-payments"},
		"punctuation becomes dashes": {selector: "a.b/c-d=e_f", prefix: "hookstream-operator-a-b-c-d-e-f-"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			sel, err := parseShard(tc.selector)
			if err != nil {
				t.Fatal(err)
			}
			got := leaderElectionID(tc.explicit, sel)
			if tc.want != "" {
				if got != tc.want {
					t.Errorf("leaderElectionID = %q, want %q", got, tc.want)
				}
				return
			}
			if len(got) > maxLeaseName || !dnsLabel.MatchString(got) {
				t.Errorf("lease %q is not a DNS label of at most %d characters", got, maxLeaseName)
			}
			if !strings.HasPrefix(got, tc.prefix) {
				t.Errorf("lease %q does not start with %q", got, tc.prefix)
			}
		})
	}
}

// TestShardLeases checks the two promises of the lease names: replicas of one shard share a lease whatever the
// spelling of its selector, and no two shards share one.
func TestShardLeases(t *testing.T) {
	lease := func(expr string) string {
		sel, err := parseShard(expr)
		if err != nil {
			t.Fatal(err)
		}
		return leaderElectionID("", sel)
	}
	same := [][]string{
		{"hookstream.io/shard=a", "hookstream.io/shard==a", " hookstream.io/shard = a "},
		{"tier=gold,hookstream.io/shard=a", "hookstream.io/shard=a,tier=gold"},
		{"hookstream.io/shard in (a,b)", "hookstream.io/shard in (b,a)"},
	}
	for _, spellings := range same {
		for _, s := range spellings[1:] {
			if lease(s) != lease(spellings[0]) {
				t.Errorf("%q and %q are one shard but have the leases %q and %q", spellings[0], s, lease(spellings[0]), lease(s))
			}
		}
	}
	long := "example.com/team=" + strings.Repeat("payments", 7)
	distinct := []string{"", "hookstream.io/shard=a", "hookstream.io/shard=b", "hookstream.io/shard!=a", "!hookstream.io/shard",
		"hookstream.io/shard", "hookstream.io/shard-a", "hookstream.io/shard in (a,b)", long + ",hookstream.io/shard=a",
		long + ",hookstream.io/shard=b"}
	seen := map[string]string{}
	for _, s := range distinct {
		l := lease(s)
		if other, dup := seen[l]; dup {
			t.Errorf("the shards %q and %q share the lease %q", other, s, l)
		}
		seen[l] = s
	}
}

func TestShardCache(t *testing.T) {
	if shardCache(nil) != nil {
		t.Error("an unsharded manager restricts its cache")
	}
	sel, err := parseShard("hookstream.io/shard=a")
	if err != nil {
		t.Fatal(err)
	}
	byObject := shardCache(sel)
	var kinds []string
	for obj, cfg := range byObject {
		gvk, err := apiutil.GVKForObject(obj, testenv.Scheme())
		if err != nil || gvk.Group != v1.GroupVersion.Group {
			// Secrets and ConfigMaps carry no shard label: restricting them would hide the ones objects reference.
			t.Errorf("the cache of %T is restricted", obj)
			continue
		}
		kinds = append(kinds, gvk.Kind)
		if cfg.Label == nil || cfg.Label.String() != "hookstream.io/shard=a" {
			t.Errorf("the cache of %T is restricted to %v, want the shard's selector", obj, cfg.Label)
		}
	}
	// Every kind of the API: a kind missing here would be reconciled by every shard.
	slices.Sort(kinds)
	if want := controller.APIKinds(); !slices.Equal(kinds, want) {
		t.Errorf("restricted kinds %v, want every kind of the API %v", kinds, want)
	}
}
