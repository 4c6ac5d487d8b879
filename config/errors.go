package config

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"doraflow"
)

// Problem is one thing wrong with a configuration file.
type Problem struct {
	File string
	Line int // 1-based; 0 when the problem concerns the whole file
	// Key is the path of the key concerned, like deployments[1].filters;
	// "" for the whole file. For a misspelt key it is the key meant.
	Key     string
	Message string // what is wrong and what to do about it; never a secret
}

// String formats the problem as "file:line: key: message", leaving out the
// parts that are not known.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Key != "" {
		b.WriteString(p.Key)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Errors is every problem found in a configuration file. Load reports all
// of them at once so that one run of `doraflow config validate` is enough
// to fix a file.
type Errors struct {
	Problems []Problem
}

// Error lists the problems, one per line, in file order.
func (e *Errors) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// errorsOf returns the problems as an *Errors in line order, or nil when
// there are none. Problems are found section by section (and names are
// compared after whole lists are read), so they are sorted for the reader.
func errorsOf(problems []Problem) error {
	if len(problems) == 0 {
		return nil
	}
	sorted := slices.Clone(problems)
	slices.SortStableFunc(sorted, func(a, b Problem) int { return cmp.Compare(a.Line, b.Line) })
	return &Errors{Problems: sorted}
}

// suggest returns the candidate closest to word, or "" when none is close
// enough to be a plausible typo (doraflow.Nearest).
func suggest(word string, candidates []string) string {
	return doraflow.Nearest(word, candidates)
}
