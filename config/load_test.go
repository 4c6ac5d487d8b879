package config

import (
	"doraflow/sources"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"doraflow"
)

// env returns a lookup over name/value pairs.
func env(pairs ...string) func(string) (string, bool) {
	m := map[string]string{}
	for i := 0; i+1 < len(pairs); i += 2 {
		m[pairs[i]] = pairs[i+1]
	}
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// testEnv sets the variables of the sample config, and EMPTY to "".
var testEnv = env(
	"CLICKHOUSE_PASSWORD", "ch-secret-pw",
	"GITHUB_TOKEN", "ghp_secretgithub",
	"PAGERDUTY_TOKEN", "pd-secret-token",
	"DORAFLOW_API_TOKEN", "api-secret-token",
	"EMPTY", "",
	"TZ_NAME", "Europe/Berlin",
	"CONC", "8",
	"YES", "true",
)

func parse(src string) (*Config, error) {
	return Parse([]byte(src), "doraflow.yaml", sources.Registry(), testEnv)
}

// problemLines returns the lines of an *Errors, failing the test for any
// other kind of error.
func problemLines(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error is %T, want *Errors: %v", err, err)
	}
	return strings.Split(errs.Error(), "\n")
}

func TestInvalid(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // prefixes of the problem lines, in order, all of them
	}{
		{"unknown top-level key", "clickhose:\n  addr: x:1\n", []string{
			`doraflow.yaml:1: clickhouse: unknown key "clickhose" (did you mean "clickhouse"?)`}},
		{"unknown key without a close match", "colour: red\n", []string{
			`doraflow.yaml:1: colour: unknown key "colour": valid keys here are clickhouse, github,`}},
		{"unknown nested key", "github:\n  tokn: x\n  baseURL: https://x/\n", []string{
			`doraflow.yaml:2: github.token: unknown key "tokn" (did you mean "token"?)`,
			`doraflow.yaml:3: github.base_url: unknown key "baseURL" (did you mean "base_url"?)`}},
		{"unknown block key", "deployments:\n  - name: a\n    method: custom\n    filter: {}\n", []string{
			`doraflow.yaml:4: deployments[0].filters: unknown key "filter" (did you mean "filters"?)`}},
		{"misspelt filter", "deployments:\n  - name: a\n    method: workflow_run\n    repositories: [a/b]\n    filters:\n      workfow: deploy.yml\n", []string{
			`doraflow.yaml:6: deployments[0].filters.workflow: unknown key "workfow" (did you mean "workflow"?)`}},
		{"filter at block level", "deployments:\n  - name: a\n    method: merged_pr\n    repositories: [a/b]\n    labels: [x]\n", []string{
			`doraflow.yaml:5: deployments[0].labels: "labels" is a filter: move it under filters:`}},
		{"duplicate key", "timezone: UTC\ntimezone: UTC\n", []string{
			`doraflow.yaml:2: timezone: duplicate key "timezone" (first at line 1): keep one`}},

		{"list for a scalar", "clickhouse:\n  database: [a]\n", []string{
			`doraflow.yaml:2: clickhouse.database: expected a single value, got a list`}},
		{"scalar for a list", "rework:\n  labels: hotfix\n", []string{
			`doraflow.yaml:2: rework.labels: expected a list like [a, b], got a single value`}},
		{"scalar for a section", "github: yes\n", []string{
			`doraflow.yaml:1: github: expected a mapping of keys (base_url, token, tokens, app, api, concurrency), got a single value`}},
		{"mapping for blocks", "deployments:\n  name: a\n", []string{
			`doraflow.yaml:2: deployments: expected a list of mapping blocks (entries starting with "- "), got a mapping`}},
		{"block not a mapping", "deployments:\n  - manual\nservices:\n  - [api]\n", []string{
			`doraflow.yaml:2: deployments[0]: expected a mapping of keys (name, method, repositories, environment, service, filters), got a single value`,
			`doraflow.yaml:4: services[0]: expected a mapping of keys (name, team, repositories, pagerduty_services), got a list`}},
		{"list as root", "- a\n", []string{
			`doraflow.yaml:1: expected a mapping of keys (clickhouse,`}},
		{"bad boolean", "deployments:\n  - name: r\n    method: release\n    repositories: [a/b]\n    filters:\n      prerelease: maybe\n", []string{
			`doraflow.yaml:6: deployments[0].filters.prerelease: invalid value "maybe": use true or false`}},
		{"empty list entry", "rework:\n  labels: [hotfix, \"\"]\n", []string{
			`doraflow.yaml:2: rework.labels[1]: empty entry: remove it, or set the variable it comes from`}},

		{"unknown method", "deployments:\n  - name: a\n    method: merged\n    repositories: [a/b]\n", []string{
			`doraflow.yaml:3: deployments[0].method: invalid method "merged" (did you mean "merged_pr"?): use one of merged_pr, workflow_run, release, deployment, custom`}},
		{"deployment method on an incident", "incidents:\n  - name: a\n    method: release\n", []string{
			`doraflow.yaml:3: incidents[0].method: invalid method "release": use one of pagerduty, custom`}},
		{"missing name and method", "deployments:\n  - repositories: [a/b]\n", []string{
			`doraflow.yaml:2: deployments[0].name: name is required: give it a name that is unique within deployments`,
			`doraflow.yaml:2: deployments[0].method: method is required: use one of merged_pr,`}},
		{"empty name", "incidents:\n  - name: \"\"\n    method: custom\n", []string{
			`doraflow.yaml:2: incidents[0].name: must not be empty: give it a name that is unique within incidents`}},
		{"duplicate block names", "deployments:\n  - name: a\n    method: custom\n  - name: a\n    method: custom\nincidents:\n  - name: a\n    method: custom\n", []string{
			`doraflow.yaml:4: deployments[1].name: duplicate name "a" (first at line 2): names must be unique within deployments`}},
		{"filter of another method", "deployments:\n  - name: a\n    method: workflow_run\n    repositories: [a/b]\n    filters:\n      labels: [x]\n", []string{
			`doraflow.yaml:6: deployments[0].filters.labels: filter "labels" does not apply to method workflow_run (its filters: workflow, branch, event, conclusion)`}},
		{"unknown filter", "incidents:\n  - name: a\n    method: pagerduty\n    filters:\n      severity: high\n", []string{
			`doraflow.yaml:5: incidents[0].filters.severity: unknown key "severity": valid keys here are services, urgency, priorities, teams`}},
		{"conclusion", "deployments:\n  - name: a\n    method: workflow_run\n    repositories: [a/b]\n    filters:\n      conclusion: sucess\n", []string{
			`doraflow.yaml:6: deployments[0].filters.conclusion: invalid conclusion "sucess" (did you mean "success"?): use one of success, failure, neutral, cancelled, skipped, timed_out, action_required, stale, startup_failure`}},
		{"urgency", "incidents:\n  - name: a\n    method: pagerduty\n    filters:\n      urgency: critical\n", []string{
			`doraflow.yaml:5: incidents[0].filters.urgency: invalid urgency "critical": use one of high, low`}},
		{"empty event", "deployments:\n  - name: a\n    method: workflow_run\n    repositories: [a/b]\n    filters:\n      event: \"\"\n", []string{
			`doraflow.yaml:6: deployments[0].filters.event: must not be empty: name a GitHub event like push, or remove the key to accept any`}},
		{"repositories missing", "deployments:\n  - name: a\n    method: merged_pr\n", []string{
			`doraflow.yaml:2: deployments[0].repositories: method merged_pr needs repositories: list owner/name globs like [acme/api]`}},
		{"repositories empty", "deployments:\n  - name: a\n    method: release\n    repositories: []\n", []string{
			`doraflow.yaml:4: deployments[0].repositories: method release needs repositories`}},
		{"custom with repositories and filters", "deployments:\n  - name: a\n    method: custom\n    repositories: [a/b]\n    filters: {}\n", []string{
			`doraflow.yaml:4: deployments[0].repositories: custom deployment blocks take no repositories: remove the key`,
			`doraflow.yaml:5: deployments[0].filters: custom deployment blocks take no filters: remove the key`}},
		{"incident with repositories and environment", "incidents:\n  - name: a\n    method: custom\n    repositories: [a/b]\n    environment: prod\n", []string{
			`doraflow.yaml:4: incidents[0].repositories: incident blocks have no repositories: remove the key`,
			`doraflow.yaml:5: incidents[0].environment: incident blocks have no environment:`}},
		{"repository globs", "deployments:\n  - name: a\n    method: merged_pr\n    repositories: [acme, \"*/api\", \"acme/[a\", acme/a/b]\n", []string{
			`doraflow.yaml:4: deployments[0].repositories[0]: invalid repository "acme": use owner/name, like acme/api, acme/api-* or acme/*`,
			`doraflow.yaml:4: deployments[0].repositories[1]: invalid repository "*/api": the owner cannot be a pattern; list each owner, with owner/* for all of its repositories`,
			`doraflow.yaml:4: deployments[0].repositories[2]: invalid repository pattern "[a": bad glob syntax; check [ ] pairs and \ escapes`,
			`doraflow.yaml:4: deployments[0].repositories[3]: invalid repository "acme/a/b": use owner/name`}},
		{"path globs", "deployments:\n  - name: a\n    method: merged_pr\n    repositories: [a/b]\n    filters:\n      paths: [\"/src/**\", \"src/**/[x\"]\n", []string{
			`doraflow.yaml:6: deployments[0].filters.paths[0]: invalid path pattern "/src/**": paths are relative to the repository root; drop the leading /`,
			`doraflow.yaml:6: deployments[0].filters.paths[1]: invalid path pattern "src/**/[x": bad glob syntax`}},
		{"tag pattern", "deployments:\n  - name: a\n    method: release\n    repositories: [a/b]\n    filters:\n      tag_pattern: \"v[\"\n", []string{
			`doraflow.yaml:6: deployments[0].filters.tag_pattern: invalid tag pattern "v[": bad glob syntax`}},

		{"services", "services:\n  - name: api\n    repositories: [\"*/x\"]\n  - name: api\n  - team: t\n    pagerduty_services: [\"\"]\n", []string{
			`doraflow.yaml:3: services[0].repositories[0]: invalid repository "*/x": the owner cannot be a pattern`,
			`doraflow.yaml:4: services[1].name: duplicate name "api" (first at line 2): names must be unique within services`,
			`doraflow.yaml:5: services[2].name: name is required: give it a name that is unique within services`,
			`doraflow.yaml:6: services[2].pagerduty_services[0]: empty entry`}},

		{"durations", "attribution:\n  window: -1h\nschedule:\n  lookback: 3 days\n  initial_window: 0\n", []string{
			`doraflow.yaml:2: attribution.window: duration "-1h" is negative: use a positive one like 72h`,
			`doraflow.yaml:4: schedule.lookback: invalid duration "3 days": use a number with a unit, like 72h, 90m or 90d`,
			`doraflow.yaml:5: schedule.initial_window: duration must be longer than 0, like 72h or 90d`}},
		{"negative days", "schedule:\n  lookback: -2d\n", []string{
			`doraflow.yaml:2: schedule.lookback: duration "-2d" is negative`}},
		{"timezone", "timezone: Europe/Berln\n", []string{
			`doraflow.yaml:1: timezone: unknown time zone "Europe/Berln": use an IANA name like Europe/Berlin, America/New_York or UTC`}},
		{"cron", "schedule:\n  sync: \"0 2 * *\"\n", []string{
			`doraflow.yaml:2: schedule.sync: invalid cron "0 2 * *": expected exactly 5 fields, found 4: [0 2 * *]; use 5 fields (minute hour day-of-month month day-of-week) like "0 2 * * *", or a descriptor like @daily`}},
		{"cron descriptor", "schedule:\n  sync: \"@dayly\"\n", []string{
			`doraflow.yaml:2: schedule.sync: invalid cron "@dayly":`}},
		{"cron with a zone", "schedule:\n  sync: CRON_TZ=UTC\n", []string{
			`doraflow.yaml:2: schedule.sync: invalid cron "CRON_TZ=UTC": set the top-level timezone key instead of a TZ= prefix`}},
		{"clickhouse", "clickhouse:\n  addr: [localhost, \"h:99999\", \":9000\"]\n  database: my-db\n  cluster: \"{cluster}\"\n", []string{
			`doraflow.yaml:2: clickhouse.addr[0]: invalid address "localhost": use host:port like 127.0.0.1:9000`,
			`doraflow.yaml:2: clickhouse.addr[1]: invalid address "h:99999"`,
			`doraflow.yaml:2: clickhouse.addr[2]: invalid address ":9000"`,
			`doraflow.yaml:3: clickhouse.database: invalid database name "my-db": use letters, digits and _, not starting with a digit (it is written into SQL statements)`,
			`doraflow.yaml:4: clickhouse.cluster: invalid cluster name "{cluster}"`}},
		{"clickhouse single address", "clickhouse:\n  addr: ch1\n", []string{
			`doraflow.yaml:2: clickhouse.addr: invalid address "ch1"`}},
		{"clickhouse no address", "clickhouse:\n  addr: []\n", []string{
			`doraflow.yaml:2: clickhouse.addr: no address: give host:port, or a list of them`}},
		{"urls", "github:\n  base_url: api.github.com\npagerduty:\n  base_url: ftp://x\n", []string{
			`doraflow.yaml:2: github.base_url: invalid URL "api.github.com": use an absolute http(s) URL like https://api.github.com/ or https://HOST/api/v3/`,
			`doraflow.yaml:4: pagerduty.base_url: invalid URL "ftp://x": use an absolute http(s) URL like https://api.pagerduty.com`}},
		{"plain http", "github:\n  base_url: http://ghe.example.com/api/v3/\npagerduty:\n  base_url: http://api.pagerduty.com\n", []string{
			`doraflow.yaml:2: github.base_url: invalid URL "http://ghe.example.com/api/v3/": use https:// (plain http is allowed only for loopback addresses, for local fakes)`,
			`doraflow.yaml:4: pagerduty.base_url: invalid URL "http://api.pagerduty.com": use https:// (plain http is allowed only for loopback addresses, for local fakes)`}},
		{"plain http to a name or address that only looks local", "github:\n  base_url: http://localhost.example.com/\npagerduty:\n  base_url: http://10.0.0.1:8080\n", []string{
			`doraflow.yaml:2: github.base_url: invalid URL "http://localhost.example.com/": use https://`,
			`doraflow.yaml:4: pagerduty.base_url: invalid URL "http://10.0.0.1:8080": use https://`}},
		{"plain http with credentials is not quoted", "github:\n  base_url: http://u:SECRET@ghe.example.com/\n", []string{
			`doraflow.yaml:2: github.base_url: URL must not contain credentials: put the token in the token key`}},
		{"concurrency", "github:\n  concurrency: 0\n---\n# an empty document is fine\n", []string{
			`doraflow.yaml:2: github.concurrency: invalid value "0": use a whole number from 1 to 100`}},
		{"concurrency too high", "github:\n  concurrency: 101\n", []string{
			`doraflow.yaml:2: github.concurrency: invalid value "101": use a whole number from 1 to 100`}},
		{"server", "server:\n  listen: localhost\n  tokens: []\n", []string{
			`doraflow.yaml:2: server.listen: invalid address "localhost": use host:port like 127.0.0.1:8080 or :8080`}},
		{"empty token", "server:\n  tokens: [\"${EMPTY}\"]\n", []string{
			`doraflow.yaml:2: server.tokens[0]: empty entry: remove it, or set the variable it comes from`}},
		{"short read token", "server:\n  read_tokens: [dashboard-reads-0123, short]\n", []string{
			`doraflow.yaml:2: server.read_tokens[1]: token is shorter than 16 characters, short enough to guess`}},

		{"unset variable", "github:\n  token: ${NOPE}\nclickhouse:\n  username: ${A}-${B}\n", []string{
			`doraflow.yaml:2: github.token: environment variable NOPE is not set: export it (an empty value is fine) or remove the reference`,
			`doraflow.yaml:4: clickhouse.username: environment variable A is not set`,
			`doraflow.yaml:4: clickhouse.username: environment variable B is not set`}},
		{"malformed reference", "clickhouse:\n  username: ${A\n  database: ${1X}\n", []string{
			`doraflow.yaml:2: clickhouse.username: malformed variable reference: write ${NAME} with NAME made of letters, digits and _, or $${ for a literal ${`,
			`doraflow.yaml:3: clickhouse.database: malformed variable reference`}},
		{"variable value checked", "timezone: ${GITHUB_TOKEN}\n", []string{
			`doraflow.yaml:1: timezone: unknown time zone "ghp_secretgithub"`}},
		{"unquoted variable in a list", "server:\n  listen: 127.0.0.1:8080\n  tokens: [${DORAFLOW_API_TOKEN}]\n", []string{
			`doraflow.yaml:3: invalid YAML: did not find expected ',' or ']': quote a ${VAR} inside [ ] or { }, like ["${VAR}"]`}},
		{"syntax error on line 1", "a: b: c\n", []string{
			`doraflow.yaml:1: invalid YAML: mapping values are not allowed in this context`}},
		{"bad indentation", "github:\n  token: x\n concurrency: 2\n", []string{
			`doraflow.yaml:3: invalid YAML: did not find expected key`}},
		{"tab in a list's indentation", "timezone: UTC\ndeployments:\n\t- name: a\n", []string{
			`doraflow.yaml:3: invalid YAML: tabs are not allowed; indent with spaces`}},
		{"tab in a mapping's indentation", "github:\n  token: x\n\tconcurrency: 2\n", []string{
			`doraflow.yaml:3: invalid YAML: tabs are not allowed; indent with spaces`}},
		{"tab after spaces", "github:\n  \ttoken: x\n", []string{
			`doraflow.yaml:2: invalid YAML: tabs are not allowed; indent with spaces`}},
		{"two documents", "timezone: UTC\n---\ntimezone: UTC\n", []string{
			`doraflow.yaml:2: a second YAML document (after ---): keep the whole configuration in one document`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse(tt.src)
			got := problemLines(t, err)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d problems, want %d:\n%s", len(got), len(tt.want), strings.Join(got, "\n"))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("problem %d:\n got: %s\nwant: %s...", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestValid(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		check func(t *testing.T, c *Config)
	}{
		{"empty file", "", func(t *testing.T, c *Config) {
			if !reflect.DeepEqual(withoutPath(c), Default()) {
				t.Errorf("got %+v, want the defaults", c)
			}
		}},
		{"only comments", "# nothing yet\n\n# really\n", func(t *testing.T, c *Config) {
			if !reflect.DeepEqual(withoutPath(c), Default()) {
				t.Errorf("got %+v, want the defaults", c)
			}
		}},
		{"empty sections", "clickhouse:\ngithub: {}\ndeployments:\nincidents: []\n", func(t *testing.T, c *Config) {
			if !reflect.DeepEqual(withoutPath(c), Default()) {
				t.Errorf("got %+v, want the defaults", c)
			}
		}},
		{"clickhouse single address", "clickhouse:\n  addr: ch1:9000\n  cluster: main_cluster\n", func(t *testing.T, c *Config) {
			if !reflect.DeepEqual(c.ClickHouse.Addr, []string{"ch1:9000"}) || c.ClickHouse.Cluster != "main_cluster" {
				t.Errorf("got %+v", c.ClickHouse)
			}
		}},
		{"clickhouse address list", "clickhouse:\n  addr: [ch1:9000, \"[::1]:9000\"]\n", func(t *testing.T, c *Config) {
			if !reflect.DeepEqual(c.ClickHouse.Addr, []string{"ch1:9000", "[::1]:9000"}) {
				t.Errorf("got %v", c.ClickHouse.Addr)
			}
		}},
		{"base urls normalised", "github:\n  base_url: https://ghe.example.com/api/v3\npagerduty:\n  base_url: https://api.eu.pagerduty.com/\n", func(t *testing.T, c *Config) {
			if c.GitHub.BaseURL != "https://ghe.example.com/api/v3/" || c.PagerDuty.BaseURL != "https://api.eu.pagerduty.com" {
				t.Errorf("got %q and %q", c.GitHub.BaseURL, c.PagerDuty.BaseURL)
			}
		}},
		{"plain http on loopback, for local fakes", "github:\n  base_url: http://127.0.0.1:8080/\npagerduty:\n  base_url: http://localhost:9090\n", func(t *testing.T, c *Config) {
			if c.GitHub.BaseURL != "http://127.0.0.1:8080/" || c.PagerDuty.BaseURL != "http://localhost:9090" {
				t.Errorf("got %q and %q", c.GitHub.BaseURL, c.PagerDuty.BaseURL)
			}
		}},
		{"plain http on other loopback addresses", "github:\n  base_url: http://[::1]:8080/\npagerduty:\n  base_url: http://127.8.9.10\n", func(t *testing.T, c *Config) {
			if c.GitHub.BaseURL != "http://[::1]:8080/" || c.PagerDuty.BaseURL != "http://127.8.9.10" {
				t.Errorf("got %q and %q", c.GitHub.BaseURL, c.PagerDuty.BaseURL)
			}
		}},
		{"timezone loaded", "timezone: ${TZ_NAME}\n", func(t *testing.T, c *Config) {
			if c.Timezone != "Europe/Berlin" || c.Location.String() != "Europe/Berlin" {
				t.Errorf("got %q, %v", c.Timezone, c.Location)
			}
		}},
		{"durations", "attribution:\n  window: 0\nschedule:\n  lookback: 0\n  initial_window: 90d\n  sync: \"@daily\"\n", func(t *testing.T, c *Config) {
			if c.Attribution.Window != 0 || c.Schedule.Lookback != 0 || c.Schedule.InitialWindow != 90*24*time.Hour || c.Schedule.Sync != "@daily" {
				t.Errorf("got %+v %+v", c.Attribution, c.Schedule)
			}
		}},
		{"days and hours", "schedule:\n  lookback: 1d12h\n", func(t *testing.T, c *Config) {
			if c.Schedule.Lookback != 36*time.Hour {
				t.Errorf("got %v", c.Schedule.Lookback)
			}
		}},
		{"typed values through variables", "github:\n  concurrency: ${CONC}\ndeployments:\n  - name: r\n    method: release\n    repositories: [a/b]\n    filters:\n      prerelease: ${YES}\n", func(t *testing.T, c *Config) {
			if c.GitHub.Concurrency != 8 || !c.Deployments[0].Filters.Flag("prerelease") {
				t.Errorf("got %d, %v", c.GitHub.Concurrency, c.Deployments[0].Filters)
			}
		}},
		{"empty but set variable", "clickhouse:\n  password: ${EMPTY}\n  database: ${EMPTY}\n", func(t *testing.T, c *Config) {
			if c.ClickHouse.Password != "" || c.ClickHouse.Database != "dora" {
				t.Errorf("got %+v", c.ClickHouse)
			}
		}},
		{"escaped reference", "clickhouse:\n  password: \"p$${x}$y\"\n", func(t *testing.T, c *Config) {
			if c.ClickHouse.Password.Value() != "p${x}$y" {
				t.Errorf("got %q", c.ClickHouse.Password.Value())
			}
		}},
		{"block defaults", "deployments:\n  - name: w\n    method: workflow_run\n    repositories: [acme/*]\n  - name: m\n    method: custom\nincidents:\n  - name: p\n    method: pagerduty\n", func(t *testing.T, c *Config) {
			w, m, p := c.Deployments[0], c.Deployments[1], c.Incidents[0]
			if w.Environment != "production" || w.Filters.Text("conclusion") != "success" || w.Line != 2 {
				t.Errorf("workflow block: %+v", w)
			}
			if m.Environment != "production" || m.Filters.Text("conclusion") != "" {
				t.Errorf("custom block: %+v", m)
			}
			if p.Environment != "" || !reflect.DeepEqual(p.Filters, doraflow.Filters{}) {
				t.Errorf("incident block: %+v", p)
			}
		}},
		{"rework labels emptied", "rework:\n  labels: []\n", func(t *testing.T, c *Config) {
			if len(c.Rework.Labels) != 0 {
				t.Errorf("got %v", c.Rework.Labels)
			}
		}},
		{"aliases", "services:\n  - name: a\n    repositories: &r [acme/a]\ndeployments:\n  - name: d\n    method: merged_pr\n    repositories: *r\n", func(t *testing.T, c *Config) {
			if !reflect.DeepEqual(c.Deployments[0].Repositories, []string{"acme/a"}) {
				t.Errorf("got %v", c.Deployments[0].Repositories)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parse(tt.src)
			if err != nil {
				t.Fatalf("unexpected problems:\n%v", err)
			}
			tt.check(t, c)
		})
	}
}

// withoutPath is c without what Parse adds to the defaults: the path
// and the methods it validated with.
func withoutPath(c *Config) *Config {
	copied := *c
	copied.Path = ""
	copied.Methods = nil
	return &copied
}

func TestSample(t *testing.T) {
	c, err := LoadWithEnv("doraflow.sample.yaml", sources.Registry(), testEnv)
	if err != nil {
		t.Fatalf("the sample does not load:\n%v", err)
	}
	if c.Path != "doraflow.sample.yaml" || len(c.Services) != 2 || len(c.Deployments) != 5 || len(c.Incidents) != 2 {
		t.Errorf("got %d services, %d deployment blocks, %d incident blocks", len(c.Services), len(c.Deployments), len(c.Incidents))
	}
	if c.GitHub.Token.Value() != "ghp_secretgithub" || c.Server.Tokens[0].Value() != "api-secret-token" {
		t.Errorf("variables not expanded: %q %q", c.GitHub.Token.Value(), c.Server.Tokens[0].Value())
	}

	// The sample documents every key of the contract: each top-level
	// section, and each filter of each method.
	data, err := os.ReadFile("doraflow.sample.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range topKeys {
		if !strings.Contains(string(data), "\n"+key+":") {
			t.Errorf("the sample lacks %s:", key)
		}
	}
	methods := sources.Registry()
	for _, m := range append(methods.Methods(doraflow.KindDeployments), methods.Methods(doraflow.KindIncidents)...) {
		for _, key := range m.FilterKeys() {
			if !strings.Contains(string(data), " "+key+":") {
				t.Errorf("the sample lacks filter %s of %s", key, m.Method)
			}
		}
	}

	// Without the variables it names each one.
	_, err = LoadWithEnv("doraflow.sample.yaml", sources.Registry(), env())
	for _, name := range []string{"CLICKHOUSE_PASSWORD", "GITHUB_TOKEN", "PAGERDUTY_TOKEN", "DORAFLOW_API_TOKEN"} {
		if err == nil || !strings.Contains(err.Error(), "environment variable "+name+" is not set") {
			t.Errorf("want %s reported as unset, got:\n%v", name, err)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "doraflow.yaml")
	_, err := Load(path, sources.Registry())
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("got %v, want fs.ErrNotExist", err)
	}
	for _, want := range []string{path, "--config", "doraflow.sample.yaml"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not mention %s", err, want)
		}
	}
}

func TestLoadUsesEnvironment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "doraflow.yaml")
	if err := os.WriteFile(path, []byte("github:\n  token: ${DORAFLOW_TEST_TOKEN}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DORAFLOW_TEST_TOKEN", "from-env")
	c, err := Load(path, sources.Registry())
	if err != nil {
		t.Fatal(err)
	}
	if c.GitHub.Token.Value() != "from-env" || c.Path != path {
		t.Errorf("got token %q, path %q", c.GitHub.Token.Value(), c.Path)
	}
}

func TestFind(t *testing.T) {
	t.Setenv(EnvVar, "")
	if p, explicit := Find(""); p != "doraflow.yaml" || explicit {
		t.Errorf("default: got %q, %v", p, explicit)
	}
	t.Setenv(EnvVar, "/etc/doraflow.yaml")
	if p, explicit := Find(""); p != "/etc/doraflow.yaml" || !explicit {
		t.Errorf("environment: got %q, %v", p, explicit)
	}
	if p, explicit := Find("my.yaml"); p != "my.yaml" || !explicit {
		t.Errorf("flag: got %q, %v", p, explicit)
	}
}

func TestDefault(t *testing.T) {
	c := Default()
	if c.ClickHouse.Addr[0] != "127.0.0.1:9000" || c.ClickHouse.Database != "dora" || c.GitHub.BaseURL != "https://api.github.com/" ||
		c.GitHub.Concurrency != 4 || c.PagerDuty.BaseURL != "https://api.pagerduty.com" || c.Location != time.UTC ||
		c.Attribution.Window != 168*time.Hour || !reflect.DeepEqual(c.Rework.Labels, []string{"hotfix", "revert"}) ||
		c.Schedule.Sync != "0 2 * * *" || c.Schedule.Lookback != 72*time.Hour || c.Schedule.InitialWindow != 2160*time.Hour ||
		c.Server.Listen != "127.0.0.1:8080" {
		t.Errorf("unexpected defaults: %+v", c)
	}
	// Each call is a fresh value: callers may change their copy.
	c.ClickHouse.Addr[0] = "changed"
	if Default().ClickHouse.Addr[0] != "127.0.0.1:9000" {
		t.Error("Default shares its slices")
	}
}

func TestBlockLookups(t *testing.T) {
	c, err := LoadWithEnv("doraflow.sample.yaml", sources.Registry(), testEnv)
	if err != nil {
		t.Fatal(err)
	}
	if b, ok := c.DeploymentBlock("mobile-releases"); !ok || b.Method != doraflow.MethodRelease {
		t.Errorf("DeploymentBlock: %+v, %v", b, ok)
	}
	if b, ok := c.IncidentBlock("manual"); !ok || b.Method != doraflow.MethodCustom {
		t.Errorf("IncidentBlock: %+v, %v", b, ok)
	}
	if _, ok := c.IncidentBlock("web-merges"); ok {
		t.Error("IncidentBlock found a deployment block")
	}
	if r := c.BlockRank("web-merges"); r != 1 {
		t.Errorf("BlockRank(web-merges) = %d, want 1", r)
	}
	if r := c.BlockRank("manual"); r != 4 {
		t.Errorf("BlockRank(manual) = %d, want 4", r)
	}
	if r := c.IncidentBlockRank("manual"); r != 1 {
		t.Errorf("IncidentBlockRank(manual) = %d, want 1", r)
	}
	if r := c.BlockRank("nope"); r != -1 {
		t.Errorf("BlockRank(nope) = %d, want -1", r)
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"72h": 72 * time.Hour, "90m": 90 * time.Minute, "1h30m": 90 * time.Minute, "90d": 90 * 24 * time.Hour,
		"1d12h": 36 * time.Hour, "0": 0, "0d": 0, "-1h": -time.Hour, "-2d": -48 * time.Hour, "+1d": 24 * time.Hour,
	} {
		if got, err := parseDuration(in); err != nil || got != want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "1.5d", "3 days", "1d-2h", "h", "99999999999999d", "106751d23h59m", "--1h", "1dd"} {
		if got, err := parseDuration(in); err == nil {
			t.Errorf("parseDuration(%q) = %v, want an error", in, got)
		}
	}
}

func TestExpand(t *testing.T) {
	lookup := env("A", "1", "B", "${A}", "EMPTY", "")
	tests := []struct {
		in, want string
		unset    []string
		err      bool
	}{
		{in: "plain", want: "plain"},
		{in: "${A}", want: "1"},
		{in: "x${A}y${A}", want: "x1y1"},
		{in: "${B}", want: "${A}"}, // values are not expanded again
		{in: "${EMPTY}", want: ""},
		{in: "$${A}", want: "${A}"},
		{in: "$$${A}", want: "$${A}"},
		{in: "$A $ $$ {A}", want: "$A $ $$ {A}"},
		{in: "${X}${A}${Y}", want: "1", unset: []string{"X", "Y"}},
		{in: "${", err: true},
		{in: "${}", err: true},
		{in: "${A B}", err: true},
		{in: "${1A}", err: true},
	}
	for _, tt := range tests {
		got, unset, err := expand(tt.in, lookup)
		if (err != nil) != tt.err || (err == nil && got != tt.want) || !reflect.DeepEqual(unset, tt.unset) {
			t.Errorf("expand(%q) = %q, %v, %v; want %q, %v, error %v", tt.in, got, unset, err, tt.want, tt.unset, tt.err)
		}
	}
}

func TestSuggest(t *testing.T) {
	keys := []string{"name", "method", "repositories", "environment", "service", "filters"}
	for word, want := range map[string]string{
		"filter": "filters", "methd": "method", "repos": "repositories", "Environment": "environment",
		"services": "service", "nme": "name", "x": "", "labels": "", "environement": "environment",
	} {
		if got := suggest(word, keys); got != want {
			t.Errorf("suggest(%q) = %q, want %q", word, got, want)
		}
	}
}

func TestProblemString(t *testing.T) {
	for _, tt := range []struct {
		p    Problem
		want string
	}{
		{Problem{File: "f.yaml", Line: 3, Key: "a.b", Message: "bad"}, "f.yaml:3: a.b: bad"},
		{Problem{File: "f.yaml", Line: 3, Message: "bad"}, "f.yaml:3: bad"},
		{Problem{File: "f.yaml", Message: "bad"}, "f.yaml: bad"},
	} {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}
