// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0
package plugin

import (
	"context"
	"fmt"
	"io"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/hookstream/hookstream-operator/internal/controller"
	"github.com/hookstream/hookstream-operator/internal/managed"
)

// Unowned is a remote resource of the project that no object manages: neither an object of the manifests nor one
// of the cluster maps to it.
type Unowned struct {
	// Remote is hookstream's noun, such as "destination".
	Remote string
	Row    managed.Row
}

// FindUnowned lists the remote resources of the project of opts.Hookstream (the plugin's own key) that no object
// manages: diffs are the plans of the manifests, and the cluster's objects of every kind, in every namespace the
// kubeconfig may list (else in opts.Namespace), add the ids in their status. Nothing is written.
func FindUnowned(ctx context.Context, diffs []ObjectDiff, opts DiffOptions) ([]Unowned, error) {
	owned := map[string]bool{}
	for _, d := range diffs {
		if d.Plan.RemoteID != "" && !d.Plan.Taken {
			owned[d.Plan.RemoteID] = true
		}
	}
	if opts.Cluster != nil {
		if err := addClusterIDs(ctx, opts, owned); err != nil {
			return nil, err
		}
	}
	var out []Unowned
	for _, k := range controller.Kinds {
		for row, err := range k.RemoteRows(ctx, opts.Hookstream) {
			if err != nil {
				return nil, fmt.Errorf("listing the project's %ss: %w", k.Remote, err)
			}
			if !owned[row.ID] {
				out = append(out, Unowned{Remote: k.Remote, Row: row})
			}
		}
	}
	return out, nil
}

// addClusterIDs adds the status.id of every object of the cluster: of all namespaces when the kubeconfig may list
// them, else of the diff's namespace (with a warning: an object of another namespace may manage what is listed).
func addClusterIDs(ctx context.Context, opts DiffOptions, owned map[string]bool) error {
	for _, k := range controller.Kinds {
		list := k.NewList()
		err := opts.Cluster.List(ctx, list)
		if apierrors.IsForbidden(err) {
			if opts.Warn != nil {
				opts.Warn(fmt.Sprintf("cannot list %s in every namespace (%v): only namespace %s counts as managing",
					k.Resource, err, opts.Namespace))
			}
			list = k.NewList()
			err = opts.Cluster.List(ctx, list, client.InNamespace(opts.Namespace))
		}
		if meta.IsNoMatchError(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("listing %s in the cluster: %w", k.Resource, err)
		}
		if err := meta.EachListItem(list, func(o runtime.Object) error {
			if id := o.(managed.Object).GetManagedStatus().ID; id != "" {
				owned[id] = true
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// PrintUnowned writes the unowned remote resources and the export that adopts them; it reports whether there
// were any.
func PrintUnowned(w io.Writer, namespace string, unowned []Unowned) bool {
	if len(unowned) == 0 {
		return false
	}
	fmt.Fprintf(w, "%d remote resources of the project are managed by no object of the manifests or the cluster:\n",
		len(unowned))
	ids := make([]string, 0, len(unowned))
	for _, u := range unowned {
		fmt.Fprintf(w, "  %s %s (%s)\n", u.Remote, u.Row.ID, u.Row.Key)
		ids = append(ids, "--id "+u.Row.ID)
	}
	fmt.Fprintf(w, "To manage them, export manifests that adopt them and add those to the manifests:\n"+
		"  kubectl hookstream export -n %s %s --output DIR\n", namespace, strings.Join(ids, " "))
	return true
}
