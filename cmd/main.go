// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

// Command manager runs the hookstream-operator controller manager.
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	// Import all Kubernetes client auth plugins (e.g. Azure, GCP, OIDC, etc.)
	// to ensure that exec-entrypoint and run can make use of them.
	_ "k8s.io/client-go/plugin/pkg/client/auth"

	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/controller"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/internal/managed"
	"github.com/hookstream/hookstream-operator/internal/statemetrics"
)

var (
	scheme   = runtime.NewScheme()
	setupLog = ctrl.Log.WithName("setup")
)

// createSettleMargin is added to --hookstream-timeout to tell when a create in flight can no longer land: a server
// may finish a request after its client gave up, and the create marker is recorded to the second.
const createSettleMargin = 15 * time.Second

func init() {
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(v1.AddToScheme(scheme))
}

type options struct {
	metricsAddr, metricsCertPath, metricsCertName, metricsCertKey string
	probeAddr, pprofAddr                                          string
	leaderElect, secureMetrics, enableHTTP2                       bool

	hookstreamURL, caFile    string
	hookstreamTrace          string
	requestTimeout           time.Duration
	rateLimit                float64
	rateBurst                int
	driftInterval            time.Duration
	statusRefreshInterval    time.Duration
	defaultCredentialsSecret string
	maxConcurrentReconciles  int
	observation              string
	watchNamespaces          string
	watchSelector            string
	destinationURLPolicy     string
	secretReferenceLabel     string
	memoryLimit              string
	leaseDuration            time.Duration
	renewDeadline            time.Duration
	retryPeriod              time.Duration
	leaderElectionID         string
	leaderElectionNamespace  string
}

func main() {
	var o options
	flag.StringVar(&o.metricsAddr, "metrics-bind-address", "0", "The address the metrics endpoint binds to. "+
		"Use :8443 for HTTPS or :8080 for HTTP, or leave as 0 to disable the metrics service.")
	flag.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081", "The address the probe endpoint binds to.")
	flag.StringVar(&o.pprofAddr, "pprof-bind-address", "0",
		"The address the pprof endpoint (/debug/pprof/) binds to, such as 127.0.0.1:8082, or 0 to disable it. "+
			"It serves profiles without authentication: bind it to localhost or a port-forward only.")
	flag.BoolVar(&o.leaderElect, "leader-elect", false,
		"Enable leader election, so that only one of several manager replicas reconciles at a time.")
	flag.StringVar(&o.leaderElectionID, "leader-election-id", "",
		"Name of the Lease used for leader election (default: "+defaultLeaderElectionID+", or with --watch-selector "+
			"hookstream-operator-<selector>-<hash>, one per shard).")
	flag.StringVar(&o.leaderElectionNamespace, "leader-election-namespace", "",
		"Namespace of the leader election Lease (default: the manager's own namespace).")
	flag.DurationVar(&o.leaseDuration, "leader-elect-lease-duration", 15*time.Second,
		"How long a standby waits after the leader stopped renewing before it takes over.")
	flag.DurationVar(&o.renewDeadline, "leader-elect-renew-deadline", 10*time.Second,
		"How long the leader keeps trying to renew before it gives up leadership.")
	flag.DurationVar(&o.retryPeriod, "leader-elect-retry-period", 2*time.Second,
		"How often leader election clients retry acquiring or renewing the lease.")
	flag.BoolVar(&o.secureMetrics, "metrics-secure", true,
		"Serve metrics over HTTPS with authentication and authorization. Use --metrics-secure=false for plain HTTP.")
	flag.StringVar(&o.metricsCertPath, "metrics-cert-path", "",
		"The directory that contains the metrics server certificate.")
	flag.StringVar(&o.metricsCertName, "metrics-cert-name", "tls.crt", "The name of the metrics server certificate file.")
	flag.StringVar(&o.metricsCertKey, "metrics-cert-key", "tls.key", "The name of the metrics server key file.")
	flag.BoolVar(&o.enableHTTP2, "enable-http2", false, "Enable HTTP/2 for the metrics server.")

	flag.StringVar(&o.hookstreamURL, "hookstream-url", hookstream.DefaultBaseURL, "Base URL of the hookstream API.")
	flag.StringVar(&o.caFile, "hookstream-ca-file", "",
		"PEM file of extra certificate authorities trusted for the hookstream URL, added to the system's. "+
			"TLS verification is always on.")
	flag.StringVar(&o.hookstreamTrace, "hookstream-trace", "",
		"Append one JSON line per hookstream API exchange to this file (method, path, status, timing, headers and "+
			"bodies, every secret replaced by \"(secret)\"), for bug reports. Off when empty.")
	flag.DurationVar(&o.requestTimeout, "hookstream-timeout", 30*time.Second, "Timeout of one hookstream API call.")
	flag.Float64Var(&o.rateLimit, "hookstream-rate-limit", 10,
		"Requests per second to hookstream per API key, shared by all objects (of every kind) using the key.")
	flag.IntVar(&o.rateBurst, "hookstream-rate-burst", 20, "Burst of requests to hookstream per API key.")
	flag.DurationVar(&o.driftInterval, "drift-interval", 10*time.Minute,
		"How often each object (Destination, Source) is compared with hookstream to revert changes made elsewhere "+
			"(jittered by 10%).")
	flag.DurationVar(&o.statusRefreshInterval, "status-refresh-interval", time.Minute,
		"How often the counters in status (events, last delivery or event, state) and each Destination's circuit "+
			"breaker are refreshed between drift checks: one list per API key and kind, and one circuit read per "+
			"Destination whose counters moved or whose circuit is not closed. 0 leaves them to the drift checks.")
	flag.StringVar(&o.defaultCredentialsSecret, "default-credentials-secret", "hookstream-credentials",
		"Secret, in each object's namespace, holding the API key of objects without spec.credentialsRef.")
	flag.IntVar(&o.maxConcurrentReconciles, "max-concurrent-reconciles", 0,
		"Objects of each kind reconciled in parallel. 0 follows --hookstream-rate-limit: as many as its budget keeps "+
			"busy, ceil(rate x 250ms), at least 4 and at most 32 (4 at the default rate).")
	flag.StringVar(&o.observation, "observation", managed.ObserveByList,
		"How periodic drift checks read hookstream: \"list\" (one paginated list per API key and interval, shared by "+
			"all its objects of a kind) or \"get\" (one read per object).")
	flag.StringVar(&o.watchNamespaces, "watch-namespaces", "",
		"Comma-separated namespaces whose objects this manager handles (default: all). Lets several managers "+
			"share a cluster by namespace.")
	flag.StringVar(&o.watchSelector, "watch-selector", "",
		"Label selector of the Destinations, Sources and Connections this manager handles, such as "+
			"hookstream.io/shard=a (default: all). Lets several managers share a cluster by label; each shard has its "+
			"own leader election lease.")
	flag.StringVar(&o.destinationURLPolicy, "destination-url-policy", controller.URLPolicyAllowAll,
		"Which hosts a Destination may deliver to: \"allow-all\" (a URL naming a loopback, link-local, private or "+
			"metadata address only gets a Warning event) or \"deny-internal\" (such URLs, given literally or found "+
			"through DNS, are refused with URLNotAllowed; recommended where teams share a cluster).")
	flag.StringVar(&o.secretReferenceLabel, "secret-reference-label", "",
		"KEY=VALUE: only Secrets carrying this label may be referenced for values sent to hookstream (headers, "+
			"tokens, passwords, signing secrets), so that creating a Destination does not give read access to every "+
			"Secret of the namespace. Empty: any Secret but a credentials Secret.")
	flag.StringVar(&o.memoryLimit, "memory-limit", "",
		"The container's memory limit (a quantity such as 256Mi; the chart passes it from the Downward API). The Go "+
			"runtime is asked to stay under 90% of it, collecting garbage more often near it. Empty or 0: no limit; "+
			"GOMEMLIMIT, when set, wins.")
	showVersion := flag.Bool("version", false, "Print the version and exit.")
	zapOpts := zap.Options{}
	zapOpts.BindFlags(flag.CommandLine)
	flag.Parse()
	if *showVersion {
		fmt.Println("hookstream-operator", hookstream.Version)
		return
	}

	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
	if err := run(o); err != nil {
		setupLog.Error(err, "Manager failed")
		os.Exit(1)
	}
}

func run(o options) error {
	if o.observation != managed.ObserveByList && o.observation != managed.ObserveByGet {
		return fmt.Errorf("--observation must be %q or %q", managed.ObserveByList, managed.ObserveByGet)
	}
	if o.statusRefreshInterval < 0 {
		return fmt.Errorf("--status-refresh-interval must not be negative")
	}
	// An empty GOMEMLIMIT is no limit to the runtime, so it does not stand in the way of the flag either.
	softLimit, err := softMemoryLimit(o.memoryLimit, os.Getenv("GOMEMLIMIT") != "")
	if err != nil {
		return err
	}
	if softLimit > 0 {
		debug.SetMemoryLimit(softLimit)
		setupLog.Info("Go runtime soft memory limit set", "bytes", softLimit, "memoryLimit", o.memoryLimit)
	}
	workers, err := managed.Workers(o.rateLimit, o.maxConcurrentReconciles)
	if err != nil {
		return err
	}
	shard, err := parseShard(o.watchSelector)
	if err != nil {
		return err
	}
	urlPolicy, err := controller.NewURLPolicy(o.destinationURLPolicy)
	if err != nil {
		return fmt.Errorf("--destination-url-policy: %w", err)
	}
	sendable, err := parseSecretReferenceLabel(o.secretReferenceLabel)
	if err != nil {
		return err
	}
	leaseName := leaderElectionID(o.leaderElectionID, shard)
	httpClient, err := hookstreamHTTPClient(o.caFile)
	if err != nil {
		return err
	}
	var trace io.Writer
	if o.hookstreamTrace != "" {
		f, err := os.OpenFile(o.hookstreamTrace, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return fmt.Errorf("opening the hookstream trace: %w", err)
		}
		defer func() { _ = f.Close() }()
		trace = f
	}

	// HTTP/2 stays off unless asked for, against the HTTP/2 Stream Cancellation and Rapid Reset CVEs.
	var tlsOpts []func(*tls.Config)
	if !o.enableHTTP2 {
		tlsOpts = append(tlsOpts, func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} })
	}
	metricsOpts := metricsserver.Options{
		BindAddress:   o.metricsAddr,
		SecureServing: o.secureMetrics,
		TLSOpts:       tlsOpts,
	}
	if o.secureMetrics {
		metricsOpts.FilterProvider = filters.WithAuthenticationAndAuthorization
	}
	if o.metricsCertPath != "" {
		metricsOpts.CertDir = o.metricsCertPath
		metricsOpts.CertName = o.metricsCertName
		metricsOpts.KeyName = o.metricsCertKey
	}

	mgr, err := ctrl.NewManager(ctrl.GetConfigOrDie(), ctrl.Options{
		Scheme:                        scheme,
		Metrics:                       metricsOpts,
		HealthProbeBindAddress:        o.probeAddr,
		PprofBindAddress:              o.pprofAddr,
		LeaderElection:                o.leaderElect,
		LeaderElectionID:              leaseName,
		LeaderElectionNamespace:       o.leaderElectionNamespace,
		LeaderElectionReleaseOnCancel: true,
		LeaseDuration:                 &o.leaseDuration,
		RenewDeadline:                 &o.renewDeadline,
		RetryPeriod:                   &o.retryPeriod,
		Cache: cache.Options{
			// managedFields are never read here; dropping them keeps the informer caches small.
			DefaultTransform:  cache.TransformStripManagedFields(),
			DefaultNamespaces: namespaceConfigs(o.watchNamespaces),
			ByObject:          shardCache(shard),
		},
	})
	if err != nil {
		return fmt.Errorf("creating the manager: %w", err)
	}

	recorder, stopEvents, err := newEventRecorder(mgr.GetConfig(), mgr.GetHTTPClient(), scheme)
	if err != nil {
		return err
	}
	// After mgr.Start has returned, that is once the controllers have stopped.
	defer stopEvents()

	limiters := hookstream.NewLimiterRegistry(o.rateLimit, o.rateBurst)
	clients := controller.CachedClientFactory(hookstream.Options{
		BaseURL:    o.hookstreamURL,
		HTTPClient: httpClient,
		Timeout:    o.requestTimeout,
		Observer:   managed.ObserveAPIRequest,
		Trace:      trace,
	}, limiters)
	if err := registerStateMetrics(mgr, limiters, o.leaderElect, leaseName); err != nil {
		return err
	}

	if err := controller.SetupWithManager(mgr, controller.Settings{
		Client:                   mgr.GetClient(),
		Recorder:                 recorder,
		Clients:                  clients,
		HookstreamURL:            o.hookstreamURL,
		DefaultCredentialsSecret: o.defaultCredentialsSecret,
		DriftInterval:            o.driftInterval,
		CreateSettleTime:         o.requestTimeout + createSettleMargin,
		MaxConcurrentReconciles:  workers,
		Observation:              o.observation,
		StatusRefreshInterval:    o.statusRefreshInterval,
		Shard:                    shard,
		DestinationURLs:          urlPolicy,
		SendableSecrets:          sendable,
	}); err != nil {
		return err
	}

	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return err
	}
	log := setupLog.WithValues("hookstreamURL", o.hookstreamURL, "driftInterval", o.driftInterval,
		"maxConcurrentReconciles", workers, "version", hookstream.Version)
	if shard != nil {
		log = log.WithValues("watchSelector", shard.String())
	}
	if o.leaderElect {
		log = log.WithValues("leaderElectionID", leaseName)
	}
	log.Info("Starting manager")
	return mgr.Start(ctrl.SetupSignalHandler())
}

// registerStateMetrics exports the objects' state from the manager's cache and the rate budget of every API key
// on the metrics endpoint; the state gauges come from the leader only.
func registerStateMetrics(mgr ctrl.Manager, limiters *hookstream.LimiterRegistry, leaderElect bool,
	lease string) error {
	if !leaderElect {
		lease = ""
	}
	state := statemetrics.New(mgr.GetCache(), limiters, lease)
	if err := metrics.Registry.Register(state); err != nil {
		return fmt.Errorf("registering the state metrics: %w", err)
	}
	return mgr.Add(state)
}

// namespaceConfigs turns --watch-namespaces into the cache's namespace restriction; nil watches all.
func namespaceConfigs(list string) map[string]cache.Config {
	var configs map[string]cache.Config
	for ns := range strings.SplitSeq(list, ",") {
		if ns = strings.TrimSpace(ns); ns != "" {
			if configs == nil {
				configs = map[string]cache.Config{}
			}
			configs[ns] = cache.Config{}
		}
	}
	return configs
}

// hookstreamHTTPClient returns the HTTP client for hookstream: TLS verification always on, with an optional extra
// CA bundle for private endpoints.
func hookstreamHTTPClient(caFile string) (*http.Client, error) {
	var pem []byte
	if caFile != "" {
		var err error
		if pem, err = os.ReadFile(caFile); err != nil {
			return nil, fmt.Errorf("reading --hookstream-ca-file: %w", err)
		}
	}
	return hookstream.NewHTTPClient(pem)
}
