// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
)

const (
	maxSlugLength  = 64
	slugHashLength = 8
	// maxNameLength is the contract's limit of a remote resource's display name.
	maxNameLength = 128
)

var slugInvalidRun = regexp.MustCompile(`[^a-z0-9-]+`)

// destinationSlug is the slug of a Destination: spec.slug, else one derived from namespace and name. The derived
// slug is deterministic, so it is the natural key that finds the remote destination again after a lost status.
func destinationSlug(d *v1.Destination) string { return objectSlug(d.Spec.Slug, d.Namespace, d.Name) }

// sourceSlug is the slug of a Source, derived as for Destinations.
func sourceSlug(s *v1.Source) string { return objectSlug(s.Spec.Slug, s.Namespace, s.Name) }

func objectSlug(specSlug, namespace, name string) string {
	if specSlug != "" {
		return specSlug
	}
	return defaultSlug(namespace, name)
}

// defaultSlug returns "<namespace>-<name>-<hash>" in slug form. The hash of the exact pair is always there: joining
// with a dash is ambiguous ("a-b"/"c" and "a"/"b-c"), and two Destinations sharing a slug would share, or after a
// crash adopt, each other's remote destination. Long pairs are shortened to fit 64 characters.
func defaultSlug(namespace, name string) string {
	sum := sha256.Sum256([]byte(namespace + "/" + name))
	suffix := hex.EncodeToString(sum[:])[:slugHashLength]
	slug := strings.Trim(slugInvalidRun.ReplaceAllString(strings.ToLower(namespace+"-"+name), "-"), "-")
	if keep := maxSlugLength - len(suffix) - 1; len(slug) > keep {
		slug = strings.TrimRight(slug[:keep], "-")
	}
	return slug + "-" + suffix
}

// defaultDisplayName is the remote name of an object without spec.displayName: its Kubernetes name, which may be up
// to 253 characters, shortened deterministically to the contract's 128 with a hash of the whole name, so that two
// long names that share a beginning stay apart.
func defaultDisplayName(name string) string {
	if len(name) <= maxNameLength {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	suffix := hex.EncodeToString(sum[:])[:slugHashLength]
	return strings.TrimRight(name[:maxNameLength-len(suffix)-1], "-.") + "-" + suffix
}
