// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package emulator

import (
	"net"
	"testing"
)

// TestListeningURLReadsListeningLine: the URL comes back from the line among what else the emulator prints, and
// a line that only quotes it (a log message) is not taken for it.
func TestListeningURLReadsListeningLine(t *testing.T) {
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40123}
	tests := map[string]struct {
		output string
		want   string
	}{
		"alone":              {output: ListeningLine(addr), want: "http://127.0.0.1:40123"},
		"among other lines":  {output: "api key hs_test_…: org_id=org_1 env_id=env_1\n" + ListeningLine(addr) + "time=x level=INFO msg=request\n", want: "http://127.0.0.1:40123"},
		"not printed yet":    {output: "api key hs_test_…: org_id=org_1 env_id=env_1\n"},
		"quoted in a line":   {output: `msg="saw hookstream emulator listening on http://127.0.0.1:1/v1"` + "\n"},
		"line still written": {output: "hookstream emulator listening on http://127.0.0.1:40123/v1"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := ListeningURL(tc.output)
			if got != tc.want || ok != (tc.want != "") {
				t.Errorf("ListeningURL = %q, %v; want %q", got, ok, tc.want)
			}
		})
	}
}
