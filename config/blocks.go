package config

import (
	"fmt"
	"strings"

	"doraflow"
	"gopkg.in/yaml.v3"
)

// blockKind is what differs between the deployments and incidents lists.
type blockKind struct {
	list string // the top-level key
	kind doraflow.Kind
	noun string // for messages
	keys []string
	// repositories is set for deployment blocks, which select repositories
	// and an environment; incidents come from outside GitHub.
	repositories bool
	// absent explains the keys of the other kind of block.
	absent map[string]string
}

var (
	deploymentKind = blockKind{
		list: "deployments", kind: doraflow.KindDeployments, noun: "deployment",
		keys:         []string{"name", "method", "repositories", "environment", "service", "filters"},
		repositories: true,
	}
	incidentKind = blockKind{
		list: "incidents", kind: doraflow.KindIncidents, noun: "incident",
		keys: []string{"name", "method", "service", "filters"},
		absent: map[string]string{
			"repositories": "incident blocks have no repositories: remove the key (filters.services selects PagerDuty services)",
			"environment":  "incident blocks have no environment: incidents always concern production; remove the key",
		},
	}
)

// methodNames lists the methods blocks of kind k may use.
func (d *decoder) methodNames(k blockKind) []string {
	var names []string
	for _, m := range d.methods.Methods(k.kind) {
		names = append(names, string(m.Method))
	}
	return names
}

// blockKey explains a key a block of kind k may not have.
func (d *decoder) blockKey(k blockKind) func(string) string {
	return func(key string) string {
		if msg := k.absent[key]; msg != "" {
			return msg
		}
		for _, m := range d.methods.Methods(k.kind) {
			if _, ok := m.Filter(key); ok {
				return fmt.Sprintf("%q is a filter: move it under filters:", key)
			}
		}
		return ""
	}
}

// unknownFilter explains a filter key that belongs to another method of
// kind k than the block's m, whose filters it lists.
func (d *decoder) unknownFilter(k blockKind, m doraflow.MethodSpec) func(string) string {
	return func(key string) string {
		if suggest(key, m.FilterKeys()) != "" {
			return ""
		}
		for _, other := range d.methods.Methods(k.kind) {
			if _, ok := other.Filter(key); ok {
				return fmt.Sprintf("filter %q does not apply to method %s (its filters: %s)", key, m.Method, strings.Join(m.FilterKeys(), ", "))
			}
		}
		return ""
	}
}

// named is a name read from a list, for the uniqueness check.
type named struct {
	name string
	node *yaml.Node
	path string
}

// blocks reads the mapping blocks of one list.
func (d *decoder) blocks(n *yaml.Node, k blockKind) []doraflow.Block {
	var out []doraflow.Block
	var names []named
	for i, item := range d.items(n, k.list, "mapping blocks") {
		path := index(k.list, i)
		b, name := d.block(item, path, k)
		out = append(out, b)
		names = append(names, name)
	}
	d.unique(names, k.list)
	return out
}

// items returns the entries of a list of mappings; null reads as empty.
func (d *decoder) items(n *yaml.Node, path, what string) []*yaml.Node {
	seq := resolve(n)
	if isNull(seq) {
		return nil
	}
	if seq.Kind != yaml.SequenceNode {
		d.problem(n, path, "expected a list of %s (entries starting with \"- \"), got %s", what, kindName(seq))
		return nil
	}
	return seq.Content
}

func (d *decoder) block(n *yaml.Node, path string, k blockKind) (doraflow.Block, named) {
	f := d.mapping(n, path, k.keys, d.blockKey(k))
	b := doraflow.Block{Line: resolve(n).Line}
	if f.wrongType {
		return b, named{}
	}
	nm := d.name(f, k.list)
	b.Name = nm.name
	str(f, "method", &b.Method, oneOf("method", d.methodNames(k)))
	if !f.has("method") {
		d.problem(n, join(path, "method"), "method is required: use one of %s", strings.Join(d.methodNames(k), ", "))
	}
	str(f, "service", &b.Service, nil)
	reposOK := true
	if k.repositories {
		b.Environment = doraflow.EnvironmentProduction
		str(f, "environment", &b.Environment, nil)
		reposOK = list(f, "repositories", &b.Repositories, repository)
	}

	spec, known := d.methods.Lookup(k.kind, b.Method)
	switch {
	case spec.Source == doraflow.SourceCustom:
		for _, key := range []string{"repositories", "filters"} {
			if f.has(key) {
				d.problem(f.vals[key], join(path, key), "custom %s blocks take no %s: remove the key (custom %ss are recorded through the HTTP API or `doraflow record`)", k.noun, key, k.noun)
			}
		}
	case known:
		b.Filters = d.filters(f, spec, k)
		if k.repositories && reposOK && len(b.Repositories) == 0 {
			at := f.vals["repositories"]
			if at == nil {
				at = n
			}
			d.problem(at, join(path, "repositories"), "method %s needs repositories: list owner/name globs like [acme/api]", b.Method)
		}
	}
	return b, nm
}

// name reads the name of an entry of list, which is required.
func (d *decoder) name(f fields, list string) named {
	hint := "give it a name that is unique within " + list
	nm := named{node: f.vals["name"], path: join(f.path, "name")}
	str(f, "name", &nm.name, nonEmpty(hint))
	if !f.has("name") {
		d.problem(f.node, nm.path, "name is required: %s", hint)
	}
	return nm
}

// filters reads the filters of a block whose method is known and valid,
// as the method's spec declares them, and applies their defaults.
func (d *decoder) filters(f fields, m doraflow.MethodSpec, k blockKind) doraflow.Filters {
	ff := f.sub("filters", m.FilterKeys(), d.unknownFilter(k, m))
	flt := doraflow.Filters{}
	for _, spec := range m.Filters {
		switch spec.Type {
		case doraflow.FilterText:
			v := spec.Default
			str(ff, spec.Key, &v, filterCheck(spec))
			if v != "" {
				flt[spec.Key] = v
			}
		case doraflow.FilterList:
			var v []string
			if ff.has(spec.Key) {
				list(ff, spec.Key, &v, spec.Check)
				flt[spec.Key] = v
			}
		case doraflow.FilterFlag:
			var v bool
			boolean(ff, spec.Key, &v)
			flt[spec.Key] = v
		}
	}
	return flt
}

// filterCheck is the check of a text filter's values: one of its Values,
// not empty when Required, and its own Check.
func filterCheck(spec doraflow.FilterSpec) check {
	return func(v string) string {
		switch {
		case len(spec.Values) > 0:
			return oneOf(strings.ReplaceAll(spec.Key, "_", " "), spec.Values)(v)
		case spec.Required != "":
			if msg := nonEmpty(spec.Required)(v); msg != "" {
				return msg
			}
		}
		if spec.Check != nil {
			return spec.Check(v)
		}
		return ""
	}
}

// unique reports names used twice in one list.
func (d *decoder) unique(names []named, list string) {
	first := map[string]*yaml.Node{}
	for _, n := range names {
		if n.name == "" {
			continue
		}
		if prev, ok := first[n.name]; ok {
			d.problem(n.node, n.path, "duplicate name %q (first at line %d): names must be unique within %s", n.name, prev.Line, list)
			continue
		}
		first[n.name] = n.node
	}
}

// DeploymentBlock returns the deployment block called name.
func (c *Config) DeploymentBlock(name string) (doraflow.Block, bool) {
	return findBlock(c.Deployments, name)
}

// IncidentBlock returns the incident block called name.
func (c *Config) IncidentBlock(name string) (doraflow.Block, bool) {
	return findBlock(c.Incidents, name)
}

func findBlock(blocks []doraflow.Block, name string) (doraflow.Block, bool) {
	if i := rank(blocks, name); i >= 0 {
		return blocks[i], true
	}
	return doraflow.Block{}, false
}

// BlockRank returns the position of the deployment block called name in the
// file, or -1. Ranks follow the file's order, so that a caller that must
// pick one of several blocks matching the same object can prefer the
// lowest, the one written first. Names are unique per list only: use
// IncidentBlockRank for incident blocks.
func (c *Config) BlockRank(name string) int { return rank(c.Deployments, name) }

// IncidentBlockRank is BlockRank for incident blocks.
func (c *Config) IncidentBlockRank(name string) int { return rank(c.Incidents, name) }

func rank(blocks []doraflow.Block, name string) int {
	for i, b := range blocks {
		if b.Name == name {
			return i
		}
	}
	return -1
}
