// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

// Command localenv runs the operator locally on a real control plane (the kube-apiserver and etcd built by
// `make setup-envtest`), with the hookstream emulator standing in for hookstream.
//
//	go run ./hack/localenv demo   a scripted, non-interactive tour that fails loudly if a step does not happen
//	go run ./hack/localenv dev    the same environment left running until Ctrl-C
//
// It runs on the test harness (test/harness) and expects bin/manager and bin/hookstream-emulator (`make
// build-binaries`) and KUBEBUILDER_ASSETS (`make -s envtest-assets`); `make demo` and `make dev` provide both.
package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/hookstream/hookstream-operator/internal/emulator"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/test/harness"
	"github.com/hookstream/hookstream-operator/test/testenv"
)

const namespace = "demo"

// demoMode is the default mode: the scripted tour.
const demoMode = "demo"

func main() {
	mode := demoMode
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	if mode != demoMode && mode != "dev" {
		fmt.Fprintln(os.Stderr, "usage: localenv demo|dev")
		os.Exit(2)
	}
	env := &localEnv{}
	err := env.start()
	if err == nil {
		if mode == demoMode {
			err = env.tour()
		} else {
			env.waitForInterrupt()
		}
	}
	env.stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "\n\033[1;31mFAILED:\033[0m %v\n", err)
		os.Exit(1)
	}
}

// localEnv is the harness environment (control plane and binaries), the emulator, the manager and a local webhook
// receiver.
type localEnv struct {
	*harness.Env
	apiKey   string
	emu      *harness.Emulator
	receiver *harness.Receiver
	step     int
}

func say(format string, args ...any) { fmt.Printf(format+"\n", args...) }

func (e *localEnv) heading(title string) {
	e.step++
	fmt.Printf("\n\033[1;34m==> [%d] %s\033[0m\n", e.step, title)
}

func (e *localEnv) start() error {
	root, err := testenv.RepoRoot()
	if err != nil {
		return err
	}
	if e.apiKey, err = sampleAPIKey(filepath.Join(root, "config", "samples", "credentials_secret.yaml")); err != nil {
		return err
	}
	if e.Env, err = harness.Start(harness.Options{
		BinDir: filepath.Join(root, "bin"), KeepDir: os.Getenv("KEEP_LOGS") != "", Progress: e.heading,
	}); err != nil {
		return err
	}
	say("API server at %s", e.ControlPlane.Config.Host)

	e.heading("Starting the hookstream emulator and a local webhook receiver")
	if e.emu, err = e.StartEmulatorWithKey(e.apiKey); err != nil {
		return err
	}
	say("emulator running (pid %d), log: %s", e.emu.Cmd.Process.Pid, e.emu.LogPath)
	if e.receiver, err = harness.StartReceiver(); err != nil {
		return err
	}
	say("hookstream API at %s/v1 (admin API at %s/_emulator/), receiver at %s", e.emu.URL, e.emu.URL, e.receiver.URL)

	e.heading("Starting the manager")
	if _, err := e.Kubectl("create", "namespace", namespace); err != nil {
		return err
	}
	mgr, err := e.Start("manager", e.ManagerBin, []string{"KUBECONFIG=" + e.AdminKubeconfig},
		"--hookstream-url", e.emu.URL+"/v1", "--metrics-bind-address", "0", "--health-probe-bind-address", "0",
		"--drift-interval", "10m", "--status-refresh-interval", demoRefresh.String())
	if err != nil {
		return err
	}
	say("manager running (pid %d), log: %s", mgr.Cmd.Process.Pid, mgr.LogPath)
	return nil
}

// stop ends every process this environment started; nothing is left behind.
func (e *localEnv) stop() {
	fmt.Printf("\n\033[1;34m==> Stopping everything\033[0m\n")
	if e.receiver != nil {
		e.receiver.Close()
	}
	if e.Env != nil {
		if err := e.Stop(); err != nil {
			say("%v", err)
		}
	}
	say("All processes stopped.")
}

func (e *localEnv) waitForInterrupt() {
	e.heading("Ready for hands-on use")
	say("export KUBECONFIG=%s", e.AdminKubeconfig)
	say("alias kubectl=%s   # kubectl %s, matching the API server", e.KubectlPath, "v1.37")
	say("kubectl apply -n %s -k %s", namespace, filepath.Join(e.Root, "config", "samples"))
	say("kubectl get hookstream -n %s -o wide   # Destinations and Sources", namespace)
	say("hookstream emulator: %s/v1 with X-API-Key: %s", e.emu.URL, e.apiKey)
	say("  deliveries: curl -X POST %s/_emulator/destinations/<status.id>/deliveries -d '{\"count\":3}'", e.emu.URL)
	say("  request counts: curl %s/_emulator/stats", e.emu.URL)
	say("local webhook receiver (point an http destination at it): %s", e.receiver.URL)
	say("logs: %s", e.Dir)
	say("\nPress Ctrl-C to stop everything.")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
}

// show runs kubectl, printing the command and its output as a person would see them.
func (e *localEnv) show(args ...string) (string, error) {
	fmt.Printf("\033[2m$ kubectl %s\033[0m\n", strings.Join(args, " "))
	out, err := e.Kubectl(args...)
	fmt.Print(out)
	return out, err
}

// jsonpath reads a jsonpath of an object of a kind ("destination", "source") in the demo namespace.
func (e *localEnv) jsonpath(kind, name, path string) (string, error) {
	return e.Kubectl("get", kind, name, "-n", namespace, "-o", "jsonpath="+path)
}

// waitForValue polls a jsonpath of an object until it has the wanted value.
func (e *localEnv) waitForValue(kind, name, path, want string) error {
	return harness.WaitFor(60*time.Second, fmt.Sprintf("%s %s %s == %q", kind, name, path, want), func() error {
		got, err := e.jsonpath(kind, name, path)
		if err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("is %q", got)
		}
		return nil
	})
}

func (e *localEnv) requestReconcile(kind, name string) error {
	_, err := e.Kubectl("annotate", kind, name, "-n", namespace, "--overwrite",
		"hookstream.io/reconcile-requested-at="+time.Now().Format(time.RFC3339Nano))
	return err
}

// demoRefresh is the manager's --status-refresh-interval here: short, so that counters and circuits show at once.
const demoRefresh = 2 * time.Second

// tour shows the operator at work and checks each step.
//
//nolint:gocyclo // a linear script of steps, each with its own check; splitting it would hide the order
func (e *localEnv) tour() error {
	e.heading("Applying config/samples: an http destination (auth and a header from a Secret), " +
		"an SQS one (secret key from a Secret), a paused one, and two sources")
	if _, err := e.show("apply", "-n", namespace, "-k", filepath.Join(e.Root, "config", "samples")); err != nil {
		return err
	}

	e.heading("Waiting for every Destination to be Ready")
	_, err := e.show("wait", "destinations", "--all", "-n", namespace, "--for=condition=Ready", "--timeout=90s")
	if err != nil {
		return err
	}
	if _, err := e.show("get", "destinations", "-n", namespace, "-o", "wide"); err != nil {
		return err
	}

	e.heading("Editing a spec field: pointing orders-http at the local receiver (one PATCH with only that field)")
	before, err := e.emu.Stats()
	if err != nil {
		return err
	}
	if _, err := e.show("patch", "destination", "orders-http", "-n", namespace, "--type=merge",
		"-p", fmt.Sprintf(`{"spec":{"http":{"url":%q}}}`, e.receiver.URL+"/hooks")); err != nil {
		return err
	}
	id, err := e.jsonpath("destination", "orders-http", "{.status.id}")
	if err != nil {
		return err
	}
	hs, err := e.emu.Client()
	if err != nil {
		return err
	}
	if err := harness.WaitFor(30*time.Second, "the url change in hookstream", func() error {
		d, err := hs.GetDestination(context.Background(), id)
		if err != nil {
			return err
		}
		if d.URL != e.receiver.URL+"/hooks" {
			return fmt.Errorf("url is %s", d.URL)
		}
		return nil
	}); err != nil {
		return err
	}
	after, err := e.emu.Stats()
	if err != nil {
		return err
	}
	patches := after.Count(emulator.RouteUpdateDestination) - before.Count(emulator.RouteUpdateDestination)
	say("hookstream received %d PATCH for the edit; the operator's event:", patches)
	if patches != 1 {
		return fmt.Errorf("expected exactly one PATCH, saw %d", patches)
	}
	if err := e.showEvents("Updated"); err != nil {
		return err
	}

	e.heading("Delivering 3 events through the emulator to the local receiver")
	if err := e.emu.Admin(context.Background(), http.MethodPost, "/_emulator/destinations/"+id+"/deliveries",
		map[string]int{"count": 3}, nil); err != nil {
		return err
	}
	got := e.receiver.Received()
	if len(got) != 3 {
		return fmt.Errorf("the receiver got %d requests, want 3", len(got))
	}
	for _, r := range got {
		say("receiver got %s %s  Authorization: %s  X-Shared-Key: %s  X-hookstream-Event-Id: %s", r.Method, r.URL.Path,
			redact(r.Header.Get("Authorization")), redact(r.Header.Get("X-Shared-Key")), r.Header.Get("X-hookstream-Event-Id"))
	}
	say("the status refresh (every %s in this demo, --status-refresh-interval) brings the counts into status", demoRefresh)
	if err := e.waitForValue("destination", "orders-http", "{.status.eventCount}", "3"); err != nil {
		return err
	}
	if _, err := e.show("get", "destinations", "-n", namespace, "-o", "wide"); err != nil {
		return err
	}
	if err := e.circuitTour(id); err != nil {
		return err
	}

	e.heading("Changing the remote destination behind the operator's back, then asking for a check")
	if _, err := hs.UpdateDestination(context.Background(), id, &hookstream.UpdateRequest{
		URL: hookstream.Set("https://changed-in-the-dashboard.example.com/"), TimeoutMS: hookstream.Set(5000),
	}); err != nil {
		return err
	}
	say("PATCHed url and timeout_ms in hookstream directly")
	if err := e.requestReconcile("destination", "orders-http"); err != nil {
		return err
	}
	if err := harness.WaitFor(30*time.Second, "the drift to be reverted", func() error {
		d, err := hs.GetDestination(context.Background(), id)
		if err != nil {
			return err
		}
		if d.URL != e.receiver.URL+"/hooks" || d.TimeoutMS != 10000 {
			return fmt.Errorf("url %s timeout_ms %d", d.URL, d.TimeoutMS)
		}
		return nil
	}); err != nil {
		return err
	}
	say("hookstream has the spec's url and timeout again")
	if err := e.showEvents("DriftCorrected"); err != nil {
		return err
	}
	if _, err := e.show("describe", "destination", "orders-http", "-n", namespace); err != nil {
		return err
	}

	e.heading("Deleting orders-sqs: the remote destination goes too")
	sqsID, err := e.jsonpath("destination", "orders-sqs", "{.status.id}")
	if err != nil {
		return err
	}
	if _, err := e.show("delete", "destination", "orders-sqs", "-n", namespace, "--timeout=60s"); err != nil {
		return err
	}
	if _, err := hs.GetDestination(context.Background(), sqsID); !hookstream.IsNotFound(err) {
		return fmt.Errorf("remote destination %s after the delete: %v, want not found", sqsID, err)
	}
	say("hookstream answers 404 for %s", sqsID)
	if _, err := e.show("get", "destinations", "-n", namespace); err != nil {
		return err
	}
	if err := e.gatewayTour(hs); err != nil {
		return err
	}
	fmt.Printf("\n\033[1;32mThe tour completed: every step happened as shown.\033[0m\n")
	return nil
}

// circuitTour shows delivery health: the receiver refuses deliveries until hookstream opens the circuit breaker,
// which the status, the Delivering condition and an event show while Ready stays True; then the receiver is fixed
// and the reset annotation closes the circuit.
func (e *localEnv) circuitTour(id string) error {
	e.heading("Delivery health: the receiver refuses deliveries (503) until hookstream opens the circuit breaker")
	e.receiver.SetStatus(http.StatusServiceUnavailable)
	// The sample's policy: 5 attempts per event and a circuit that opens after 10 consecutive failures.
	var result emulator.DeliveryResult
	if err := e.emu.Admin(context.Background(), http.MethodPost, "/_emulator/destinations/"+id+"/deliveries",
		map[string]int{"count": 2}, &result); err != nil {
		return err
	}
	say("hookstream: %d failed attempts, circuit %s", result.Attempts, result.CircuitState)
	if err := e.waitForValue("destination", "orders-http", "{.status.circuit.state}", "open"); err != nil {
		return err
	}
	if _, err := e.show("get", "destination", "orders-http", "-n", namespace); err != nil {
		return err
	}
	delivering, err := e.jsonpath("destination", "orders-http",
		`{.status.conditions[?(@.type=="Delivering")].reason}: {.status.conditions[?(@.type=="Delivering")].message}`)
	if err != nil {
		return err
	}
	ready, err := e.jsonpath("destination", "orders-http", `{.status.conditions[?(@.type=="Ready")].status}`)
	if err != nil {
		return err
	}
	say("Delivering: %s\nReady stays %s: the remote destination still matches the spec", delivering, ready)
	if ready != "True" || !strings.HasPrefix(delivering, "CircuitOpen") {
		return fmt.Errorf("with the circuit open: Ready %q, Delivering %q", ready, delivering)
	}
	if err := e.showEvents("CircuitOpened"); err != nil {
		return err
	}

	e.heading("The receiver is fixed; the reset annotation closes the circuit at once")
	e.receiver.SetStatus(http.StatusNoContent)
	if _, err := e.show("annotate", "destination", "orders-http", "-n", namespace, "--overwrite",
		"hookstream.io/reset-circuit-requested-at="+time.Now().UTC().Format(time.RFC3339)); err != nil {
		return err
	}
	if err := e.waitForValue("destination", "orders-http", "{.status.circuit.state}", "closed"); err != nil {
		return err
	}
	if _, err := e.show("get", "destination", "orders-http", "-n", namespace); err != nil {
		return err
	}
	return e.showEvents("CircuitReset")
}

// gatewayTour shows the whole gateway: the Sources with their ingest URL in status and in a ConfigMap, the
// Connection from the GitHub source to orders-http, a webhook it lets through (delivered transformed), one it
// filters out and one refused for its signature, the counts, and `kubectl delete -k` leaving hookstream empty.
func (e *localEnv) gatewayTour(hs *hookstream.Client) error {
	e.heading("Sources and a Connection from config/samples: GitHub webhooks (signing secret from a Secret), " +
		"schema-checked orders, and the route from GitHub to orders-http")
	_, err := e.show("wait", "sources,connections", "--all", "-n", namespace, "--for=condition=Ready", "--timeout=90s")
	if err != nil {
		return err
	}
	if _, err := e.show("get", "hookstream", "-n", namespace, "-o", "wide"); err != nil {
		return err
	}
	if _, err := e.show("get", "configmap", "github-ingest", "-n", namespace, "-o", "jsonpath={.data}"); err != nil {
		return err
	}
	fmt.Println()

	e.heading("Posting to the GitHub source's ingest URL: a pull request opened, one closed, " +
		"and one with a wrong signature")
	url, err := e.jsonpath("source", "github", "{.status.ingestURL}")
	if err != nil {
		return err
	}
	encoded, err := e.Kubectl("get", "secret", "github-webhook", "-n", namespace, "-o", "jsonpath={.data.secret}")
	if err != nil {
		return err
	}
	secret, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return fmt.Errorf("decoding the sample's signing secret: %w", err)
	}
	delivered := len(e.receiver.Bodies())
	pr := `{"action":%q,"repository":{"full_name":"example/shop"},"pull_request":{"number":%d,"title":"Faster checkout",` +
		`"user":{"login":"octocat"},"html_url":"https://github.com/example/shop/pull/%[2]d"}}`
	for _, try := range []struct {
		what   string
		secret []byte
		body   string
		want   int
	}{
		{"opened, signed with the webhook secret", secret, fmt.Sprintf(pr, "opened", 42), http.StatusOK},
		{"closed, signed with the webhook secret", secret, fmt.Sprintf(pr, "closed", 41), http.StatusOK},
		{"opened, signed with another secret", []byte("not-the-secret"), fmt.Sprintf(pr, "opened", 43),
			http.StatusUnauthorized},
	} {
		code, answer, err := harness.PostGitHubWebhook(context.Background(), url, try.secret, try.body)
		if err != nil {
			return err
		}
		say("POST %s (%s): %d %s", url, try.what, code, answer)
		if code != try.want {
			return fmt.Errorf("a webhook %s got %d, want %d", try.what, code, try.want)
		}
	}
	if err := e.emu.Admin(context.Background(), http.MethodPost, "/_emulator/deliveries/wait", nil, nil); err != nil {
		return err
	}
	bodies := e.receiver.Bodies()[delivered:]
	if len(bodies) != 1 {
		return fmt.Errorf("the receiver got %d deliveries through the connection, want 1 (the opened one): %q",
			len(bodies), bodies)
	}
	say("the receiver got exactly one delivery, the opened pull request, transformed by the connection:\n  %s", bodies[0])
	if !strings.Contains(bodies[0], `"pr-opened"`) || !strings.Contains(bodies[0], `"number":42`) {
		return fmt.Errorf("the delivery is not the transformed opened pull request: %s", bodies[0])
	}
	counts := []struct{ kind, name, count string }{{"source", "github", "2"}, {"connection", "github-to-orders", "1"}}
	for _, check := range counts {
		if err := e.requestReconcile(check.kind, check.name); err != nil {
			return err
		}
		if err := e.waitForValue(check.kind, check.name, "{.status.eventCount}", check.count); err != nil {
			return err
		}
	}
	say("the source counts the 2 accepted webhooks, the connection the 1 it routed; the refused one is no event")
	if _, err := e.show("get", "sources,connections", "-n", namespace, "-o", "wide"); err != nil {
		return err
	}

	e.heading("Deleting everything with one kubectl delete -k: in any order, nothing stays behind")
	if _, err := e.show("delete", "-k", filepath.Join(e.Root, "config", "samples"), "-n", namespace, "--ignore-not-found",
		"--timeout=120s"); err != nil {
		return err
	}
	ctx := context.Background()
	for what, rows := range map[string]func() (int, error){
		"sources":      func() (int, error) { return harness.CountRows(hs.AllSources(ctx)) },
		"destinations": func() (int, error) { return harness.CountRows(hs.AllDestinations(ctx)) },
		"connections": func() (int, error) {
			return harness.CountRows(hs.AllConnections(ctx, hookstream.ConnectionListOptions{}))
		},
	} {
		n, err := rows()
		if err != nil {
			return err
		}
		if n != 0 {
			return fmt.Errorf("hookstream still holds %d %s", n, what)
		}
	}
	say("hookstream holds no source, destination or connection any more")
	out, err := e.show("get", "hookstream,configmaps", "-n", namespace, "-o", "name")
	if err != nil {
		return err
	}
	if strings.Contains(out, "hookstream.io/") || strings.Contains(out, "github-ingest") {
		return fmt.Errorf("objects left after delete -k:\n%s", out)
	}
	return nil
}

// showEvents prints the events of orders-http, the destination the tour works on, and fails unless one has the
// reason.
func (e *localEnv) showEvents(reason string) error {
	return harness.WaitFor(30*time.Second, "a "+reason+" event", func() error {
		out, err := e.Kubectl("get", "events", "-n", namespace, "--field-selector", "involvedObject.name=orders-http",
			"-o", "custom-columns=TYPE:.type,REASON:.reason,MESSAGE:.message", "--sort-by=.metadata.creationTimestamp")
		if err != nil {
			return err
		}
		if !strings.Contains(out, reason) {
			return fmt.Errorf("no %s event yet", reason)
		}
		fmt.Print(out)
		return nil
	})
}

// redact keeps the shape of a secret value visible in the demo output without printing it.
func redact(v string) string {
	if len(v) <= 8 {
		return "****"
	}
	return v[:7] + "****"
}

func sampleAPIKey(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var s struct {
		StringData map[string]string `json:"stringData"`
	}
	if err := yaml.Unmarshal(data, &s); err != nil {
		return "", err
	}
	if s.StringData["apiKey"] == "" {
		return "", fmt.Errorf("%s has no stringData.apiKey", path)
	}
	return s.StringData["apiKey"], nil
}
