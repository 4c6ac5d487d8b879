package transform

import (
	"sort"
	"strings"
	"time"

	"doraflow"
)

// Rules are the config settings the metric events depend on.
type Rules struct {
	Location          *time.Location // days are calendar days here
	AttributionWindow time.Duration  // 0 = no limit
	ReworkLabels      []string
}

// Attribution reasons, shown by explain.
const (
	ReasonExplicit = "explicit"
	ReasonWindow   = "window"
)

// Events computes the metric events of the given services from the facts
// (docs/metrics.md): a deployment event per successful deployment, a change
// event per change at its first deployment in each service and
// environment with its stage events (stages.go), and an incident and (once
// resolved) a restore event per incident of its own: one merged into
// another is part of that one and gives no event, nor fails a deployment.
// facts must hold every deployment of those services, what they
// ship, and the incidents of those services or naming their deployments.
func Events(services []string, facts doraflow.FactSet, rules Rules) []doraflow.Event {
	in := make(map[string]bool, len(services))
	for _, s := range services {
		in[s] = true
	}
	loc := rules.Location
	if loc == nil {
		loc = time.UTC
	}
	deployed := map[string]doraflow.Deployment{}
	prod := map[string][]doraflow.Deployment{} // service -> production deployments by time
	for _, d := range facts.Deployments {
		if !in[d.Service] || d.Status != doraflow.StatusSuccess {
			continue
		}
		deployed[d.ID] = d
		if d.Environment == doraflow.EnvironmentProduction {
			prod[d.Service] = append(prod[d.Service], d)
		}
	}
	for _, ds := range prod {
		sort.Slice(ds, func(i, j int) bool { return before(ds[i], ds[j]) })
	}

	var out []doraflow.Event
	failed := map[string]bool{}
	for _, inc := range facts.Incidents {
		if inc.MergedInto != "" {
			continue
		}
		dep, reason := attribute(inc, deployed, prod, rules.AttributionWindow)
		if dep != "" {
			failed[dep] = true
		}
		if !in[inc.Service] {
			continue
		}
		if inc.DeploymentID != "" {
			dep, reason = inc.DeploymentID, ReasonExplicit
		}
		ev := doraflow.Event{
			Service: inc.Service, Kind: doraflow.EventIncident, EntityID: inc.ID,
			Environment: doraflow.EnvironmentProduction, Team: inc.Team,
			At: inc.CreatedAt, Day: day(inc.CreatedAt, loc), DeploymentID: dep, Reason: reason,
		}
		out = append(out, ev)
		if inc.Resolved() {
			ev.Kind, ev.At, ev.Day = doraflow.EventRestore, inc.ResolvedAt, day(inc.ResolvedAt, loc)
			ev.Value = seconds(inc.ResolvedAt.Sub(inc.CreatedAt))
			out = append(out, ev)
		}
	}

	changes := make(map[string]doraflow.Change, len(facts.Changes))
	for _, c := range facts.Changes {
		changes[c.ID] = c
	}
	type where struct{ service, environment, change string }
	first := map[where]doraflow.Deployment{}
	for _, d := range deployed {
		rework := false
		for _, id := range facts.Ships[d.ID] {
			c, ok := changes[id]
			if !ok {
				continue // not promoted yet: counted once it is
			}
			rework = rework || IsRework(c, rules.ReworkLabels)
			w := where{d.Service, d.Environment, id}
			if cur, seen := first[w]; !seen || before(d, cur) {
				first[w] = d
			}
		}
		out = append(out, doraflow.Event{
			Service: d.Service, Kind: doraflow.EventDeployment, EntityID: d.ID,
			Environment: d.Environment, Team: d.Team, Repository: d.Repository,
			At: d.DeployedAt, Day: day(d.DeployedAt, loc),
			Failed: failed[d.ID], Rework: rework, DeploymentID: d.ID,
		})
	}
	for w, d := range first {
		c := changes[w.change]
		ev := doraflow.Event{
			Service: w.service, Kind: doraflow.EventChange, EntityID: w.change,
			Environment: w.environment, Team: d.Team, Repository: d.Repository,
			At: d.DeployedAt, Day: day(d.DeployedAt, loc),
			Value:        seconds(d.DeployedAt.Sub(c.StartedAt)),
			DeploymentID: d.ID,
		}
		out = append(out, ev)
		out = append(out, stageEvents(ev, c)...)
	}
	sort.Slice(out, func(i, j int) bool { return lessKey(out[i].Key(), out[j].Key()) })
	return out
}

// attribute returns the deployment an incident is attributed to among
// deployed (successful deployments of the services at hand), and why: the
// deployment it names, else the latest production deployment of its
// service at or before it was created, no more than window before (0 = no
// limit).
func attribute(inc doraflow.Incident, deployed map[string]doraflow.Deployment, prod map[string][]doraflow.Deployment, window time.Duration) (string, string) {
	if inc.DeploymentID != "" {
		if _, ok := deployed[inc.DeploymentID]; ok {
			return inc.DeploymentID, ReasonExplicit
		}
		// A named deployment that is unknown (or of another service) is
		// not replaced by a guess.
		return "", ""
	}
	ds := prod[inc.Service]
	// The first deployment after the incident was created; the one before it
	// is the latest at or before.
	i := sort.Search(len(ds), func(i int) bool { return ds[i].DeployedAt.After(inc.CreatedAt) })
	if i == 0 {
		return "", ""
	}
	d := ds[i-1]
	if window > 0 && inc.CreatedAt.Sub(d.DeployedAt) > window {
		return "", ""
	}
	return d.ID, ReasonWindow
}

// before orders deployments by time, then id, so ties resolve the same way
// on every run.
func before(a, b doraflow.Deployment) bool {
	if !a.DeployedAt.Equal(b.DeployedAt) {
		return a.DeployedAt.Before(b.DeployedAt)
	}
	return a.ID < b.ID
}

// IsRework reports whether a change is a pull request labelled with one of
// the rework labels or titled as a revert.
func IsRework(c doraflow.Change, labels []string) bool {
	if c.Kind != doraflow.ChangePullRequest {
		return false
	}
	if strings.HasPrefix(c.Title, "Revert ") {
		return true
	}
	for _, l := range c.Labels {
		for _, r := range labels {
			if strings.EqualFold(l, r) {
				return true
			}
		}
	}
	return false
}

// day returns the calendar day of t in loc as midnight UTC of that date.
func day(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// seconds truncates a duration to whole seconds, never below 0.
func seconds(d time.Duration) int64 {
	return max(0, int64(d/time.Second))
}

func lessKey(a, b doraflow.EventKey) bool {
	if a.Service != b.Service {
		return a.Service < b.Service
	}
	if a.Kind != b.Kind {
		return a.Kind < b.Kind
	}
	if a.EntityID != b.EntityID {
		return a.EntityID < b.EntityID
	}
	return a.Environment < b.Environment
}

// Diff returns the updates that turn the stored events (old, with whether
// each counts) into the computed ones (next): new or changed events, and
// stored events that no longer count. Unchanged events give nothing, so a
// repeated recomputation writes nothing.
func Diff(old map[doraflow.EventKey]doraflow.Event, active map[doraflow.EventKey]bool, next []doraflow.Event) []doraflow.EventUpdate {
	var out []doraflow.EventUpdate
	seen := make(map[doraflow.EventKey]bool, len(next))
	for _, n := range next {
		k := n.Key()
		seen[k] = true
		o, had := old[k]
		if had && active[k] && sameEvent(o, n) {
			continue
		}
		out = append(out, doraflow.EventUpdate{Key: k, New: n, NewActive: true, Prev: o, PrevActive: had && active[k]})
	}
	for k, o := range old {
		if !seen[k] && active[k] {
			out = append(out, doraflow.EventUpdate{Key: k, New: o, NewActive: false, Prev: o, PrevActive: true})
		}
	}
	sort.Slice(out, func(i, j int) bool { return lessKey(out[i].Key, out[j].Key) })
	return out
}

func sameEvent(a, b doraflow.Event) bool {
	return a.Team == b.Team && a.Repository == b.Repository && a.At.Equal(b.At) && a.Day.Equal(b.Day) &&
		a.Value == b.Value && a.Failed == b.Failed && a.Rework == b.Rework &&
		a.DeploymentID == b.DeploymentID && a.Reason == b.Reason
}
