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
