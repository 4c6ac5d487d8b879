package transform_test

// Table tests of Events, one table per rule family of docs/metrics.md. They run
// without ClickHouse and without a clock: facts in, the exact events out.
// pipeline/rules_test.go checks the same rules end to end, through the
// store, the rollup and the metrics queries.

import (
	"testing"
	"time"

	"doraflow"
	"doraflow/transform"
)

// eventsCase is one case of an Events table.
type eventsCase struct {
	name     string
	rules    *transform.Rules // nil: defaultRules
	services []string
	facts    doraflow.FactSet
	want     []string // eventLine of each event, in order
}

func runEvents(t *testing.T, cases []eventsCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rules := defaultRules
			if c.rules != nil {
				rules = *c.rules
			}
			checkEvents(t, transform.Events(c.services, c.facts, rules), c.want)
		})
	}
}

// withWindow returns the default rules with attribution window w.
func withWindow(w time.Duration) *transform.Rules {
	r := defaultRules
	r.AttributionWindow = w
	return &r
}

// withLabels returns the default rules with rework labels labels.
func withLabels(labels ...string) *transform.Rules {
	r := defaultRules
	r.ReworkLabels = labels
	return &r
}

// withZone returns the default rules with days in loc.
func withZone(loc *time.Location) *transform.Rules {
	r := defaultRules
	r.Location = loc
	return &r
}

// TestEventsDeployments: which deployments count, one event each.
func TestEventsDeployments(t *testing.T) {
	t.Parallel()
	at := day(2).Add(10 * time.Hour)
	runEvents(t, []eventsCase{
		{
			name:     "a successful deployment is an event on its deployed_at",
			services: []string{"api"},
			facts:    doraflow.FactSet{Deployments: []doraflow.Deployment{dep("d", "api", at)}},
			want:     []string{"api deployment d production at=2024-01-02 10:00:00 day=2024-01-02 dep=d"},
		},
		{
			// "Counts only when successful … custom deployments unless recorded with status: failure."
			name:     "a failed deployment counts nowhere",
			services: []string{"api"},
			facts:    doraflow.FactSet{Deployments: []doraflow.Deployment{status(doraflow.StatusFailure, dep("d", "api", at))}},
			want:     nil,
		},
		{
			// The extractors set a status (custom defaults to success);
			// transform counts only an explicit success.
			name:     "a deployment without a status counts nowhere",
			services: []string{"api"},
			facts:    doraflow.FactSet{Deployments: []doraflow.Deployment{status("", dep("d", "api", at))}},
			want:     nil,
		},
		{
			name:     "every environment counts",
			services: []string{"api"},
			facts:    doraflow.FactSet{Deployments: []doraflow.Deployment{env("staging", dep("d", "api", at))}},
			want:     []string{"api deployment d staging at=2024-01-02 10:00:00 day=2024-01-02 dep=d"},
		},
		{
			name:     "services not asked for are left out",
			services: []string{"api"},
			facts:    doraflow.FactSet{Deployments: []doraflow.Deployment{dep("web-d", "web", at), dep("api-d", "api", at)}},
			want:     []string{"api deployment api-d production at=2024-01-02 10:00:00 day=2024-01-02 dep=api-d"},
		},
		{
			name:     "several services, sorted by service whatever the order asked",
			services: []string{"web", "api"},
			facts:    doraflow.FactSet{Deployments: []doraflow.Deployment{dep("web-d", "web", at), dep("api-d", "api", at.Add(time.Hour))}},
			want: []string{
				"api deployment api-d production at=2024-01-02 11:00:00 day=2024-01-02 dep=api-d",
				"web deployment web-d production at=2024-01-02 10:00:00 day=2024-01-02 dep=web-d",
			},
		},
		{
			name:     "no services, no events",
			services: nil,
			facts:    doraflow.FactSet{Deployments: []doraflow.Deployment{dep("d", "api", at)}},
			want:     nil,
		},
		{
			name:     "each deployment of the same second counts",
			services: []string{"api"},
			facts:    doraflow.FactSet{Deployments: []doraflow.Deployment{dep("d2", "api", at), dep("d1", "api", at)}},
			want: []string{
				"api deployment d1 production at=2024-01-02 10:00:00 day=2024-01-02 dep=d1",
				"api deployment d2 production at=2024-01-02 10:00:00 day=2024-01-02 dep=d2",
			},
		},
	})
}

// TestEventsChanges: a change counts once per service and environment, at
// the first deployment that ships it there, with its lead time.
func TestEventsChanges(t *testing.T) {
	t.Parallel()
	runEvents(t, []eventsCase{
		{
			// "Lead time of a change: deployed_at of that first deployment − started_at, in seconds"
			name:     "lead time from the deployment that ships the change",
			services: []string{"api"},
			facts: doraflow.FactSet{
				Deployments: []doraflow.Deployment{dep("d1", "api", day(3))},
				Changes:     []doraflow.Change{pr("c", day(1))},
				Ships:       ships("d1: c"),
			},
			want: []string{
				"api change c production at=2024-01-03 00:00:00 day=2024-01-03 value=172800 dep=d1",
				"api deployment d1 production at=2024-01-03 00:00:00 day=2024-01-03 dep=d1",
			},
		},
		{
			// "A change counts once per service and environment: at the first
			// deployment that ships it there." The facts are out of order.
			name:     "once per environment, at its first deployment there",
			services: []string{"api"},
			facts: doraflow.FactSet{
				Deployments: []doraflow.Deployment{dep("d2", "api", day(4)), dep("d1", "api", day(3)), env("staging", dep("d-stg", "api", day(2)))},
				Changes:     []doraflow.Change{pr("c", day(1))},
				Ships:       ships("d2: c", "d1: c", "d-stg: c"),
			},
			want: []string{
				"api change c production at=2024-01-03 00:00:00 day=2024-01-03 value=172800 dep=d1",
				"api change c staging at=2024-01-02 00:00:00 day=2024-01-02 value=86400 dep=d-stg",
				"api deployment d-stg staging at=2024-01-02 00:00:00 day=2024-01-02 dep=d-stg",
				"api deployment d1 production at=2024-01-03 00:00:00 day=2024-01-03 dep=d1",
				"api deployment d2 production at=2024-01-04 00:00:00 day=2024-01-04 dep=d2",
			},
		},
		{
			name:     "once per service",
			services: []string{"api", "web"},
			facts: doraflow.FactSet{
				Deployments: []doraflow.Deployment{dep("api-d", "api", day(3)), dep("web-d", "web", day(2))},
				Changes:     []doraflow.Change{pr("c", day(1))},
				Ships:       ships("api-d: c", "web-d: c"),
			},
			want: []string{
				"api change c production at=2024-01-03 00:00:00 day=2024-01-03 value=172800 dep=api-d",
				"api deployment api-d production at=2024-01-03 00:00:00 day=2024-01-03 dep=api-d",
				"web change c production at=2024-01-02 00:00:00 day=2024-01-02 value=86400 dep=web-d",
				"web deployment web-d production at=2024-01-02 00:00:00 day=2024-01-02 dep=web-d",
			},
		},
		{
			name:     "another service's earlier deployment does not move it",
			services: []string{"api"},
			facts: doraflow.FactSet{
				Deployments: []doraflow.Deployment{dep("api-d", "api", day(3)), dep("web-d", "web", day(2))},
				Changes:     []doraflow.Change{pr("c", day(1))},
				Ships:       ships("api-d: c", "web-d: c"),
			},
			want: []string{
				"api change c production at=2024-01-03 00:00:00 day=2024-01-03 value=172800 dep=api-d",
				"api deployment api-d production at=2024-01-03 00:00:00 day=2024-01-03 dep=api-d",
			},
		},
		{
			name:     "a failed deployment ships nothing",
			services: []string{"api"},
			facts: doraflow.FactSet{
				Deployments: []doraflow.Deployment{status(doraflow.StatusFailure, dep("broken", "api", day(2))), dep("d1", "api", day(3))},
				Changes:     []doraflow.Change{pr("c", day(1))},
				Ships:       ships("broken: c", "d1: c"),
			},
			want: []string{
				"api change c production at=2024-01-03 00:00:00 day=2024-01-03 value=172800 dep=d1",
				"api deployment d1 production at=2024-01-03 00:00:00 day=2024-01-03 dep=d1",
			},
		},
		{
			name:     "a change not promoted yet is left out until it is",
			services: []string{"api"},
			facts: doraflow.FactSet{
				Deployments: []doraflow.Deployment{dep("d", "api", day(2))},
				Changes:     []doraflow.Change{pr("c", day(1))},
				Ships:       ships("d: c later"),
			},
			want: []string{
				"api change c production at=2024-01-02 00:00:00 day=2024-01-02 value=86400 dep=d",
				"api deployment d production at=2024-01-02 00:00:00 day=2024-01-02 dep=d",
			},
		},
		{
			// "… in seconds, never below 0": a commit dated after its deployment.
			name:     "lead time is never below 0",
			services: []string{"api"},
			facts: doraflow.FactSet{
				Deployments: []doraflow.Deployment{dep("d", "api", day(2))},
				Changes:     []doraflow.Change{pr("c", day(3))},
				Ships:       ships("d: c"),
			},
			want: []string{
				"api change c production at=2024-01-02 00:00:00 day=2024-01-02 dep=d",
				"api deployment d production at=2024-01-02 00:00:00 day=2024-01-02 dep=d",
			},
		},
		{
			name:     "lead time in whole seconds",
			services: []string{"api"},
			facts: doraflow.FactSet{
				Deployments: []doraflow.Deployment{dep("d", "api", day(2))},
				Changes:     []doraflow.Change{pr("c", day(2).Add(-1900*time.Millisecond))},
				Ships:       ships("d: c"),
			},
			want: []string{
				"api change c production at=2024-01-02 00:00:00 day=2024-01-02 value=1 dep=d",
				"api deployment d production at=2024-01-02 00:00:00 day=2024-01-02 dep=d",
			},
		},
		{
			// Not in docs/metrics.md: ties resolve by deployment id, the same way on every run.
			name:     "deployments of the same second: the smaller id is first",
			services: []string{"api"},
			facts: doraflow.FactSet{
				Deployments: []doraflow.Deployment{dep("b", "api", day(2).Add(time.Hour)), dep("a", "api", day(2).Add(time.Hour))},
				Changes:     []doraflow.Change{pr("c", day(2))},
				Ships:       ships("b: c", "a: c"),
			},
			want: []string{
				"api change c production at=2024-01-02 01:00:00 day=2024-01-02 value=3600 dep=a",
				"api deployment a production at=2024-01-02 01:00:00 day=2024-01-02 dep=a",
				"api deployment b production at=2024-01-02 01:00:00 day=2024-01-02 dep=b",
			},
		},
		{
			// "… a lone commit that no merged pull request contains … its own author date."
			name:     "a lone commit is a change too",
			services: []string{"api"},
			facts: doraflow.FactSet{
				Deployments: []doraflow.Deployment{dep("d", "api", day(2))},
				Changes:     []doraflow.Change{commit("acme/api@abc", day(1).Add(12*time.Hour))},
				Ships:       ships("d: acme/api@abc"),
			},
			want: []string{
				"api change acme/api@abc production at=2024-01-02 00:00:00 day=2024-01-02 value=43200 dep=d",
				"api deployment d production at=2024-01-02 00:00:00 day=2024-01-02 dep=d",
				"api stage_deploy acme/api@abc production at=2024-01-02 00:00:00 day=2024-01-02 value=43200 dep=d",
			},
		},
		{
			name:     "each change a deployment ships counts",
			services: []string{"api"},
			facts: doraflow.FactSet{
				Deployments: []doraflow.Deployment{dep("d", "api", day(2))},
				Changes:     []doraflow.Change{pr("c2", day(1).Add(12*time.Hour)), pr("c1", day(1))},
				Ships:       ships("d: c1 c2"),
			},
			want: []string{
				"api change c1 production at=2024-01-02 00:00:00 day=2024-01-02 value=86400 dep=d",
				"api change c2 production at=2024-01-02 00:00:00 day=2024-01-02 value=43200 dep=d",
				"api deployment d production at=2024-01-02 00:00:00 day=2024-01-02 dep=d",
			},
		},
		{
			name:     "a deployment that ships nothing",
			services: []string{"api"},
			facts: doraflow.FactSet{
				Deployments: []doraflow.Deployment{dep("d", "api", day(2))},
				Changes:     []doraflow.Change{pr("c", day(1))},
			},
			want: []string{"api deployment d production at=2024-01-02 00:00:00 day=2024-01-02 dep=d"},
		},
	})
}

// TestEventsRework: "rework_deployments: deployments in the window that
// ship a pull request labelled with one of rework.labels … or whose title
// starts with `Revert `".
func TestEventsRework(t *testing.T) {
	t.Parallel()
	runEvents(t, []eventsCase{
		{
			// As pipeline's TestRework: d1 (label HotFix, any case), d2
			// (Revert title) and d4 (ships hot again) are rework, d3 is not.
			name:     "rework labels in any case, and Revert titles",
			services: []string{"api"},
			facts: doraflow.FactSet{
				Deployments: []doraflow.Deployment{dep("d1", "api", day(2)), dep("d2", "api", day(3)), dep("d3", "api", day(4)), dep("d4", "api", day(5))},
				Changes: []doraflow.Change{
					pr("hot", day(1), "HotFix"), titled(`Revert "Add cache"`, pr("revert", day(1))),
					titled("Reverted nothing", pr("reverting", day(1))), pr("plain", day(1), "feature"),
				},
				Ships: ships("d1: hot", "d2: revert", "d3: reverting", "d4: plain hot"),
			},
			want: []string{
				"api change hot production at=2024-01-02 00:00:00 day=2024-01-02 value=86400 dep=d1",
				"api change plain production at=2024-01-05 00:00:00 day=2024-01-05 value=345600 dep=d4",
				"api change revert production at=2024-01-03 00:00:00 day=2024-01-03 value=172800 dep=d2",
				"api change reverting production at=2024-01-04 00:00:00 day=2024-01-04 value=259200 dep=d3",
				"api deployment d1 production at=2024-01-02 00:00:00 day=2024-01-02 rework dep=d1",
				"api deployment d2 production at=2024-01-03 00:00:00 day=2024-01-03 rework dep=d2",
				"api deployment d3 production at=2024-01-04 00:00:00 day=2024-01-04 dep=d3",
				"api deployment d4 production at=2024-01-05 00:00:00 day=2024-01-05 rework dep=d4",
			},
		},
		{
			name:     "one rework pull request among several, wherever it is listed",
			services: []string{"api"},
			facts: doraflow.FactSet{
				Deployments: []doraflow.Deployment{dep("d", "api", day(2))},
				Changes:     []doraflow.Change{pr("hot", day(2), "hotfix"), pr("plain", day(2)), pr("other", day(2))},
				Ships:       ships("d: hot plain other"),
			},
			want: []string{
				"api change hot production at=2024-01-02 00:00:00 day=2024-01-02 dep=d",
				"api change other production at=2024-01-02 00:00:00 day=2024-01-02 dep=d",
				"api change plain production at=2024-01-02 00:00:00 day=2024-01-02 dep=d",
				"api deployment d production at=2024-01-02 00:00:00 day=2024-01-02 rework dep=d",
			},
		},
		{
			name:     "the labels are those of the rules",
			rules:    withLabels("incident-fix"),
			services: []string{"api"},
			facts: doraflow.FactSet{
				Deployments: []doraflow.Deployment{dep("d1", "api", day(2)), dep("d2", "api", day(3))},
				Changes:     []doraflow.Change{pr("hot", day(2), "hotfix"), pr("fix", day(3), "Incident-Fix")},
				Ships:       ships("d1: hot", "d2: fix"),
			},
			want: []string{
				"api change fix production at=2024-01-03 00:00:00 day=2024-01-03 dep=d2",
				"api change hot production at=2024-01-02 00:00:00 day=2024-01-02 dep=d1",
				"api deployment d1 production at=2024-01-02 00:00:00 day=2024-01-02 dep=d1",
				"api deployment d2 production at=2024-01-03 00:00:00 day=2024-01-03 rework dep=d2",
			},
		},
		{
			name:     "no rework labels: Revert titles only",
			rules:    withLabels(),
			services: []string{"api"},
			facts: doraflow.FactSet{
				Deployments: []doraflow.Deployment{dep("d1", "api", day(2)), dep("d2", "api", day(3))},
				Changes:     []doraflow.Change{pr("hot", day(2), "hotfix"), titled("Revert x", pr("rev", day(3)))},
				Ships:       ships("d1: hot", "d2: rev"),
			},
			want: []string{
				"api change hot production at=2024-01-02 00:00:00 day=2024-01-02 dep=d1",
				"api change rev production at=2024-01-03 00:00:00 day=2024-01-03 dep=d2",
				"api deployment d1 production at=2024-01-02 00:00:00 day=2024-01-02 dep=d1",
				"api deployment d2 production at=2024-01-03 00:00:00 day=2024-01-03 rework dep=d2",
			},
		},
		{
			// "… ship a pull request labelled … or whose title starts with
			// `Revert `": a lone commit is not a pull request.
			name:     "a lone commit titled Revert is not rework",
			services: []string{"api"},
			facts: doraflow.FactSet{
				Deployments: []doraflow.Deployment{dep("d", "api", day(2))},
				Changes:     []doraflow.Change{titled(`Revert "Add cache"`, commit("acme/api@abc", day(2)))},
				Ships:       ships("d: acme/api@abc"),
			},
			want: []string{
				"api change acme/api@abc production at=2024-01-02 00:00:00 day=2024-01-02 dep=d",
				"api deployment d production at=2024-01-02 00:00:00 day=2024-01-02 dep=d",
				"api stage_deploy acme/api@abc production at=2024-01-02 00:00:00 day=2024-01-02 dep=d",
			},
		},
		{
			name:     "a staging deployment is rework too",
			services: []string{"api"},
			facts: doraflow.FactSet{
				Deployments: []doraflow.Deployment{env("staging", dep("d", "api", day(2)))},
				Changes:     []doraflow.Change{pr("hot", day(2), "revert")},
				Ships:       ships("d: hot"),
			},
			want: []string{
				"api change hot staging at=2024-01-02 00:00:00 day=2024-01-02 dep=d",
				"api deployment d staging at=2024-01-02 00:00:00 day=2024-01-02 rework dep=d",
			},
		},
		{
			name:     "a change not promoted yet makes no rework",
			services: []string{"api"},
			facts: doraflow.FactSet{
				Deployments: []doraflow.Deployment{dep("d", "api", day(2))},
				Ships:       ships("d: ghost"),
			},
			want: []string{"api deployment d production at=2024-01-02 00:00:00 day=2024-01-02 dep=d"},
		},
	})
}

// TestIsRework: which changes are rework.
func TestIsRework(t *testing.T) {
	t.Parallel()
	labels := []string{"hotfix", "revert"}
	cases := []struct {
		name   string
		change doraflow.Change
		labels []string
		want   bool
	}{
		{"labelled hotfix", pr("c", day(1), "hotfix"), labels, true},
		{"a label in another case", pr("c", day(1), "HOTFIX"), labels, true},
		{"one of several labels", pr("c", day(1), "feature", "Revert"), labels, true},
		{"a label that only starts like one", pr("c", day(1), "hotfixes"), labels, false},
		{"labels not in the list", pr("c", day(1), "feature", "bug"), labels, false},
		{"no labels", pr("c", day(1)), labels, false},
		{"no rework labels configured", pr("c", day(1), "hotfix"), nil, false},
		{"titled Revert and a space", titled(`Revert "Add cache"`, pr("c", day(1))), labels, true},
		{"titled Revert, no rework labels configured", titled("Revert x", pr("c", day(1))), nil, true},
		{"Revert without the space", titled("Revert: x", pr("c", day(1))), labels, false},
		{"Reverted", titled("Reverted nothing", pr("c", day(1))), labels, false},
		{"revert in lower case", titled("revert x", pr("c", day(1))), labels, false},
		{"Revert not at the start", titled(`Fix "Revert x"`, pr("c", day(1))), labels, false},
		{"a lone commit titled Revert", titled("Revert x", commit("c", day(1))), labels, false},
		{"a lone commit with a rework label", func() doraflow.Change { c := commit("c", day(1)); c.Labels = []string{"hotfix"}; return c }(), labels, false},
	}
	for _, c := range cases {
		if got := transform.IsRework(c.change, c.labels); got != c.want {
			t.Errorf("%s: IsRework(%q %q, %q) = %t, want %t", c.name, c.change.Title, c.change.Labels, c.labels, got, c.want)
		}
	}
}

// TestEventsAttribution: "Caused by: the explicitly given deployment if
// any; otherwise the latest deployment of the same service in environment
// production whose deployed_at ≤ the incident's created_at and no more
// than attribution.window before it (default 168h; 0 means no limit).
// Otherwise none." A deployment that caused one is failed.
func TestEventsAttribution(t *testing.T) {
	t.Parallel()
	base := day(2)
	d := dep("d", "api", base)
	const (
		dFailed = "api deployment d production at=2024-01-02 00:00:00 day=2024-01-02 failed dep=d"
		dOK     = "api deployment d production at=2024-01-02 00:00:00 day=2024-01-02 dep=d"
	)
	api := []string{"api"}
	facts := func(ds []doraflow.Deployment, is ...doraflow.Incident) doraflow.FactSet {
		return doraflow.FactSet{Deployments: ds, Incidents: is}
	}
	open := func(id, service string, created time.Time) doraflow.Incident {
		return incident(id, service, created, time.Time{})
	}
	runEvents(t, []eventsCase{
		{
			name:     "inside the window",
			services: api,
			facts:    facts([]doraflow.Deployment{d}, open("i", "api", base.Add(167*time.Hour))),
			want:     []string{dFailed, "api incident i production at=2024-01-08 23:00:00 day=2024-01-08 dep=d reason=window"},
		},
		{
			name:     "on the edge of the window",
			services: api,
			facts:    facts([]doraflow.Deployment{d}, open("i", "api", base.Add(168*time.Hour))),
			want:     []string{dFailed, "api incident i production at=2024-01-09 00:00:00 day=2024-01-09 dep=d reason=window"},
		},
		{
			name:     "a second beyond the window",
			services: api,
			facts:    facts([]doraflow.Deployment{d}, open("i", "api", base.Add(168*time.Hour+time.Second))),
			want:     []string{dOK, "api incident i production at=2024-01-09 00:00:01 day=2024-01-09"},
		},
		{
			name:     "a window of 0 means no limit",
			rules:    withWindow(0),
			services: api,
			facts:    facts([]doraflow.Deployment{d}, open("i", "api", base.Add(20*24*time.Hour))),
			want:     []string{dFailed, "api incident i production at=2024-01-22 00:00:00 day=2024-01-22 dep=d reason=window"},
		},
		{
			name:     "a shorter window",
			rules:    withWindow(time.Hour),
			services: api,
			facts:    facts([]doraflow.Deployment{d}, open("i", "api", base.Add(61*time.Minute))),
			want:     []string{dOK, "api incident i production at=2024-01-02 01:01:00 day=2024-01-02"},
		},
		{
			name:     "in the same second as the deployment",
			services: api,
			facts:    facts([]doraflow.Deployment{d}, open("i", "api", base)),
			want:     []string{dFailed, "api incident i production at=2024-01-02 00:00:00 day=2024-01-02 dep=d reason=window"},
		},
		{
			name:     "a deployment after the incident did not cause it",
			services: api,
			facts:    facts([]doraflow.Deployment{d}, open("i", "api", base.Add(-time.Second))),
			want:     []string{dOK, "api incident i production at=2024-01-01 23:59:59 day=2024-01-01"},
		},
		{
			name:     "no deployment, no cause",
			services: api,
			facts:    facts(nil, open("i", "api", base)),
			want:     []string{"api incident i production at=2024-01-02 00:00:00 day=2024-01-02"},
		},
		{
			// As pipeline's TestAttributionPicksTheLatestProductionDeploymentOrTheNamedOne:
			// later staging and failed deployments do not count.
			name:     "the latest successful production deployment",
			services: api,
			facts: facts([]doraflow.Deployment{
				dep("api-1", "api", base), dep("api-2", "api", base.Add(time.Hour)),
				env("staging", dep("stg", "api", base.Add(90*time.Minute))),
				status(doraflow.StatusFailure, dep("broken", "api", base.Add(100*time.Minute))),
			}, open("auto", "api", base.Add(2*time.Hour))),
			want: []string{
				"api deployment api-1 production at=2024-01-02 00:00:00 day=2024-01-02 dep=api-1",
				"api deployment api-2 production at=2024-01-02 01:00:00 day=2024-01-02 failed dep=api-2",
				"api deployment stg staging at=2024-01-02 01:30:00 day=2024-01-02 dep=stg",
				"api incident auto production at=2024-01-02 02:00:00 day=2024-01-02 dep=api-2 reason=window",
			},
		},
		{
			name:     "only a deployment of the same service",
			services: []string{"api", "web"},
			facts:    facts([]doraflow.Deployment{d, dep("web-d", "web", base.Add(time.Hour))}, open("i", "api", base.Add(2*time.Hour))),
			want: []string{
				dFailed,
				"api incident i production at=2024-01-02 02:00:00 day=2024-01-02 dep=d reason=window",
				"web deployment web-d production at=2024-01-02 01:00:00 day=2024-01-02 dep=web-d",
			},
		},
		{
			// Not in docs/metrics.md: of two deployments in the same second, the
			// one with the larger id is the latest, the same way on every run.
			name:     "deployments of the same second: the larger id is the latest",
			services: api,
			facts:    facts([]doraflow.Deployment{dep("b", "api", base), dep("a", "api", base)}, open("i", "api", base.Add(time.Hour))),
			want: []string{
				"api deployment a production at=2024-01-02 00:00:00 day=2024-01-02 dep=a",
				"api deployment b production at=2024-01-02 00:00:00 day=2024-01-02 failed dep=b",
				"api incident i production at=2024-01-02 01:00:00 day=2024-01-02 dep=b reason=window",
			},
		},
		{
			name:     "two incidents, one failed deployment",
			services: api,
			facts:    facts([]doraflow.Deployment{d}, open("i1", "api", base.Add(time.Hour)), open("i2", "api", base.Add(2*time.Hour))),
			want: []string{
				dFailed,
				"api incident i1 production at=2024-01-02 01:00:00 day=2024-01-02 dep=d reason=window",
				"api incident i2 production at=2024-01-02 02:00:00 day=2024-01-02 dep=d reason=window",
			},
		},
		{
			name:     "the named deployment, not the latest",
			services: []string{"web"},
			facts: facts([]doraflow.Deployment{dep("web-1", "web", base), dep("web-2", "web", base.Add(time.Hour))},
				naming("web-1", open("named", "web", day(3)))),
			want: []string{
				"web deployment web-1 production at=2024-01-02 00:00:00 day=2024-01-02 failed dep=web-1",
				"web deployment web-2 production at=2024-01-02 01:00:00 day=2024-01-02 dep=web-2",
				"web incident named production at=2024-01-03 00:00:00 day=2024-01-03 dep=web-1 reason=explicit",
			},
		},
		{
			// The window and the order in time apply only to the "otherwise" case.
			name:     "a named deployment beyond the window or after the incident",
			services: api,
			facts: facts([]doraflow.Deployment{d, dep("late", "api", day(20))},
				naming("d", open("old", "api", day(30))), naming("late", open("early", "api", day(10)))),
			want: []string{
				dFailed,
				"api deployment late production at=2024-01-20 00:00:00 day=2024-01-20 failed dep=late",
				"api incident early production at=2024-01-10 00:00:00 day=2024-01-10 dep=late reason=explicit",
				"api incident old production at=2024-01-30 00:00:00 day=2024-01-30 dep=d reason=explicit",
			},
		},
		{
			name:     "a named staging deployment",
			services: api,
			facts:    facts([]doraflow.Deployment{d, env("staging", dep("stg", "api", base.Add(time.Hour)))}, naming("stg", open("i", "api", base.Add(2*time.Hour)))),
			want: []string{
				dOK,
				"api deployment stg staging at=2024-01-02 01:00:00 day=2024-01-02 failed dep=stg",
				"api incident i production at=2024-01-02 02:00:00 day=2024-01-02 dep=stg reason=explicit",
			},
		},
		{
			// docs/metrics.md: "The deployment the incident names … if it
			// names one. Otherwise the latest …": no fallback to the window.
			name:     "an unknown named deployment is not replaced by a guess",
			services: api,
			facts:    facts([]doraflow.Deployment{d}, naming("ghost", open("i", "api", base.Add(time.Hour)))),
			want:     []string{dOK, "api incident i production at=2024-01-02 01:00:00 day=2024-01-02 dep=ghost reason=explicit"},
		},
		{
			name:     "a named deployment that failed is not replaced either",
			services: api,
			facts: facts([]doraflow.Deployment{d, status(doraflow.StatusFailure, dep("broken", "api", base.Add(time.Hour)))},
				naming("broken", open("i", "api", base.Add(2*time.Hour)))),
			want: []string{dOK, "api incident i production at=2024-01-02 02:00:00 day=2024-01-02 dep=broken reason=explicit"},
		},
		{
			// The facts hold "the incidents of those services or naming their deployments".
			name:     "an incident of another service that names a deployment",
			services: api,
			facts:    facts([]doraflow.Deployment{d}, naming("d", open("i", "db", base.Add(time.Hour)))),
			want:     []string{dFailed},
		},
		{
			name:     "an incident of a service not asked for",
			services: api,
			facts:    facts([]doraflow.Deployment{d}, open("i", "db", base.Add(time.Hour))),
			want:     []string{dOK},
		},
	})
}

// TestEventsIncidents: an incident event on created_at, and once resolved
// a restore event on resolved_at with the time to restore.
func TestEventsIncidents(t *testing.T) {
	t.Parallel()
	api := []string{"api"}
	runEvents(t, []eventsCase{
		{
			name:     "an open incident",
			services: api,
			facts:    doraflow.FactSet{Incidents: []doraflow.Incident{incident("i", "api", day(2).Add(10*time.Hour), time.Time{})}},
			want:     []string{"api incident i production at=2024-01-02 10:00:00 day=2024-01-02"},
		},
		{
			name:     "a resolved incident",
			services: api,
			facts:    doraflow.FactSet{Incidents: []doraflow.Incident{incident("i", "api", day(2).Add(10*time.Hour), day(2).Add(11*time.Hour))}},
			want: []string{
				"api incident i production at=2024-01-02 10:00:00 day=2024-01-02",
				"api restore i production at=2024-01-02 11:00:00 day=2024-01-02 value=3600",
			},
		},
		{
			// As pipeline's TestIncidentResolvedAfterTheWindow: 5 days.
			name:     "resolved days later: each on its own day",
			services: api,
			facts:    doraflow.FactSet{Incidents: []doraflow.Incident{incident("i", "api", day(5).Add(12*time.Hour), day(10).Add(12*time.Hour))}},
			want: []string{
				"api incident i production at=2024-01-05 12:00:00 day=2024-01-05",
				"api restore i production at=2024-01-10 12:00:00 day=2024-01-10 value=432000",
			},
		},
		{
			name:     "time to restore in whole seconds",
			services: api,
			facts:    doraflow.FactSet{Incidents: []doraflow.Incident{incident("i", "api", day(2), day(2).Add(1500*time.Millisecond))}},
			want: []string{
				"api incident i production at=2024-01-02 00:00:00 day=2024-01-02",
				"api restore i production at=2024-01-02 00:00:01.5 day=2024-01-02 value=1",
			},
		},
		{
			// The custom API refuses such an incident; transform counts 0.
			name:     "resolved before it was created",
			services: api,
			facts:    doraflow.FactSet{Incidents: []doraflow.Incident{incident("i", "api", day(3), day(2))}},
			want: []string{
				"api incident i production at=2024-01-03 00:00:00 day=2024-01-03",
				"api restore i production at=2024-01-02 00:00:00 day=2024-01-02",
			},
		},
		{
			name:     "the restore carries the attribution",
			services: api,
			facts: doraflow.FactSet{
				Deployments: []doraflow.Deployment{dep("d", "api", day(2))},
				Incidents:   []doraflow.Incident{incident("i", "api", day(2).Add(time.Hour), day(2).Add(90*time.Minute))},
			},
			want: []string{
				"api deployment d production at=2024-01-02 00:00:00 day=2024-01-02 failed dep=d",
				"api incident i production at=2024-01-02 01:00:00 day=2024-01-02 dep=d reason=window",
				"api restore i production at=2024-01-02 01:30:00 day=2024-01-02 value=1800 dep=d reason=window",
			},
		},
		{
			name:     "incidents of services not asked for",
			services: api,
			facts:    doraflow.FactSet{Incidents: []doraflow.Incident{incident("i", "web", day(2), day(3))}},
			want:     nil,
		},
	})
}

// TestEventFields: the team and repository events carry.
func TestEventFields(t *testing.T) {
	t.Parallel()
	tagged := func(d doraflow.Deployment, team, repo string) doraflow.Deployment {
		d.Team, d.Repository = team, repo
		return d
	}
	runEvents(t, []eventsCase{
		{
			// A change takes them from its first deployment in the service and environment.
			name:     "deployments and changes: those of the deployment",
			services: []string{"api"},
			facts: doraflow.FactSet{
				Deployments: []doraflow.Deployment{
					tagged(dep("d", "api", day(2)), "platform", "acme/api"),
					tagged(env("staging", dep("s", "api", day(3))), "qa", "acme/api-staging"),
				},
				Changes: []doraflow.Change{pr("c", day(1))},
				Ships:   ships("d: c", "s: c"),
			},
			want: []string{
				"api change c production team=platform repo=acme/api at=2024-01-02 00:00:00 day=2024-01-02 value=86400 dep=d",
				"api change c staging team=qa repo=acme/api-staging at=2024-01-03 00:00:00 day=2024-01-03 value=172800 dep=s",
				"api deployment d production team=platform repo=acme/api at=2024-01-02 00:00:00 day=2024-01-02 dep=d",
				"api deployment s staging team=qa repo=acme/api-staging at=2024-01-03 00:00:00 day=2024-01-03 dep=s",
			},
		},
		{
			// "An incident belongs to its service and that service's team, to
			// environment production, and to no repository."
			name:     "incidents: their own team, production, no repository",
			services: []string{"api"},
			facts: doraflow.FactSet{
				Deployments: []doraflow.Deployment{tagged(dep("d", "api", day(2)), "platform", "acme/api")},
				Incidents: []doraflow.Incident{func() doraflow.Incident {
					i := incident("i", "api", day(2).Add(time.Hour), day(2).Add(2*time.Hour))
					i.Team = "sre"
					return i
				}()},
			},
			want: []string{
				"api deployment d production team=platform repo=acme/api at=2024-01-02 00:00:00 day=2024-01-02 failed dep=d",
				"api incident i production team=sre at=2024-01-02 01:00:00 day=2024-01-02 dep=d reason=window",
				"api restore i production team=sre at=2024-01-02 02:00:00 day=2024-01-02 value=3600 dep=d reason=window",
			},
		},
	})
}

// TestEventDays: "Times are UTC unless the config's timezone says
// otherwise; a "day" is a calendar day in that zone." Day is that date as
// midnight UTC.
func TestEventDays(t *testing.T) {
	t.Parallel()
	newYork, tokyo, kolkata := zone(t, "America/New_York"), zone(t, "Asia/Tokyo"), zone(t, "Asia/Kolkata")
	api := []string{"api"}
	runEvents(t, []eventsCase{
		{
			name:     "no location is UTC",
			rules:    &transform.Rules{},
			services: api,
			facts:    doraflow.FactSet{Deployments: []doraflow.Deployment{dep("d", "api", day(2).Add(24*time.Hour-time.Second))}},
			want:     []string{"api deployment d production at=2024-01-02 23:59:59 day=2024-01-02 dep=d"},
		},
		{
			// 03:00 UTC is 22:00 EST the day before.
			name:     "New York: after midnight UTC is the day before",
			rules:    withZone(newYork),
			services: api,
			facts:    doraflow.FactSet{Deployments: []doraflow.Deployment{dep("d", "api", day(2).Add(3*time.Hour))}},
			want:     []string{"api deployment d production at=2024-01-02 03:00:00 day=2024-01-01 dep=d"},
		},
		{
			// 20:00 UTC is 05:00 JST the day after.
			name:     "Tokyo: before midnight UTC is the day after",
			rules:    withZone(tokyo),
			services: api,
			facts:    doraflow.FactSet{Deployments: []doraflow.Deployment{dep("d", "api", day(1).Add(20*time.Hour))}},
			want:     []string{"api deployment d production at=2024-01-01 20:00:00 day=2024-01-02 dep=d"},
		},
		{
			// UTC+05:30: 18:15 UTC is 23:45, 18:45 UTC is 00:15 the next day.
			name:     "Kolkata: a half-hour offset",
			rules:    withZone(kolkata),
			services: api,
			facts: doraflow.FactSet{Deployments: []doraflow.Deployment{
				dep("a", "api", day(1).Add(18*time.Hour+15*time.Minute)), dep("b", "api", day(1).Add(18*time.Hour+45*time.Minute)),
			}},
			want: []string{
				"api deployment a production at=2024-01-01 18:15:00 day=2024-01-01 dep=a",
				"api deployment b production at=2024-01-01 18:45:00 day=2024-01-02 dep=b",
			},
		},
		{
			// Daylight saving starts on March 10, 2024 at 02:00 local:
			// 04:30 UTC on the 10th is 23:30 EST on the 9th, and 04:30 UTC
			// on the 11th is 00:30 EDT on the 11th.
			name:     "New York: either side of daylight saving",
			rules:    withZone(newYork),
			services: api,
			facts: doraflow.FactSet{Deployments: []doraflow.Deployment{
				dep("a", "api", time.Date(2024, 3, 10, 4, 30, 0, 0, time.UTC)), dep("b", "api", time.Date(2024, 3, 11, 4, 30, 0, 0, time.UTC)),
			}},
			want: []string{
				"api deployment a production at=2024-03-10 04:30:00 day=2024-03-09 dep=a",
				"api deployment b production at=2024-03-11 04:30:00 day=2024-03-11 dep=b",
			},
		},
		{
			// Created 23:00 EST on Jan 1, resolved 01:00 EST on Jan 2.
			name:     "New York: an incident and its restore each on their own day",
			rules:    withZone(newYork),
			services: api,
			facts: doraflow.FactSet{
				Deployments: []doraflow.Deployment{dep("d", "api", day(1).Add(20*time.Hour))},
				Incidents:   []doraflow.Incident{incident("i", "api", day(2).Add(4*time.Hour), day(2).Add(6*time.Hour))},
			},
			want: []string{
				"api deployment d production at=2024-01-01 20:00:00 day=2024-01-01 failed dep=d",
				"api incident i production at=2024-01-02 04:00:00 day=2024-01-01 dep=d reason=window",
				"api restore i production at=2024-01-02 06:00:00 day=2024-01-02 value=7200 dep=d reason=window",
			},
		},
		{
			// "A deployment, change or incident falls in the period of its
			// own time (deployed_at of the change's first deployment …)".
			name:     "New York: a change on its first deployment's day",
			rules:    withZone(newYork),
			services: api,
			facts: doraflow.FactSet{
				Deployments: []doraflow.Deployment{dep("d", "api", day(2).Add(2*time.Hour))},
				Changes:     []doraflow.Change{pr("c", day(1))},
				Ships:       ships("d: c"),
			},
			want: []string{
				"api change c production at=2024-01-02 02:00:00 day=2024-01-01 value=93600 dep=d",
				"api deployment d production at=2024-01-02 02:00:00 day=2024-01-01 dep=d",
			},
		},
		{
			// 00:30 JST on Jan 2 is 15:30 UTC on Jan 1.
			name:     "the day is in the rules' zone, not in the zone of the time",
			rules:    withZone(time.UTC),
			services: api,
			facts:    doraflow.FactSet{Deployments: []doraflow.Deployment{dep("d", "api", time.Date(2024, 1, 2, 0, 30, 0, 0, tokyo))}},
			want:     []string{"api deployment d production at=2024-01-01 15:30:00 day=2024-01-01 dep=d"},
		},
	})
}
