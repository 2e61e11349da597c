// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package managed

import (
	"math"
	"testing"
)

func TestWorkers(t *testing.T) {
	tests := map[string]struct {
		rateLimit float64
		flag      int
		want      int
		wantErr   bool
	}{
		"default rate":                {rateLimit: 10, want: 4},
		"slow key":                    {rateLimit: 1, want: 4},
		"rate filling the minimum":    {rateLimit: 16, want: 4},
		"just above the minimum":      {rateLimit: 16.1, want: 5},
		"fractional rate rounds up":   {rateLimit: 41, want: 11},
		"rate 100":                    {rateLimit: 100, want: 25},
		"rate filling the maximum":    {rateLimit: 128, want: 32},
		"rate above the maximum":      {rateLimit: 1000, want: 32},
		"huge rate":                   {rateLimit: math.MaxFloat64, want: 32},
		"infinite rate":               {rateLimit: math.Inf(1), want: 32},
		"no limit (0)":                {rateLimit: 0, want: 32},
		"no limit (negative)":         {rateLimit: -1, want: 32},
		"not a number":                {rateLimit: math.NaN(), want: 4},
		"explicit":                    {rateLimit: 10, flag: 8, want: 8},
		"explicit below the minimum":  {rateLimit: 1000, flag: 1, want: 1},
		"explicit above the maximum":  {rateLimit: 10, flag: 64, want: 64},
		"explicit without rate limit": {rateLimit: 0, flag: 2, want: 2},
		"negative":                    {rateLimit: 10, flag: -1, wantErr: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := Workers(tt.rateLimit, tt.flag)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Workers(%g, %d) error %v, want error %t", tt.rateLimit, tt.flag, err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Errorf("Workers(%g, %d) = %d, want %d", tt.rateLimit, tt.flag, got, tt.want)
			}
		})
	}
}
