// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package managed

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// labelKind is the metrics label naming the Kubernetes kind.
const labelKind = "kind"

var (
	apiRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hookstream_api_requests_total",
		Help: "Requests to the hookstream API by route and HTTP status code (0: no response).",
	}, []string{"route", "code"})
	apiLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "hookstream_api_request_duration_seconds",
		Help:    "Latency of hookstream API requests by route.",
		Buckets: prometheus.ExponentialBuckets(0.005, 2, 13),
	}, []string{"route"})
	driftCorrections = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hookstream_drift_corrections_total",
		Help: "Remote fields changed outside the operator and reverted to the spec, by kind and API field.",
	}, []string{labelKind, "field"})
	remoteWrites = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hookstream_remote_writes_total",
		Help: "Writes to hookstream by the reconciler, by kind and operation (create, update, delete).",
	}, []string{labelKind, "operation"})
	reconcileFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hookstream_reconcile_failures_total",
		Help: "Reconciles that ended in a failure recorded in the object's conditions, by kind and condition reason.",
	}, []string{labelKind, "reason"})
)

func init() {
	metrics.Registry.MustRegister(apiRequests, apiLatency, driftCorrections, remoteWrites, reconcileFailures)
}

// ObserveAPIRequest records one hookstream API request; it is the client's hookstream.Observer.
func ObserveAPIRequest(route string, code int, d time.Duration) {
	apiRequests.WithLabelValues(route, strconv.Itoa(code)).Inc()
	apiLatency.WithLabelValues(route).Observe(d.Seconds())
}
