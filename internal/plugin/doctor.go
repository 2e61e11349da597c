// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
)

// The states of one doctor check.
const (
	CheckOK      = "ok"
	CheckWarning = "warning"
	CheckProblem = "problem"
	// CheckUnknown is a check that could not be made (no permission, hookstream unreachable).
	CheckUnknown = "unknown"
)

// The areas doctor checks.
const (
	AreaCRD         = "crd"
	AreaManager     = "manager"
	AreaCredentials = "credentials"
	AreaObjects     = "objects"
)

// Defaults of doctor's flags.
const (
	// DefaultLeaseNamespace is the namespace the chart installs the manager into.
	DefaultLeaseNamespace = "hookstream-system"
	// DefaultLeaseName is the manager's --leader-election-id default (cmd/shard.go).
	DefaultLeaseName = "hookstream-operator.hookstream.io"
	// leaseNamePrefix starts the lease names of the chart (<fullname>, <fullname>-<shard>) and of shards
	// (hookstream-operator-<selector>-<hash>).
	leaseNamePrefix = "hookstream-operator"
	// DefaultMaxClockSkew is the clock skew between this machine and hookstream doctor reports as a problem.
	DefaultMaxClockSkew = 30 * time.Second
	// lowHeadroom is the share of the rate-limit window left below which doctor warns.
	lowHeadroom = 0.1
	// defaultLeaseDuration is the manager's --leader-elect-lease-duration default, for a Lease that lacks one.
	defaultLeaseDuration = 15 * time.Second
)

// FixStartManager is the fix of a Lease that is absent, released or stale.
const FixStartManager = "start the manager (the operator's Deployment, or the binary with --leader-elect), or pass " +
	"--lease-namespace and --lease-name where it keeps its lease"

// managerSelector selects the operator's Deployments (config/manager and the chart).
var managerSelector = client.MatchingLabels{"control-plane": "controller-manager"}

// ErrProblems is returned by doctor when it found problems; the binary exits with ExitDifferences (1).
var ErrProblems = errors.New("problems found")

// ErrNotChecked is returned by doctor when no problem was found but a check could not be made; the binary exits
// with ExitError (2).
var ErrNotChecked = errors.New("some checks could not be made")

// Check is one finding of doctor.
type Check struct {
	Area    string `json:"area"`
	Subject string `json:"subject"`
	Status  string `json:"status"`
	Detail  string `json:"detail"`
	Fix     string `json:"fix,omitempty"`
	// Objects are the objects of an AreaObjects check.
	Objects []DoctorObject `json:"objects,omitempty"`
}

// DoctorObject is one object that is not Ready.
type DoctorObject struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Stalled   bool   `json:"stalled"`
	Message   string `json:"message"`
}

// DoctorReport is every check doctor made, in order: CRDs, manager, credentials, objects.
type DoctorReport struct {
	Checks []Check `json:"checks"`
}

// Count returns how many checks have the status.
func (r *DoctorReport) Count(status string) int {
	n := 0
	for _, c := range r.Checks {
		if c.Status == status {
			n++
		}
	}
	return n
}

// Err is nil when every check passed (warnings allowed), ErrProblems when one found a problem, else
// ErrNotChecked when one could not be made.
func (r *DoctorReport) Err() error {
	switch {
	case r.Count(CheckProblem) > 0:
		return ErrProblems
	case r.Count(CheckUnknown) > 0:
		return ErrNotChecked
	}
	return nil
}

// ProbeResult is what one cheap read of hookstream with a key told.
type ProbeResult struct {
	// Err is the read's error; nil when the key authenticates.
	Err error
	// Project and Org are the env_id and org_id of a resource the answer held; empty when it held none.
	Project, Org string
	// RateLimit is what the answer's RateLimit-* headers said.
	RateLimit hookstream.RateLimitInfo
	// Date is the answer's Date header, zero when it had none; Received is when this machine read it.
	Date, Received time.Time
}

// DoctorOptions configures Doctor.
type DoctorOptions struct {
	// Namespace of the objects; "" for all namespaces.
	Namespace string
	// LeaseNamespace is where the manager keeps its leader election Lease and its Deployment.
	LeaseNamespace string
	// LeaseNames are the Leases to judge; empty: those the Deployments' --leader-election-id name, else every
	// Lease whose name starts with hookstream-operator, else DefaultLeaseName.
	LeaseNames []string
	// DefaultCredentialsSecret is the credentials Secret of objects without spec.credentialsRef.
	DefaultCredentialsSecret string
	// Probe makes one cheap read of hookstream with the key.
	Probe func(ctx context.Context, apiKey string) ProbeResult
	// MaxClockSkew is the skew reported as a problem; 0 is DefaultMaxClockSkew.
	MaxClockSkew time.Duration
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Doctor checks the CRDs, the manager, the credentials Secrets of the objects in scope and the objects that are
// not Ready. It returns an error only when the cluster cannot be read at all.
func Doctor(ctx context.Context, c client.Reader, opts DoctorOptions) (*DoctorReport, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	opts.LeaseNamespace = cmp.Or(opts.LeaseNamespace, DefaultLeaseNamespace)
	opts.DefaultCredentialsSecret = cmp.Or(opts.DefaultCredentialsSecret, DefaultCredentialsSecret)
	opts.MaxClockSkew = cmp.Or(opts.MaxClockSkew, DefaultMaxClockSkew)
	r := &DoctorReport{Checks: []Check{}}
	crds, err := checkCRDs(ctx, c)
	if err != nil {
		return nil, err
	}
	r.Checks = append(r.Checks, crds...)
	manager, err := checkManager(ctx, c, opts)
	if err != nil {
		return nil, err
	}
	r.Checks = append(r.Checks, manager...)
	var objects []listedObject
	err = listObjects(ctx, c, opts.Namespace, func(kind string, u *unstructured.Unstructured) {
		objects = append(objects, listedObject{kind: kind, u: u})
	})
	switch {
	case apierrors.IsForbidden(err):
		r.Checks = append(r.Checks, Check{Area: AreaObjects, Subject: "objects", Status: CheckUnknown,
			Detail: "cannot list the hookstream objects: " + err.Error(), Fix: "run doctor with a kubeconfig that may list them"})
		return r, nil
	case err != nil:
		return nil, err
	}
	creds, err := checkCredentials(ctx, c, objects, opts)
	if err != nil {
		return nil, err
	}
	r.Checks = append(r.Checks, creds...)
	r.Checks = append(r.Checks, checkObjects(objects)...)
	return r, nil
}

type listedObject struct {
	kind string
	u    *unstructured.Unstructured
}

// hookstreamCRDs are the CRDs the operator installs, by kind.
var hookstreamCRDs = []string{"destinations", "sources", "connections", "hookstreamreferencegrants"}

func checkCRDs(ctx context.Context, c client.Reader) ([]Check, error) {
	known := v1.GroupVersion.Version
	var checks []Check
	for _, plural := range hookstreamCRDs {
		name := plural + "." + v1.GroupVersion.Group
		crd := &unstructured.Unstructured{}
		crd.SetGroupVersionKind(schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"})
		check := Check{Area: AreaCRD, Subject: name}
		err := c.Get(ctx, client.ObjectKey{Name: name}, crd)
		switch {
		case apierrors.IsNotFound(err):
			check.Status, check.Detail = CheckProblem, "not installed"
			check.Fix = "install the CRDs: helm install the chart, or kubectl apply -f dist/install.yaml (make build-installer)"
			checks = append(checks, check)
			continue
		case apierrors.IsForbidden(err):
			check.Status, check.Detail = CheckUnknown, "cannot read CRDs: "+err.Error()
			checks = append(checks, check)
			continue
		case err != nil:
			return nil, fmt.Errorf("reading the CRD %s: %w", name, err)
		}
		versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
		var served []string
		for _, v := range versions {
			m, _ := v.(map[string]any)
			if ok, _ := m["served"].(bool); ok {
				name, _ := m["name"].(string)
				served = append(served, name)
			}
		}
		check.Detail = fmt.Sprintf("serves %s; this plugin knows %s", cmp.Or(strings.Join(served, ", "), "no version"), known)
		switch {
		case !slices.Contains(served, known):
			check.Status = CheckProblem
			check.Fix = "install the CRDs of the operator version this plugin belongs to, or the plugin of the installed operator"
		case len(served) > 1:
			check.Status = CheckWarning
			check.Fix = "upgrade the plugin to read the newer versions"
		default:
			check.Status = CheckOK
		}
		checks = append(checks, check)
	}
	return checks, nil
}

func checkManager(ctx context.Context, c client.Reader, opts DoctorOptions) ([]Check, error) {
	ns := opts.LeaseNamespace
	var checks []Check
	deployments := &appsv1.DeploymentList{}
	leaseNames := slices.Clone(opts.LeaseNames)
	leaseExpected := true
	err := c.List(ctx, deployments, client.InNamespace(ns), managerSelector)
	switch {
	case apierrors.IsForbidden(err):
		checks = append(checks, Check{Area: AreaManager, Subject: "deployments " + ns, Status: CheckUnknown,
			Detail: "cannot list Deployments: " + err.Error()})
	case err != nil:
		return nil, fmt.Errorf("listing the manager's Deployments in %s: %w", ns, err)
	default:
		electing := 0
		for i := range deployments.Items {
			d := &deployments.Items[i]
			checks = append(checks, judgeDeployment(d))
			id, elects := leaderElection(d)
			if elects {
				electing++
				if len(opts.LeaseNames) == 0 && id != "" && !slices.Contains(leaseNames, id) {
					leaseNames = append(leaseNames, id)
				}
			}
		}
		// Every Deployment runs without --leader-elect: there is no lease to judge.
		leaseExpected = len(deployments.Items) == 0 || electing > 0
	}
	if !leaseExpected && len(opts.LeaseNames) == 0 {
		return checks, nil
	}
	if len(leaseNames) == 0 {
		leases := &coordinationv1.LeaseList{}
		if err := c.List(ctx, leases, client.InNamespace(ns)); err == nil {
			for _, l := range leases.Items {
				if strings.HasPrefix(l.Name, leaseNamePrefix) {
					leaseNames = append(leaseNames, l.Name)
				}
			}
		} else if !apierrors.IsForbidden(err) {
			return nil, fmt.Errorf("listing the Leases of %s: %w", ns, err)
		}
	}
	if len(leaseNames) == 0 {
		leaseNames = []string{DefaultLeaseName}
	}
	slices.Sort(leaseNames)
	for _, name := range leaseNames {
		lease := &coordinationv1.Lease{}
		err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, lease)
		switch {
		case apierrors.IsNotFound(err):
			checks = append(checks, JudgeLease(ns, name, nil, opts.Now()))
		case apierrors.IsForbidden(err):
			checks = append(checks, Check{Area: AreaManager, Subject: "lease " + ns + "/" + name, Status: CheckUnknown,
				Detail: "cannot read the Lease: " + err.Error()})
		case err != nil:
			return nil, fmt.Errorf("reading the Lease %s/%s: %w", ns, name, err)
		default:
			checks = append(checks, JudgeLease(ns, name, lease, opts.Now()))
		}
	}
	return checks, nil
}

// leaderElection reads the manager container's --leader-elect and --leader-election-id.
func leaderElection(d *appsv1.Deployment) (id string, elects bool) {
	for _, ctr := range d.Spec.Template.Spec.Containers {
		args := append(slices.Clone(ctr.Command), ctr.Args...)
		for i, a := range args {
			switch {
			case a == "--leader-elect" || a == "--leader-elect=true":
				elects = true
			case strings.HasPrefix(a, "--leader-election-id="):
				id = strings.TrimPrefix(a, "--leader-election-id=")
			case a == "--leader-election-id" && i+1 < len(args):
				id = args[i+1]
			}
		}
	}
	if elects && id == "" {
		id = DefaultLeaseName
	}
	return id, elects
}

func judgeDeployment(d *appsv1.Deployment) Check {
	check := Check{Area: AreaManager, Subject: "deployment " + d.Namespace + "/" + d.Name}
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	available := false
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentAvailable && c.Status == corev1.ConditionTrue {
			available = true
		}
	}
	check.Detail = fmt.Sprintf("%d of %d replicas available", d.Status.AvailableReplicas, want)
	if available && d.Status.AvailableReplicas > 0 {
		check.Status = CheckOK
		return check
	}
	check.Status = CheckProblem
	check.Detail += ": the manager is not available"
	check.Fix = fmt.Sprintf("kubectl -n %s describe deployment %s; kubectl -n %s logs deployment/%s", d.Namespace, d.Name, d.Namespace, d.Name)
	return check
}

// JudgeLease judges the manager's leader election Lease (nil: absent): it must be held and renewed within its
// lease duration.
func JudgeLease(namespace, name string, lease *coordinationv1.Lease, now time.Time) Check {
	check := Check{Area: AreaManager, Subject: "lease " + namespace + "/" + name, Status: CheckProblem}
	start := FixStartManager
	if lease == nil {
		check.Detail = "absent: no manager runs with leader election under this name and namespace"
		check.Fix = start
		return check
	}
	holder := ""
	if lease.Spec.HolderIdentity != nil {
		holder = *lease.Spec.HolderIdentity
	}
	duration := defaultLeaseDuration
	if lease.Spec.LeaseDurationSeconds != nil {
		duration = time.Duration(*lease.Spec.LeaseDurationSeconds) * time.Second
	}
	if holder == "" {
		check.Detail = "held by no one: its last holder released it, so the manager stopped"
		check.Fix = start
		return check
	}
	if lease.Spec.RenewTime == nil {
		check.Detail = fmt.Sprintf("held by %s but never renewed", holder)
		check.Fix = start
		return check
	}
	age := now.Sub(lease.Spec.RenewTime.Time)
	if age > duration {
		check.Detail = fmt.Sprintf("held by %s, last renewed %s ago, longer than its lease duration %s: the manager "+
			"stopped, or cannot reach the API server", holder, age.Round(time.Second), duration)
		check.Fix = "read the manager's logs and restart it; " + start
		return check
	}
	check.Status = CheckOK
	check.Detail = fmt.Sprintf("held by %s, renewed %s ago (lease duration %s)", holder, max(age, 0).Round(time.Second), duration)
	check.Fix = ""
	return check
}

// credentialsUse is one credentials Secret and the objects that read it.
type credentialsUse struct {
	namespace, name string
	objects         []string
}

func checkCredentials(ctx context.Context, c client.Reader, objects []listedObject, opts DoctorOptions) ([]Check, error) {
	uses := map[string]*credentialsUse{}
	for _, o := range objects {
		name, _, _ := unstructured.NestedString(o.u.Object, "spec", "credentialsRef", "name")
		name = cmp.Or(name, opts.DefaultCredentialsSecret)
		key := o.u.GetNamespace() + "/" + name
		if uses[key] == nil {
			uses[key] = &credentialsUse{namespace: o.u.GetNamespace(), name: name}
		}
		uses[key].objects = append(uses[key].objects, o.kind+"/"+o.u.GetName())
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range uses {
			if !yield(k) {
				return
			}
		}
	})
	probes := map[string]ProbeResult{}
	var checks []Check
	for _, k := range keys {
		use := uses[k]
		subject := "secret " + k
		usedBy := fmt.Sprintf("used by %d object(s)", len(use.objects))
		s := &corev1.Secret{}
		err := c.Get(ctx, client.ObjectKey{Namespace: use.namespace, Name: use.name}, s)
		switch {
		case apierrors.IsNotFound(err):
			checks = append(checks, Check{Area: AreaCredentials, Subject: subject, Status: CheckProblem,
				Detail: "missing, " + usedBy + ": " + strings.Join(use.objects, ", "),
				Fix:    fmt.Sprintf("kubectl -n %s create secret generic %s --from-literal=%s=<API key>", use.namespace, use.name, v1.CredentialsKey)})
			continue
		case apierrors.IsForbidden(err):
			checks = append(checks, Check{Area: AreaCredentials, Subject: subject, Status: CheckUnknown,
				Detail: "cannot read the Secret: " + err.Error()})
			continue
		case err != nil:
			return nil, fmt.Errorf("reading the credentials Secret %s: %w", k, err)
		}
		apiKey, check := JudgeKey(subject, s)
		check.Detail += ", " + usedBy
		checks = append(checks, check)
		if check.Status != CheckOK || opts.Probe == nil {
			continue
		}
		res, ok := probes[apiKey]
		if !ok {
			res = opts.Probe(ctx, apiKey)
			probes[apiKey] = res
		}
		checks = append(checks, JudgeProbe(subject, res, opts.MaxClockSkew)...)
	}
	return checks, nil
}

// JudgeKey checks that the Secret holds a key "apiKey" that is not blank and can travel in an HTTP header, and
// returns it. The check never holds the key.
func JudgeKey(subject string, s *corev1.Secret) (string, Check) {
	check := Check{Area: AreaCredentials, Subject: subject, Status: CheckProblem}
	raw, ok := s.Data[v1.CredentialsKey]
	key := strings.TrimSpace(string(raw))
	switch {
	case !ok:
		check.Detail = fmt.Sprintf("has no key %q", v1.CredentialsKey)
		check.Fix = Fixes[v1.ReasonCredentialsNotFound]
	case key == "":
		check.Detail = fmt.Sprintf("key %q is blank", v1.CredentialsKey)
		check.Fix = Fixes[v1.ReasonCredentialsInvalid]
	default:
		if _, err := hookstream.New(hookstream.Options{APIKey: key}); err != nil {
			check.Detail = fmt.Sprintf("key %q cannot be sent: %v", v1.CredentialsKey, err)
			check.Fix = Fixes[v1.ReasonCredentialsInvalid]
			break
		}
		check.Status = CheckOK
		check.Detail = fmt.Sprintf("key %q present", v1.CredentialsKey)
		return key, check
	}
	return "", check
}

// JudgeProbe turns what one read with the key told into checks: authentication and project, rate-limit headroom,
// clock skew.
func JudgeProbe(subject string, res ProbeResult, maxSkew time.Duration) []Check {
	auth := Check{Area: AreaCredentials, Subject: subject}
	var apiErr *hookstream.APIError
	switch {
	case hookstream.IsUnauthorized(res.Err):
		auth.Status, auth.Detail, auth.Fix = CheckProblem, "hookstream rejected the key (401)", Fixes[v1.ReasonUnauthorized]
		return []Check{auth}
	case hookstream.IsForbidden(res.Err):
		auth.Status, auth.Detail, auth.Fix = CheckProblem, "hookstream refused a read with the key (403)", Fixes[v1.ReasonForbidden]
		return []Check{auth}
	case errors.As(res.Err, &apiErr) && apiErr.StatusCode < 500 && apiErr.StatusCode != http.StatusTooManyRequests:
		auth.Status, auth.Detail = CheckProblem, "hookstream answered a read with the key: "+res.Err.Error()
		auth.Fix = "check --url: it must be the API base URL, e.g. https://hookstream.io/v1"
		return []Check{auth}
	case res.Err != nil:
		auth.Status, auth.Detail = CheckUnknown, "could not read hookstream with the key: "+res.Err.Error()
		auth.Fix = "check --url and the network to hookstream, then run doctor again"
		return []Check{auth}
	}
	auth.Status = CheckOK
	auth.Detail = "authenticates"
	if res.Project != "" {
		auth.Detail += "; project " + res.Project
		if res.Org != "" {
			auth.Detail += " of org " + res.Org
		}
	} else {
		auth.Detail += "; the answer names no project (it held no destination or source)"
	}
	checks := []Check{auth}

	rate := Check{Area: AreaCredentials, Subject: subject + " rate limit", Status: CheckOK}
	switch rl := res.RateLimit; {
	case !rl.HasHeaders:
		rate.Detail = "the answer has no RateLimit-* headers"
	case rl.Limit > 0 && float64(rl.Remaining) < lowHeadroom*float64(rl.Limit):
		rate.Status = CheckWarning
		rate.Detail = fmt.Sprintf("%d of %d requests left, window resets in %s", rl.Remaining, rl.Limit, rl.Reset)
		rate.Fix = "something else spends this key's budget: give the operator its own key, or lower --hookstream-rate-limit"
	case rl.Limit > 0:
		rate.Detail = fmt.Sprintf("%d of %d requests left, window resets in %s", rl.Remaining, rl.Limit, rl.Reset)
	default:
		rate.Detail = fmt.Sprintf("%d requests left, window resets in %s", rl.Remaining, rl.Reset)
	}
	checks = append(checks, rate)

	skew := Check{Area: AreaCredentials, Subject: subject + " clock", Status: CheckOK}
	if res.Date.IsZero() {
		skew.Status, skew.Detail = CheckWarning, "the answer has no Date header: clock skew unknown"
	} else {
		d := ClockSkew(res.Date, res.Received)
		skew.Detail = fmt.Sprintf("this machine's clock is %s %s hookstream's (at most %s allowed)", d.Abs(), aheadOrBehind(d), maxSkew)
		if d.Abs() > maxSkew {
			skew.Status = CheckProblem
			skew.Fix = "synchronise this machine's clock (NTP); lease ages and signature timestamps depend on it"
		}
	}
	return append(checks, skew)
}

// ClockSkew is how far the local clock at received is ahead of the server's Date (negative: behind). Date has
// whole seconds, so up to a second of difference counts as none.
func ClockSkew(date, received time.Time) time.Duration {
	d := received.Sub(date)
	if d >= 0 && d < time.Second {
		return 0
	}
	return d.Truncate(time.Second)
}

func aheadOrBehind(d time.Duration) string {
	if d < 0 {
		return "behind"
	}
	return "ahead of"
}

func checkObjects(objects []listedObject) []Check {
	groups := map[string]*Check{}
	var order []string
	for _, o := range objects {
		ready := condition(o.u, v1.ConditionReady)
		if ready != nil && ready.Status == "True" {
			continue
		}
		reason, message := "", ""
		if ready != nil {
			reason, message = ready.Reason, ready.Message
		}
		stalled := condition(o.u, v1.ConditionStalled)
		key := o.kind + "/" + reason
		g := groups[key]
		if g == nil {
			g = &Check{Area: AreaObjects, Subject: o.kind + " " + cmp.Or(reason, "(no Ready condition)"), Status: CheckProblem, Fix: FixFor(reason)}
			groups[key] = g
			order = append(order, key)
		}
		g.Objects = append(g.Objects, DoctorObject{Namespace: o.u.GetNamespace(), Name: o.u.GetName(), Message: message,
			Stalled: stalled != nil && stalled.Status == "True"})
	}
	slices.SortFunc(order, func(a, b string) int {
		ka, _, _ := strings.Cut(a, "/")
		kb, _, _ := strings.Cut(b, "/")
		return cmp.Or(kindRank(ka)-kindRank(kb), strings.Compare(a, b))
	})
	checks := make([]Check, 0, len(order)+1)
	for _, k := range order {
		g := groups[k]
		stalled := 0
		for _, o := range g.Objects {
			if o.Stalled {
				stalled++
			}
		}
		g.Detail = fmt.Sprintf("%d not Ready", len(g.Objects))
		if stalled > 0 {
			g.Detail += fmt.Sprintf(", %d of them Stalled", stalled)
		}
		checks = append(checks, *g)
	}
	if len(checks) == 0 {
		checks = append(checks, Check{Area: AreaObjects, Subject: "objects", Status: CheckOK,
			Detail: fmt.Sprintf("all %d Ready", len(objects))})
	}
	return checks
}

// PrintDoctor writes the report as text: one line per check, its fix and objects indented below, and a summary.
func PrintDoctor(w io.Writer, r *DoctorReport) error {
	var b strings.Builder
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "%-8s %-12s %s: %s\n", c.Status, c.Area, c.Subject, c.Detail)
		for _, o := range c.Objects {
			stalled := ""
			if o.Stalled {
				stalled = " (Stalled)"
			}
			fmt.Fprintf(&b, "%22s %s/%s%s: %s\n", "", o.Namespace, o.Name, stalled, cmp.Or(o.Message, "-"))
		}
		if c.Fix != "" {
			fmt.Fprintf(&b, "%22s fix: %s\n", "", c.Fix)
		}
	}
	fmt.Fprintf(&b, "\n%d problem(s), %d warning(s), %d check(s) not made\n",
		r.Count(CheckProblem), r.Count(CheckWarning), r.Count(CheckUnknown))
	_, err := io.WriteString(w, b.String())
	return err
}

// PrintDoctorJSON writes the report as one JSON object.
func PrintDoctorJSON(w io.Writer, r *DoctorReport) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// ProbeKey makes one cheap read of hookstream (the first page of one destination, then of one source when there
// is none) with a client built from opts, and records the answer's rate-limit and Date headers.
func ProbeKey(ctx context.Context, opts hookstream.Options) ProbeResult {
	rec := &probeRecorder{}
	base := opts.HTTPClient
	if base == nil {
		var err error
		if base, err = hookstream.NewHTTPClient(nil); err != nil {
			return ProbeResult{Err: err}
		}
	}
	httpClient := *base
	next := cmp.Or[http.RoundTripper](httpClient.Transport, http.DefaultTransport)
	httpClient.Transport = roundTripFunc(func(req *http.Request) (*http.Response, error) {
		resp, err := next.RoundTrip(req)
		if err == nil {
			rec.observeDate(resp.Header.Get("Date"))
		}
		return resp, err
	})
	opts.HTTPClient, opts.Limiter = &httpClient, rec
	hs, err := hookstream.New(opts)
	if err != nil {
		return ProbeResult{Err: err}
	}
	res := ProbeResult{}
	page, err := hs.ListDestinations(ctx, hookstream.ListOptions{Limit: 1})
	if err == nil && len(page.Destinations) > 0 {
		res.Project, res.Org = page.Destinations[0].EnvID, page.Destinations[0].OrgID
	} else if err == nil {
		sources, serr := hs.ListSources(ctx, hookstream.ListOptions{Limit: 1})
		if serr == nil && len(sources.Sources) > 0 {
			res.Project, res.Org = sources.Sources[0].EnvID, sources.Sources[0].OrgID
		}
	}
	res.Err = err
	rec.mu.Lock()
	defer rec.mu.Unlock()
	res.RateLimit, res.Date, res.Received = rec.info, rec.date, rec.received
	return res
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// probeRecorder is a Limiter that never waits and keeps the last answer's rate-limit headers and Date.
type probeRecorder struct {
	mu       sync.Mutex
	info     hookstream.RateLimitInfo
	date     time.Time
	received time.Time
}

func (p *probeRecorder) Wait(context.Context) error { return nil }

func (p *probeRecorder) Observe(info hookstream.RateLimitInfo) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.info = info
}

func (p *probeRecorder) observeDate(raw string) {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.received = now
	p.date = time.Time{}
	if d, err := http.ParseTime(raw); err == nil {
		p.date = d
	}
}
