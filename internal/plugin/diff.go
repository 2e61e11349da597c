// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/controller"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/internal/managed"
)

// DiffOptions configure a diff.
type DiffOptions struct {
	Namespace string
	// Hookstream reads the project of APIKey, the plugin's own key: for the objects whose credentials Secret holds
	// no key to read.
	Hookstream *hookstream.Client
	APIKey     string
	// Connect returns a client of another API key's project: each object is read with the key of its own
	// credentials Secret, as the operator reads it. nil reads every object with Hookstream and APIKey.
	Connect func(apiKey string) (*hookstream.Client, error)
	// DefaultCredentialsSecret is the credentials Secret of objects without spec.credentialsRef, as the operator's
	// --default-credentials-secret; "" for hookstream-credentials.
	DefaultCredentialsSecret string
	// Warn receives what diff had to assume, once per message; nil discards it.
	Warn func(string)
	// Cluster reads the objects as the cluster holds them (their status.id and status.appliedSecretsHash) and the
	// Secrets and ConfigMaps the manifests do not carry; nil when there is no cluster to read.
	Cluster client.Reader
}

// ObjectDiff is what the operator would do to hookstream for one object of the manifests.
type ObjectDiff struct {
	Kind, Name string
	Plan       managed.Summary
	// Unavailable lists the Secret keys the spec reads that neither the manifests nor the cluster hold: the
	// differences of secret fields cannot be told without them.
	Unavailable []string
	// headersUnknown reports a headers difference that only headers read from unavailable Secrets may explain.
	headersUnknown bool
}

// Differs reports whether the operator would change something, or cannot proceed: a secret field that only
// differs because its value is unavailable does not count.
func (d ObjectDiff) Differs() bool {
	switch d.Plan.Action {
	case managed.PlanUnchanged, managed.PlanPaused:
		return false
	case managed.PlanUpdate, managed.PlanDrift:
		return slices.ContainsFunc(d.Plan.Diffs, func(f managed.FieldDiff) bool { return !d.unknown(f) })
	}
	return true
}

// unknown reports a differing field whose wanted value depends on an unavailable Secret.
func (d ObjectDiff) unknown(f managed.FieldDiff) bool {
	if f.Field == fieldHeaders {
		return d.headersUnknown
	}
	return len(d.Unavailable) > 0 && f.Secret
}

// fieldHeaders is the field of a Destination's delivery headers in a plan's differences.
const fieldHeaders = "headers"

// Diff computes, for every object of the manifests, what the operator would do to hookstream, with the
// controllers' own mapping and comparison (controller.Planner). It writes nothing anywhere.
func Diff(ctx context.Context, m *Manifests, opts DiffOptions) ([]ObjectDiff, error) {
	objects := newObjectSet(opts.Cluster)
	projects := newProjects(m, opts)
	var out []ObjectDiff
	for _, manifest := range sortObjects(m.Objects) {
		obj := manifest.DeepCopyObject().(managed.Object)
		if err := withClusterStatus(ctx, opts.Cluster, obj); err != nil {
			return nil, err
		}
		hs, apiKey, err := projects.of(ctx, obj)
		if err != nil {
			return nil, err
		}
		planner := controller.Planner{Client: hs, APIKey: apiKey, Objects: objects}
		var unavailable []string
		refs := diffRefs(ctx, m, opts, obj, objects, &unavailable)
		plan, err := planner.Plan(ctx, obj, refs)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", kindOf(obj), obj.GetName(), err)
		}
		headersUnknown, err := headersUnknown(ctx, planner, obj, refs, plan, unavailable)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", kindOf(obj), obj.GetName(), err)
		}
		// Connections read the id the plan found for their Source and Destination, as they will once it is Ready.
		// An object that would be created, replaced or stop has no id to give yet (a conflict's id is someone
		// else's): its Connections wait for it.
		planned := obj.DeepCopyObject().(managed.Object)
		planned.GetManagedStatus().ID = ""
		switch plan.Action {
		case managed.PlanUnchanged, managed.PlanUpdate, managed.PlanDrift:
			planned.GetManagedStatus().ID = plan.RemoteID
		}
		objects.put(planned)
		slices.Sort(unavailable)
		out = append(out, ObjectDiff{Kind: kindOf(obj), Name: obj.GetName(), Plan: plan, Unavailable: slices.Compact(unavailable),
			headersUnknown: headersUnknown})
	}
	return out, nil
}

// projects hands each object the hookstream client and API key of its own credentials Secret.
type projects struct {
	m       *Manifests
	opts    DiffOptions
	clients map[string]*hookstream.Client
	warned  map[string]bool
}

func newProjects(m *Manifests, opts DiffOptions) *projects {
	return &projects{m: m, opts: opts, clients: map[string]*hookstream.Client{opts.APIKey: opts.Hookstream}, warned: map[string]bool{}}
}

// of returns the client and API key obj is read with: those of its credentials Secret (the manifests', else the
// cluster's), else the plugin's own, with a warning. The secrets hash is keyed with the same key.
func (p *projects) of(ctx context.Context, obj managed.Object) (*hookstream.Client, string, error) {
	name := credentialsSecret(obj, p.opts.DefaultCredentialsSecret)
	key, ok := secretKeyValue(ctx, p.m, p.opts.Cluster, obj.GetNamespace(), name, v1.CredentialsKey)
	key = strings.TrimSpace(key)
	if !ok || p.opts.Connect == nil {
		if !ok && !p.warned[name] && p.opts.Warn != nil {
			p.warned[name] = true
			p.opts.Warn(fmt.Sprintf("credentials Secret %s (key %s) is neither in the manifests nor in the cluster: "+
				"the objects that use it are compared with the plugin's API key", name, v1.CredentialsKey))
		}
		return p.opts.Hookstream, p.opts.APIKey, nil
	}
	if hs, ok := p.clients[key]; ok {
		return hs, key, nil
	}
	hs, err := p.opts.Connect(key)
	if err != nil {
		return nil, "", fmt.Errorf("connecting with the API key of Secret %s: %w", name, err)
	}
	p.clients[key] = hs
	return hs, key, nil
}

// credentialsSecret is the credentials Secret obj uses: spec.credentialsRef, else the default.
func credentialsSecret(obj managed.Object, defaultSecret string) string {
	if ref := obj.GetManagedSpec().CredentialsRef; ref != nil {
		return ref.Name
	}
	return cmp.Or(defaultSecret, DefaultCredentialsSecret)
}

// headersUnknown reports whether a Destination's headers differ only by headers read from unavailable Secrets:
// planned again with hookstream's values for those headers, the controller's comparison finds the headers equal.
// A header hookstream lacks differs whatever its value.
func headersUnknown(ctx context.Context, planner controller.Planner, obj managed.Object, refs managed.Refs,
	plan managed.Summary, unavailable []string) (bool, error) {
	d, ok := obj.(*v1.Destination)
	remote, found := plan.Remote.(*hookstream.Destination)
	if !ok || !found || d.Spec.HTTP == nil || !slices.ContainsFunc(plan.Diffs, func(f managed.FieldDiff) bool { return f.Field == fieldHeaders }) {
		return false, nil
	}
	remoteValue := map[v1.SecretKeySelector]string{}
	for _, hf := range d.Spec.HTTP.HeadersFrom {
		if !slices.Contains(unavailable, unavailableKey(hf.ValueFrom)) {
			continue
		}
		v, ok := remote.Headers[hf.Name]
		if !ok {
			return false, nil
		}
		remoteValue[hf.ValueFrom] = v
	}
	if len(remoteValue) == 0 {
		return false, nil
	}
	withRemote := refs
	withRemote.Secret = func(ref v1.SecretKeySelector) (string, error) {
		if v, ok := remoteValue[ref]; ok {
			return v, nil
		}
		return refs.Secret(ref)
	}
	again, err := planner.Plan(ctx, obj, withRemote)
	if err != nil {
		return false, err
	}
	return !slices.ContainsFunc(again.Diffs, func(f managed.FieldDiff) bool { return f.Field == fieldHeaders }), nil
}

func unavailableKey(ref v1.SecretKeySelector) string {
	return fmt.Sprintf("Secret %s key %s", ref.Name, ref.Key)
}

// clusterAnnotations are the annotations of the cluster's object that decide what the operator does besides its
// status: the create marker (a create may have happened unrecorded) and the pause.
var clusterAnnotations = []string{v1.AnnotationCreateRequested, v1.AnnotationCreateSecretsHash, v1.AnnotationCreateKey,
	v1.AnnotationPaused}

// withClusterStatus copies the status the cluster holds for obj into it, and the annotations of clusterAnnotations
// (which the operator or a person set on the cluster's object, not in the manifests): the recorded id, applied
// secrets hash, create marker and pause decide what the operator does.
func withClusterStatus(ctx context.Context, cluster client.Reader, obj managed.Object) error {
	if cluster == nil {
		return nil
	}
	live := obj.DeepCopyObject().(managed.Object)
	err := cluster.Get(ctx, client.ObjectKeyFromObject(obj), live)
	switch {
	case apierrors.IsNotFound(err) || meta.IsNoMatchError(err):
		return nil
	case err != nil:
		return fmt.Errorf("reading %s %s from the cluster: %w", kindOf(obj), obj.GetName(), err)
	}
	*obj.GetManagedStatus() = *live.GetManagedStatus().DeepCopy()
	annotations := obj.GetAnnotations()
	for _, key := range clusterAnnotations {
		if v, ok := live.GetAnnotations()[key]; ok {
			if annotations == nil {
				annotations = map[string]string{}
			}
			annotations[key] = v
		}
	}
	obj.SetAnnotations(annotations)
	return nil
}

// diffRefs reads what obj's spec references: Secrets and ConfigMaps from the manifests, else the cluster; the
// objects of the manifests, else the cluster. A Secret key that is nowhere is recorded in unavailable and reads
// as empty, so that the rest of the spec can still be compared.
func diffRefs(ctx context.Context, m *Manifests, opts DiffOptions, obj managed.Object, objects *objectSet,
	unavailable *[]string) managed.Refs {
	ns := obj.GetNamespace()
	secretValue := func(name, key string) (string, bool) {
		return secretKeyValue(ctx, m, opts.Cluster, ns, name, key)
	}
	credentials := func(o managed.Object) string { return credentialsSecret(o, opts.DefaultCredentialsSecret) }
	return managed.Refs{
		Secret: func(ref v1.SecretKeySelector) (string, error) {
			v, ok := secretValue(ref.Name, ref.Key)
			if !ok {
				*unavailable = append(*unavailable, unavailableKey(ref))
			}
			return strings.TrimSpace(v), nil
		},
		ConfigMap: func(ref v1.ConfigMapKeySelector) (string, error) {
			cm, ok := m.ConfigMaps[ref.Name]
			if !ok && opts.Cluster != nil {
				cm = &corev1.ConfigMap{}
				ok = opts.Cluster.Get(ctx, client.ObjectKey{Namespace: ns, Name: ref.Name}, cm) == nil
			}
			if !ok {
				return "", managed.Stall(v1.ReasonConfigMapNotFound, "ConfigMap %q is neither in the manifests nor in the cluster", ref.Name)
			}
			v, ok := cm.Data[ref.Key]
			if !ok {
				return "", managed.Stall(v1.ReasonConfigMapNotFound, "ConfigMap %q has no key %q", ref.Name, ref.Key)
			}
			return v, nil
		},
		Object: func(into client.Object, namespace, name string) error {
			return managed.GetReferenced(ctx, objects, kindOf(obj), ns, namespace, name, into)
		},
		SameProject: func(other managed.Object) (bool, error) {
			mine, theirs := credentials(obj), credentials(other)
			if mine == theirs && other.GetNamespace() == ns {
				return true, nil
			}
			a, okA := secretValue(mine, v1.CredentialsKey)
			// The manifests are of ns: the Secret of an object of another namespace is read from the cluster.
			otherManifests := m
			if other.GetNamespace() != ns {
				otherManifests = &Manifests{}
			}
			b, okB := secretKeyValue(ctx, otherManifests, opts.Cluster, other.GetNamespace(), theirs, v1.CredentialsKey)
			if !okA || !okB {
				return false, fmt.Errorf("cannot tell whether credentials Secrets %q and %q hold the same API key: one is unavailable", mine, theirs)
			}
			return strings.TrimSpace(a) == strings.TrimSpace(b), nil
		},
	}
}

// secretKeyValue reads a Secret key's value from the manifests, else from the cluster: a key the manifests leave
// empty (an unfilled secrets.example.yaml) does not hide the value the cluster holds. ok is false when neither has
// a value.
func secretKeyValue(ctx context.Context, m *Manifests, cluster client.Reader, namespace, name, key string) (string, bool) {
	value := func(s *corev1.Secret) (string, bool) {
		if v, ok := s.StringData[key]; ok && strings.TrimSpace(v) != "" {
			return v, true
		}
		if v, ok := s.Data[key]; ok && strings.TrimSpace(string(v)) != "" {
			return string(v), true
		}
		return "", false
	}
	if s, ok := m.Secrets[name]; ok {
		if v, ok := value(s); ok {
			return v, true
		}
	}
	if cluster == nil {
		return "", false
	}
	s := &corev1.Secret{}
	if err := cluster.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, s); err != nil {
		return "", false
	}
	return value(s)
}

// PrintDiff writes the objects that differ, one block each: the action, then one line per field with hookstream's
// value and the manifest's. Unchanged objects print nothing. It returns whether any object differs.
func PrintDiff(w io.Writer, diffs []ObjectDiff) bool {
	differs := false
	for _, d := range diffs {
		p := d.Plan
		if p.Action == managed.PlanUnchanged && len(d.Unavailable) == 0 {
			continue
		}
		differs = differs || d.Differs()
		head := fmt.Sprintf("%s %s", d.Kind, d.Name)
		if p.RemoteID != "" {
			head += fmt.Sprintf(" (hookstream id %s)", p.RemoteID)
		}
		switch p.Action {
		case managed.PlanCreate:
			fmt.Fprintf(w, "%s: would create a %s with %s\n", head, strings.ToLower(d.Kind), p.Key)
		case managed.PlanReplace:
			fmt.Fprintf(w, "%s: would delete it and create it anew: %s\n", head, p.Message)
		case managed.PlanWait, managed.PlanBlocked, managed.PlanPaused:
			fmt.Fprintf(w, "%s: %s (%s): %s\n", head, p.Action, p.Reason, p.Message)
		case managed.PlanDrift:
			fmt.Fprintf(w, "%s: differs; managementPolicy Observe writes nothing\n", head)
		case managed.PlanUpdate:
			fmt.Fprintf(w, "%s: would update\n", head)
		default:
			fmt.Fprintf(w, "%s: unchanged\n", head)
		}
		for _, f := range p.Diffs {
			switch {
			case d.unknown(f):
				fmt.Fprintf(w, "  ? %s: cannot be compared without its value (%s)\n", f.Field, strings.Join(d.Unavailable, ", "))
			case f.Secret:
				fmt.Fprintf(w, "  ~ %s: (secret) -> (secret)\n", f.Field)
			default:
				fmt.Fprintf(w, "  ~ %s: hookstream %q -> manifest %q\n", f.Field, f.Observed, f.Desired)
			}
		}
		if len(d.Unavailable) > 0 && len(p.Diffs) == 0 {
			fmt.Fprintf(w, "  ? unavailable: %s\n", strings.Join(d.Unavailable, ", "))
		}
	}
	return differs
}
