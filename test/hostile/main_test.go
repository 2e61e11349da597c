// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

// Package hostile applies hostile inputs, as an adversarial user would, to Destinations, Sources and Connections,
// and checks that each is refused before it reaches hookstream: by the API server at apply time, with a message
// that says what is wrong, or by the manager with a condition reason, without writing to hookstream (at most the
// one call whose answer refuses it, where only hookstream can tell). The table runs on one control plane, one
// emulator and one manager per set of manager flags; each row has its own namespace and its own hookstream
// project, so the emulator's request log tells every row's calls apart.
package hostile

import (
	"fmt"
	"os"
	"testing"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/hookstream/hookstream-operator/test/harness"
)

var env *harness.Env

func TestMain(m *testing.M) {
	// The control plane's start logs through controller-runtime, which is silent here.
	ctrllog.SetLogger(logr.Discard())
	e, cleanup, err := harness.Setup()
	if err != nil {
		fmt.Fprintln(os.Stderr, "hostile:", err)
		os.Exit(1)
	}
	env = e
	code := m.Run()
	cleanup()
	os.Exit(code)
}
