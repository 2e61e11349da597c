// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"errors"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/internal/managed"
)

const (
	connectionTableName = "orders-to-billing"
	newSourceID         = "0000000000000000000000000000000a"
)

func connectionTableObject(change func(*v1.Connection)) *v1.Connection {
	c := &v1.Connection{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: connectionTableName, Generation: 1, UID: "uid-connection"},
		Spec: v1.ConnectionSpec{
			DisplayName: connectionTableName,
			SourceRef:   &v1.EndReference{Name: "orders"}, DestinationRef: &v1.EndReference{Name: "billing"},
		},
	}
	if change != nil {
		change(c)
	}
	return c
}

// connectionEndsInCluster are the Source and Destination the table's Connection references, with ids.
func connectionEndsInCluster(sourceID string) []client.Object {
	src := &v1.Source{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "orders"}}
	src.Status.ID = sourceID
	dst := &v1.Destination{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "billing"}}
	dst.Status.ID = testDestinationID
	return []client.Object{src, dst}
}

func connectionTableRow(created time.Time) *hookstream.Connection {
	return &hookstream.Connection{
		ID: tableID, SourceID: testSourceID, DestinationID: testDestinationID, Name: connectionTableName, Enabled: true,
		Status: "active", SourceName: new("orders"), DestinationName: new("billing"), CreatedAt: created, UpdatedAt: created,
	}
}

func newConnectionKind(c client.Client, connect func(string) (connectionExternal, error)) *managed.Definition[*v1.Connection,
	*hookstream.Connection, *desiredConnection, *hookstream.ConnectionUpdateRequest] {
	def := connectionDefinition(testKindEnv(c), Settings{Clients: noClients})
	def.Kind.(*connectionKind).connect = connect
	return def
}

type connectionCase = branchCase[*v1.Connection, *hookstream.Connection, *desiredConnection, *hookstream.ConnectionUpdateRequest]

// TestConnectionReconcileBranches covers what the Connection kind adds: references resolved to ids, waiting for
// them, replacing a connection whose ends changed, and the natural key without a slug.
func TestConnectionReconcileBranches(t *testing.T) {
	now := time.Now()
	withStatusID := func(c *v1.Connection) {
		c.Finalizers = []string{v1.Finalizer}
		c.Status.ID = tableID
	}
	// revoked: a Ready Connection whose Source is of another namespace, which no grant allows any more.
	revoked := func(c *v1.Connection) {
		withStatusID(c)
		c.Spec.SourceRef.Namespace = "platform"
		c.Status.ObservedGeneration = c.Generation
		c.Status.SourceID, c.Status.DestinationID, c.Status.Name, c.Status.State = testSourceID, testDestinationID,
			connectionTableName, "active"
		managed.SetAvailable(c, "connection")
	}
	tests := map[string]connectionCase{
		"create between the referenced ids": {
			objects: connectionEndsInCluster(testSourceID),
			fake: fakeConnections{create: func(want *desiredConnection) (*hookstream.Connection, error) {
				if want.request.SourceID != testSourceID || want.request.DestinationID != testDestinationID {
					t.Errorf("create between %s and %s", want.request.SourceID, want.request.DestinationID)
				}
				return connectionTableRow(now), nil
			}},
			calls: []string{"Create " + connectionTableName}, ready: "True", reason: v1.ReasonAvailable, events: []string{"Normal Created"},
			check: func(t *testing.T, c *v1.Connection) {
				if c.Status.SourceID != testSourceID || c.Status.DestinationID != testDestinationID || c.Status.State != "active" {
					t.Errorf("status = %+v", c.Status)
				}
			},
		},
		"waits for its Source": {
			objects: connectionEndsInCluster("")[1:],
			ready:   "False", reason: v1.ReasonWaitingForSource, events: []string{"Normal WaitingForSource"},
			check: func(t *testing.T, c *v1.Connection) {
				if meta.IsStatusConditionTrue(c.Status.Conditions, v1.ConditionStalled) {
					t.Error("waiting for a reference is not stalled")
				}
				if c.Status.ObservedGeneration == c.Generation {
					t.Error("a waiting Connection has not settled its generation")
				}
			},
		},
		"waits for the Source's id": {
			objects: connectionEndsInCluster(""),
			ready:   "False", reason: v1.ReasonWaitingForSource, events: []string{"Normal WaitingForSource"},
		},
		"source recreated: the connection is replaced": {
			object:  withStatusID,
			objects: connectionEndsInCluster(newSourceID),
			fake: fakeConnections{
				get:    func(string) (*hookstream.Connection, error) { return connectionTableRow(now), nil },
				delete: func(string) error { return nil },
			},
			calls: []string{"Get " + tableID, "Delete " + tableID}, ready: "False", reason: v1.ReasonReplacing,
			events: []string{"Normal Replacing"},
			check: func(t *testing.T, c *v1.Connection) {
				if c.Status.ID != "" {
					t.Errorf("status.id = %q after the replaced connection was deleted", c.Status.ID)
				}
			},
		},
		"a key recorded by an attempt that created nothing is replaced before the next create": func() connectionCase {
			var sent string
			return connectionCase{
				object: func(c *v1.Connection) {
					c.Finalizers = []string{v1.Finalizer}
					c.Annotations = map[string]string{v1.AnnotationCreateRequested: now.UTC().Format(time.RFC3339),
						v1.AnnotationCreateKey: (&desiredConnection{request: hookstream.ConnectionCreateRequest{
							SourceID: testSourceID, DestinationID: testDestinationID, Name: "before the rename"}}).RecordedKey()}
				},
				objects: connectionEndsInCluster(testSourceID),
				fake: fakeConnections{
					findByKey: func(string) (*hookstream.Connection, bool, error) { return nil, false, nil },
					create: func(want *desiredConnection) (*hookstream.Connection, error) {
						sent = want.RecordedKey()
						return connectionTableRow(now), nil
					},
				},
				calls: []string{"FindByKey " + connectionTableName, "Create " + connectionTableName}, ready: "True",
				reason: v1.ReasonAvailable, events: []string{"Normal Created"},
				check: func(t *testing.T, c *v1.Connection) {
					if got := c.Annotations[v1.AnnotationCreateKey]; sent == "" || got != sent {
						t.Errorf("recorded create key = %q, want the one the create sent, %q", got, sent)
					}
				},
			}
		}(),
		"found after an unrecorded create: its id is recorded before the PATCH that renames it": {
			// The rename changes what the recorded key matches: were the PATCH answered but its status lost, only
			// the id would still find the connection, for the next reconcile and for a deletion alike.
			object: func(c *v1.Connection) {
				c.Finalizers = []string{v1.Finalizer}
				c.Annotations = map[string]string{v1.AnnotationCreateRequested: now.UTC().Format(time.RFC3339)}
				c.Spec.DisplayName = "renamed before the create was recorded"
			},
			objects: connectionEndsInCluster(testSourceID),
			fake: fakeConnections{
				findByKey: func(string) (*hookstream.Connection, bool, error) { return connectionTableRow(now), true, nil },
				update: func(string, *hookstream.ConnectionUpdateRequest) (*hookstream.Connection, error) {
					return nil, apiError(502, "Bad Gateway")
				},
			},
			calls: []string{"FindByKey renamed before the create was recorded", "Update " + tableID + " name"},
			ready: "False", reason: v1.ReasonAPIUnavailable,
			events: []string{"Normal Adopted", "Warning APIUnavailable"}, wantErr: true,
			check: func(t *testing.T, c *v1.Connection) {
				if c.Status.ID != tableID {
					t.Errorf("status.id = %q after a failed PATCH of the connection found by its key, want %s", c.Status.ID, tableID)
				}
			},
		},
		"two remote connections with the key": {
			object: func(c *v1.Connection) {
				c.Finalizers = []string{v1.Finalizer}
				c.Annotations = map[string]string{v1.AnnotationCreateRequested: now.UTC().Format(time.RFC3339)}
			},
			objects: connectionEndsInCluster(testSourceID),
			fake: fakeConnections{findByKey: func(string) (*hookstream.Connection, bool, error) {
				return nil, false, managed.Stall(v1.ReasonAmbiguousRemote, "2 remote connections have the key")
			}},
			calls: []string{"FindByKey " + connectionTableName}, ready: "False", reason: v1.ReasonAmbiguousRemote,
			events: []string{"Warning AmbiguousRemote"},
		},
		"grant revoked: paused, the pause recorded before the PATCH": {
			object: revoked,
			fake: fakeConnections{
				get: func(string) (*hookstream.Connection, error) { return connectionTableRow(now), nil },
				update: func(_ string, p *hookstream.ConnectionUpdateRequest) (*hookstream.Connection, error) {
					row := connectionTableRow(now)
					row.Status, _ = p.Status.Value()
					return row, nil
				},
			},
			// The status write after the PATCH fails: the one before it has the pause.
			faults: branchFaults{statusErr: errors.New("etcdserver: request timed out"), statusWritesOK: 1},
			calls:  []string{"Get " + tableID, "Update " + tableID + " enabled,status"}, ready: "True", reason: v1.ReasonAvailable,
			events: []string{"Normal DriftCorrected", "Warning RefNotPermitted", "Warning KubernetesError"}, wantErr: true,
			check: func(t *testing.T, c *v1.Connection) {
				if !c.Status.PausedWithoutGrant {
					t.Error("status.pausedWithoutGrant not recorded before the PATCH that paused the connection")
				}
			},
		},
		"grant revoked, connection paused in hookstream already: left as it is": {
			object: revoked,
			fake: fakeConnections{get: func(string) (*hookstream.Connection, error) {
				row := connectionTableRow(now)
				row.Status = "paused"
				return row, nil
			}},
			calls: []string{"Get " + tableID}, ready: "False", reason: v1.ReasonRefNotPermitted,
			events: []string{"Warning RefNotPermitted"},
			check: func(t *testing.T, c *v1.Connection) {
				if c.Status.PausedWithoutGrant {
					t.Error("a pause made in hookstream recorded as the operator's")
				}
			},
		},
		"drifted filters are reverted": {
			object: func(c *v1.Connection) {
				withStatusID(c)
				c.Status.ObservedGeneration = c.Generation // the spec was applied: what differs changed in hookstream
				c.Spec.Filters = []v1.FilterRule{{Field: "payload.status", Op: "eq", Value: jsonValue(`"paid"`)}}
			},
			objects: connectionEndsInCluster(testSourceID),
			fake: fakeConnections{
				get: func(string) (*hookstream.Connection, error) { return connectionTableRow(now), nil },
				update: func(_ string, p *hookstream.ConnectionUpdateRequest) (*hookstream.Connection, error) {
					row := connectionTableRow(now)
					row.FilterRules, _ = p.FilterRules.Value()
					return row, nil
				},
			},
			calls: []string{"Get " + tableID, "Update " + tableID + " filter_rules"}, ready: "True", reason: v1.ReasonAvailable,
			events: []string{"Normal DriftCorrected"},
		},
		"adopted connection between other ends: never deleted": {
			object: func(c *v1.Connection) {
				withStatusID(c)
				c.Spec.AdoptID = tableID
			},
			objects: connectionEndsInCluster(newSourceID),
			fake:    fakeConnections{get: func(string) (*hookstream.Connection, error) { return connectionTableRow(now), nil }},
			calls:   []string{"Get " + tableID}, ready: "False", reason: v1.ReasonReplacementRequired,
			events: []string{"Warning ReplacementRequired"},
		},
		"observe only, ends differ: nothing is replaced": {
			object:  func(c *v1.Connection) { withStatusID(c); c.Spec.ManagementPolicy = v1.ManagementObserve },
			objects: connectionEndsInCluster(newSourceID),
			fake:    fakeConnections{get: func(string) (*hookstream.Connection, error) { return connectionTableRow(now), nil }},
			calls:   []string{"Get " + tableID}, ready: "False", reason: v1.ReasonReplacementRequired,
			events: []string{"Warning ReplacementRequired"},
		},
		"dangling: hookstream lost the source": {
			object:  withStatusID,
			objects: connectionEndsInCluster(testSourceID),
			fake: fakeConnections{get: func(string) (*hookstream.Connection, error) {
				row := connectionTableRow(now)
				row.SourceName = nil
				return row, nil
			}},
			calls: []string{"Get " + tableID}, ready: "False", reason: v1.ReasonNotFound, events: []string{"Warning RemoteNotFound"},
		},
		"was Ready, its Source is gone: no longer Ready": {
			object: func(c *v1.Connection) {
				withStatusID(c)
				c.Status.ObservedGeneration = c.Generation
				c.Status.Conditions = []metav1.Condition{{Type: v1.ConditionReady, Status: metav1.ConditionTrue,
					Reason: v1.ReasonAvailable, Message: "The connection exists.", ObservedGeneration: c.Generation,
					LastTransitionTime: metav1.Now()}}
			},
			objects: connectionEndsInCluster("")[1:],
			ready:   "False", reason: v1.ReasonWaitingForSource, events: []string{"Normal WaitingForSource"},
		},
		"was Ready, its Source is being deleted: still Ready, Synced waits": {
			object: func(c *v1.Connection) {
				withStatusID(c)
				c.Status.ObservedGeneration = c.Generation
				c.Status.Conditions = []metav1.Condition{{Type: v1.ConditionReady, Status: metav1.ConditionTrue,
					Reason: v1.ReasonAvailable, Message: "The connection exists.", ObservedGeneration: c.Generation,
					LastTransitionTime: metav1.Now()}}
			},
			objects: func() []client.Object {
				ends := connectionEndsInCluster(testSourceID)
				src := ends[0].(*v1.Source)
				src.Finalizers = []string{v1.Finalizer}
				src.DeletionTimestamp = &metav1.Time{Time: now}
				return ends
			}(),
			ready: "True", reason: v1.ReasonAvailable, events: []string{"Normal WaitingForSource"},
			check: func(t *testing.T, c *v1.Connection) {
				if synced := meta.FindStatusCondition(c.Status.Conditions, v1.ConditionSynced); synced == nil || synced.Reason != v1.ReasonWaitingForSource {
					t.Errorf("Synced = %+v, want WaitingForSource", synced)
				}
			},
		},
		"delete": {
			object: func(c *v1.Connection) { withStatusID(c); c.DeletionTimestamp = &metav1.Time{Time: now} },
			fake:   fakeConnections{delete: func(string) error { return nil }},
			calls:  []string{"Delete " + tableID}, events: []string{"Normal Deleted"}, gone: true,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			runBranch(t, tc, connectionTableObject(tc.object), newConnectionKind)
		})
	}
}
