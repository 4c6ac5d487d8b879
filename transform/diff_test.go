package transform_test

import (
	"reflect"
	"testing"
	"time"

	"doraflow"
	"doraflow/transform"
)

// TestDiff: the updates that turn the stored events into the computed ones
// ("new or changed events, and stored events that no longer count;
// unchanged events give nothing").
func TestDiff(t *testing.T) {
	t.Parallel()
	ev := doraflow.Event{
		Service: "api", Kind: doraflow.EventDeployment, EntityID: "d", Environment: doraflow.EnvironmentProduction,
		Team: "platform", Repository: "acme/api", At: day(2).Add(10 * time.Hour), Day: day(2), DeploymentID: "d",
	}
	k := ev.Key()
	with := func(f func(*doraflow.Event)) doraflow.Event {
		e := ev
		f(&e)
		return e
	}
	keyed := func(service string, kind doraflow.EventKind, entity, environment string) doraflow.Event {
		return with(func(e *doraflow.Event) {
			e.Service, e.Kind, e.EntityID, e.Environment = service, kind, entity, environment
		})
	}
	type (
		events  = map[doraflow.EventKey]doraflow.Event
		actives = map[doraflow.EventKey]bool
	)
	cases := []struct {
		name   string
		old    events
		active actives
		next   []doraflow.Event
		want   []doraflow.EventUpdate
	}{
		{
			name: "nothing stored, nothing computed",
			want: nil,
		},
		{
			name: "a new event",
			next: []doraflow.Event{ev},
			want: []doraflow.EventUpdate{{Key: k, New: ev, NewActive: true}},
		},
		{
			name:   "unchanged: nothing to write",
			old:    events{k: ev},
			active: actives{k: true},
			next:   []doraflow.Event{ev},
			want:   nil,
		},
		{
			name:   "the same instants in another zone are unchanged",
			old:    events{k: ev},
			active: actives{k: true},
			next: []doraflow.Event{with(func(e *doraflow.Event) {
				e.At, e.Day = e.At.In(time.FixedZone("X", 3600)), e.Day.In(time.FixedZone("Y", -3600))
			})},
			want: nil,
		},
		{
			name:   "stored but no longer computed: retracted",
			old:    events{k: ev},
			active: actives{k: true},
			want:   []doraflow.EventUpdate{{Key: k, New: ev, NewActive: false, Prev: ev, PrevActive: true}},
		},
		{
			name:   "retracted already and still not computed: nothing",
			old:    events{k: ev},
			active: actives{k: false},
			want:   nil,
		},
		{
			name:   "retracted and computed again: counts again",
			old:    events{k: ev},
			active: actives{k: false},
			next:   []doraflow.Event{ev},
			want:   []doraflow.EventUpdate{{Key: k, New: ev, NewActive: true, Prev: ev, PrevActive: false}},
		},
		{
			name:   "stored without an active flag: does not count",
			old:    events{k: ev},
			active: nil,
			next:   []doraflow.Event{ev},
			want:   []doraflow.EventUpdate{{Key: k, New: ev, NewActive: true, Prev: ev, PrevActive: false}},
		},
		{
			name:   "the environment is part of the key",
			old:    events{k: ev},
			active: actives{k: true},
			next:   []doraflow.Event{ev, keyed("api", doraflow.EventDeployment, "d", "staging")},
			want: []doraflow.EventUpdate{{
				Key: keyed("api", doraflow.EventDeployment, "d", "staging").Key(), New: keyed("api", doraflow.EventDeployment, "d", "staging"), NewActive: true,
			}},
		},
		{
			// Sorted by service, kind, entity, environment, retractions among the rest.
			name: "sorted by key",
			old: events{
				keyed("web", doraflow.EventDeployment, "w", "production").Key(): keyed("web", doraflow.EventDeployment, "w", "production"),
				keyed("api", doraflow.EventIncident, "i", "production").Key():   keyed("api", doraflow.EventIncident, "i", "production"),
			},
			active: actives{
				keyed("web", doraflow.EventDeployment, "w", "production").Key(): true,
				keyed("api", doraflow.EventIncident, "i", "production").Key():   true,
			},
			next: []doraflow.Event{
				keyed("api", doraflow.EventRestore, "i", "production"),
				keyed("api", doraflow.EventChange, "c", "staging"),
				keyed("api", doraflow.EventDeployment, "b", "production"),
				keyed("api", doraflow.EventChange, "c", "production"),
				keyed("api", doraflow.EventDeployment, "a", "production"),
			},
			want: []doraflow.EventUpdate{
				{Key: keyed("api", doraflow.EventChange, "c", "production").Key(), New: keyed("api", doraflow.EventChange, "c", "production"), NewActive: true},
				{Key: keyed("api", doraflow.EventChange, "c", "staging").Key(), New: keyed("api", doraflow.EventChange, "c", "staging"), NewActive: true},
				{Key: keyed("api", doraflow.EventDeployment, "a", "production").Key(), New: keyed("api", doraflow.EventDeployment, "a", "production"), NewActive: true},
				{Key: keyed("api", doraflow.EventDeployment, "b", "production").Key(), New: keyed("api", doraflow.EventDeployment, "b", "production"), NewActive: true},
				{
					Key: keyed("api", doraflow.EventIncident, "i", "production").Key(), New: keyed("api", doraflow.EventIncident, "i", "production"),
					Prev: keyed("api", doraflow.EventIncident, "i", "production"), PrevActive: true,
				},
				{Key: keyed("api", doraflow.EventRestore, "i", "production").Key(), New: keyed("api", doraflow.EventRestore, "i", "production"), NewActive: true},
				{
					Key: keyed("web", doraflow.EventDeployment, "w", "production").Key(), New: keyed("web", doraflow.EventDeployment, "w", "production"),
					Prev: keyed("web", doraflow.EventDeployment, "w", "production"), PrevActive: true,
				},
			},
		},
	}
	// Each field but the key, changed alone, makes an update from the stored
	// state to the new one.
	for _, f := range []struct {
		name   string
		change func(*doraflow.Event)
	}{
		{"team", func(e *doraflow.Event) { e.Team = "frontend" }},
		{"repository", func(e *doraflow.Event) { e.Repository = "acme/web" }},
		{"at", func(e *doraflow.Event) { e.At = e.At.Add(time.Second) }},
		{"day", func(e *doraflow.Event) { e.Day = day(3) }},
		{"value", func(e *doraflow.Event) { e.Value = 1 }},
		{"failed", func(e *doraflow.Event) { e.Failed = true }},
		{"rework", func(e *doraflow.Event) { e.Rework = true }},
		{"deployment", func(e *doraflow.Event) { e.DeploymentID = "other" }},
		{"reason", func(e *doraflow.Event) { e.Reason = transform.ReasonWindow }},
	} {
		n := with(f.change)
		cases = append(cases, struct {
			name   string
			old    events
			active actives
			next   []doraflow.Event
			want   []doraflow.EventUpdate
		}{
			name: "a changed " + f.name, old: events{k: ev}, active: actives{k: true}, next: []doraflow.Event{n},
			want: []doraflow.EventUpdate{{Key: k, New: n, NewActive: true, Prev: ev, PrevActive: true}},
		})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got := transform.Diff(c.old, c.active, c.next)
			if len(got) != len(c.want) || (len(got) > 0 && !reflect.DeepEqual(got, c.want)) {
				want := updateLines(t, c.want)
				checkLines(t, "updates", updateLines(t, got), want)
				t.Errorf("updates: got %d %+v, want %d %+v", len(got), got, len(c.want), c.want)
			}
		})
	}
}

// TestRecompute: Diff of the events of the facts before and after a sync
// (or a change of rules), as promote writes them. A fact that changes
// retracts or replaces what it contributed, and nothing else.
func TestRecompute(t *testing.T) {
	t.Parallel()
	newYork := zone(t, "America/New_York")
	d := dep("d", "api", day(2))
	c := pr("c", day(1))
	openI := incident("i", "api", day(3), time.Time{})
	resolvedI := incident("i", "api", day(3), day(3).Add(time.Hour))
	cases := []struct {
		name          string
		services      []string
		before, after doraflow.FactSet
		rules         *transform.Rules // rules after; before, always defaultRules
		want          []string         // updateLine of each update
	}{
		{
			name:     "the same facts again: nothing to write",
			services: []string{"api"},
			before:   doraflow.FactSet{Deployments: []doraflow.Deployment{d}, Changes: []doraflow.Change{c}, Ships: ships("d: c"), Incidents: []doraflow.Incident{resolvedI}},
			after:    doraflow.FactSet{Deployments: []doraflow.Deployment{d}, Changes: []doraflow.Change{c}, Ships: ships("d: c"), Incidents: []doraflow.Incident{resolvedI}},
			want:     nil,
		},
		{
			// As pipeline's TestIncidentResolvedInALaterSync.
			name:     "an incident resolved in a later sync",
			services: []string{"api"},
			before:   doraflow.FactSet{Incidents: []doraflow.Incident{openI}},
			after:    doraflow.FactSet{Incidents: []doraflow.Incident{resolvedI}},
			want:     []string{"api restore i production | none -> at=2024-01-03 01:00:00 day=2024-01-03 value=3600"},
		},
		{
			// As pipeline's TestDeploymentArrivingAfterItsIncident.
			name:     "a deployment arriving after its incident",
			services: []string{"api"},
			before:   doraflow.FactSet{Incidents: []doraflow.Incident{resolvedI}},
			after:    doraflow.FactSet{Deployments: []doraflow.Deployment{d}, Incidents: []doraflow.Incident{resolvedI}},
			want: []string{
				"api deployment d production | none -> at=2024-01-02 00:00:00 day=2024-01-02 failed dep=d",
				"api incident i production | at=2024-01-03 00:00:00 day=2024-01-03 -> at=2024-01-03 00:00:00 day=2024-01-03 dep=d reason=window",
				"api restore i production | at=2024-01-03 01:00:00 day=2024-01-03 value=3600 -> at=2024-01-03 01:00:00 day=2024-01-03 value=3600 dep=d reason=window",
			},
		},
		{
			// As pipeline's TestLeadTimeArrivingEarlierDeploymentMovesTheFirstShip.
			name:     "an earlier deployment of a change arrives",
			services: []string{"api"},
			before:   doraflow.FactSet{Deployments: []doraflow.Deployment{dep("late", "api", day(5))}, Changes: []doraflow.Change{c}, Ships: ships("late: c")},
			after: doraflow.FactSet{
				Deployments: []doraflow.Deployment{dep("late", "api", day(5)), dep("early", "api", day(2))},
				Changes:     []doraflow.Change{c}, Ships: ships("late: c", "early: c"),
			},
			want: []string{
				"api change c production | at=2024-01-05 00:00:00 day=2024-01-05 value=345600 dep=late -> at=2024-01-02 00:00:00 day=2024-01-02 value=86400 dep=early",
				"api deployment early production | none -> at=2024-01-02 00:00:00 day=2024-01-02 dep=early",
			},
		},
		{
			// "A re-run keeps its run id: the latest attempt decides whether it counts".
			name:     "a deployment that turns failed counts nowhere",
			services: []string{"api"},
			before:   doraflow.FactSet{Deployments: []doraflow.Deployment{d}, Changes: []doraflow.Change{c}, Ships: ships("d: c"), Incidents: []doraflow.Incident{openI}},
			after: doraflow.FactSet{
				Deployments: []doraflow.Deployment{status(doraflow.StatusFailure, d)}, Changes: []doraflow.Change{c}, Ships: ships("d: c"),
				Incidents: []doraflow.Incident{openI},
			},
			want: []string{
				"api change c production | at=2024-01-02 00:00:00 day=2024-01-02 value=86400 dep=d -> inactive(at=2024-01-02 00:00:00 day=2024-01-02 value=86400 dep=d)",
				"api deployment d production | at=2024-01-02 00:00:00 day=2024-01-02 failed dep=d -> inactive(at=2024-01-02 00:00:00 day=2024-01-02 failed dep=d)",
				"api incident i production | at=2024-01-03 00:00:00 day=2024-01-03 dep=d reason=window -> at=2024-01-03 00:00:00 day=2024-01-03",
			},
		},
		{
			// "An incident merged into another (resolved with
			// resolve_reason.type = merge_resolve_reason) is not an incident
			// of its own: it is part of the one it was merged into."
			name:     "an open incident merged into another in a later sync",
			services: []string{"api"},
			before:   doraflow.FactSet{Deployments: []doraflow.Deployment{d}, Incidents: []doraflow.Incident{openI}},
			after:    doraflow.FactSet{Deployments: []doraflow.Deployment{d}, Incidents: []doraflow.Incident{merged(resolvedI, "j")}},
			want: []string{
				"api deployment d production | at=2024-01-02 00:00:00 day=2024-01-02 failed dep=d -> at=2024-01-02 00:00:00 day=2024-01-02 dep=d",
				"api incident i production | at=2024-01-03 00:00:00 day=2024-01-03 dep=d reason=window -> inactive(at=2024-01-03 00:00:00 day=2024-01-03 dep=d reason=window)",
			},
		},
		{
			name:     "an incident merged before it was first seen: nothing to write",
			services: []string{"api"},
			before:   doraflow.FactSet{Deployments: []doraflow.Deployment{d}},
			after:    doraflow.FactSet{Deployments: []doraflow.Deployment{d}, Incidents: []doraflow.Incident{merged(resolvedI, "j")}},
			want:     nil,
		},
		{
			// "A retracted custom deployment or incident (record delete) counts nowhere."
			name:     "a retracted incident",
			services: []string{"api"},
			before:   doraflow.FactSet{Deployments: []doraflow.Deployment{d}, Incidents: []doraflow.Incident{resolvedI}},
			after:    doraflow.FactSet{Deployments: []doraflow.Deployment{d}},
			want: []string{
				"api deployment d production | at=2024-01-02 00:00:00 day=2024-01-02 failed dep=d -> at=2024-01-02 00:00:00 day=2024-01-02 dep=d",
				"api incident i production | at=2024-01-03 00:00:00 day=2024-01-03 dep=d reason=window -> inactive(at=2024-01-03 00:00:00 day=2024-01-03 dep=d reason=window)",
				"api restore i production | at=2024-01-03 01:00:00 day=2024-01-03 value=3600 dep=d reason=window -> inactive(at=2024-01-03 01:00:00 day=2024-01-03 value=3600 dep=d reason=window)",
			},
		},
		{
			name:     "a rework label added to a shipped pull request",
			services: []string{"api"},
			before:   doraflow.FactSet{Deployments: []doraflow.Deployment{d}, Changes: []doraflow.Change{c}, Ships: ships("d: c")},
			after:    doraflow.FactSet{Deployments: []doraflow.Deployment{d}, Changes: []doraflow.Change{pr("c", day(1), "hotfix")}, Ships: ships("d: c")},
			want: []string{
				"api deployment d production | at=2024-01-02 00:00:00 day=2024-01-02 dep=d -> at=2024-01-02 00:00:00 day=2024-01-02 rework dep=d",
			},
		},
		{
			name:     "a deployment moved to another service",
			services: []string{"api", "web"},
			before:   doraflow.FactSet{Deployments: []doraflow.Deployment{d}, Changes: []doraflow.Change{c}, Ships: ships("d: c")},
			after:    doraflow.FactSet{Deployments: []doraflow.Deployment{dep("d", "web", day(2))}, Changes: []doraflow.Change{c}, Ships: ships("d: c")},
			want: []string{
				"api change c production | at=2024-01-02 00:00:00 day=2024-01-02 value=86400 dep=d -> inactive(at=2024-01-02 00:00:00 day=2024-01-02 value=86400 dep=d)",
				"api deployment d production | at=2024-01-02 00:00:00 day=2024-01-02 dep=d -> inactive(at=2024-01-02 00:00:00 day=2024-01-02 dep=d)",
				"web change c production | none -> at=2024-01-02 00:00:00 day=2024-01-02 value=86400 dep=d",
				"web deployment d production | none -> at=2024-01-02 00:00:00 day=2024-01-02 dep=d",
			},
		},
		{
			// The rules changed: the incident, two days after, is beyond a 24h window.
			name:     "a shorter attribution window",
			services: []string{"api"},
			before:   doraflow.FactSet{Deployments: []doraflow.Deployment{d}, Incidents: []doraflow.Incident{incident("i", "api", day(4), time.Time{})}},
			after:    doraflow.FactSet{Deployments: []doraflow.Deployment{d}, Incidents: []doraflow.Incident{incident("i", "api", day(4), time.Time{})}},
			rules:    withWindow(24 * time.Hour),
			want: []string{
				"api deployment d production | at=2024-01-02 00:00:00 day=2024-01-02 failed dep=d -> at=2024-01-02 00:00:00 day=2024-01-02 dep=d",
				"api incident i production | at=2024-01-04 00:00:00 day=2024-01-04 dep=d reason=window -> at=2024-01-04 00:00:00 day=2024-01-04",
			},
		},
		{
			// The rules changed: a new time zone moves the days, and only them.
			name:     "another time zone",
			services: []string{"api"},
			before: doraflow.FactSet{
				Deployments: []doraflow.Deployment{dep("d", "api", day(2).Add(3*time.Hour)), dep("noon", "api", day(2).Add(17*time.Hour))},
				Changes:     []doraflow.Change{c}, Ships: ships("d: c"),
			},
			after: doraflow.FactSet{
				Deployments: []doraflow.Deployment{dep("d", "api", day(2).Add(3*time.Hour)), dep("noon", "api", day(2).Add(17*time.Hour))},
				Changes:     []doraflow.Change{c}, Ships: ships("d: c"),
			},
			rules: withZone(newYork),
			want: []string{
				"api change c production | at=2024-01-02 03:00:00 day=2024-01-02 value=97200 dep=d -> at=2024-01-02 03:00:00 day=2024-01-01 value=97200 dep=d",
				"api deployment d production | at=2024-01-02 03:00:00 day=2024-01-02 dep=d -> at=2024-01-02 03:00:00 day=2024-01-01 dep=d",
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rules := defaultRules
			if c.rules != nil {
				rules = *c.rules
			}
			old, active := stored(transform.Events(c.services, c.before, defaultRules))
			next := transform.Events(c.services, c.after, rules)
			updates := transform.Diff(old, active, next)
			checkLines(t, "updates", updateLines(t, updates), c.want)
			// Writing the updates and recomputing gives nothing more.
			for _, u := range updates {
				old[u.Key], active[u.Key] = u.New, u.NewActive
			}
			if again := transform.Diff(old, active, transform.Events(c.services, c.after, rules)); len(again) != 0 {
				t.Errorf("after writing the updates, a recomputation gives %d more:\n\t%q", len(again), updateLines(t, again))
			}
		})
	}
}
