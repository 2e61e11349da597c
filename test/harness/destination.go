// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package harness

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
)

// ReadyForGeneration reports a Destination whose Ready condition is True for its current generation, given its
// generation, its status.observedGeneration and its conditions.
func ReadyForGeneration(generation, observedGeneration int64, conditions []metav1.Condition) bool {
	ready := meta.FindStatusCondition(conditions, v1.ConditionReady)
	return ready != nil && ready.Status == metav1.ConditionTrue && ready.ObservedGeneration == generation &&
		observedGeneration == generation
}
