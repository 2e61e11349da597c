// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

// Package e2e runs the built manager and emulator binaries as processes against a real control plane, driven with
// the real kubectl. The manager authenticates with a token of the ServiceAccount that config/rbac defines, so a
// missing RBAC rule fails these tests.
package e2e

import (
	"fmt"
	"os"
	"testing"

	"github.com/hookstream/hookstream-operator/test/harness"
	"github.com/hookstream/hookstream-operator/test/harness/harnesstest"
)

var s harnesstest.Env

func TestMain(m *testing.M) {
	env, cleanup, err := harness.Setup()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	s = harnesstest.Env{Env: env}
	code := m.Run()
	cleanup()
	os.Exit(code)
}
