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

package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/test/harness"
)

// rawDefinition says what the raw-limit reference does; it is printed with the figures.
const rawDefinition = "raw limit: the same %d creators create the same N Destinations; as each create answers, " +
	"one of %d workers (the manager's --max-concurrent-reconciles) sends hookstream POST /destinations {name, slug, " +
	"type http, url} to a fresh emulator with a client without rate limit, then one merge patch of the object's " +
	"status subresource (id, slug, type, state, createdAt, updatedAt, observedGeneration, Ready and Synced True). " +
	"Nothing else: no finalizer, no create marker, no event. Timed like the manager: from the first create until a " +
	"list (every 500 ms) shows all N Ready for their generation."

type rawResult struct {
	Definition         string           `json:"definition"`
	CreatesDoneSeconds float64          `json:"createsDoneSeconds"`
	LoopDoneSeconds    float64          `json:"loopDoneSeconds"`
	AllReadySeconds    float64          `json:"allReadySeconds"`
	HookstreamCalls    map[string]int64 `json:"hookstreamCalls"`
	KubeWrites         []writeCount     `json:"kubeWritesBesidesCreates"`
	ReadyLists         int              `json:"readyLists"`
	MeanReadyListMs    float64          `json:"meanReadyListMs"`
	CreatePath         []pathTime       `json:"createPath"`
	CPU                cpuUse           `json:"cpu"`
	// ReadyPollCost is the CPU one Ready poll of all N costs, measured on the idle control plane afterwards.
	ReadyPollCost readyPollCost `json:"readyPollCost"`
}

// readyPollCost is the CPU time of one list of the N Destinations.
type readyPollCost struct {
	Lists              int     `json:"lists"`
	APIServerMsPerList float64 `json:"apiserverCPUMsPerList"`
	BenchmarkMsPerList float64 `json:"benchmarkCPUMsPerList"`
	WallMsPerList      float64 `json:"wallMsPerList"`
}

// rawTimes adds up how long the raw loop's two steps took.
type rawTimes struct {
	mu           sync.Mutex
	post, status time.Duration
	n            int
}

func (t *rawTimes) add(post, status time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.post += post
	t.status += status
	t.n++
}

func (t *rawTimes) path() []pathTime {
	n := float64(max(1, t.n))
	return []pathTime{
		{Step: "hookstream POST /destinations", MeanMs: ms(t.post) / n, Count: float64(t.n)},
		{Step: "Kubernetes PATCH (status)", MeanMs: ms(t.status) / n, Count: float64(t.n)},
		{Step: "both (one object)", MeanMs: ms(t.post+t.status) / n, Count: float64(t.n)},
	}
}

// runRaw measures the raw limit: the least work that turns N created Destinations into N remote destinations with
// their status recorded, at the manager's concurrency.
func (bn *bench) runRaw(ctx context.Context) (*rawResult, error) {
	cfg := bn.cfg
	bn.logf("raw limit: %d Destinations, %d workers doing POST + status patch", cfg.N, cfg.Concurrency)
	emu := bn.env.StartEmulator(bn.b, emulatorArgs(cfg)...)
	defer emu.Stop()
	ns := bn.env.NewNamespace(bn.b, "bench-raw")
	hs := emu.Client(bn.b)

	kubeBefore, err := scrapeKubeWrites(ctx, bn.kubeHTTP, bn.kube.Host)
	if err != nil {
		return nil, err
	}
	statsBefore := emu.Stats(bn.b)
	components := bn.components(emu, nil)
	cpuBefore := readCPU(components)
	var times rawTimes

	created := make(chan *v1.Destination, cfg.N)
	start := time.Now()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		loopErr  error
		loopDone time.Duration
	)
	for range cfg.Concurrency {
		wg.Go(func() {
			for d := range created {
				err := bn.rawCreate(ctx, hs, d, &times)
				mu.Lock()
				if err != nil && loopErr == nil {
					loopErr = err
				}
				loopDone = max(loopDone, time.Since(start))
				mu.Unlock()
			}
		})
	}
	out, err := bn.createAndWait(ctx, ns, created)
	wg.Wait()
	if loopErr != nil {
		return nil, loopErr
	}
	if err != nil {
		return nil, err
	}
	cpu := readCPU(components).since(cpuBefore)
	kubeAfter, err := scrapeKubeWrites(ctx, bn.kubeHTTP, bn.kube.Host)
	if err != nil {
		return nil, err
	}
	writes := kubeAfter.writes.minus(kubeBefore.writes)
	ownCreates := writeKey{Group: v1.GroupVersion.Group, Resource: "destinations", Verb: "POST", Code: "201"}
	writes.subtract(ownCreates, float64(cfg.N))
	r := &rawResult{
		Definition:         fmt.Sprintf(rawDefinition, cfg.Creators, cfg.Concurrency),
		CreatesDoneSeconds: out.CreatesDone.Seconds(),
		LoopDoneSeconds:    loopDone.Seconds(),
		AllReadySeconds:    out.AllReady.Seconds(),
		HookstreamCalls:    byRoute(harness.StatsSince(emu.Stats(bn.b), statsBefore)),
		KubeWrites:         writes.rows(),
		ReadyLists:         out.Lists,
		MeanReadyListMs:    ms(out.ListTime) / float64(max(1, out.Lists)),
		CreatePath:         append(times.path(), serverTimes(kubeBefore, kubeAfter)...),
		CPU:                cpu,
	}
	bn.logf("raw limit: all Ready after %.1fs (loop done %.1fs, creates done %.1fs)",
		r.AllReadySeconds, r.LoopDoneSeconds, r.CreatesDoneSeconds)
	if r.ReadyPollCost, err = bn.measureReadyPoll(ctx, ns, components); err != nil {
		return nil, err
	}
	bn.logf("raw limit: one Ready poll of %d Destinations costs %.0f ms of API server CPU", cfg.N,
		r.ReadyPollCost.APIServerMsPerList)
	return r, nil
}

func (bn *bench) rawCreate(ctx context.Context, hs *hookstream.Client, d *v1.Destination, times *rawTimes) error {
	start := time.Now()
	remote, err := hs.CreateDestination(ctx, &hookstream.CreateRequest{
		Name: d.Name, Slug: d.Namespace + "-" + d.Name, Type: hookstream.TypeHTTP, URL: d.Spec.HTTP.URL,
	})
	if err != nil {
		return fmt.Errorf("raw POST for %s: %w", d.Name, err)
	}
	posted := time.Now()
	base := d.DeepCopy()
	s := &d.Status
	s.ID, s.Slug, s.Type, s.State = remote.ID, remote.Slug, remote.Type, remote.Status
	created, updated := metav1.NewTime(remote.CreatedAt), metav1.NewTime(remote.UpdatedAt)
	s.CreatedAt, s.UpdatedAt = &created, &updated
	s.ObservedGeneration = d.Generation
	meta.SetStatusCondition(&s.Conditions, metav1.Condition{Type: v1.ConditionReady, Status: metav1.ConditionTrue,
		Reason: v1.ReasonAvailable, Message: "The destination exists in hookstream and matches the spec.",
		ObservedGeneration: d.Generation})
	meta.SetStatusCondition(&s.Conditions, metav1.Condition{Type: v1.ConditionSynced, Status: metav1.ConditionTrue,
		Reason: v1.ReasonReconcileSuccess, Message: "The last reconcile reached hookstream.",
		ObservedGeneration: d.Generation})
	if err := bn.cl.Status().Patch(ctx, d, client.MergeFrom(base)); err != nil {
		return fmt.Errorf("raw status patch of %s: %w", d.Name, err)
	}
	times.add(posted.Sub(start), time.Since(posted))
	return nil
}

// measureReadyPoll lists the namespace a few times with nothing else running, to tell how much of the API server's
// CPU the benchmark's own Ready poll takes in the create phases.
func (bn *bench) measureReadyPoll(ctx context.Context, namespace string,
	components cpuComponents) (readyPollCost, error) {
	const lists = 5
	time.Sleep(time.Second)
	before := readCPU(components)
	for range lists {
		if _, err := bn.listReady(ctx, namespace); err != nil {
			return readyPollCost{}, err
		}
	}
	used := readCPU(components).since(before)
	return readyPollCost{
		Lists:              lists,
		APIServerMsPerList: used.ByName["kube-apiserver"] * 1000 / lists,
		BenchmarkMsPerList: used.ByName["benchmark"] * 1000 / lists,
		WallMsPerList:      used.Seconds * 1000 / lists,
	}, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// emulatorArgs start an emulator whose own limit is never reached (see config.EmulatorRate).
func emulatorArgs(cfg config) []string {
	return []string{"--rate-limit", fmt.Sprint(cfg.EmulatorRate), "--rate-limit-burst", fmt.Sprint(cfg.EmulatorRate)}
}
