package pagerduty

import (
	"slices"
	"strings"

	pd "github.com/PagerDuty/go-pagerduty"

	"doraflow"
)

// filter is an incident block's filters (all must hold). PagerDuty applies
// services, urgency and teams itself (query parameters); priorities have no
// query parameter, so only match applies them.
type filter struct {
	services   []string // PagerDuty service ids; none means all
	urgency    string   // high or low; "" means both
	teams      []string // PagerDuty team ids; none means all
	priorities []string // priority names; none means any, including no priority
}

func newFilter(f doraflow.Filters) filter {
	return filter{services: f.List(filterServices), urgency: f.Text(filterUrgency), teams: f.List(filterTeams), priorities: f.List(filterPriorities)}
}

// listOptions is the server-side part of the filter for GET /incidents.
// services are the block's service ids PagerDuty knows (see Read). The
// sort is explicit because offset paging needs a stable order and the sink
// is promised created order.
func (f filter) listOptions(services []string) pd.ListIncidentsOptions {
	o := pd.ListIncidentsOptions{
		ServiceIDs: services,
		TeamIDs:    f.teams,
		// Every status: an incident counts from its creation, open or not.
		Statuses: []string{"triggered", "acknowledged", "resolved"},
		SortBy:   "created_at:asc",
		Limit:    pageLimit,
	}
	if f.urgency != "" {
		o.Urgencies = []string{f.urgency}
	}
	return o
}

// match reports whether every filter holds for the incident. Read's
// results were filtered by PagerDuty already, but checking again is cheap
// and keeps a quirk of the API from leaking other incidents in; Refresh,
// which fetches by id, relies on it entirely.
func (f filter) match(in pd.Incident) bool { return f.reject(in) == "" }

// check is one filter: name says what it removes, keep whether an
// incident passes it.
type check struct {
	name string
	keep func(pd.Incident) bool
}

// checks are the block's filters in config order.
func (f filter) checks() []check {
	var cs []check
	if len(f.services) > 0 {
		cs = append(cs, check{"service not " + strings.Join(f.services, ", "), func(in pd.Incident) bool {
			return slices.Contains(f.services, in.Service.ID)
		}})
	}
	if f.urgency != "" {
		cs = append(cs, check{"urgency not " + f.urgency, func(in pd.Incident) bool { return in.Urgency == f.urgency }})
	}
	if len(f.priorities) > 0 {
		cs = append(cs, check{"priority not " + strings.Join(f.priorities, ", "), func(in pd.Incident) bool {
			name := priorityName(in)
			// Names are typed into the config by hand; "p1" means P1.
			return name != "" && slices.ContainsFunc(f.priorities, func(p string) bool { return strings.EqualFold(p, name) })
		}})
	}
	if len(f.teams) > 0 {
		cs = append(cs, check{"team not " + strings.Join(f.teams, ", "), func(in pd.Incident) bool {
			return slices.ContainsFunc(in.Teams, func(t pd.APIObject) bool { return slices.Contains(f.teams, t.ID) })
		}})
	}
	return cs
}

// reject returns the name of the first filter the incident fails, ""
// when all hold.
func (f filter) reject(in pd.Incident) string {
	for _, c := range f.checks() {
		if !c.keep(in) {
			return c.name
		}
	}
	return ""
}

// priorityName is the incident's priority name, "" without one. List
// responses may carry only a reference to the priority, whose summary is
// the name.
func priorityName(in pd.Incident) string {
	switch {
	case in.Priority == nil:
		return ""
	case in.Priority.Name != "":
		return in.Priority.Name
	}
	return in.Priority.Summary
}
