// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package plugin

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// reasonConstants parses api/v1alpha1/conditions.go and returns every Reason* constant's name and value.
func reasonConstants(t *testing.T) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "../../api/v1alpha1/conditions.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for _, decl := range f.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.CONST {
			continue
		}
		for _, spec := range gen.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if !strings.HasPrefix(name.Name, "Reason") {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					t.Fatalf("%s is not a string literal", name.Name)
				}
				v, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				reasons[name.Name] = v
			}
		}
	}
	return reasons
}

func TestEveryReasonHasAFix(t *testing.T) {
	reasons := reasonConstants(t)
	if len(reasons) < 10 {
		t.Fatalf("found only %d reason constants in conditions.go: %v", len(reasons), reasons)
	}
	values := map[string]bool{}
	for name, value := range reasons {
		values[value] = true
		if strings.TrimSpace(Fixes[value]) == "" {
			t.Errorf("reason %s (%q) has no fix in Fixes", name, value)
		}
	}
	for reason := range Fixes {
		if !values[reason] {
			t.Errorf("Fixes has an entry for %q, which no reason constant of conditions.go has", reason)
		}
	}
}

func TestFixFor(t *testing.T) {
	if got := FixFor("SlugConflict"); got != Fixes["SlugConflict"] {
		t.Errorf("FixFor(SlugConflict) = %q", got)
	}
	if got := FixFor(""); got != noReadyFix {
		t.Errorf("FixFor(\"\") = %q", got)
	}
	if got := FixFor("SomethingNew"); !strings.Contains(got, "upgrade the plugin") {
		t.Errorf("FixFor of an unknown reason = %q", got)
	}
}

// TestDoctorPageListsEveryFix keeps the table of docs/doctor.md the table of the code.
func TestDoctorPageListsEveryFix(t *testing.T) {
	page, err := os.ReadFile("../../docs/doctor.md")
	if err != nil {
		t.Fatal(err)
	}
	for reason, fix := range Fixes {
		if row := "| `" + reason + "` | " + fix + " |"; !strings.Contains(string(page), row) {
			t.Errorf("docs/doctor.md lacks the row %s", row)
		}
	}
}
