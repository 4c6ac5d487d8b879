package pagerdutyfake

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"doraflow/internal/fakeapi"
)

// Values PagerDuty accepts in include[], per endpoint.
var (
	incidentIncludes = []string{"acknowledgers", "agents", "assignees", "conference_bridge", "escalation_policies",
		"first_trigger_log_entries", "priorities", "services", "teams", "users"}
	serviceIncludes = []string{"escalation_policies", "teams", "integrations", "auto_pause_notifications_parameters"}
)

// last returns the last value of key, as PagerDuty's Rails stack reads a
// repeated scalar parameter.
func last(vals url.Values, key string) string {
	if vs := vals[key]; len(vs) > 0 {
		return vs[len(vs)-1]
	}
	return ""
}

// set returns the values of an array parameter ("key[]") as a set, or nil
// when absent.
func set(vals url.Values, key string) map[string]bool {
	vs := vals[key+"[]"]
	if len(vs) == 0 {
		return nil
	}
	m := make(map[string]bool, len(vs))
	for _, v := range vs {
		m[v] = true
	}
	return m
}

// newView reads time_zone and include[] and returns the view to render
// against; the caller fills v.d under the data lock.
func (s *Server) newView(r *http.Request) (*view, *response) {
	vals := r.URL.Query()
	loc := s.loc
	if tz := last(vals, "time_zone"); tz != "" {
		l, err := time.LoadLocation(tz)
		if err != nil || tz == "Local" {
			bad := errInvalidInput("Time zone is invalid.")
			return nil, &bad
		}
		loc = l
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return &view{
		api:     scheme + "://" + r.Host,
		web:     s.web,
		loc:     loc,
		include: set(vals, "include"),
	}, nil
}

func checkIncludes(v *view, allowed []string) *response {
	for inc := range v.include {
		if !slices.Contains(allowed, inc) {
			bad := errInvalidInput(fmt.Sprintf("Include %q is not one of %s.", inc, strings.Join(allowed, ", ")))
			return &bad
		}
	}
	return nil
}

// pagination reads classic pagination: limit (default 25, at most 100),
// offset, total; offset+limit beyond MaxOffset is refused as PagerDuty
// refuses it.
func (s *Server) pagination(vals url.Values) (limit, offset int, total bool, bad *response) {
	limit = 25
	if l := last(vals, "limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 0 {
			r := errInvalidInput("Limit must be a non-negative integer.")
			return 0, 0, false, &r
		}
		if n > 0 {
			limit = min(n, 100)
		}
	}
	if o := last(vals, "offset"); o != "" {
		n, err := strconv.Atoi(o)
		if err != nil || n < 0 {
			r := errInvalidInput("Offset must be a non-negative integer.")
			return 0, 0, false, &r
		}
		offset = n
	}
	if offset+limit > s.opts.MaxOffset {
		r := errArguments(fmt.Sprintf("Offset+limit exceeds maximum allowed value of %d. Please try to refine your search to reduce the returned set of records below this number, like adding a date range.", s.opts.MaxOffset))
		return 0, 0, false, &r
	}
	return limit, offset, last(vals, "total") == "true", nil
}

// page bounds [offset, offset+limit) within n items.
func page(n, offset, limit int) (lo, hi int, more bool) {
	lo = min(offset, n)
	hi = min(offset+limit, n)
	return lo, hi, hi < n
}

// Layouts accepted for since and until, with and without an offset.
var (
	zonedLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z07:00"}
	localLayouts = []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02"}
)

// parseTime reads an ISO 8601 date or date-time; one without an offset is
// in loc.
func parseTime(v string, loc *time.Location) (time.Time, bool) {
	for _, l := range zonedLayouts {
		if t, err := time.Parse(l, v); err == nil {
			return t, true
		}
	}
	for _, l := range localLayouts {
		if t, err := time.ParseInLocation(l, v, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// sortKey is one field of sort_by.
type sortKey struct {
	field string
	desc  bool
}

func parseSort(v string) ([]sortKey, bool) {
	if v == "" {
		return nil, true
	}
	parts := strings.Split(v, ",")
	if len(parts) > 2 {
		return nil, false
	}
	var keys []sortKey
	for _, p := range parts {
		field, dir, _ := strings.Cut(strings.TrimSpace(p), ":")
		switch field {
		case "incident_number", "created_at", "resolved_at", "urgency":
		default:
			return nil, false
		}
		switch dir {
		case "", "asc":
			keys = append(keys, sortKey{field: field})
		case "desc":
			keys = append(keys, sortKey{field: field, desc: true})
		default:
			return nil, false
		}
	}
	return keys, true
}

// compareBy orders two incidents by the sort keys, then by the default
// order. Open incidents (no resolved_at) sort after resolved ones when
// ascending and before them when descending, as NULLS LAST/FIRST would.
func compareBy(keys []sortKey, a, b *Incident) int {
	for _, k := range keys {
		var c int
		switch k.field {
		case "incident_number":
			c = cmp.Compare(a.Number, b.Number)
		case "created_at":
			c = a.CreatedAt.Compare(b.CreatedAt)
		case "urgency":
			c = strings.Compare(a.Urgency, b.Urgency)
		case "resolved_at":
			switch az, bz := a.ResolvedAt.IsZero(), b.ResolvedAt.IsZero(); {
			case az && bz:
			case az:
				c = 1
			case bz:
				c = -1
			default:
				c = a.ResolvedAt.Compare(b.ResolvedAt)
			}
		}
		if k.desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	if before(a, b) {
		return -1
	}
	if before(b, a) {
		return 1
	}
	return 0
}

// incidentQuery is a parsed GET /incidents request.
type incidentQuery struct {
	since, until time.Time
	all          bool // date_range=all
	services     map[string]bool
	teams        map[string]bool
	users        map[string]bool
	urgencies    map[string]bool
	statuses     map[string]bool
	incidentKey  string
	sort         []sortKey
}

func (s *Server) parseIncidentQuery(vals url.Values, loc *time.Location, now time.Time) (incidentQuery, *response) {
	var q incidentQuery
	bad := func(r response) (incidentQuery, *response) { return incidentQuery{}, &r }
	switch dr := last(vals, "date_range"); dr {
	case "all":
		q.all = true
	case "":
	default:
		return bad(errInvalidInput("Date range must be \"all\"."))
	}
	if !q.all {
		sinceStr, untilStr := last(vals, "since"), last(vals, "until")
		var ok bool
		if sinceStr != "" {
			if q.since, ok = parseTime(sinceStr, loc); !ok {
				return bad(errInvalidInput("Since is invalid."))
			}
		}
		if untilStr != "" {
			if q.until, ok = parseTime(untilStr, loc); !ok {
				return bad(errInvalidInput("Until is invalid."))
			}
		}
		switch {
		case sinceStr == "" && untilStr == "":
			q.until = now
			q.since = now.Add(-s.opts.DefaultRange)
		case untilStr == "":
			q.until = q.since.Add(s.opts.DefaultRange)
		case sinceStr == "":
			q.since = q.until.Add(-s.opts.DefaultRange)
		}
		if q.until.Before(q.since) {
			return bad(errInvalidInput("Since must be before until."))
		}
		if q.until.Sub(q.since) > s.opts.MaxRange {
			// The live API's detail text, verbatim (it names no field).
			return bad(errInvalidInput(" is invalid."))
		}
		if !s.opts.ExactTimes {
			// To the day only (see Options.ExactTimes).
			if sinceStr != "" {
				q.since = floorDay(q.since)
			}
			if untilStr != "" {
				q.until = ceilDay(q.until)
			}
		}
	}
	q.statuses = set(vals, "statuses")
	for st := range q.statuses {
		if st != StatusTriggered && st != StatusAcknowledged && st != StatusResolved {
			return bad(errInvalidInput("Status must be a list of triggered, acknowledged, or resolved."))
		}
	}
	q.urgencies = set(vals, "urgencies")
	for u := range q.urgencies {
		if u != UrgencyHigh && u != UrgencyLow {
			return bad(errInvalidInput("Urgencies must be a list of high or low."))
		}
	}
	q.services = set(vals, "service_ids")
	q.teams = set(vals, "team_ids")
	q.users = set(vals, "user_ids")
	q.incidentKey = last(vals, "incident_key")
	var ok bool
	if q.sort, ok = parseSort(last(vals, "sort_by")); !ok {
		return bad(errInvalidInput("Sort by must be up to two of incident_number, created_at, resolved_at, urgency, each optionally with :asc or :desc."))
	}
	return q, nil
}

// sources returns the sorted incident lists a query reads, cut to its
// window, and whether the team filter still has to be applied per incident.
// The caller holds the data lock.
func (q *incidentQuery) sources(d *Data) (lists [][]*Incident, filterTeams bool) {
	switch {
	case len(q.services) > 0:
		for _, id := range sortedKeys(q.services) {
			lists = append(lists, d.byService[id])
		}
		filterTeams = len(q.teams) > 0
	case len(q.teams) > 0:
		for _, id := range sortedKeys(q.teams) {
			lists = append(lists, d.byTeam[id])
		}
	default:
		lists = [][]*Incident{d.all}
	}
	if !q.all {
		for i, l := range lists {
			lists[i] = l[lowerBound(l, q.since):lowerBound(l, q.until)]
		}
	}
	return lists, filterTeams
}

func (q *incidentQuery) match(p *Incident, filterTeams bool) bool {
	if q.statuses != nil && !q.statuses[p.Status] {
		return false
	}
	if q.urgencies != nil && !q.urgencies[p.Urgency] {
		return false
	}
	if q.incidentKey != "" && p.IncidentKey != q.incidentKey {
		return false
	}
	if filterTeams && !slices.ContainsFunc(p.TeamIDs, func(id string) bool { return q.teams[id] }) {
		return false
	}
	if q.users != nil && !slices.ContainsFunc(p.AssigneeIDs, func(id string) bool { return q.users[id] }) {
		return false
	}
	return true
}

// each calls fn for the incidents of the sorted lists in created_at order
// (reversed when desc), each incident once even when several lists hold it,
// until fn returns false. Merging k lists costs O(k) per incident.
func each(lists [][]*Incident, desc bool, fn func(*Incident) bool) {
	if len(lists) == 1 {
		l := lists[0]
		if desc {
			for i := len(l) - 1; i >= 0; i-- {
				if !fn(l[i]) {
					return
				}
			}
			return
		}
		for _, p := range l {
			if !fn(p) {
				return
			}
		}
		return
	}
	pos := make([]int, len(lists))
	if desc {
		for i, l := range lists {
			pos[i] = len(l) - 1
		}
	}
	for {
		var best *Incident
		for i, l := range lists {
			if pos[i] < 0 || pos[i] >= len(l) {
				continue
			}
			p := l[pos[i]]
			if best == nil || (!desc && before(p, best)) || (desc && before(best, p)) {
				best = p
			}
		}
		if best == nil {
			return
		}
		for i, l := range lists {
			if pos[i] >= 0 && pos[i] < len(l) && l[pos[i]] == best {
				if desc {
					pos[i]--
				} else {
					pos[i]++
				}
			}
		}
		if !fn(best) {
			return
		}
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// run returns the page of incidents a query asks for, whether more follow,
// and the number of matches (counted only when wantTotal, or when the sort
// needs every match anyway). The caller holds the data lock.
func (q *incidentQuery) run(d *Data, offset, limit int, wantTotal bool) (out []*Incident, more bool, total int) {
	lists, filterTeams := q.sources(d)
	fast := len(q.sort) == 0 || len(q.sort) == 1 && q.sort[0].field == "created_at"
	if !fast {
		var all []*Incident
		each(lists, false, func(p *Incident) bool {
			if q.match(p, filterTeams) {
				all = append(all, p)
			}
			return true
		})
		slices.SortStableFunc(all, func(a, b *Incident) int { return compareBy(q.sort, a, b) })
		lo, hi, more := page(len(all), offset, limit)
		return all[lo:hi], more, len(all)
	}
	desc := len(q.sort) == 1 && q.sort[0].desc
	out = make([]*Incident, 0, limit)
	n := 0
	each(lists, desc, func(p *Incident) bool {
		if !q.match(p, filterTeams) {
			return true
		}
		n++
		switch {
		case n <= offset:
		case len(out) < limit:
			out = append(out, p)
		default:
			more = true
			return wantTotal // keep counting only when the total was asked for
		}
		return true
	})
	return out, more, n
}

func (s *Server) listIncidents(r *http.Request, v *view) response {
	vals := r.URL.Query()
	if bad := checkIncludes(v, incidentIncludes); bad != nil {
		return *bad
	}
	q, bad := s.parseIncidentQuery(vals, v.loc, s.opts.Now())
	if bad != nil {
		return *bad
	}
	limit, offset, wantTotal, bad := s.pagination(vals)
	if bad != nil {
		return *bad
	}
	return s.withData(v, func(d *Data) response {
		items, more, total := q.run(d, offset, limit, wantTotal)
		// Incidents are the large documents: size the buffer once up front.
		e := v.json(512 + 2400*len(items))
		return listBody(e, v, "incidents", items, (*view).incident, listPage{limit, offset, more, total, wantTotal})
	})
}

func (s *Server) getIncident(id string, v *view) response {
	if bad := checkIncludes(v, incidentIncludes); bad != nil {
		return *bad
	}
	return getOne(s, v, "incident", func(d *Data) (*Incident, bool) {
		if p, ok := d.incidents[id]; ok {
			return p, true
		}
		// The API also accepts an incident number in place of the id.
		if n, err := strconv.Atoi(id); err == nil && n > 0 {
			for _, x := range d.all {
				if x.Number == n {
					return x, true
				}
			}
		}
		return nil, false
	}, (*view).incident)
}

func (s *Server) listServices(r *http.Request, v *view) response {
	vals := r.URL.Query()
	if bad := checkIncludes(v, serviceIncludes); bad != nil {
		return *bad
	}
	desc := false
	switch last(vals, "sort_by") {
	case "", "name", "name:asc":
	case "name:desc":
		desc = true
	default:
		return errInvalidInput("Sort by must be name, name:asc or name:desc.")
	}
	teams := set(vals, "team_ids")
	query := strings.ToLower(last(vals, "query"))
	return listOf(s, r, v, "services", func(d *Data) []*Service {
		var all []*Service
		for _, svc := range d.sortedServices() {
			if teams != nil && !slices.ContainsFunc(svc.TeamIDs, func(id string) bool { return teams[id] }) {
				continue
			}
			if nameMatches(svc.Name, query) {
				all = append(all, svc)
			}
		}
		if desc {
			slices.Reverse(all)
		}
		return all
	}, (*view).service)
}

func (s *Server) getService(id string, v *view) response {
	if bad := checkIncludes(v, serviceIncludes); bad != nil {
		return *bad
	}
	return getOne(s, v, "service", func(d *Data) (*Service, bool) {
		svc, ok := d.services[id]
		return svc, ok
	}, (*view).service)
}

func (s *Server) listTeams(r *http.Request, v *view) response {
	query := strings.ToLower(last(r.URL.Query(), "query"))
	return listOf(s, r, v, "teams", func(d *Data) []*Team {
		var all []*Team
		for _, t := range d.sortedTeams() {
			if nameMatches(t.Name, query) {
				all = append(all, t)
			}
		}
		return all
	}, (*view).team)
}

func (s *Server) getTeam(id string, v *view) response {
	return getOne(s, v, "team", func(d *Data) (*Team, bool) {
		t, ok := d.teams[id]
		return t, ok
	}, (*view).team)
}

func (s *Server) listPriorities(r *http.Request, v *view) response {
	return listOf(s, r, v, "priorities", (*Data).sortedPriorities, (*view).priority)
}

// nameMatches reports whether name contains query, already lower-cased,
// ignoring case; the empty query matches every name, as the API's does.
func nameMatches(name, query string) bool {
	return query == "" || strings.Contains(strings.ToLower(name), query)
}

// getOne answers a GET /<collection>/{id}: {"<key>": object}, or 404 when
// find has no object. find and render run under the data read lock, so the
// object and what it references are rendered as of one instant.
func getOne[T any](s *Server, v *view, key string, find func(*Data) (*T, bool), render func(*view, *fakeapi.JSON, *T)) response {
	return s.withData(v, func(d *Data) response {
		x, ok := find(d)
		if !ok {
			return errNotFound()
		}
		e := v.json(0)
		e.Object()
		e.Key(key)
		render(v, e, x)
		e.EndObject()
		return jsonResponse(http.StatusOK, e.Bytes())
	})
}

// listOf answers a classic paginated GET /<collection> over the whole list
// collect returns, in order, under the data read lock. The caller checks
// its own parameters first, so that their errors come before pagination's.
func listOf[T any](s *Server, r *http.Request, v *view, key string, collect func(*Data) []*T, render func(*view, *fakeapi.JSON, *T)) response {
	limit, offset, wantTotal, bad := s.pagination(r.URL.Query())
	if bad != nil {
		return *bad
	}
	return s.withData(v, func(d *Data) response {
		all := collect(d)
		lo, hi, more := page(len(all), offset, limit)
		return listBody(v.json(0), v, key, all[lo:hi], render, listPage{limit, offset, more, len(all), wantTotal})
	})
}

// withData runs fn under the data read lock with v rendering against the
// data, so that a response shows the account as of one instant even while a
// test changes it.
func (s *Server) withData(v *view, fn func(d *Data) response) response {
	d := s.data
	d.mu.RLock()
	defer d.mu.RUnlock()
	v.d = d
	return fn(d)
}

// listBody writes a list response into e: {"<key>": [items…]} followed by
// the pagination members. The caller holds the data read lock.
func listBody[T any](e *fakeapi.JSON, v *view, key string, items []*T, render func(*view, *fakeapi.JSON, *T), p listPage) response {
	e.Object()
	e.Key(key)
	e.Array()
	for _, x := range items {
		render(v, e, x)
	}
	e.EndArray()
	listTail(e, p)
	e.EndObject()
	return jsonResponse(http.StatusOK, e.Bytes())
}

// mergeIncidents answers PUT /incidents/{id}/merge as PagerDuty documents
// it (https://developer.pagerduty.com/api-reference/, "Merge incidents"):
// a From header naming a user of the account, a body
// {"source_incidents": [{"id": …, "type": "incident_reference"}, …]}, and
// the target incident in the answer. The sources are resolved at now with
// a merge resolve_reason and stay listed (see Data.Merge).
func (s *Server) mergeIncidents(r *http.Request, target string, now time.Time) response {
	v, bad := s.newView(r)
	if bad != nil {
		return *bad
	}
	var body struct {
		SourceIncidents []struct {
			ID   string `json:"id"`
			Type string `json:"type"`
		} `json:"source_incidents"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil || len(body.SourceIncidents) == 0 {
		return errInvalidInput("Source incidents must be given as source_incidents: [{id, type: incident_reference}].")
	}
	if !s.knownEmail(r.Header.Get("From")) {
		return errInvalidInput("From header must be the email address of a user of the account.")
	}
	ids := make([]string, len(body.SourceIncidents))
	for i, src := range body.SourceIncidents {
		ids[i] = src.ID
	}
	switch err := s.data.Merge(target, ids, now); {
	case errors.Is(err, ErrNotFound):
		return errNotFound()
	case err != nil:
		return errInvalidInput(strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": "))
	}
	return s.getIncident(target, v)
}

// knownEmail reports whether email is the address of one of the account's
// users.
func (s *Server) knownEmail(email string) bool {
	s.data.mu.RLock()
	defer s.data.mu.RUnlock()
	for _, u := range s.data.users {
		if email != "" && strings.EqualFold(u.Email, email) {
			return true
		}
	}
	return false
}

// floorDay returns the UTC midnight at or before t.
func floorDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// ceilDay returns the UTC midnight at or after t.
func ceilDay(t time.Time) time.Time {
	if f := floorDay(t); !f.Equal(t) {
		return f.AddDate(0, 0, 1)
	}
	return t
}
