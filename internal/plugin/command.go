// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
)

// The output formats of status (table, json) and doctor (text, json).
const (
	formatTable = "table"
	formatText  = "text"
	formatJSON  = "json"
)

// APIKeyEnv is the environment variable the plugin reads the hookstream API key from.
const APIKeyEnv = "HOOKSTREAM_API_KEY"

// Exit codes, as kubectl diff uses them; doctor exits with ExitDifferences when it found problems.
const (
	ExitDifferences = 1
	ExitError       = 2
)

// ErrDifferences is returned by diff when the operator would change something; the binary exits with
// ExitDifferences.
var ErrDifferences = errors.New("differences found")

// options are the flags every command shares.
type options struct {
	kube                     *genericclioptions.ConfigFlags
	url                      string
	credentialsSecret        string
	defaultCredentialsSecret string
	// trace is the file --hookstream-trace names; traceFile is it once opened.
	trace          string
	traceFile      *os.File
	stdin          io.Reader
	stdout, stderr io.Writer
}

// NewCommand returns the kubectl-hookstream command with its subcommands.
func NewCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	o := &options{kube: genericclioptions.NewConfigFlags(true), stdin: stdin, stdout: stdout, stderr: stderr}
	// Only the kubeconfig flags the commands need: --kubeconfig, --context and -n/--namespace.
	k := o.kube
	k.CacheDir, k.CertFile, k.KeyFile, k.BearerToken, k.Impersonate, k.ImpersonateUID, k.ImpersonateGroup = nil, nil, nil, nil, nil, nil, nil
	k.Username, k.Password, k.ClusterName, k.AuthInfoName, k.APIServer, k.TLSServerName, k.Insecure = nil, nil, nil, nil, nil, nil, nil
	k.CAFile, k.Timeout, k.DisableCompression, k.ImpersonateUserExtra, k.ProxyURL = nil, nil, nil, nil, nil

	root := &cobra.Command{
		Use:     "kubectl-hookstream",
		Version: hookstream.Version,
		Short:   "Bring a hookstream project under manifests, see what an apply would change, one status view, and a doctor",
		Long: `kubectl hookstream works with the hookstream operator's Destinations, Sources and Connections.

The hookstream API key comes from the environment variable ` + APIKeyEnv + `, or from the key "apiKey" of a
Secret read through the current kubeconfig (--credentials-secret NAME -n NAMESPACE). It is never a flag and is
never printed.`,
		Example: `  # Export a project, apply it, and check that nothing would change
  export ` + APIKeyEnv + `=hs_live_...
  kubectl hookstream export -n webhooks --output ./hookstream
  kubectl hookstream diff -f ./hookstream -n webhooks
  kubectl hookstream status -A

  # What is wrong, and what to do: CRDs, manager, credentials, objects not Ready
  kubectl hookstream doctor -A

  # Another cluster of the kubeconfig, or another kubeconfig
  kubectl hookstream status -A --context prod --kubeconfig ~/.kube/prod`,
		Annotations:   map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl hookstream"},
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.CompletionOptions.DisableDefaultCmd = true
	o.kube.AddFlags(root.PersistentFlags())
	for name, usage := range map[string]string{
		"kubeconfig": "path to the kubeconfig file, e.g. --kubeconfig ~/.kube/prod (default: $KUBECONFIG or ~/.kube/config)",
		"context":    "kubeconfig context to use, e.g. --context prod",
		"namespace":  "namespace of the objects (export: the namespace the manifests name), e.g. -n webhooks",
	} {
		root.PersistentFlags().Lookup(name).Usage = usage
	}
	root.PersistentFlags().StringVar(&o.url, "url", hookstream.DefaultBaseURL,
		"hookstream API base URL, e.g. --url https://hookstream.io/v1")
	root.PersistentFlags().StringVar(&o.credentialsSecret, "credentials-secret", "",
		"read the API key from this Secret's key \"apiKey\" in the namespace of -n, e.g. --credentials-secret hookstream-credentials")
	root.PersistentFlags().StringVar(&o.defaultCredentialsSecret, "default-credentials-secret", DefaultCredentialsSecret,
		"the credentials Secret the operator reads for objects without spec.credentialsRef (the manager's flag of the "+
			"same name); export writes spec.credentialsRef for any other, diff reads it for objects without one, "+
			"e.g. --default-credentials-secret hookstream-api-key")
	root.PersistentFlags().StringVar(&o.trace, "hookstream-trace", "",
		"append one JSON line per hookstream API exchange to this file, every secret replaced by \"(secret)\", "+
			"for bug reports, e.g. --hookstream-trace trace.jsonl")
	root.PersistentPostRun = func(*cobra.Command, []string) {
		if o.traceFile != nil {
			_ = o.traceFile.Close()
		}
	}
	root.AddCommand(o.exportCommand(), o.diffCommand(), o.statusCommand(), o.doctorCommand())
	return root
}

// Execute runs the command line and returns the process exit code.
func Execute(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := NewCommand(stdin, stdout, stderr)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, ErrDifferences), errors.Is(err, ErrProblems):
		return ExitDifferences
	}
	fmt.Fprintln(stderr, "Error:", err)
	return ExitError
}

func (o *options) namespace() string {
	if o.kube.Namespace != nil && *o.kube.Namespace != "" {
		return *o.kube.Namespace
	}
	if ns, _, err := o.kube.ToRawKubeConfigLoader().Namespace(); err == nil && ns != "" {
		return ns
	}
	return "default"
}

func (o *options) cluster() (client.Client, error) {
	cfg, err := o.kube.ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("reading the kubeconfig: %w", err)
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	if err := v1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	return client.New(cfg, client.Options{Scheme: scheme})
}

// apiKey reads the API key: from --credentials-secret when given, else from the environment.
func (o *options) apiKey(ctx context.Context, cluster func() (client.Client, error)) (string, error) {
	if o.credentialsSecret != "" {
		c, err := cluster()
		if err != nil {
			return "", err
		}
		s := &corev1.Secret{}
		key := client.ObjectKey{Namespace: o.namespace(), Name: o.credentialsSecret}
		if err := c.Get(ctx, key, s); err != nil {
			return "", fmt.Errorf("reading the credentials Secret %s: %w", key, err)
		}
		v := strings.TrimSpace(string(s.Data[v1.CredentialsKey]))
		if v == "" {
			return "", fmt.Errorf("the credentials Secret %s has no key %q", key, v1.CredentialsKey)
		}
		return v, nil
	}
	if v := strings.TrimSpace(os.Getenv(APIKeyEnv)); v != "" {
		return v, nil
	}
	return "", fmt.Errorf("no hookstream API key: set %s, or pass --credentials-secret NAME -n NAMESPACE", APIKeyEnv)
}

func (o *options) hookstream(apiKey string) (*hookstream.Client, error) {
	opts, err := o.hookstreamOptions(apiKey)
	if err != nil {
		return nil, err
	}
	return hookstream.New(opts)
}

// hookstreamOptions are the client options of the flags: --url, --hookstream-trace.
func (o *options) hookstreamOptions(apiKey string) (hookstream.Options, error) {
	opts := hookstream.Options{BaseURL: o.url, APIKey: apiKey}
	if o.trace != "" {
		if o.traceFile == nil {
			f, err := os.OpenFile(o.trace, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
			if err != nil {
				return opts, fmt.Errorf("opening the hookstream trace: %w", err)
			}
			o.traceFile = f
		}
		opts.Trace = o.traceFile
	}
	return opts, nil
}

func (o *options) exportCommand() *cobra.Command {
	var (
		output string
		ids    []string
	)
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write manifests that adopt every destination, source and connection of the API key's project",
		Long: `export reads every destination, source and connection of the API key's hookstream project and writes, for
each, a manifest that adopts it by id (spec.adoptID) and sets every field it has today, so that applying it changes
nothing in hookstream. Connections refer to the exported Sources and Destinations by name. Object names come from
slugs (connections: their names), made valid and unique.

hookstream masks secret values: the manifests read them from Secrets (one per object, e.g.
orders-destination-secrets), which secrets.example.yaml lists with empty values, together with the credentials
Secret. Copy it to secrets.yaml (kept out of Git by the .gitignore export writes; export never writes
secrets.yaml), fill that in and apply it first; an object whose spec reads a Secret gets one PATCH of its secret fields once
the operator sends the values it was given.

With --output, writes one file per object, kustomization.yaml, secrets.example.yaml and .gitignore into the folder; without
it, prints the manifests as one YAML stream. Exports of the same project are byte for byte the same.`,
		Example: `  # Into a folder, for Git
  kubectl hookstream export -n webhooks --output ./hookstream

  # As one stream, reading the key from a Secret of the cluster
  kubectl hookstream export -n webhooks --credentials-secret hookstream-credentials > hookstream.yaml

  # Against another API base URL
  kubectl hookstream export -n webhooks --url http://127.0.0.1:8080/v1

  # Only some remote resources, such as those diff --prune lists
  kubectl hookstream export -n webhooks --id d_123 --id s_456 --output ./adopted

  # The operator runs with --default-credentials-secret hookstream-api-key: objects using it need no credentialsRef
  kubectl hookstream export -n webhooks --default-credentials-secret hookstream-api-key --output ./hookstream`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			key, err := o.apiKey(ctx, o.cluster)
			if err != nil {
				return err
			}
			hs, err := o.hookstream(key)
			if err != nil {
				return err
			}
			exp, err := ExportProject(ctx, hs, ExportOptions{Namespace: o.namespace(), CredentialsSecret: o.credentialsSecret,
				DefaultCredentialsSecret: o.defaultCredentialsSecret, CredentialsInCluster: o.credentialsSecret != "", IDs: ids})
			if err != nil {
				return err
			}
			for _, w := range exp.Warnings {
				fmt.Fprintln(o.stderr, "Warning:", w)
			}
			if output == "" {
				stream, err := exp.Stream()
				if err != nil {
					return err
				}
				_, err = o.stdout.Write(stream)
				return err
			}
			files, err := exp.Files()
			if err != nil {
				return err
			}
			if err := WriteFiles(output, files); err != nil {
				return err
			}
			fmt.Fprintf(o.stderr, "Wrote %d destinations, %d sources and %d connections to %s; copy %s to %s, fill it in and apply it first.\n",
				len(exp.Destinations), len(exp.Sources), len(exp.Connections), output, SecretsExampleFile, SecretsFile)
			return nil
		},
	}
	cmd.Flags().StringVar(&output, "output", "", "folder to write the manifests into, e.g. --output ./hookstream (default: print one YAML stream)")
	cmd.Flags().StringArrayVar(&ids, "id", nil, "export only the remote resource with this id; repeatable, e.g. --id d_123 --id s_456 "+
		"(a Connection whose Source or Destination is not exported names it by id)")
	return cmd
}

func (o *options) diffCommand() *cobra.Command {
	var (
		files []string
		prune bool
	)
	cmd := &cobra.Command{
		Use:   "diff -f FILE|DIR",
		Short: "Show what the operator would change in hookstream for a set of manifests",
		Long: `diff compares each Destination, Source and Connection of the manifests with hookstream exactly as the
operator's controller would (the same mapping, lookup and comparison), and prints, per object, what it would do:
the fields it would update (hookstream's value, then the manifest's; secret values as "(secret)"), or that it would
create, replace, or stop on a conflict. Nothing is written to hookstream or to the cluster.

The status the cluster holds for an object (its hookstream id and the hash of the secret values last applied) is
read through the kubeconfig, as are the Secrets and ConfigMaps the manifests do not carry. A secret field whose
value is nowhere to read is reported as not comparable, not as a change.

With --prune, diff also lists the remote resources of the key's project that no object manages, neither one of
the manifests nor one of the cluster (in every namespace the kubeconfig may list), and the export that adopts them:
a GitOps repository can be checked for completeness in CI.

Exit status, as kubectl diff: 0 no differences, 1 differences (or, with --prune, unmanaged remote resources), 2 an
error.`,
		Example: `  # The folder an export wrote
  kubectl hookstream diff -f ./hookstream -n webhooks

  # In CI: fail when the repository leaves any remote resource of the project unmanaged
  kubectl hookstream diff -f ./hookstream -n webhooks --prune

  # Several files, or standard input
  kubectl hookstream diff -f orders.yaml -f github.yaml -n webhooks
  kustomize build overlays/prod | kubectl hookstream diff -f - -n webhooks`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(files) == 0 {
				return errors.New("no manifests: pass -f FILE, -f DIR or -f -")
			}
			ctx := cmd.Context()
			ns := o.namespace()
			m, err := LoadManifests(files, ns, o.stdin)
			if err != nil {
				return err
			}
			cluster, clusterErr := o.cluster()
			key, err := o.apiKey(ctx, func() (client.Client, error) { return cluster, clusterErr })
			if err != nil {
				return err
			}
			hs, err := o.hookstream(key)
			if err != nil {
				return err
			}
			opts := DiffOptions{Namespace: ns, Hookstream: hs, APIKey: key, Connect: o.hookstream,
				DefaultCredentialsSecret: o.defaultCredentialsSecret,
				Warn:                     func(w string) { fmt.Fprintln(o.stderr, "Warning:", w) }}
			if clusterErr == nil {
				opts.Cluster = cluster
			} else {
				fmt.Fprintf(o.stderr, "Warning: no cluster to read (%v): objects are compared as new ones\n", clusterErr)
			}
			diffs, err := Diff(ctx, m, opts)
			if err != nil {
				return err
			}
			differs := PrintDiff(o.stdout, diffs)
			if prune {
				unowned, err := FindUnowned(ctx, diffs, opts)
				if err != nil {
					return err
				}
				differs = PrintUnowned(o.stdout, ns, unowned) || differs
			}
			if differs {
				return ErrDifferences
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVarP(&files, "filename", "f", nil, "manifest file, folder (read recursively) or - for standard input; repeatable, e.g. -f ./hookstream")
	cmd.Flags().BoolVar(&prune, "prune", false, "also list the remote resources of the key's project that no object of the manifests or the "+
		"cluster manages (exit 1 when there are any), e.g. --prune")
	return cmd
}

func (o *options) statusCommand() *cobra.Command {
	var (
		allNamespaces bool
		format        string
	)
	cmd := &cobra.Command{
		Use:   "status",
		Short: "One table over the hookstream objects of the cluster",
		Long: `status lists every Destination, Source and Connection of the namespace (or of all namespaces with -A):
kind, name, hookstream id, remote state, Ready and its reason, the fields that drift from the spec, the last
delivery (Destinations) or event (Sources, Connections), and, for Destinations, delivery health (the Delivering
condition and the circuit state) where the status has it. It reads the cluster only.`,
		Example: `  # Every namespace
  kubectl hookstream status -A

  # One namespace, as JSON for scripts
  kubectl hookstream status -n webhooks -o json | jq '.[] | select(.ready != "True")'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != formatTable && format != formatJSON {
				return fmt.Errorf("unknown output format %q: use table or json", format)
			}
			c, err := o.cluster()
			if err != nil {
				return err
			}
			ns := o.namespace()
			if allNamespaces {
				ns = ""
			}
			rows, err := CollectStatus(cmd.Context(), c, ns)
			if err != nil {
				return err
			}
			if format == formatJSON {
				return PrintStatusJSON(o.stdout, rows)
			}
			return PrintStatus(o.stdout, rows, allNamespaces)
		},
	}
	cmd.Flags().BoolVarP(&allNamespaces, "all-namespaces", "A", false, "list the objects of every namespace, e.g. -A")
	cmd.Flags().StringVarP(&format, "output", "o", formatTable, "output format: table or json, e.g. -o json")
	return cmd
}

func (o *options) doctorCommand() *cobra.Command {
	var (
		allNamespaces bool
		format        string
		opts          = DoctorOptions{}
	)
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the CRDs, the manager, the credentials and the objects, and say what to fix",
		Long: `doctor checks, in order:

  - the CRDs: installed, and serving the version this plugin knows;
  - the manager: its leader election Lease in --lease-namespace held and renewed within its lease duration, and
    the operator's Deployments there available (a manager run outside the cluster has only the Lease);
  - every credentials Secret an object of the namespace (-A: of every namespace) reads (spec.credentialsRef, else
    --default-credentials-secret): present, its key "apiKey" not blank, accepted by hookstream in one read
    (--url), the project it names, the rate-limit headroom and the clock skew the answer shows;
  - the objects that are not Ready, grouped by kind and reason, each group with its fix.

It writes nothing and never prints a key. Exit status: 0 healthy (warnings allowed), 1 problems found, 2 could not
check (the API server unreachable, or a check without permission or without an answer from hookstream).`,
		Example: `  # Every namespace, the manager installed by the chart in hookstream-system
  kubectl hookstream doctor -A

  # A manager started elsewhere with --leader-election-namespace ops --leader-election-id hookstream-a
  kubectl hookstream doctor -n webhooks --lease-namespace ops --lease-name hookstream-a

  # As JSON for scripts
  kubectl hookstream doctor -A -o json | jq '.checks[] | select(.status != "ok")'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != formatText && format != formatJSON {
				return fmt.Errorf("unknown output format %q: use text or json", format)
			}
			c, err := o.cluster()
			if err != nil {
				return err
			}
			opts.Namespace = o.namespace()
			if allNamespaces {
				opts.Namespace = ""
			}
			opts.DefaultCredentialsSecret = o.defaultCredentialsSecret
			opts.Probe = func(ctx context.Context, apiKey string) ProbeResult {
				hs, err := o.hookstreamOptions(apiKey)
				if err != nil {
					return ProbeResult{Err: err}
				}
				return ProbeKey(ctx, hs)
			}
			report, err := Doctor(cmd.Context(), c, opts)
			if err != nil {
				return err
			}
			if format == formatJSON {
				err = PrintDoctorJSON(o.stdout, report)
			} else {
				err = PrintDoctor(o.stdout, report)
			}
			if err != nil {
				return err
			}
			return report.Err()
		},
	}
	cmd.Flags().BoolVarP(&allNamespaces, "all-namespaces", "A", false, "check the objects of every namespace, e.g. -A")
	cmd.Flags().StringVarP(&format, "output", "o", formatText, "output format: text or json, e.g. -o json")
	cmd.Flags().StringVar(&opts.LeaseNamespace, "lease-namespace", DefaultLeaseNamespace,
		"namespace of the manager's leader election Lease and Deployment (its --leader-election-namespace), e.g. --lease-namespace ops")
	cmd.Flags().StringArrayVar(&opts.LeaseNames, "lease-name", nil,
		"the manager's Lease (its --leader-election-id); repeatable (default: the Deployments' --leader-election-id, "+
			"else every Lease named hookstream-operator*, else "+DefaultLeaseName+"), e.g. --lease-name hookstream-a")
	cmd.Flags().DurationVar(&opts.MaxClockSkew, "max-clock-skew", DefaultMaxClockSkew,
		"clock skew between this machine and hookstream reported as a problem, e.g. --max-clock-skew 10s")
	return cmd
}
