// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/internal/managed"
)

var sourceTableSecretsHash = managed.SecretsHash([]string{fieldVerificationSecret + "=" + sourceTableSecret}, testAPIKey)

const (
	sourceTableConfigMap = "orders-ingest"
	sourceTableSecret    = "whsec-orders-signing-secret"
	sourceTableBaseURL   = "https://hooks.example.com/v1"
)

func sourceTableObject(change func(*v1.Source)) *v1.Source {
	s := &v1.Source{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "orders", Generation: 1, UID: "uid-orders-source"},
		Spec: v1.SourceSpec{
			Slug: tableSlug, Template: "github", IngestURLConfigMap: sourceTableConfigMap,
			Verification: &v1.SourceVerification{SecretRef: v1.SecretKeySelector{Name: "github-signing", Key: "secret"}},
		},
	}
	if change != nil {
		change(s)
	}
	return s
}

// sourceTableRow is what hookstream holds for the table's Source, created at created.
func sourceTableRow(created time.Time) *hookstream.Source {
	return &hookstream.Source{
		ID: tableID, Name: "orders", Slug: tableSlug, Type: hookstream.SourceTypeHTTP, Template: new("github"),
		VerificationEnabled: true, VerificationType: new(hookstream.VerificationHMACSHA256),
		VerificationHeader: new("X-Hub-Signature-256"), VerificationSecret: new(maskSecret(sourceTableSecret)),
		Status: hookstream.StatusActive, CreatedAt: created, UpdatedAt: created,
	}
}

func signingSecret() *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "github-signing"},
		Data:       map[string][]byte{"secret": []byte(sourceTableSecret)},
	}
}

// ingestConfigMap is a ConfigMap in the table's namespace, controlled by owner when owner is not nil.
func ingestConfigMap(name string, owner *v1.Source) *corev1.ConfigMap {
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: name},
		Data:       map[string]string{"app": "someone else's"},
	}
	if owner != nil {
		cm.OwnerReferences = []metav1.OwnerReference{{
			APIVersion: v1.GroupVersion.String(), Kind: "Source", Name: owner.Name, UID: owner.UID, Controller: new(true),
		}}
	}
	return cm
}

func getConfigMap(t *testing.T, c client.Client, name string) (*corev1.ConfigMap, bool) {
	t.Helper()
	cm := &corev1.ConfigMap{}
	err := c.Get(context.Background(), types.NamespacedName{Namespace: "team", Name: name}, cm)
	if apierrors.IsNotFound(err) {
		return nil, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return cm, true
}

func wantConfigMapGone(name string) func(*testing.T, client.Client) {
	return func(t *testing.T, c client.Client) {
		if _, found := getConfigMap(t, c, name); found {
			t.Errorf("ConfigMap %s is still there", name)
		}
	}
}

func wantConfigMapUntouched(name string) func(*testing.T, client.Client) {
	return func(t *testing.T, c client.Client) {
		cm, found := getConfigMap(t, c, name)
		if !found || cm.Data["app"] != "someone else's" || len(cm.OwnerReferences) != 0 {
			t.Errorf("someone else's ConfigMap %s was changed: %+v", name, cm)
		}
	}
}

func newSourceKind(c client.Client, connect func(string) (sourceExternal, error)) *managed.Definition[*v1.Source,
	*hookstream.Source, *desiredSource, *hookstream.SourceUpdateRequest] {
	def := sourceDefinition(testKindEnv(c), Settings{Client: c, Clients: noClients, HookstreamURL: sourceTableBaseURL})
	def.Kind.(*sourceKind).connect = connect
	return def
}

type sourceCase = branchCase[*v1.Source, *hookstream.Source, *desiredSource, *hookstream.SourceUpdateRequest]

// TestSourceReconcileBranches covers what the Source kind adds to the machinery: the ingest URL and its
// ConfigMap, the signing secret, the schema ConfigMap and the create-only fields.
func TestSourceReconcileBranches(t *testing.T) {
	now := time.Now()
	owner := sourceTableObject(nil)
	withStatusID := func(s *v1.Source) {
		s.Finalizers = []string{v1.Finalizer}
		s.Status.ID = tableID
		s.Status.IngestURLConfigMap = sourceTableConfigMap
		s.Status.AppliedSecretsHash = sourceTableSecretsHash
	}
	deleting := func(s *v1.Source) {
		withStatusID(s)
		s.DeletionTimestamp = &metav1.Time{Time: now}
	}
	getRow := func(string) (*hookstream.Source, error) { return sourceTableRow(now), nil }
	wantURL := sourceTableBaseURL + "/ingest/" + tableID

	tests := map[string]sourceCase{
		"create publishes the ingest URL": {
			fake:  fakeSources{create: func(*desiredSource) (*hookstream.Source, error) { return sourceTableRow(now), nil }},
			calls: []string{"Create " + tableSlug}, ready: "True", reason: v1.ReasonAvailable, events: []string{"Normal Created"},
			check: func(t *testing.T, s *v1.Source) {
				if s.Status.IngestURL != wantURL || s.Status.IngestURLConfigMap != sourceTableConfigMap || s.Status.AppliedSecretsHash == "" {
					t.Errorf("status: ingestURL %q, configMap %q, secrets hash %q", s.Status.IngestURL, s.Status.IngestURLConfigMap,
						s.Status.AppliedSecretsHash)
				}
				if s.Annotations[v1.AnnotationCreateSecretsHash] != s.Status.AppliedSecretsHash {
					t.Errorf("the create marker's secrets hash %q is not the applied one %q", s.Annotations[v1.AnnotationCreateSecretsHash],
						s.Status.AppliedSecretsHash)
				}
				if s.Status.VerificationType != hookstream.VerificationHMACSHA256 || s.Status.Template != "github" {
					t.Errorf("status: verificationType %q, template %q", s.Status.VerificationType, s.Status.Template)
				}
			},
			inCluster: func(t *testing.T, c client.Client) {
				cm, found := getConfigMap(t, c, sourceTableConfigMap)
				if !found {
					t.Fatal("no ingest URL ConfigMap")
				}
				if cm.Data[ConfigMapKeyIngestURL] != wantURL || cm.Data[ConfigMapKeySourceID] != tableID {
					t.Errorf("ConfigMap data = %v", cm.Data)
				}
				if ref := metav1.GetControllerOf(cm); ref == nil || ref.UID != owner.UID || ref.Kind != "Source" {
					t.Errorf("ConfigMap controller = %+v, want the Source", ref)
				}
			},
		},
		"unchanged: no write, the ConfigMap stays": {
			object: withStatusID,
			fake:   fakeSources{get: getRow},
			calls:  []string{"Get " + tableID}, ready: "True", reason: v1.ReasonAvailable,
			inCluster: func(t *testing.T, c client.Client) {
				if cm, found := getConfigMap(t, c, sourceTableConfigMap); !found || cm.Data[ConfigMapKeyIngestURL] != wantURL {
					t.Errorf("ConfigMap = %+v, want the ingest URL", cm)
				}
			},
		},
		"ConfigMap of that name is someone else's": {
			objects: []client.Object{ingestConfigMap(sourceTableConfigMap, nil)},
			fake:    fakeSources{create: func(*desiredSource) (*hookstream.Source, error) { return sourceTableRow(now), nil }},
			calls:   []string{"Create " + tableSlug}, ready: "False", reason: v1.ReasonConfigMapConflict,
			events:    []string{"Normal Created", "Warning ConfigMapConflict"},
			inCluster: wantConfigMapUntouched(sourceTableConfigMap),
			check: func(t *testing.T, s *v1.Source) {
				if s.Status.ID != tableID {
					t.Errorf("the created source's id was not kept: %q", s.Status.ID)
				}
				ready := meta.FindStatusCondition(s.Status.Conditions, v1.ConditionReady)
				if !strings.Contains(ready.Message, `"`+sourceTableConfigMap+`"`) || !strings.Contains(ready.Message, "spec.ingestURLConfigMap") {
					t.Errorf("Ready message %q should name the ConfigMap and the field to change", ready.Message)
				}
			},
		},
		"ConfigMap renamed: the old one goes": {
			object:  func(s *v1.Source) { withStatusID(s); s.Status.IngestURLConfigMap = "old-ingest" },
			objects: []client.Object{ingestConfigMap("old-ingest", owner)},
			fake:    fakeSources{get: getRow},
			calls:   []string{"Get " + tableID}, ready: "True", reason: v1.ReasonAvailable,
			inCluster: func(t *testing.T, c client.Client) {
				wantConfigMapGone("old-ingest")(t, c)
				if _, found := getConfigMap(t, c, sourceTableConfigMap); !found {
					t.Error("the new ConfigMap was not written")
				}
			},
		},
		"ConfigMap no longer asked for": {
			object:  func(s *v1.Source) { withStatusID(s); s.Spec.IngestURLConfigMap = "" },
			objects: []client.Object{ingestConfigMap(sourceTableConfigMap, owner)},
			fake:    fakeSources{get: getRow},
			calls:   []string{"Get " + tableID}, ready: "True", reason: v1.ReasonAvailable,
			inCluster: wantConfigMapGone(sourceTableConfigMap),
			check: func(t *testing.T, s *v1.Source) {
				if s.Status.IngestURLConfigMap != "" {
					t.Errorf("status.ingestURLConfigMap = %q, want empty", s.Status.IngestURLConfigMap)
				}
			},
		},
		"delete removes the ConfigMap without a garbage collector": {
			object:  deleting,
			objects: []client.Object{ingestConfigMap(sourceTableConfigMap, owner)},
			fake:    fakeSources{delete: func(string) error { return nil }},
			calls:   []string{"Delete " + tableID}, events: []string{"Normal Deleted"}, gone: true,
			inCluster: wantConfigMapGone(sourceTableConfigMap),
		},
		"orphan keeps the source but removes the ConfigMap": {
			object:  func(s *v1.Source) { deleting(s); s.Spec.DeletionPolicy = v1.DeletionOrphan },
			objects: []client.Object{ingestConfigMap(sourceTableConfigMap, owner)},
			events:  []string{"Normal Orphaned"}, gone: true,
			inCluster: wantConfigMapGone(sourceTableConfigMap),
		},
		"delete leaves someone else's ConfigMap": {
			object:  deleting,
			objects: []client.Object{ingestConfigMap(sourceTableConfigMap, nil)},
			fake:    fakeSources{delete: func(string) error { return nil }},
			calls:   []string{"Delete " + tableID}, events: []string{"Normal Deleted"}, gone: true,
			inCluster: wantConfigMapUntouched(sourceTableConfigMap),
		},
		"observe only: published, with a finalizer to unpublish": {
			object: func(s *v1.Source) { s.Spec.ManagementPolicy = v1.ManagementObserve },
			fake: fakeSources{findByKey: func(string) (*hookstream.Source, bool, error) {
				return sourceTableRow(now), true, nil
			}},
			calls: []string{"FindByKey " + tableSlug}, ready: "True", reason: v1.ReasonObserved,
			check: func(t *testing.T, s *v1.Source) {
				if !slices.Contains(s.Finalizers, v1.Finalizer) || s.Status.IngestURLConfigMap != sourceTableConfigMap {
					t.Errorf("finalizers %v, status.ingestURLConfigMap %q", s.Finalizers, s.Status.IngestURLConfigMap)
				}
			},
			inCluster: func(t *testing.T, c client.Client) {
				if _, found := getConfigMap(t, c, sourceTableConfigMap); !found {
					t.Error("no ingest URL ConfigMap")
				}
			},
		},
		"observe only, deleted: the remote stays, the ConfigMap goes": {
			object:  func(s *v1.Source) { deleting(s); s.Spec.ManagementPolicy = v1.ManagementObserve },
			objects: []client.Object{ingestConfigMap(sourceTableConfigMap, owner)},
			events:  []string{"Normal Orphaned"}, gone: true,
			inCluster: wantConfigMapGone(sourceTableConfigMap),
		},
		"deletion refused while a Connection uses it": {
			object: deleting,
			objects: []client.Object{&v1.Connection{
				ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "orders-to-billing"},
				Spec:       v1.ConnectionSpec{SourceRef: &v1.EndReference{Name: "orders"}, DestinationID: "d1"},
			}},
			fake:  fakeSources{delete: func(string) error { return apiError(409, "Cannot delete a source that has connections") }},
			calls: []string{"Delete " + tableID}, ready: "False", reason: v1.ReasonDeleting, events: []string{"Warning InUse"},
			check: func(t *testing.T, s *v1.Source) {
				synced := meta.FindStatusCondition(s.Status.Conditions, v1.ConditionSynced)
				if synced == nil || synced.Reason != v1.ReasonInUse || !strings.Contains(synced.Message, "Connection orders-to-billing") {
					t.Errorf("Synced = %+v, want InUse naming the Connection", synced)
				}
				if !slices.Contains(s.Finalizers, v1.Finalizer) {
					t.Error("the finalizer went while hookstream still has the source")
				}
			},
		},
		"unrecorded create found after a crash: the secret it sent is not sent again": {
			object: func(s *v1.Source) {
				s.Finalizers = []string{v1.Finalizer}
				s.Annotations = map[string]string{v1.AnnotationCreateRequested: now.UTC().Format(time.RFC3339),
					v1.AnnotationCreateSecretsHash: sourceTableSecretsHash}
			},
			fake:  fakeSources{findByKey: func(string) (*hookstream.Source, bool, error) { return sourceTableRow(now), true, nil }},
			calls: []string{"FindByKey " + tableSlug}, ready: "True", reason: v1.ReasonAvailable, events: []string{"Normal Adopted"},
			check: func(t *testing.T, s *v1.Source) {
				if s.Status.AppliedSecretsHash != sourceTableSecretsHash {
					t.Errorf("appliedSecretsHash = %q, want the one the create sent", s.Status.AppliedSecretsHash)
				}
			},
		},
		"unrecorded create found after a crash, the Secret rotated since": {
			object: func(s *v1.Source) {
				s.Finalizers = []string{v1.Finalizer}
				s.Annotations = map[string]string{v1.AnnotationCreateRequested: now.UTC().Format(time.RFC3339),
					v1.AnnotationCreateSecretsHash: "hmac-sha256:of-the-secret-before"}
			},
			fake: fakeSources{
				findByKey: func(string) (*hookstream.Source, bool, error) { return sourceTableRow(now), true, nil },
				update: func(string, *hookstream.SourceUpdateRequest) (*hookstream.Source, error) {
					return sourceTableRow(now), nil
				},
			},
			calls: []string{"FindByKey " + tableSlug, "Update " + tableID + " verification_secret"},
			ready: "True", reason: v1.ReasonAvailable, events: []string{"Normal Adopted", "Normal Updated"},
		},
		"rotated signing secret is sent again": {
			object: func(s *v1.Source) { withStatusID(s); s.Status.AppliedSecretsHash = "hmac-sha256:before-rotation" },
			fake: fakeSources{get: getRow, update: func(string, *hookstream.SourceUpdateRequest) (*hookstream.Source, error) {
				return sourceTableRow(now), nil
			}},
			calls: []string{"Get " + tableID, "Update " + tableID + " verification_secret"}, ready: "True", reason: v1.ReasonAvailable,
			events: []string{"Normal Updated"},
		},
		"adopted source has another template": {
			object: func(s *v1.Source) { s.Spec.AdoptID = tableID; s.Spec.Template = "stripe" },
			fake:   fakeSources{get: getRow},
			calls:  []string{"Get " + tableID}, ready: "False", reason: v1.ReasonTemplateMismatch, events: []string{"Warning TemplateMismatch"},
		},
		"signing Secret missing": {
			object: func(s *v1.Source) { s.Spec.Verification.SecretRef.Name = "missing" },
			ready:  "False", reason: v1.ReasonSecretNotFound, events: []string{"Warning SecretNotFound"},
		},
		"schema ConfigMap missing": {
			object: func(s *v1.Source) {
				s.Spec.SchemaValidation = &v1.SourceSchemaValidation{Action: "reject",
					SchemaConfigMapRef: &v1.ConfigMapKeySelector{Name: "orders-schema", Key: "schema.json"}}
			},
			ready: "False", reason: v1.ReasonConfigMapNotFound, events: []string{"Warning ConfigMapNotFound"},
		},
		"schema ConfigMap holds no JSON object": {
			object: func(s *v1.Source) {
				s.Spec.SchemaValidation = &v1.SourceSchemaValidation{Action: "reject",
					SchemaConfigMapRef: &v1.ConfigMapKeySelector{Name: "orders-schema", Key: "schema.json"}}
			},
			objects: []client.Object{&corev1.ConfigMap{
				ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "orders-schema"},
				Data:       map[string]string{"schema.json": `["not", "a", "schema"]`},
			}},
			ready: "False", reason: v1.ReasonInvalidSpec, events: []string{"Warning InvalidSpec"}, wantErr: true,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tc.objects = append(tc.objects, signingSecret())
			runBranch(t, tc, sourceTableObject(tc.object), newSourceKind)
		})
	}
}
