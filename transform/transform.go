// Package transform turns source objects and facts into doraflow's
// canonical rows. It is pure: rows in, rows out, no I/O and no clock, so
// every rule of the metric definitions is testable on its own.
//
// Two steps live here: tagging rows with service, team and environment
// (Catalog), and deriving the metric events of docs/metrics.md from the current
// facts (Events, Diff).
package transform

import (
	"path"
	"strings"

	"doraflow/config"
)

// Catalog maps repositories and PagerDuty services to services and teams,
// as the config's services: list says.
type Catalog struct {
	services []config.Service
}

// NewCatalog returns a catalog of the config's services.
func NewCatalog(services []config.Service) *Catalog {
	return &Catalog{services: services}
}

// TeamOf returns the team of the services: entry named service, else "".
func (c *Catalog) TeamOf(service string) string {
	for _, s := range c.services {
		if s.Name == service {
			return s.Team
		}
	}
	return ""
}

// ServiceForRepository returns the service of a deployment from repository
// repo matched by a block whose service override is blockService: the
// override if set, else the first services: entry whose globs match the
// repository, else the repository name without its owner.
func (c *Catalog) ServiceForRepository(blockService, repo string) string {
	if blockService != "" {
		return blockService
	}
	for _, s := range c.services {
		for _, g := range s.Repositories {
			if ok, _ := path.Match(g, repo); ok {
				return s.Name
			}
		}
	}
	if _, name, ok := strings.Cut(repo, "/"); ok {
		return name
	}
	return repo
}

// ServiceForPagerDuty returns the service of an incident from PagerDuty
// service id/name matched by a block whose override is blockService: the
// override if set, else the services: entry listing the id, else the
// PagerDuty service's name.
func (c *Catalog) ServiceForPagerDuty(blockService, id, name string) string {
	if blockService != "" {
		return blockService
	}
	for _, s := range c.services {
		for _, pd := range s.PagerDutyServices {
			if pd == id {
				return s.Name
			}
		}
	}
	return name
}
