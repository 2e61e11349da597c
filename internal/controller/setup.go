// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/internal/managed"
)

// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// The Kubernetes kinds, as names in messages, index keys and events.
const (
	kindDestination = "Destination"
	kindSource      = "Source"
	kindConnection  = "Connection"
)

// Settings configure the controllers of every kind.
type Settings struct {
	Client   client.Client
	Recorder events.EventRecorder
	// Clients returns the hookstream client of an API key.
	Clients ClientFactory
	// HookstreamURL is hookstream's API base URL, the root of the ingest URLs; "" is hookstream.DefaultBaseURL.
	HookstreamURL string
	// DefaultCredentialsSecret is the credentials Secret of objects without spec.credentialsRef.
	DefaultCredentialsSecret string
	// DriftInterval is how often an object is compared with hookstream when nothing else triggers it.
	DriftInterval time.Duration
	// CreateSettleTime is how long after a create was requested its outcome is certain (see
	// managed.Options.CreateSettleTime): the hookstream call timeout and a margin.
	CreateSettleTime time.Duration
	// MaxConcurrentReconciles bounds parallel reconciles, per kind.
	MaxConcurrentReconciles int
	// Observation is how periodic checks read hookstream: managed.ObserveByList (default) or ObserveByGet.
	Observation string
	// StatusRefreshInterval is how often the counters in status (and a Destination's circuit, where they moved)
	// are refreshed between drift checks; 0 leaves them to the drift checks.
	StatusRefreshInterval time.Duration
	// Shard is the label selector that restricts the manager's cache of Destinations, Sources and Connections
	// (--watch-selector); nil when it handles all of them.
	Shard labels.Selector
	// DestinationURLs decides which hosts a Destination may deliver to (--destination-url-policy; see NewURLPolicy).
	DestinationURLs URLPolicy
	// SendableSecrets, when set, is the label selector every Secret a spec references (credentials aside) must
	// match for its values to be sent (--secret-reference-label).
	SendableSecrets labels.Selector
}

// SetupWithManager registers the controller of every kind.
func SetupWithManager(mgr ctrl.Manager, s Settings) error {
	// Sources and Destinations name the Connections that block their deletion through this index.
	if err := indexConnectionEnds(mgr); err != nil {
		return err
	}
	for _, k := range Kinds {
		if err := k.setup(mgr, s); err != nil {
			return fmt.Errorf("setting up the %s controller: %w", k.Kind, err)
		}
	}
	return nil
}

func (s Settings) managedOptions() managed.Options {
	return managed.Options{
		DefaultCredentialsSecret: s.DefaultCredentialsSecret,
		DriftInterval:            s.DriftInterval,
		CreateSettleTime:         s.CreateSettleTime,
		Observation:              s.Observation,
		StatusRefreshInterval:    s.StatusRefreshInterval,
		Shard:                    s.Shard,
		SendableSecrets:          s.SendableSecrets,
		Calls:                    keyCalls,
		ProbeInterval:            hookstream.ProbeInterval,
	}
}

// ingestBaseURL is the root of ingest URLs, without a trailing slash.
func (s Settings) ingestBaseURL() string {
	if s.HookstreamURL == "" {
		return hookstream.DefaultBaseURL
	}
	return strings.TrimRight(s.HookstreamURL, "/")
}
