// Copyright 2026 The hookstream-operator Authors.
// SPDX-License-Identifier: Apache-2.0

// Package docs reads the repository's documentation (README.md and docs/) the way its tests need: the fenced blocks
// with the markers of docs/maintainers.md, the text outside them, and the anchors of the headings. The doc tests
// of this package check links; test/integration applies the YAML examples and runs the runnable shell blocks on a
// real API server.
package docs

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unicode"
)

// The documentation's conventions, which docs/maintainers.md describes: a fenced block right after one of these
// HTML comments (on the line before the fence) is a fragment, not applied, or a shell block the tests run.
const (
	FragmentMarker = "<!-- fragment"
	RunnableMarker = "<!-- runnable"
)

// Block is a fenced code block of a Markdown file.
type Block struct {
	File     string // relative to the repository, with forward slashes
	Line     int    // of the opening fence, 1-based
	Lang     string // the fence's info string (first word)
	Marker   string // the HTML comment on the line before the fence, if any
	Body     string
	Fragment bool
	Runnable bool
}

func (b Block) String() string { return fmt.Sprintf("%s:%d (%s block)", b.File, b.Line, b.Lang) }

// Page is a Markdown file: its blocks, and its text with the blocks blanked (line numbers hold).
type Page struct {
	Blocks []Block
	Prose  string
}

// Files lists README.md and every Markdown file under docs/, relative to the repository root.
func Files(root string) ([]string, error) {
	files := []string{"README.md"}
	err := filepath.WalkDir(filepath.Join(root, "docs"), func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".md") {
			rel, err := filepath.Rel(root, path)
			files = append(files, filepath.ToSlash(rel))
			return err
		}
		return nil
	})
	return files, err
}

// Read parses README.md and the pages of docs/, keyed by their path relative to root.
func Read(root string) (map[string]Page, error) {
	files, err := Files(root)
	if err != nil {
		return nil, err
	}
	pages := map[string]Page{}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			return nil, err
		}
		p, err := Parse(f, string(data))
		if err != nil {
			return nil, err
		}
		pages[f] = p
	}
	return pages, nil
}

var fence = regexp.MustCompile("^\\s*(```+|~~~+)\\s*([A-Za-z0-9_+-]*)")

// Parse returns the fenced blocks of a Markdown document and its text outside them.
func Parse(file, text string) (Page, error) {
	lines := strings.Split(text, "\n")
	var blocks []Block
	prose := make([]string, len(lines))
	for i := 0; i < len(lines); i++ {
		m := fence.FindStringSubmatch(lines[i])
		if m == nil {
			prose[i] = lines[i]
			continue
		}
		b := Block{File: file, Line: i + 1, Lang: m[2]}
		if i > 0 {
			prev := strings.TrimSpace(lines[i-1])
			if strings.HasPrefix(prev, "<!--") {
				b.Marker = prev
				b.Fragment = strings.HasPrefix(prev, FragmentMarker)
				b.Runnable = strings.HasPrefix(prev, RunnableMarker)
			}
		}
		var body []string
		closed := false
		for i++; i < len(lines); i++ {
			closing := strings.TrimSpace(lines[i])
			if strings.HasPrefix(closing, m[1]) && strings.Trim(closing, m[1][:1]) == "" {
				closed = true
				break
			}
			body = append(body, lines[i])
		}
		if !closed {
			return Page{}, fmt.Errorf("%s:%d: the block opened here is never closed", file, b.Line)
		}
		b.Body = strings.Join(body, "\n") + "\n"
		blocks = append(blocks, b)
	}
	return Page{Blocks: blocks, Prose: strings.Join(prose, "\n")}, nil
}

var (
	// Link matches an inline Markdown link and captures its target.
	Link       = regexp.MustCompile(`\[[^\]\n]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	inlineCode = regexp.MustCompile("`[^`\n]*`")
	heading    = regexp.MustCompile(`^#{1,6}\s+(.+?)\s*#*\s*$`)
)

// Links returns the link targets of a line of prose, outside inline code.
func Links(line string) []string {
	matches := Link.FindAllStringSubmatch(inlineCode.ReplaceAllString(line, ""), -1)
	out := make([]string, 0, len(matches))
	for _, m := range matches {
		out = append(out, m[1])
	}
	return out
}

// HeadingAnchors returns the anchors a forge gives the headings of a Markdown text: lower case, punctuation
// dropped except '-' and '_', spaces turned into '-', and -1, -2... for repeats.
func HeadingAnchors(prose string) []string {
	var out []string
	count := map[string]int{}
	for line := range strings.SplitSeq(prose, "\n") {
		m := heading.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		var b strings.Builder
		for _, r := range strings.ToLower(m[1]) {
			switch {
			case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_':
				b.WriteRune(r)
			case r == ' ':
				b.WriteRune('-')
			}
		}
		a := b.String()
		if n := count[a]; n > 0 {
			out = append(out, fmt.Sprintf("%s-%d", a, n))
		} else {
			out = append(out, a)
		}
		count[a]++
	}
	return out
}
