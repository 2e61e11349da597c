// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

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
