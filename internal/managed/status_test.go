// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0
package managed

import (
	"testing"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
)

func TestIsSettled(t *testing.T) {
	tests := map[string]struct {
		set  func(d *v1.Destination)
		want bool
	}{
		"ready for this generation": {set: func(d *v1.Destination) { SetAvailable(d, "destination") }, want: true},
		"stalled":                   {set: func(d *v1.Destination) { SetStalled(d, v1.ReasonInvalidSpec, "m") }, want: true},
		"rate limited after a spec change": {set: func(d *v1.Destination) {
			SetAvailable(d, "destination")
			d.Status.ObservedGeneration = 1
			d.Generation = 2
			SetRetrying(d, v1.ReasonRateLimited, "m")
		}, want: false},
		"ready for an older generation (a failed write of the new one)": {set: func(d *v1.Destination) {
			SetAvailable(d, "destination")
			d.Generation = 2
		}, want: false},
		"nothing happened yet": {set: func(*v1.Destination) {}, want: false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			d := &v1.Destination{}
			d.Generation = 1
			tc.set(d)
			if got := isSettled(d); got != tc.want {
				t.Errorf("isSettled = %v, want %v (conditions %+v)", got, tc.want, d.Status.Conditions)
			}
		})
	}
}
