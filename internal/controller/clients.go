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

package controller

import (
	"context"
	"crypto/sha256"
	"iter"
	"sync"

	"github.com/hookstream/hookstream-operator/internal/hookstream"
)

// HookstreamClient is the part of the hookstream API the reconciler uses.
type HookstreamClient interface {
	GetDestination(ctx context.Context, id string) (*hookstream.Destination, error)
	CreateDestination(ctx context.Context, req *hookstream.CreateRequest) (*hookstream.Destination, error)
	UpdateDestination(ctx context.Context, id string, req *hookstream.UpdateRequest) (*hookstream.Destination, error)
	DeleteDestination(ctx context.Context, id string) error
	AllDestinations(ctx context.Context) iter.Seq2[*hookstream.Destination, error]
}

// ClientFactory returns the client for one API key.
type ClientFactory func(apiKey string) (HookstreamClient, error)

// CachedClientFactory builds one client per API key and reuses it, so that every reconcile of a key shares its
// connections and its rate budget. Keys are held only inside the clients; the cache is indexed by their hash.
func CachedClientFactory(opts hookstream.Options, limiters *hookstream.LimiterRegistry) ClientFactory {
	var mu sync.Mutex
	clients := map[[sha256.Size]byte]HookstreamClient{}
	return func(apiKey string) (HookstreamClient, error) {
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
