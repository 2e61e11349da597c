// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/emulator"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
)

var doctorNow = time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)

func lease(holder string, renewedAgo time.Duration, durationSeconds int32) *coordinationv1.Lease {
	l := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: DefaultLeaseNamespace, Name: DefaultLeaseName}}
	l.Spec.HolderIdentity = &holder
	l.Spec.LeaseDurationSeconds = &durationSeconds
	l.Spec.RenewTime = &metav1.MicroTime{Time: doctorNow.Add(-renewedAgo)}
	return l
}

func TestJudgeLease(t *testing.T) {
	for _, tc := range []struct {
		name   string
		lease  *coordinationv1.Lease
		status string
		detail string
	}{
		{"fresh", lease("pod-a", 3*time.Second, 15), CheckOK, "held by pod-a, renewed 3s ago (lease duration 15s)"},
		{"renewed exactly at the lease duration", lease("pod-a", 15*time.Second, 15), CheckOK, "renewed 15s ago"},
		{"stale", lease("pod-a", 16*time.Second, 15), CheckProblem, "last renewed 16s ago, longer than its lease duration 15s"},
		{"stale with another duration", lease("pod-a", 61*time.Second, 60), CheckProblem, "lease duration 1m0s"},
		{"released", lease("", time.Second, 15), CheckProblem, "held by no one"},
		{"absent", nil, CheckProblem, "absent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := JudgeLease(DefaultLeaseNamespace, DefaultLeaseName, tc.lease, doctorNow)
			if c.Status != tc.status || !strings.Contains(c.Detail, tc.detail) {
				t.Errorf("got %s %q, want %s and %q", c.Status, c.Detail, tc.status, tc.detail)
			}
			if (c.Status == CheckProblem) != (c.Fix != "") {
				t.Errorf("status %s with fix %q", c.Status, c.Fix)
			}
		})
	}
}

func TestJudgeKey(t *testing.T) {
	const secretKey = "hs_live_0123456789abcdef"
	secret := func(data map[string]string) *corev1.Secret {
		s := &corev1.Secret{Data: map[string][]byte{}}
		for k, v := range data {
			s.Data[k] = []byte(v)
		}
		return s
	}
	for _, tc := range []struct {
		name    string
		secret  *corev1.Secret
		status  string
		detail  string
		fix     string
		wantKey string
	}{
		{"present", secret(map[string]string{"apiKey": secretKey + "\n"}), CheckOK, "present", "", secretKey},
		{"blank", secret(map[string]string{"apiKey": " \n\t"}), CheckProblem, "is blank", Fixes[v1.ReasonCredentialsInvalid], ""},
		{"empty", secret(map[string]string{"apiKey": ""}), CheckProblem, "is blank", Fixes[v1.ReasonCredentialsInvalid], ""},
		{"missing", secret(map[string]string{"token": secretKey}), CheckProblem, `has no key "apiKey"`, Fixes[v1.ReasonCredentialsNotFound], ""},
		{"not a header value", secret(map[string]string{"apiKey": secretKey + "\x01x"}), CheckProblem, "cannot be sent", Fixes[v1.ReasonCredentialsInvalid], ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key, c := JudgeKey("secret ns/creds", tc.secret)
			if c.Status != tc.status || !strings.Contains(c.Detail, tc.detail) || c.Fix != tc.fix || key != tc.wantKey {
				t.Errorf("got %q, %+v; want %s, %q, fix %q", key, c, tc.status, tc.detail, tc.fix)
			}
			if strings.Contains(c.Detail+c.Fix, secretKey) {
				t.Errorf("the check holds the key: %+v", c)
			}
		})
	}
}

func TestClockSkew(t *testing.T) {
	date := doctorNow
	for _, tc := range []struct {
		received time.Time
		want     time.Duration
	}{
		{date.Add(900 * time.Millisecond), 0}, // Date has whole seconds
		{date.Add(45*time.Second + 300*time.Millisecond), 45 * time.Second},
		{date.Add(-2 * time.Minute), -2 * time.Minute},
	} {
		if got := ClockSkew(date, tc.received); got != tc.want {
			t.Errorf("ClockSkew(%s later) = %s, want %s", tc.received.Sub(date), got, tc.want)
		}
	}
}

func byStatus(checks []Check, subjectSuffix string) *Check {
	for i := range checks {
		if strings.HasSuffix(checks[i].Subject, subjectSuffix) {
			return &checks[i]
		}
	}
	return nil
}

func TestJudgeProbe(t *testing.T) {
	ok := ProbeResult{Project: "env_1", Org: "org_1", Date: doctorNow, Received: doctorNow.Add(2 * time.Second),
		RateLimit: hookstream.RateLimitInfo{Limit: 100, Remaining: 80, Reset: time.Minute, HasHeaders: true}}
	checks := JudgeProbe("secret ns/creds", ok, 30*time.Second)
	if len(checks) != 3 {
		t.Fatalf("%d checks, want authentication, rate limit and clock: %+v", len(checks), checks)
	}
	for _, c := range checks {
		if c.Status != CheckOK {
			t.Errorf("healthy answer: %+v", c)
		}
	}
	if !strings.Contains(checks[0].Detail, "project env_1 of org org_1") || !strings.Contains(checks[1].Detail, "80 of 100") ||
		!strings.Contains(checks[2].Detail, "2s ahead of") {
		t.Errorf("details: %+v", checks)
	}

	skewed := ok
	skewed.Received = doctorNow.Add(-40 * time.Second)
	if c := byStatus(JudgeProbe("s", skewed, 30*time.Second), "clock"); c == nil || c.Status != CheckProblem ||
		!strings.Contains(c.Detail, "40s behind") || c.Fix == "" {
		t.Errorf("a 40 s skew: %+v", c)
	}
	low := ok
	low.RateLimit.Remaining = 5
	if c := byStatus(JudgeProbe("s", low, 30*time.Second), "rate limit"); c == nil || c.Status != CheckWarning {
		t.Errorf("5 of 100 left: %+v", c)
	}
	noHeaders := ProbeResult{}
	if checks := JudgeProbe("s", noHeaders, 30*time.Second); checks[2].Status != CheckWarning || checks[1].Status != CheckOK {
		t.Errorf("an answer without Date and RateLimit headers: %+v", checks)
	}

	rejected := JudgeProbe("s", ProbeResult{Err: &hookstream.APIError{StatusCode: http.StatusUnauthorized}}, time.Minute)
	if len(rejected) != 1 || rejected[0].Status != CheckProblem || rejected[0].Fix != Fixes[v1.ReasonUnauthorized] {
		t.Errorf("a 401: %+v", rejected)
	}
	unreachable := JudgeProbe("s", ProbeResult{Err: &hookstream.TransportError{Route: "GET /destinations", Err: errors.New("refused")}}, time.Minute)
	if len(unreachable) != 1 || unreachable[0].Status != CheckUnknown {
		t.Errorf("hookstream unreachable: %+v", unreachable)
	}
}

// TestProbeKey reads the emulator, behind a clock an hour behind this machine's: the project comes from the first
// destination, the emulator's RateLimit-* headers and the Date header are recorded, and a rejected key is an error
// IsUnauthorized knows.
func TestProbeKey(t *testing.T) {
	emu, err := emulator.New(emulator.Options{APIKeys: []string{testAPIKey}})
	if err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-time.Hour).UTC()
	var reads []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reads = append(reads, r.Method+" "+r.URL.RequestURI())
		w.Header().Set("Date", past.Format(http.TimeFormat))
		emu.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		srv.Close()
		_ = emu.Close()
	})
	hs, err := hookstream.New(hookstream.Options{BaseURL: srv.URL + "/v1", APIKey: testAPIKey})
	if err != nil {
		t.Fatal(err)
	}
	d, err := hs.CreateDestination(context.Background(), &hookstream.CreateRequest{Name: "a", Slug: "a", Type: "http", URL: "https://a.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	reads = nil

	res := ProbeKey(context.Background(), hookstream.Options{BaseURL: srv.URL + "/v1", APIKey: testAPIKey})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if res.Project == "" || res.Project != d.EnvID || res.Org != d.OrgID {
		t.Errorf("project %q of org %q, want %q of %q", res.Project, res.Org, d.EnvID, d.OrgID)
	}
	if !res.RateLimit.HasHeaders || res.RateLimit.Limit <= 0 || res.RateLimit.Remaining >= res.RateLimit.Limit {
		t.Errorf("rate limit: %+v", res.RateLimit)
	}
	if skew := ClockSkew(res.Date, res.Received); skew < 59*time.Minute || skew > 61*time.Minute {
		t.Errorf("skew %s, want about an hour: %+v", skew, res)
	}
	if len(reads) != 1 || reads[0] != "GET /v1/destinations?limit=1" {
		t.Errorf("reads %v, want one page of one destination", reads)
	}
	bad := ProbeKey(context.Background(), hookstream.Options{BaseURL: srv.URL + "/v1", APIKey: "hs_test_bad"})
	if !hookstream.IsUnauthorized(bad.Err) {
		t.Errorf("a rejected key: %v", bad.Err)
	}
}

func crd(plural string, versions ...string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{}}
	u.SetAPIVersion("apiextensions.k8s.io/v1")
	u.SetKind("CustomResourceDefinition")
	u.SetName(plural + ".hookstream.io")
	var vs []any
	for _, v := range versions {
		vs = append(vs, map[string]any{"name": v, "served": true, "storage": true})
	}
	_ = unstructured.SetNestedSlice(u.Object, vs, "spec", "versions")
	return u
}

// doctorCluster is a fake cluster: a fresh lease, an available Deployment whose args name it, a Stalled object, a
// credentials Secret per namespace (a: good, b: blank, c: missing), a CRD that lacks the plugin's version and one
// that is missing.
func doctorCluster(t *testing.T) (client.Client, *runtime.Scheme) {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	ready := func(status, reason string) []any {
		return []any{map[string]any{"type": "Ready", "status": status, "reason": reason, "message": "m " + reason}}
	}
	stalled := object("Destination", "a", "ghost", map[string]any{"conditions": append(ready("False", v1.ReasonNotFound),
		map[string]any{"type": "Stalled", "status": "True", "reason": v1.ReasonNotFound})})
	blank := object("Source", "b", "github", map[string]any{"conditions": ready("False", v1.ReasonCredentialsInvalid)})
	_ = unstructured.SetNestedField(blank.Object, "blank-creds", "spec", "credentialsRef", "name")
	replicas := int32(1)
	deployment := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: DefaultLeaseNamespace, Name: "hookstream-operator",
			Labels: map[string]string{"control-plane": "controller-manager"}},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas, Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "manager", Args: []string{"--leader-elect", "--leader-election-id=hookstream-operator"}}}}}},
		Status: appsv1.DeploymentStatus{AvailableReplicas: 1, Conditions: []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue}}},
	}
	chartLease := lease("pod-a", time.Second, 15)
	chartLease.Name = "hookstream-operator"
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(
		crd("destinations", "v1alpha1"), crd("sources", "v1beta9"),
		stalled, blank,
		object("Connection", "a", "route", map[string]any{"conditions": ready("True", v1.ReasonAvailable)}),
		object("Connection", "c", "orphan", map[string]any{"conditions": ready("True", v1.ReasonAvailable)}),
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: DefaultCredentialsSecret}, Data: map[string][]byte{"apiKey": []byte("hs_a")}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "b", Name: "blank-creds"}, Data: map[string][]byte{"apiKey": []byte(" ")}},
		deployment, chartLease,
	).Build()
	return c, scheme
}

// TestDoctor runs every check on doctorCluster: each of its faults is a problem, and the good key is probed once.
func TestDoctor(t *testing.T) {
	c, _ := doctorCluster(t)

	probed := map[string]int{}
	report, err := Doctor(context.Background(), c, DoctorOptions{Now: func() time.Time { return doctorNow },
		Probe: func(_ context.Context, apiKey string) ProbeResult {
			probed[apiKey]++
			return ProbeResult{Err: &hookstream.APIError{StatusCode: http.StatusUnauthorized}}
		}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"destinations.hookstream.io":                       CheckOK,
		"sources.hookstream.io":                            CheckProblem,
		"connections.hookstream.io":                        CheckProblem,
		"deployment hookstream-system/hookstream-operator": CheckOK,
		"lease hookstream-system/hookstream-operator":      CheckOK,
		"secret a/" + DefaultCredentialsSecret:             CheckProblem, // the 401 of the probe
		"secret b/blank-creds":                             CheckProblem,
		"secret c/" + DefaultCredentialsSecret:             CheckProblem, // missing
		"Destination " + v1.ReasonNotFound:                 CheckProblem,
		"Source " + v1.ReasonCredentialsInvalid:            CheckProblem,
	}
	got := map[string]string{}
	for _, ch := range report.Checks {
		if prev, ok := got[ch.Subject]; ok && prev == CheckProblem {
			continue // the key check is ok, the probe's a problem: the problem counts
		}
		got[ch.Subject] = ch.Status
	}
	for subject, status := range want {
		if got[subject] != status {
			t.Errorf("%s: %q, want %q", subject, got[subject], status)
		}
	}
	if len(probed) != 1 || probed["hs_a"] != 1 {
		t.Errorf("probed %v, want the one good key once", probed)
	}
	if err := report.Err(); !errors.Is(err, ErrProblems) {
		t.Errorf("Err() = %v", err)
	}
	group := byStatus(report.Checks, "Destination "+v1.ReasonNotFound)
	if group == nil || len(group.Objects) != 1 || !group.Objects[0].Stalled || group.Fix != Fixes[v1.ReasonNotFound] {
		t.Errorf("the Stalled group: %+v", group)
	}

	var text, js bytes.Buffer
	if err := PrintDoctor(&text, report); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"a/ghost (Stalled): m RemoteNotFound", "fix: " + Fixes[v1.ReasonNotFound], "not installed"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the text lacks %q:\n%s", want, text.String())
		}
	}
	if strings.Contains(text.String(), "hs_a") {
		t.Errorf("the text holds a key:\n%s", text.String())
	}
	if err := PrintDoctorJSON(&js, report); err != nil {
		t.Fatal(err)
	}
	var parsed DoctorReport
	if err := json.Unmarshal(js.Bytes(), &parsed); err != nil || len(parsed.Checks) != len(report.Checks) {
		t.Errorf("json (%v):\n%s", err, js.String())
	}
}

// TestDoctorOneNamespace checks the Secrets of one namespace only, and finds them healthy when the key
// authenticates (the CRDs and the Stalled object of doctorCluster stay problems).
func TestDoctorOneNamespace(t *testing.T) {
	c, _ := doctorCluster(t)
	healthy, err := Doctor(context.Background(), c, DoctorOptions{Namespace: "a", Now: func() time.Time { return doctorNow },
		LeaseNames: []string{"hookstream-operator"},
		Probe: func(context.Context, string) ProbeResult {
			return ProbeResult{Date: doctorNow, Received: doctorNow}
		}})
	if err != nil {
		t.Fatal(err)
	}
	credentials := 0
	for _, ch := range healthy.Checks {
		if ch.Area == AreaCredentials {
			credentials++
		}
		if ch.Area == AreaCredentials && ch.Status != CheckOK && ch.Status != CheckWarning {
			t.Errorf("namespace a: %+v", ch)
		}
		if strings.HasPrefix(ch.Subject, "secret b/") || strings.HasPrefix(ch.Subject, "secret c/") {
			t.Errorf("a Secret of another namespace was checked: %+v", ch)
		}
	}
	if credentials != 4 {
		t.Errorf("%d credentials checks, want the key, authentication, rate limit and clock of a/%s: %+v",
			credentials, DefaultCredentialsSecret, healthy.Checks)
	}
}

// TestDoctorStaleLease judges a manager without a Deployment by its lease only.
func TestDoctorStaleLease(t *testing.T) {
	_, scheme := doctorCluster(t)
	// The manager stopped: its lease is stale; with no Deployment, only the lease tells.
	stale := fake.NewClientBuilder().WithScheme(scheme).WithObjects(crd("destinations", "v1alpha1"), crd("sources", "v1alpha1"),
		crd("connections", "v1alpha1"), lease("pod-a", time.Minute, 15)).Build()
	stopped, err := Doctor(context.Background(), stale, DoctorOptions{Now: func() time.Time { return doctorNow }})
	if err != nil {
		t.Fatal(err)
	}
	if l := byStatus(stopped.Checks, "lease hookstream-system/"+DefaultLeaseName); l == nil || l.Status != CheckProblem ||
		!errors.Is(stopped.Err(), ErrProblems) {
		t.Errorf("a stale lease: %+v, %v", l, stopped.Err())
	}
}

// TestDoctorCommandUnreachableCluster exits 2 when the API server cannot be reached, and refuses an unknown format.
func TestDoctorCommandUnreachableCluster(t *testing.T) {
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	// A closed port: nothing listens there.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	cfg := "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"http://" + addr + "\"}\n" +
		"contexts:\n- name: c\n  context: {cluster: c, user: u}\nusers:\n- name: u\n  user: {}\ncurrent-context: c\n"
	if err := os.WriteFile(kubeconfig, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run(t, "doctor", "-A", "--kubeconfig", kubeconfig)
	if code != ExitError || !strings.Contains(stderr, "connection refused") {
		t.Errorf("doctor against %s: exit %d, want %d\n%s%s", addr, code, ExitError, stdout, stderr)
	}
	if code, _, stderr := run(t, "doctor", "-o", "yaml", "--kubeconfig", kubeconfig); code != ExitError || !strings.Contains(stderr, "unknown output format") {
		t.Errorf("doctor -o yaml: exit %d, %s", code, stderr)
	}
}
