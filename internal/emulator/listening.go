// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator

import (
	"fmt"
	"net"
	"regexp"
)

// ListeningLine is the line the hookstream-emulator command prints once its listener is bound, naming the base URL
// of its API. Started with --addr 127.0.0.1:0, the emulator binds a port of its own choosing; a program that
// started it learns the port from this line (ListeningURL), so that no port is picked before it is bound.
func ListeningLine(addr net.Addr) string {
	return fmt.Sprintf("hookstream emulator listening on http://%s/v1\n", addr)
}

// listeningLine matches a whole ListeningLine, its newline included, so that a line still being written is not read.
var listeningLine = regexp.MustCompile(`(?m)^hookstream emulator listening on (http://\S+)/v1\n`)

// ListeningURL finds ListeningLine in what the emulator printed and returns the base URL it names, without /v1.
func ListeningURL(output string) (string, bool) {
	m := listeningLine.FindStringSubmatch(output)
	if m == nil {
		return "", false
	}
	return m[1], true
}
