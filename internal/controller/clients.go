// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0
package controller

import (
	"context"
	"crypto/sha256"
	"sync"

	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/internal/managed"
)

// ClientFactory returns the hookstream client of an API key.
type ClientFactory func(apiKey string) (*hookstream.Client, error)

// CachedClientFactory builds one client per API key and keeps it, so that every kind's calls with a key share
// its rate budget (limiters) and its connections. Keys are held hashed in the map, never in clear.
func CachedClientFactory(opts hookstream.Options, limiters *hookstream.LimiterRegistry) ClientFactory {
	var mu sync.Mutex
	clients := map[[sha256.Size]byte]*hookstream.Client{}
	return func(apiKey string) (*hookstream.Client, error) {
		id := sha256.Sum256([]byte(apiKey))
		mu.Lock()
		defer mu.Unlock()
		if c, ok := clients[id]; ok {
			return c, nil
		}
		o := opts
		o.APIKey = apiKey
		if limiters != nil {
			o.Limiter = limiters.For(apiKey)
		}
		c, err := hookstream.New(o)
		if err != nil {
			return nil, err
		}
		clients[id] = c
		return c, nil
	}
}

// keyCalls is managed.Calls on the hookstream client's call log: which API key's calls failed in a reconcile, for
// the retries brought forward when the key recovers.
func keyCalls(ctx context.Context) (context.Context, managed.CallLog) {
	ctx, log := hookstream.WithCallLog(ctx)
	return ctx, callLog{log}
}

// callLog is a hookstream.CallLog seen by the machinery.
type callLog struct{ log *hookstream.CallLog }

func (c callLog) Failed() managed.KeyHealth {
	if h := c.log.Failed(); h != nil {
		return h
	}
	// No key failed: a nil interface, not a typed nil pointer.
	return nil
}

func (c callLog) RecoveredSince() bool { return c.log.RecoveredSince() }
