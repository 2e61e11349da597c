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
