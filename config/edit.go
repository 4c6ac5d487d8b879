package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"doraflow"
	"gopkg.in/yaml.v3"
)

// The lists AddBlock appends to.
const (
	Deployments = "deployments"
	Incidents   = "incidents"
)

// KeyValue is one --filter KEY=VALUE of `doraflow config add-*`.
type KeyValue struct {
	Key   string
	Value string
}

// ParseKeyValue splits a --filter argument at its first "=".
func ParseKeyValue(s string) (KeyValue, error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(k) == "" {
		return KeyValue{}, fmt.Errorf("invalid filter %q: use KEY=VALUE, like base_branch=main or labels=deploy,release", s)
	}
	return KeyValue{Key: strings.TrimSpace(k), Value: v}, nil
}

// SplitList splits a comma-separated flag value (--repositories, list
// filters) into its entries, without spaces around them or empty ones.
func SplitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// BlockSpec is a mapping block to add, as given on the command line. Empty
// fields are left out of the file. A filter of the method's list-valued
// keys is split with SplitList.
type BlockSpec struct {
	Name         string
	Method       doraflow.Method
	Repositories []string // deployments only
	Environment  string   // deployments only
	Service      string
	Filters      []KeyValue
}

// AddBlock appends the block b to the list kind (Deployments or Incidents)
// of the config file at path, creating the list when the file has none.
//
// The new block's text is spliced into the file's bytes, so comments and
// layout stay exactly as they were. The result is checked like Load checks
// a file (except that unset ${VAR}s are not reported: editing must not need
// every secret in the environment) and problems, a duplicate name among
// them, come back as an *Errors. The file is replaced atomically, keeping
// its mode, and is left untouched on any error.
func AddBlock(path, kind string, b BlockSpec, methods *doraflow.Registry) error {
	data, err := read(path)
	if err != nil {
		return err
	}
	out, err := appendBlock(data, path, kind, b, methods, os.LookupEnv)
	if err != nil {
		return err
	}
	// Write where a symlink points, so that a linked config stays linked.
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return fmt.Errorf("adding block: %w", err)
	}
	info, err := os.Stat(target)
	if err != nil {
		return fmt.Errorf("adding block: %w", err)
	}
	return writeAtomic(target, out, info.Mode().Perm())
}

// appendBlock returns data with b appended to the list kind.
func appendBlock(data []byte, file, kind string, b BlockSpec, methods *doraflow.Registry, getenv func(string) (string, bool)) ([]byte, error) {
	if kind != Deployments && kind != Incidents {
		return nil, fmt.Errorf("adding block: unknown list %q: use %s or %s", kind, Deployments, Incidents)
	}
	check := func(data []byte) error {
		d := &decoder{file: file, lookup: getenv, methods: methods, lenient: true}
		d.config(data)
		return errorsOf(d.problems)
	}
	root, p := parseDocument(data)
	if p != nil {
		return nil, check(data)
	}
	spec, _ := methods.Lookup(doraflow.Kind(kind), b.Method)
	item, err := renderBlock(b, spec)
	if err != nil {
		return nil, fmt.Errorf("adding block: %w", err)
	}
	out, first, ok := splice(data, root, kind, item)
	if !ok || !appended(root, out, kind, item) {
		if err := check(data); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("cannot add the block to %s without reformatting the file: add it at the end of %s: by hand:\n%s", file, kind, strings.Join(itemLines(item, 2, 4), "\n"))
	}
	if err := check(out); err != nil {
		return nil, onFlags(err, first, item, b)
	}
	return out, nil
}

// onFlags moves the problems found in the lines of the added block, which
// start at line first of the checked text, from those lines (never
// written: the file is left as it was) to the flags they came from. A
// problem keeps its message, which quotes the value as given. Problems of
// the rest of the file stay where they are.
func onFlags(err error, first int, item string, b BlockSpec) error {
	var problems *Errors
	if !errors.As(err, &problems) {
		return err
	}
	lines := strings.Split(strings.TrimSuffix(item, "\n"), "\n")
	for i, p := range problems.Problems {
		if at := p.Line - first; p.Line > 0 && at >= 0 && at < len(lines) {
			problems.Problems[i] = Problem{File: flagOf(p.Key, lines[at], b), Message: p.Message}
		}
	}
	return problems
}

// flagOf names the flag, with its value, behind the key of a problem of
// the added block; for a filter, the key is the one meant, not the one
// given, so the filter is found by the rendered line of the problem.
func flagOf(key, line string, b BlockSpec) string {
	_, field, _ := strings.Cut(key, "].")
	field, _, _ = strings.Cut(field, ".")
	if value, ok := map[string]string{"name": b.Name, "method": string(b.Method), "repositories": strings.Join(b.Repositories, ","),
		"environment": b.Environment, "service": b.Service}[field]; ok {
		return strings.TrimSpace("--" + field + " " + value)
	}
	given, _, _ := strings.Cut(strings.TrimSpace(line), ":")
	for _, kv := range b.Filters {
		if kv.Key == given {
			return "--filter " + kv.Key + "=" + kv.Value
		}
	}
	return "--filter"
}

// renderBlock writes b, a block of method m, as a YAML mapping,
// unindented. A filter m does not take is written as text, for the check
// that follows to report.
func renderBlock(b BlockSpec, m doraflow.MethodSpec) (string, error) {
	filters := mappingNode()
	for _, kv := range b.Filters {
		spec, known := m.Filter(kv.Key)
		v := scalar(kv.Value)
		switch {
		case known && spec.Type == doraflow.FilterList:
			v = flowList(SplitList(kv.Value))
		case known && spec.Type == doraflow.FilterFlag && (kv.Value == "true" || kv.Value == "false"):
			v = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: kv.Value}
		}
		set(filters, kv.Key, v)
	}
	out, err := encode(blockNode(b.Name, b.Method, b.Repositories, b.Environment, b.Service, filters))
	return string(out), err
}

// splice inserts item as the last entry of the list kind and returns the
// 1-based line where the item starts. It reports false when the file is
// laid out in a way it does not handle (flow style, aliases, a list of the
// wrong type); appendBlock then leaves it alone.
func splice(data []byte, root *yaml.Node, kind, item string) ([]byte, int, bool) {
	text := string(data)
	// yaml.v3 also breaks lines at a lone \r, NEL, LS and PS, and reads
	// UTF-16: its line numbers then do not count "\n"-ended lines.
	if !utf8.ValidString(text) || strings.ContainsAny(strings.ReplaceAll(text, "\r\n", ""), "\r\u0085\u2028\u2029") {
		return nil, 0, false
	}
	nl := "\n"
	if strings.Contains(text, "\r\n") {
		nl = "\r\n"
	}
	lines := strings.SplitAfter(text, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if root != nil && (root.Kind != yaml.MappingNode || root.Style&yaml.FlowStyle != 0) {
		return nil, 0, false
	}
	at := -1
	if root != nil {
		at = lastKey(root, kind)
	}
	if at < 0 {
		return insert(lines, len(lines), []string{kind + ":"}, itemLines(item, 2, 4), nl), len(lines) + 2, true
	}
	key, v := root.Content[at], root.Content[at+1]
	if v.Line < 1 || v.Line > len(lines) {
		return nil, 0, false
	}
	dash := key.Column - 1 + 2
	// Columns count characters, but only ASCII (the key, spaces, an
	// anchor) can precede a value on its line, so they are byte offsets.
	l, start := lines[v.Line-1], v.Column-1
	switch {
	case start > len(l):
		return nil, 0, false
	case v.Kind == yaml.ScalarNode && v.Tag == "!!null" && strings.HasPrefix(l[start:], v.Value):
		// "deployments:", "deployments: ~" or "deployments: null": drop
		// the null and put the entry on the next line.
		lines[v.Line-1] = strings.TrimRight(l[:start], " \t") + l[start+len(v.Value):]
		return insert(lines, v.Line, nil, itemLines(item, dash, dash+2), nl), v.Line + 1, true
	case v.Kind == yaml.SequenceNode && v.Style&yaml.FlowStyle != 0 && len(v.Content) == 0:
		// "deployments: []": drop the brackets, if on one line.
		end := strings.IndexByte(l[start:], ']')
		if !strings.HasPrefix(l[start:], "[") || end < 0 {
			return nil, 0, false
		}
		lines[v.Line-1] = strings.TrimRight(l[:start], " \t") + l[start+end+1:]
		return insert(lines, v.Line, nil, itemLines(item, dash, dash+2), nl), v.Line + 1, true
	case v.Kind == yaml.SequenceNode && v.Style&yaml.FlowStyle == 0 && len(v.Content) > 0:
		dash = v.Column - 1
		content := dash + 2
		if first := v.Content[0]; first.Line == v.Line {
			content = first.Column - 1
		}
		// The list ends where the next top-level key starts, less the
		// blank lines and the less indented comments above that key,
		// which introduce it rather than close the list.
		end := len(lines)
		if at+2 < len(root.Content) {
			end = min(root.Content[at+2].Line-1, end)
		}
		lastItem := v.Content[len(v.Content)-1].Line
		for end > lastItem && closesList(lines[end-1], dash) {
			end--
		}
		return insert(lines, end, nil, itemLines(item, dash, content), nl), end + 1, true
	}
	return nil, 0, false
}

// closesList reports whether a line after a list's last entry is blank or a
// comment indented less than the list's dashes (at column 0 always).
func closesList(line string, dash int) bool {
	trimmed := strings.TrimLeft(line, " ")
	if strings.TrimSpace(trimmed) == "" {
		return true
	}
	return strings.HasPrefix(trimmed, "#") && len(line)-len(trimmed) < max(dash, 1)
}

// itemLines indents a rendered block as a list entry: the dash at column
// dash, the keys at column content.
func itemLines(item string, dash, content int) []string {
	var out []string
	for i, l := range strings.Split(strings.TrimSuffix(item, "\n"), "\n") {
		prefix := strings.Repeat(" ", content)
		if i == 0 {
			prefix = strings.Repeat(" ", dash) + "-" + strings.Repeat(" ", content-dash-1)
		}
		out = append(out, prefix+l)
	}
	return out
}

// insert puts the new lines after the first n lines, each ended with nl.
func insert(lines []string, n int, head, body []string, nl string) []byte {
	var b strings.Builder
	for _, l := range lines[:n] {
		b.WriteString(l)
	}
	if n > 0 && !strings.HasSuffix(lines[n-1], "\n") {
		b.WriteString(nl)
	}
	for _, l := range append(head, body...) {
		b.WriteString(l + nl)
	}
	for _, l := range lines[n:] {
		b.WriteString(l)
	}
	return []byte(b.String())
}

// appended reports whether out holds what the old root held, unchanged,
// with item added as the last entry of kind: the proof that splice kept
// the meaning of the rest of the file, whatever its layout was.
func appended(root *yaml.Node, out []byte, kind, item string) bool {
	got, p := parseDocument(out)
	entry, q := parseDocument([]byte(item))
	if p != nil || q != nil || got == nil {
		return false
	}
	want := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if root != nil {
		copied := *root
		want = &copied
	}
	want.Content = slices.Clone(want.Content)
	list := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{entry}}
	if i := lastKey(want, kind); i < 0 {
		want.Content = append(want.Content, scalar(kind), list)
	} else {
		old := want.Content[i+1]
		if old.Kind == yaml.SequenceNode {
			list.Content = append(slices.Clone(old.Content), entry)
		}
		list.Anchor = old.Anchor
		want.Content[i+1] = list
	}
	return sameNode(want, got)
}

// lastKey returns the index of key's last occurrence in a mapping, or -1.
func lastKey(m *yaml.Node, key string) int {
	at := -1
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			at = i
		}
	}
	return at
}

// sameNode compares the data of two nodes, not their layout. Aliases are
// compared by name, so cyclic anchors cannot make it loop.
func sameNode(a, b *yaml.Node) bool {
	if a.Kind != b.Kind || a.Tag != b.Tag || a.Value != b.Value || a.Anchor != b.Anchor || len(a.Content) != len(b.Content) {
		return false
	}
	for i := range a.Content {
		if !sameNode(a.Content[i], b.Content[i]) {
			return false
		}
	}
	return true
}

// writeAtomic replaces path with data so that a crash leaves either the
// old file or the new one, never a part of it.
func writeAtomic(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("writing config: %w", err)
	}
	if err := fillFile(tmp, data, mode); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing config: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing config: %w", err)
	}
	// The rename survives a crash only once the directory is synced.
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing config directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing config directory: %w", err)
	}
	return nil
}

// fillFile writes data to f, sets its mode, flushes it to disk and closes it.
func fillFile(f *os.File, data []byte, mode os.FileMode) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Chmod(mode)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
