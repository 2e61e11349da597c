// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package controller

import (
	"context"
	"errors"
	"iter"

	"github.com/hookstream/hookstream-operator/internal/hookstream"
	"github.com/hookstream/hookstream-operator/internal/managed"
)

// remoteError translates an error of the hookstream client into the machinery's own (*managed.RemoteError): the
// one place where hookstream's errors meet package managed.
func remoteError(err error) error {
	if err == nil {
		return nil
	}
	if _, already := errors.AsType[*managed.RemoteError](err); already {
		return err
	}
	out := &managed.RemoteError{Class: managed.RemoteUnavailable, Err: err}
	if apiErr, ok := errors.AsType[*hookstream.APIError](err); ok {
		out.Status, out.Message = apiErr.StatusCode, apiErr.Message
	}
	if wait, limited := hookstream.IsRateLimited(err); limited {
		out.Class, out.RetryAfter = managed.RemoteRateLimited, wait
		return out
	}
	for _, c := range []struct {
		is    func(error) bool
		class managed.RemoteClass
	}{
		{hookstream.IsNotFound, managed.RemoteNotFound},
		{hookstream.IsConflict, managed.RemoteConflict},
		{hookstream.IsInvalid, managed.RemoteInvalid},
		{hookstream.IsTooLarge, managed.RemoteTooLarge},
		{hookstream.IsUnauthorized, managed.RemoteUnauthorized},
		{hookstream.IsForbidden, managed.RemoteForbidden},
	} {
		if c.is(err) {
			out.Class = c.class
			break
		}
	}
	return out
}

// translated is a kind's hookstream client whose errors are the machinery's (remoteError): every kind's Connect
// returns its client wrapped in it, so that no kind translates on its own.
type translated[O managed.Object, R any, D managed.Desired, P any] struct {
	hs managed.External[O, R, D, P]
}

func (t translated[O, R, D, P]) Observe(ctx context.Context, id string) (R, error) {
	r, err := t.hs.Observe(ctx, id)
	return r, remoteError(err)
}

func (t translated[O, R, D, P]) List(ctx context.Context) iter.Seq2[R, error] {
	return func(yield func(R, error) bool) {
		for r, err := range t.hs.List(ctx) {
			if !yield(r, remoteError(err)) {
				return
			}
		}
	}
}

func (t translated[O, R, D, P]) FindByKey(ctx context.Context, obj O) (R, bool, error) {
	r, found, err := t.hs.FindByKey(ctx, obj)
	return r, found, remoteError(err)
}

func (t translated[O, R, D, P]) Create(ctx context.Context, want D) (R, error) {
	r, err := t.hs.Create(ctx, want)
	return r, remoteError(err)
}

func (t translated[O, R, D, P]) Update(ctx context.Context, id string, patch P) (R, error) {
	r, err := t.hs.Update(ctx, id, patch)
	return r, remoteError(err)
}

func (t translated[O, R, D, P]) Delete(ctx context.Context, id string) error {
	return remoteError(t.hs.Delete(ctx, id))
}

// connectWith returns a kind's Connect: the client of the key from clients, as the kind's External (wrap), its
// errors translated.
func connectWith[O managed.Object, R any, D managed.Desired, P any](clients ClientFactory,
	wrap func(*hookstream.Client) managed.External[O, R, D, P]) func(apiKey string) (managed.External[O, R, D, P], error) {
	return func(apiKey string) (managed.External[O, R, D, P], error) {
		c, err := clients(apiKey)
		if err != nil {
			return nil, err
		}
		return translated[O, R, D, P]{wrap(c)}, nil
	}
}
