// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

// Package harness runs the manager and emulator binaries as processes against a real control plane, for the
// end-to-end tests, the fault suite, the benchmark and the local environment of `make demo` and `make dev`. Every
// function returns its errors: nothing here fails a test or panics, so that a program that is not a test can use
// it. Package harnesstest wraps the calls that tests make most often.
//
// In the tests the manager authenticates with a token of the ServiceAccount that config/rbac defines, so a missing
// RBAC rule fails whatever runs on it.
package harness

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/hookstream/hookstream-operator/test/testenv"
)

const (
	// APIKey is the hookstream API key of the emulator's project.
	APIKey = "hs_test_e2e0000000000000000000000000000000000000000000000000000000001"
	// ManagerNamespace holds the manager's ServiceAccount and RBAC.
	ManagerNamespace = "hookstream-system"
)

// Options says how Start prepares an environment.
type Options struct {
	// BinDir holds already built manager and hookstream-emulator binaries. When empty, Start builds them into the
	// scratch folder.
	BinDir string
	// ServiceAccount installs config/rbac and writes SAKubeconfig, a token of the manager's ServiceAccount.
	ServiceAccount bool
	// KeepDir leaves the scratch folder (binaries, kubeconfigs, logs) in place when the environment stops.
	KeepDir bool
	// Progress, when set, is called before each slow step.
	Progress func(step string)
	// CRDDir and RBACDir hold the CRDs and the kustomization of the manager's RBAC to install; empty means the
	// repository's config/crd/bases and config/rbac (the upgrade test starts from an earlier commit's).
	CRDDir, RBACDir string
}

// Env is a control plane with the CRD (and, with Options.ServiceAccount, the manager's RBAC) installed, and the
// binaries to run on it.
type Env struct {
	Root            string
	Dir             string // scratch folder: binaries, kubeconfigs, logs
	ControlPlane    *envtest.Environment
	AdminKubeconfig string
	SAKubeconfig    string // a token of the manager's ServiceAccount
	KubectlPath     string
	ManagerBin      string
	EmulatorBin     string

	keepDir bool
	mu      sync.Mutex
	procs   []*Process
}

// Setup is what the test suites run on: freshly built binaries and the manager's ServiceAccount. Call the returned
// function to stop everything and clean up.
func Setup() (*Env, func(), error) {
	e, err := Start(Options{ServiceAccount: true})
	if err != nil {
		return nil, nil, err
	}
	return e, func() { _ = e.Stop() }, nil
}

// Start finds or builds the binaries and starts the control plane. Stop ends it and every process started through
// the environment.
func Start(opts Options) (*Env, error) {
	root, err := testenv.RepoRoot()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "hookstream-harness-")
	if err != nil {
		return nil, err
	}
	e := &Env{Root: root, Dir: dir, keepDir: opts.KeepDir}
	if err := e.start(opts); err != nil {
		_ = e.Stop()
		return nil, err
	}
	return e, nil
}

func (e *Env) start(opts Options) error {
	progress := opts.Progress
	if progress == nil {
		progress = func(string) {}
	}
	e.KubectlPath = filepath.Join(os.Getenv("KUBEBUILDER_ASSETS"), "kubectl")
	if _, err := os.Stat(e.KubectlPath); err != nil {
		return fmt.Errorf("kubectl is not among the control-plane binaries (%v): run `make setup-envtest`", err)
	}
	if opts.BinDir != "" {
		e.ManagerBin = filepath.Join(opts.BinDir, "manager")
		e.EmulatorBin = filepath.Join(opts.BinDir, "hookstream-emulator")
		for _, bin := range []string{e.ManagerBin, e.EmulatorBin} {
			if _, err := os.Stat(bin); err != nil {
				return fmt.Errorf("%s is missing: run `make build-binaries` first", bin)
			}
		}
	} else {
		progress("Building the manager and the emulator")
		e.ManagerBin = filepath.Join(e.Dir, "manager")
		e.EmulatorBin = filepath.Join(e.Dir, "hookstream-emulator")
		for bin, pkg := range map[string]string{e.ManagerBin: "./cmd", e.EmulatorBin: "./cmd/hookstream-emulator"} {
			if err := testenv.GoBuild(e.Root, bin, pkg); err != nil {
				return err
			}
		}
	}
	progress("Starting a local control plane (kube-apiserver and etcd) with the Destination CRD")
	if err := e.startControlPlane(opts.CRDDir); err != nil {
		return err
	}
	if !opts.ServiceAccount {
		return nil
	}
	return e.installRBAC(opts.RBACDir)
}

// Stop ends every process started through the environment that is still running, newest first, then the control
// plane, and removes the scratch folder unless Options.KeepDir asked to keep it.
func (e *Env) Stop() error {
	e.mu.Lock()
	procs := e.procs
	e.procs = nil
	e.mu.Unlock()
	for _, proc := range slices.Backward(procs) {
		proc.Stop()
	}
	var err error
	if e.ControlPlane != nil {
		if err = e.ControlPlane.Stop(); err != nil {
			err = fmt.Errorf("stopping the control plane: %w", err)
		}
		e.ControlPlane = nil
	}
	if !e.keepDir {
		err = errors.Join(err, os.RemoveAll(e.Dir))
	}
	return err
}

// startControlPlane starts kube-apiserver and etcd with the CRDs of crdDir ("" for the repository's) installed and
// writes a cluster-admin kubeconfig into the scratch folder.
func (e *Env) startControlPlane(crdDir string) error {
	cp, err := testenv.StartWithCRDs(crdDir)
	if err != nil {
		return err
	}
	e.ControlPlane = cp
	admin, err := cp.AddUser(envtest.User{Name: "harness-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return err
	}
	kubeconfig, err := admin.KubeConfig()
	if err != nil {
		return err
	}
	e.AdminKubeconfig = filepath.Join(e.Dir, "admin.kubeconfig")
	return os.WriteFile(e.AdminKubeconfig, kubeconfig, 0o600)
}

// installRBAC applies the RBAC of rbacDir ("" for config/rbac) into the manager's namespace and writes a kubeconfig
// holding a token of its ServiceAccount: the manager runs with exactly the permissions the project ships.
func (e *Env) installRBAC(rbacDir string) error {
	if _, err := e.Kubectl("create", "namespace", ManagerNamespace); err != nil {
		return err
	}
	if err := e.ApplyRBAC(rbacDir); err != nil {
		return err
	}
	token, err := e.Kubectl("create", "token", "controller-manager", "-n", ManagerNamespace, "--duration=8h")
	if err != nil {
		return err
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["envtest"] = &clientcmdapi.Cluster{
		Server: e.ControlPlane.Config.Host, CertificateAuthorityData: e.ControlPlane.Config.CAData,
	}
	cfg.AuthInfos["manager"] = &clientcmdapi.AuthInfo{Token: strings.TrimSpace(token)}
	cfg.Contexts["manager"] = &clientcmdapi.Context{Cluster: "envtest", AuthInfo: "manager", Namespace: ManagerNamespace}
	cfg.CurrentContext = "manager"
	e.SAKubeconfig = filepath.Join(e.Dir, "manager.kubeconfig")
	return clientcmd.WriteToFile(*cfg, e.SAKubeconfig)
}

// ApplyRBAC applies the kustomization of the manager's RBAC in rbacDir ("" for config/rbac) into the manager's
// namespace, as an upgrade or a rollback does.
func (e *Env) ApplyRBAC(rbacDir string) error {
	if rbacDir == "" {
		rbacDir = filepath.Join(e.Root, "config", "rbac")
	}
	kdir, err := os.MkdirTemp(e.Dir, "rbac-")
	if err != nil {
		return err
	}
	rbac, err := filepath.Rel(kdir, rbacDir)
	if err != nil {
		return err
	}
	kustomization := fmt.Sprintf("namespace: %s\nresources:\n- %s\n", ManagerNamespace, rbac)
	if err := os.WriteFile(filepath.Join(kdir, "kustomization.yaml"), []byte(kustomization), 0o644); err != nil {
		return err
	}
	_, err = e.Kubectl("apply", "-k", kdir)
	return err
}

// ApplyCRDs replaces the installed CRDs with those of crdDir ("" for config/crd/bases), as an upgrade or a rollback
// does (server-side apply, taking the fields over from whoever wrote them), and waits until they are established.
func (e *Env) ApplyCRDs(crdDir string) error {
	if crdDir == "" {
		crdDir = filepath.Join(e.Root, "config", "crd", "bases")
	}
	if _, err := e.Kubectl("apply", "--server-side", "--force-conflicts", "-f", crdDir); err != nil {
		return err
	}
	_, err := e.Kubectl("wait", "--for", "condition=Established", "--timeout", "60s", "-f", crdDir)
	return err
}

// Kubectl runs the real kubectl as the cluster admin and returns its standard output.
func (e *Env) Kubectl(args ...string) (string, error) {
	return e.KubectlStdin(nil, args...)
}

// KubectlStdin runs kubectl with the given standard input.
func (e *Env) KubectlStdin(stdin io.Reader, args ...string) (string, error) {
	cmd := exec.Command(e.KubectlPath, append([]string{"--kubeconfig", e.AdminKubeconfig}, args...)...)
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("kubectl %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), nil
}

// Apply applies a YAML manifest into the namespace.
func (e *Env) Apply(namespace, manifest string) error {
	_, err := e.KubectlStdin(strings.NewReader(manifest), "apply", "-n", namespace, "-f", "-")
	return err
}

// NewNamespace creates a namespace holding the default credentials Secret with APIKey.
func (e *Env) NewNamespace(prefix string) (string, error) {
	ns := fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano()%1_000_000)
	if _, err := e.Kubectl("create", "namespace", ns); err != nil {
		return "", err
	}
	_, err := e.Kubectl("create", "secret", "generic", "hookstream-credentials", "-n", ns, "--from-literal=apiKey="+APIKey)
	return ns, err
}

// Start runs a binary in its own process group, its output in a log file of the scratch folder; Stop ends it if
// nothing else did.
func (e *Env) Start(name, bin string, env []string, args ...string) (*Process, error) {
	p, err := StartProcess(e.Dir, name, bin, env, args...)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.procs = append(e.procs, p)
	e.mu.Unlock()
	return p, nil
}

// ManagerArgs are the flags StartManager passes before its extra ones (a later flag overrides an earlier one).
func ManagerArgs(emu *Emulator) []string {
	return []string{
		"--hookstream-url", emu.URL + "/v1",
		"--metrics-bind-address", "0",
		// Nothing here reads the probes; a port picked in advance could be taken by another process meanwhile.
		"--health-probe-bind-address", "0",
		"--drift-interval", "10m",
		"--hookstream-rate-limit", "200", "--hookstream-rate-burst", "200",
	}
}

// MetricsArgs make the manager serve its metrics over plain HTTP on a loopback port that it binds itself: a port
// picked here in advance could be taken by another process before the manager binds it. MetricsURL finds the port.
var MetricsArgs = []string{"--metrics-bind-address", "127.0.0.1:0", "--metrics-secure=false"}

// MetricsURL waits until a manager started with MetricsArgs serves its metrics, and returns the URL of its /metrics.
func MetricsURL(mgr *Process) (string, error) {
	base, err := mgr.ServingURL(60*time.Second, "/metrics")
	if err != nil {
		return "", err
	}
	return base + "/metrics", nil
}

// StartManager runs the manager binary as the ServiceAccount, against the emulator, for the objects of one
// namespace (so that tests sharing the control plane do not see each other's).
func (e *Env) StartManager(emu *Emulator, namespace string, extraArgs ...string) (*Process, error) {
	return e.StartManagerBinary(e.ManagerBin, emu, namespace, extraArgs...)
}

// StartManagerBinary is StartManager with another manager binary, such as an earlier commit's.
func (e *Env) StartManagerBinary(bin string, emu *Emulator, namespace string, extraArgs ...string) (*Process, error) {
	if e.SAKubeconfig == "" {
		return nil, errors.New("the environment has no ServiceAccount for the manager (Options.ServiceAccount)")
	}
	args := append(append(ManagerArgs(emu), "--watch-namespaces", namespace), extraArgs...)
	return e.Start("manager", bin, []string{"KUBECONFIG=" + e.SAKubeconfig}, args...)
}

// WaitFor polls cond every 100 ms until it returns nil, or returns its last error after limit.
func WaitFor(limit time.Duration, what string, cond func() error) error {
	deadline := time.Now().Add(limit)
	for {
		err := cond()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not true after %s: %w", what, limit, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
