// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package managed

// Requests refused for good: their inputs are remembered (status.refusedInputHash) so that hookstream is not
// called again with them.

import (
	"encoding/json"
	"errors"
	"strconv"

	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// refusedInputHash is the keyed hash of everything a create or update of obj would send, and of its generation:
// status.refusedInputHash holds it while hookstream, or the operator, refuses that request for good.
func refusedInputHash(obj Object, want Desired, apiKey string) string {
	request, err := json.Marshal(want.Request())
	if err != nil {
		// Nothing to compare with: every attempt is then a new one.
		return ""
	}
	return SecretsHash(append([]string{"generation=" + strconv.FormatInt(obj.GetGeneration(), 10), string(request)},
		want.SecretMaterial()...), apiKey)
}

// refusedBefore reports inputs that were refused for good, as status.refusedInputHash (or this process's own
// record of what it wrote there) says, with no check requested since.
func (r *Reconciler[O, R, D, P]) refusedBefore(obj O, inputHash string) bool {
	if inputHash == "" || checkRequested(obj) {
		return false
	}
	written, _ := r.refused.Load(obj.GetUID())
	return obj.GetManagedStatus().RefusedInputHash == inputHash || written == inputHash
}

// recordRefusal keeps, in status.refusedInputHash, the inputs of a reconcile that ended refused for good (a
// terminal error), and forgets them once a reconcile succeeds.
func (r *Reconciler[O, R, D, P]) recordRefusal(obj O, inputHash string, err error) {
	st := obj.GetManagedStatus()
	switch {
	case errors.Is(err, reconcile.TerminalError(nil)):
		st.RefusedInputHash = inputHash
		MarkCheckHandled(obj)
		r.refused.Store(obj.GetUID(), inputHash)
	case err == nil && !isStalled(obj):
		st.RefusedInputHash = ""
		r.refused.Delete(obj.GetUID())
	}
}
