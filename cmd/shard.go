// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/hookstream/hookstream-operator/internal/controller"
)

// defaultLeaderElectionID is the lease of an unsharded manager.
const defaultLeaderElectionID = "hookstream-operator.hookstream.io"

// parseShard parses --watch-selector into the shard's label selector in canonical form; nil (no shard) for an
// empty one. "k==v" is written "k=v", so that both spellings of one shard share one lease.
func parseShard(expr string) (labels.Selector, error) {
	if strings.TrimSpace(expr) == "" {
		return nil, nil
	}
	sel, err := labels.Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("invalid --watch-selector %q (a label selector such as hookstream.io/shard=a): %w", expr, err)
	}
	reqs, _ := sel.Requirements()
	if len(reqs) == 0 {
		return nil, nil
	}
	canonical := labels.NewSelector()
	for _, r := range reqs {
		if r.Operator() == selection.DoubleEquals {
			eq, err := labels.NewRequirement(r.Key(), selection.Equals, r.Values().List())
			if err != nil {
				return nil, fmt.Errorf("invalid --watch-selector %q: %w", expr, err)
			}
			r = *eq
		}
		canonical = canonical.Add(r)
	}
	return canonical, nil
}

// leaseNamePrefix starts every shard's lease name; leaseHashLen hex digits of the selector's hash end it.
const (
	leaseNamePrefix = "hookstream-operator-"
	leaseHashLen    = 8
	// maxLeaseName keeps a derived lease name a DNS label, readable in kubectl get leases.
	maxLeaseName = 63
)

// shardLeaseName is the lease of a shard: the selector in DNS-1123 form, shortened when long, and a hash of the
// canonical selector, so that every shard has its own lease and every replica of one shard the same.
func shardLeaseName(shard labels.Selector) string {
	canonical := shard.String()
	sum := sha256.Sum256([]byte(canonical))
	hash := hex.EncodeToString(sum[:])[:leaseHashLen]

	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(canonical) {
		if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') {
			b.WriteRune(c)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	readable := strings.TrimRight(b.String(), "-")
	if room := maxLeaseName - len(leaseNamePrefix) - 1 - leaseHashLen; len(readable) > room {
		readable = strings.TrimRight(readable[:room], "-")
	}
	if readable == "" {
		return leaseNamePrefix + hash
	}
	return leaseNamePrefix + readable + "-" + hash
}

// leaderElectionID returns the lease to elect a leader with: the one set with --leader-election-id, else the
// shard's, else the unsharded default.
func leaderElectionID(explicit string, shard labels.Selector) string {
	switch {
	case explicit != "":
		return explicit
	case shard != nil:
		return shardLeaseName(shard)
	}
	return defaultLeaderElectionID
}

// shardCache restricts the cache of the managed kinds to the shard. Secrets and ConfigMaps are not restricted:
// the objects of a shard reference ones that carry no shard label.
func shardCache(shard labels.Selector) map[client.Object]cache.ByObject {
	if shard == nil {
		return nil
	}
	byObject := map[client.Object]cache.ByObject{}
	for _, k := range controller.Kinds {
		byObject[k.New()] = cache.ByObject{Label: shard}
	}
	return byObject
}
