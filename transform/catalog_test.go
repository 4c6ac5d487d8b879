package transform_test

import (
	"testing"

	"doraflow/config"
	"doraflow/transform"
)

// catalog is a services: list in config order. web's glob and the catch-all
// both match acme/web; web comes first. path.Match's "*" does not match a
// "/", and a malformed glob (which the config check rejects) matches
// nothing.
var catalog = transform.NewCatalog([]config.Service{
	{Name: "api", Team: "platform", Repositories: []string{"acme/api", "acme/api-*"}, PagerDutyServices: []string{"PAPI"}},
	{Name: "web", Team: "frontend", Repositories: []string{"acme/web*"}, PagerDutyServices: []string{"PWEB", "PWEB2"}},
	{Name: "legacy", Team: "", Repositories: []string{"*", "acme/[", "other/legacy"}},
	{Name: "rest", Team: "platform", Repositories: []string{"acme/*"}, PagerDutyServices: []string{"PAPI"}},
	{Name: "api", Team: "shadowed", Repositories: []string{"acme/api"}},
})

// TestServiceForRepository: "the block's service if set; else the first
// services: entry whose repositories globs match the repository; else the
// repository name without its owner."
func TestServiceForRepository(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name                string
		block, repo, wanted string
	}{
		{"the block's service first", "billing", "acme/api", "billing"},
		{"the block's service, even an unknown repository", "billing", "", "billing"},
		{"an exact glob", "", "acme/api", "api"},
		{"a wildcard glob", "", "acme/api-gateway", "api"},
		{"a prefix glob", "", "acme/webshop", "web"},
		{"the first entry in config order", "", "acme/web", "web"},
		{"a later entry when the first do not match", "", "acme/billing", "rest"},
		{"another owner's repository that a glob names", "", "other/legacy", "legacy"},
		{"* does not match a /", "", "nobody/thing", "thing"},
		{"no glob matches: the name without its owner", "", "globex/api", "api"},
		{"globs match the whole name", "", "acme/api/extra", "api/extra"},
		{"* matches a name without a /", "", "solo", "legacy"},
	}
	for _, c := range cases {
		if got := catalog.ServiceForRepository(c.block, c.repo); got != c.wanted {
			t.Errorf("%s: ServiceForRepository(%q, %q) = %q, want %q", c.name, c.block, c.repo, got, c.wanted)
		}
	}
	// Without a services: list.
	for _, c := range []struct{ block, repo, want string }{
		{"billing", "acme/api", "billing"},
		{"", "acme/api", "api"},
		{"", "solo", "solo"}, // a repository without an owner
		{"", "", ""},         // no repository
	} {
		if got := transform.NewCatalog(nil).ServiceForRepository(c.block, c.repo); got != c.want {
			t.Errorf("empty catalog: ServiceForRepository(%q, %q) = %q, want %q", c.block, c.repo, got, c.want)
		}
	}
}

// TestServiceForPagerDuty: "Service: the block's service; else the
// services: entry that lists the PagerDuty service id; else the PagerDuty
// service's name."
func TestServiceForPagerDuty(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name                    string
		block, id, pdName, want string
	}{
		{"the block's service first", "billing", "PAPI", "API prod", "billing"},
		{"the entry listing the id", "", "PAPI", "API prod", "api"},
		{"an entry listing several ids", "", "PWEB2", "Web canary", "web"},
		{"the first entry listing the id", "", "PAPI", "", "api"},
		{"no entry lists the id: the PagerDuty name", "", "PXYZ", "Payments", "Payments"},
		{"by id, not by name", "", "PXYZ", "PAPI", "PAPI"},
		{"nothing known", "", "", "", ""},
	}
	for _, c := range cases {
		if got := catalog.ServiceForPagerDuty(c.block, c.id, c.pdName); got != c.want {
			t.Errorf("%s: ServiceForPagerDuty(%q, %q, %q) = %q, want %q", c.name, c.block, c.id, c.pdName, got, c.want)
		}
	}
	if got := transform.NewCatalog(nil).ServiceForPagerDuty("", "PAPI", "API prod"); got != "API prod" {
		t.Errorf("empty catalog: ServiceForPagerDuty(\"\", PAPI, API prod) = %q, want API prod", got)
	}
}

// TestTeamOf: "Team comes from the services: entry of that service name
// (for a block's service too), else ""."
func TestTeamOf(t *testing.T) {
	t.Parallel()
	cases := []struct{ service, want string }{
		{"api", "platform"}, // the first entry of that name
		{"web", "frontend"},
		{"rest", "platform"},
		{"legacy", ""},  // an entry without a team
		{"billing", ""}, // a block's service without an entry
		{"", ""},
	}
	for _, c := range cases {
		if got := catalog.TeamOf(c.service); got != c.want {
			t.Errorf("TeamOf(%q) = %q, want %q", c.service, got, c.want)
		}
	}
	if got := transform.NewCatalog(nil).TeamOf("api"); got != "" {
		t.Errorf("empty catalog: TeamOf(api) = %q, want \"\"", got)
	}
}
