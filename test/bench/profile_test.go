// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// profiles takes CPU profiles of the manager and the API server while the objects are created (BENCH_PROFILE
// seconds long, from BENCH_PROFILE_DELAY after the first create), and a heap profile of the manager once all are Ready, so
// that where a create's time and the manager's memory go can be read with `go tool pprof`.
type profiles struct {
	wg    sync.WaitGroup
	mu    sync.Mutex
	files []string
	errs  []string
	// heap is where the manager's heap profile goes, from heapURL.
	heap, heapURL string
}

// startProfiles starts both profiles in the background; nil when BENCH_PROFILE is not set.
func (bn *bench) startProfiles(ctx context.Context, m *managerRun, mode string) *profiles {
	secs := bn.cfg.ProfileSeconds
	if secs <= 0 || m.pprofURL == "" {
		return nil
	}
	p := &profiles{heapURL: m.pprofURL + "/debug/pprof/heap",
		heap: filepath.Join(bn.logDir(), fmt.Sprintf("run%d-%s-manager-heap.pprof", bn.run, mode))}
	take := func(name, url string, hc *http.Client) {
		defer p.wg.Done()
		time.Sleep(bn.cfg.ProfileDelay)
		file := filepath.Join(bn.logDir(), fmt.Sprintf("run%d-%s-%s.pprof", bn.run, mode, name))
		if err := fetchProfile(ctx, hc, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", url, secs), file); err != nil {
			p.mu.Lock()
			p.errs = append(p.errs, fmt.Sprintf("%s: %v", name, err))
			p.mu.Unlock()
			return
		}
		p.mu.Lock()
		p.files = append(p.files, file)
		p.mu.Unlock()
	}
	p.wg.Add(2)
	go take("manager", m.pprofURL, http.DefaultClient)
	go take("kube-apiserver", strings.TrimRight(bn.kube.Host, "/"), bn.kubeHTTP)
	return p
}

// finish waits for the profiles and says how to read them.
func (p *profiles) finish(bn *bench) {
	if p == nil {
		return
	}
	p.wg.Wait()
	if err := fetchProfile(context.Background(), http.DefaultClient, p.heapURL, p.heap); err != nil {
		p.errs = append(p.errs, fmt.Sprintf("manager heap: %v", err))
	} else {
		p.files = append(p.files, p.heap)
	}
	for _, e := range p.errs {
		bn.logf("profile not taken: %s", e)
	}
	for _, f := range p.files {
		bn.logf("CPU profile: %s (read with: go tool pprof -top -nodecount=40 %s)", f, f)
	}
}

func fetchProfile(ctx context.Context, hc *http.Client, url, file string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("%s: %d %s", url, resp.StatusCode, b)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
