// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

// Package statemetrics exports the state of the operator's objects as Prometheus gauges, computed from the
// manager's cache at scrape time: how many objects of each kind and namespace are Ready and why not, drifted,
// paused, observed only or orphaning, and how many Destination circuits are open. No label names an object, so
// the number of series does not grow with the number of objects. It also exports each API key's rate budget
// counters and whether this replica is the leader.
package statemetrics

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
)

// Label names.
const (
	labelKind      = "kind"
	labelNamespace = "namespace"
	labelKey       = "key"
)

// listTimeout bounds the cache reads of one scrape; a cache that is not synced yet yields no state series.
const listTimeout = 10 * time.Second

var (
	objectsDesc = prometheus.NewDesc("hookstream_objects",
		"Objects by kind, namespace, status of the Ready condition (True, False, Unknown; Unknown also when it is "+
			"not set yet) and its reason.",
		[]string{labelKind, labelNamespace, "ready", "reason"}, nil)
	driftedDesc = prometheus.NewDesc("hookstream_objects_drifted",
		"Objects whose status.drift lists fields, by kind, namespace and managementPolicy: under Observe what "+
			"differs from the spec now, under Manage what the last correction reverted.",
		[]string{labelKind, labelNamespace, "management_policy"}, nil)
	pausedDesc = prometheus.NewDesc("hookstream_objects_paused",
		"Objects with the hookstream.io/paused annotation set to \"true\" (no hookstream call), by kind and namespace.",
		[]string{labelKind, labelNamespace}, nil)
	observeOnlyDesc = prometheus.NewDesc("hookstream_objects_observe_only",
		"Objects with managementPolicy Observe (never written to hookstream), by kind and namespace.",
		[]string{labelKind, labelNamespace}, nil)
	orphaningDesc = prometheus.NewDesc("hookstream_objects_orphaning",
		"Objects with deletionPolicy Orphan (their remote resource stays in hookstream when they are deleted), by "+
			"kind and namespace.",
		[]string{labelKind, labelNamespace}, nil)
	circuitsDesc = prometheus.NewDesc("hookstream_destination_circuits",
		"Destinations by namespace and circuit breaker state in status.circuit (closed, open, half-open; unknown "+
			"before the first read).",
		[]string{labelNamespace, "state"}, nil)
	leaderDesc = prometheus.NewDesc("hookstream_manager_leader",
		"1 on the manager replica that runs the controllers (the leader, or the only replica without leader "+
			"election), 0 on a standby. The state gauges are exported by the leader only.",
		[]string{"lease"}, nil)
	listErrorsDesc = prometheus.NewDesc("hookstream_state_metrics_errors_total",
		"Scrapes whose read of a kind's objects from the manager's cache failed (that kind's state gauges were "+
			"left out), by kind.",
		[]string{labelKind}, nil)

	rateRequestsDesc = prometheus.NewDesc("hookstream_rate_limit_requests_total",
		"Requests to hookstream the rate budget of an API key let through, by key hash (see docs/metrics.md).",
		[]string{labelKey}, nil)
	rateWaitDesc = prometheus.NewDesc("hookstream_rate_limit_wait_seconds_total",
		"Time callers spent waiting for the rate budget of an API key (the client's pace and the server's "+
			"pauses), by key hash.",
		[]string{labelKey}, nil)
	rateLimitedDesc = prometheus.NewDesc("hookstream_rate_limited_responses_total",
		"429 (Too Many Requests) answers from hookstream, by key hash.",
		[]string{labelKey}, nil)
	rateBudgetDesc = prometheus.NewDesc("hookstream_rate_limit_budget_requests_per_second",
		"The rate budget of each API key (--hookstream-rate-limit; 0: unlimited), by key hash.",
		[]string{labelKey}, nil)
)

// object is what every kind's type offers.
type object interface {
	client.Object
	GetManagedSpec() *v1.ManagedSpec
	GetManagedStatus() *v1.ManagedStatus
}

// kind lists one kind's objects.
type kind struct {
	name string
	list func(ctx context.Context, r client.Reader) ([]object, error)
}

func listOf[L client.ObjectList, O object](newList func() L, items func(L) []O) func(context.Context, client.Reader) ([]object, error) {
	return func(ctx context.Context, r client.Reader) ([]object, error) {
		l := newList()
		// Read only, never modified: the cache's own objects spare a copy of every object per scrape.
		if err := r.List(ctx, l, client.UnsafeDisableDeepCopy); err != nil {
			return nil, err
		}
		its := items(l)
		objs := make([]object, 0, len(its))
		for _, o := range its {
			objs = append(objs, o)
		}
		return objs, nil
	}
}

// kinds are the kinds the operator manages.
var kinds = []kind{
	{name: "Destination", list: listOf(func() *v1.DestinationList { return &v1.DestinationList{} },
		func(l *v1.DestinationList) []*v1.Destination { return pointers(l.Items) })},
	{name: "Source", list: listOf(func() *v1.SourceList { return &v1.SourceList{} },
		func(l *v1.SourceList) []*v1.Source { return pointers(l.Items) })},
	{name: "Connection", list: listOf(func() *v1.ConnectionList { return &v1.ConnectionList{} },
		func(l *v1.ConnectionList) []*v1.Connection { return pointers(l.Items) })},
}

func pointers[T any](items []T) []*T {
	out := make([]*T, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	return out
}

// Collector is the prometheus.Collector of the state gauges and rate budget counters. It is also a manager
// Runnable that needs leader election: the state gauges are exported only while it runs, so that only the
// replica whose controllers run (and whose cache holds the objects) reports them, and a standby's cache starts
// no informer for a scrape.
type Collector struct {
	reader   client.Reader
	limiters *hookstream.LimiterRegistry
	lease    string

	leading    atomic.Bool
	listErrors []atomic.Uint64 // per kind, as kinds
}

// New returns a collector reading objects through reader (the manager's cache) and the rate budgets of limiters
// (nil: none). lease names the leader election Lease in hookstream_manager_leader ("" without leader election).
func New(reader client.Reader, limiters *hookstream.LimiterRegistry, lease string) *Collector {
	return &Collector{reader: reader, limiters: limiters, lease: lease, listErrors: make([]atomic.Uint64, len(kinds))}
}

// Start marks this replica as the leader until ctx ends.
func (c *Collector) Start(ctx context.Context) error {
	c.leading.Store(true)
	<-ctx.Done()
	c.leading.Store(false)
	return nil
}

// NeedLeaderElection makes the manager start the collector on the leader only.
func (*Collector) NeedLeaderElection() bool { return true }

// Describe sends every descriptor.
func (*Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{objectsDesc, driftedDesc, pausedDesc, observeOnlyDesc, orphaningDesc,
		circuitsDesc, leaderDesc, listErrorsDesc, rateRequestsDesc, rateWaitDesc, rateLimitedDesc, rateBudgetDesc} {
		ch <- d
	}
}

// Collect reads the cache and sends the current values.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	c.collectRates(ch)
	leading := c.leading.Load()
	ch <- prometheus.MustNewConstMetric(leaderDesc, prometheus.GaugeValue, boolValue(leading), c.lease)
	if !leading {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), listTimeout)
	defer cancel()
	for i, k := range kinds {
		objs, err := k.list(ctx, c.reader)
		if err != nil {
			c.listErrors[i].Add(1)
			logf.FromContext(ctx).WithName("statemetrics").Error(err, "Reading objects from the cache for metrics",
				"kind", k.name)
		} else {
			collectKind(ch, k.name, objs)
		}
		ch <- prometheus.MustNewConstMetric(listErrorsDesc, prometheus.CounterValue,
			float64(c.listErrors[i].Load()), k.name)
	}
}

type readyKey struct{ namespace, ready, reason string }

type perNamespace struct {
	paused, observeOnly, orphaning float64
	drifted                        map[v1.ManagementPolicy]float64
}

// collectKind sends the gauges of one kind's objects.
func collectKind(ch chan<- prometheus.Metric, kindName string, objs []object) {
	ready := map[readyKey]float64{}
	namespaces := map[string]*perNamespace{}
	circuits := map[[2]string]float64{}
	for _, o := range objs {
		spec, status := o.GetManagedSpec(), o.GetManagedStatus()
		key := readyKey{namespace: o.GetNamespace(), ready: "Unknown"}
		if c := meta.FindStatusCondition(status.Conditions, v1.ConditionReady); c != nil {
			key.ready, key.reason = string(c.Status), c.Reason
		}
		ready[key]++

		ns := namespaces[o.GetNamespace()]
		if ns == nil {
			ns = &perNamespace{drifted: map[v1.ManagementPolicy]float64{v1.ManagementManage: 0, v1.ManagementObserve: 0}}
			namespaces[o.GetNamespace()] = ns
		}
		policy := v1.ManagementManage
		if spec.ManagementPolicy == v1.ManagementObserve {
			policy = v1.ManagementObserve
			ns.observeOnly++
		}
		if len(status.Drift) > 0 {
			ns.drifted[policy]++
		}
		if o.GetAnnotations()[v1.AnnotationPaused] == "true" {
			ns.paused++
		}
		if spec.DeletionPolicy == v1.DeletionOrphan {
			ns.orphaning++
		}
		if d, ok := o.(*v1.Destination); ok {
			state := "unknown"
			if d.Status.Circuit != nil && d.Status.Circuit.State != "" {
				state = string(d.Status.Circuit.State)
			}
			circuits[[2]string{d.Namespace, state}]++
		}
	}
	for k, n := range ready {
		ch <- prometheus.MustNewConstMetric(objectsDesc, prometheus.GaugeValue, n, kindName, k.namespace, k.ready, k.reason)
	}
	for name, ns := range namespaces {
		ch <- prometheus.MustNewConstMetric(pausedDesc, prometheus.GaugeValue, ns.paused, kindName, name)
		ch <- prometheus.MustNewConstMetric(observeOnlyDesc, prometheus.GaugeValue, ns.observeOnly, kindName, name)
		ch <- prometheus.MustNewConstMetric(orphaningDesc, prometheus.GaugeValue, ns.orphaning, kindName, name)
		for policy, n := range ns.drifted {
			ch <- prometheus.MustNewConstMetric(driftedDesc, prometheus.GaugeValue, n, kindName, name, string(policy))
		}
	}
	for k, n := range circuits {
		ch <- prometheus.MustNewConstMetric(circuitsDesc, prometheus.GaugeValue, n, k[0], k[1])
	}
}

// collectRates sends each API key's rate budget counters. Two keys sharing a short hash (about one chance in
// four billion per pair) are summed rather than sent twice.
func (c *Collector) collectRates(ch chan<- prometheus.Metric) {
	if c.limiters == nil {
		return
	}
	byHash := map[string]hookstream.KeyStats{}
	for _, s := range c.limiters.Stats() {
		sum := byHash[s.KeyHash]
		sum.Admitted += s.Admitted
		sum.Waited += s.Waited
		sum.RateLimited += s.RateLimited
		byHash[s.KeyHash] = sum
	}
	budget := c.limiters.Rate()
	for hash, s := range byHash {
		ch <- prometheus.MustNewConstMetric(rateRequestsDesc, prometheus.CounterValue, float64(s.Admitted), hash)
		ch <- prometheus.MustNewConstMetric(rateWaitDesc, prometheus.CounterValue, s.Waited.Seconds(), hash)
		ch <- prometheus.MustNewConstMetric(rateLimitedDesc, prometheus.CounterValue, float64(s.RateLimited), hash)
		ch <- prometheus.MustNewConstMetric(rateBudgetDesc, prometheus.GaugeValue, budget, hash)
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
