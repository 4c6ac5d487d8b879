package config

import (
	"bytes"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"doraflow"
	"gopkg.in/yaml.v3"
)

// Building YAML as nodes, not from tagged structs, keeps the key order of
// the contract and lets a block show only the filters of its method.

func scalar(v string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
}

func flowList(vs []string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
	for _, v := range vs {
		n.Content = append(n.Content, scalar(v))
	}
	return n
}

func secrets(ss []Secret) *yaml.Node {
	vs := make([]string, len(ss))
	for i, s := range ss {
		vs[i] = s.String()
	}
	return flowList(vs)
}

func boolNode(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b)}
}

func mappingNode() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"} }

func set(m *yaml.Node, key string, v *yaml.Node) {
	m.Content = append(m.Content, scalar(key), v)
}

// encode writes n as YAML with the two-space indentation of the contract.
func encode(n *yaml.Node) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// blockNode renders the keys a block has, in the contract's order; repos
// and env are left out when empty, and so are service and filters.
func blockNode(name string, m doraflow.Method, repos []string, env, service string, filters *yaml.Node) *yaml.Node {
	n := mappingNode()
	set(n, "name", scalar(name))
	set(n, "method", scalar(string(m)))
	if len(repos) > 0 {
		set(n, "repositories", flowList(repos))
	}
	if env != "" {
		set(n, "environment", scalar(env))
	}
	if service != "" {
		set(n, "service", scalar(service))
	}
	if len(filters.Content) > 0 {
		set(n, "filters", filters)
	}
	return n
}

// filtersNode renders the effective filters of a block of method m:
// everything set, and the flags, whose default is a decision too.
func filtersNode(m doraflow.MethodSpec, flt doraflow.Filters) *yaml.Node {
	n := mappingNode()
	for _, spec := range m.Filters {
		switch spec.Type {
		case doraflow.FilterText:
			if v := flt.Text(spec.Key); v != "" {
				set(n, spec.Key, scalar(v))
			}
		case doraflow.FilterList:
			if v := flt.List(spec.Key); len(v) > 0 {
				set(n, spec.Key, flowList(v))
			}
		case doraflow.FilterFlag:
			set(n, spec.Key, boolNode(flt.Flag(spec.Key)))
		}
	}
	return n
}

func (c *Config) blocksNode(kind doraflow.Kind, blocks []doraflow.Block) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for _, b := range blocks {
		spec, _ := c.Methods.Lookup(kind, b.Method)
		n.Content = append(n.Content, blockNode(b.Name, b.Method, b.Repositories, b.Environment, b.Service, filtersNode(spec, b.Filters)))
	}
	return n
}

// formatDuration writes d the way people write it in the file: 168h, not
// 168h0m0s.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// Redacted renders the effective configuration, every default applied, as
// YAML in the layout of the contract, with each secret shown as
// [redacted] (or "" when unset). `doraflow config validate -v` prints it.
func (c *Config) Redacted() string {
	root := mappingNode()

	ch := mappingNode()
	set(ch, "addr", flowList(c.ClickHouse.Addr))
	set(ch, "database", scalar(c.ClickHouse.Database))
	set(ch, "username", scalar(c.ClickHouse.Username))
	set(ch, "password", scalar(c.ClickHouse.Password.String()))
	set(ch, "cluster", scalar(c.ClickHouse.Cluster))
	set(ch, "protocol", scalar(c.ClickHouse.Protocol))
	set(ch, "secure", boolNode(c.ClickHouse.Secure))
	tls := mappingNode()
	set(tls, "ca_file", scalar(c.ClickHouse.TLS.CAFile))
	set(tls, "server_name", scalar(c.ClickHouse.TLS.ServerName))
	set(tls, "insecure_skip_verify", boolNode(c.ClickHouse.TLS.InsecureSkipVerify))
	set(ch, "tls", tls)
	settings := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Style: yaml.FlowStyle}
	for _, k := range slices.Sorted(maps.Keys(c.ClickHouse.Settings)) {
		set(settings, k, scalar(c.ClickHouse.Settings[k]))
	}
	set(ch, "settings", settings)
	set(root, "clickhouse", ch)

	gh := mappingNode()
	set(gh, "base_url", scalar(c.GitHub.BaseURL))
	set(gh, "token", scalar(c.GitHub.Token.String()))
	setGitHubSignIn(gh, c.GitHub)
	set(gh, "api", scalar(c.GitHub.API))
	set(gh, "concurrency", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(c.GitHub.Concurrency)})
	set(root, "github", gh)

	pd := mappingNode()
	set(pd, "base_url", scalar(c.PagerDuty.BaseURL))
	set(pd, "token", scalar(c.PagerDuty.Token.String()))
	set(pd, "token_type", scalar(c.PagerDuty.TokenType))
	set(root, "pagerduty", pd)

	set(root, "timezone", scalar(c.Timezone))

	svcs := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for _, s := range c.Services {
		n := mappingNode()
		set(n, "name", scalar(s.Name))
		set(n, "team", scalar(s.Team))
		set(n, "repositories", flowList(s.Repositories))
		set(n, "pagerduty_services", flowList(s.PagerDutyServices))
		svcs.Content = append(svcs.Content, n)
	}
	set(root, "services", svcs)
	set(root, "deployments", c.blocksNode(doraflow.KindDeployments, c.Deployments))
	set(root, "incidents", c.blocksNode(doraflow.KindIncidents, c.Incidents))

	at := mappingNode()
	set(at, "window", scalar(formatDuration(c.Attribution.Window)))
	set(root, "attribution", at)

	rw := mappingNode()
	set(rw, "labels", flowList(c.Rework.Labels))
	set(root, "rework", rw)

	sc := mappingNode()
	set(sc, "sync", scalar(c.Schedule.Sync))
	set(sc, "lookback", scalar(formatDuration(c.Schedule.Lookback)))
	set(sc, "initial_window", scalar(formatDuration(c.Schedule.InitialWindow)))
	set(root, "schedule", sc)

	sv := mappingNode()
	set(sv, "listen", scalar(c.Server.Listen))
	set(sv, "tokens", secrets(c.Server.Tokens))
	if len(c.Server.ReadTokens) > 0 {
		set(sv, "read_tokens", secrets(c.Server.ReadTokens))
	}
	stls := mappingNode()
	set(stls, "cert_file", scalar(c.Server.TLS.CertFile))
	set(stls, "key_file", scalar(c.Server.TLS.KeyFile))
	set(sv, "tls", stls)
	set(root, "server", sv)

	out, err := encode(root)
	if err != nil {
		// Only a hand-built Config can get here: Load rejects values
		// that are not UTF-8, the one thing the encoder refuses.
		return "# cannot render the configuration: " + err.Error() + "\n"
	}
	return string(out)
}
