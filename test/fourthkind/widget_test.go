// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0
package fourthkind

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/managed"
	"github.com/hookstream/hookstream-operator/test/testenv"
)

// widgetCRD is the Widget's CustomResourceDefinition (controller-gen writes it for a kind of api/v1alpha1).
func widgetCRD() *apiextensionsv1.CustomResourceDefinition {
	open := &apiextensionsv1.JSONSchemaProps{Type: "object", XPreserveUnknownFields: new(true)}
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "widgets." + GroupVersion.Group},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: GroupVersion.Group,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Kind: "Widget", ListKind: "WidgetList", Plural: "widgets",
				Singular: "widget"},
			Scope: apiextensionsv1.NamespaceScoped,
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: GroupVersion.Version, Served: true, Storage: true,
				Subresources: &apiextensionsv1.CustomResourceSubresources{Status: &apiextensionsv1.CustomResourceSubresourceStatus{}},
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type:       "object",
					Properties: map[string]apiextensionsv1.JSONSchemaProps{"spec": *open, "status": *open},
				}},
			}},
		},
	}
}

// TestWidgetReconciles runs the fourth kind on a real API server: create, update, drift correction and deletion,
// through the machinery alone.
func TestWidgetReconciles(t *testing.T) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Fatal("KUBEBUILDER_ASSETS is not set: run the tests with `make test`, or export KUBEBUILDER_ASSETS=$(make -s envtest-assets)")
	}
	env, err := testenv.New()
	if err != nil {
		t.Fatal(err)
	}
	if err := SchemeBuilder.AddToScheme(env.Scheme); err != nil {
		t.Fatal(err)
	}
	env.CRDs = append(env.CRDs, widgetCRD())
	if _, err := env.Start(); err != nil {
		_ = env.Stop()
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })

	mgr, err := ctrl.NewManager(env.Config, ctrl.Options{Scheme: env.Scheme, Metrics: metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0", Controller: config.Controller{SkipNameValidation: new(true)}})
	if err != nil {
		t.Fatal(err)
	}
	store := newWidgetStore()
	rec := managed.NewReconciler(mgr.GetClient(), mgr.GetClient(), mgr.GetAPIReader(), mgr.GetEventRecorder("fourthkind"),
		widgetDefinition(store), managed.Options{DefaultCredentialsSecret: "hookstream-credentials", DriftInterval: time.Hour})
	if err := rec.SetupWithManager(mgr, 1, func() client.ObjectList { return &WidgetList{} }); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := mgr.Start(ctx); err != nil {
			t.Errorf("manager: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })

	k8s, err := client.New(env.Config, client.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	ns := "widgets"
	for _, obj := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "hookstream-credentials"},
			StringData: map[string]string{v1.CredentialsKey: "hs_test_widgets"}},
	} {
		if err := k8s.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	key := client.ObjectKey{Namespace: ns, Name: "blue"}
	w := &Widget{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: key.Name}, Spec: WidgetSpec{Color: "blue"}}
	if err := k8s.Create(ctx, w); err != nil {
		t.Fatal(err)
	}

	// Created: Ready, the id recorded, the remote widget blue.
	stored := waitFor(t, k8s, key, "Ready with the remote colour blue", func(w *Widget) bool {
		return ready(w) && w.Status.Color == "blue" && w.Status.ID != ""
	})
	id := stored.Status.ID
	if rows := store.snapshot(); len(rows) != 1 || rows[id].Color != "blue" || rows[id].Name != "widgets/blue" {
		t.Fatalf("remote widgets %+v, want one blue widgets/blue with id %s", rows, id)
	}

	// Updated: the spec's change reaches the remote widget.
	patch(t, k8s, stored, func(w *Widget) { w.Spec.Color = "red" })
	waitFor(t, k8s, key, "the remote colour red", func(w *Widget) bool {
		return ready(w) && w.Status.Color == "red" && w.Status.ObservedGeneration == w.Generation
	})
	if got := store.snapshot()[id].Color; got != "red" {
		t.Fatalf("remote colour %q after the update, want red", got)
	}

	// Corrected: a change behind the operator's back is reverted at the next check (asked for by annotation).
	store.set(id, "green")
	stored = waitFor(t, k8s, key, "still red", func(*Widget) bool { return true })
	patch(t, k8s, stored, func(w *Widget) {
		metav1.SetMetaDataAnnotation(&w.ObjectMeta, v1.AnnotationReconcileRequestedAt, time.Now().UTC().Format(time.RFC3339Nano))
	})
	if err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		return store.snapshot()[id].Color == "red", nil
	}); err != nil {
		t.Fatalf("the remote colour stayed %q: drift not corrected", store.snapshot()[id].Color)
	}

	// Deleted: the remote widget goes with the object.
	if err := k8s.Delete(ctx, stored); err != nil {
		t.Fatal(err)
	}
	if err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		return apierrors.IsNotFound(k8s.Get(ctx, key, &Widget{})), nil
	}); err != nil {
		t.Fatal("the Widget is still there")
	}
	if rows := store.snapshot(); len(rows) != 0 {
		t.Fatalf("remote widgets %+v after the deletion, want none", rows)
	}
}

func ready(w *Widget) bool {
	return meta.IsStatusConditionTrue(w.Status.Conditions, v1.ConditionReady)
}

// waitFor waits until the stored Widget satisfies ok, and returns it.
func waitFor(t *testing.T, k8s client.Client, key client.ObjectKey, what string, ok func(*Widget) bool) *Widget {
	t.Helper()
	var w Widget
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 30*time.Second, true,
		func(ctx context.Context) (bool, error) {
			if err := k8s.Get(ctx, key, &w); err != nil {
				return false, client.IgnoreNotFound(err)
			}
			return ok(&w), nil
		})
	if err != nil {
		t.Fatalf("waiting for %s: %v (status %+v)", what, err, w.Status)
	}
	return &w
}

// patch changes the Widget with a merge patch.
func patch(t *testing.T, k8s client.Client, w *Widget, change func(*Widget)) {
	t.Helper()
	changed := w.DeepCopyObject().(*Widget)
	change(changed)
	if err := k8s.Patch(context.Background(), changed, client.MergeFrom(w)); err != nil {
		t.Fatal(fmt.Errorf("patching the Widget: %w", err))
	}
}
