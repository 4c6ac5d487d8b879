package config

import (
	"fmt"
	"strings"

	"doraflow"
	"gopkg.in/yaml.v3"
)

// conclusions are the conclusions GitHub gives a finished workflow run.
var conclusions = []string{"success", "failure", "neutral", "cancelled", "skipped", "timed_out", "action_required", "stale", "startup_failure"}

// filterDef describes one filter key: exactly one of str, list and flag
// points at the field it fills. The same table drives reading the file,
// FilterKeys, rendering a block for AddBlock and Redacted.
type filterDef struct {
	key   string
	check check
	str   func(*Filters) *string
	list  func(*Filters) *[]string
	flag  func(*Filters) *bool
}

var filterDefs = map[doraflow.Method][]filterDef{
	doraflow.MethodMergedPR: {
		{key: "base_branch", str: func(f *Filters) *string { return &f.BaseBranch }},
		{key: "labels", list: func(f *Filters) *[]string { return &f.Labels }},
		{key: "exclude_labels", list: func(f *Filters) *[]string { return &f.ExcludeLabels }},
		{key: "paths", check: pathGlob, list: func(f *Filters) *[]string { return &f.Paths }},
	},
	doraflow.MethodWorkflowRun: {
		{key: "workflow", str: func(f *Filters) *string { return &f.Workflow }},
		{key: "branch", str: func(f *Filters) *string { return &f.Branch }},
		{key: "event", check: nonEmpty("name a GitHub event like push, or remove the key to accept any"), str: func(f *Filters) *string { return &f.Event }},
		{key: "conclusion", check: oneOf("conclusion", conclusions), str: func(f *Filters) *string { return &f.Conclusion }},
	},
	doraflow.MethodRelease: {
		{key: "tag_pattern", check: glob("tag pattern"), str: func(f *Filters) *string { return &f.TagPattern }},
		{key: "prerelease", flag: func(f *Filters) *bool { return &f.Prerelease }},
	},
	doraflow.MethodDeployment: {
		{key: "environment", str: func(f *Filters) *string { return &f.Environment }},
	},
	doraflow.MethodPagerDuty: {
		{key: "services", list: func(f *Filters) *[]string { return &f.Services }},
		{key: "urgency", check: oneOf("urgency", []string{"high", "low"}), str: func(f *Filters) *string { return &f.Urgency }},
		{key: "priorities", list: func(f *Filters) *[]string { return &f.Priorities }},
		{key: "teams", list: func(f *Filters) *[]string { return &f.Teams }},
	},
}

// FilterKeys returns the filter keys a block of method m may set, in the
// order the docs present them; none for custom or an unknown method.
func FilterKeys(m doraflow.Method) []string {
	defs := filterDefs[m]
	keys := make([]string, len(defs))
	for i, def := range defs {
		keys[i] = def.key
	}
	return keys
}

func lookupFilter(m doraflow.Method, key string) (filterDef, bool) {
	for _, def := range filterDefs[m] {
		if def.key == key {
			return def, true
		}
	}
	return filterDef{}, false
}

// blockKind is what differs between the deployments and incidents lists.
type blockKind struct {
	list    string // the top-level key
	noun    string // for messages
	methods []doraflow.Method
	keys    []string
	// repositories is set for deployment blocks, which select repositories
	// and an environment; incidents come from outside GitHub.
	repositories bool
	// absent explains the keys of the other kind of block.
	absent map[string]string
}

var (
	deploymentKind = blockKind{
		list: "deployments", noun: "deployment", methods: doraflow.DeploymentMethods,
		keys:         []string{"name", "method", "repositories", "environment", "service", "filters"},
		repositories: true,
	}
	incidentKind = blockKind{
		list: "incidents", noun: "incident", methods: doraflow.IncidentMethods,
		keys: []string{"name", "method", "service", "filters"},
		absent: map[string]string{
			"repositories": "incident blocks have no repositories: remove the key (filters.services selects PagerDuty services)",
			"environment":  "incident blocks have no environment: incidents always concern production; remove the key",
		},
	}
)

func (k blockKind) methodNames() []string {
	names := make([]string, len(k.methods))
	for i, m := range k.methods {
		names[i] = string(m)
	}
	return names
}

// unknownKey explains a key a block may not have.
func (k blockKind) unknownKey(key string) string {
	if msg := k.absent[key]; msg != "" {
		return msg
	}
	for _, m := range k.methods {
		if _, ok := lookupFilter(m, key); ok {
			return fmt.Sprintf("%q is a filter: move it under filters:", key)
		}
	}
	return ""
}

// unknownFilter explains a filter key that belongs to another method than
// the block's m, whose filters it lists.
func (k blockKind) unknownFilter(m doraflow.Method) func(string) string {
	return func(key string) string {
		if suggest(key, FilterKeys(m)) != "" {
			return ""
		}
		for _, other := range k.methods {
			if _, ok := lookupFilter(other, key); ok {
				return fmt.Sprintf("filter %q does not apply to method %s (its filters: %s)", key, m, strings.Join(FilterKeys(m), ", "))
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
func (d *decoder) blocks(n *yaml.Node, k blockKind) []Block {
	var out []Block
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

func (d *decoder) block(n *yaml.Node, path string, k blockKind) (Block, named) {
	f := d.mapping(n, path, k.keys, k.unknownKey)
	b := Block{Line: resolve(n).Line}
	if f.wrongType {
		return b, named{}
	}
	nm := d.name(f, k.list)
	b.Name = nm.name
	str(f, "method", &b.Method, oneOf("method", k.methodNames()))
	if !f.has("method") {
		d.problem(n, join(path, "method"), "method is required: use one of %s", strings.Join(k.methodNames(), ", "))
	}
	str(f, "service", &b.Service, nil)
	reposOK := true
	if k.repositories {
		b.Environment = doraflow.EnvironmentProduction
		str(f, "environment", &b.Environment, nil)
		reposOK = list(f, "repositories", &b.Repositories, repository)
	}

	switch {
	case b.Method == doraflow.MethodCustom:
		for _, key := range []string{"repositories", "filters"} {
			if f.has(key) {
				d.problem(f.vals[key], join(path, key), "custom %s blocks take no %s: remove the key (custom %ss are recorded through the HTTP API or `doraflow record`)", k.noun, key, k.noun)
			}
		}
	case b.Method != "":
		b.Filters = d.filters(f, b.Method, k)
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
// and applies the method's defaults.
func (d *decoder) filters(f fields, m doraflow.Method, k blockKind) Filters {
	ff := f.sub("filters", FilterKeys(m), k.unknownFilter(m))
	var flt Filters
	if m == doraflow.MethodWorkflowRun {
		flt.Conclusion = "success"
	}
	for _, def := range filterDefs[m] {
		switch {
		case def.str != nil:
			str(ff, def.key, def.str(&flt), def.check)
		case def.list != nil:
			list(ff, def.key, def.list(&flt), def.check)
		default:
			boolean(ff, def.key, def.flag(&flt))
		}
	}
	return flt
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
func (c *Config) DeploymentBlock(name string) (Block, bool) {
	return findBlock(c.Deployments, name)
}

// IncidentBlock returns the incident block called name.
func (c *Config) IncidentBlock(name string) (Block, bool) {
	return findBlock(c.Incidents, name)
}

func findBlock(blocks []Block, name string) (Block, bool) {
	if i := rank(blocks, name); i >= 0 {
		return blocks[i], true
	}
	return Block{}, false
}

// BlockRank returns the position of the deployment block called name in the
// file, or -1. Ranks follow the file's order, so that a caller that must
// pick one of several blocks matching the same object can prefer the
// lowest, the one written first. Names are unique per list only: use
// IncidentBlockRank for incident blocks.
func (c *Config) BlockRank(name string) int { return rank(c.Deployments, name) }

// IncidentBlockRank is BlockRank for incident blocks.
func (c *Config) IncidentBlockRank(name string) int { return rank(c.Incidents, name) }

func rank(blocks []Block, name string) int {
	for i, b := range blocks {
		if b.Name == name {
			return i
		}
	}
	return -1
}
