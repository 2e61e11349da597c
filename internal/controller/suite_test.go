// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/emulator"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/internal/managed"
	"github.com/hookstream/hookstream-operator/test/testenv"
)

// The integration suite runs the reconciler in a real manager against a real kube-apiserver and the emulator.
const (
	testAPIKey  = "hs_test_0000000000000000000000000000000000000000000000000000000000000001"
	otherAPIKey = "hs_test_0000000000000000000000000000000000000000000000000000000000000002"
)

var (
	k8s     client.Client
	emu     *emulator.Server
	emuURL  string
	remote  *hookstream.Client // the test's own view of hookstream, with the same key as the operator
	waitFor = 20 * time.Second
)

func TestMain(m *testing.M) {
	flag.Parse()
	if fuzzing() {
		// Fuzz targets test pure functions; a control plane per fuzz worker would only slow them down.
		os.Exit(m.Run())
	}
	os.Exit(runSuite(m))
}

func fuzzing() bool {
	for _, name := range []string{"test.fuzz", "test.fuzzworker"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" && f.Value.String() != "false" {
			return true
		}
	}
	return false
}

func runSuite(m *testing.M) int {
	logf.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.UseDevMode(true), zap.Level(zapLevel())))
	env, err := testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = env.Stop() }()

	emu, err = emulator.New(emulator.Options{APIKeys: []string{testAPIKey, otherAPIKey}, Admin: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	srv := httptest.NewServer(emu)
	defer srv.Close()
	emuURL = srv.URL + "/v1"
	remote, err = hookstream.New(hookstream.Options{BaseURL: emuURL, APIKey: testAPIKey})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}

	mgr, err := ctrl.NewManager(env.Config, ctrl.Options{
		Scheme:                 env.Scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Controller:             config.Controller{SkipNameValidation: ptrTrue()},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := SetupWithManager(mgr, Settings{
		Client:                   mgr.GetClient(),
		Recorder:                 mgr.GetEventRecorder("hookstream-operator"),
		Clients:                  CachedClientFactory(hookstream.Options{BaseURL: emuURL, Timeout: 2 * time.Second}, nil),
		HookstreamURL:            emuURL,
		DefaultCredentialsSecret: "hookstream-credentials",
		DriftInterval:            10 * time.Minute,
		MaxConcurrentReconciles:  2,
	}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		if err := mgr.Start(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "manager:", err)
		}
	}()
	k8s, err = client.New(env.Config, client.Options{Scheme: env.Scheme})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

func zapLevel() zapcore.Level {
	if os.Getenv("TEST_VERBOSE") != "" {
		return zapcore.DebugLevel
	}
	return zapcore.DPanicLevel
}

func ptrTrue() *bool { b := true; return &b }

// newNamespace creates a namespace holding the default credentials Secret with the test API key.
func newNamespace(t *testing.T) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "t-"}}
	if err := k8s.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	createSecret(t, ns.Name, "hookstream-credentials", map[string]string{v1.CredentialsKey: testAPIKey})
	return ns.Name
}

func createSecret(t *testing.T, namespace, name string, data map[string]string) {
	t.Helper()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}, StringData: data}
	if err := k8s.Create(context.Background(), s); err != nil {
		t.Fatal(err)
	}
}

func updateSecret(t *testing.T, namespace, name string, data map[string]string) {
	t.Helper()
	s := &corev1.Secret{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: namespace, Name: name}, s); err != nil {
		t.Fatal(err)
	}
	s.Data = nil
	s.StringData = data
	if err := k8s.Update(context.Background(), s); err != nil {
		t.Fatal(err)
	}
}

// eventually polls cond until it returns nil or the wait ends, and fails with its last error.
func eventually(t *testing.T, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	var err error
	for time.Now().Before(deadline) {
		if err = cond(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: still not true after %s: %v", what, waitFor, err)
}

// waitForGone waits until the object of key, of empty's kind, is gone from the API server.
func waitForGone(t *testing.T, key client.ObjectKey, empty client.Object) {
	t.Helper()
	eventually(t, fmt.Sprintf("%T %s deleted", empty, key.Name), func() error {
		if err := k8s.Get(context.Background(), key, empty.DeepCopyObject().(client.Object)); !apierrors.IsNotFound(err) {
			return fmt.Errorf("still there (err %v)", err)
		}
		return nil
	})
}

func getDestination(t *testing.T, key client.ObjectKey) *v1.Destination {
	t.Helper()
	d := &v1.Destination{}
	if err := k8s.Get(context.Background(), key, d); err != nil {
		t.Fatal(err)
	}
	return d
}

// waitForCondition waits until the Destination's condition has the status and reason, for its current generation.
func waitForCondition(t *testing.T, key client.ObjectKey, condType string, status metav1.ConditionStatus, reason string) *v1.Destination {
	t.Helper()
	return waitForConditionOf(t, key, &v1.Destination{}, condType, status, reason)
}

// waitForConditionOf waits until the object's condition has the status and reason, for its current generation,
// and returns the object as last read. empty is an empty object of the kind.
func waitForConditionOf[O managed.Object](t *testing.T, key client.ObjectKey, empty O, condType string,
	status metav1.ConditionStatus, reason string) O {
	t.Helper()
	var obj O
	eventually(t, fmt.Sprintf("%s %s=%s/%s", key, condType, status, reason), func() error {
		obj = empty.DeepCopyObject().(O)
		if err := k8s.Get(context.Background(), key, obj); err != nil {
			return err
		}
		conditions := obj.GetManagedStatus().Conditions
		c := meta.FindStatusCondition(conditions, condType)
		switch {
		case c == nil:
			return fmt.Errorf("no %s condition; conditions %+v", condType, conditions)
		case c.Status != status || c.Reason != reason:
			return fmt.Errorf("%s is %s/%s: %s", condType, c.Status, c.Reason, c.Message)
		case c.ObservedGeneration != obj.GetGeneration():
			return fmt.Errorf("condition is for generation %d, object is at %d", c.ObservedGeneration, obj.GetGeneration())
		}
		return nil
	})
	return obj
}

func waitForReady(t *testing.T, key client.ObjectKey) *v1.Destination {
	t.Helper()
	return waitForReadyOf(t, key, &v1.Destination{})
}

// waitForReadyOf waits until the object is Ready and its observedGeneration is its generation.
func waitForReadyOf[O managed.Object](t *testing.T, key client.ObjectKey, empty O) O {
	t.Helper()
	obj := waitForConditionOf(t, key, empty, v1.ConditionReady, metav1.ConditionTrue, v1.ReasonAvailable)
	eventually(t, "observedGeneration", func() error {
		obj = empty.DeepCopyObject().(O)
		if err := k8s.Get(context.Background(), key, obj); err != nil {
			return err
		}
		if got := obj.GetManagedStatus().ObservedGeneration; got != obj.GetGeneration() {
			return fmt.Errorf("observedGeneration %d, generation %d", got, obj.GetGeneration())
		}
		return nil
	})
	return obj
}

// requestReconcile sets the reconcile-requested-at annotation and waits until the operator has handled it.
func requestReconcile(t *testing.T, key client.ObjectKey) {
	t.Helper()
	requestReconcileOf(t, key, &v1.Destination{})
}

// requestReconcileOf sets the reconcile-requested-at annotation on any kind and waits until it was handled.
func requestReconcileOf[O managed.Object](t *testing.T, key client.ObjectKey, empty O) {
	t.Helper()
	obj := empty.DeepCopyObject().(O)
	if err := k8s.Get(context.Background(), key, obj); err != nil {
		t.Fatal(err)
	}
	token := time.Now().Format(time.RFC3339Nano)
	patch := client.MergeFrom(obj.DeepCopyObject().(O))
	metav1.SetMetaDataAnnotation(objectMetaOf(obj), v1.AnnotationReconcileRequestedAt, token)
	if err := k8s.Patch(context.Background(), obj, patch); err != nil {
		t.Fatal(err)
	}
	eventually(t, "reconcile request handled", func() error {
		if err := k8s.Get(context.Background(), key, obj); err != nil {
			return err
		}
		if got := obj.GetManagedStatus().LastHandledReconcileAt; got != token {
			return fmt.Errorf("lastHandledReconcileAt is %q", got)
		}
		return nil
	})
}

func objectMetaOf(obj client.Object) *metav1.ObjectMeta {
	return obj.(metav1.ObjectMetaAccessor).GetObjectMeta().(*metav1.ObjectMeta)
}
