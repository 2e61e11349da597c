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
*/package controller

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/events"
	"k8s.io/klog/v2"
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

	if !d.DeletionTimestamp.IsZero() {
		return r.reconcileDelete(ctx, d)
	}

	if !controllerutil.ContainsFinalizer(d, v1.Finalizer) {
		base := d.DeepCopy()
		controllerutil.AddFinalizer(d, v1.Finalizer)
		if err := r.Patch(ctx, d, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
			return r.handleError(ctx, d, "add the finalizer", err)
		}
	}

	base := d.DeepCopy()
	settled := false
	defer func() {
		if settled {
			d.Status.ObservedGeneration = d.Generation
		}
		if err := r.patchStatus(ctx, base, d); err != nil && retErr == nil {
			result, retErr = ctrl.Result{}, err
		}
	}()
	result, err := r.reconcileNormal(ctx, d, base)
	// A result is settled for this generation when it succeeded or stalled: nothing more happens until a change.
	settled = err == nil || isStalled(d)
	return result, err
}

// reconcileNormal observes the remote destination and creates or updates it.
func (r *DestinationReconciler) reconcileNormal(ctx context.Context, d *v1.Destination, base *v1.Destination) (ctrl.Result, error) {
	log := logf.FromContext(ctx)
	if req := d.Annotations[v1.AnnotationReconcileRequestedAt]; req != "" {
		d.Status.LastHandledReconcileAt = req
	}

	apiKey, err := r.apiKey(ctx, d, false)
	if err != nil {
		return r.handleError(ctx, d, "read the credentials", err)
	}
	want, err := buildDesired(d, r.secretResolver(ctx, d.Namespace))
	if err != nil {
		return r.handleError(ctx, d, "read the referenced Secrets", err)
	}
	secretsHash := want.secretsHash(apiKey)
	hs, err := r.Clients(apiKey)
	if err != nil {
		return ctrl.Result{}, err
	}

	// Observe.
	var remote *hookstream.Destination
	if d.Status.ID != "" {
		remote, err = hs.GetDestination(ctx, d.Status.ID)
		switch {
		case hookstream.IsNotFound(err):
			log.Info("Remote destination is gone; creating it again", "id", d.Status.ID)
			r.warn(d, "RemoteDeleted", "Observe", fmt.Sprintf("Destination %s was deleted outside the operator; creating it again.", d.Status.ID))
			d.Status.ID = ""
			remote = nil
		case err != nil:
			return r.handleError(ctx, d, "read the remote destination", err)
		}
	}

	// Create.
	created := false
	if remote == nil {
		remote, err = hs.CreateDestination(ctx, &want.request)
		if err != nil {
			if hookstream.IsConflict(err) {
				msg := fmt.Sprintf("Slug %q is already used by another destination in the hookstream project. "+
					"Set spec.slug to a free value, or delete the other destination.", want.request.Slug)
				setStalled(d, v1.ReasonConflict, msg)
				r.warn(d, v1.ReasonConflict, "Create", msg)
				return ctrl.Result{RequeueAfter: credentialsRetryInterval}, nil
			}
			return r.handleError(ctx, d, "create the remote destination", err)
		}
		created = true
		remoteWrites.WithLabelValues("create").Inc()
		log.Info("Created remote destination", "id", remote.ID, "slug", remote.Slug)
		r.normal(d, "Created", "Create", fmt.Sprintf("Created hookstream destination %s (slug %s).", remote.ID, remote.Slug))
		setObserved(d, remote)
		d.Status.AppliedSecretsHash = secretsHash
		// Persist the id now: if anything below fails, the next reconcile must find this destination, not create
		// another one.
		if err := r.patchStatus(ctx, base, d); err != nil {
			return r.handleError(ctx, d, "record the new destination's id", err)
		}
		*base = *d.DeepCopy()
	}
	if hookstream.NormalizeType(remote.Type) != want.request.Type {
		return r.handleError(ctx, d, "converge", fmt.Errorf("%w: remote destination %s has type %q but the spec asks for %q; "+
			"the type cannot change: create a new Destination for the new type", errTypeMismatch, remote.ID, remote.Type, want.request.Type))
	}

	// Update.
	obs := compareDestination(want, remote, d.Status.AppliedSecretsHash != secretsHash)
	if !obs.upToDate() {
		fields := obs.fields()
		log.V(1).Info("Remote destination differs from the spec", "fields", fields)
		updated, err := hs.UpdateDestination(ctx, remote.ID, obs.patch)
		if err != nil {
			return r.handleError(ctx, d, "update the remote destination", err)
		}
		remote = updated
		remoteWrites.WithLabelValues("update").Inc()
		specChanged := created || d.Generation != d.Status.ObservedGeneration || d.Status.AppliedSecretsHash != secretsHash
		if specChanged {
			r.normal(d, "Updated", "Update", fmt.Sprintf("Updated %s.", strings.Join(fields, ", ")))
		} else {
			for _, f := range fields {
				driftCorrections.WithLabelValues(f).Inc()
			}
			log.Info("Reverted changes made outside the operator", "fields", fields)
			r.normal(d, "DriftCorrected", "Update", fmt.Sprintf("Reverted %s, changed outside the operator.", strings.Join(fields, ", ")))
		}
	}
	d.Status.AppliedSecretsHash = secretsHash
	setObserved(d, remote)
	setAvailable(d)
	return ctrl.Result{RequeueAfter: wait.Jitter(r.DriftInterval, 0.1)}, nil
}

// reconcileDelete deletes the remote destination and releases the finalizer.
func (r *DestinationReconciler) reconcileDelete(ctx context.Context, d *v1.Destination) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(d, v1.Finalizer) {
		return ctrl.Result{}, nil
	}
	if d.Status.ID != "" {
		base := d.DeepCopy()
		result, err := r.deleteRemote(ctx, d)
		if err != nil || !result.IsZero() {
			if perr := r.patchStatus(ctx, base, d); perr != nil && err == nil {
				err = perr
			}
			return result, err
		}
	}
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

func (r *DestinationReconciler) deleteRemote(ctx context.Context, d *v1.Destination) (ctrl.Result, error) {
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
	err = hs.DeleteDestination(ctx, d.Status.ID)
	if err != nil && !hookstream.IsNotFound(err) {
		result, herr := r.handleError(ctx, d, "delete the remote destination", err)
		setDeleting(d)
		return result, herr
	}
	if err == nil {
		remoteWrites.WithLabelValues("delete").Inc()
		logf.FromContext(ctx).Info("Deleted remote destination", "id", d.Status.ID)
		r.normal(d, "Deleted", "Delete", fmt.Sprintf("Deleted hookstream destination %s.", d.Status.ID))
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
	s := &corev1.Secret{}
	err := r.Get(ctx, key, s)
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
			s = &corev1.Secret{}
			if err := r.Get(ctx, types.NamespacedName{Namespace: namespace, Name: ref.Name}, s); err != nil {
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
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &v1.Destination{}, secretRefsIndex,
		func(o client.Object) []string { return secretRefs(o.(*v1.Destination), r.DefaultCredentialsSecret) }); err != nil {
		return err
	}
	deleting := predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
		return !e.ObjectNew.GetDeletionTimestamp().IsZero()
	}}
	return ctrl.NewControllerManagedBy(mgr).
		For(&v1.Destination{}, builder.WithPredicates(predicate.Or(
			predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}, deleting))).
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.destinationsForSecret)).
		WithOptions(controller.Options{MaxConcurrentReconciles: max(1, r.MaxConcurrentReconciles)}).
		Named("destination").
		Complete(r)
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
