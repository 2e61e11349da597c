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
