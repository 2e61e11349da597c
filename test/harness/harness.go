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
*/

// Package harness runs the built manager and emulator binaries as processes against a real control plane, for the
// end-to-end tests, the fault suite and the benchmark. The manager authenticates with a token of the ServiceAccount
// that config/rbac defines, so a missing RBAC rule fails whatever runs on it.
package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/hookstream/hookstream-operator/internal/emulator"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/test/testenv"
)

const (
	// APIKey is the hookstream API key of the emulator's project.
	APIKey = "hs_test_e2e0000000000000000000000000000000000000000000000000000000001"
	// ManagerNamespace holds the manager's ServiceAccount and RBAC.
	ManagerNamespace = "hookstream-system"
)

// Env is a control plane with the CRD and the manager's RBAC installed, and the binaries to run on it.
type Env struct {
	Root            string
	Dir             string // scratch folder: binaries, kubeconfigs, logs
	ControlPlane    *envtest.Environment
	AdminKubeconfig string
	SAKubeconfig    string // a token of the manager's ServiceAccount
	KubectlPath     string
	ManagerBin      string
	EmulatorBin     string
}

// Setup builds the binaries, starts the control plane and installs the RBAC. Call the returned function to stop
// and clean up.
func Setup() (*Env, func(), error) {
	root, err := testenv.RepoRoot()
	if err != nil {
		return nil, nil, err
	}
	dir, err := os.MkdirTemp("", "hookstream-harness-")
	if err != nil {
		return nil, nil, err
	}
	e := &Env{Root: root, Dir: dir}
	cleanup := func() {
		if e.ControlPlane != nil {
			_ = e.ControlPlane.Stop()
		}
		_ = os.RemoveAll(dir)
	}
	if err := e.setup(); err != nil {
		cleanup()
		return nil, nil, err
	}
	return e, cleanup, nil
}

func (e *Env) setup() error {
	e.KubectlPath = filepath.Join(os.Getenv("KUBEBUILDER_ASSETS"), "kubectl")
	if _, err := os.Stat(e.KubectlPath); err != nil {
		return fmt.Errorf("kubectl is not among the control-plane binaries (%v): run `make setup-envtest`", err)
	}
	e.ManagerBin = filepath.Join(e.Dir, "manager")
	e.EmulatorBin = filepath.Join(e.Dir, "hookstream-emulator")
	for bin, pkg := range map[string]string{e.ManagerBin: "./cmd", e.EmulatorBin: "./cmd/hookstream-emulator"} {
		cmd := exec.Command("go", "build", "-o", bin, pkg)
		cmd.Dir = e.Root
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("building %s: %v\n%s", pkg, err, out)
		}
	}
	var err error
	if e.ControlPlane, e.AdminKubeconfig, err = StartControlPlane(e.Dir); err != nil {
		return err
	}
	return e.installRBAC()
}

// StartControlPlane starts kube-apiserver and etcd with the CRDs installed and writes a cluster-admin kubeconfig
// into dir.
func StartControlPlane(dir string) (*envtest.Environment, string, error) {
	cp, err := testenv.Start()
	if err != nil {
		return nil, "", err
	}
	admin, err := cp.AddUser(envtest.User{Name: "harness-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		_ = cp.Stop()
		return nil, "", err
	}
	kubeconfig, err := admin.KubeConfig()
	if err == nil {
		path := filepath.Join(dir, "admin.kubeconfig")
		if err = os.WriteFile(path, kubeconfig, 0o600); err == nil {
			return cp, path, nil
		}
	}
	_ = cp.Stop()
	return nil, "", err
}

// installRBAC applies config/rbac into the manager's namespace and writes a kubeconfig holding a token of its
// ServiceAccount: the manager runs with exactly the permissions the project ships.
func (e *Env) installRBAC() error {
	if _, err := e.Kubectl("create", "namespace", ManagerNamespace); err != nil {
		return err
	}
	kdir := filepath.Join(e.Dir, "rbac")
	if err := os.MkdirAll(kdir, 0o755); err != nil {
		return err
	}
	rbac, err := filepath.Rel(kdir, filepath.Join(e.Root, "config", "rbac"))
	if err != nil {
		return err
	}
	kustomization := fmt.Sprintf("namespace: %s\nresources:\n- %s\n", ManagerNamespace, rbac)
	if err := os.WriteFile(filepath.Join(kdir, "kustomization.yaml"), []byte(kustomization), 0o644); err != nil {
		return err
	}
	if _, err := e.Kubectl("apply", "-k", kdir); err != nil {
		return err
	}
	token, err := e.Kubectl("create", "token", "controller-manager", "-n", ManagerNamespace, "--duration=8h")
	if err != nil {
		return err
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["envtest"] = &clientcmdapi.Cluster{
		Server: e.ControlPlane.Config.Host, CertificateAuthorityData: e.ControlPlane.Config.CAData}
	cfg.AuthInfos["manager"] = &clientcmdapi.AuthInfo{Token: strings.TrimSpace(token)}
	cfg.Contexts["manager"] = &clientcmdapi.Context{Cluster: "envtest", AuthInfo: "manager", Namespace: ManagerNamespace}
	cfg.CurrentContext = "manager"
	e.SAKubeconfig = filepath.Join(e.Dir, "manager.kubeconfig")
	return clientcmd.WriteToFile(*cfg, e.SAKubeconfig)
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

// MustKubectl runs kubectl and fails the test on error.
func (e *Env) MustKubectl(t testing.TB, args ...string) string {
	t.Helper()
	out, err := e.Kubectl(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Apply applies a YAML manifest into the namespace.
func (e *Env) Apply(t testing.TB, namespace, manifest string) {
	t.Helper()
	if _, err := e.KubectlStdin(strings.NewReader(manifest), "apply", "-n", namespace, "-f", "-"); err != nil {
		t.Fatal(err)
	}
}

// NewNamespace creates a namespace holding the default credentials Secret with APIKey.
func (e *Env) NewNamespace(t testing.TB, prefix string) string {
	t.Helper()
	ns := fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano()%1_000_000)
	e.MustKubectl(t, "create", "namespace", ns)
	e.MustKubectl(t, "create", "secret", "generic", "hookstream-credentials", "-n", ns, "--from-literal=apiKey="+APIKey)
	return ns
}

// FreePort returns a TCP port free on the loopback interface.
func FreePort(t testing.TB) int {
	t.Helper()
	port, err := FreeLoopbackPort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// FreeLoopbackPort returns a TCP port free on the loopback interface.
func FreeLoopbackPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Process is a running binary whose output is kept in a file.
type Process struct {
	Name    string
	Cmd     *exec.Cmd
	LogPath string
	done    chan struct{}
}

// Start runs a binary in its own process group; the test's cleanup stops it.
func (e *Env) Start(t testing.TB, name, bin string, env []string, args ...string) *Process {
	t.Helper()
	p, err := StartProcess(e.Dir, name, bin, env, args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return p
}

// StartProcess runs a binary in its own process group, its output in a log file in dir.
func StartProcess(dir, name, bin string, env []string, args ...string) (*Process, error) {
	logPath := filepath.Join(dir, fmt.Sprintf("%s-%d.log", name, time.Now().UnixNano()))
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, err
	}
	p := &Process{Name: name, Cmd: cmd, LogPath: logPath, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); _ = logFile.Close(); close(p.done) }()
	return p, nil
}

// Kill ends the process and its children at once, as a crash would.
func (p *Process) Kill() {
	_ = syscall.Kill(-p.Cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

// Stop asks the process and its children to end and waits for them.
func (p *Process) Stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.Cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.Kill()
	}
}

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Logs returns what the process printed so far.
func (p *Process) Logs() string {
	b, _ := os.ReadFile(p.LogPath)
	return string(b)
}

// Emulator is the hookstream emulator binary, with its admin API.
type Emulator struct {
	*Process
	URL string // base URL, without /v1
}

// StartEmulator runs the emulator with APIKey and the admin API on a free port.
func (e *Env) StartEmulator(t testing.TB, extraArgs ...string) *Emulator {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", FreePort(t))
	args := append([]string{"--addr", addr, "--api-key", APIKey, "--admin"}, extraArgs...)
	emu := &Emulator{Process: e.Start(t, "emulator", e.EmulatorBin, nil, args...), URL: "http://" + addr}
	WaitUntil(t, 10*time.Second, "emulator ready", func() error {
		resp, err := http.Get(emu.URL + "/healthz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	})
	return emu
}

// Stats returns the emulator's request counts.
func (emu *Emulator) Stats(t testing.TB) emulator.Stats {
	t.Helper()
	var st emulator.Stats
	emu.Admin(t, http.MethodGet, "/_emulator/stats", nil, &st)
	return st
}

// SetFaults replaces the emulator's injected faults.
func (emu *Emulator) SetFaults(t testing.TB, f emulator.Faults) {
	t.Helper()
	emu.Admin(t, http.MethodPut, "/_emulator/faults", f, nil)
}

// ClearFaults removes the emulator's injected faults.
func (emu *Emulator) ClearFaults(t testing.TB) {
	t.Helper()
	emu.Admin(t, http.MethodDelete, "/_emulator/faults", nil, nil)
}

// Client returns a hookstream client of APIKey against the emulator.
func (emu *Emulator) Client(t testing.TB) *hookstream.Client {
	t.Helper()
	hs, err := hookstream.New(hookstream.Options{BaseURL: emu.URL + "/v1", APIKey: APIKey})
	if err != nil {
		t.Fatal(err)
	}
	return hs
}

// Admin calls the emulator's admin API, decoding the answer into out when it is not nil.
func (emu *Emulator) Admin(t testing.TB, method, path string, body, out any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, emu.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: decoding %s: %v", method, path, data, err)
		}
	}
}

// ManagerArgs are the flags StartManager passes before its extra ones (a later flag overrides an earlier one).
func ManagerArgs(t testing.TB, emu *Emulator) []string {
	return []string{
		"--hookstream-url", emu.URL + "/v1",
		"--metrics-bind-address", "0",
		"--health-probe-bind-address", fmt.Sprintf("127.0.0.1:%d", FreePort(t)),
		"--drift-interval", "10m",
		"--hookstream-rate-limit", "200", "--hookstream-rate-burst", "200",
	}
}

// StartManager runs the manager binary as the ServiceAccount, against the emulator, for the Destinations of one
// namespace (so that tests sharing the control plane do not see each other's).
func (e *Env) StartManager(t testing.TB, emu *Emulator, namespace string, extraArgs ...string) *Process {
	t.Helper()
	args := append(ManagerArgs(t, emu), "--watch-namespaces", namespace)
	return e.Start(t, "manager", e.ManagerBin, []string{"KUBECONFIG=" + e.SAKubeconfig}, append(args, extraArgs...)...)
}

// WaitUntil polls cond every 100 ms until it returns nil, failing the test with its last error after limit.
func WaitUntil(t testing.TB, limit time.Duration, what string, cond func() error) {
	t.Helper()
	if err := WaitFor(limit, what, cond); err != nil {
		t.Fatal(err)
	}
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

// Receiver is a local HTTP server that records the deliveries it gets.
type Receiver struct {
	URL      string
	srv      *http.Server
	mu       sync.Mutex
	requests []*http.Request
}

// NewReceiver starts a receiver that answers 204; the test's cleanup stops it.
func NewReceiver(t testing.TB) *Receiver {
	t.Helper()
	r, err := StartReceiver()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

// StartReceiver starts a receiver that answers 204 on a free loopback port.
func StartReceiver() (*Receiver, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Receiver{URL: "http://" + l.Addr().String()}
	r.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		r.mu.Lock()
		r.requests = append(r.requests, req)
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = r.srv.Serve(l) }()
	return r, nil
}

// Close stops the receiver.
func (r *Receiver) Close() { _ = r.srv.Shutdown(context.Background()) }

// Received returns the requests received so far.
func (r *Receiver) Received() []*http.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*http.Request(nil), r.requests...)
}
