// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package gitops

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/controller"
	"github.com/hookstream/hookstream-operator/internal/managed"
)

// argocdHealthKey is the argocd-cm key under which Argo CD looks up the health check of a hookstream.io kind.
func argocdHealthKey(kind string) string {
	return "resource.customizations.health.hookstream.io_" + kind
}

// Argo CD's health status codes.
const (
	healthHealthy     = "Healthy"
	healthProgressing = "Progressing"
	healthDegraded    = "Degraded"
	healthSuspended   = "Suspended"
)

// argocdHealthCodes are the codes Argo CD accepts; any other value a script returns becomes Unknown.
var argocdHealthCodes = map[string]bool{
	healthHealthy: true, healthProgressing: true, healthDegraded: true, healthSuspended: true,
	"Missing": true, "Unknown": true,
}

// argocdHealth evaluates a health script the way Argo CD does for a check from argocd-cm: standard libraries
// skipped except package, base and table (no string, no io, no os), a one-second budget, the object converted to
// a Lua table in the global `obj`, and a table with status and message expected back. Argo CD also opens a
// reduced os library; the script does not use it.
func argocdHealth(obj *unstructured.Unstructured, script string) (status, message string, err error) {
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	for name, open := range map[string]lua.LGFunction{
		lua.LoadLibName: lua.OpenPackage,
		lua.BaseLibName: lua.OpenBase,
		lua.TabLibName:  lua.OpenTable,
	} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(open), NRet: 0, Protect: true}, lua.LString(name)); err != nil {
			return "", "", err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("obj", toLua(l, obj.Object))
	if err := l.DoString(script); err != nil {
		return "", "", err
	}
	hs, ok := l.Get(-1).(*lua.LTable)
	if !ok {
		return "", "", fmt.Errorf("the script returned %s, Argo CD expects a table", l.Get(-1).Type())
	}
	statusValue, ok := hs.RawGetString("status").(lua.LString)
	if !ok {
		return "", "", fmt.Errorf("hs.status is %s, not a string", hs.RawGetString("status").Type())
	}
	if !argocdHealthCodes[string(statusValue)] {
		return "Unknown", "Lua returned an invalid health status", nil
	}
	if m, ok := hs.RawGetString("message").(lua.LString); ok {
		message = string(m)
	}
	return string(statusValue), message, nil
}

// toLua converts a decoded JSON object the way Argo CD does: integers (int64 from the API server) and floats become
// numbers, json.Number becomes a string, maps and lists become tables.
func toLua(l *lua.LState, value any) lua.LValue {
	switch v := value.(type) {
	case bool:
		return lua.LBool(v)
	case float64:
		return lua.LNumber(v)
	case int64:
		return lua.LNumber(v)
	case int32:
		return lua.LNumber(v)
	case int:
		return lua.LNumber(v)
	case json.Number:
		return lua.LString(v)
	case string:
		return lua.LString(v)
	case []any:
		t := l.CreateTable(len(v), 0)
		for _, item := range v {
			t.Append(toLua(l, item))
		}
		return t
	case map[string]any:
		t := l.CreateTable(0, len(v))
		for key, item := range v {
			t.RawSetH(lua.LString(key), toLua(l, item))
		}
		return t
	}
	return lua.LNil
}

func readHealthScript(t *testing.T) string {
	t.Helper()
	script, err := os.ReadFile(repoPath("config", "argocd", "health.lua"))
	if err != nil {
		t.Fatal(err)
	}
	return string(script)
}

// TestHealthTestsCoverEveryKind fails when a managed CRD's kind, or a kind of the operator's registry
// (controller.Kinds), has no entry in testKinds, so that the Argo CD and kstatus tables run for every kind the
// operator manages.
func TestHealthTestsCoverEveryKind(t *testing.T) {
	covered := func(kind string) bool {
		return slices.ContainsFunc(testKinds, func(k testKind) bool { return k.kind == kind })
	}
	for _, crd := range managedCRDs(t) {
		if !covered(crd.kind) {
			t.Errorf("testKinds has no entry for %s (%s)", crd.kind, crd.file)
		}
	}
	for _, k := range controller.Kinds {
		if !covered(k.Kind) {
			t.Errorf("testKinds has no entry for %s (controller.Kinds)", k.Kind)
		}
	}
}

func TestArgoCDHealth(t *testing.T) {
	script := readHealthScript(t)
	for _, k := range testKinds {
		t.Run(k.kind, func(t *testing.T) {
			for name, tc := range argocdHealthRows(k) {
				t.Run(name, func(t *testing.T) {
					obj := realObject(t, k, "argocd", tc.situation)
					status, message, err := argocdHealth(obj, script)
					if err != nil {
						t.Fatalf("running health.lua: %v", err)
					}
					if status != tc.wantStatus || message != tc.wantMessage {
						t.Errorf("health = %s %q, want %s %q", status, message, tc.wantStatus, tc.wantMessage)
					}
				})
			}
		})
	}
}

// argocdHealthRow is a situation and the Argo CD health it must map to.
type argocdHealthRow struct {
	situation   situation
	wantStatus  string
	wantMessage string
}

// argocdHealthRows are the rows of TestArgoCDHealth for one kind: every kind goes through the same script, only the
// remote resource's name and what its paused and disabled states mean differ.
func argocdHealthRows(k testKind) map[string]argocdHealthRow {
	tests := map[string]argocdHealthRow{
		"new object without status": {
			situation:   situation{},
			wantStatus:  healthProgressing,
			wantMessage: "Waiting for the operator to observe generation 1",
		},
		"first reconcile retrying, generation not settled yet": {
			situation:   situation{status: retryingStatus(v1.ReasonAPIUnavailable, msgUnreachable)},
			wantStatus:  healthProgressing,
			wantMessage: "Waiting for the operator to observe generation 1: " + msgUnreachable,
		},
		"spec changed after the last observation": {
			situation:   situation{status: readyStatus("active"), specChangedAfterStatus: true},
			wantStatus:  healthProgressing,
			wantMessage: "Waiting for the operator to observe generation 2",
		},
		"paused by annotation, not yet seen by the operator": {
			situation: situation{
				annotations: pausedAnnotations(),
				status:      readyStatus("active"),
			},
			wantStatus:  healthSuspended,
			wantMessage: "Reconciliation is paused by the hookstream.io/paused annotation",
		},
		"paused by annotation, spec changed during the pause": {
			situation: situation{
				annotations:            pausedAnnotations(),
				status:                 pausedStatus,
				specChangedAfterStatus: true,
			},
			wantStatus:  healthSuspended,
			wantMessage: msgPaused,
		},
		"annotation other than true does not pause": {
			situation: situation{
				annotations: map[string]string{v1.AnnotationPaused: "false"},
				status:      readyStatus("active"),
			},
			wantStatus:  healthHealthy,
			wantMessage: k.msgAvailable(),
		},
		"paused as reported by the Synced condition": {
			situation:   situation{status: pausedStatus},
			wantStatus:  healthSuspended,
			wantMessage: msgPaused,
		},
		"stalled": {
			situation:   situation{status: stalledStatus(v1.ReasonInvalidSpec, msgRejected)},
			wantStatus:  healthDegraded,
			wantMessage: msgRejected,
		},
		"ready": {
			situation:   situation{status: readyStatus("active")},
			wantStatus:  healthHealthy,
			wantMessage: k.msgAvailable(),
		},
		"ready while a drift check is retried": {
			situation:   situation{status: driftCheckRetried},
			wantStatus:  healthHealthy,
			wantMessage: k.msgAvailable(),
		},
		"ready, remote paused": {
			situation:   situation{status: readyStatus("paused")},
			wantStatus:  healthSuspended,
			wantMessage: "The " + k.noun + " is paused in hookstream: " + k.pausedMeans,
		},
		"ready, remote disabled": {
			situation:   situation{status: readyStatus("disabled")},
			wantStatus:  healthSuspended,
			wantMessage: "The " + k.noun + " is disabled in hookstream: " + k.disabledMeans,
		},
		"observe only, matching": {
			situation:   situation{status: observedMatchStatus},
			wantStatus:  healthHealthy,
			wantMessage: k.msgObserved(),
		},
		"observe only, drift detected": {
			situation:   situation{status: observedDriftStatus},
			wantStatus:  healthDegraded,
			wantMessage: msgDrift,
		},
		"reconciling a settled generation": {
			// Stalled on generation 1 (settled), then retrying once the Secret was fixed.
			situation: situation{status: func(obj managed.Object) {
				stalledStatus(v1.ReasonCredentialsNotFound, "Cannot read the credentials.")(obj)
				retryingStatus(v1.ReasonRateLimited, "hookstream asked to slow down; retrying in 30s.")(obj)
			}},
			wantStatus:  healthProgressing,
			wantMessage: "hookstream asked to slow down; retrying in 30s.",
		},
		// The rows below are states the operator does not write (a condition missing, Ready without Reconciling or
		// Stalled): written by hand on purpose, they show that the script reads a partial status safely.
		"not ready for a reason retrying fixes": {
			situation: situation{status: func(obj managed.Object) {
				obj.GetManagedStatus().ObservedGeneration = 1
				withConditions(obj.GetManagedStatus(),
					condition(v1.ConditionReady, metav1.ConditionFalse, v1.ReasonAPIUnavailable, msgRetry503))
			}},
			wantStatus:  healthProgressing,
			wantMessage: msgRetry503,
		},
		"no Ready condition yet": {
			situation: situation{status: func(obj managed.Object) {
				obj.GetManagedStatus().ObservedGeneration = 1
				withConditions(obj.GetManagedStatus(),
					condition(v1.ConditionSynced, metav1.ConditionTrue, v1.ReasonReconcileSuccess, msgReached))
			}},
			wantStatus:  healthProgressing,
			wantMessage: "Waiting for the operator to report the Ready condition",
		},
	}
	// Failures that need a person, as the operator writes them (Stalled), for the reasons a Source adds.
	for _, reason := range []string{v1.ReasonConfigMapNotFound, v1.ReasonConfigMapConflict} {
		message := "Cannot publish the ingest URL: " + reason + "."
		tests["stalled, "+reason] = argocdHealthRow{
			situation:   situation{status: stalledStatus(reason, message)},
			wantStatus:  healthDegraded,
			wantMessage: message,
		}
	}
	// The reasons a Connection adds. Those that need a person (another API key than the referenced object's, two
	// remote connections with its key) stall; waiting for a referenced object and replacing the remote connection
	// go on by themselves. The script reads no kind-specific reason, so every kind runs these rows.
	for _, reason := range []string{v1.ReasonProjectMismatch, v1.ReasonAmbiguousRemote, v1.ReasonReplacementRequired} {
		message := "Cannot create the remote connection: " + reason + "."
		tests["stalled, "+reason] = argocdHealthRow{
			situation:   situation{status: stalledStatus(reason, message)},
			wantStatus:  healthDegraded,
			wantMessage: message,
		}
	}
	for reason, message := range map[string]string{
		v1.ReasonWaitingForSource: msgWaitingForSource,
		v1.ReasonWaitingForDestination: `Waiting for Destination "orders-http", which does not exist in namespace ` +
			`"team-a".`,
		v1.ReasonReplacing: "Replacing the remote connection: its destination changed from dst_0123456789 to " +
			"dst_9876543210.",
	} {
		tests["retrying, "+reason+", generation not settled yet"] = argocdHealthRow{
			situation:   situation{status: retryingStatus(reason, message)},
			wantStatus:  healthProgressing,
			wantMessage: "Waiting for the operator to observe generation 1: " + message,
		}
	}
	// A Destination whose circuit is open or half-open stays Healthy and says why it is not delivering; a closed one
	// is plainly Healthy. Other kinds have no circuit: only Ready.
	for _, state := range []v1.CircuitState{v1.CircuitOpen, v1.CircuitHalfOpen, v1.CircuitClosed} {
		want := k.msgAvailable()
		if k.kind == "Destination" && state != v1.CircuitClosed {
			want = "The destination matches the spec but is not delivering: " + deliveringMessage(state)
		}
		tests["ready, circuit "+string(state)] = argocdHealthRow{
			situation:   situation{status: circuitStatus(state)},
			wantStatus:  healthHealthy,
			wantMessage: want,
		}
	}
	// A Source or Destination whose deletion hookstream refuses while a Connection uses it. Argo CD itself reports
	// every object being deleted as Progressing ("Pending deletion") without running the script; run on such an
	// object, the script agrees, and says why the deletion waits.
	tests["deletion refused while a Connection uses the object"] = argocdHealthRow{
		situation:   situation{status: readyStatus("active"), deleting: deletionInUse},
		wantStatus:  healthProgressing,
		wantMessage: "Waiting for the operator to observe generation 2: " + msgInUse(k.noun),
	}
	// Without a Stalled condition, Ready=False for these reasons still needs a person to act.
	for _, reason := range []string{
		v1.ReasonCredentialsNotFound, v1.ReasonCredentialsInvalid, v1.ReasonSecretNotFound,
		v1.ReasonConfigMapNotFound, v1.ReasonConfigMapConflict, v1.ReasonUnauthorized, v1.ReasonForbidden,
		v1.ReasonInvalidSpec, v1.ReasonConflict, v1.ReasonTypeMismatch, v1.ReasonSlugMismatch, v1.ReasonNotFound,
		v1.ReasonTemplateMismatch, v1.ReasonProjectMismatch, v1.ReasonAmbiguousRemote, v1.ReasonReplacementRequired,
		v1.ReasonInvalidAnnotation,
	} {
		message := "Not ready: " + reason + "."
		tests["not ready, "+reason] = argocdHealthRow{
			situation: situation{status: func(obj managed.Object) {
				obj.GetManagedStatus().ObservedGeneration = 1
				withConditions(obj.GetManagedStatus(), condition(v1.ConditionReady, metav1.ConditionFalse, reason, message))
			}},
			wantStatus:  healthDegraded,
			wantMessage: message,
		}
	}
	return tests
}

// TestArgoCDConfigMapPatch merges config/argocd/argocd-cm-patch.yaml into an argocd-cm on the API server, as the
// Argo CD guide (docs/how-to/argocd.md) tells users to, and checks that Argo CD would then find exactly health.lua
// under the key of every kind.
func TestArgoCDConfigMapPatch(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t, "argocd")
	existing := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "argocd-cm", Namespace: ns},
		Data:       map[string]string{"url": "https://argocd.example.com"},
	}
	if err := k8s.Create(ctx, existing); err != nil {
		t.Fatal(err)
	}
	patchYAML, err := os.ReadFile(repoPath("config", "argocd", "argocd-cm-patch.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	patch, err := yaml.YAMLToJSON(patchYAML)
	if err != nil {
		t.Fatalf("argocd-cm-patch.yaml is not YAML: %v", err)
	}
	target := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "argocd-cm", Namespace: ns}}
	if err := k8s.Patch(ctx, target, client.RawPatch(types.MergePatchType, patch)); err != nil {
		t.Fatalf("merging the patch into argocd-cm: %v", err)
	}
	got := &corev1.ConfigMap{}
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(target), got); err != nil {
		t.Fatal(err)
	}
	for _, crd := range managedCRDs(t) {
		if key := argocdHealthKey(crd.kind); got.Data[key] != readHealthScript(t) {
			t.Errorf("argocd-cm %s after the patch differs from config/argocd/health.lua (add the kind to "+
				"ARGOCD_HEALTH_KINDS in the Makefile and run make manifests):\n%s", key, got.Data[key])
		}
	}
	if got.Data["url"] != "https://argocd.example.com" {
		t.Errorf("the patch dropped an existing argocd-cm key: %v", got.Data)
	}
}
