package doraflow

import (
	"fmt"
	"path"
	"slices"
)

// Block is a mapping block: what counts as a deployment or an incident.
// Which filters it may have depends on its method, as the source that
// reads the method declares them (MethodSpec).
type Block struct {
	Name         string
	Method       Method
	Repositories []string // owner/name globs; deployment blocks only
	Environment  string   // default "production"; deployment blocks only
	Service      string   // optional override of the services: lookup
	Filters      Filters
	// Line is where the block starts in the config file, for messages.
	Line int
}

// Filters are the conditions of a block, all of which must hold, by key.
// Each value has the type its FilterSpec declares: a string (FilterText),
// a []string (FilterList) or a bool (FilterFlag). A key the block does
// not set is absent, except where the spec gives a default.
type Filters map[string]any

// Text returns the text filter key, "" when unset.
func (f Filters) Text(key string) string { s, _ := f[key].(string); return s }

// List returns the list filter key, nil when unset.
func (f Filters) List(key string) []string { l, _ := f[key].([]string); return l }

// Flag returns the flag filter key, false when unset.
func (f Filters) Flag(key string) bool { b, _ := f[key].(bool); return b }

// Kind tells the two lists of mapping blocks apart.
type Kind string

// Kinds of block, named as the config's top-level keys.
const (
	KindDeployments Kind = "deployments"
	KindIncidents   Kind = "incidents"
)

// FilterType is the type of a filter's value.
type FilterType int

// Filter types.
const (
	FilterText FilterType = iota // a string
	FilterList                   // a list of strings
	FilterFlag                   // true or false
)

// FilterSpec declares one filter key a method takes. The config reads and
// checks it as declared, reporting every problem at once with its line.
type FilterSpec struct {
	Key  string
	Type FilterType
	// Values, when set, are the only values a text filter takes; the
	// config suggests the nearest for a typo.
	Values []string
	// Default is the value of a text filter that a block leaves out.
	Default string
	// Required, when set, refuses an empty text value and says this to
	// do instead.
	Required string
	// Check says what is wrong with a value (of a text filter, or one
	// item of a list) and what to do, or "" when it is fine.
	Check func(v string) string
}

// MethodSpec declares a method of a source: the lists whose blocks may
// use it and the filters those blocks take, in the order the docs give
// them.
type MethodSpec struct {
	Method  Method
	Source  Source
	Kinds   []Kind
	Filters []FilterSpec
}

// Registry holds the methods of every source doraflow was built with. The
// config validates blocks through it and the pipeline finds a block's
// source in it; cmd builds it from the sources' own declarations.
type Registry struct {
	specs []MethodSpec
}

// NewRegistry returns a registry of the given methods, in order. A method
// declares each kind of block once; Duplicates tells when not.
func NewRegistry(specs ...[]MethodSpec) *Registry {
	r := &Registry{}
	for _, list := range specs {
		r.specs = append(r.specs, list...)
	}
	return r
}

// Duplicates names the methods declared more than once for a kind of
// block, which would make a block's source ambiguous.
func (r *Registry) Duplicates() []string {
	seen := map[string]bool{}
	var dups []string
	for _, s := range r.specs {
		for _, k := range s.Kinds {
			key := string(k) + "." + string(s.Method)
			if seen[key] {
				dups = append(dups, key)
			}
			seen[key] = true
		}
	}
	return dups
}

// Lookup returns the method m of blocks of kind k.
func (r *Registry) Lookup(k Kind, m Method) (MethodSpec, bool) {
	if r == nil {
		return MethodSpec{}, false
	}
	for _, s := range r.specs {
		if s.Method == m && slices.Contains(s.Kinds, k) {
			return s, true
		}
	}
	return MethodSpec{}, false
}

// Methods returns the methods blocks of kind k may use, in registration
// order.
func (r *Registry) Methods(k Kind) []MethodSpec {
	if r == nil {
		return nil
	}
	var out []MethodSpec
	for _, s := range r.specs {
		if slices.Contains(s.Kinds, k) {
			out = append(out, s)
		}
	}
	return out
}

// SourceOf returns the source that reads blocks of method m, "" for a
// method the registry does not know. Custom blocks are not read from
// anywhere: their records are written to doraflow (SourceCustom).
func (r *Registry) SourceOf(m Method) Source {
	if r == nil {
		return ""
	}
	for _, s := range r.specs {
		if s.Method == m {
			return s.Source
		}
	}
	return ""
}

// Sources returns the sources of the registry's methods, each once, in
// registration order.
func (r *Registry) Sources() []Source {
	if r == nil {
		return nil
	}
	var out []Source
	for _, s := range r.specs {
		if !slices.Contains(out, s.Source) {
			out = append(out, s.Source)
		}
	}
	return out
}

// Filter returns the filter key of the spec, if the method takes it.
func (s MethodSpec) Filter(key string) (FilterSpec, bool) {
	i := slices.IndexFunc(s.Filters, func(f FilterSpec) bool { return f.Key == key })
	if i < 0 {
		return FilterSpec{}, false
	}
	return s.Filters[i], true
}

// FilterKeys returns the filter keys of the spec, in order.
func (s MethodSpec) FilterKeys() []string {
	keys := make([]string, len(s.Filters))
	for i, f := range s.Filters {
		keys[i] = f.Key
	}
	return keys
}

// GlobCheck returns a FilterSpec.Check for globs in path.Match syntax,
// which every pattern of a block uses (repositories, tags, paths); what
// names the kind of pattern in the message.
func GlobCheck(what string) func(string) string {
	return func(v string) string {
		if _, err := path.Match(v, ""); err != nil {
			return fmt.Sprintf("invalid %s %q: bad glob syntax; check [ ] pairs and \\ escapes", what, v)
		}
		return ""
	}
}
