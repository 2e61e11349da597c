// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

package docs

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hookstream/hookstream-operator/test/testenv"
)

func readDocs(t *testing.T) (string, map[string]Page) {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	pages, err := Read(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) < 10 {
		t.Fatalf("found only %d pages: the docs tree is missing", len(pages))
	}
	return root, pages
}

// TestLinks checks every relative link of README.md and docs/: the file or folder exists inside the repository, and
// an anchor names a heading of the Markdown file it points into. It also checks that every page of docs/ can be
// reached from the README.
func TestLinks(t *testing.T) {
	root, pages := readDocs(t)
	anchorsOf := map[string][]string{}
	anchors := func(rel string) ([]string, error) {
		if a, ok := anchorsOf[rel]; ok {
			return a, nil
		}
		page, ok := pages[rel]
		if !ok {
			data, err := os.ReadFile(filepath.Join(root, rel))
			if err != nil {
				return nil, err
			}
			if page, err = Parse(rel, string(data)); err != nil {
				return nil, err
			}
		}
		anchorsOf[rel] = HeadingAnchors(page.Prose)
		return anchorsOf[rel], nil
	}
	links := map[string][]string{} // page -> the files it links to
	checked := 0
	for file, page := range pages {
		for n, line := range strings.Split(page.Prose, "\n") {
			for _, target := range Links(line) {
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				checked++
				where := fmt.Sprintf("%s:%d: link %q", file, n+1, target)
				path, anchor, _ := strings.Cut(target, "#")
				rel := file
				if path != "" {
					rel = filepath.ToSlash(filepath.Join(filepath.Dir(file), path))
					if rel == ".." || strings.HasPrefix(rel, "../") {
						t.Errorf("%s leaves the repository", where)
						continue
					}
					if _, err := os.Stat(filepath.Join(root, rel)); err != nil {
						t.Errorf("%s: %s does not exist", where, rel)
						continue
					}
					links[file] = append(links[file], rel)
				}
				if anchor == "" {
					continue
				}
				if !strings.HasSuffix(rel, ".md") {
					t.Errorf("%s: an anchor into a file that is not Markdown", where)
					continue
				}
				a, err := anchors(rel)
				if err != nil {
					t.Errorf("%s: %v", where, err)
					continue
				}
				if !slices.Contains(a, anchor) {
					t.Errorf("%s: %s has no heading with the anchor #%s (it has %v)", where, rel, anchor, a)
				}
			}
		}
	}
	if checked < 20 {
		t.Fatalf("only %d relative links found: the link parser broke", checked)
	}
	seen := map[string]bool{"README.md": true}
	queue := []string{"README.md"}
	for len(queue) > 0 {
		page := queue[0]
		queue = queue[1:]
		for _, next := range links[page] {
			if _, isDoc := pages[next]; isDoc && !seen[next] {
				seen[next] = true
				queue = append(queue, next)
			}
		}
	}
	for page := range pages {
		if !seen[page] {
			t.Errorf("%s cannot be reached from README.md: link it from the README's documentation index or from a page it links", page)
		}
	}
}

func TestParseMarkersAndFences(t *testing.T) {
	text := "# Title\n\n<!-- fragment: part of a spec -->\n```yaml\nspec: {}\n```\n\n<!-- runnable -->\n```sh\necho hi\n```\n\n````md\n```yaml\nnot: closed here\n````\n## Title\n"
	page, err := Parse("x.md", text)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Blocks) != 3 {
		t.Fatalf("blocks = %+v, want 3", page.Blocks)
	}
	if b := page.Blocks[0]; !b.Fragment || b.Runnable || b.Lang != "yaml" || b.Line != 4 || b.Body != "spec: {}\n" {
		t.Errorf("first block = %+v", b)
	}
	if b := page.Blocks[1]; b.Fragment || !b.Runnable || b.Lang != "sh" {
		t.Errorf("second block = %+v", b)
	}
	if b := page.Blocks[2]; b.Lang != "md" || b.Body != "```yaml\nnot: closed here\n" {
		t.Errorf("a longer fence holds a shorter one: %+v", b)
	}
	if got, want := HeadingAnchors(page.Prose), []string{"title", "title-1"}; !slices.Equal(got, want) {
		t.Errorf("anchors = %v, want %v", got, want)
	}
	if _, err := Parse("y.md", "```sh\nopen\n"); err == nil {
		t.Error("an unclosed block parsed without error")
	}
}

func TestHeadingAnchors(t *testing.T) {
	got := HeadingAnchors("## The ingest URL is not a secret\n### `kubectl hookstream export`: the files\n## What's left, 2x?\n## Why 20000 looked worse than 5000")
	want := []string{"the-ingest-url-is-not-a-secret", "kubectl-hookstream-export-the-files", "whats-left-2x", "why-20000-looked-worse-than-5000"}
	if !slices.Equal(got, want) {
		t.Errorf("anchors = %v, want %v", got, want)
	}
}

func TestLinksSkipInlineCode(t *testing.T) {
	got := Links("see [a](b.md#c) and `[x](not-a-link)` then [d](https://e.example/f \"title\")")
	if want := []string{"b.md#c", "https://e.example/f"}; !slices.Equal(got, want) {
		t.Errorf("links = %v, want %v", got, want)
	}
}
