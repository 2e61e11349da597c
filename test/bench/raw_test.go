// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/test/harness"
)

// rawDefinition says what the raw-limit reference does; it is printed with the figures.
const rawDefinition = "raw limit: the same %d creators create the same objects; as each create answers, one of %d " +
	"workers (the manager's --max-concurrent-reconciles) sends hookstream its POST (Destination {name, slug, type " +
	"http, url}; Source {name, slug}; Connection {source_id, destination_id, name}, once both ends have an id) to a " +
	"fresh emulator with a client without rate limit, then one merge patch of the object's status subresource (id " +
	"and the remote fields, observedGeneration, Ready and Synced True). Nothing else: no finalizer, no create " +
	"marker, no event. Timed like the manager: from the first create until a watch of each kind shows every object " +
	"Ready for its generation."

type rawResult struct {
	Definition         string           `json:"definition"`
	CreatesDoneSeconds float64          `json:"createsDoneSeconds"`
	LoopDoneSeconds    float64          `json:"loopDoneSeconds"`
	AllReadySeconds    float64          `json:"allReadySeconds"`
	HookstreamCalls    map[string]int64 `json:"hookstreamCalls"`
	KubeWrites         []writeCount     `json:"kubeWritesBesidesCreates"`
	WatchEvents        int              `json:"watchEvents"`
	WatchRestarts      int              `json:"watchRestarts"`
	ClosedWatches      float64          `json:"closedWatches"`
	CreatePath         []pathTime       `json:"createPath"`
	CPU                cpuUse           `json:"cpu"`
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
		{Step: "hookstream POST", MeanMs: ms(t.post) / n, Count: float64(t.n)},
		{Step: "Kubernetes PATCH (status)", MeanMs: ms(t.status) / n, Count: float64(t.n)},
		{Step: "both (one object)", MeanMs: ms(t.post+t.status) / n, Count: float64(t.n)},
	}
}

// rawQueue hands the raw loop's workers the created objects, holding back a Connection until the raw loop has
// recorded the ids of both its ends.
type rawQueue struct {
	mu      sync.Mutex
	ids     map[*benchKind]map[int]string
	pending map[int]createdObject
	work    chan createdObject
	left    int
}

func newRawQueue(total int) *rawQueue {
	return &rawQueue{ids: map[*benchKind]map[int]string{}, pending: map[int]createdObject{},
		work: make(chan createdObject, total), left: total}
}

func (q *rawQueue) id(k *benchKind, i int) string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.ids[k][i]
}

// offer queues a created object, or holds it back while it is a Connection with an end without id.
func (q *rawQueue) offer(c createdObject) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if c.kind == connectionKind && (q.ids[sourceKind][c.index] == "" || q.ids[destinationKind][c.index] == "") {
		q.pending[c.index] = c
		return
	}
	q.work <- c
}

// done records an object's id; the last one closes the queue.
func (q *rawQueue) done(c createdObject, id string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.ids[c.kind] == nil {
		q.ids[c.kind] = map[int]string{}
	}
	q.ids[c.kind][c.index] = id
	if held, ok := q.pending[c.index]; ok && q.ids[sourceKind][c.index] != "" && q.ids[destinationKind][c.index] != "" {
		delete(q.pending, c.index)
		q.work <- held
	}
	if q.left--; q.left == 0 {
		close(q.work)
	}
}

// runRaw measures the raw limit: the least work that turns the created objects into remote resources with their
// status recorded, at the manager's concurrency.
func (bn *bench) runRaw(ctx context.Context) (*rawResult, error) {
	cfg := bn.cfg
	kinds := kindsOf(cfg.Kinds)
	total := cfg.N * len(kinds)
	bn.logf("raw limit: %d objects (%s), %d workers doing POST + status patch", total, kindNames(kinds), cfg.Concurrency)
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

	// A failed raw create stops the loop and the wait.
	loopCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	created := make(chan createdObject, total)
	q := newRawQueue(total)
	go func() {
		for c := range created {
			q.offer(c)
		}
	}()
	start := time.Now()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		loopErr  error
		loopDone time.Duration
	)
	for range cfg.Concurrency {
		wg.Go(func() {
			for {
				var c createdObject
				select {
				case <-loopCtx.Done():
					// A failure stopped the loop, or the wait ended: objects may never come.
					return
				case next, ok := <-q.work:
					if !ok {
						return
					}
					c = next
				}
				id, err := bn.rawCreate(loopCtx, hs, c, q.id, &times)
				mu.Lock()
				if err != nil && loopErr == nil {
					loopErr = err
					cancel()
				}
				loopDone = max(loopDone, time.Since(start))
				mu.Unlock()
				if err != nil {
					return
				}
				q.done(c, id)
			}
		})
	}
	out, err := bn.createAndWait(loopCtx, ns, created)
	cancel()
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
	writes.subtractCreates(kinds, cfg.N)
	r := &rawResult{
		Definition:         fmt.Sprintf(rawDefinition, cfg.Creators, cfg.Concurrency),
		CreatesDoneSeconds: out.CreatesDone.Seconds(),
		LoopDoneSeconds:    loopDone.Seconds(),
		AllReadySeconds:    out.AllReady.Seconds(),
		HookstreamCalls:    byRoute(harness.StatsSince(emu.Stats(bn.b), statsBefore)),
		KubeWrites:         writes.rows(),
		WatchEvents:        out.WatchEvents,
		WatchRestarts:      out.WatchRestarts,
		ClosedWatches:      kubeAfter.closedWatches - kubeBefore.closedWatches,
		CreatePath:         append(times.path(), serverTimes(kubeBefore, kubeAfter)...),
		CPU:                cpu,
	}
	bn.logf("raw limit: all Ready after %.1fs (loop done %.1fs, creates done %.1fs); watches the API server closed as "+
		"too slow: %.0f (the benchmark's Ready watch restarted %d times)",
		r.AllReadySeconds, r.LoopDoneSeconds, r.CreatesDoneSeconds, r.ClosedWatches, r.WatchRestarts)
	if err := bn.cleanUp(ctx, ns); err != nil {
		return nil, err
	}
	return r, nil
}

// rawCreate posts one object's remote resource and patches its status once; it returns the remote id.
func (bn *bench) rawCreate(ctx context.Context, hs *hookstream.Client, c createdObject,
	ids func(*benchKind, int) string, times *rawTimes) (string, error) {
	start := time.Now()
	status, err := c.kind.rawPost(ctx, hs, c.obj, c.index, ids)
	if err != nil {
		return "", fmt.Errorf("raw POST for %s %s: %w", c.kind.Kind, c.obj.GetName(), err)
	}
	posted := time.Now()
	patch, err := rawStatusPatch(c.obj, status)
	if err != nil {
		return "", err
	}
	if err := bn.cl.Status().Patch(ctx, c.obj, patch); err != nil {
		return "", fmt.Errorf("raw status patch of %s %s: %w", c.kind.Kind, c.obj.GetName(), err)
	}
	times.add(posted.Sub(start), time.Since(posted))
	return status["id"].(string), nil
}

func kindNames(kinds []*benchKind) string {
	var names []string
	for _, k := range kinds {
		names = append(names, k.Resource)
	}
	return strings.Join(names, ", ")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// emulatorArgs start an emulator whose own limit is never reached (see config.EmulatorRate).
func emulatorArgs(cfg config) []string {
	return []string{"--rate-limit", fmt.Sprint(cfg.EmulatorRate), "--rate-limit-burst", fmt.Sprint(cfg.EmulatorRate)}
}
