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
