// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package managed

import (
	"errors"
	"math"
	"time"
)

// The bounds of the automatic number of workers per kind, and how long a reconcile that writes holds its worker:
// about one hookstream round trip plus two Kubernetes writes.
const (
	minWorkers = 4
	maxWorkers = 32
	workerHold = 250 * time.Millisecond
)

// Workers is the number of objects of each kind reconciled in parallel (--max-concurrent-reconciles): flag when
// positive; when 0, as many as the hookstream rate budget of an API key (rateLimit, requests per second) can keep
// busy, ceil(rateLimit × 250 ms), at least 4 and at most 32. More workers than the budget feeds would only
// wait on the rate limiter, and idle workers cost nothing, since workers only run while the queue holds objects.
// A rateLimit of 0 or less means no limit, hence 32. A negative flag is an error.
func Workers(rateLimit float64, flag int) (int, error) {
	switch {
	case flag < 0:
		return 0, errors.New("--max-concurrent-reconciles must not be negative (0: follow --hookstream-rate-limit)")
	case flag > 0:
		return flag, nil
	case rateLimit <= 0:
		return maxWorkers, nil
	}
	// Compared as floats, so that an infinite or huge rate cannot overflow the conversion.
	n := math.Ceil(rateLimit * workerHold.Seconds())
	switch {
	case n >= maxWorkers:
		return maxWorkers, nil
	case n > minWorkers:
		return int(n), nil
	default: // also NaN
		return minWorkers, nil
	}
}
