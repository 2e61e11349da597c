// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
)

// parseSecretReferenceLabel reads --secret-reference-label, KEY=VALUE: the label every Secret a spec references must
// carry for its values to be sent. Empty is no restriction (nil).
func parseSecretReferenceLabel(flag string) (labels.Selector, error) {
	if strings.TrimSpace(flag) == "" {
		return nil, nil
	}
	key, value, ok := strings.Cut(flag, "=")
	if !ok {
		return nil, fmt.Errorf("invalid --secret-reference-label %q: want KEY=VALUE, such as hookstream.io/sendable=true",
			flag)
	}
	req, err := labels.NewRequirement(key, selection.Equals, []string{value})
	if err != nil {
		return nil, fmt.Errorf("invalid --secret-reference-label %q: %w", flag, err)
	}
	return labels.NewSelector().Add(*req), nil
}
