package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"doraflow"
)

// DefaultPath is where the config file is looked for when neither --config
// nor $DORAFLOW_CONFIG names one. It is relative, so that messages about it
// read "doraflow.yaml:12: ...".
const DefaultPath = "doraflow.yaml"

// EnvVar names the environment variable that points at the config file.
const EnvVar = "DORAFLOW_CONFIG"

// Find says which config file to read: flagPath (--config) if set, else
// $DORAFLOW_CONFIG, else DefaultPath. explicit is false only for the last:
// a missing file the user named is an error, while a missing DefaultPath
// means "use Default()".
func Find(flagPath string) (path string, explicit bool) {
	if flagPath != "" {
		return flagPath, true
	}
	if p := os.Getenv(EnvVar); p != "" {
		return p, true
	}
	return DefaultPath, false
}

// Default returns the configuration of an empty file: every default, no
// mapping blocks.
func Default() *Config {
	return &Config{
		ClickHouse: ClickHouse{Addr: []string{"127.0.0.1:9000"}, Database: "dora", Username: "default", Protocol: "native"},
		GitHub:     GitHub{BaseURL: "https://api.github.com/", API: GitHubGraphQL, Concurrency: 4},
		PagerDuty:  PagerDuty{BaseURL: "https://api.pagerduty.com", TokenType: TokenTypeToken},
		Timezone:   "UTC",
		Location:   time.UTC,
		Attribution: Attribution{
			Window: 168 * time.Hour,
		},
		Rework:   Rework{Labels: []string{"hotfix", "revert"}},
		Schedule: Schedule{Sync: "0 2 * * *", Lookback: 72 * time.Hour, InitialWindow: 2160 * time.Hour},
		Server:   Server{Listen: "127.0.0.1:8080"},
	}
}

// Load reads, expands, defaults and validates the config file at path,
// taking ${VAR} values from the process environment. Problems with the
// content come back as an *Errors listing all of them; a missing file as
// an error that wraps fs.ErrNotExist.
func Load(path string, methods *doraflow.Registry) (*Config, error) {
	return LoadWithEnv(path, methods, os.LookupEnv)
}

// LoadWithEnv is Load with the environment given by getenv.
func LoadWithEnv(path string, methods *doraflow.Registry, getenv func(string) (string, bool)) (*Config, error) {
	data, err := read(path)
	if err != nil {
		return nil, err
	}
	return Parse(data, path, methods, getenv)
}

func read(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("config file %s: %w; create it (config/doraflow.sample.yaml in the doraflow sources is a commented starting point), or name another with --config PATH or $%s", path, fs.ErrNotExist, EnvVar)
	}
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	return data, nil
}

// Parse is Load for a file already read: file names it in messages.
func Parse(data []byte, file string, methods *doraflow.Registry, getenv func(string) (string, bool)) (*Config, error) {
	d := &decoder{file: file, lookup: getenv, methods: methods}
	c := d.config(data)
	if err := errorsOf(d.problems); err != nil {
		return nil, err
	}
	c.Path = file
	c.Methods = methods
	return c, nil
}

// parseDocument parses data as a single YAML document and returns its root
// node: nil for a file that is empty or holds only comments.
func parseDocument(data []byte) (*yaml.Node, *Problem) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err == io.EOF {
		return nil, nil
	} else if err != nil {
		return nil, syntaxProblem(err, data)
	}
	for {
		// An empty document after the first, as a trailing "---" makes,
		// holds no setting that could be missed.
		var next yaml.Node
		err := dec.Decode(&next)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, syntaxProblem(err, data)
		}
		if len(next.Content) > 0 && !isNull(next.Content[0]) {
			return nil, &Problem{Line: next.Line, Message: "a second YAML document (after ---): keep the whole configuration in one document"}
		}
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// parserProblems are the yaml.v3 errors that come from its parser rather
// than its scanner: it reports their line 0-based, and no line for the
// first one.
var parserProblems = regexp.MustCompile(`^did not find expected (key|node content|'-' indicator|',' or '[\]}]'|<document start>)`)

// syntaxProblem turns a yaml.v3 syntax error into a Problem with a 1-based
// line.
func syntaxProblem(err error, data []byte) *Problem {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = err.Error()[len(m[0]):]
	}
	if parserProblems.MatchString(msg) || line == 0 {
		line++
	}
	p := &Problem{Line: line, Message: "invalid YAML: " + msg}
	lines := strings.Split(string(data), "\n")
	// yaml.v3 says "found character that cannot start any token" or
	// "found a tab character that violates indentation" (on the line
	// before) for a tab in the indentation, which YAML forbids: say that,
	// and what to do, at the line of the tab.
	for _, at := range []int{line, line + 1} {
		if at <= len(lines) && (at == line || strings.Contains(msg, "tab character")) && strings.Contains(indentOf(lines[at-1]), "\t") {
			return &Problem{Line: at, Message: "invalid YAML: tabs are not allowed; indent with spaces"}
		}
	}
	if line <= len(lines) && strings.Contains(msg, "did not find expected ','") && strings.Contains(lines[line-1], "${") {
		// "{" is YAML syntax inside [ ] and { }, so an unquoted ${VAR}
		// there breaks the list, as in tokens: [${TOKEN}].
		p.Message += `: quote a ${VAR} inside [ ] or { }, like ["${VAR}"]`
	}
	return p
}

// indentOf returns the blanks (spaces and tabs) that start line.
func indentOf(line string) string {
	return line[:len(line)-len(strings.TrimLeft(line, " \t"))]
}

var topKeys = []string{"clickhouse", "github", "pagerduty", "timezone", "services", "deployments", "incidents", "attribution", "rework", "schedule", "server"}

// config decodes a whole file onto the defaults.
func (d *decoder) config(data []byte) *Config {
	c := Default()
	root, p := parseDocument(data)
	if p != nil {
		p.File = d.file
		d.problems = append(d.problems, *p)
		return c
	}
	f := d.mapping(root, "", topKeys, nil)

	ch := f.sub("clickhouse", []string{"addr", "database", "username", "password", "cluster", "protocol", "secure", "tls", "settings"}, nil)
	d.addrs(ch, &c.ClickHouse.Addr)
	str(ch, "database", &c.ClickHouse.Database, identifier("database name"))
	str(ch, "username", &c.ClickHouse.Username, nil)
	str(ch, "password", &c.ClickHouse.Password, nil)
	str(ch, "cluster", &c.ClickHouse.Cluster, identifier("cluster name"))
	str(ch, "protocol", &c.ClickHouse.Protocol, oneOf("protocol", []string{"native", "http"}))
	boolean(ch, "secure", &c.ClickHouse.Secure)
	tls := ch.sub("tls", []string{"ca_file", "server_name", "insecure_skip_verify"}, nil)
	str(tls, "ca_file", &c.ClickHouse.TLS.CAFile, nil)
	str(tls, "server_name", &c.ClickHouse.TLS.ServerName, nil)
	boolean(tls, "insecure_skip_verify", &c.ClickHouse.TLS.InsecureSkipVerify)
	if t := c.ClickHouse.TLS; !c.ClickHouse.Secure {
		// TLS options without TLS would be silently ignored.
		for _, k := range []struct {
			key string
			set bool
		}{{"ca_file", t.CAFile != ""}, {"server_name", t.ServerName != ""}, {"insecure_skip_verify", t.InsecureSkipVerify}} {
			if k.set {
				d.problem(tls.vals[k.key], join(tls.path, k.key), "has no effect while clickhouse.secure is false: set secure: true to connect with TLS, or remove it")
			}
		}
	}
	c.ClickHouse.Settings = d.settings(ch)

	d.github(f, &c.GitHub)

	pd := f.sub("pagerduty", []string{"base_url", "token", "token_type"}, nil)
	str(pd, "base_url", &c.PagerDuty.BaseURL, baseURL("https://api.pagerduty.com or https://api.eu.pagerduty.com"))
	c.PagerDuty.BaseURL = strings.TrimRight(c.PagerDuty.BaseURL, "/")
	str(pd, "token", &c.PagerDuty.Token, token)
	str(pd, "token_type", &c.PagerDuty.TokenType, oneOf("token type", []string{TokenTypeToken, TokenTypeBearer}))

	str(f, "timezone", &c.Timezone, timezone)
	if loc, err := time.LoadLocation(c.Timezone); err == nil {
		c.Location = loc
	}

	c.Services = d.services(f.vals["services"])
	c.Deployments = d.blocks(f.vals["deployments"], deploymentKind)
	c.Incidents = d.blocks(f.vals["incidents"], incidentKind)

	duration(f.sub("attribution", []string{"window"}, nil), "window", &c.Attribution.Window, true)
	list(f.sub("rework", []string{"labels"}, nil), "labels", &c.Rework.Labels, nil)

	sc := f.sub("schedule", []string{"sync", "lookback", "initial_window"}, nil)
	str(sc, "sync", &c.Schedule.Sync, cronSpec)
	duration(sc, "lookback", &c.Schedule.Lookback, true)
	duration(sc, "initial_window", &c.Schedule.InitialWindow, false)

	d.server(f, &c.Server)
	return c
}

// settings reads clickhouse.settings: a mapping of ClickHouse setting
// names to single values.
func (d *decoder) settings(ch fields) map[string]string {
	n, ok := ch.vals["settings"]
	if !ok {
		return nil
	}
	path := join(ch.path, "settings")
	m := resolve(n)
	if isNull(m) {
		return nil
	}
	if m.Kind != yaml.MappingNode {
		d.problem(n, path, "expected a mapping of ClickHouse settings like {max_execution_time: 60}, got %s", kindName(m))
		return nil
	}
	var names []string
	for i := 0; i+1 < len(m.Content); i += 2 {
		names = append(names, m.Content[i].Value)
	}
	f := d.mapping(n, path, names, nil)
	out := map[string]string{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		name := k.Value
		if _, kept := f.vals[name]; !kept {
			continue // a duplicate, reported by mapping
		}
		if !isIdentifier(name) {
			d.problem(k, join(path, name), "invalid setting name %q: ClickHouse settings are letters, digits and _ (like max_execution_time)", name)
			continue
		}
		v, vn, vpath, ok := f.scalar(name)
		switch {
		case !ok:
		case v == "":
			d.problem(vn, vpath, "no value: give the setting a value, or remove it")
		default:
			out[name] = v
		}
	}
	return out
}

// addrs reads clickhouse.addr: one host:port, or a list of them.
func (d *decoder) addrs(f fields, dst *[]string) {
	n, ok := f.vals["addr"]
	if !ok {
		return
	}
	c := hostPort("127.0.0.1:9000", false)
	if resolve(n).Kind == yaml.SequenceNode {
		if list(f, "addr", dst, c) && len(*dst) == 0 {
			d.problem(n, "clickhouse.addr", "no address: give host:port, or a list of them")
		}
		return
	}
	var one string
	str(f, "addr", &one, c)
	if one != "" {
		*dst = []string{one}
	}
}

// services reads the services list.
func (d *decoder) services(n *yaml.Node) []Service {
	var out []Service
	var names []named
	for i, item := range d.items(n, "services", "services") {
		path := index("services", i)
		f := d.mapping(item, path, []string{"name", "team", "repositories", "pagerduty_services"}, nil)
		if f.wrongType {
			continue
		}
		nm := d.name(f, "services")
		s := Service{Name: nm.name}
		str(f, "team", &s.Team, nil)
		list(f, "repositories", &s.Repositories, repository)
		list(f, "pagerduty_services", &s.PagerDutyServices, nil)
		out = append(out, s)
		names = append(names, nm)
	}
	d.unique(names, "services")
	return out
}
