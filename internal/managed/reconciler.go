// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package managed

import (
	"cmp"
	"context"
	"fmt"
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
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
)

// Options configure a Reconciler.
type Options struct {
	// DefaultCredentialsSecret is the credentials Secret of objects without spec.credentialsRef.
	DefaultCredentialsSecret string
	// DriftInterval is how often an object is compared with hookstream when nothing else triggers it, unless its
	// hookstream.io/drift-interval annotation says otherwise.
	DriftInterval time.Duration
	// Observation is how periodic checks read hookstream: ObserveByList (default) or ObserveByGet.
	Observation string
	// StatusRefreshInterval is how often the counters of every object's remote row are read again, with one list
	// per API key, to refresh the status of the objects whose row changed; 0 leaves it to the drift checks.
	StatusRefreshInterval time.Duration
	// Shard is the label selector the manager's cache of the managed kinds is restricted to; nil for none. A
	// referenced object the cache does not hold may then exist outside the shard.
	Shard labels.Selector
	// CreateSettleTime is how long after a create was requested its outcome is certain: the timeout of one
	// hookstream call and a margin for hookstream to finish a request whose client went away. A deletion that finds
	// nothing by natural key while the recorded create is younger waits until then and looks again; 0 does not wait.
	CreateSettleTime time.Duration
	// SendableSecrets, when set, is the label selector every Secret a spec references (credentials aside) must
	// match for its values to be sent (--secret-reference-label).
	SendableSecrets labels.Selector
	// Calls, when set, tells which API key's calls failed in a reconcile, so that the objects waiting on their
	// backoff for a key are retried at once when it recovers (recovery.go); nil leaves them to their backoff.
	Calls Calls
	// ProbeInterval is how long a key that is down goes without a call before the oldest object waiting for it
	// tries it.
	ProbeInterval time.Duration
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
		snapshots: newSnapshots(def.Row),
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

// refs reads what obj's spec references: Secrets and ConfigMaps of its namespace only, objects of another
// namespace where a grant allows it; apiKey is obj's own.
func (r *Reconciler[O, R, D, P]) refs(ctx context.Context, obj O, apiKey string) Refs {
	return Refs{
		Secret:    r.creds.resolver(ctx, obj.GetNamespace()),
		ConfigMap: configMapResolver(ctx, r.api, r.def.Names.Kind, obj.GetNamespace()),
		Object: func(into client.Object, namespace, name string) error {
			err := GetReferenced(ctx, r.client, r.def.Names.Kind, obj.GetNamespace(), namespace, name, into)
			switch {
			case IsNotPermitted(err):
				return err
			case apierrors.IsNotFound(err) && r.opts.Shard != nil:
				key := types.NamespacedName{Namespace: cmp.Or(namespace, obj.GetNamespace()), Name: name}
				return r.outsideShard(ctx, key, into, err)
			}
			return kubeErr("read "+cmp.Or(namespace, obj.GetNamespace())+"/"+name, err)
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

// checkAfter is when obj is checked next, its interval jittered by 10%; 0 for never.
func (r *Reconciler[O, R, D, P]) checkAfter(obj O) time.Duration {
	return wait.Jitter(r.interval(obj), 0.1)
}

// MinDriftInterval is the shortest interval the hookstream.io/drift-interval annotation takes, besides "0".
const MinDriftInterval = 10 * time.Second

// driftInterval is how often obj is compared with hookstream: its hookstream.io/drift-interval annotation, else
// Options.DriftInterval; 0 is never. An annotation it cannot take is a final StalledError.
func (r *Reconciler[O, R, D, P]) driftInterval(obj Object) (time.Duration, error) {
	value, set := obj.GetAnnotations()[v1.AnnotationDriftInterval]
	if !set {
		return r.opts.DriftInterval, nil
	}
	return ParseDriftInterval(value)
}

// interval is obj's drift interval, Options.DriftInterval when its annotation is invalid (the reconcile says so).
func (r *Reconciler[O, R, D, P]) interval(obj Object) time.Duration {
	d, err := r.driftInterval(obj)
	if err != nil {
		return r.opts.DriftInterval
	}
	return d
}

// ParseDriftInterval reads a hookstream.io/drift-interval value: "0" (never) or a Go duration of at least
// MinDriftInterval.
func ParseDriftInterval(value string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(value))
	switch {
	case err != nil:
		return 0, Refuse(v1.ReasonInvalidAnnotation, "%q is not a duration: set a Go duration such as \"90s\" or "+
			"\"1h\", \"0\" to never check, or remove the annotation for the manager's --drift-interval", value)
	case d != 0 && d < MinDriftInterval:
		return 0, Refuse(v1.ReasonInvalidAnnotation, "%q is shorter than the shortest interval taken: set at least "+
			"%s, or \"0\" to never check", value, MinDriftInterval)
	}
	return d, nil
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

func observeOnly(obj Object) bool {
	return obj.GetManagedSpec().ManagementPolicy == v1.ManagementObserve
}

func adoptIDNote(obj Object) string {
	if id := obj.GetManagedSpec().AdoptID; id != "" {
		return fmt.Sprintf(" (spec.adoptID %q)", id)
	}
	return ""
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
	o := classify(err, action, r.creds.secretName(obj), r.checkAfter(obj))
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
		// A stall concludes: a requested check that ends in one has been handled (a retried failure has not).
		MarkCheckHandled(obj)
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
