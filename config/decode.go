package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"doraflow"
)

// decoder walks a parsed file and collects every problem instead of stopping
// at the first: working on yaml.Node rather than yaml.Unmarshal is what gives
// each problem its line, and lets unknown keys be reported with a suggestion.
type decoder struct {
	file   string
	lookup func(string) (string, bool)
	// methods declare the methods blocks may use and their filters.
	methods *doraflow.Registry
	// lenient leaves unset variables unreported and the values that use
	// them unchecked. AddBlock sets it: adding a block must not require
	// every secret of the file in the environment of the editing shell.
	lenient  bool
	problems []Problem
}

// check validates one text value and returns what is wrong with it, or "".
// A check that runs on a secret must not quote the value.
type check func(string) string

func (d *decoder) problem(n *yaml.Node, key, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	d.problems = append(d.problems, Problem{File: d.file, Line: line, Key: key, Message: fmt.Sprintf(format, args...)})
}

// resolve follows aliases (*anchor) to the node they stand for.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

// kindName says what a node is, for "expected X, got Y" messages.
func kindName(n *yaml.Node) string {
	switch resolve(n).Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	default:
		return "a single value"
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// fields is a mapping whose keys were checked: the value nodes by key.
type fields struct {
	d    *decoder
	path string
	node *yaml.Node // the mapping, for problems about missing keys
	vals map[string]*yaml.Node
	// wrongType is set when the node was not a mapping (and reported):
	// checks for missing keys would only repeat that problem.
	wrongType bool
}

// mapping reads n as a mapping whose keys must be among keys. A key that is
// not is reported with unknown's message, or a generic one with the nearest
// valid key when unknown is nil or returns "". A null n (a section left
// empty, or absent) reads as an empty mapping.
func (d *decoder) mapping(n *yaml.Node, path string, keys []string, unknown func(key string) string) fields {
	f := fields{d: d, path: path, node: n, vals: map[string]*yaml.Node{}}
	m := resolve(n)
	if isNull(m) {
		return f
	}
	if m.Kind != yaml.MappingNode {
		d.problem(n, path, "expected a mapping of keys (%s), got %s", strings.Join(keys, ", "), kindName(m))
		f.wrongType = true
		return f
	}
	firstLine := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		key := k.Value
		switch {
		case k.Kind != yaml.ScalarNode:
			d.problem(k, path, "expected a key name, got %s", kindName(k))
		case firstLine[key] > 0:
			d.problem(k, join(path, key), "duplicate key %q (first at line %d): keep one", key, firstLine[key])
		case !slices.Contains(keys, key):
			d.unknownKey(k, path, keys, unknown)
		default:
			f.vals[key] = v
		}
		if k.Kind == yaml.ScalarNode && firstLine[key] == 0 {
			firstLine[key] = k.Line
		}
	}
	return f
}

// unknownKey reports a key that is not among keys. With a likely typo the
// problem is filed under the key that was meant, as in
// "deployments[2].filters.workflow: unknown key "workfow" (did you mean
// "workflow"?)", since that is the key to write.
func (d *decoder) unknownKey(k *yaml.Node, path string, keys []string, unknown func(string) string) {
	key := k.Value
	if unknown != nil {
		if msg := unknown(key); msg != "" {
			d.problem(k, join(path, key), "%s", msg)
			return
		}
	}
	if s := suggest(key, keys); s != "" {
		d.problem(k, join(path, s), "unknown key %q (did you mean %q?)", key, s)
		return
	}
	d.problem(k, join(path, key), "unknown key %q: valid keys here are %s", key, strings.Join(keys, ", "))
}

func (f fields) has(key string) bool {
	_, ok := f.vals[key]
	return ok
}

// sub reads the value of key as a nested mapping.
func (f fields) sub(key string, keys []string, unknown func(string) string) fields {
	return f.d.mapping(f.vals[key], join(f.path, key), keys, unknown)
}

// text returns the value of a scalar with its ${VAR} references expanded.
// ok is false when there is no usable value: the node is not a scalar, a
// reference is malformed or unset (all reported), or, in lenient mode, a
// variable is unset (not reported: the value is simply unknown).
func (d *decoder) text(n *yaml.Node, path string) (string, bool) {
	s := resolve(n)
	if isNull(s) {
		return "", true
	}
	if s.Kind != yaml.ScalarNode {
		d.problem(n, path, "expected a single value, got %s", kindName(s))
		return "", false
	}
	v, unset, err := expand(s.Value, d.lookup)
	if err != nil {
		d.problem(n, path, "%v", err)
		return "", false
	}
	if len(unset) > 0 {
		if !d.lenient {
			for _, name := range unset {
				d.problem(n, path, "environment variable %s is not set: export it (an empty value is fine) or remove the reference", name)
			}
		}
		return "", false
	}
	if !utf8.ValidString(v) {
		// Only a variable can bring invalid UTF-8: the YAML parser
		// rejects it in the file itself.
		d.problem(n, path, "value is not valid UTF-8 text: check the environment variables it uses")
		return "", false
	}
	return v, true
}

// scalar returns the text of key and where it is. ok is false when the
// key is absent or its value unusable, which text has reported.
func (f fields) scalar(key string) (v string, n *yaml.Node, path string, ok bool) {
	n, ok = f.vals[key]
	if !ok {
		return "", nil, "", false
	}
	path = join(f.path, key)
	v, ok = f.d.text(n, path)
	return v, n, path, ok
}

// str reads key as text into dst. An empty value keeps dst, which holds the
// default; c sees every value, including "", so it decides whether an
// empty value is acceptable.
func str[T ~string](f fields, key string, dst *T, c check) {
	v, n, path, ok := f.scalar(key)
	if !ok {
		return
	}
	if c != nil {
		if msg := c(v); msg != "" {
			f.d.problem(n, path, "%s", msg)
			return
		}
	}
	if v != "" {
		*dst = T(v)
	}
}

// list reads key as a list of text values into dst, replacing the default
// even when the list is empty. Entries must not be empty, and each must
// pass c. It reports whether dst holds what the file says: false when an
// entry was unusable.
func list[T ~string](f fields, key string, dst *[]T, c check) bool {
	n, ok := f.vals[key]
	if !ok {
		return true
	}
	out, ok := f.d.list(n, join(f.path, key), c)
	if ok {
		*dst = make([]T, len(out))
		for i, v := range out {
			(*dst)[i] = T(v)
		}
	}
	return ok
}

func (d *decoder) list(n *yaml.Node, path string, c check) ([]string, bool) {
	seq := resolve(n)
	if isNull(seq) {
		return nil, true
	}
	if seq.Kind != yaml.SequenceNode {
		d.problem(n, path, "expected a list like [a, b], got %s", kindName(seq))
		return nil, false
	}
	out := make([]string, 0, len(seq.Content))
	for i, item := range seq.Content {
		p := index(path, i)
		v, ok := d.text(item, p)
		if !ok {
			continue
		}
		var msg string
		switch {
		case v == "":
			msg = "empty entry: remove it, or set the variable it comes from"
		case c != nil:
			msg = c(v)
		}
		if msg != "" {
			d.problem(item, p, "%s", msg)
			continue
		}
		out = append(out, v)
	}
	return out, len(out) == len(seq.Content)
}

// boolean reads key as true or false into dst.
func boolean(f fields, key string, dst *bool) {
	v, n, path, ok := f.scalar(key)
	if !ok || v == "" {
		return
	}
	// The spellings of YAML's core schema: a value that came through a
	// variable is text, so the parser's own booleans do not apply.
	switch v {
	case "true", "True", "TRUE":
		*dst = true
	case "false", "False", "FALSE":
		*dst = false
	default:
		f.d.problem(n, path, "invalid value %q: use true or false", v)
	}
}

// integer reads key as a whole number between lo and hi into dst.
func integer(f fields, key string, dst *int, lo, hi int) {
	v, n, path, ok := f.scalar(key)
	if !ok || v == "" {
		return
	}
	i, err := strconv.Atoi(v)
	if err != nil || i < lo || i > hi {
		f.d.problem(n, path, "invalid value %q: use a whole number from %d to %d", v, lo, hi)
		return
	}
	*dst = i
}

// duration reads key into dst. Zero is allowed only when allowZero is set;
// negative durations never are.
func duration(f fields, key string, dst *time.Duration, allowZero bool) {
	v, n, path, ok := f.scalar(key)
	if !ok || v == "" {
		return
	}
	dur, err := parseDuration(v)
	switch {
	case err != nil:
		f.d.problem(n, path, "%v", err)
	case dur < 0:
		f.d.problem(n, path, "duration %q is negative: use a positive one like 72h", v)
	case dur == 0 && !allowZero:
		f.d.problem(n, path, "duration must be longer than 0, like 72h or 90d")
	default:
		*dst = dur
	}
}

// parseDuration reads Go duration syntax (72h, 1h30m) plus whole days, on
// their own or in front (90d, 1d12h), since windows of weeks and months
// are clumsy in hours.
func parseDuration(s string) (time.Duration, error) {
	bad := fmt.Errorf("invalid duration %q: use a number with a unit, like 72h, 90m or 90d", s)
	sign, body := time.Duration(1), s
	if body != "" && (body[0] == '-' || body[0] == '+') {
		if body[0] == '-' {
			sign = -1
		}
		body = body[1:]
	}
	var d time.Duration
	if i := strings.IndexByte(body, 'd'); i > 0 && strings.Trim(body[:i], "0123456789") == "" {
		const maxDays = int64(1<<63-1) / int64(24*time.Hour)
		days, err := strconv.ParseInt(body[:i], 10, 64)
		if err != nil || days > maxDays {
			return 0, bad
		}
		d, body = time.Duration(days)*24*time.Hour, body[i+1:]
		if body == "" {
			return sign * d, nil
		}
	}
	r, err := time.ParseDuration(body)
	if err != nil || r < 0 || d+r < d {
		return 0, bad
	}
	return sign * (d + r), nil
}
