// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/labels"
)

func TestParseSecretReferenceLabel(t *testing.T) {
	tests := map[string]struct {
		flag    string
		matches map[string]string
		refuses map[string]string
		err     string
	}{
		"empty is no restriction": {flag: ""},
		"key and value": {flag: "hookstream.io/sendable=true", matches: map[string]string{"hookstream.io/sendable": "true"},
			refuses: map[string]string{"hookstream.io/sendable": "false"}},
		"empty value":    {flag: "team=", matches: map[string]string{"team": ""}, refuses: map[string]string{"other": "x"}},
		"no equals sign": {flag: "hookstream.io/sendable", err: "want KEY=VALUE"},
		"invalid key":    {flag: "bad key=x", err: "invalid --secret-reference-label"},
		"invalid value":  {flag: "team=a b", err: "invalid --secret-reference-label"},
		"two labels":     {flag: "a=b,c=d", err: "invalid --secret-reference-label"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			sel, err := parseSecretReferenceLabel(tc.flag)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.flag == "" {
				if sel != nil {
					t.Fatalf("selector %v, want none", sel)
				}
				return
			}
			if !sel.Matches(labels.Set(tc.matches)) {
				t.Errorf("%v does not match %v", sel, tc.matches)
			}
			if sel.Matches(labels.Set(tc.refuses)) {
				t.Errorf("%v matches %v", sel, tc.refuses)
			}
		})
	}
}
