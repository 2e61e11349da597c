// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"fmt"
	"iter"
	"strings"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/internal/managed"
)

// destinationExternal is the Destination kind's hookstream client.
type destinationExternal = managed.External[*v1.Destination, *hookstream.Destination, *desiredDestination, *hookstream.UpdateRequest]

// +kubebuilder:rbac:groups=hookstream.io,resources=destinations,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=hookstream.io,resources=destinations/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=hookstream.io,resources=destinations/finalizers,verbs=update

// setupDestinations registers the Destination controller.
func setupDestinations(mgr ctrl.Manager, s Settings) error {
	rec := managed.NewReconciler(s.Client, mgr.GetClient(), mgr.GetAPIReader(), s.Recorder, destinationDefinition(newKindEnv(mgr, s), s),
		s.managedOptions())
	return rec.SetupWithManager(mgr, s.MaxConcurrentReconciles, func() client.ObjectList { return &v1.DestinationList{} },
		watchConnectionsOf(kindDestination, mgr.GetClient(), func() client.ObjectList { return &v1.DestinationList{} }))
}

// destinationDefinition registers the Destination kind with the machinery of package managed: one hookstream
// destination per Destination object.
func destinationDefinition(env kindEnv, s Settings) *managed.Definition[*v1.Destination, *hookstream.Destination,
	*desiredDestination, *hookstream.UpdateRequest] {
	kind := &destinationKind{
		connect: connectWith(s.Clients, func(c *hookstream.Client) destinationExternal { return &destinationClient{c} }),
		urls:    s.DestinationURLs,
		warn: func(d *v1.Destination, reason, note string) {
			if s.Recorder != nil {
				s.Recorder.Eventf(d, nil, corev1.EventTypeWarning, reason, "Check", "%s", note)
			}
		},
	}
	return &managed.Definition[*v1.Destination, *hookstream.Destination, *desiredDestination, *hookstream.UpdateRequest]{
		Names:      managed.Names{Kind: kindDestination, Remote: "destination"},
		Kind:       kind,
		Row:        destinationRow,
		SecretRefs: destinationSecretRefs,
		Referrers:  referrersOption[*v1.Destination](env.referrers, kindDestination),
		Health:     &destinationHealth{circuits: circuitsOf(s.Clients)},
	}
}

// destinationKind answers the machinery's questions for Destinations.
type destinationKind struct {
	connect func(apiKey string) (destinationExternal, error)
	// urls is the policy of the hosts a Destination may deliver to (--destination-url-policy).
	urls URLPolicy
	// warn records a Warning event on the object; nil records none.
	warn func(d *v1.Destination, reason, note string)
}

var _ managed.Kind[*v1.Destination, *hookstream.Destination, *desiredDestination, *hookstream.UpdateRequest] = (*destinationKind)(nil)

func (k *destinationKind) Connect(apiKey string) (destinationExternal, error) {
	return k.connect(apiKey)
}

func (k *destinationKind) Desired(d *v1.Destination, refs managed.Refs) (*desiredDestination, error) {
	warnings, err := k.urls.check(context.Background(), &d.Spec)
	if err != nil {
		return nil, err
	}
	if len(warnings) > 0 && k.warn != nil && d.Generation != d.Status.ObservedGeneration {
		// Once per change of the spec, not at every check.
		k.warn(d, "InternalURL", fmt.Sprintf("%s: hookstream delivers there from its own network, where it may "+
			"reach its own services; --destination-url-policy=deny-internal refuses such URLs.", strings.Join(warnings, "; ")))
	}
	return buildDesired(d, refs.Secret)
}

// Compare rejects a remote destination whose immutable fields (type, slug) do not match the spec, else lists the
// fields that differ.
func (*destinationKind) Compare(d *v1.Destination, want *desiredDestination, remote *hookstream.Destination,
	secretsRotated bool) (managed.Observation[*hookstream.UpdateRequest], error) {
	if err := destinationIdentity(d, want, remote); err != nil {
		return managed.Observation[*hookstream.UpdateRequest]{}, err
	}
	return compareDestination(want, remote, secretsRotated), nil
}

// destinationIdentity rejects a remote destination whose immutable fields do not match the spec.
func destinationIdentity(d *v1.Destination, want *desiredDestination, remote *hookstream.Destination) error {
	if got := hookstream.NormalizeType(remote.Type); got != want.request.Type {
		return managed.Stall(v1.ReasonTypeMismatch, "remote destination %s has type %q but the spec asks for %q; the type cannot change: "+
			"create a new Destination for the new type", remote.ID, got, want.request.Type)
	}
	if d.Spec.Slug != "" && remote.Slug != d.Spec.Slug {
		return managed.Stall(v1.ReasonSlugMismatch, "remote destination %s has slug %q but spec.slug is %q; slugs cannot change in hookstream: "+
			"remove spec.slug or set it to %q", remote.ID, remote.Slug, d.Spec.Slug, remote.Slug)
	}
	return nil
}

// destinationRow tells the machinery the generic facts of a remote destination.
func destinationRow(remote *hookstream.Destination) managed.Row {
	return managed.Row{ID: remote.ID, Key: "slug " + remote.Slug, CreatedAt: remote.CreatedAt, UpdatedAt: remote.UpdatedAt}
}

// SetObserved mirrors the remote row into status.
func (*destinationKind) SetObserved(d *v1.Destination, remote *hookstream.Destination) {
	s := &d.Status
	s.Slug = remote.Slug
	s.Type = remote.Type
	s.State = remote.Status
	s.EventCount = remote.EventCount
	s.LastDeliveryAt = managed.Time(remote.LastDeliveryAt)
	s.CreatedAt = managed.Time(&remote.CreatedAt)
	s.UpdatedAt = managed.Time(&remote.UpdatedAt)
}

// destinationSecretRefs lists the Secrets a Destination's spec reads: those of its provider block.
func destinationSecretRefs(d *v1.Destination) []string {
	var names []string
	for i := range destinationProviders {
		if p := &destinationProviders[i]; p.isSet(&d.Spec) {
			for _, ref := range p.secretRefs(&d.Spec) {
				names = append(names, ref.Name)
			}
		}
	}
	return names
}

// destinationClient is the hookstream client seen through the machinery's five calls.
type destinationClient struct{ c *hookstream.Client }

var _ destinationExternal = (*destinationClient)(nil)

func (h *destinationClient) Observe(ctx context.Context, id string) (*hookstream.Destination, error) {
	return h.c.GetDestination(ctx, id)
}

func (h *destinationClient) List(ctx context.Context) iter.Seq2[*hookstream.Destination, error] {
	return h.c.AllDestinations(ctx)
}

// FindByKey walks the project's destinations for the one with the Destination's slug.
func (h *destinationClient) FindByKey(ctx context.Context, d *v1.Destination) (*hookstream.Destination, bool, error) {
	slug := destinationSlug(d)
	return findFirst(h.List(ctx), func(r *hookstream.Destination) bool { return r.Slug == slug })
}

func (h *destinationClient) Create(ctx context.Context, want *desiredDestination) (*hookstream.Destination, error) {
	return h.c.CreateDestination(ctx, &want.request)
}

func (h *destinationClient) Update(ctx context.Context, id string, patch *hookstream.UpdateRequest) (*hookstream.Destination, error) {
	return h.c.UpdateDestination(ctx, id, patch)
}

func (h *destinationClient) Delete(ctx context.Context, id string) error {
	return h.c.DeleteDestination(ctx, id)
}

// findFirst returns the first row that matches; found is false when none does.
func findFirst[R any](rows iter.Seq2[R, error], match func(R) bool) (row R, found bool, err error) {
	for remote, err := range rows {
		if err != nil {
			return row, false, err
		}
		if match(remote) {
			return remote, true, nil
		}
	}
	return row, false, nil
}
