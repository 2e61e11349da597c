/*
Copyright 2026.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package faults

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/emulator"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/test/harness/harnesstest"
)

// object is a Destination or a Source, as the scenarios read it.
type object interface {
	client.Object
	GetManagedStatus() *v1.ManagedStatus
}

// spec is the part of an object's spec that the scenarios change and then look for in hookstream: a
// destinationSpec or a sourceSpec. Specs are comparable values.
type spec any

// remoteRow is one remote resource of a kind, with what the comparison needs of it.
type remoteRow struct {
	ID string
	// diffs lists, as "field got want", how the remote resource differs from a spec of its kind.
	diffs func(want spec) []string
}

// routeSet names the emulator's routes of one kind.
type routeSet struct{ list, create, get, update, delete string }

func (rs routeSet) writes() []string { return []string{rs.create, rs.update, rs.delete} }

// collection is the path of the kind's API collection, without /v1: "/sources".
func (rs routeSet) collection() string { return strings.TrimPrefix(rs.list, http.MethodGet+" ") }

// kindOps is what the scenarios need to know of one kind: its objects on the Kubernetes side, its remote
// resources on hookstream's, and its routes. The drivers and checks of helpers_test.go work on any kind through it.
type kindOps interface {
	// kind is the Kubernetes kind, as in the table: "Destination".
	kind() string
	// remote is hookstream's name of the resource: "destination".
	remote() string
	routes() routeSet
	newObject() object
	newList() client.ObjectList
	items(list client.ObjectList) []object
	// specFor is version n of the spec of the object name: every version differs from the previous one in every
	// field it holds.
	specFor(name string, version int) spec
	applySpec(obj object, sp spec)
	specOf(obj object) spec
	// createPatches is the PATCHes a create with sp needs after its POST: fields hookstream sets by update only.
	createPatches(sp spec) int
	// prepare creates what the kind's objects in ns refer to.
	prepare(t testing.TB, ns string)
	remoteBySlug(t testing.TB, hs *hookstream.Client) map[string][]remoteRow
}

var (
	destinations kindOps = destinationOps{}
	sources      kindOps = sourceOps{}
	allKinds             = []kindOps{destinations, sources}
)

// destinationOps drives Destinations.
type destinationOps struct{}

// destinationSpec is the part of a Destination's spec that the scenarios change.
type destinationSpec struct {
	DisplayName string
	URL         string
	MaxAttempts int32
}

func (destinationOps) kind() string   { return "Destination" }
func (destinationOps) remote() string { return "destination" }
func (destinationOps) routes() routeSet {
	return routeSet{emulator.RouteListDestinations, emulator.RouteCreateDestination, emulator.RouteGetDestination,
		emulator.RouteUpdateDestination, emulator.RouteDeleteDestination}
}
func (destinationOps) newObject() object          { return &v1.Destination{} }
func (destinationOps) newList() client.ObjectList { return &v1.DestinationList{} }
func (destinationOps) createPatches(spec) int     { return 0 }
func (destinationOps) prepare(testing.TB, string) {}
func (destinationOps) items(l client.ObjectList) []object {
	items := l.(*v1.DestinationList).Items
	out := make([]object, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	return out
}

func (destinationOps) specFor(name string, version int) spec {
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

func (sourceOps) kind() string   { return "Source" }
func (sourceOps) remote() string { return "source" }
func (sourceOps) routes() routeSet {
	return routeSet{emulator.RouteListSources, emulator.RouteCreateSource, emulator.RouteGetSource,
		emulator.RouteUpdateSource, emulator.RouteDeleteSource}
}
func (sourceOps) newObject() object          { return &v1.Source{} }
func (sourceOps) newList() client.ObjectList { return &v1.SourceList{} }
func (sourceOps) items(l client.ObjectList) []object {
	items := l.(*v1.SourceList).Items
	out := make([]object, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	return out
}

// specFor changes the name, the description, the state, the dedup window and the allowlist on every version.
func (sourceOps) specFor(name string, version int) spec {
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
