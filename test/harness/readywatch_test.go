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
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
)

func readyItem(name string, generation int64, ready metav1.ConditionStatus) *ReadyItem {
	it := &ReadyItem{}
	it.Metadata.Name, it.Metadata.Generation = name, generation
	it.Status.ObservedGeneration = generation
	if ready != "" {
		it.Status.Conditions = []metav1.Condition{{Type: v1.ConditionReady, Status: ready, Reason: "R" + string(ready),
			ObservedGeneration: generation}}
	}
	return it
}

func TestReadyWatchCountsFlaps(t *testing.T) {
	w := &ReadyWatch{ready: map[string]bool{}, status: map[string]metav1.ConditionStatus{}}
	w.observe("ADDED", readyItem("a", 1, ""))                       // not Ready yet: no flap
	w.observe("MODIFIED", readyItem("a", 1, metav1.ConditionFalse)) // never True before: no flap
	w.observe("MODIFIED", readyItem("a", 1, metav1.ConditionTrue))
	w.observe("ADDED", readyItem("b", 1, metav1.ConditionTrue))
	w.observe("MODIFIED", readyItem("b", 2, metav1.ConditionTrue))    // a new generation not yet observed: no flap
	w.observe("MODIFIED", readyItem("a", 1, metav1.ConditionUnknown)) // flap
	w.observe("MODIFIED", readyItem("a", 1, metav1.ConditionTrue))
	w.observe("MODIFIED", readyItem("a", 1, ""))                  // the condition went away: flap
	w.observe("DELETED", readyItem("b", 2, metav1.ConditionTrue)) // a deletion is no flap
	ready, events, _, _ := w.State()
	if ready != 0 || events != 9 {
		t.Errorf("ready %d, events %d; want 0 and 9", ready, events)
	}
	flaps := w.Flaps()
	if len(flaps) != 2 || flaps[0].Name != "a" || flaps[0].Status != metav1.ConditionUnknown ||
		flaps[0].Reason != "RUnknown" || flaps[1].Status != "" {
		t.Errorf("flaps %+v; want a to Unknown, then a without a Ready condition", flaps)
	}
}
