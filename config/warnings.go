package config

import (
	"fmt"
	"path"
	"strings"

	"doraflow"
)

// Warnings returns what is valid in the configuration but will surely
// count the wrong things, in file order, each with the line of the block
// it concerns (0 for the whole file): `doraflow config validate` prints
// them and still succeeds, since the file works as written.
func (c *Config) Warnings() []Problem {
	var ws []Problem
	if len(c.Deployments) == 0 && len(c.Incidents) == 0 {
		ws = append(ws, Problem{File: c.Path, Message: "no deployments: or incidents: blocks: sync reads nothing from GitHub or PagerDuty and only recorded deployments and incidents count; add a block with doraflow config add-deployment or add-incident (config/doraflow.sample.yaml has one of each method)"})
	}
	for i, b := range c.Deployments {
		key := fmt.Sprintf("%s[%d]", Deployments, i)
		if b.Method == doraflow.MethodWorkflowRun && b.Filters.Text("workflow") == "" {
			ws = append(ws, Problem{File: c.Path, Line: b.Line, Key: key + ".filters", Message: fmt.Sprintf("block %q: a workflow_run block without a workflow filter counts every run of every workflow (tests, lint, …) as a deployment; add filters.workflow: the file name of the deploy workflow, like deploy.yml", b.Name)})
		}
		if unmapped := c.unmappedRepositories(b); len(unmapped) > 0 {
			ws = append(ws, Problem{File: c.Path, Line: b.Line, Key: key + ".repositories", Message: fmt.Sprintf("block %q: no services: entry maps %s: deployments there count under the repository's own name, with no team; add it to a services: entry's repositories, or give the block a service:", b.Name, strings.Join(unmapped, ", "))})
		}
	}
	return ws
}

// Warning formats p as a warning, "file:line: warning: key: message",
// the place first as in the errors, so editors jump to it alike.
func (p Problem) Warning() string {
	loc := Problem{File: p.File, Line: p.Line}.String() // "file:line: "
	return loc + "warning: " + strings.TrimPrefix(p.String(), loc)
}

// unmappedRepositories returns the repository patterns of deployment
// block b that no services: entry maps, when the config has a services
// list and b names no service of its own (docs/metrics.md: a deployment's
// service is the block's, else the first entry matching its repository,
// else the repository's name). A pattern is mapped when an entry's glob
// matches it or it matches an entry's glob (acme/* and acme/api overlap).
func (c *Config) unmappedRepositories(b doraflow.Block) []string {
	if len(c.Services) == 0 || b.Service != "" {
		return nil
	}
	var out []string
	for _, repo := range b.Repositories {
		mapped := false
		for _, s := range c.Services {
			for _, g := range s.Repositories {
				m1, _ := path.Match(g, repo)
				m2, _ := path.Match(repo, g)
				mapped = mapped || m1 || m2
			}
		}
		if !mapped {
			out = append(out, fmt.Sprintf("%q", repo))
		}
	}
	return out
}
