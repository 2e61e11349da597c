/*
Copyright 2026.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

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
