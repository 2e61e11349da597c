// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"iter"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/internal/managed"
)

// sourceExternal is the Source kind's hookstream client.
type sourceExternal = managed.External[*v1.Source, *hookstream.Source, *desiredSource, *hookstream.SourceUpdateRequest]

// +kubebuilder:rbac:groups=hookstream.io,resources=sources,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=hookstream.io,resources=sources/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=hookstream.io,resources=sources/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;list;watch;create;patch;delete

// configMapRefsIndex indexes Sources by the ConfigMaps they read (the schema) and write (the ingest URL).
const configMapRefsIndex = "hookstream.io/configmap-refs"

// setupSources registers the Source controller: one hookstream source per Source object, on the shared machinery of
// package managed, plus the ConfigMaps it reads and publishes.
func setupSources(mgr ctrl.Manager, s Settings) error {
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &v1.Source{}, configMapRefsIndex,
		func(o client.Object) []string { return sourceConfigMaps(o.(*v1.Source)) }); err != nil {
		return err
	}
	forConfigMap := func(ctx context.Context, o client.Object) []ctrl.Request {
		var list v1.SourceList
		if err := mgr.GetClient().List(ctx, &list, client.InNamespace(o.GetNamespace()),
			client.MatchingFields{configMapRefsIndex: o.GetName()}); err != nil {
			logf.FromContext(ctx).Error(err, "Cannot list the Sources of a ConfigMap", "configmap", klog.KObj(o))
			return nil
		}
		reqs := make([]ctrl.Request, 0, len(list.Items))
		_ = meta.EachListItem(&list, func(item runtime.Object) error {
			reqs = append(reqs, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(item.(client.Object))})
			return nil
		})
		return reqs
	}
	rec := managed.NewReconciler(s.Client, mgr.GetClient(), mgr.GetAPIReader(), s.Recorder, sourceDefinition(newKindEnv(mgr, s), s),
		s.managedOptions())
	return rec.SetupWithManager(mgr, s.MaxConcurrentReconciles, func() client.ObjectList { return &v1.SourceList{} },
		func(b *builder.Builder) *builder.Builder {
			// Metadata only: a change of a schema ConfigMap, or of a published one, starts a reconcile that reads
			// or rewrites it; the data itself is never cached.
			return b.WatchesMetadata(&corev1.ConfigMap{}, handler.EnqueueRequestsFromMapFunc(forConfigMap))
		}, watchConnectionsOf(kindSource, mgr.GetClient(), func() client.ObjectList { return &v1.SourceList{} }))
}

// sourceDefinition registers the Source kind with the machinery of package managed: one hookstream source per
// Source object, publishing its ingest URL in a ConfigMap when asked to.
func sourceDefinition(env kindEnv, s Settings) *managed.Definition[*v1.Source, *hookstream.Source, *desiredSource,
	*hookstream.SourceUpdateRequest] {
	return &managed.Definition[*v1.Source, *hookstream.Source, *desiredSource, *hookstream.SourceUpdateRequest]{
		Names: managed.Names{Kind: kindSource, Remote: "source"},
		Kind: &sourceKind{
			ingestBaseURL: s.ingestBaseURL(),
			connect:       connectWith(s.Clients, func(c *hookstream.Client) sourceExternal { return &sourceClient{c} }),
		},
		Row:        sourceRow,
		SecretRefs: sourceSecretRefs,
		Publisher:  &configMapPublisher{client: s.Client, api: env.api},
		Referrers:  referrersOption[*v1.Source](env.referrers, kindSource),
	}
}

// sourceConfigMaps lists the ConfigMaps a Source reads or writes.
func sourceConfigMaps(s *v1.Source) []string {
	var names []string
	if sv := s.Spec.SchemaValidation; sv != nil && sv.SchemaConfigMapRef != nil {
		names = append(names, sv.SchemaConfigMapRef.Name)
	}
	if s.Spec.IngestURLConfigMap != "" {
		names = append(names, s.Spec.IngestURLConfigMap)
	}
	if old := s.Status.IngestURLConfigMap; old != "" && old != s.Spec.IngestURLConfigMap {
		names = append(names, old)
	}
	return names
}

// sourceKind answers the machinery's questions for Sources.
type sourceKind struct {
	connect func(apiKey string) (sourceExternal, error)
	// ingestBaseURL is the root of computed ingest URLs.
	ingestBaseURL string
}

var _ managed.Kind[*v1.Source, *hookstream.Source, *desiredSource, *hookstream.SourceUpdateRequest] = (*sourceKind)(nil)

func (k *sourceKind) Connect(apiKey string) (sourceExternal, error) { return k.connect(apiKey) }

func (*sourceKind) Desired(s *v1.Source, refs managed.Refs) (*desiredSource, error) {
	return buildSourceDesired(s, refs)
}

// Compare rejects a remote source whose create-only fields do not match the spec, else lists the fields that
// differ.
func (*sourceKind) Compare(s *v1.Source, want *desiredSource, remote *hookstream.Source,
	secretsRotated bool) (managed.Observation[*hookstream.SourceUpdateRequest], error) {
	if err := sourceIdentity(s, want, remote); err != nil {
		return managed.Observation[*hookstream.SourceUpdateRequest]{}, err
	}
	return compareSource(want, remote, secretsRotated), nil
}

// sourceIdentity rejects a remote source whose create-only fields do not match the spec.
func sourceIdentity(s *v1.Source, want *desiredSource, remote *hookstream.Source) error {
	if remote.Type != "" && remote.Type != hookstream.SourceTypeHTTP {
		return managed.Stall(v1.ReasonTypeMismatch, "remote source %s has type %q; a Source manages http sources only: "+
			"remove spec.adoptID, or manage that source outside Kubernetes", remote.ID, remote.Type)
	}
	if s.Spec.Slug != "" && remote.Slug != s.Spec.Slug {
		return managed.Stall(v1.ReasonSlugMismatch, "remote source %s has slug %q but spec.slug is %q; slugs cannot change in hookstream: "+
			"remove spec.slug or set it to %q", remote.ID, remote.Slug, s.Spec.Slug, remote.Slug)
	}
	if t := want.request.Template; t != "" && (remote.Template == nil || *remote.Template != t) {
		return managed.Stall(v1.ReasonTemplateMismatch, "remote source %s has template %s but spec.template is %q; the template is set at "+
			"creation only: remove spec.template, or create a new Source", remote.ID, ptrString(remote.Template), t)
	}
	return nil
}

// sourceRow tells the machinery the generic facts of a remote source.
func sourceRow(remote *hookstream.Source) managed.Row {
	return managed.Row{ID: remote.ID, Key: "slug " + remote.Slug, CreatedAt: remote.CreatedAt, UpdatedAt: remote.UpdatedAt}
}

// SetObserved mirrors the remote row into status.
func (k *sourceKind) SetObserved(s *v1.Source, remote *hookstream.Source) {
	st := &s.Status
	st.Slug = remote.Slug
	st.State = remote.Status
	st.IngestURL = remote.IngestURL(k.ingestBaseURL)
	st.Template = ""
	if remote.Template != nil {
		st.Template = *remote.Template
	}
	st.VerificationType = "none"
	if remote.VerificationEnabled && remote.VerificationType != nil {
		st.VerificationType = hookstream.NormalizeVerificationType(*remote.VerificationType)
	}
	st.EventCount = remote.EventCount
	st.LastEventAt = managed.Time(remote.LastEventAt)
	st.CreatedAt = managed.Time(&remote.CreatedAt)
	st.UpdatedAt = managed.Time(&remote.UpdatedAt)
}

// sourceSecretRefs lists the Secrets a Source's spec reads.
func sourceSecretRefs(s *v1.Source) []string {
	if v := s.Spec.Verification; v != nil {
		return []string{v.SecretRef.Name}
	}
	return nil
}

// sourceClient is the hookstream client seen through the machinery's calls.
type sourceClient struct{ c *hookstream.Client }

var _ sourceExternal = (*sourceClient)(nil)

func (h *sourceClient) Observe(ctx context.Context, id string) (*hookstream.Source, error) {
	return h.c.GetSource(ctx, id)
}

func (h *sourceClient) List(ctx context.Context) iter.Seq2[*hookstream.Source, error] {
	return h.c.AllSources(ctx)
}

// FindByKey walks the project's sources for the one with the Source's slug.
func (h *sourceClient) FindByKey(ctx context.Context, s *v1.Source) (*hookstream.Source, bool, error) {
	slug := sourceSlug(s)
	return findFirst(h.List(ctx), func(r *hookstream.Source) bool { return r.Slug == slug })
}

func (h *sourceClient) Create(ctx context.Context, want *desiredSource) (*hookstream.Source, error) {
	return h.c.CreateSource(ctx, &want.request)
}

func (h *sourceClient) Update(ctx context.Context, id string, patch *hookstream.SourceUpdateRequest) (*hookstream.Source, error) {
	return h.c.UpdateSource(ctx, id, patch)
}

func (h *sourceClient) Delete(ctx context.Context, id string) error { return h.c.DeleteSource(ctx, id) }
