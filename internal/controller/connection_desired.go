// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	jsonata "github.com/blues/jsonata-go"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/internal/managed"
)

// desiredConnection is the remote connection the spec asks for, its references resolved to ids.
type desiredConnection struct {
	// request is the full create body.
	request hookstream.ConnectionCreateRequest
	// status and enabled are one setting (spec.state), sent and compared together; status is empty when unset.
	status  string
	enabled bool
	// manageFilters, manageTransform: the user set these fields (possibly empty, which clears them).
	manageFilters   bool
	manageTransform bool
	// pauseOnly: a reference is no longer allowed and the state is the operator's pause: an active connection is
	// paused, one that is not is left as it is.
	pauseOnly bool
}

// connectionName is the remote name: spec.displayName, else one derived from namespace and name. With the
// source and destination ids it is the natural key that finds the connection again after a crash.
func connectionName(c *v1.Connection) string {
	if c.Spec.DisplayName != "" {
		return c.Spec.DisplayName
	}
	return defaultSlug(c.Namespace, c.Name)
}

// buildConnectionDesired maps a Connection's spec to the remote connection it asks for.
func buildConnectionDesired(c *v1.Connection, refs managed.Refs) (*desiredConnection, error) {
	sourceID, destinationID, err := resolveEnds(c, refs.Object, refs.SameProject)
	if notPermitted, ok := errors.AsType[*managed.NotPermittedError](err); ok {
		return pausedWithoutGrant(c, notPermitted)
	}
	if err != nil {
		return nil, err
	}
	spec := &c.Spec
	want := &desiredConnection{request: hookstream.ConnectionCreateRequest{
		SourceID: sourceID, DestinationID: destinationID, Name: connectionName(c),
	}}
	req := &want.request
	if spec.Description != "" {
		req.Description = new(spec.Description)
	}
	state := spec.State
	if c.Status.PausedWithoutGrant && state == "" {
		// The operator paused the connection when a grant was revoked; the reference is allowed again.
		state = v1.StateActive
	}
	want.setState(state)
	if spec.Filters != nil {
		want.manageFilters = true
		rules, err := filterRules(spec.Filters)
		if err != nil {
			return nil, err
		}
		req.FilterRules = rules
	}
	if spec.Transform != nil {
		want.manageTransform = true
		if expr := *spec.Transform; expr != "" {
			if _, err := jsonata.Compile(expr); err != nil {
				return nil, fmt.Errorf("spec.transform is not a valid JSONata expression: %v", err)
			}
			req.TransformEnabled = new(true)
			req.TransformExpression = new(expr)
		}
	}
	return want, nil
}

// setState sets spec.state's two API fields; an empty state leaves them unmanaged.
func (want *desiredConnection) setState(state v1.ResourceState) {
	if state == "" {
		return
	}
	want.status = string(state)
	want.enabled = state != v1.StateDisabled
	want.request.Enabled = new(want.enabled)
}

// pausedWithoutGrant is the mapping of a Connection whose reference to another namespace no grant allows: no
// remote connection may be created, and an existing one is kept from routing, never deleted: its ends and name stay
// those hookstream has, its other fields are left alone. The spec's paused or disabled state is kept; otherwise an
// active connection is paused (pauseOnly), and one paused or disabled in hookstream already is left as it is.
func pausedWithoutGrant(c *v1.Connection, notPermitted *managed.NotPermittedError) (*desiredConnection, error) {
	st := &c.Status
	if st.ID == "" || st.SourceID == "" || st.DestinationID == "" {
		return nil, managed.Stall(v1.ReasonRefNotPermitted, "%v. Nothing is created in hookstream until a grant allows it",
			notPermitted)
	}
	name := st.Name
	if name == "" {
		name = connectionName(c)
	}
	want := &desiredConnection{request: hookstream.ConnectionCreateRequest{
		SourceID: st.SourceID, DestinationID: st.DestinationID, Name: name,
	}}
	if specKeepsFromRouting(c) {
		want.setState(c.Spec.State)
	} else {
		want.setState(v1.StatePaused)
		want.pauseOnly = true
	}
	return want, managed.Disable(v1.ReasonRefNotPermitted, "%v. Nothing routes through the remote connection %s until a "+
		"grant allows the reference again: the operator pauses it if it is active (under managementPolicy Observe it "+
		"only reports this), and never deletes it for this", notPermitted, st.ID)
}

// specKeepsFromRouting reports a spec.state that keeps the connection from routing (paused or disabled): the spec,
// not a grant, then decides the state.
func specKeepsFromRouting(c *v1.Connection) bool {
	return c.Spec.State == v1.StateDisabled || c.Spec.State == v1.StatePaused
}

// filterRules maps the spec's rules to the API's, checking what the schema cannot: the value's type per operator.
func filterRules(specRules []v1.FilterRule) ([]hookstream.FilterRule, error) {
	rules := make([]hookstream.FilterRule, 0, len(specRules))
	for i, r := range specRules {
		raw := []byte("null")
		if r.Value != nil && len(r.Value.Raw) > 0 {
			raw = r.Value.Raw
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, raw); err != nil {
			return nil, fmt.Errorf("spec.filters[%d].value is not JSON", i)
		}
		if want := filterValueKind(string(r.Op)); !want.accepts(compact.Bytes()) {
			return nil, fmt.Errorf("spec.filters[%d].value must be %s for op %s", i, want, r.Op)
		}
		rules = append(rules, hookstream.FilterRule{Field: r.Field, Op: string(r.Op), Value: compact.Bytes()})
	}
	return rules, nil
}

// valueKind is the JSON value an operator takes.
type valueKind string

const (
	kindScalar valueKind = "a string, a number, true, false or null"
	kindString valueKind = "a string"
	kindNumber valueKind = "a number"
	kindBool   valueKind = "true or false"
	kindList   valueKind = "a list"
)

func filterValueKind(op string) valueKind {
	switch op {
	case hookstream.OpContains:
		return kindString
	case hookstream.OpGt, hookstream.OpGte, hookstream.OpLt, hookstream.OpLte:
		return kindNumber
	case hookstream.OpExists:
		return kindBool
	case hookstream.OpIn:
		return kindList
	}
	return kindScalar
}

// accepts reports whether the compact JSON value is of the kind, by its first byte.
func (k valueKind) accepts(raw []byte) bool {
	first := raw[0]
	isNumber := first == '-' || (first >= '0' && first <= '9')
	switch k {
	case kindString:
		return first == '"'
	case kindNumber:
		return isNumber
	case kindBool:
		return first == 't' || first == 'f'
	case kindList:
		return first == '['
	}
	return first != '[' && first != '{'
}

func (k valueKind) String() string { return string(k) }

// resolveEnds returns the ids of the connection's source and destination: the spec's ids, or the status.id of
// the referenced objects. An object without an id is waited for; one of another hookstream project (another API
// key) stalls; one of another namespace that no grant allows is a *managed.NotPermittedError. get reads an object
// (namespace empty: the Connection's own). sameProject is nil for a lookup of the remote connection by its key,
// where only the ids matter: an end being deleted still has its id then, and the connection an unrecorded create
// made must be found with it.
func resolveEnds(c *v1.Connection, get func(into client.Object, namespace, name string) error,
	sameProject func(managed.Object) (bool, error)) (sourceID, destinationID string, err error) {
	sourceID, destinationID = c.Spec.SourceID, c.Spec.DestinationID
	if ref := c.Spec.SourceRef; ref != nil {
		if sourceID, err = referencedID(c, &v1.Source{}, ref, get, sameProject, v1.ReasonWaitingForSource); err != nil {
			return "", "", err
		}
	}
	if ref := c.Spec.DestinationRef; ref != nil {
		if destinationID, err = referencedID(c, &v1.Destination{}, ref, get, sameProject, v1.ReasonWaitingForDestination); err != nil {
			return "", "", err
		}
	}
	return sourceID, destinationID, nil
}

// endNamespace is the namespace of the object a reference names: its own, else the Connection's.
func endNamespace(c *v1.Connection, ref *v1.EndReference) string {
	if ref.Namespace != "" {
		return ref.Namespace
	}
	return c.Namespace
}

// endName names a referenced object for messages: with its namespace when that is not the Connection's.
func endName(c *v1.Connection, kind string, ref *v1.EndReference) string {
	if ns := endNamespace(c, ref); ns != c.Namespace {
		return fmt.Sprintf("%s %q of namespace %q", kind, ref.Name, ns)
	}
	return fmt.Sprintf("%s %q", kind, ref.Name)
}

// endKind is the kind of a Connection's end: Source or Destination.
func endKind(obj client.Object) string {
	if _, ok := obj.(*v1.Destination); ok {
		return kindDestination
	}
	return kindSource
}

// referencedID reads the referenced object into obj and returns its hookstream id.
func referencedID(c *v1.Connection, obj managed.Object, ref *v1.EndReference, get func(client.Object, string, string) error,
	sameProject func(managed.Object) (bool, error), waitReason string) (string, error) {
	kind := endKind(obj)
	what := endName(c, kind, ref)
	if err := get(obj, ref.Namespace, ref.Name); err != nil {
		if apierrors.IsNotFound(err) {
			return "", managed.Wait(waitReason, "Waiting for %s %q, which does not exist in namespace %q", kind, ref.Name,
				endNamespace(c, ref))
		}
		if shard, ok := errors.AsType[*managed.OutsideShardError](err); ok {
			// A remote connection that exists keeps routing: Ready stays what the last check saw.
			return "", managed.WaitKeepingReady(waitReason, "Waiting for %s: %v. A Connection and the Source and "+
				"Destination it references must be in the same shard: give them the same shard label", what, shard)
		}
		return "", err
	}
	id := obj.GetManagedStatus().ID
	lookup := sameProject == nil
	switch {
	case !obj.GetDeletionTimestamp().IsZero() && !lookup:
		// The remote connection still routes until its end goes: Ready keeps what the last check saw.
		return "", managed.WaitKeepingReady(waitReason, "%s is being deleted; the connection is not created or "+
			"changed until the reference changes", what)
	case id == "":
		return "", managed.Wait(waitReason, "Waiting for %s to have a hookstream id (it is not Ready yet)", what)
	}
	if !lookup {
		same, err := sameProject(obj)
		if err != nil {
			return "", err
		}
		if !same {
			return "", managed.Stall(v1.ReasonProjectMismatch, "%s uses another hookstream API key than this Connection, "+
				"so it may be in another project, and a connection links a source and a destination of its own project only: "+
				"give both the same credentials Secret (spec.credentialsRef)", what)
		}
	}
	return id, nil
}

// Request is the remote connection the spec asks for, as one JSON value.
func (want *desiredConnection) Request() any {
	return struct {
		Request hookstream.ConnectionCreateRequest `json:"request"`
		Status  string                             `json:"status"`
		Enabled bool                               `json:"enabled"`
	}{want.request, want.status, want.enabled}
}

// KeyDescription names the natural key for messages.
func (want *desiredConnection) KeyDescription() string {
	return fmt.Sprintf("source %s, destination %s and name %q", want.request.SourceID, want.request.DestinationID, want.request.Name)
}

// connectionKey is what identifies a remote connection: its ends and its name.
type connectionKey struct {
	SourceID      string `json:"sourceID"`
	DestinationID string `json:"destinationID"`
	Name          string `json:"name"`
}

// RecordedKey is the key the create sends, recorded with the create marker: the spec may change the name or an end
// before the create's answer is recorded.
func (want *desiredConnection) RecordedKey() string {
	b, err := json.Marshal(connectionKey{want.request.SourceID, want.request.DestinationID, want.request.Name})
	if err != nil {
		return ""
	}
	return string(b)
}

// SecretMaterial is empty: connections carry no secrets.
func (*desiredConnection) SecretMaterial() []string { return nil }
