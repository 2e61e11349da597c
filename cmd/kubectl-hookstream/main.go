// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

// Command kubectl-hookstream is the hookstream operator's kubectl plugin: on PATH, `kubectl hookstream` runs it.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/hookstream/hookstream-operator/internal/plugin"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := plugin.Execute(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
