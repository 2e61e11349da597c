// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/plugin"
	"github.com/hookstream/hookstream-operator/test/harness"
)

// TestKubectlDoctor runs `kubectl hookstream doctor` against the real manager, the emulator and kubectl: it exits 0
// on a healthy namespace, and 1 with the fix printed for a Stalled object, a blank key, a key hookstream rejects
// (401) and a stopped manager (its Lease released).
func TestKubectlDoctor(t *testing.T) {
	binDir := buildPlugin(t)
	emu := s.StartEmulator(t)
	url := emu.URL + "/v1"
	ns := s.NewNamespace(t, "doctor")
	blankNS := s.NewNamespace(t, "doctor-blank")
	rejectedNS := s.NewNamespace(t, "doctor-rejected")
	// A lease of this test's own, so that the leases other tests leave in the namespace do not count.
	lease := "doctor-" + ns

	doctor := func(namespace string, args ...string) (stdout string, code int) {
		t.Helper()
		args = append([]string{"hookstream", "doctor", "-n", namespace, "--url", url,
			"--lease-namespace", harness.ManagerNamespace, "--lease-name", lease}, args...)
		cmd := exec.Command(s.KubectlPath, args...)
		cmd.Env = append(os.Environ(), "KUBECONFIG="+s.AdminKubeconfig, "PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"))
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		if exit, ok := errors.AsType[*exec.ExitError](err); ok {
			code = exit.ExitCode()
		} else if err != nil {
			t.Fatalf("kubectl %s: %v", strings.Join(args, " "), err)
		}
		if strings.Contains(out.String()+errOut.String(), harness.APIKey) {
			t.Errorf("doctor printed the API key:\n%s%s", out.String(), errOut.String())
		}
		return out.String() + errOut.String(), code
	}
	// expect runs doctor as text and as JSON, and wants the exit code and, in the JSON, a check of the area whose
	// subject contains subject, with the status and fix.
	expect := func(what, namespace string, code int, area, subject, status, fix string) {
		t.Helper()
		text, got := doctor(namespace)
		if got != code {
			t.Errorf("%s: exit %d, want %d:\n%s", what, got, code, text)
		}
		if fix != "" && !strings.Contains(text, "fix: "+fix) {
			t.Errorf("%s: the output lacks the fix %q:\n%s", what, fix, text)
		}
		js, _ := doctor(namespace, "-o", "json")
		var report plugin.DoctorReport
		if err := json.Unmarshal([]byte(js), &report); err != nil {
			t.Fatalf("%s: doctor -o json: %v\n%s", what, err, js)
		}
		for _, c := range report.Checks {
			if c.Area == area && strings.Contains(c.Subject, subject) && c.Status == status && c.Fix == fix {
				return
			}
		}
		t.Errorf("%s: no %s check of %q with status %s and fix %q in:\n%s", what, area, subject, status, fix, text)
	}

	mgr := s.StartManager(t, emu, ns, "--watch-namespaces", strings.Join([]string{ns, blankNS, rejectedNS}, ","),
		"--leader-elect", "--leader-election-namespace", harness.ManagerNamespace, "--leader-election-id", lease,
		"--leader-elect-lease-duration", "4s", "--leader-elect-renew-deadline", "3s", "--leader-elect-retry-period", "500ms")
	destination := func(name, extra string) string {
		return fmt.Sprintf("apiVersion: hookstream.io/v1alpha1\nkind: Destination\nmetadata: {name: %s}\nspec:\n"+
			"  displayName: %s\n  http:\n    url: https://%s.example.com/hooks\n%s", name, name, name, extra)
	}
	s.Apply(t, ns, destination("orders", ""))
	if _, err := s.Kubectl("wait", "destination/orders", "-n", ns, "--for=condition=Ready", "--timeout=30s"); err != nil {
		t.Fatalf("%v\nmanager logs:\n%s", err, mgr.Tail(40))
	}
	expect("healthy", ns, 0, plugin.AreaManager, "lease "+harness.ManagerNamespace+"/"+lease, plugin.CheckOK, "")
	if out, _ := doctor(ns); !strings.Contains(out, "authenticates") {
		t.Errorf("healthy: doctor does not say the key authenticates:\n%s", out)
	}

	// A Stalled object: spec.adoptID names nothing in hookstream.
	s.Apply(t, ns, destination("ghost", "  adoptID: dst_nothing_here\n"))
	if _, err := s.Kubectl("wait", "destination/ghost", "-n", ns, "--for=condition=Stalled", "--timeout=30s"); err != nil {
		t.Fatalf("%v\nmanager logs:\n%s", err, mgr.Tail(40))
	}
	expect("stalled", ns, 1, plugin.AreaObjects, "Destination "+v1.ReasonNotFound, plugin.CheckProblem, plugin.Fixes[v1.ReasonNotFound])
	if out, _ := doctor(ns); !strings.Contains(out, ns+"/ghost (Stalled)") {
		t.Errorf("stalled: doctor does not name the Stalled object:\n%s", out)
	}

	// A blank key, and a key hookstream rejects.
	s.MustKubectl(t, "create", "secret", "generic", "blank-key", "-n", blankNS, "--from-literal=apiKey=   ")
	s.Apply(t, blankNS, destination("blank", "  credentialsRef: {name: blank-key}\n"))
	expect("blank key", blankNS, 1, plugin.AreaCredentials, "secret "+blankNS+"/blank-key", plugin.CheckProblem,
		plugin.Fixes[v1.ReasonCredentialsInvalid])
	s.MustKubectl(t, "create", "secret", "generic", "wrong-key", "-n", rejectedNS, "--from-literal=apiKey=hs_wrong_key")
	s.Apply(t, rejectedNS, destination("rejected", "  credentialsRef: {name: wrong-key}\n"))
	expect("rejected key", rejectedNS, 1, plugin.AreaCredentials, "secret "+rejectedNS+"/wrong-key", plugin.CheckProblem,
		plugin.Fixes[v1.ReasonUnauthorized])

	// A stopped manager: it releases its Lease on the way out.
	s.MustKubectl(t, "delete", "destination/ghost", "-n", ns, "--wait=true", "--timeout=30s")
	expect("healthy again", ns, 0, plugin.AreaManager, "lease "+harness.ManagerNamespace+"/"+lease, plugin.CheckOK, "")
	mgr.Stop()
	expect("stopped manager", ns, 1, plugin.AreaManager, "lease "+harness.ManagerNamespace+"/"+lease, plugin.CheckProblem,
		plugin.FixStartManager)
}
