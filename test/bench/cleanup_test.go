// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "github.com/hookstream/hookstream-operator/api/v1alpha1"
)

// cleanUp removes a mode's objects and Events once it is measured, its manager stopped, so that every mode starts
// on the same control plane: objects left behind grow etcd and the API server's watch cache, which slows every later
// write and would favour whichever mode runs first. The finalizers the manager added are removed first (the remote
// resources go with the emulator).
func (bn *bench) cleanUp(ctx context.Context, namespace string) error {
	start := time.Now()
	removed := 0
	for _, k := range kindsOf(bn.cfg.Kinds) {
		items, err := listItems[finalizedItem](ctx, bn, namespace, k)
		if err != nil {
			return err
		}
		if err := bn.dropFinalizers(ctx, namespace, k, items); err != nil {
			return err
		}
		obj := &unstructured.Unstructured{}
		obj.SetGroupVersionKind(v1.GroupVersion.WithKind(k.Kind))
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(v1.GroupVersion.WithKind(k.Kind + "List"))
		if err := bn.deleteAll(ctx, namespace, obj, list); err != nil {
			return fmt.Errorf("deleting the %s: %w", k.Resource, err)
		}
		removed += len(items)
	}
	if err := bn.deleteAll(ctx, namespace, &corev1.Event{}, &corev1.EventList{}); err != nil {
		return fmt.Errorf("deleting the Events: %w", err)
	}
	bn.logf("  cleaned up: %d objects and their Events deleted in %.1fs", removed, time.Since(start).Seconds())
	return nil
}

// deleteAll deletes every object of obj's kind in the namespace and waits, at most ten minutes, until list finds
// none. At N=20000 a collection delete outlasts the API server's request timeout: the delete goes on, and the
// answer is a timeout or a reset stream. The delete is then sent again every 30 seconds while objects remain; any
// other refusal is returned at once.
func (bn *bench) deleteAll(ctx context.Context, namespace string, obj client.Object, list client.ObjectList) error {
	deadline := time.Now().Add(10 * time.Minute)
	for {
		deleteErr := bn.cl.DeleteAllOf(ctx, obj, client.InNamespace(namespace))
		if deleteErr != nil && !outlasted(deleteErr) {
			return deleteErr
		}
		for resend := time.Now().Add(30 * time.Second); ; {
			if err := bn.cl.List(ctx, list, client.InNamespace(namespace), client.Limit(1)); err != nil {
				return err
			}
			if meta.LenList(list) == 0 {
				return nil
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("objects still there 10 minutes after their deletion (last delete: %v)", deleteErr)
			}
			if deleteErr != nil && time.Now().After(resend) {
				break
			}
			time.Sleep(2 * time.Second)
		}
	}
}

// outlasted reports an error of a request the API server may still be carrying out: its timeout, or a transport
// error (a reset stream) rather than an answer.
func outlasted(err error) bool {
	if apierrors.IsTimeout(err) || apierrors.IsServerTimeout(err) {
		return true
	}
	var answer apierrors.APIStatus
	return !errors.As(err, &answer)
}

// finalizedItem is the part of an object cleanUp reads.
type finalizedItem struct {
	Metadata struct {
		Name       string   `json:"name"`
		Finalizers []string `json:"finalizers"`
	} `json:"metadata"`
}

func (bn *bench) dropFinalizers(ctx context.Context, namespace string, k *benchKind, items []finalizedItem) error {
	jobs := make(chan string)
	errs := make(chan error, bn.cfg.Creators)
	var wg sync.WaitGroup
	for range bn.cfg.Creators {
		wg.Go(func() {
			for name := range jobs {
				obj := &unstructured.Unstructured{}
				obj.SetGroupVersionKind(v1.GroupVersion.WithKind(k.Kind))
				obj.SetNamespace(namespace)
				obj.SetName(name)
				patch := client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`))
				if err := bn.cl.Patch(ctx, obj, patch); err != nil {
					errs <- fmt.Errorf("removing the finalizers of %s %s: %w", k.Kind, name, err)
					for range jobs {
						// Drained, so that the feeder never blocks.
					}
					return
				}
			}
		})
	}
	for _, it := range items {
		if len(it.Metadata.Finalizers) > 0 {
			jobs <- it.Metadata.Name
		}
	}
	close(jobs)
	wg.Wait()
	close(errs)
	return <-errs
}
