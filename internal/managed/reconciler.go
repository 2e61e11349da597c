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

package managed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/events"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
)

// Options configure a Reconciler.
type Options struct {
	// DefaultCredentialsSecret is the credentials Secret of objects without spec.credentialsRef.
	DefaultCredentialsSecret string
	// DriftInterval is how often an object is compared with hookstream when nothing else triggers it.
	DriftInterval time.Duration
	// Observation is how periodic checks read hookstream: ObserveByList (default) or ObserveByGet.
	Observation string
	// StatusRefreshInterval is how often the counters of every object's remote row are read again, with one list
	// per API key, to refresh the status of the objects whose row changed; 0 leaves it to the drift checks.
	StatusRefreshInterval time.Duration
	// Shard is the label selector the manager's cache of the managed kinds is restricted to; nil for none. A
	// referenced object the cache does not hold may then exist outside the shard.
	Shard labels.Selector
	// SendableSecrets, when set, is the label selector every Secret a spec references (credentials aside) must
	// match for its values to be sent (--secret-reference-label).
	SendableSecrets labels.Selector
}

// Reconciler keeps one remote resource per object of a kind: the skeleton every kind shares.
type Reconciler[O Object, R any, D Desired, P any] struct {
	client   client.Client
	api      client.Reader
	recorder events.EventRecorder
	def      *Definition[O, R, D, P]
	opts     Options

	creds     *credentials
	snapshots *snapshots[R]
	// seen holds the UIDs of the objects this process has reconciled, to spread the first checks of a start.
	seen sync.Map
	// refused holds, by UID, the status.refusedInputHash this process last wrote: a reconcile that reads the
	// object from a cache the status write has not reached yet must not send the refused request again.
	refused sync.Map
}

// NewReconciler returns the reconciler of a kind. metadata reads Secret metadata from the manager's
// metadata-only cache, api reads Secrets from the API server.
func NewReconciler[O Object, R any, D Desired, P any](c client.Client, metadata, api client.Reader,
	recorder events.EventRecorder, def *Definition[O, R, D, P], opts Options) *Reconciler[O, R, D, P] {
	return &Reconciler[O, R, D, P]{
		client: c, api: api, recorder: recorder, def: def, opts: opts,
		creds: &credentials{secrets: newSecretStore(metadata, api), defaultSecret: opts.DefaultCredentialsSecret,
			sendable: opts.SendableSecrets, kind: def.Names.Kind},
		snapshots: newSnapshots(opts.DriftInterval, def.Row),
	}
}

// Reconcile brings the remote resource of one object to its spec and mirrors it into status.
func (r *Reconciler[O, R, D, P]) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	obj := NewObject[O]()
	if err := r.client.Get(ctx, req.NamespacedName, obj); err != nil {
		if apierrors.IsNotFound(err) {
			r.forget(req.NamespacedName)
			return ctrl.Result{}, nil
		}
		// Nothing to write a condition on: the object itself cannot be read.
		return ctrl.Result{}, err
	}
	ctx = logf.IntoContext(ctx, logf.FromContext(ctx).WithValues(strings.ToLower(r.def.Names.Kind), klog.KObj(obj)))

	if IsPaused(obj) {
		// No hookstream call at all, deletion included, until the annotation goes.
		base := r.snapshot(obj)
		SetPaused(obj)
		return r.finish(ctx, base, obj, ctrl.Result{}, nil)
	}
	if !obj.GetDeletionTimestamp().IsZero() {
		return r.reconcileDelete(ctx, obj)
	}

	base := r.snapshot(obj)
	result, err := r.reconcileNormal(ctx, obj, &base)
	if isSettled(obj) {
		obj.GetManagedStatus().ObservedGeneration = obj.GetGeneration()
	}
	return r.finish(ctx, base, obj, result, err)
}

// finish writes the status once, if it changed since base. A failed write is a failure like any other.
func (r *Reconciler[O, R, D, P]) finish(ctx context.Context, base, obj O, result ctrl.Result, err error) (ctrl.Result, error) {
	if perr := r.patchStatus(ctx, base, obj); perr != nil && err == nil {
		result, err = r.handleError(ctx, obj, "record the status", perr)
		// The condition the failure sets cannot be written either; the event and the log carry it.
	}
	return result, err
}

func (r *Reconciler[O, R, D, P]) snapshot(obj O) O { return obj.DeepCopyObject().(O) }

// reconcileNormal gathers the facts of obj (its credentials, the mapping of its spec, where its remote resource
// is), decides the plan and carries it out. base is the object as stored: the status patch at the end is computed
// from it, and the steps that write before the end (StepRecordID, StepRecordReplacement) move it on.
func (r *Reconciler[O, R, D, P]) reconcileNormal(ctx context.Context, obj O, base *O) (result ctrl.Result, err error) {
	apiKey, err := r.creds.apiKey(ctx, obj, false)
	if err != nil {
		return r.handleError(ctx, obj, "read the credentials", err)
	}
	f := Facts[R, D]{RecordedID: obj.GetManagedStatus().ID}
	f.Want, f.MapErr = r.def.Kind.Desired(obj, r.refs(ctx, obj, apiKey))
	if f.MapErr != nil {
		return r.execute(ctx, obj, base, nil, apiKey, f)
	}
	inputHash := refusedInputHash(obj, f.Want, apiKey)
	if r.refusedBefore(obj, inputHash) {
		// Refused for good with these very inputs: calling hookstream again could only be refused again.
		return ctrl.Result{}, nil
	}
	defer func() { r.recordRefusal(obj, inputHash, err) }()
	f.SecretsHash = SecretsHash(f.Want.SecretMaterial(), apiKey)
	periodic := isPeriodicCheck(obj, f.SecretsHash) && !r.healthRequested(obj)
	if firstSight := r.firstSight(obj); periodic && firstSight {
		// After a restart every object shows up at once; spreading their first checks over the interval keeps
		// hookstream and the API server calm.
		return r.checkResult(rand.N(r.opts.DriftInterval) + time.Second), nil
	}
	hs, err := r.connect(obj, apiKey)
	if err != nil {
		return r.handleError(ctx, obj, "connect to hookstream", err)
	}
	f.Lookup, f.LookupErr = r.findRemote(ctx, obj, apiKey, hs, periodic)
	return r.execute(ctx, obj, base, hs, apiKey, f)
}

// execute carries out the plan Decide makes of the facts, step by step. A create, or a create that conflicts on
// the natural key, adds facts: the plan is decided again with them, so that what follows (adopt, compare, update)
// is decided in one place.
func (r *Reconciler[O, R, D, P]) execute(ctx context.Context, obj O, base *O, hs External[O, R, D, P], apiKey string,
	f Facts[R, D]) (ctrl.Result, error) {
	// What the status said before this reconcile, for the kind's health observation; base changes on the way.
	before := *base
	for {
		p := Decide(r.def, obj, f)
		switch p.Action {
		case PlanBlocked, PlanWait, PlanFailed:
			if p.Has(StepDropMarker) {
				// The key is someone else's: a later reconcile must not take their resource for ours.
				if err := r.dropCreateMarker(ctx, obj, *base); err != nil {
					return r.handleError(ctx, obj, p.Stage, err)
				}
			}
			return r.handleError(ctx, obj, p.Stage, p.Err)
		case PlanReplace:
			return r.replace(ctx, obj, base, hs, r.def.Row(p.Remote).ID, p.Replace)
		}
		markedNow, err := r.ensureFinalizer(ctx, obj, *base, p, f)
		if err != nil {
			return r.handleError(ctx, obj, "record the finalizer", err)
		}
		if p.Action == PlanCreate {
			if f, err = r.create(ctx, obj, hs, apiKey, f, markedNow); err != nil {
				return r.handleError(ctx, obj, "create the remote "+r.def.Names.Remote, err)
			}
			continue
		}
		if p.Has(StepAdopt) {
			r.adopt(ctx, obj, p)
		}
		if p.Has(StepRecordID) {
			obj.GetManagedStatus().ID = r.def.Row(p.Remote).ID
			if err := r.patchStatus(ctx, *base, obj); err != nil {
				return r.handleError(ctx, obj, fmt.Sprintf("record the new %s's id", r.def.Names.Remote), err)
			}
			*base = r.snapshot(obj)
		}
		remote := p.Remote
		if p.Has(StepUpdate) {
			st := obj.GetManagedStatus()
			updated, err := hs.Update(ctx, r.def.Row(remote).ID, p.Patch)
			if err != nil {
				return r.handleError(ctx, obj, "update the remote "+r.def.Names.Remote, err)
			}
			remote = updated
			r.snapshots.put(apiKey, remote)
			r.recordUpdate(ctx, obj, p.Diffs, fieldsOf(p.Diffs),
				f.Created || obj.GetGeneration() != st.ObservedGeneration || st.AppliedSecretsHash != f.SecretsHash)
		}
		return r.converged(ctx, obj, before, remote, apiKey, f, p)
	}
}

// converged mirrors the remote resource into status, publishes and observes its health, once the plan's writes
// are done (or, under Observe, without any).
func (r *Reconciler[O, R, D, P]) converged(ctx context.Context, obj, before O, remote R, apiKey string, f Facts[R, D],
	p Plan[R, P]) (ctrl.Result, error) {
	observe := observeOnly(obj)
	if !observe {
		obj.GetManagedStatus().AppliedSecretsHash = f.SecretsHash
	}
	r.setObserved(obj, remote)
	if err := r.publish(ctx, obj); err != nil {
		return r.handleError(ctx, obj, "publish the "+r.def.Names.Remote+"'s details", err)
	}
	if err := r.observeHealth(ctx, obj, before, remote, apiKey, f.Created, observe); err != nil {
		return r.handleError(ctx, obj, "read the "+r.def.Names.Remote+"'s delivery health", err)
	}
	MarkCheckHandled(obj)
	switch {
	case !observe:
		SetAvailable(obj, r.def.Names.Remote)
	case p.Action == PlanUnchanged:
		SetDrift(obj, p.Diffs)
		SetObservedMatch(obj, r.def.Names.Remote)
	default:
		SetDrift(obj, p.Diffs)
		SetObservedDrift(obj, fieldsOf(p.Diffs))
	}
	return r.checkResult(r.checkAfter()), nil
}

// create carries out StepCreate, crash-safely: the create marker was recorded before (StepFinalizer), so that a
// reconcile after a crash looks the natural key up instead of creating a duplicate. It returns the facts the
// create adds: the remote resource it made, or, when the natural key is taken, the one that holds it.
func (r *Reconciler[O, R, D, P]) create(ctx context.Context, obj O, hs External[O, R, D, P], apiKey string,
	f Facts[R, D], firstAttempt bool) (Facts[R, D], error) {
	remote, err := hs.Create(ctx, f.Want)
	switch {
	case err == nil:
		row := r.def.Row(remote)
		remoteWrites.WithLabelValues(r.def.Names.Kind, "create").Inc()
		logf.FromContext(ctx).Info("Created remote resource", "id", row.ID, "key", row.Key)
		r.event(obj, corev1.EventTypeNormal, "Created", "Create", fmt.Sprintf("Created hookstream %s %s (%s).",
			r.def.Names.Remote, row.ID, row.Key))
		r.snapshots.put(apiKey, remote)
		obj.GetManagedStatus().AppliedSecretsHash = f.SecretsHash
		r.setObserved(obj, remote)
		f.Lookup, f.Created = RemoteLookup[R]{Remote: remote, Found: true}, true
		return f, nil
	case IsRemote(err, RemoteNotFound):
		// Only a resource the request names can be missing (a connection's source or destination id).
		return f, Refuse(v1.ReasonInvalidSpec, "hookstream refused the create (404): %s; the spec names "+
			"a remote resource that does not exist in the project of the credentials", apiMessage(err))
	case !IsRemote(err, RemoteConflict):
		// The create may have happened anyway (a timeout, a lost answer): the marker stays, so the next attempt
		// looks the natural key up first.
		return f, err
	}
	taken, found, err := hs.FindByKey(ctx, obj)
	if err != nil {
		return f, err
	}
	if !found {
		return f, fmt.Errorf("%s is taken but no %s has it: %w", f.Want.KeyDescription(), r.def.Names.Remote, errRetry)
	}
	f.KeyLookedUp, f.Taken, f.TakenFound, f.FirstAttempt = true, taken, true, firstAttempt
	return f, nil
}

// adopt carries out StepAdopt: the remote resource that holds the natural key becomes the object's.
func (r *Reconciler[O, R, D, P]) adopt(ctx context.Context, obj O, p Plan[R, P]) {
	row := r.def.Row(p.Remote)
	if p.Own {
		adoptOwnCreate(obj)
	}
	logf.FromContext(ctx).Info("Adopted existing remote resource", "id", row.ID, "key", row.Key)
	r.event(obj, corev1.EventTypeNormal, "Adopted", "Adopt", fmt.Sprintf("Took over hookstream %s %s (%s).",
		r.def.Names.Remote, row.ID, row.Key))
	r.setObserved(obj, p.Remote)
}

// fieldsOf lists the differing field names, sorted, each once.
func fieldsOf(diffs []FieldDiff) []string { return Observation[any]{Diffs: diffs}.Fields() }

// refs reads what obj's spec references, in its namespace only; apiKey is obj's own.
func (r *Reconciler[O, R, D, P]) refs(ctx context.Context, obj O, apiKey string) Refs {
	return Refs{
		Secret:    r.creds.resolver(ctx, obj.GetNamespace()),
		ConfigMap: configMapResolver(ctx, r.api, r.def.Names.Kind, obj.GetNamespace()),
		Object: func(into client.Object, name string) error {
			key := types.NamespacedName{Namespace: obj.GetNamespace(), Name: name}
			err := r.client.Get(ctx, key, into)
			if apierrors.IsNotFound(err) && r.opts.Shard != nil {
				return r.outsideShard(ctx, key, into, err)
			}
			return kubeErr("read "+name, err)
		},
		SameProject: func(other Object) (bool, error) {
			theirs, err := r.creds.apiKey(ctx, other, false)
			return theirs == apiKey, err
		},
	}
}

// outsideShard tells a referenced object that exists outside the shard from one that does not exist: the cache
// holds the shard's objects only. notFound is the cache's answer, returned when the API server has none either.
func (r *Reconciler[O, R, D, P]) outsideShard(ctx context.Context, key types.NamespacedName, into client.Object,
	notFound error) error {
	found := into.DeepCopyObject().(client.Object)
	switch err := r.api.Get(ctx, key, found); {
	case apierrors.IsNotFound(err):
		return notFound
	case err != nil:
		return kubeErr("read "+key.Name, err)
	}
	return &OutsideShardError{Shard: r.opts.Shard.String(), Labels: labels.Set(found.GetLabels()).String()}
}

func (r *Reconciler[O, R, D, P]) connect(obj O, apiKey string) (External[O, R, D, P], error) {
	hs, err := r.def.Kind.Connect(apiKey)
	if err != nil {
		return nil, &errConnect{secret: r.creds.secretName(obj), err: err}
	}
	return hs, nil
}

// publish lets a kind that publishes details of its remote resource in the cluster bring them up to date.
func (r *Reconciler[O, R, D, P]) publish(ctx context.Context, obj O) error {
	if p := r.def.Publisher; p != nil {
		return r.publishErr(p.Publish(ctx, obj))
	}
	return nil
}

// publishErr marks a publishing failure as a failed Kubernetes call, unless the kind says it needs a change.
func (r *Reconciler[O, R, D, P]) publishErr(err error) error {
	if err == nil {
		return nil
	}
	if _, stalled := errors.AsType[*StalledError](err); stalled {
		return err
	}
	return kubeErr("write the objects the "+r.def.Names.Kind+" publishes", err)
}

func (r *Reconciler[O, R, D, P]) setObserved(obj O, remote R) {
	obj.GetManagedStatus().ID = r.def.Row(remote).ID
	r.def.Kind.SetObserved(obj, remote)
}

// replace deletes a remote resource that cannot become what the spec asks for, so that the next reconcile
// creates the one that can. The create marker is renewed first: the new create is a new attempt.
func (r *Reconciler[O, R, D, P]) replace(ctx context.Context, obj O, base *O, hs External[O, R, D, P], id string,
	why string) (ctrl.Result, error) {
	if err := hs.Delete(ctx, id); err != nil && !IsRemote(err, RemoteNotFound) {
		return r.handleError(ctx, obj, "replace the remote "+r.def.Names.Remote, err)
	}
	remoteWrites.WithLabelValues(r.def.Names.Kind, "delete").Inc()
	logf.FromContext(ctx).Info("Replaced the remote resource", "id", id, "why", why)
	r.event(obj, corev1.EventTypeNormal, "Replacing", "Replace", fmt.Sprintf("Deleted hookstream %s %s to create it anew: %s.",
		r.def.Names.Remote, id, why))
	st := obj.GetManagedStatus()
	st.ID = ""
	// Recorded before the new create, so that a crash in between does not leave this object pointing at nothing.
	if err := r.patchStatus(ctx, *base, obj); err != nil {
		return r.handleError(ctx, obj, "record the replacement", err)
	}
	*base = r.snapshot(obj)
	if err := r.dropCreateMarker(ctx, obj, *base); err != nil {
		return r.handleError(ctx, obj, "renew the create marker", err)
	}
	msg := fmt.Sprintf("Replacing the remote %s: %s.", r.def.Names.Remote, why)
	SetRetrying(obj, v1.ReasonReplacing, msg)
	setCondition(obj, v1.ConditionReady, metav1.ConditionFalse, v1.ReasonReplacing, msg)
	return ctrl.Result{RequeueAfter: time.Millisecond}, nil
}

// refusedInputHash is the keyed hash of everything a create or update of obj would send, and of its generation:
// status.refusedInputHash holds it while hookstream, or the operator, refuses that request for good.
func refusedInputHash(obj Object, want Desired, apiKey string) string {
	request, err := json.Marshal(want.Request())
	if err != nil {
		// Nothing to compare with: every attempt is then a new one.
		return ""
	}
	return SecretsHash(append([]string{"generation=" + strconv.FormatInt(obj.GetGeneration(), 10), string(request)},
		want.SecretMaterial()...), apiKey)
}

// refusedBefore reports inputs that were refused for good, as status.refusedInputHash (or this process's own
// record of what it wrote there) says, with no check requested since.
func (r *Reconciler[O, R, D, P]) refusedBefore(obj O, inputHash string) bool {
	if inputHash == "" || checkRequested(obj) {
		return false
	}
	written, _ := r.refused.Load(obj.GetUID())
	return obj.GetManagedStatus().RefusedInputHash == inputHash || written == inputHash
}

// recordRefusal keeps, in status.refusedInputHash, the inputs of a reconcile that ended refused for good (a
// terminal error), and forgets them once a reconcile succeeds.
func (r *Reconciler[O, R, D, P]) recordRefusal(obj O, inputHash string, err error) {
	st := obj.GetManagedStatus()
	switch {
	case errors.Is(err, reconcile.TerminalError(nil)):
		st.RefusedInputHash = inputHash
		MarkCheckHandled(obj)
		r.refused.Store(obj.GetUID(), inputHash)
	case err == nil && !isStalled(obj):
		st.RefusedInputHash = ""
		r.refused.Delete(obj.GetUID())
	}
}

// checkRequested reports a hookstream.io/reconcile-requested-at value that was not handled yet.
func checkRequested(obj Object) bool {
	return obj.GetAnnotations()[v1.AnnotationReconcileRequestedAt] != obj.GetManagedStatus().LastHandledReconcileAt
}

// isPeriodicCheck reports a reconcile that nothing but time asked for: the generation, the Secrets and the
// requested-check annotation were all handled already, and the last outcome was Ready.
func isPeriodicCheck(obj Object, secretsHash string) bool {
	st := obj.GetManagedStatus()
	ready := meta.FindStatusCondition(st.Conditions, v1.ConditionReady)
	return st.ID != "" && ready != nil && ready.Status == metav1.ConditionTrue &&
		st.ObservedGeneration == obj.GetGeneration() &&
		st.AppliedSecretsHash == secretsHash && !checkRequested(obj)
}

// firstSight reports whether this process sees the object for the first time.
func (r *Reconciler[O, R, D, P]) firstSight(obj O) bool {
	_, seen := r.seen.LoadOrStore(obj.GetUID(), struct{}{})
	return !seen
}

// checkResult requeues for a periodic check, behind every change a user makes.
func (r *Reconciler[O, R, D, P]) checkResult(after time.Duration) ctrl.Result {
	return ctrl.Result{RequeueAfter: after, Priority: ptr.To(handler.LowPriority)}
}

func (r *Reconciler[O, R, D, P]) checkAfter() time.Duration {
	return wait.Jitter(r.opts.DriftInterval, 0.1)
}

// findRemote returns the remote resource of obj, found false when there is none (see LocateRemote). Periodic
// checks read the recorded id from the key's list snapshot.
func (r *Reconciler[O, R, D, P]) findRemote(ctx context.Context, obj O, apiKey string, hs External[O, R, D, P],
	periodic bool) (RemoteLookup[R], error) {
	get := hs.Observe
	if periodic && r.opts.Observation != ObserveByGet {
		get = func(ctx context.Context, id string) (R, error) { return r.snapshots.get(ctx, apiKey, hs, id) }
	}
	lookup, err := LocateRemote(ctx, obj, r.def.Names.Remote, r.def.Row, get, hs.FindByKey)
	if id := lookup.GoneID; id != "" {
		r.snapshots.forget(apiKey, id)
		logf.FromContext(ctx).Info("Remote resource is gone", "id", id)
		r.event(obj, corev1.EventTypeWarning, "RemoteDeleted", "Observe",
			fmt.Sprintf("%s %s was deleted outside the operator.", capitalise(r.def.Names.Remote), id))
	}
	if err != nil {
		return RemoteLookup[R]{}, err
	}
	if lookup.OwnCreate {
		row := r.def.Row(lookup.Remote)
		logf.FromContext(ctx).Info("Found the remote resource of an unrecorded create", "id", row.ID, "key", row.Key)
		r.event(obj, corev1.EventTypeNormal, "Adopted", "Adopt", fmt.Sprintf("Found hookstream %s %s (%s), created by an earlier "+
			"attempt whose result was not recorded; using it instead of creating another.", r.def.Names.Remote, row.ID, row.Key))
	}
	return lookup, nil
}

// createRequestedAt returns when the operator first tried to create the remote resource, from the marker
// annotation; nil when it never did.
func createRequestedAt(obj Object) *time.Time {
	v, ok := obj.GetAnnotations()[v1.AnnotationCreateRequested]
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

// adoptOwnCreate records, for a remote resource an earlier unrecorded create of this object made, that it holds the
// secret values that create sent: they are not sent again unless they changed since.
func adoptOwnCreate(obj Object) {
	if hash := obj.GetAnnotations()[v1.AnnotationCreateSecretsHash]; hash != "" {
		obj.GetManagedStatus().AppliedSecretsHash = hash
	}
}

// markerClockSkew is how far hookstream's clock may be ahead of the manager's when telling a remote resource
// created by the marked attempt from one that existed before it.
const markerClockSkew = 2 * time.Minute

// createdByMarkedAttempt reports whether a remote row may have been created by the attempt the marker records,
// rather than having existed before it (someone else's with the same natural key).
func createdByMarkedAttempt(obj Object, row Row) bool {
	at := createRequestedAt(obj)
	return at != nil && (at.IsZero() || !row.CreatedAt.Before(at.Add(-markerClockSkew)))
}

// ensureFinalizer adds the finalizer and, before a create, the create-requested marker, in one metadata patch with
// optimistic concurrency: of two writers that raced, one fails here instead of both creating. It reports whether
// it set the marker, that is whether the coming create is the first attempt.
func (r *Reconciler[O, R, D, P]) ensureFinalizer(ctx context.Context, obj, base O, p Plan[R, P],
	f Facts[R, D]) (markedNow bool, err error) {
	if !p.Has(StepFinalizer) {
		return false, nil
	}
	creating := p.Action == PlanCreate
	key := ""
	if creating && r.def.RecordedKey != nil {
		key = r.def.RecordedKey(f.Want)
	}
	secretsHash := f.SecretsHash
	needMarker := creating && createRequestedAt(obj) == nil
	// An earlier attempt that created nothing (its key was just looked up) may have recorded another key: a
	// Connection renamed or re-pointed since. The key recorded must be the one the coming create sends, or a lookup
	// after a crash between this POST and the status write would miss what it made.
	needKey := creating && key != "" && obj.GetAnnotations()[v1.AnnotationCreateKey] != key
	if controllerutil.ContainsFinalizer(obj, v1.Finalizer) && !needMarker && !needKey {
		return false, nil
	}
	err = r.patchMetadata(ctx, obj, base, "add the finalizer", true, func(o O) {
		controllerutil.AddFinalizer(o, v1.Finalizer)
		if needMarker {
			metav1.SetMetaDataAnnotation(objectMeta(o), v1.AnnotationCreateRequested, time.Now().UTC().Format(time.RFC3339))
			if secretsHash != "" {
				metav1.SetMetaDataAnnotation(objectMeta(o), v1.AnnotationCreateSecretsHash, secretsHash)
			}
		}
		if needMarker || needKey {
			metav1.SetMetaDataAnnotation(objectMeta(o), v1.AnnotationCreateKey, key)
		}
	})
	return needMarker && err == nil, err
}

// patchMetadata applies change to a copy of the object and patches the metadata it changed. The stored
// metadata the patch answers with goes into obj and base alike, so that obj keeps the status being built in
// memory and the final status patch, computed from base, holds the status alone.
func (r *Reconciler[O, R, D, P]) patchMetadata(ctx context.Context, obj, base O, what string, optimistic bool, change func(O)) error {
	patched := r.snapshot(obj)
	change(patched)
	var opts []client.MergeFromOption
	if optimistic {
		opts = append(opts, client.MergeFromWithOptimisticLock{})
	}
	if err := r.client.Patch(ctx, patched, client.MergeFromWithOptions(obj, opts...)); err != nil {
		return kubeErr(what, err)
	}
	stored := objectMeta(patched)
	*objectMeta(obj) = *stored.DeepCopy()
	*objectMeta(base) = *stored.DeepCopy()
	return nil
}

// objectMeta is the metadata of a kind's object: every kind embeds metav1.ObjectMeta.
func objectMeta(obj client.Object) *metav1.ObjectMeta {
	return obj.(metav1.ObjectMetaAccessor).GetObjectMeta().(*metav1.ObjectMeta)
}

// dropCreateMarker removes the create-requested marker once the natural key is known to belong to someone else,
// so that a later reconcile does not take that remote resource for the one it tried to create.
func (r *Reconciler[O, R, D, P]) dropCreateMarker(ctx context.Context, obj, base O) error {
	return r.patchMetadata(ctx, obj, base, "remove the create marker", false, func(o O) {
		delete(objectMeta(o).Annotations, v1.AnnotationCreateRequested)
		delete(objectMeta(o).Annotations, v1.AnnotationCreateSecretsHash)
		delete(objectMeta(o).Annotations, v1.AnnotationCreateKey)
	})
}

// recordUpdate reports a PATCH: an update when the spec or a Secret changed, else a correction of drift.
func (r *Reconciler[O, R, D, P]) recordUpdate(ctx context.Context, obj O, diffs []FieldDiff, fields []string, specChanged bool) {
	remoteWrites.WithLabelValues(r.def.Names.Kind, "update").Inc()
	if specChanged {
		logf.FromContext(ctx).V(1).Info("Updated remote resource", "fields", fields)
		r.event(obj, corev1.EventTypeNormal, "Updated", "Update", fmt.Sprintf("Updated %s.", strings.Join(fields, ", ")))
		return
	}
	for _, f := range fields {
		driftCorrections.WithLabelValues(r.def.Names.Kind, f).Inc()
	}
	SetDrift(obj, diffs)
	logf.FromContext(ctx).Info("Reverted changes made outside the operator", "fields", fields)
	r.event(obj, corev1.EventTypeNormal, "DriftCorrected", "Update", fmt.Sprintf("Reverted %s, changed outside the operator.", strings.Join(fields, ", ")))
}

func observeOnly(obj Object) bool {
	return obj.GetManagedSpec().ManagementPolicy == v1.ManagementObserve
}

func adoptIDNote(obj Object) string {
	if id := obj.GetManagedSpec().AdoptID; id != "" {
		return fmt.Sprintf(" (spec.adoptID %q)", id)
	}
	return ""
}

// reconcileDelete deletes the remote resource, as deletionPolicy allows, and releases the finalizer.
func (r *Reconciler[O, R, D, P]) reconcileDelete(ctx context.Context, obj O) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(obj, v1.Finalizer) {
		return ctrl.Result{}, nil
	}
	spec, st := obj.GetManagedSpec(), obj.GetManagedStatus()
	keepRemote := spec.DeletionPolicy == v1.DeletionOrphan || observeOnly(obj)
	switch {
	case st.ID == "":
		// Nothing was recorded. A create that may have reached hookstream is found by its natural key.
		if createRequestedAt(obj) != nil && !keepRemote {
			return r.deleteUnrecorded(ctx, obj)
		}
	case keepRemote:
		logf.FromContext(ctx).Info("Leaving the remote resource in hookstream", "id", st.ID)
		r.event(obj, corev1.EventTypeNormal, "Orphaned", "Delete", fmt.Sprintf("Left hookstream %s %s in place (deletionPolicy %s, managementPolicy %s).",
			r.def.Names.Remote, st.ID, spec.DeletionPolicy, spec.ManagementPolicy))
	default:
		base := r.snapshot(obj)
		result, err := r.deleteRemote(ctx, obj, st.ID)
		if err != nil || !result.IsZero() {
			return r.finish(ctx, base, obj, result, err)
		}
	}
	return r.releaseFinalizer(ctx, obj)
}

// deleteUnrecorded deletes a remote resource whose create was attempted but never recorded, if hookstream has it
// and it was not there before the attempt.
func (r *Reconciler[O, R, D, P]) deleteUnrecorded(ctx context.Context, obj O) (ctrl.Result, error) {
	base := r.snapshot(obj)
	apiKey, err := r.creds.apiKey(ctx, obj, true)
	if err != nil {
		return r.deleteFailed(ctx, base, obj, err)
	}
	hs, err := r.connect(obj, apiKey)
	if err != nil {
		return r.deleteFailed(ctx, base, obj, err)
	}
	remote, found, err := hs.FindByKey(ctx, obj)
	if err != nil {
		return r.deleteFailed(ctx, base, obj, err)
	}
	if found && createdByMarkedAttempt(obj, r.def.Row(remote)) {
		if result, err := r.deleteRemote(ctx, obj, r.def.Row(remote).ID); err != nil || !result.IsZero() {
			return r.finish(ctx, base, obj, result, err)
		}
	}
	return r.releaseFinalizer(ctx, obj)
}

func (r *Reconciler[O, R, D, P]) releaseFinalizer(ctx context.Context, obj O) (ctrl.Result, error) {
	base := r.snapshot(obj)
	if p := r.def.Publisher; p != nil {
		// Owner references alone are not enough: not every cluster runs a garbage collector.
		if err := r.publishErr(p.Unpublish(ctx, obj)); err != nil {
			return r.deleteFailed(ctx, base, obj, err)
		}
	}
	err := r.patchMetadata(ctx, obj, base, "remove the finalizer", true, func(o O) {
		controllerutil.RemoveFinalizer(o, v1.Finalizer)
	})
	if err == nil || apierrors.IsNotFound(err) {
		r.forget(client.ObjectKeyFromObject(obj))
		r.refused.Delete(obj.GetUID())
		return ctrl.Result{}, nil
	}
	return r.deleteFailed(ctx, base, obj, err)
}

// deleteRemote deletes the remote resource; one already gone counts as deleted.
func (r *Reconciler[O, R, D, P]) deleteRemote(ctx context.Context, obj O, id string) (ctrl.Result, error) {
	apiKey, err := r.creds.apiKey(ctx, obj, true)
	if err != nil {
		return r.deleteOutcome(ctx, obj, err)
	}
	hs, err := r.connect(obj, apiKey)
	if err != nil {
		return r.deleteOutcome(ctx, obj, err)
	}
	err = hs.Delete(ctx, id)
	if IsRemote(err, RemoteConflict) {
		err = r.inUse(ctx, obj, err)
	}
	if err != nil && !IsRemote(err, RemoteNotFound) {
		return r.deleteOutcome(ctx, obj, err)
	}
	if err == nil {
		remoteWrites.WithLabelValues(r.def.Names.Kind, "delete").Inc()
		logf.FromContext(ctx).Info("Deleted remote resource", "id", id)
		r.event(obj, corev1.EventTypeNormal, "Deleted", "Delete", fmt.Sprintf("Deleted hookstream %s %s.", r.def.Names.Remote, id))
	}
	return ctrl.Result{}, nil
}

// inUse explains hookstream's refusal to delete a remote resource that others still reference, naming the objects
// of the cluster that do.
func (r *Reconciler[O, R, D, P]) inUse(ctx context.Context, obj O, err error) error {
	used := &errInUse{remote: r.def.Names.Remote, err: err}
	if r.def.Referrers != nil {
		referrers, lerr := r.def.Referrers(ctx, obj)
		if lerr != nil {
			return kubeErr("list the objects that reference it", lerr)
		}
		used.referrers = referrers
	}
	return used
}

// deleteOutcome records a failed deletion: the failure's conditions, then Ready says the deletion waits.
func (r *Reconciler[O, R, D, P]) deleteOutcome(ctx context.Context, obj O, err error) (ctrl.Result, error) {
	result, herr := r.handleError(ctx, obj, "delete the remote "+r.def.Names.Remote, err)
	SetDeleting(obj, r.def.Names)
	return result, herr
}

// deleteFailed records a failed deletion step and writes the status.
func (r *Reconciler[O, R, D, P]) deleteFailed(ctx context.Context, base, obj O, err error) (ctrl.Result, error) {
	result, herr := r.deleteOutcome(ctx, obj, err)
	return r.finish(ctx, base, obj, result, herr)
}

// patchStatus writes the status if, and only if, it changed since base. base carries the same metadata as obj
// (every metadata write updates both) and the spec is never written, so the objects differ in status alone.
func (r *Reconciler[O, R, D, P]) patchStatus(ctx context.Context, base, obj O) error {
	if equality.Semantic.DeepEqual(base, obj) {
		return nil
	}
	return kubeErr("write the status", r.client.Status().Patch(ctx, obj, client.MergeFrom(base)))
}

// handleError turns a failure into conditions, an event and a reconcile result (see classify).
func (r *Reconciler[O, R, D, P]) handleError(ctx context.Context, obj O, action string, err error) (ctrl.Result, error) {
	o := classify(err, action, r.creds.secretName(obj), r.checkAfter())
	if o.quiet {
		logf.FromContext(ctx).V(1).Info("Retrying on a newer version of the object", "action", action, "reason", o.reason)
		return o.result, o.err
	}
	reconcileFailures.WithLabelValues(r.def.Names.Kind, o.reason).Inc()
	// One event per distinct cause: a stall that only repeats the one the object already shows says nothing new.
	repeated := o.stalled && isStalledBy(obj, o.reason, o.message)
	switch {
	case o.stalled:
		SetStalled(obj, o.reason, o.message)
	default:
		SetRetrying(obj, o.reason, o.message)
		if o.notReady {
			setCondition(obj, v1.ConditionReady, metav1.ConditionFalse, o.reason, o.message)
		}
	}
	switch {
	case o.noEvent || repeated:
	case o.normal:
		r.event(obj, corev1.EventTypeNormal, o.reason, action, o.message)
	default:
		r.event(obj, corev1.EventTypeWarning, o.reason, action, o.message)
	}
	return o.result, o.err
}

func (r *Reconciler[O, R, D, P]) event(obj O, eventType, reason, action, note string) {
	if r.recorder != nil {
		r.recorder.Eventf(obj, nil, eventType, reason, action, "%s", note)
	}
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
