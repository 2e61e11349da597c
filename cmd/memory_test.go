// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import "testing"

func TestSoftMemoryLimit(t *testing.T) {
	tests := map[string]struct {
		flag       string
		gomemlimit bool
		want       int64
		wantErr    bool
	}{
		"no flag":                    {flag: "", want: 0},
		"zero":                       {flag: "0", want: 0},
		"256Mi":                      {flag: "256Mi", want: 256 << 20 * 9 / 10},
		"bytes, as the Downward API": {flag: "268435456", want: 256 << 20 * 9 / 10},
		"GOMEMLIMIT wins":            {flag: "256Mi", gomemlimit: true, want: 0},
		"not a quantity":             {flag: "lots", wantErr: true},
		"negative":                   {flag: "-1Gi", wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := softMemoryLimit(tc.flag, tc.gomemlimit)
			if (err != nil) != tc.wantErr {
				t.Fatalf("softMemoryLimit(%q) error = %v, want error %v", tc.flag, err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("softMemoryLimit(%q) = %d, want %d", tc.flag, got, tc.want)
			}
		})
	}
}
