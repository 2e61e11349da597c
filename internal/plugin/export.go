// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

// Package plugin is the kubectl-hookstream plugin: export an existing hookstream project to manifests that adopt
// it, show what the operator would change for a set of manifests, and one status table over every hookstream
// object. It compares through the controllers' own mapping and comparison (controller.Planner), never a copy.
package plugin

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/controller"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
)

// Export is a hookstream project as manifests: one object per remote resource, each adopting it by id.
type Export struct {
	Namespace string
	// Destinations, Sources and Connections are sorted by name.
	Destinations []*v1.Destination
	Sources      []*v1.Source
	Connections  []*v1.Connection
	// Secrets are the Secrets the manifests reference, the credentials Secret included, sorted by name.
	Secrets []SecretKeys
	// Warnings name what the manifests cannot express, sorted.
	Warnings []string
}

// SecretKeys is a Secret the manifests reference and the keys they read from it.
type SecretKeys struct {
	Name string
	Keys []string
}

// ExportOptions say how remote resources become manifests.
type ExportOptions struct {
	// Namespace of every exported object.
	Namespace string
	// CredentialsSecret is the Secret holding the API key in Namespace; it becomes spec.credentialsRef unless it is
	// the operator's default. "" for the default.
	CredentialsSecret string
	// DefaultCredentialsSecret is the credentials Secret the operator reads for objects without
	// spec.credentialsRef (its --default-credentials-secret); "" for hookstream-credentials.
	DefaultCredentialsSecret string
	// CredentialsInCluster reports that the credentials Secret exists already (the key was read from it): it is
	// then left out of secrets.example.yaml, which would blank its key if applied unfilled.
	CredentialsInCluster bool
	// IDs, when set, restricts the export to the remote resources with these ids (export --id); a Connection whose
	// Source or Destination is not exported names it by id. An id the project does not have is an error.
	IDs []string
}

// DefaultCredentialsSecret is the credentials Secret the operator reads for objects without spec.credentialsRef,
// unless its --default-credentials-secret names another.
const DefaultCredentialsSecret = "hookstream-credentials"

// ExportProject reads every destination, source and connection of the client's project and maps each to a
// manifest that adopts it and describes every field it has.
func ExportProject(ctx context.Context, hs *hookstream.Client, opts ExportOptions) (*Export, error) {
	var (
		dests []*hookstream.Destination
		srcs  []*hookstream.Source
		conns []*hookstream.Connection
	)
	for d, err := range hs.AllDestinations(ctx) {
		if err != nil {
			return nil, fmt.Errorf("listing destinations: %w", err)
		}
		dests = append(dests, d)
	}
	for s, err := range hs.AllSources(ctx) {
		if err != nil {
			return nil, fmt.Errorf("listing sources: %w", err)
		}
		srcs = append(srcs, s)
	}
	for c, err := range hs.AllConnections(ctx, hookstream.ConnectionListOptions{}) {
		if err != nil {
			return nil, fmt.Errorf("listing connections: %w", err)
		}
		conns = append(conns, c)
	}
	if len(opts.IDs) > 0 {
		wanted := map[string]bool{}
		for _, id := range opts.IDs {
			wanted[id] = true
		}
		keep := func(id string) bool {
			found := wanted[id]
			delete(wanted, id)
			return found
		}
		dests = slices.DeleteFunc(dests, func(d *hookstream.Destination) bool { return !keep(d.ID) })
		srcs = slices.DeleteFunc(srcs, func(s *hookstream.Source) bool { return !keep(s.ID) })
		conns = slices.DeleteFunc(conns, func(c *hookstream.Connection) bool { return !keep(c.ID) })
		if len(wanted) > 0 {
			return nil, fmt.Errorf("the project has no destination, source or connection with the id %s",
				strings.Join(slices.Sorted(maps.Keys(wanted)), ", "))
		}
	}
	return BuildExport(dests, srcs, conns, opts)
}

// BuildExport maps remote rows to manifests. It is a pure function of the rows: the same rows give the same
// manifests, in the same order, whatever the order of the rows.
func BuildExport(dests []*hookstream.Destination, srcs []*hookstream.Source, conns []*hookstream.Connection,
	opts ExportOptions) (*Export, error) {
	e := &Export{Namespace: opts.Namespace}
	secrets := map[string][]string{}
	var credentialsRef *v1.LocalObjectReference
	defaultCredentials := cmp.Or(opts.DefaultCredentialsSecret, DefaultCredentialsSecret)
	credentials := cmp.Or(opts.CredentialsSecret, defaultCredentials)
	if credentials != defaultCredentials {
		credentialsRef = &v1.LocalObjectReference{Name: credentials}
	}
	if !opts.CredentialsInCluster {
		secrets[credentials] = []string{v1.CredentialsKey}
	}
	meta := func(name string) metav1.ObjectMeta { return metav1.ObjectMeta{Name: name, Namespace: opts.Namespace} }

	var err error
	var exportedDests, exportedSources map[string]string
	e.Destinations, exportedDests, err = exportSlugged(e, dests, secrets, kindDestination,
		func(d *hookstream.Destination) nameKey {
			return nameKey{base: ObjectName(d.Slug, "destination"), id: d.ID, created: d.CreatedAt}
		},
		func(d *hookstream.Destination, name, secret string) (*v1.Destination, []string, []string, bool) {
			spec, keys, warnings, ok := DestinationSpec(d, secret)
			spec.CredentialsRef = credentialsRef
			obj := &v1.Destination{ObjectMeta: meta(name), Spec: spec}
			obj.SetGroupVersionKind(v1.GroupVersion.WithKind(kindDestination))
			return obj, keys, warnings, ok
		})
	if err != nil {
		return nil, err
	}
	e.Sources, exportedSources, err = exportSlugged(e, srcs, secrets, kindSource,
		func(s *hookstream.Source) nameKey {
			return nameKey{base: ObjectName(s.Slug, "source"), id: s.ID, created: s.CreatedAt}
		},
		func(s *hookstream.Source, name, secret string) (*v1.Source, []string, []string, bool) {
			spec, keys, warnings, ok := SourceSpec(s, secret)
			spec.CredentialsRef = credentialsRef
			obj := &v1.Source{ObjectMeta: meta(name), Spec: spec}
			obj.SetGroupVersionKind(v1.GroupVersion.WithKind(kindSource))
			return obj, keys, warnings, ok
		})
	if err != nil {
		return nil, err
	}

	connNames, err := uniqueNames(conns, func(c *hookstream.Connection) nameKey {
		return nameKey{base: ObjectName(c.Name, "connection"), id: c.ID, created: c.CreatedAt}
	})
	if err != nil {
		return nil, err
	}
	for _, c := range conns {
		name := connNames[c.ID]
		spec, warnings := ConnectionSpec(c, exportedSources[c.SourceID], exportedDests[c.DestinationID])
		spec.CredentialsRef = credentialsRef
		e.warn("Connection "+name, warnings)
		obj := &v1.Connection{ObjectMeta: meta(name), Spec: spec}
		obj.SetGroupVersionKind(v1.GroupVersion.WithKind(kindConnection))
		e.Connections = append(e.Connections, obj)
	}

	byName := func(a, b client.Object) int { return strings.Compare(a.GetName(), b.GetName()) }
	slices.SortFunc(e.Destinations, func(a, b *v1.Destination) int { return byName(a, b) })
	slices.SortFunc(e.Sources, func(a, b *v1.Source) int { return byName(a, b) })
	slices.SortFunc(e.Connections, func(a, b *v1.Connection) int { return byName(a, b) })
	for _, name := range slices.Sorted(maps.Keys(secrets)) {
		e.Secrets = append(e.Secrets, SecretKeys{Name: name, Keys: slices.Sorted(slices.Values(secrets[name]))})
	}
	slices.Sort(e.Warnings)
	return e, nil
}

func (e *Export) warn(object string, warnings []string) {
	for _, w := range warnings {
		e.Warnings = append(e.Warnings, object+": "+w)
	}
}

// Objects returns every exported object: Destinations, Sources, then Connections.
func (e *Export) Objects() []client.Object {
	out := make([]client.Object, 0, len(e.Destinations)+len(e.Sources)+len(e.Connections))
	for _, d := range e.Destinations {
		out = append(out, d)
	}
	for _, s := range e.Sources {
		out = append(out, s)
	}
	for _, c := range e.Connections {
		out = append(out, c)
	}
	return out
}

// keyVerificationSecret is the Secret key of an exported Source's signing secret: hookstream's field name.
const keyVerificationSecret = "verification_secret"

// DestinationSpec maps a remote destination to the spec that adopts it (spec.adoptID) and sets every field it has,
// so that the controller's comparison finds nothing to change. The provider block comes from the controller's
// table of provider types. Secret values, which hookstream masks, become keys of the Secret secretName; keys lists
// them. warnings name what the spec cannot express. ok is false for a type the Destination API has no provider
// block for: such a destination is not exported.
func DestinationSpec(d *hookstream.Destination, secretName string) (spec v1.DestinationSpec, keys, warnings []string, ok bool) {
	spec = v1.DestinationSpec{
		ManagedSpec: v1.ManagedSpec{AdoptID: d.ID},
		DisplayName: d.Name,
		Slug:        d.Slug,
		State:       v1.ResourceState(d.Status),
	}
	ref := func(key string) v1.SecretKeySelector {
		keys = append(keys, key)
		return v1.SecretKeySelector{Name: secretName, Key: key}
	}
	warnings, ok = controller.ExportDestinationProvider(d, &spec, ref)
	if !ok {
		return spec, nil, warnings, false
	}
	spec.Retry = retryPolicy(d)
	var w string
	spec.CircuitBreaker, w = circuitBreaker(d)
	if w != "" {
		warnings = append(warnings, w)
	}
	return spec, keys, warnings, true
}

func retryPolicy(d *hookstream.Destination) *v1.RetryPolicy {
	r := &v1.RetryPolicy{Enabled: d.RetryEnabled, MaxAttempts: int32Ptr(d.RetryMaxAttempts)}
	if d.RetryBackoffType != nil {
		r.Backoff = v1.BackoffType(*d.RetryBackoffType)
	}
	for _, s := range d.RetryIntervals {
		r.IntervalsSeconds = append(r.IntervalsSeconds, int32(s))
	}
	if r.Enabled == nil && r.MaxAttempts == nil && r.Backoff == "" && r.IntervalsSeconds == nil {
		return nil
	}
	return r
}

func circuitBreaker(d *hookstream.Destination) (*v1.CircuitBreakerPolicy, string) {
	c := &v1.CircuitBreakerPolicy{Enabled: d.CircuitBreakerEnabled, Threshold: int32Ptr(d.CircuitBreakerThreshold)}
	var warning string
	if ms := d.CircuitBreakerResetMS; ms != nil {
		if *ms%1000 == 0 {
			c.ResetSeconds = new(int32(*ms / 1000))
		} else {
			warning = fmt.Sprintf("circuit_breaker_reset_ms %d is not whole seconds: spec.circuitBreaker.resetSeconds is left unset (not managed)", *ms)
		}
	}
	if c.Enabled == nil && c.Threshold == nil && c.ResetSeconds == nil {
		return nil, warning
	}
	return c, warning
}

func int32Ptr(p *int) *int32 {
	if p == nil {
		return nil
	}
	return new(int32(*p))
}

// SourceSpec maps a remote source to the spec that adopts it and sets every field it has. ok is false for a
// source the Source API cannot manage (a websocket source).
func SourceSpec(s *hookstream.Source, secretName string) (spec v1.SourceSpec, keys, warnings []string, ok bool) {
	if s.Type != "" && s.Type != hookstream.SourceTypeHTTP {
		return spec, nil, []string{fmt.Sprintf("type %q: a Source manages http sources only; not exported", s.Type)}, false
	}
	spec = v1.SourceSpec{
		ManagedSpec: v1.ManagedSpec{AdoptID: s.ID},
		DisplayName: s.Name,
		Slug:        s.Slug,
		State:       v1.ResourceState(s.Status),
	}
	if s.Description != nil {
		spec.Description = *s.Description
	}
	if s.Template != nil {
		spec.Template = v1.SourceTemplate(*s.Template)
	}
	if s.VerificationEnabled {
		v := &v1.SourceVerification{SecretRef: v1.SecretKeySelector{Name: secretName, Key: keyVerificationSecret}}
		keys = append(keys, keyVerificationSecret)
		if s.VerificationType != nil {
			v.Type = v1.VerificationType(hookstream.NormalizeVerificationType(*s.VerificationType))
		}
		if s.VerificationHeader != nil {
			v.Header = *s.VerificationHeader
		}
		spec.Verification = v
	}
	if len(s.VerificationConfig) > 0 {
		warnings = append(warnings, "verification_config has no field in the Source API and is not managed")
	}
	if len(s.SourceConfig) > 0 {
		warnings = append(warnings, "source_config has no field in the Source API and is not managed")
	}
	if s.DedupEnabled && s.DedupStrategy != nil {
		d := &v1.SourceDeduplication{Strategy: v1.DeduplicationStrategy(*s.DedupStrategy)}
		if s.DedupField != nil && d.Strategy != "payload_hash" {
			d.Field = *s.DedupField
		}
		d.WindowSeconds = int32Ptr(s.DedupWindowSeconds)
		spec.Deduplication = d
	}
	spec.IPAllowlist = ipList(s.IPAllowlist)
	spec.IPDenylist = ipList(s.IPDenylist)
	if s.SchemaValidationEnabled && len(s.JSONSchema) > 0 {
		sv := &v1.SourceSchemaValidation{Schema: &runtime.RawExtension{Raw: s.JSONSchema}}
		// hookstream applies warn for a null action, and the controller's comparison takes null for warn.
		sv.Action = hookstream.SchemaActionWarn
		if s.SchemaAction != nil {
			sv.Action = v1.SchemaAction(*s.SchemaAction)
		}
		spec.SchemaValidation = sv
	}
	return spec, keys, warnings, true
}

func ipList(entries []string) []v1.IPv4OrCIDR {
	if len(entries) == 0 {
		return nil
	}
	out := make([]v1.IPv4OrCIDR, len(entries))
	for i, e := range entries {
		out[i] = v1.IPv4OrCIDR(e)
	}
	return out
}

// ConnectionSpec maps a remote connection to the spec that adopts it and sets every field it has. Its ends refer
// to the exported Source and Destination by name (sourceName, destinationName), or by id when they were not
// exported.
func ConnectionSpec(c *hookstream.Connection, sourceName, destinationName string) (spec v1.ConnectionSpec, warnings []string) {
	spec = v1.ConnectionSpec{ManagedSpec: v1.ManagedSpec{AdoptID: c.ID}, DisplayName: c.Name}
	if c.Description != nil {
		spec.Description = *c.Description
	}
	if sourceName != "" {
		spec.SourceRef = &v1.EndReference{Name: sourceName}
	} else {
		spec.SourceID = c.SourceID
		warnings = append(warnings, fmt.Sprintf("source %s is not exported: spec.sourceID names it", c.SourceID))
	}
	if destinationName != "" {
		spec.DestinationRef = &v1.EndReference{Name: destinationName}
	} else {
		spec.DestinationID = c.DestinationID
		warnings = append(warnings, fmt.Sprintf("destination %s is not exported: spec.destinationID names it", c.DestinationID))
	}
	// spec.state sets status and enabled together: only a consistent pair can be described.
	if c.Status != "" && (c.Status == string(v1.StateDisabled)) == !c.Enabled {
		spec.State = v1.ResourceState(c.Status)
	} else if c.Status != "" {
		warnings = append(warnings, fmt.Sprintf("status %q with enabled %t cannot be described by spec.state; it is not managed", c.Status, c.Enabled))
	}
	if len(c.FilterRules) > 0 {
		spec.Filters = make([]v1.FilterRule, len(c.FilterRules))
		for i, r := range c.FilterRules {
			spec.Filters[i] = v1.FilterRule{Field: r.Field, Op: v1.FilterOperator(r.Op), Value: &apiextensionsv1.JSON{Raw: r.Value}}
		}
	}
	switch {
	case c.TransformEnabled && c.TransformExpression != nil && *c.TransformExpression != "":
		spec.Transform = new(*c.TransformExpression)
	case c.TransformExpression != nil && *c.TransformExpression != "":
		warnings = append(warnings, "a disabled transform expression cannot be described by spec.transform; it is not managed")
	}
	return spec, warnings
}

// nameKey is what an object's name is derived from.
type nameKey struct {
	base    string
	id      string
	created time.Time
}

// exportSlugged builds the objects of a kind whose remote resources have slugs (Destinations, Sources): names them
// with uniqueNames, builds each with build (ok false: not exportable, with the reason among the warnings), and
// records the keys of the Secret each reads (`<name>-<kind>-secrets`). It returns the objects and, by remote id, the
// names of those exported.
func exportSlugged[R any, O client.Object](e *Export, rows []R, secrets map[string][]string, kind string,
	key func(R) nameKey, build func(row R, name, secret string) (obj O, keys, warnings []string, ok bool)) ([]O,
	map[string]string, error) {
	names, err := uniqueNames(rows, key)
	if err != nil {
		return nil, nil, err
	}
	var objs []O
	exported := map[string]string{}
	for _, row := range rows {
		id := key(row).id
		name := names[id]
		secret := name + "-" + strings.ToLower(kind) + "-secrets"
		obj, keys, warnings, ok := build(row, name, secret)
		e.warn(kind+" "+name, warnings)
		if !ok {
			continue
		}
		exported[id] = name
		if len(keys) > 0 {
			secrets[secret] = keys
		}
		objs = append(objs, obj)
	}
	return objs, exported, nil
}

// uniqueNames names rows by id: their base name, and for rows sharing one, all but the oldest get a part of their
// id appended, and a counter when that name is taken too. A row keeps its name when others are added later.
func uniqueNames[R any](rows []R, key func(R) nameKey) (map[string]string, error) {
	groups := map[string][]nameKey{}
	for _, r := range rows {
		k := key(r)
		groups[k.base] = append(groups[k.base], k)
	}
	taken := map[string]bool{}
	for base := range groups {
		taken[base] = true
	}
	names := map[string]string{}
	for _, base := range slices.Sorted(maps.Keys(groups)) {
		group := groups[base]
		slices.SortFunc(group, func(a, b nameKey) int {
			return cmp.Or(a.created.Compare(b.created), strings.Compare(a.id, b.id))
		})
		names[group[0].id] = base
		for _, k := range group[1:] {
			name, err := freeName(base, ObjectName(k.id, "x"), taken)
			if err != nil {
				return nil, err
			}
			taken[name] = true
			names[k.id] = name
		}
	}
	return names, nil
}

// maxNameLength keeps names valid as label values and DNS labels too.
const maxNameLength = 63

// maxIDPart is how much of an id a name carries to tell it from another with the same base.
const maxIDPart = 12

// freeName returns base with a part of id appended, and a counter after it while the name is taken. Names with
// different counters differ in their last segment, so of len(taken)+1 counters one is free.
func freeName(base, id string, taken map[string]bool) (string, error) {
	if len(id) > maxIDPart {
		id = strings.Trim(id[:maxIDPart], "-")
	}
	name := suffixed(base, id)
	for n := 2; taken[name]; n++ {
		if n > len(taken)+2 {
			return "", fmt.Errorf("no free object name for %q with id part %q", base, id)
		}
		name = suffixed(base, fmt.Sprintf("%s-%d", id, n))
	}
	return name, nil
}

// suffixed appends a suffix to a name, shortening the name, never the suffix, to keep within maxNameLength.
func suffixed(base, suffix string) string {
	if keep := maxNameLength - len(suffix) - 1; len(base) > keep {
		base = strings.TrimRight(base[:keep], "-")
	}
	if base == "" {
		return suffix
	}
	return base + "-" + suffix
}

// ObjectName turns a slug or a display name into a Kubernetes object name (a DNS-1123 label): lowercase letters,
// digits and dashes, starting and ending with a letter or digit, at most 63 characters. fallback is used when
// nothing of s remains.
func ObjectName(s, fallback string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	name := strings.Trim(b.String(), "-")
	if len(name) > maxNameLength {
		name = strings.TrimRight(name[:maxNameLength], "-")
	}
	if name == "" {
		return fallback
	}
	return name
}
