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
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
	"github.com/hookstream/hookstream-operator/test/harness"
)

// readyPollInterval is the pause between two lists of the Destinations while waiting for Ready.
const readyPollInterval = 500 * time.Millisecond

func destinationName(i int) string { return fmt.Sprintf("d%05d", i) }

// newDestination is the Destination every mode creates: the smallest spec, one http URL.
func (bn *bench) newDestination(namespace string, i int) *v1.Destination {
	url := fmt.Sprintf("https://receiver.example.com/hooks/%d", i)
	if bn.destinationURL != nil {
		url = bn.destinationURL(i)
	}
	return &v1.Destination{
		ObjectMeta: metav1.ObjectMeta{Name: destinationName(i), Namespace: namespace},
		Spec:       v1.DestinationSpec{HTTP: &v1.HTTPDestination{URL: url}},
	}
}

// readyItem is the part of a Destination the Ready poll decodes: decoding whole objects every 500 ms would make the
// benchmark itself a noticeable load on two cores at N=5000.
type readyItem struct {
	Metadata struct {
		Name       string `json:"name"`
		Generation int64  `json:"generation"`
	} `json:"metadata"`
	Status struct {
		ID                 string             `json:"id"`
		ObservedGeneration int64              `json:"observedGeneration"`
		Conditions         []metav1.Condition `json:"conditions"`
	} `json:"status"`
}

// isReady reports a Destination whose Ready condition is True for its current generation.
func (d *readyItem) isReady() bool {
	return harness.ReadyForGeneration(d.Metadata.Generation, d.Status.ObservedGeneration, d.Status.Conditions)
}

// listReady lists the namespace's Destinations from the API server's watch cache (resourceVersion 0: no etcd read).
func (bn *bench) listReady(ctx context.Context, namespace string) ([]readyItem, error) {
	return listItems[readyItem](ctx, bn, namespace)
}

// listItems lists the namespace's Destinations from the API server's watch cache, decoding into T only the part of
// each the caller reads.
func listItems[T any](ctx context.Context, bn *bench, namespace string) ([]T, error) {
	gv := v1.GroupVersion
	u := fmt.Sprintf("%s/apis/%s/%s/namespaces/%s/destinations?resourceVersion=0", strings.TrimRight(bn.kube.Host, "/"),
		gv.Group, gv.Version, namespace)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := bn.kubeHTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("listing Destinations: %d %s", resp.StatusCode, b)
	}
	var list struct {
		Items []T `json:"items"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		return nil, fmt.Errorf("listing Destinations: %w", err)
	}
	return list.Items, nil
}

// createOutcome is what creating N Destinations and waiting for all of them to be Ready took.
type createOutcome struct {
	CreatesDone time.Duration // the last create answered, from the first create sent
	AllReady    time.Duration // a list showed every Destination Ready, from the first create sent
	Lists       int           // lists made while waiting
	ListTime    time.Duration // their total duration
	Items       []readyItem
}

// createAndWait creates N Destinations with cfg.Creators workers and lists them every readyPollInterval until all
// are Ready. Each created object is sent on created, when not nil, which is closed after the last create.
func (bn *bench) createAndWait(ctx context.Context, namespace string,
	created chan<- *v1.Destination) (*createOutcome, error) {
	n := bn.cfg.N
	start := time.Now()
	jobs := make(chan int)
	createErr := make(chan error, bn.cfg.Creators)
	createsDone := make(chan time.Duration, 1)
	var wg sync.WaitGroup
	for range bn.cfg.Creators {
		wg.Go(func() {
			for i := range jobs {
				d := bn.newDestination(namespace, i)
				if err := bn.cl.Create(ctx, d); err != nil {
					createErr <- fmt.Errorf("creating %s: %w", d.Name, err)
					for range jobs {
						// Drained, so that the feeder never blocks on a worker that gave up.
					}
					return
				}
				if created != nil {
					created <- d
				}
			}
		})
	}
	go func() {
		for i := range n {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		if created != nil {
			close(created)
		}
		createsDone <- time.Since(start)
	}()

	out := &createOutcome{CreatesDone: -1}
	limit := max(10*time.Minute, time.Duration(n)*200*time.Millisecond)
	lastReport := time.Now()
	for {
		select {
		case err := <-createErr:
			return nil, err
		case d := <-createsDone:
			out.CreatesDone = d
			bn.logf("  all %d creates answered after %.1fs", n, d.Seconds())
		default:
		}
		listStart := time.Now()
		items, err := bn.listReady(ctx, namespace)
		if err != nil {
			return nil, err
		}
		out.Lists++
		out.ListTime += time.Since(listStart)
		ready := 0
		for i := range items {
			if items[i].isReady() {
				ready++
			}
		}
		if ready == n && out.CreatesDone >= 0 {
			out.AllReady = time.Since(start)
			out.Items = items
			slices.SortFunc(out.Items, func(a, b readyItem) int { return strings.Compare(a.Metadata.Name, b.Metadata.Name) })
			return out, nil
		}
		if time.Since(lastReport) >= 10*time.Second {
			bn.logf("  %d of %d Ready after %.0fs", ready, n, time.Since(start).Seconds())
			lastReport = time.Now()
		}
		if time.Since(start) > limit {
			return nil, fmt.Errorf("only %d of %d Destinations Ready after %s; not Ready: %s",
				ready, n, limit, notReadySummary(items))
		}
		time.Sleep(readyPollInterval)
	}
}

// notReadySummary counts the Destinations that are not Ready by their Ready reason.
func notReadySummary(items []readyItem) string {
	reasons := map[string]int{}
	for i := range items {
		if items[i].isReady() {
			continue
		}
		reason := "no Ready condition"
		if c := meta.FindStatusCondition(items[i].Status.Conditions, v1.ConditionReady); c != nil {
			reason = c.Reason + ": " + c.Message
		}
		reasons[reason]++
	}
	return fmt.Sprint(reasons)
}

// warmUp creates, status-patches, lists and deletes a few Destinations before anything is measured, so that the
// first mode does not pay for the API server's and the client's first use of the resource (discovery, the CRD's
// handler and watch cache).
func (bn *bench) warmUp(ctx context.Context) error {
	ns := bn.env.NewNamespace(bn.b, "bench-warmup")
	for i := range 20 {
		d := bn.newDestination(ns, i)
		if err := bn.cl.Create(ctx, d); err != nil {
			return fmt.Errorf("warming up: %w", err)
		}
		base := d.DeepCopy()
		d.Status.State = "active"
		if err := bn.cl.Status().Patch(ctx, d, client.MergeFrom(base)); err != nil {
			return fmt.Errorf("warming up: %w", err)
		}
	}
	list := &v1.DestinationList{}
	if err := bn.cl.List(ctx, list, client.InNamespace(ns)); err != nil {
		return fmt.Errorf("warming up: %w", err)
	}
	return bn.cl.DeleteAllOf(ctx, &v1.Destination{}, client.InNamespace(ns))
}
