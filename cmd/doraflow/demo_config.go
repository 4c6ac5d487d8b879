package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"doraflow"
	"doraflow/config"
	"doraflow/demo"
)

// demoConfigPath is where `make demo` has the demo write its config.
const demoConfigPath = "doraflow.demo.yaml"

// demoConfigHeader opens the written file: what it is and why its tokens
// are written out as values, which a real config must never do.
const demoConfigHeader = `# Written by doraflow demo: the demo's ClickHouse, services and mapping
# blocks, so that every command can be tried on the demo's data:
#   doraflow --config %[1]s metrics --group-by team
# github and pagerduty point at the simulated GitHub and PagerDuty, which
# run only while 'doraflow demo --serve' does. Their tokens are the fakes'
# own fake tokens, written as values for that reason: in a real config,
# write ${GITHUB_TOKEN} and keep the token out of the file.
`

// demoYAML is the demo config's content, in the contract's key order
// (docs/configuration.md); encoding a struct rather than a template
// quotes every value as YAML needs.
type demoYAML struct {
	ClickHouse struct {
		Addr     string `yaml:"addr"`
		Protocol string `yaml:"protocol"`
		Database string `yaml:"database"`
	} `yaml:"clickhouse"`
	GitHub struct {
		BaseURL string `yaml:"base_url"`
		Token   string `yaml:"token"`
		API     string `yaml:"api"`
	} `yaml:"github"`
	PagerDuty struct {
		BaseURL string `yaml:"base_url"`
		Token   string `yaml:"token"`
	} `yaml:"pagerduty"`
	Services    []demoService `yaml:"services"`
	Deployments []demoBlock   `yaml:"deployments"`
	Incidents   []demoBlock   `yaml:"incidents"`
	Schedule    struct {
		InitialWindow string `yaml:"initial_window"`
	} `yaml:"schedule"`
}

type demoService struct {
	Name              string   `yaml:"name"`
	Team              string   `yaml:"team"`
	Repositories      []string `yaml:"repositories,flow"`
	PagerDutyServices []string `yaml:"pagerduty_services,flow"`
}

type demoBlock struct {
	Name         string           `yaml:"name"`
	Method       doraflow.Method  `yaml:"method"`
	Repositories []string         `yaml:"repositories,flow,omitempty"`
	Environment  string           `yaml:"environment,omitempty"`
	Filters      doraflow.Filters `yaml:"filters,omitempty"`
}

func demoBlocks(blocks []doraflow.Block) []demoBlock {
	out := make([]demoBlock, len(blocks))
	for i, b := range blocks {
		out[i] = demoBlock{Name: b.Name, Method: b.Method, Repositories: b.Repositories, Environment: b.Environment, Filters: b.Filters}
	}
	return out
}

// writeDemoConfig writes to path a config for the demo's data in cfg's
// ClickHouse, with github and pagerduty at the given base URLs (where
// `demo --serve` serves the fakes).
func writeDemoConfig(path string, cfg *config.Config, githubURL, pagerdutyURL string) error {
	var y demoYAML
	y.ClickHouse.Addr, y.ClickHouse.Protocol, y.ClickHouse.Database = strings.Join(cfg.ClickHouse.Addr, ","), cfg.ClickHouse.Protocol, cfg.ClickHouse.Database
	y.GitHub.BaseURL, y.GitHub.Token, y.GitHub.API = githubURL, cfg.GitHub.Token.Value(), cfg.GitHub.API
	y.PagerDuty.BaseURL, y.PagerDuty.Token = pagerdutyURL, cfg.PagerDuty.Token.Value()
	for _, s := range cfg.Services {
		y.Services = append(y.Services, demoService(s))
	}
	y.Deployments, y.Incidents = demoBlocks(cfg.Deployments), demoBlocks(cfg.Incidents)
	y.Schedule.InitialWindow = fmt.Sprintf("%dh", int(cfg.Schedule.InitialWindow.Hours()))
	err := writeFileAtomically(path, func(f *os.File) error {
		if _, err := fmt.Fprintf(f, demoConfigHeader, path); err != nil {
			return err
		}
		enc := yaml.NewEncoder(f)
		enc.SetIndent(2) // the contract's indentation
		if err := enc.Encode(&y); err != nil {
			return err
		}
		return enc.Close()
	})
	if err != nil {
		return fmt.Errorf("demo: write the demo config %s: %w; give another path with --write-config, or --write-config '' for none", path, err)
	}
	return nil
}

// printDemoNext says what to try next with the written config: commands
// that read the demo's ClickHouse, and, while the fakes serve, those that
// read them. self is how the user ran doraflow (bin/doraflow from make);
// schema the demo's --github-graphql-schema, which --serve needs too for
// the config's github.api.
func printDemoNext(w io.Writer, self, path, schema string, serving bool, now time.Time) {
	run := func(args string) { fmt.Fprintf(w, "  %s --config %s %s\n", self, path, args) }
	fmt.Fprintf(w, "\nWrote %s (the demo's ClickHouse, services and blocks). Try:\n", path)
	run("metrics --group-by team")
	run("metrics --period week --service api")
	run("explain failures")
	run("explain incidents --service mobile")
	run("report --output demo-report.html")
	run("config validate -v")
	if !serving {
		serve := self + " demo --serve"
		if schema != "" {
			serve += " --github-graphql-schema " + schema
		}
		fmt.Fprintf(w, "With '%s' the simulated GitHub and PagerDuty keep running, so preview, sync, backfill, config add-* and run work too.\n", serve)
		return
	}
	fmt.Fprintf(w, "The simulated GitHub and PagerDuty keep running until Ctrl-C; try:\n")
	run("preview --block " + demo.Blocks[0].Name)
	run("sync")
	run(fmt.Sprintf("backfill --from %s --to %s", now.AddDate(0, 0, -14).Format(time.DateOnly), now.Format(time.DateOnly)))
	run("config add-deployment --name web-releases --method release --repositories acme/web")
	run("run")
}
