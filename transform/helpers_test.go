package transform_test

// Fixtures and renderings shared by the rule tables. Every table states the
// exact events (or updates) it expects as lines: eventLine prints every
// field of an event, leaving out only those at their zero value, so an
// unexpected field, event or order makes the table fail.

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the time-zone tables do not depend on the host's zoneinfo

	"doraflow"
	"doraflow/transform"
)

// day returns midnight UTC of January d, 2024 (January 1 is a Monday).
func day(d int) time.Time { return time.Date(2024, 1, d, 0, 0, 0, 0, time.UTC) }

// dep is a successful production deployment of service at at, with no team
// or repository (TestEventFields covers those).
func dep(id, service string, at time.Time) doraflow.Deployment {
	return doraflow.Deployment{
		ID: id, Source: doraflow.SourceCustom, Method: doraflow.MethodCustom, Block: "manual",
		Service: service, Environment: doraflow.EnvironmentProduction, DeployedAt: at, Status: doraflow.StatusSuccess,
	}
}

// env returns d deployed to environment e.
func env(e string, d doraflow.Deployment) doraflow.Deployment {
	d.Environment = e
	return d
}

// status returns d with status s.
func status(s doraflow.Status, d doraflow.Deployment) doraflow.Deployment {
	d.Status = s
	return d
}

// pr is a merged pull request that started at started.
func pr(id string, started time.Time, labels ...string) doraflow.Change {
	return doraflow.Change{ID: id, Kind: doraflow.ChangePullRequest, StartedAt: started, Title: "Change " + id, Labels: labels}
}

// titled returns c with title title.
func titled(title string, c doraflow.Change) doraflow.Change {
	c.Title = title
	return c
}

// commit is a lone commit authored at started.
func commit(id string, started time.Time) doraflow.Change {
	return doraflow.Change{ID: id, Kind: doraflow.ChangeCommit, StartedAt: started, Title: "Commit " + id}
}

// incident of service, created and (unless zero) resolved at the given times.
func incident(id, service string, created, resolved time.Time) doraflow.Incident {
	return doraflow.Incident{ID: id, Source: doraflow.SourceCustom, Block: "manual", Service: service, CreatedAt: created, ResolvedAt: resolved}
}

// naming returns i naming deployment d as its cause.
func naming(d string, i doraflow.Incident) doraflow.Incident {
	i.DeploymentID = d
	return i
}

// merged returns i merged into the incident into.
func merged(i doraflow.Incident, into string) doraflow.Incident {
	i.MergedInto = into
	return i
}

// ships builds FactSet.Ships from "deployment: change change ..." entries.
func ships(entries ...string) map[string][]string {
	out := map[string][]string{}
	for _, e := range entries {
		d, cs, _ := strings.Cut(e, ":")
		out[d] = strings.Fields(cs)
	}
	return out
}

// stamp prints an instant in UTC, with fractions of a second only if any.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.999999999") }

// dayStamp prints an event's Day: a date when it is midnight UTC, as it
// must be, else the full time so that the difference shows.
func dayStamp(t time.Time) string {
	if h, m, s := t.Clock(); t.Location() == time.UTC && h == 0 && m == 0 && s == 0 && t.Nanosecond() == 0 {
		return t.Format("2006-01-02")
	}
	return "!" + t.String()
}

// keyLine prints an event key: service kind entity environment.
func keyLine(k doraflow.EventKey) string {
	return fmt.Sprintf("%s %s %s %s", k.Service, k.Kind, k.EntityID, k.Environment)
}

// fieldsLine prints every field of an event but its key, leaving out those
// at their zero value.
func fieldsLine(e doraflow.Event) string {
	var parts []string
	if e.Team != "" {
		parts = append(parts, "team="+e.Team)
	}
	if e.Repository != "" {
		parts = append(parts, "repo="+e.Repository)
	}
	parts = append(parts, "at="+stamp(e.At), "day="+dayStamp(e.Day))
	if e.Value != 0 {
		parts = append(parts, fmt.Sprintf("value=%d", e.Value))
	}
	if e.Failed {
		parts = append(parts, "failed")
	}
	if e.Rework {
		parts = append(parts, "rework")
	}
	if e.DeploymentID != "" {
		parts = append(parts, "dep="+e.DeploymentID)
	}
	if e.Reason != "" {
		parts = append(parts, "reason="+e.Reason)
	}
	return strings.Join(parts, " ")
}

// eventLine prints an event in full.
func eventLine(e doraflow.Event) string { return keyLine(e.Key()) + " " + fieldsLine(e) }

// eventLines prints events in the order given.
func eventLines(events []doraflow.Event) []string {
	out := make([]string, 0, len(events))
	for _, e := range events {
		out = append(out, eventLine(e))
	}
	return out
}

// updateLine prints an update as "key | prev -> new"; a side is "none"
// when it is absent (inactive and zero) and "inactive(…)" when it is an
// event that does not count.
func updateLine(t *testing.T, u doraflow.EventUpdate) string {
	t.Helper()
	side := func(e doraflow.Event, active bool) string {
		if !active && reflect.DeepEqual(e, doraflow.Event{}) {
			return "none"
		}
		if e.Key() != u.Key {
			t.Errorf("update %s carries an event of key %s", keyLine(u.Key), keyLine(e.Key()))
		}
		if !active {
			return "inactive(" + fieldsLine(e) + ")"
		}
		return fieldsLine(e)
	}
	return keyLine(u.Key) + " | " + side(u.Prev, u.PrevActive) + " -> " + side(u.New, u.NewActive)
}

// updateLines prints updates in the order given.
func updateLines(t *testing.T, updates []doraflow.EventUpdate) []string {
	t.Helper()
	out := make([]string, 0, len(updates))
	for _, u := range updates {
		out = append(out, updateLine(t, u))
	}
	return out
}

// checkLines fails unless got and want hold the same lines in the same order.
func checkLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) == len(want) {
		same := true
		for i := range got {
			same = same && got[i] == want[i]
		}
		if same {
			return
		}
	}
	t.Errorf("%s: got %d:\n\t%s\nwant %d:\n\t%s", what, len(got), strings.Join(got, "\n\t"), len(want), strings.Join(want, "\n\t"))
}

// checkEvents fails unless events are exactly the lines of want, in order.
func checkEvents(t *testing.T, events []doraflow.Event, want []string) {
	t.Helper()
	checkLines(t, "events", eventLines(events), want)
}

// stored returns events as the store holds them after writing them all:
// by key, every one active.
func stored(events []doraflow.Event) (map[doraflow.EventKey]doraflow.Event, map[doraflow.EventKey]bool) {
	old := make(map[doraflow.EventKey]doraflow.Event, len(events))
	active := make(map[doraflow.EventKey]bool, len(events))
	for _, e := range events {
		old[e.Key()] = e
		active[e.Key()] = true
	}
	return old, active
}

// zone loads a time zone or fails the test.
func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load time zone %s: %v", name, err)
	}
	return loc
}

// defaultRules are the config defaults: UTC, 168h, hotfix and revert.
var defaultRules = transform.Rules{Location: time.UTC, AttributionWindow: 168 * time.Hour, ReworkLabels: []string{"hotfix", "revert"}}
