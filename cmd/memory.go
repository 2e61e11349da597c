// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/resource"
)

// softMemoryShare is the share of the container's memory limit the Go runtime is asked to stay under: the garbage
// collector runs more often as the heap nears it, instead of letting the heap grow to twice what is live and the
// container be killed. The rest is for what the runtime does not count (the binary's pages, mostly).
const softMemoryShare = 0.9

// softMemoryLimit returns the Go runtime's soft memory limit for --memory-limit (a quantity such as 256Mi), or 0
// for none: when the flag is empty or zero, or when GOMEMLIMIT is set (it is the runtime's own setting and wins).
func softMemoryLimit(flagValue string, gomemlimitSet bool) (int64, error) {
	if flagValue == "" || gomemlimitSet {
		return 0, nil
	}
	q, err := resource.ParseQuantity(flagValue)
	if err != nil {
		return 0, fmt.Errorf("--memory-limit=%q: %w", flagValue, err)
	}
	if q.Sign() < 0 {
		return 0, fmt.Errorf("--memory-limit=%q: must not be negative", flagValue)
	}
	return int64(float64(q.Value()) * softMemoryShare), nil
}
