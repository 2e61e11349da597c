// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0
package docs

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// guideFile is the maintainer's guide, whose every named file and Go symbol must exist.
const guideFile = "docs/maintainers.md"

var (
	// codeSpan is an inline code span of prose.
	codeSpan = regexp.MustCompile("`([^`\n]+)`")
	// goName is a Go identifier, or a qualified one (pkg.Name, Type.Method), maybe with a call's parentheses.
	goName = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)(\(.*\))?$`)
	// filePath is a path of the repository: a folder and a name, or a file name with an extension of the project's.
	filePath = regexp.MustCompile(`^[\w.-]+(/[\w.-]*)*$`)
	// jsonName is the field name of a struct tag's json key.
	jsonName = regexp.MustCompile(`json:"([A-Za-z0-9_]+)`)
	fileExt  = regexp.MustCompile(`\.(go|yaml|yml|md|lua|json|sh|txt|tsv)$`)
)

// guideCodeEnd is the heading that ends the part of the guide about the code (layout, reconcile, seam, registry,
// adding a provider type and a kind); what follows names commands, tools and release artifacts made on demand.
const guideCodeEnd = "## Tests"

// stdPackages qualify names of the standard library, which the guide may name too.
var stdPackages = map[string]bool{"errors": true, "fmt": true, "context": true, "strings": true, "time": true, "slices": true}

// TestGuideNamesWhatExists fails when the code part of docs/maintainers.md names, in inline code, a file of the
// repository or a Go name that does not exist: the guide walks through adding a kind and a provider type file by
// file, and must stay true as the code moves. A Go name is a declaration, a JSON field of the API or a constant's
// string (a condition reason). Placeholders (<kind>, {admin,editor}, Xxx) and commands (with spaces) are not names.
func TestGuideNamesWhatExists(t *testing.T) {
	root, pages := readDocs(t)
	guide, ok := pages[guideFile]
	if !ok {
		t.Fatalf("%s is missing", guideFile)
	}
	code, _, found := strings.Cut(guide.Prose, "\n"+guideCodeEnd+"\n")
	if !found {
		t.Fatalf("%s has no heading %q", guideFile, guideCodeEnd)
	}
	symbols := goSymbols(t, root)
	files := repoFiles(t, root)
	checked := 0
	for lineNo, line := range strings.Split(code, "\n") {
		for _, m := range codeSpan.FindAllStringSubmatch(line, -1) {
			span := strings.TrimSpace(m[1])
			switch {
			case strings.ContainsAny(span, " <>{}*:=\"'"):
				// A command, a placeholder, a value: not a name.
			case fileExt.MatchString(span) || strings.HasSuffix(span, "/"):
				checked++
				if !files.has(span) {
					t.Errorf("%s:%d names %s, which is not a file or folder of the repository", guideFile, lineNo+1, span)
				}
			case goName.MatchString(span) && !strings.Contains(span, "/"):
				name := goName.FindStringSubmatch(span)[1]
				first, _, _ := strings.Cut(name, ".")
				if !looksLikeGo(name) || strings.Contains(name, "Xxx") || stdPackages[first] {
					continue
				}
				checked++
				for part := range strings.SplitSeq(strings.TrimPrefix(name, "spec."), ".") {
					if !symbols[part] {
						t.Errorf("%s:%d names %s, but no Go declaration of the repository is called %s", guideFile,
							lineNo+1, span, part)
					}
				}
			case filePath.MatchString(span) && strings.Contains(span, "/"):
				checked++
				if !files.has(span) {
					t.Errorf("%s:%d names %s, which is not a file or folder of the repository", guideFile, lineNo+1, span)
				}
			}
		}
	}
	if checked < 50 {
		t.Errorf("only %d names checked in %s: the parsing missed them", checked, guideFile)
	}
}

// looksLikeGo tells a Go name from a word in code font: an exported name, a qualified one, or a lower-case name
// with an inner capital (camelCase).
func looksLikeGo(name string) bool {
	if strings.Contains(name, ".") {
		first := name[:strings.Index(name, ".")]
		// hookstream.io/..., file.ext: the extension case is handled before; a domain is no Go name.
		return first != "hookstream" || strings.ToUpper(name[len(first)+1:len(first)+2]) == name[len(first)+1:len(first)+2]
	}
	if name == strings.ToUpper(name) {
		// A make variable or a constant of another language (ARGOCD_HEALTH_KINDS).
		return false
	}
	return name[0] >= 'A' && name[0] <= 'Z' || strings.ToLower(name) != name
}

// goSymbols collects every name the repository's Go files declare (functions, methods, types, fields, interface
// methods, constants, variables) and the package names.
func goSymbols(t *testing.T, root string) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "bin" || d.Name() == "dist") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		names[f.Name.Name] = true
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				names[n.Name.Name] = true
			case *ast.TypeSpec:
				names[n.Name.Name] = true
			case *ast.ValueSpec:
				for _, id := range n.Names {
					names[id.Name] = true
				}
				for _, v := range n.Values {
					if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						names[strings.Trim(lit.Value, "\"`")] = true
					}
				}
			case *ast.Field:
				for _, id := range n.Names {
					names[id.Name] = true
				}
				if n.Tag != nil {
					if m := jsonName.FindStringSubmatch(n.Tag.Value); m != nil {
						names[m[1]] = true
					}
				}
			case *ast.ImportSpec:
				if n.Name != nil {
					names[n.Name.Name] = true
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// fileSet is the repository's files and folders, by path and by base name.
type fileSet struct{ paths, bases map[string]bool }

func repoFiles(t *testing.T, root string) fileSet {
	t.Helper()
	set := fileSet{paths: map[string]bool{}, bases: map[string]bool{}}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != root {
			return filepath.SkipDir
		}
		rel, _ := filepath.Rel(root, path)
		set.paths[filepath.ToSlash(rel)] = true
		set.bases[d.Name()] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// has reports a path of the repository, or a file name that some folder holds (the guide names files of the folder
// it speaks of by their names alone).
func (s fileSet) has(name string) bool {
	name = strings.TrimSuffix(name, "/")
	if s.paths[name] {
		return true
	}
	if !strings.Contains(name, "/") {
		return s.bases[name]
	}
	// A path inside a folder the guide introduced (contract/hookstream-openapi.yaml): its tail must exist.
	for p := range s.paths {
		if strings.HasSuffix(p, "/"+name) {
			return true
		}
	}
	_, err := os.Stat(name)
	return err == nil
}
