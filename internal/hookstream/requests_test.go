// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package hookstream

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// requestCase is a request and the JSON it must encode to.
type requestCase[R any] struct {
	req      R
	wantJSON string
}

// checkJSON encodes v and expects want.
func checkJSON(t testing.TB, v any, want string) {
	t.Helper()
	got, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("JSON (-want +got):\n%s", diff)
	}
}

// checkRequestJSON encodes each request.
func checkRequestJSON[R any](t *testing.T, tests map[string]requestCase[R]) {
	t.Helper()
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			checkJSON(t, &tc.req, tc.wantJSON)
		})
	}
}

// updateRequest is a PATCH body: the fields it holds, by their JSON names.
type updateRequest[R any] interface {
	*R
	Fields() []string
	IsEmpty() bool
}

// updateCase is a PATCH request, the JSON it must encode to and the fields it must report.
type updateCase[R any] struct {
	req        R
	wantJSON   string
	wantFields []string
}

// checkUpdateRequests encodes each request and asks it for its fields; a nil request must be empty.
func checkUpdateRequests[R any, P updateRequest[R]](t *testing.T, tests map[string]updateCase[R]) {
	t.Helper()
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			checkJSON(t, &tc.req, tc.wantJSON)
			req := P(&tc.req)
			if diff := cmp.Diff(tc.wantFields, req.Fields()); diff != "" {
				t.Errorf("Fields (-want +got):\n%s", diff)
			}
			if empty := req.IsEmpty(); empty != (len(tc.wantFields) == 0) {
				t.Errorf("IsEmpty = %t with fields %v", empty, tc.wantFields)
			}
		})
	}
	var nilReq P
	if !nilReq.IsEmpty() || nilReq.Fields() != nil {
		t.Errorf("a nil request is not empty")
	}
}

// checkPrintsWithoutSecret prints each value in every format verb that reaches its fields.
func checkPrintsWithoutSecret(t *testing.T, secret string, tests map[string]any) {
	t.Helper()
	for name, value := range tests {
		t.Run(name, func(t *testing.T) {
			for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
				if out := fmt.Sprintf(format, value); strings.Contains(out, secret) {
					t.Errorf("%s prints the secret: %s", format, out)
				}
			}
		})
	}
}
