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
