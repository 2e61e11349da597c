// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0
package plugin

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
)

// TestDiffPruneListsWhatNobodyManages: a destination made by hand in the dashboard, beside an exported project,
// is the one remote resource diff --prune lists; an object of the cluster that holds its id, or an export of just
// it added to the manifests, manages it.
func TestDiffPruneListsWhatNobodyManages(t *testing.T) {
	ctx := context.Background()
	_, hs := newEmulator(t)
	createFixtures(t, hs)
	dir := t.TempDir()
	exp, err := ExportProject(ctx, hs, ExportOptions{Namespace: "team"})
	if err != nil {
		t.Fatal(err)
	}
	writeExport(t, dir, exp)
	opts := &DiffOptions{Namespace: "team", Hookstream: hs, APIKey: testAPIKey}

	diffs, _, _ := runDiff(t, opts, dir)
	unowned, err := FindUnowned(ctx, diffs, *opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(unowned) != 0 {
		t.Fatalf("an exported project has unmanaged resources: %+v", unowned)
	}

	byHand, err := hs.CreateDestination(ctx, &hookstream.CreateRequest{Name: "Made by hand", Slug: "by-hand", Type: "http",
		URL: "https://by-hand.example.com/"})
	if err != nil {
		t.Fatal(err)
	}
	unowned, err = FindUnowned(ctx, diffs, *opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(unowned) != 1 || unowned[0].Row.ID != byHand.ID || unowned[0].Remote != "destination" {
		t.Fatalf("unowned %+v, want the destination made by hand %s", unowned, byHand.ID)
	}
	var out bytes.Buffer
	if !PrintUnowned(&out, "team", unowned) {
		t.Error("PrintUnowned reports nothing to prune")
	}
	for _, want := range []string{"destination " + byHand.ID + " (slug by-hand)",
		"kubectl hookstream export -n team --id " + byHand.ID + " --output DIR"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}

	// An object of the cluster with that id manages it.
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = v1.AddToScheme(scheme)
	live := &v1.Destination{}
	live.Name, live.Namespace, live.Status.ID = "elsewhere", "other-team", byHand.ID
	withCluster := *opts
	withCluster.Cluster = fake.NewClientBuilder().WithScheme(scheme).WithObjects(live).Build()
	if unowned, err := FindUnowned(ctx, diffs, withCluster); err != nil || len(unowned) != 0 {
		t.Errorf("with a cluster object holding its id: unowned %+v, %v", unowned, err)
	}

	// The export of just that one, added to the manifests, adopts it.
	only, err := ExportProject(ctx, hs, ExportOptions{Namespace: "team", IDs: []string{byHand.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if len(only.Destinations) != 1 || len(only.Sources)+len(only.Connections) != 0 ||
		only.Destinations[0].Spec.AdoptID != byHand.ID {
		t.Fatalf("export --id %s: %d destinations, %d sources, %d connections", byHand.ID, len(only.Destinations),
			len(only.Sources), len(only.Connections))
	}
	adopted := t.TempDir()
	writeExport(t, adopted, only)
	diffs, _, _ = runDiff(t, opts, dir, adopted)
	if unowned, err := FindUnowned(ctx, diffs, *opts); err != nil || len(unowned) != 0 {
		t.Errorf("with the export of %s added: unowned %+v, %v", byHand.ID, unowned, err)
	}

	if _, err := ExportProject(ctx, hs, ExportOptions{Namespace: "team", IDs: []string{"d_nothing"}}); err == nil ||
		!strings.Contains(err.Error(), "d_nothing") {
		t.Errorf("export of an id the project lacks: %v, want an error naming it", err)
	}
}

func writeExport(t *testing.T, dir string, exp *Export) {
	t.Helper()
	files, err := exp.Files()
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteFiles(dir, files); err != nil {
		t.Fatal(err)
	}
}
