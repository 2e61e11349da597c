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

package controller

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/events"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
)

// secretRefsIndex indexes Destinations by the names of the Secrets they read, credentials included.
const secretRefsIndex = "hookstream.io/secret-refs"

// DestinationReconciler keeps one hookstream destination per Destination object.
type DestinationReconciler struct {
	client.Client
	Recorder events.EventRecorder
	// Clients returns the hookstream client of an API key.
	Clients ClientFactory
	// DefaultCredentialsSecret is the credentials Secret of Destinations without spec.credentialsRef.
	DefaultCredentialsSecret string
	// DriftInterval is how often a Destination is compared with hookstream when nothing else triggers it.
	DriftInterval time.Duration
	// MaxConcurrentReconciles bounds parallel reconciles.
	MaxConcurrentReconciles int

	// Observation is how periodic checks read hookstream: ObserveByList (default) or ObserveByGet.
	Observation string
	secrets     *secretStore
	snapshots   *remoteSnapshots
	// seen holds the UIDs of the Destinations this process has reconciled, to spread the first checks of a start.
	seen sync.Map

	// lastKnownKeys keeps the API key of each credentials Secret seen, so that a Destination deleted together with
	// its Secret (one `kubectl delete -f dir/`) can still delete its remote destination.
	lastKnownKeys sync.Map // types.NamespacedName -> string
}

// +kubebuilder:rbac:groups=hookstream.io,resources=destinations,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=hookstream.io,resources=destinations/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=hookstream.io,resources=destinations/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile brings the remote destination of one Destination to its spec and mirrors it into status.
func (r *DestinationReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	d := &v1.Destination{}
	if err := r.Get(ctx, req.NamespacedName, d); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	ctx = logf.IntoContext(ctx, logf.FromContext(ctx).WithValues("destination", klog.KObj(d)))

	if isPaused(d) {
		// No hookstream call at all, deletion included, until the annotation goes.
		base := d.DeepCopy()
		setPaused(d)
		return ctrl.Result{}, r.patchStatus(ctx, base, d)
	}
	if !d.DeletionTimestamp.IsZero() {
		return r.reconcileDelete(ctx, d)
	}

	base := d.DeepCopy()
	settled := false
	defer func() {
		if settled {
			d.Status.ObservedGeneration = d.Generation
		}
		if err := r.patchStatus(ctx, base, d); err != nil && retErr == nil {
			result, retErr = r.handleError(ctx, d, "record the status", err)
		}
	}()
	result, err := r.reconcileNormal(ctx, d, base)
	settled = isSettled(d)
	return result, err
}

// isSettled reports whether the reconcile concluded on the current generation: Ready for it, or stalled (nothing
// more happens until a change). A retried failure has not concluded, so the generation stays unobserved.
func isSettled(d *v1.Destination) bool {
	ready := meta.FindStatusCondition(d.Status.Conditions, v1.ConditionReady)
	return isStalled(d) || (ready != nil && ready.Status == metav1.ConditionTrue && ready.ObservedGeneration == d.Generation)
}

// reconcileNormal observes the remote destination, then creates, adopts or updates it as the policies allow.
func (r *DestinationReconciler) reconcileNormal(ctx context.Context, d *v1.Destination, base *v1.Destination) (ctrl.Result, error) {
	apiKey, err := r.apiKey(ctx, d, false)
	if err != nil {
		return r.handleError(ctx, d, "read the credentials", err)
	}
	want, err := buildDesired(d, r.secretResolver(ctx, d.Namespace))
	if err != nil {
		return r.handleError(ctx, d, "read the referenced Secrets", err)
	}
	secretsHash := want.secretsHash(apiKey)
	periodic := isPeriodicCheck(d, secretsHash)
	if firstSight := r.firstSight(d); periodic && firstSight {
		// After a restart every Destination shows up at once; spreading their first checks over the interval
		// keeps hookstream and the API server calm.
		return r.driftCheckResult(rand.N(r.DriftInterval) + time.Second), nil
	}
	hs, err := r.Clients(apiKey)
	if err != nil {
		return ctrl.Result{}, err
	}

	remote, err := r.findRemote(ctx, d, apiKey, hs, want.request.Slug, periodic)
	if err != nil {
		return r.handleError(ctx, d, "read the remote destination", err)
	}
	if observeOnly(d) {
		return r.reconcileObserve(ctx, d, want, remote, secretsHash)
	}
	markedNow, err := r.ensureFinalizer(ctx, d, base, remote == nil)
	if err != nil {
		return r.handleError(ctx, d, "record the finalizer", err)
	}

	created := false
	if remote == nil {
		if remote, created, err = r.createOrAdopt(ctx, d, base, hs, want, secretsHash, markedNow); err != nil {
			return r.handleError(ctx, d, "create the remote destination", err)
		}
		r.snapshots.put(apiKey, remote)
	}
	if err := checkIdentity(d, want, remote); err != nil {
		return r.handleError(ctx, d, "converge", err)
	}

	obs := compareDestination(want, remote, d.Status.AppliedSecretsHash != secretsHash)
	if !obs.upToDate() {
		if created {
			// Persist the new id before the next remote call: if it fails, the next reconcile must find this
			// destination, not create another one.
			if err := r.patchStatus(ctx, base, d); err != nil {
				return r.handleError(ctx, d, "record the new destination's id", err)
			}
			*base = *d.DeepCopy()
		}
		updated, err := hs.UpdateDestination(ctx, remote.ID, obs.patch)
		if err != nil {
			return r.handleError(ctx, d, "update the remote destination", err)
		}
		remote = updated
		r.snapshots.put(apiKey, remote)
		r.recordUpdate(ctx, d, obs, created || d.Generation != d.Status.ObservedGeneration || d.Status.AppliedSecretsHash != secretsHash)
	}
	d.Status.AppliedSecretsHash = secretsHash
	setObserved(d, remote)
	setAvailable(d)
	markCheckHandled(d)
	return r.driftCheckResult(r.driftCheckAfter()), nil
}

// markCheckHandled echoes a requested check once it has read hookstream and concluded. A check that failed stays
// requested, so its retry reads hookstream again instead of a snapshot.
func markCheckHandled(d *v1.Destination) {
	if req := d.Annotations[v1.AnnotationReconcileRequestedAt]; req != "" {
		d.Status.LastHandledReconcileAt = req
	}
}

// isPeriodicCheck reports a reconcile that nothing but time asked for: the generation, the Secrets and the
// requested-check annotation were all handled already, and the last outcome was Ready.
func isPeriodicCheck(d *v1.Destination, secretsHash string) bool {
	ready := meta.FindStatusCondition(d.Status.Conditions, v1.ConditionReady)
	return d.Status.ID != "" && ready != nil && ready.Status == metav1.ConditionTrue &&
		d.Status.ObservedGeneration == d.Generation &&
		d.Status.AppliedSecretsHash == secretsHash &&
		d.Annotations[v1.AnnotationReconcileRequestedAt] == d.Status.LastHandledReconcileAt
}

// firstSight reports whether this process sees the Destination for the first time.
func (r *DestinationReconciler) firstSight(d *v1.Destination) bool {
	_, seen := r.seen.LoadOrStore(d.UID, struct{}{})
	return !seen
}

// driftCheckResult requeues for a periodic check, behind every change a user makes.
func (r *DestinationReconciler) driftCheckResult(after time.Duration) ctrl.Result {
	return ctrl.Result{RequeueAfter: after, Priority: ptr.To(handler.LowPriority)}
}

// reconcileObserve mirrors the remote destination and publishes what Manage would change, without any write.
func (r *DestinationReconciler) reconcileObserve(ctx context.Context, d *v1.Destination, want *desiredDestination,
	remote *hookstream.Destination, secretsHash string) (ctrl.Result, error) {
	if remote == nil {
		msg := fmt.Sprintf("managementPolicy is Observe and hookstream has no destination with slug %q%s. "+
			"Nothing is created in Observe; set spec.adoptID or spec.slug to an existing destination, or managementPolicy Manage.",
			want.request.Slug, adoptIDNote(d))
		setStalled(d, v1.ReasonNotFound, msg)
		return r.driftCheckResult(r.driftCheckAfter()), nil
	}
	if err := checkIdentity(d, want, remote); err != nil {
		return r.handleError(ctx, d, "observe", err)
	}
	// The remote secret values cannot be read back: without a hash of what this operator applied, only their
	// masked form can be compared.
	rotated := d.Status.AppliedSecretsHash != "" && d.Status.AppliedSecretsHash != secretsHash
	obs := compareDestination(want, remote, rotated)
	setObserved(d, remote)
	setDrift(d, obs.diffs)
	markCheckHandled(d)
	if obs.upToDate() {
		setObservedMatch(d)
	} else {
		setObservedDrift(d, obs.fields())
	}
	return r.driftCheckResult(r.driftCheckAfter()), nil
}

// findRemote returns the remote destination of d, or nil when there is none: by the recorded id, else by
// spec.adoptID, else by slug when a create may have happened unrecorded or when only observing. Periodic checks
// read the recorded id from the key's list snapshot.
func (r *DestinationReconciler) findRemote(ctx context.Context, d *v1.Destination, apiKey string, hs HookstreamClient,
	slug string, periodic bool) (*hookstream.Destination, error) {
	id := d.Status.ID
	if id == "" {
		id = d.Spec.AdoptID
	}
	if id != "" {
		var remote *hookstream.Destination
		var err error
		if periodic && r.Observation != ObserveByGet {
			remote, err = r.snapshots.get(ctx, apiKey, hs, id)
		} else {
			remote, err = hs.GetDestination(ctx, id)
		}
		switch {
		case err == nil:
			return remote, nil
		case !hookstream.IsNotFound(err):
			return nil, err
		case d.Status.ID == "":
			return nil, fmt.Errorf("%w: spec.adoptID %q names no destination in the hookstream project of the credentials", errRemoteNotFound, id)
		}
		r.snapshots.forget(apiKey, id)
		logf.FromContext(ctx).Info("Remote destination is gone", "id", id)
		r.warn(d, "RemoteDeleted", "Observe", fmt.Sprintf("Destination %s was deleted outside the operator.", id))
		d.Status.ID = ""
	}
	if observeOnly(d) {
		return findBySlug(ctx, hs, slug)
	}
	if createRequestedAt(d) == nil {
		return nil, nil
	}
	remote, err := findBySlug(ctx, hs, slug)
	if err != nil || remote == nil || !createdByMarkedAttempt(d, remote) {
		return nil, err
	}
	logf.FromContext(ctx).Info("Found the destination of an unrecorded create", "id", remote.ID, "slug", remote.Slug)
	r.normal(d, "Adopted", "Adopt", fmt.Sprintf("Found hookstream destination %s (slug %s), created by an earlier "+
		"attempt whose result was not recorded; using it instead of creating another.", remote.ID, remote.Slug))
	return remote, nil
}

// findBySlug walks the project's destinations for the one with the slug; nil when there is none.
func findBySlug(ctx context.Context, hs HookstreamClient, slug string) (*hookstream.Destination, error) {
	for remote, err := range hs.AllDestinations(ctx) {
		if err != nil {
			return nil, err
		}
		if remote.Slug == slug {
			return remote, nil
		}
	}
	return nil, nil
}

// createRequestedAt returns when the operator first tried to create the remote destination, from the marker
// annotation; nil when it never did.
func createRequestedAt(d *v1.Destination) *time.Time {
	v, ok := d.Annotations[v1.AnnotationCreateRequested]
	if !ok {
		return nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		// An unreadable marker still says a create may have happened; it only cannot date it.
		t = time.Time{}
	}
	return &t
}

// markerClockSkew is how far hookstream's clock may be ahead of the manager's when telling a destination created
// by the marked attempt from one that existed before it.
const markerClockSkew = 2 * time.Minute

// createdByMarkedAttempt reports whether remote may have been created by the attempt the marker records, rather
// than having existed before it (someone else's destination with the same slug).
func createdByMarkedAttempt(d *v1.Destination, remote *hookstream.Destination) bool {
	at := createRequestedAt(d)
	return at != nil && (at.IsZero() || !remote.CreatedAt.Before(at.Add(-markerClockSkew)))
}

// ensureFinalizer adds the finalizer and, before a create, the create-requested marker, in one metadata patch with
// optimistic concurrency: of two writers that raced, one fails here instead of both creating. It reports whether
// it set the marker, that is whether the coming create is the first attempt.
func (r *DestinationReconciler) ensureFinalizer(ctx context.Context, d, base *v1.Destination, creating bool) (markedNow bool, err error) {
	needMarker := creating && createRequestedAt(d) == nil
	if controllerutil.ContainsFinalizer(d, v1.Finalizer) && !needMarker {
		return false, nil
	}
	before := d.DeepCopy()
	controllerutil.AddFinalizer(d, v1.Finalizer)
	if needMarker {
		metav1.SetMetaDataAnnotation(&d.ObjectMeta, v1.AnnotationCreateRequested, time.Now().UTC().Format(time.RFC3339))
	}
	status := d.Status
	if err := r.Patch(ctx, d, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
		return false, err
	}
	// The patch answered with the stored object; the status being built in memory stays as it was.
	d.Status = status
	base.ObjectMeta = *d.ObjectMeta.DeepCopy()
	return needMarker, nil
}

// createOrAdopt creates the remote destination, crash-safely: the create-requested marker is recorded before the
// POST, so that a reconcile after a crash looks the slug up instead of creating a duplicate. A slug already taken
// is adopted when adoptionPolicy allows it, or when an earlier attempt may have created it; on a first attempt
// (firstAttempt) it can only be someone else's.
func (r *DestinationReconciler) createOrAdopt(ctx context.Context, d, base *v1.Destination, hs HookstreamClient,
	want *desiredDestination, secretsHash string, firstAttempt bool) (remote *hookstream.Destination, created bool, err error) {
	log := logf.FromContext(ctx)
	remote, err = hs.CreateDestination(ctx, &want.request)
	switch {
	case err == nil:
		remoteWrites.WithLabelValues("create").Inc()
		log.Info("Created remote destination", "id", remote.ID, "slug", remote.Slug)
		r.normal(d, "Created", "Create", fmt.Sprintf("Created hookstream destination %s (slug %s).", remote.ID, remote.Slug))
		d.Status.AppliedSecretsHash = secretsHash
		setObserved(d, remote)
		return remote, true, nil
	case !hookstream.IsConflict(err):
		// The create may have happened anyway (a timeout, a lost answer): the marker stays, so the next attempt
		// looks the slug up first.
		return nil, false, err
	}

	existing, err := findBySlug(ctx, hs, want.request.Slug)
	if err != nil {
		return nil, false, err
	}
	if existing == nil {
		return nil, false, fmt.Errorf("slug %q is taken but no destination has it: %w", want.request.Slug, errRetry)
	}
	if d.Spec.AdoptionPolicy != v1.AdoptBySlug && (firstAttempt || !createdByMarkedAttempt(d, existing)) {
		if err := r.dropCreateMarker(ctx, d, base); err != nil {
			return nil, false, err
		}
		return nil, false, fmt.Errorf("%w: slug %q is already used by another destination in the hookstream project. "+
			"It was left untouched. To take it over, set spec.adoptionPolicy: BySlug (its fields are then changed to "+
			"match the spec) or spec.adoptID; otherwise set spec.slug to a free value", errSlugConflict, want.request.Slug)
	}
	log.Info("Adopted existing remote destination", "id", existing.ID, "slug", existing.Slug)
	r.normal(d, "Adopted", "Adopt", fmt.Sprintf("Took over hookstream destination %s (slug %s).", existing.ID, existing.Slug))
	setObserved(d, existing)
	return existing, false, nil
}

// dropCreateMarker removes the create-requested marker once the slug is known to belong to someone else, so that
// a later reconcile does not take that destination for the one it tried to create.
func (r *DestinationReconciler) dropCreateMarker(ctx context.Context, d, base *v1.Destination) error {
	before := d.DeepCopy()
	delete(d.Annotations, v1.AnnotationCreateRequested)
	status := d.Status
	if err := r.Patch(ctx, d, client.MergeFrom(before)); err != nil {
		return err
	}
	d.Status = status
	base.ObjectMeta = *d.ObjectMeta.DeepCopy()
	return nil
}

// checkIdentity rejects a remote destination whose immutable fields do not match the spec.
func checkIdentity(d *v1.Destination, want *desiredDestination, remote *hookstream.Destination) error {
	if got := hookstream.NormalizeType(remote.Type); got != want.request.Type {
		return fmt.Errorf("%w: remote destination %s has type %q but the spec asks for %q; the type cannot change: "+
			"create a new Destination for the new type", errTypeMismatch, remote.ID, got, want.request.Type)
	}
	if d.Spec.Slug != "" && remote.Slug != d.Spec.Slug {
		return fmt.Errorf("%w: remote destination %s has slug %q but spec.slug is %q; slugs cannot change in hookstream: "+
			"remove spec.slug or set it to %q", errSlugMismatch, remote.ID, remote.Slug, d.Spec.Slug, remote.Slug)
	}
	return nil
}

// recordUpdate reports a PATCH: an update when the spec or a Secret changed, else a correction of drift.
func (r *DestinationReconciler) recordUpdate(ctx context.Context, d *v1.Destination, obs *observation, specChanged bool) {
	fields := obs.fields()
	remoteWrites.WithLabelValues("update").Inc()
	if specChanged {
		logf.FromContext(ctx).V(1).Info("Updated remote destination", "fields", fields)
		r.normal(d, "Updated", "Update", fmt.Sprintf("Updated %s.", strings.Join(fields, ", ")))
		return
	}
	for _, f := range fields {
		driftCorrections.WithLabelValues(f).Inc()
	}
	setDrift(d, obs.diffs)
	logf.FromContext(ctx).Info("Reverted changes made outside the operator", "fields", fields)
	r.normal(d, "DriftCorrected", "Update", fmt.Sprintf("Reverted %s, changed outside the operator.", strings.Join(fields, ", ")))
}

func (r *DestinationReconciler) driftCheckAfter() time.Duration {
	return wait.Jitter(r.DriftInterval, 0.1)
}

func observeOnly(d *v1.Destination) bool { return d.Spec.ManagementPolicy == v1.ManagementObserve }

func isPaused(d *v1.Destination) bool { return d.Annotations[v1.AnnotationPaused] == "true" }

func adoptIDNote(d *v1.Destination) string {
	if d.Spec.AdoptID == "" {
		return ""
	}
	return fmt.Sprintf(" (spec.adoptID %q)", d.Spec.AdoptID)
}

// reconcileDelete deletes the remote destination, as deletionPolicy allows, and releases the finalizer.
func (r *DestinationReconciler) reconcileDelete(ctx context.Context, d *v1.Destination) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(d, v1.Finalizer) {
		return ctrl.Result{}, nil
	}
	keepRemote := d.Spec.DeletionPolicy == v1.DeletionOrphan || observeOnly(d)
	switch {
	case d.Status.ID == "":
		// Nothing was recorded. A create that may have reached hookstream is found by slug.
		if createRequestedAt(d) != nil && !keepRemote {
			return r.deleteUnrecorded(ctx, d)
		}
	case keepRemote:
		logf.FromContext(ctx).Info("Leaving the remote destination in hookstream", "id", d.Status.ID)
		r.normal(d, "Orphaned", "Delete", fmt.Sprintf("Left hookstream destination %s in place (deletionPolicy %s, managementPolicy %s).",
			d.Status.ID, d.Spec.DeletionPolicy, d.Spec.ManagementPolicy))
	default:
		base := d.DeepCopy()
		result, err := r.deleteRemote(ctx, d, d.Status.ID)
		if err != nil || !result.IsZero() {
			if perr := r.patchStatus(ctx, base, d); perr != nil && err == nil {
				err = perr
			}
			return result, err
		}
	}
	return r.releaseFinalizer(ctx, d)
}

// deleteUnrecorded deletes a destination whose create was attempted but never recorded, if hookstream has it and
// it was not there before the attempt.
func (r *DestinationReconciler) deleteUnrecorded(ctx context.Context, d *v1.Destination) (ctrl.Result, error) {
	apiKey, err := r.apiKey(ctx, d, true)
	if err != nil {
		return r.handleError(ctx, d, "delete the remote destination", err)
	}
	hs, err := r.Clients(apiKey)
	if err != nil {
		return ctrl.Result{}, err
	}
	remote, err := findBySlug(ctx, hs, destinationSlug(d))
	if err != nil {
		return r.handleError(ctx, d, "look up the remote destination", err)
	}
	if remote != nil && createdByMarkedAttempt(d, remote) {
		if result, err := r.deleteRemote(ctx, d, remote.ID); err != nil || !result.IsZero() {
			return result, err
		}
	}
	return r.releaseFinalizer(ctx, d)
}

func (r *DestinationReconciler) releaseFinalizer(ctx context.Context, d *v1.Destination) (ctrl.Result, error) {
	base := d.DeepCopy()
	controllerutil.RemoveFinalizer(d, v1.Finalizer)
	if err := r.Patch(ctx, d, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
		if apierrors.IsNotFound(err) {
			return ctrl.Result{}, nil
		}
		return r.handleError(ctx, d, "release the finalizer", err)
	}
	return ctrl.Result{}, nil
}

func (r *DestinationReconciler) deleteRemote(ctx context.Context, d *v1.Destination, id string) (ctrl.Result, error) {
	apiKey, err := r.apiKey(ctx, d, true)
	if err != nil {
		result, herr := r.handleError(ctx, d, "delete the remote destination", err)
		setDeleting(d)
		return result, herr
	}
	hs, err := r.Clients(apiKey)
	if err != nil {
		return ctrl.Result{}, err
	}
	err = hs.DeleteDestination(ctx, id)
	if err != nil && !hookstream.IsNotFound(err) {
		result, herr := r.handleError(ctx, d, "delete the remote destination", err)
		setDeleting(d)
		return result, herr
	}
	if err == nil {
		remoteWrites.WithLabelValues("delete").Inc()
		logf.FromContext(ctx).Info("Deleted remote destination", "id", id)
		r.normal(d, "Deleted", "Delete", fmt.Sprintf("Deleted hookstream destination %s.", id))
	}
	return ctrl.Result{}, nil
}

func isStalled(d *v1.Destination) bool {
	for _, c := range d.Status.Conditions {
		if c.Type == v1.ConditionStalled {
			return c.Status == "True"
		}
	}
	return false
}

// patchStatus writes the status if, and only if, it changed since base.
func (r *DestinationReconciler) patchStatus(ctx context.Context, base, d *v1.Destination) error {
	if equality.Semantic.DeepEqual(base.Status, d.Status) {
		return nil
	}
	return r.Status().Patch(ctx, d, client.MergeFrom(base))
}

// credentialsSecretName is the name of the Secret holding a Destination's API key.
func credentialsSecretName(d *v1.Destination, defaultName string) string {
	if d.Spec.CredentialsRef != nil && d.Spec.CredentialsRef.Name != "" {
		return d.Spec.CredentialsRef.Name
	}
	return defaultName
}

// apiKey reads the hookstream API key of a Destination. While deleting, a Secret that is already gone is replaced
// by the last key this process saw in it.
func (r *DestinationReconciler) apiKey(ctx context.Context, d *v1.Destination, deleting bool) (string, error) {
	key := types.NamespacedName{Namespace: d.Namespace, Name: credentialsSecretName(d, r.DefaultCredentialsSecret)}
	s, err := r.secrets.get(ctx, key)
	var value []byte
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return "", &errMissingSecret{credentials: true, name: key.Name, err: err}
	default:
		value = s.Data[v1.CredentialsKey]
	}
	if len(value) > 0 {
		apiKey := strings.TrimSpace(string(value))
		r.lastKnownKeys.Store(key, apiKey)
		return apiKey, nil
	}
	if deleting {
		if last, ok := r.lastKnownKeys.Load(key); ok {
			return last.(string), nil
		}
	}
	if err != nil {
		return "", &errMissingSecret{credentials: true, name: key.Name}
	}
	return "", &errMissingSecret{credentials: true, name: key.Name, key: v1.CredentialsKey}
}

// secretResolver reads Secret keys from the Destination's namespace, and nowhere else.
func (r *DestinationReconciler) secretResolver(ctx context.Context, namespace string) SecretResolver {
	cache := map[string]*corev1.Secret{}
	return func(ref v1.SecretKeySelector) (string, error) {
		s, ok := cache[ref.Name]
		if !ok {
			var err error
			if s, err = r.secrets.get(ctx, types.NamespacedName{Namespace: namespace, Name: ref.Name}); err != nil {
				if apierrors.IsNotFound(err) {
					return "", &errMissingSecret{name: ref.Name}
				}
				return "", &errMissingSecret{name: ref.Name, err: err}
			}
			cache[ref.Name] = s
		}
		v, ok := s.Data[ref.Key]
		if !ok {
			return "", &errMissingSecret{name: ref.Name, key: ref.Key}
		}
		return string(v), nil
	}
}

func (r *DestinationReconciler) normal(d *v1.Destination, reason, action, note string) {
	if r.Recorder != nil {
		r.Recorder.Eventf(d, nil, corev1.EventTypeNormal, reason, action, "%s", note)
	}
}

func (r *DestinationReconciler) warn(d *v1.Destination, reason, action, note string) {
	if r.Recorder != nil {
		r.Recorder.Eventf(d, nil, corev1.EventTypeWarning, reason, action, "%s", note)
	}
}

// secretRefs lists the Secrets a Destination reads.
func secretRefs(d *v1.Destination, defaultCredentials string) []string {
	names := []string{credentialsSecretName(d, defaultCredentials)}
	add := func(ref v1.SecretKeySelector) { names = append(names, ref.Name) }
	s := &d.Spec
	if h := s.HTTP; h != nil {
		for _, hf := range h.HeadersFrom {
			add(hf.ValueFrom)
		}
		if a := h.Auth; a != nil {
			switch {
			case a.Bearer != nil:
				add(a.Bearer.TokenSecretRef)
			case a.Basic != nil:
				add(a.Basic.PasswordSecretRef)
			case a.APIKey != nil:
				add(a.APIKey.ValueSecretRef)
			}
		}
	}
	for _, aws := range []*v1.AWSCredentials{awsCredentials(s)} {
		if aws != nil {
			add(aws.SecretAccessKeySecretRef)
		}
	}
	if s.GCPPubSub != nil {
		add(s.GCPPubSub.ServiceAccountJSONSecretRef)
	}
	if s.Kafka != nil {
		add(s.Kafka.APISecretSecretRef)
	}
	if s.RabbitMQ != nil {
		add(s.RabbitMQ.PasswordSecretRef)
	}
	return names
}

func awsCredentials(s *v1.DestinationSpec) *v1.AWSCredentials {
	switch {
	case s.AWSSQS != nil:
		return &s.AWSSQS.AWSCredentials
	case s.AWSS3 != nil:
		return &s.AWSS3.AWSCredentials
	case s.AWSEventBridge != nil:
		return &s.AWSEventBridge.AWSCredentials
	}
	return nil
}

// SetupWithManager registers the controller: Destinations trigger on spec, annotation and deletion changes (never
// on their own status writes); Secrets trigger the Destinations that reference them.
func (r *DestinationReconciler) SetupWithManager(mgr ctrl.Manager) error {
	r.snapshots = newRemoteSnapshots(r.DriftInterval)
	r.secrets = newSecretStore(mgr.GetClient(), mgr.GetAPIReader())
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &v1.Destination{}, secretRefsIndex,
		func(o client.Object) []string { return secretRefs(o.(*v1.Destination), r.DefaultCredentialsSecret) }); err != nil {
		return err
	}
	deleting := predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
		return !e.ObjectNew.GetDeletionTimestamp().IsZero()
	}}
	return ctrl.NewControllerManagedBy(mgr).
		For(&v1.Destination{}, builder.WithPredicates(predicate.Or(
			predicate.GenerationChangedPredicate{}, annotationsChanged(v1.AnnotationReconcileRequestedAt, v1.AnnotationPaused), deleting))).
		WatchesMetadata(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.destinationsForSecret)).
		WithOptions(controller.Options{MaxConcurrentReconciles: max(1, r.MaxConcurrentReconciles), UsePriorityQueue: ptr.To(true)}).
		Named("destination").
		Complete(r)
}

// annotationsChanged passes updates that change one of the annotations; the operator's own marker does not
// trigger a reconcile.
func annotationsChanged(names ...string) predicate.Funcs {
	return predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
		oldA, newA := e.ObjectOld.GetAnnotations(), e.ObjectNew.GetAnnotations()
		for _, n := range names {
			if oldA[n] != newA[n] {
				return true
			}
		}
		return false
	}}
}

func (r *DestinationReconciler) destinationsForSecret(ctx context.Context, o client.Object) []ctrl.Request {
	list := &v1.DestinationList{}
	if err := r.List(ctx, list, client.InNamespace(o.GetNamespace()), client.MatchingFields{secretRefsIndex: o.GetName()}); err != nil {
		logf.FromContext(ctx).Error(err, "Cannot list the Destinations of a Secret", "secret", klog.KObj(o))
		return nil
	}
	reqs := make([]ctrl.Request, 0, len(list.Items))
	for i := range list.Items {
		reqs = append(reqs, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
	}
	return reqs
}
