// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"regexp"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/test/harness"
	"github.com/hookstream/hookstream-operator/test/harness/harnesstest"
)

// object is a Destination, a Source or a Connection, as the scenarios read it.
type object interface {
	client.Object
	GetManagedStatus() *v1.ManagedStatus
}

// spec is the part of an object's spec that the scenarios change and then look for in hookstream: a
// destinationSpec, a sourceSpec or a connectionSpec. Specs are comparable values.
type spec any

// remoteRow is one remote resource of a kind, with what the comparison needs of it.
type remoteRow struct {
	ID string
	// diffs lists, as "field got want", how the remote resource differs from a spec of its kind.
	diffs func(want spec) []string
}

// kindOps is what the scenarios need to know of one kind: its objects on the Kubernetes side, its remote
// resources on hookstream's, and its routes. The drivers and checks of helpers_test.go work on any kind through it.
type kindOps interface {
	// kind is the Kubernetes kind, as in the table: "Destination".
	kind() string
	// remote is hookstream's name of the resource: "destination".
	remote() string
	routes() harness.RouteSet
	newObject() object
	newList() client.ObjectList
	items(list client.ObjectList) []object
	// specFor is version n of the spec of the object name in ns: every version differs from the previous one in
	// every field a user would change.
	specFor(ns, name string, version int) spec
	applySpec(obj object, sp spec)
	specOf(obj object) spec
	// createPatches is the PATCHes a create with sp needs after its POST: fields hookstream sets by update only.
	createPatches(sp spec) int
	// prepare creates what the kind's objects in ns refer to, besides other kinds' objects (see runsOf).
	prepare(t testing.TB, ns string)
	// remoteBySlug reads every remote resource of the kind, by the slug of the object it belongs to (a
	// connection, which has no slug, by the slug its name carries: see connectionOps).
	remoteBySlug(t testing.TB, hs *hookstream.Client) map[string][]remoteRow
	// key names what finds a remote resource of the kind again after an unrecorded create: "slug".
	key() string
}

var (
	destinations kindOps = destinationOps{}
	sources      kindOps = sourceOps{}
	connections  kindOps = connectionOps{}
	allKinds             = []kindOps{destinations, sources, connections}
	// secretKinds are the kinds whose objects hold secrets.
	secretKinds = []kindOps{destinations, sources}
)

// destinationOps drives Destinations.
type destinationOps struct{}

// destinationSpec is the part of a Destination's spec that the scenarios change.
type destinationSpec struct {
	DisplayName string
	URL         string
	MaxAttempts int32
}

func (destinationOps) kind() string               { return "Destination" }
func (destinationOps) remote() string             { return "destination" }
func (destinationOps) routes() harness.RouteSet   { return harness.DestinationRoutes }
func (destinationOps) newObject() object          { return &v1.Destination{} }
func (destinationOps) newList() client.ObjectList { return &v1.DestinationList{} }
func (destinationOps) createPatches(spec) int     { return 0 }
func (destinationOps) prepare(testing.TB, string) {}
func (destinationOps) key() string                { return "slug" }
func (destinationOps) items(l client.ObjectList) []object {
	items := l.(*v1.DestinationList).Items
	out := make([]object, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	return out
}

func (destinationOps) specFor(_, name string, version int) spec {
	return destinationSpec{
		DisplayName: fmt.Sprintf("%s v%d", name, version),
		URL:         fmt.Sprintf("https://receiver.example.com/%s/v%d", name, version),
		MaxAttempts: int32(1 + version%10),
	}
}

func (destinationOps) applySpec(obj object, s spec) {
	d, sp := obj.(*v1.Destination), s.(destinationSpec)
	d.Spec.DisplayName = sp.DisplayName
	d.Spec.HTTP = &v1.HTTPDestination{URL: sp.URL}
	d.Spec.Retry = &v1.RetryPolicy{MaxAttempts: new(sp.MaxAttempts)}
}

func (destinationOps) specOf(obj object) spec {
	d := obj.(*v1.Destination)
	sp := destinationSpec{DisplayName: d.Spec.DisplayName}
	if d.Spec.HTTP != nil {
		sp.URL = d.Spec.HTTP.URL
	}
	if d.Spec.Retry != nil && d.Spec.Retry.MaxAttempts != nil {
		sp.MaxAttempts = *d.Spec.Retry.MaxAttempts
	}
	return sp
}

func (destinationOps) remoteBySlug(t testing.TB, hs *hookstream.Client) map[string][]remoteRow {
	t.Helper()
	out := map[string][]remoteRow{}
	for slug, rows := range harnesstest.RemoteBySlug(t, hs) {
		for _, d := range rows {
			out[slug] = append(out[slug], remoteRow{ID: d.ID, diffs: func(want spec) []string {
				sp := want.(destinationSpec)
				var diffs []string
				if d.Name != sp.DisplayName {
					diffs = append(diffs, fmt.Sprintf("name %q want %q", d.Name, sp.DisplayName))
				}
				if d.URL != sp.URL {
					diffs = append(diffs, fmt.Sprintf("url %q want %q", d.URL, sp.URL))
				}
				if d.RetryMaxAttempts == nil || *d.RetryMaxAttempts != int(sp.MaxAttempts) {
					diffs = append(diffs, fmt.Sprintf("retry_max_attempts %v want %d", ptrValue(d.RetryMaxAttempts), sp.MaxAttempts))
				}
				return diffs
			}})
		}
	}
	return out
}

// sourceOps drives Sources. Every Source checks signatures (HMAC-SHA256 in X-Signature) with the signing secret of
// its namespace, which does not change: a changed secret is sent again whenever the operator cannot tell whether
// hookstream has it, so rotations are the secret scenario's subject, not the write accounting's.
type sourceOps struct{}

const (
	signingSecretName = "source-signing"
	signingSecretKey  = "secret"
	// signingSecret is the value of the signing Secret of every namespace: not a secret, a test value.
	signingSecret   = "fault-suite-signing-secret-7c1e"
	signatureHeader = "X-Signature"
)

// sourceSpec is the part of a Source's spec that the scenarios change.
type sourceSpec struct {
	DisplayName string
	Description string
	State       v1.ResourceState
	DedupWindow int32
	// Allowlist is the IP allowlist, sorted and comma-separated.
	Allowlist string
}

// sourceStates is the cycle of spec.state over versions: version 1 is active, so that most creates need no PATCH.
var sourceStates = []v1.ResourceState{"active", "paused", "active", "disabled"}

func (sourceOps) kind() string               { return "Source" }
func (sourceOps) remote() string             { return "source" }
func (sourceOps) routes() harness.RouteSet   { return harness.SourceRoutes }
func (sourceOps) newObject() object          { return &v1.Source{} }
func (sourceOps) newList() client.ObjectList { return &v1.SourceList{} }
func (sourceOps) key() string                { return "slug" }
func (sourceOps) items(l client.ObjectList) []object {
	items := l.(*v1.SourceList).Items
	out := make([]object, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	return out
}

// specFor changes the name, the description, the state, the dedup window and the allowlist on every version.
func (sourceOps) specFor(_, name string, version int) spec {
	allow := []string{fmt.Sprintf("203.0.113.%d", version%250)}
	if version%2 == 0 {
		allow = append(allow, fmt.Sprintf("198.51.%d.0/24", version%250))
	}
	slices.Sort(allow)
	return sourceSpec{
		DisplayName: fmt.Sprintf("%s v%d", name, version),
		Description: fmt.Sprintf("Webhooks of %s, version %d", name, version),
		State:       sourceStates[(version-1)%len(sourceStates)],
		DedupWindow: int32(60 * version),
		Allowlist:   strings.Join(allow, ","),
	}
}

// createPatches: hookstream creates every source active; another state takes a PATCH.
func (sourceOps) createPatches(s spec) int {
	if s.(sourceSpec).State != "active" {
		return 1
	}
	return 0
}

func (sourceOps) applySpec(obj object, s spec) {
	src, sp := obj.(*v1.Source), s.(sourceSpec)
	src.Spec.DisplayName = sp.DisplayName
	src.Spec.Description = sp.Description
	src.Spec.State = sp.State
	src.Spec.Deduplication = &v1.SourceDeduplication{Strategy: "payload_hash", WindowSeconds: new(sp.DedupWindow)}
	src.Spec.IPAllowlist = nil
	for ip := range strings.SplitSeq(sp.Allowlist, ",") {
		src.Spec.IPAllowlist = append(src.Spec.IPAllowlist, v1.IPv4OrCIDR(ip))
	}
	src.Spec.Verification = &v1.SourceVerification{Type: v1.VerificationHMACSHA256, Header: signatureHeader,
		SecretRef: v1.SecretKeySelector{Name: signingSecretName, Key: signingSecretKey}}
}

func (sourceOps) specOf(obj object) spec {
	src := obj.(*v1.Source)
	sp := sourceSpec{DisplayName: src.Spec.DisplayName, Description: src.Spec.Description, State: src.Spec.State}
	if d := src.Spec.Deduplication; d != nil && d.WindowSeconds != nil {
		sp.DedupWindow = *d.WindowSeconds
	}
	var allow []string
	for _, ip := range src.Spec.IPAllowlist {
		allow = append(allow, string(ip))
	}
	slices.Sort(allow)
	sp.Allowlist = strings.Join(allow, ",")
	return sp
}

// prepare creates the signing Secret the Sources of ns refer to.
func (sourceOps) prepare(t testing.TB, ns string) {
	t.Helper()
	must(t, kubeRetry(func(ctx context.Context, _ int) error {
		err := kube.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: signingSecretName},
			StringData: map[string]string{signingSecretKey: signingSecret}})
		if apierrors.IsAlreadyExists(err) {
			return nil
		}
		return err
	}))
}

func (sourceOps) remoteBySlug(t testing.TB, hs *hookstream.Client) map[string][]remoteRow {
	t.Helper()
	out := map[string][]remoteRow{}
	for slug, rows := range harnesstest.RemoteSourcesBySlug(t, hs) {
		for _, s := range rows {
			out[slug] = append(out[slug], remoteRow{ID: s.ID, diffs: func(want spec) []string {
				return sourceDiffs(s, want.(sourceSpec))
			}})
		}
	}
	return out
}

// sourceDiffs compares a remote source with a spec: the fields the spec changes, and the signature check every
// Source has. hookstream reads the secret back masked ("****" and its last four characters) or in plain text.
func sourceDiffs(s *hookstream.Source, sp sourceSpec) []string {
	var diffs []string
	add := func(field string, got, want any) {
		diffs = append(diffs, fmt.Sprintf("%s %v want %v", field, got, want))
	}
	if s.Name != sp.DisplayName {
		add("name", fmt.Sprintf("%q", s.Name), fmt.Sprintf("%q", sp.DisplayName))
	}
	if s.Description == nil || *s.Description != sp.Description {
		add("description", fmt.Sprintf("%q", ptrValue(s.Description)), fmt.Sprintf("%q", sp.Description))
	}
	if s.Status != string(sp.State) {
		add("status", s.Status, sp.State)
	}
	if !s.DedupEnabled || s.DedupStrategy == nil || *s.DedupStrategy != hookstream.DedupPayloadHash {
		add("dedup", fmt.Sprintf("enabled=%t strategy=%v", s.DedupEnabled, ptrValue(s.DedupStrategy)), "enabled=true strategy=payload_hash")
	}
	if s.DedupWindowSeconds == nil || *s.DedupWindowSeconds != int(sp.DedupWindow) {
		add("dedup_window_seconds", ptrValue(s.DedupWindowSeconds), sp.DedupWindow)
	}
	allow := slices.Sorted(slices.Values(s.IPAllowlist))
	if got := strings.Join(allow, ","); got != sp.Allowlist {
		add("ip_allowlist", "["+got+"]", "["+sp.Allowlist+"]")
	}
	typ := ""
	if s.VerificationType != nil {
		typ = hookstream.NormalizeVerificationType(*s.VerificationType)
	}
	if !s.VerificationEnabled || typ != hookstream.VerificationHMACSHA256 || s.VerificationHeader == nil ||
		!strings.EqualFold(*s.VerificationHeader, signatureHeader) {
		add("verification", fmt.Sprintf("enabled=%t type=%q header=%v", s.VerificationEnabled, typ, ptrValue(s.VerificationHeader)),
			"enabled=true type=hmac_sha256 header="+signatureHeader)
	}
	if got := ptrValue(s.VerificationSecret); got != signingSecret && got != "****"+signingSecret[len(signingSecret)-4:] {
		add("verification_secret", fmt.Sprintf("%q", got), "the signing secret")
	}
	return diffs
}

// connectionOps drives Connections. A Connection has no slug: every scenario names its remote connection
// "<namespace>-<name> v<version>" (spec.displayName), and a remote connection belongs to the object whose slug
// its name carries, before the version, whatever the version: two remote connections for one object are a
// duplicate, one whose name carries no object's slug an orphan. Each Connection routes from one of the Sources
// named in connectionEnds to one of the Destinations of the same names (routeEnds), which runsOf creates; scenarios
// never delete those ends, so that every change to a Connection can converge.
type connectionOps struct{}

// connectionEnds are the names of the Sources, and of the Destinations, the Connections of a scenario route
// between. Several Connections share each pair, so that finding an unrecorded create by its source, destination
// and name has to tell them apart by name.
var connectionEnds = []string{"end-0", "end-1"}

// routeEnds picks, by its name, the Source and the Destination a Connection routes between.
func routeEnds(name string) (source, destination string) {
	h := fnv.New32a()
	_, _ = h.Write([]byte(name))
	n := int(h.Sum32() % uint32(len(connectionEnds)*len(connectionEnds)))
	return connectionEnds[n%len(connectionEnds)], connectionEnds[n/len(connectionEnds)]
}

// isRouteEnd reports a Source or Destination that runsOf created for the Connections to route between.
func isRouteEnd(obj object) bool {
	_, isConnection := obj.(*v1.Connection)
	return !isConnection && slices.Contains(connectionEnds, obj.GetName())
}

// connectionSpec is the part of a Connection's spec that the scenarios change, and the ends it routes between.
type connectionSpec struct {
	// Namespace is the Connection's: the ends' slugs are in it.
	Namespace   string
	DisplayName string
	// Source and Destination name the referenced Source and Destination.
	Source, Destination string
	State               v1.ResourceState
	// Filters is the rules as hookstream has them, a JSON list of {field, op, value}.
	Filters string
	// Transform is the JSONata expression; empty clears it.
	Transform string
}

// connectionVersion matches the version suffix of the remote names the scenarios give connections.
var connectionVersion = regexp.MustCompile(` v[0-9]+$`)

// connectionSlug is the slug a remote connection's name carries: its name without the version.
func connectionSlug(c *hookstream.Connection) string {
	if loc := connectionVersion.FindStringIndex(c.Name); loc != nil {
		return c.Name[:loc[0]]
	}
	return c.Name
}

func (connectionOps) kind() string               { return "Connection" }
func (connectionOps) remote() string             { return "connection" }
func (connectionOps) key() string                { return "source, destination and name" }
func (connectionOps) routes() harness.RouteSet   { return harness.ConnectionRoutes }
func (connectionOps) newObject() object          { return &v1.Connection{} }
func (connectionOps) newList() client.ObjectList { return &v1.ConnectionList{} }
func (connectionOps) prepare(testing.TB, string) {}
func (connectionOps) items(l client.ObjectList) []object {
	items := l.(*v1.ConnectionList).Items
	out := make([]object, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	return out
}

// specFor changes the name, the state, the filter rules and the transform on every version: the first rule's
// value changes every time, and rules are added on some versions; odd versions set a transform, even ones clear
// it. The ends stay.
func (connectionOps) specFor(ns, name string, version int) spec {
	rules := []hookstream.FilterRule{{Field: "payload.type", Op: hookstream.OpEq, Value: jsonText(fmt.Sprintf("order.v%d", version))}}
	if version%2 == 0 {
		rules = append(rules, hookstream.FilterRule{Field: "payload.amount", Op: hookstream.OpGte, Value: jsonText(10 * version)})
	}
	if version%3 == 0 {
		rules = append(rules, hookstream.FilterRule{Field: "headers.x-tenant", Op: hookstream.OpExists, Value: jsonText(true)})
	}
	transform := ""
	if version%2 == 1 {
		transform = fmt.Sprintf(`{"route": %q, "version": %d, "type": type}`, name, version)
	}
	source, destination := routeEnds(name)
	return connectionSpec{
		Namespace:   ns,
		DisplayName: fmt.Sprintf("%s v%d", slugOf(ns, name), version),
		Source:      source,
		Destination: destination,
		// The same cycle as Sources': version 1 is active, so that most creates need no PATCH.
		State:     sourceStates[(version-1)%len(sourceStates)],
		Filters:   string(jsonText(rules)),
		Transform: transform,
	}
}

// jsonText is v as compact JSON.
func jsonText(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// createPatches: hookstream creates every connection with status active; another state takes a PATCH.
func (connectionOps) createPatches(s spec) int {
	if s.(connectionSpec).State != "active" {
		return 1
	}
	return 0
}

func (connectionOps) applySpec(obj object, s spec) {
	c, sp := obj.(*v1.Connection), s.(connectionSpec)
	c.Spec.DisplayName = sp.DisplayName
	c.Spec.SourceRef = &v1.EndReference{Name: sp.Source}
	c.Spec.DestinationRef = &v1.EndReference{Name: sp.Destination}
	c.Spec.State = sp.State
	var rules []hookstream.FilterRule
	if err := json.Unmarshal([]byte(sp.Filters), &rules); err != nil {
		panic(err)
	}
	c.Spec.Filters = nil
	for _, r := range rules {
		c.Spec.Filters = append(c.Spec.Filters, v1.FilterRule{Field: r.Field, Op: v1.FilterOperator(r.Op),
			Value: &apiextensionsv1.JSON{Raw: r.Value}})
	}
	c.Spec.Transform = new(sp.Transform)
}

func (connectionOps) specOf(obj object) spec {
	c := obj.(*v1.Connection)
	sp := connectionSpec{Namespace: c.Namespace, DisplayName: c.Spec.DisplayName, State: c.Spec.State}
	if c.Spec.SourceRef != nil {
		sp.Source = c.Spec.SourceRef.Name
	}
	if c.Spec.DestinationRef != nil {
		sp.Destination = c.Spec.DestinationRef.Name
	}
	rules := []hookstream.FilterRule{}
	for _, r := range c.Spec.Filters {
		value := json.RawMessage("null")
		if r.Value != nil {
			var compact bytes.Buffer
			if json.Compact(&compact, r.Value.Raw) == nil {
				value = compact.Bytes()
			}
		}
		rules = append(rules, hookstream.FilterRule{Field: r.Field, Op: string(r.Op), Value: value})
	}
	sp.Filters = string(jsonText(rules))
	if c.Spec.Transform != nil {
		sp.Transform = *c.Spec.Transform
	}
	return sp
}

// remoteBySlug reads every remote connection, and the sources and destinations, to tell which objects the
// connections route between.
func (connectionOps) remoteBySlug(t testing.TB, hs *hookstream.Client) map[string][]remoteRow {
	t.Helper()
	sourceSlugs, destinationSlugs := map[string]string{}, map[string]string{}
	for slug, rows := range harnesstest.RemoteSourcesBySlug(t, hs) {
		for _, s := range rows {
			sourceSlugs[s.ID] = slug
		}
	}
	for slug, rows := range harnesstest.RemoteBySlug(t, hs) {
		for _, d := range rows {
			destinationSlugs[d.ID] = slug
		}
	}
	out := map[string][]remoteRow{}
	for slug, rows := range harnesstest.RemoteConnectionsBy(t, hs, connectionSlug) {
		for _, c := range rows {
			out[slug] = append(out[slug], remoteRow{ID: c.ID, diffs: func(want spec) []string {
				return connectionDiffs(c, want.(connectionSpec), sourceSlugs, destinationSlugs)
			}})
		}
	}
	return out
}

// connectionDiffs compares a remote connection with a spec: its name, the objects it routes between (by the
// slugs of the remote source and destination it links), its state, its rules and its transform.
func connectionDiffs(c *hookstream.Connection, sp connectionSpec, sourceSlugs, destinationSlugs map[string]string) []string {
	var diffs []string
	add := func(field string, got, want any) {
		diffs = append(diffs, fmt.Sprintf("%s %v want %v", field, got, want))
	}
	if c.Name != sp.DisplayName {
		add("name", fmt.Sprintf("%q", c.Name), fmt.Sprintf("%q", sp.DisplayName))
	}
	if got, want := sourceSlugs[c.SourceID], slugOf(sp.Namespace, sp.Source); got != want {
		add("source_id", fmt.Sprintf("%s (slug %q)", c.SourceID, got), fmt.Sprintf("the source of slug %q", want))
	}
	if got, want := destinationSlugs[c.DestinationID], slugOf(sp.Namespace, sp.Destination); got != want {
		add("destination_id", fmt.Sprintf("%s (slug %q)", c.DestinationID, got), fmt.Sprintf("the destination of slug %q", want))
	}
	if c.Status != string(sp.State) || c.Enabled != (sp.State != v1.StateDisabled) {
		add("status", fmt.Sprintf("%s (enabled %t)", c.Status, c.Enabled), fmt.Sprintf("%s (enabled %t)", sp.State, sp.State != v1.StateDisabled))
	}
	rules := c.FilterRules
	if rules == nil {
		rules = []hookstream.FilterRule{}
	}
	if got := string(jsonText(rules)); got != sp.Filters {
		add("filter_rules", got, sp.Filters)
	}
	switch {
	case sp.Transform == "" && (c.TransformEnabled || c.TransformExpression != nil):
		add("transform", fmt.Sprintf("enabled=%t %q", c.TransformEnabled, ptrValue(c.TransformExpression)), "none")
	case sp.Transform != "" && (!c.TransformEnabled || c.TransformExpression == nil || *c.TransformExpression != sp.Transform):
		add("transform", fmt.Sprintf("enabled=%t %q", c.TransformEnabled, ptrValue(c.TransformExpression)),
			fmt.Sprintf("enabled=true %q", sp.Transform))
	}
	return diffs
}
