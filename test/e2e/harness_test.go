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
*/ // Package e2e runs the built manager and emulator binaries as processes against a real control plane, driven with
// the real kubectl. The manager authenticates with a token of the ServiceAccount that config/rbac defines, so a
// missing RBAC rule fails these tests.
package e2e

import (
	"bufio"
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

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/hookstream/hookstream-operator/internal/emulator"
	"github.com/hookstream/hookstream-operator/test/testenv"
)

const (
	apiKey           = "hs_test_e2e0000000000000000000000000000000000000000000000000000000001"
	managerNamespace = "hookstream-system"
)

// suite is the environment shared by the tests of the package.
type suite struct {
	root            string
	dir             string // scratch folder: binaries, kubeconfigs, logs
	env             *envtest.Environment
	adminKubeconfig string
	saKubeconfig    string
	kubectlPath     string
	managerBin      string
	emulatorBin     string
}

var s *suite

func TestMain(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		code = 1
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	root, err := testenv.RepoRoot()
	if err != nil {
		return 1, err
	}
	dir, err := os.MkdirTemp("", "hookstream-e2e-")
	if err != nil {
		return 1, err
	}
	defer os.RemoveAll(dir)
	s = &suite{root: root, dir: dir}

	s.kubectlPath = filepath.Join(os.Getenv("KUBEBUILDER_ASSETS"), "kubectl")
	if _, err := os.Stat(s.kubectlPath); err != nil {
		return 1, fmt.Errorf("kubectl is not among the control-plane binaries (%v): run `make setup-envtest`", err)
	}
	s.managerBin = filepath.Join(dir, "manager")
	s.emulatorBin = filepath.Join(dir, "hookstream-emulator")
	for bin, pkg := range map[string]string{s.managerBin: "./cmd", s.emulatorBin: "./cmd/hookstream-emulator"} {
		cmd := exec.Command("go", "build", "-o", bin, pkg)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return 1, fmt.Errorf("building %s: %v\n%s", pkg, err, out)
		}
	}

	s.env, err = testenv.Start()
	if err != nil {
		return 1, err
	}
	defer func() { _ = s.env.Stop() }()
	admin, err := s.env.AddUser(envtest.User{Name: "e2e-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return 1, err
	}
	kubeconfig, err := admin.KubeConfig()
	if err != nil {
		return 1, err
	}
	s.adminKubeconfig = filepath.Join(dir, "admin.kubeconfig")
	if err := os.WriteFile(s.adminKubeconfig, kubeconfig, 0o600); err != nil {
		return 1, err
	}
	if err := s.installRBAC(); err != nil {
		return 1, err
	}
	return m.Run(), nil
}

// installRBAC applies config/rbac into the manager's namespace and writes a kubeconfig holding a token of its
// ServiceAccount: the manager runs with exactly the permissions the project ships.
func (s *suite) installRBAC() error {
	if _, err := s.kubectl("create", "namespace", managerNamespace); err != nil {
		return err
	}
	kdir := filepath.Join(s.dir, "rbac")
	if err := os.MkdirAll(kdir, 0o755); err != nil {
		return err
	}
	rbac, err := filepath.Rel(kdir, filepath.Join(s.root, "config", "rbac"))
	if err != nil {
		return err
	}
	kustomization := fmt.Sprintf("namespace: %s\nresources:\n- %s\n", managerNamespace, rbac)
	if err := os.WriteFile(filepath.Join(kdir, "kustomization.yaml"), []byte(kustomization), 0o644); err != nil {
		return err
	}
	if _, err := s.kubectl("apply", "-k", kdir); err != nil {
		return err
	}
	token, err := s.kubectl("create", "token", "controller-manager", "-n", managerNamespace, "--duration=4h")
	if err != nil {
		return err
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["envtest"] = &clientcmdapi.Cluster{Server: s.env.Config.Host, CertificateAuthorityData: s.env.Config.CAData}
	cfg.AuthInfos["manager"] = &clientcmdapi.AuthInfo{Token: strings.TrimSpace(token)}
	cfg.Contexts["manager"] = &clientcmdapi.Context{Cluster: "envtest", AuthInfo: "manager", Namespace: managerNamespace}
	cfg.CurrentContext = "manager"
	s.saKubeconfig = filepath.Join(s.dir, "manager.kubeconfig")
	return clientcmd.WriteToFile(*cfg, s.saKubeconfig)
}

// kubectl runs the real kubectl as the cluster admin and returns its standard output.
func (s *suite) kubectl(args ...string) (string, error) {
	return s.kubectlStdin(nil, args...)
}

func (s *suite) kubectlStdin(stdin io.Reader, args ...string) (string, error) {
	cmd := exec.Command(s.kubectlPath, append([]string{"--kubeconfig", s.adminKubeconfig}, args...)...)
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("kubectl %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), nil
}

func mustKubectl(t *testing.T, args ...string) string {
	t.Helper()
	out, err := s.kubectl(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func applyYAML(t *testing.T, namespace, manifest string) {
	t.Helper()
	if _, err := s.kubectlStdin(strings.NewReader(manifest), "apply", "-n", namespace, "-f", "-"); err != nil {
		t.Fatal(err)
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// process is a running binary whose output is kept in a file.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
}

func (s *suite) start(t testing.TB, name, bin string, env []string, args ...string) *process {
	t.Helper()
	logPath := filepath.Join(s.dir, fmt.Sprintf("%s-%d.log", name, time.Now().UnixNano()))
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); _ = logFile.Close(); close(p.done) }()
	t.Cleanup(func() { p.stop() })
	return p
}

// kill ends the process at once, as a crash would.
func (p *process) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop asks the process to end and waits for it.
func (p *process) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.kill()
	}
}

func (p *process) logs() string {
	b, _ := os.ReadFile(p.logPath)
	return string(b)
}

// emulatorProcess is the hookstream emulator binary, with its admin API.
type emulatorProcess struct {
	*process
	url string // base URL, without /v1
}

func (s *suite) startEmulator(t testing.TB, extraArgs ...string) *emulatorProcess {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	args := append([]string{"--addr", addr, "--api-key", apiKey, "--admin"}, extraArgs...)
	e := &emulatorProcess{process: s.start(t, "emulator", s.emulatorBin, nil, args...), url: "http://" + addr}
	waitUntil(t, 10*time.Second, "emulator ready", func() error {
		resp, err := http.Get(e.url + "/_emulator/stats")
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	})
	return e
}

func (e *emulatorProcess) stats(t testing.TB) emulator.Stats {
	t.Helper()
	var st emulator.Stats
	e.admin(t, http.MethodGet, "/_emulator/stats", nil, &st)
	return st
}

func (e *emulatorProcess) admin(t testing.TB, method, path string, body, out any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
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

// startManager runs the manager binary as the ServiceAccount, against the emulator.
func (s *suite) startManager(t testing.TB, e *emulatorProcess, extraArgs ...string) *process {
	t.Helper()
	args := append([]string{
		"--hookstream-url", e.url + "/v1",
		"--metrics-bind-address", "0",
		"--health-probe-bind-address", fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		"--drift-interval", "10m",
		"--hookstream-rate-limit", "200", "--hookstream-rate-burst", "200",
	}, extraArgs...)
	return s.start(t, "manager", s.managerBin, []string{"KUBECONFIG=" + s.saKubeconfig}, args...)
}

func waitUntil(t testing.TB, limit time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(limit)
	var err error
	for time.Now().Before(deadline) {
		if err = cond(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: not true after %s: %v", what, limit, err)
}

// newNamespace creates a namespace holding the default credentials Secret.
func newNamespace(t *testing.T, name string) string {
	t.Helper()
	ns := fmt.Sprintf("%s-%d", name, time.Now().UnixNano()%1_000_000)
	mustKubectl(t, "create", "namespace", ns)
	mustKubectl(t, "create", "secret", "generic", "hookstream-credentials", "-n", ns, "--from-literal=apiKey="+apiKey)
	return ns
}

// receiver is a local HTTP server that records the deliveries it gets.
type receiver struct {
	mu       sync.Mutex
	requests []*http.Request
	url      string
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	r := &receiver{}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		r.mu.Lock()
		r.requests = append(r.requests, req)
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	r.url = "http://" + l.Addr().String()
	return r
}

func (r *receiver) received() []*http.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*http.Request(nil), r.requests...)
}

// restConfig is the admin's client configuration, for checks that kubectl makes awkward.
func (s *suite) restConfig() *rest.Config { return rest.CopyConfig(s.env.Config) }

// lines splits command output into its non-empty lines.
func lines(out string) []string {
	var res []string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			res = append(res, l)
		}
	}
	return res
}
