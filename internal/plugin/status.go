// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/controller"
)

// StatusRow is one hookstream object as `kubectl hookstream status` shows it.
type StatusRow struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	ID        string `json:"id"`
	State     string `json:"state"`
	Ready     string `json:"ready"`
	Reason    string `json:"reason"`
	Message   string `json:"message"`
	// Drift lists the remote fields that differ from the spec (status.drift), secret values hidden.
	Drift []v1.FieldDrift `json:"drift"`
	// LastActivity is a Destination's lastDeliveryAt, a Source's or Connection's lastEventAt.
	LastActivity string `json:"lastActivity"`
	// Delivering is a Destination's Delivering condition; nil when the status has none.
	Delivering *ConditionSummary `json:"delivering,omitempty"`
	// Circuit is a Destination's status.circuit.state, when the status has it.
	Circuit string `json:"circuit,omitempty"`
}

// ConditionSummary is a condition's status and reason.
type ConditionSummary struct {
	Status  string `json:"status"`
	Reason  string `json:"reason"`
	Message string `json:"message,omitempty"`
}

// CollectStatus lists every hookstream object of the namespace ("" for all namespaces), sorted by kind, namespace
// and name. The status is read as stored, field by field, so that fields this version does not know still show.
func CollectStatus(ctx context.Context, c client.Reader, namespace string) ([]StatusRow, error) {
	rows := []StatusRow{}
	err := listObjects(ctx, c, namespace, func(kind string, u *unstructured.Unstructured) {
		rows = append(rows, statusRow(kind, controller.Kinds[kindRank(kind)].LastActivity, u))
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(rows, func(a, b StatusRow) int {
		return cmp.Or(kindRank(a.Kind)-kindRank(b.Kind), strings.Compare(a.Namespace, b.Namespace), strings.Compare(a.Name, b.Name))
	})
	return rows, nil
}

// listObjects calls each for every Destination, Source and Connection of the namespace ("" for all namespaces), as
// stored; a kind whose CRD is not installed has none.
func listObjects(ctx context.Context, c client.Reader, namespace string, each func(kind string, u *unstructured.Unstructured)) error {
	for _, k := range controller.Kinds {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(v1.GroupVersion.WithKind(k.Kind + "List"))
		if err := c.List(ctx, list, client.InNamespace(namespace)); err != nil {
			if meta.IsNoMatchError(err) {
				continue
			}
			return fmt.Errorf("listing %s: %w", k.Resource, err)
		}
		for i := range list.Items {
			each(k.Kind, &list.Items[i])
		}
	}
	return nil
}

func kindRank(kind string) int {
	return slices.IndexFunc(controller.Kinds, func(k controller.Registered) bool { return k.Kind == kind })
}

func statusRow(kind, lastActivity string, u *unstructured.Unstructured) StatusRow {
	str := func(fields ...string) string {
		v, _, _ := unstructured.NestedString(u.Object, append([]string{"status"}, fields...)...)
		return v
	}
	row := StatusRow{Kind: kind, Namespace: u.GetNamespace(), Name: u.GetName(), ID: str("id"), State: str("state"),
		LastActivity: str(lastActivity), Circuit: str("circuit", "state"), Drift: []v1.FieldDrift{}}
	if ready := condition(u, v1.ConditionReady); ready != nil {
		row.Ready, row.Reason, row.Message = ready.Status, ready.Reason, ready.Message
	}
	if kind == kindDestination {
		row.Delivering = condition(u, v1.ConditionDelivering)
	}
	drift, _, _ := unstructured.NestedSlice(u.Object, "status", "drift")
	for _, d := range drift {
		m, _ := d.(map[string]any)
		f := v1.FieldDrift{}
		f.Field, _ = m["field"].(string)
		f.Desired, _ = m["desired"].(string)
		f.Observed, _ = m["observed"].(string)
		row.Drift = append(row.Drift, f)
	}
	return row
}

func condition(u *unstructured.Unstructured, conditionType string) *ConditionSummary {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] != conditionType {
			continue
		}
		s := &ConditionSummary{}
		s.Status, _ = m["status"].(string)
		s.Reason, _ = m["reason"].(string)
		s.Message, _ = m["message"].(string)
		return s
	}
	return nil
}

// PrintStatus writes the rows as a table, with a NAMESPACE column when allNamespaces.
func PrintStatus(w io.Writer, rows []StatusRow, allNamespaces bool) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	header := []string{"KIND", "NAME", "ID", "STATE", "READY", "REASON", "DRIFT", "LAST ACTIVITY", "DELIVERY"}
	if allNamespaces {
		header = slices.Insert(header, 1, "NAMESPACE")
	}
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	dash := func(s string) string { return cmp.Or(s, "-") }
	for _, r := range rows {
		drift := make([]string, 0, len(r.Drift))
		for _, d := range r.Drift {
			drift = append(drift, d.Field)
		}
		delivery := "-"
		if d := r.Delivering; d != nil {
			delivery = d.Status
			if d.Reason != "" {
				delivery += " (" + d.Reason + ")"
			}
		}
		if r.Circuit != "" {
			delivery += ", circuit " + r.Circuit
			delivery = strings.TrimPrefix(delivery, "-, ")
		}
		cols := []string{r.Kind, r.Name, dash(r.ID), dash(r.State), dash(r.Ready), dash(r.Reason),
			dash(strings.Join(drift, ",")), dash(r.LastActivity), delivery}
		if allNamespaces {
			cols = slices.Insert(cols, 1, r.Namespace)
		}
		fmt.Fprintln(tw, strings.Join(cols, "\t"))
	}
	return tw.Flush()
}

// PrintStatusJSON writes the rows as one JSON array, in the table's order.
func PrintStatusJSON(w io.Writer, rows []StatusRow) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rows)
}
