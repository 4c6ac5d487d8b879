package pagerduty

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"

	"doraflow"
)

// Read lists the incidents the block matches that were created in [since,
// until) and calls sink with batches of at most 1000, in created order.
//
// The range is read in windows of at most MaxRange; a window holding more
// matches than offset pagination reaches is halved until each half fits.
// Windows are half-open and disjoint, and an incident is delivered once per
// Read even if PagerDuty lists it twice. Service ids of the block that
// PagerDuty does not know are warned about once and listed in
// Stats.UnknownServices; the read goes on with the others. An error from
// sink ends the read and is returned as is.
func (s *Source) Read(ctx context.Context, block doraflow.Block, since, until time.Time, sink func(context.Context, []Incident) error) (Stats, error) {
	return s.read(ctx, block, since, until, nil, sink)
}

// read is Read, and with funnel Preview.
func (s *Source) read(ctx context.Context, block doraflow.Block, since, until time.Time, funnel doraflow.Funnel, sink func(context.Context, []Incident) error) (Stats, error) {
	began := s.now()
	var st Stats
	if err := checkBlock(block); err != nil {
		return st, err
	}
	if until.Before(since) {
		return st, fmt.Errorf("pagerduty: block %s: until %s is before since %s", block.Name, until.Format(time.RFC3339), since.Format(time.RFC3339))
	}
	services, err := s.knownServices(ctx, block, &st)
	if err != nil {
		return st, err
	}
	r := &reader{
		s:      s,
		block:  block.Name,
		filter: newFilter(block.Filters),
		seen:   map[string]bool{},
		out:    &batcher{sink: sink},
		st:     &st,
		funnel: funnel,
	}
	r.query = r.filter.listOptions(services)
	if funnel != nil {
		// A preview counts what urgency and teams remove; services stay
		// in the query, as repositories do for GitHub blocks.
		r.query.Urgencies, r.query.TeamIDs = nil, nil
	}
	// A block none of whose services PagerDuty knows matches nothing;
	// asking without service_ids[] would read every service instead.
	if len(block.Filters.List(filterServices)) == 0 || len(services) > 0 {
		err = r.readRange(ctx, ceilSecond(since), ceilSecond(until))
	}
	if err == nil {
		err = r.out.flush(ctx)
	}
	st.Incidents = r.out.delivered
	if err != nil {
		return st, err
	}
	s.log.Info().Str("source", string(doraflow.SourcePagerDuty)).Str("block", block.Name).
		Time("since", since).Time("until", until).Int("windows", st.Windows).Int("requests", st.Requests).
		Int("incidents", st.Incidents).Strs("unknown_services", st.UnknownServices).
		Dur("took", s.now().Sub(began).Round(time.Millisecond)).Msg("read incidents")
	return st, nil
}

// checkBlock refuses blocks of other methods: their filters mean nothing
// here, and reading them would count every PagerDuty incident.
func checkBlock(b doraflow.Block) error {
	if b.Method != doraflow.MethodPagerDuty {
		return fmt.Errorf("pagerduty: block %s has method %q, not %q", b.Name, b.Method, doraflow.MethodPagerDuty)
	}
	return nil
}

// ceilSecond rounds t up to a whole second, in UTC. PagerDuty stores
// created_at to the second, so [ceil(since), ceil(until)) holds exactly
// the incidents of [since, until), and windows can be sent as plain
// RFC 3339 seconds without stretching the range.
func ceilSecond(t time.Time) time.Time {
	t = t.UTC()
	if r := t.Truncate(time.Second); !r.Equal(t) {
		return r.Add(time.Second)
	}
	return t
}

// knownServices returns the block's service ids that PagerDuty knows, in
// config order. An unknown one is warned about (once per Source and block)
// and recorded in st.UnknownServices.
func (s *Source) knownServices(ctx context.Context, block doraflow.Block, st *Stats) ([]string, error) {
	var known []string
	asked := map[string]bool{}
	for _, id := range block.Filters.List(filterServices) {
		if asked[id] {
			continue
		}
		asked[id] = true
		exists, err := s.serviceExists(ctx, id, st)
		if err != nil {
			return nil, err
		}
		if exists {
			known = append(known, id)
			continue
		}
		st.UnknownServices = append(st.UnknownServices, id)
		if s.firstWarning(block.Name, id) {
			s.log.Warn().Str("source", string(doraflow.SourcePagerDuty)).Str("block", block.Name).Str("service_id", id).
				Msg("PagerDuty has no service with this id (GET /services/{id} answered 404): check the block's filters.services; the block reads its other services")
		}
	}
	return known, nil
}

// reader is the state of one Read.
type reader struct {
	s      *Source
	block  string
	filter filter
	query  pd.ListIncidentsOptions // the block's query; each request sets its window and page
	seen   map[string]bool         // ids delivered, so nothing is delivered twice
	out    *batcher
	st     *Stats
	funnel doraflow.Funnel // set by Preview only
}

// readRange reads [since, until) in consecutive windows of at most
// MaxRange, oldest first, so the sink sees created order.
func (r *reader) readRange(ctx context.Context, since, until time.Time) error {
	for start := since; start.Before(until); {
		end := start.Add(r.s.maxRange)
		if end.After(until) {
			end = until
		}
		if err := r.window(ctx, start, end); err != nil {
			return err
		}
		start = end
	}
	return nil
}

// window pages through the incidents created in [since, until), and
// splits it when offset pagination cannot reach its end.
func (r *reader) window(ctx context.Context, since, until time.Time) error {
	why, err := r.list(ctx, r.query, since, until, func(raw pd.Incident) error { return r.take(ctx, raw, since, until) })
	if err != nil || why == "" {
		return err
	}
	return r.split(ctx, since, until, why)
}

// list pages through q's incidents created in [since, until), handing each
// to each as it comes. It returns why the window must be split when offset
// pagination cannot reach its end ("" when it was read to the end). The
// first page asks for the total, which costs PagerDuty a count, but says
// before any offset limit is hit whether the window must be split.
func (r *reader) list(ctx context.Context, q pd.ListIncidentsOptions, since, until time.Time, each func(pd.Incident) error) (string, error) {
	q.Since, q.Until = since.Format(time.RFC3339), until.Format(time.RFC3339)
	capacity := r.s.maxOffset / pageLimit * pageLimit // offset+limit may not pass maxOffset
	for offset := 0; ; {
		endpoint := fmt.Sprintf("GET /incidents (since %s, until %s, offset %d)", q.Since, q.Until, offset)
		if len(q.ServiceIDs) == 1 {
			endpoint = fmt.Sprintf("GET /incidents (service %s, since %s, until %s, offset %d)", q.ServiceIDs[0], q.Since, q.Until, offset)
		}
		if err := ctx.Err(); err != nil {
			return "", callError(ctx, endpoint, err)
		}
		q.Offset, q.Total = uint(offset), offset == 0
		r.st.Requests++
		page, err := r.s.client.ListIncidentsWithContext(ctx, q)
		switch {
		case err != nil && ctx.Err() == nil && offsetRefused(err):
			return fmt.Sprintf("PagerDuty refused offset %d", offset), nil
		case err != nil:
			return "", callError(ctx, endpoint, err)
		case offset == 0 && int(page.Total) > capacity:
			return fmt.Sprintf("%d incidents match", page.Total), nil
		}
		for _, raw := range page.Incidents {
			if err := each(raw); err != nil {
				return "", err
			}
		}
		if !page.More {
			r.st.Windows++
			return "", nil
		}
		step := int(page.Limit)
		if step == 0 {
			step = len(page.Incidents)
		}
		if step == 0 {
			return "", fmt.Errorf("pagerduty: %s: the page says more incidents follow but holds none", endpoint)
		}
		offset += step
		if offset+pageLimit > r.s.maxOffset {
			// Incidents created after the first page was counted pushed
			// the window past the offset cap. Splitting re-reads what was
			// delivered, which the seen set drops.
			return fmt.Sprintf("more than %d incidents match", capacity), nil
		}
	}
}

// split reads [since, until) in parts, because why (the reason) says
// offset pagination cannot reach its end. PagerDuty honours since and
// until only to the day (a user's report, PagerDuty/pagerduty-mcp-server#47),
// so a part narrower than a UTC day would list the same incidents again:
// a window touching several days splits at the midnight nearest its
// middle, and a window within one day is read service by service.
func (r *reader) split(ctx context.Context, since, until time.Time, why string) error {
	if ceilDay(until).Sub(floorDay(since)) <= day {
		return r.byService(ctx, since, until, why)
	}
	// A midnight strictly inside the window: the one at or before the
	// middle, or else the first after since (the window reaches past it,
	// as it touches more than one day).
	mid := floorDay(since.Add(until.Sub(since) / 2))
	if !mid.After(since) {
		mid = floorDay(since).Add(day)
	}
	r.s.log.Debug().Str("source", string(doraflow.SourcePagerDuty)).Str("block", r.block).
		Time("since", since).Time("until", until).Time("mid", mid).Str("reason", why).Msg("splitting window")
	if err := r.window(ctx, since, mid); err != nil {
		return err
	}
	return r.window(ctx, mid, until)
}

// byService reads a window within one day that holds more incidents than
// offset pagination reaches, one service (service_ids[]) at a time: the
// block's services, or every service of the account. It gathers the
// window's incidents before handing them on in created order, so the sink
// sees the order Read promises. A single service over the cap in one day
// is an error: no query PagerDuty honours can narrow it further.
func (r *reader) byService(ctx context.Context, since, until time.Time, why string) error {
	services := r.query.ServiceIDs
	if len(services) == 0 {
		var err error
		if services, err = r.allServices(ctx); err != nil {
			return err
		}
	}
	if len(services) < 2 {
		return r.tooMany(since, until, why, services)
	}
	r.s.log.Debug().Str("source", string(doraflow.SourcePagerDuty)).Str("block", r.block).
		Time("since", since).Time("until", until).Int("services", len(services)).Str("reason", why).Msg("splitting window by service")
	var gathered []pd.Incident
	for _, id := range services {
		q := r.query
		q.ServiceIDs = []string{id}
		why, err := r.list(ctx, q, since, until, func(raw pd.Incident) error {
			gathered = append(gathered, raw)
			return nil
		})
		if err != nil {
			return err
		}
		if why != "" {
			return r.tooMany(since, until, why, []string{id})
		}
	}
	created := make(map[string]time.Time, len(gathered))
	for _, raw := range gathered {
		in, err := toIncident(r.block, raw)
		if err != nil {
			return fmt.Errorf("pagerduty: GET /incidents: %w", err)
		}
		created[raw.ID] = in.CreatedAt
	}
	sort.SliceStable(gathered, func(i, j int) bool {
		a, b := created[gathered[i].ID], created[gathered[j].ID]
		if !a.Equal(b) {
			return a.Before(b)
		}
		return gathered[i].ID < gathered[j].ID
	})
	for _, raw := range gathered {
		if err := r.take(ctx, raw, since, until); err != nil {
			return err
		}
	}
	return nil
}

// tooMany is the error of a window that no split gets under the offset
// cap: one day of one service (or of a block without more services to
// split by).
func (r *reader) tooMany(since, until time.Time, why string, services []string) error {
	scope := "the block"
	if len(services) == 1 {
		scope = "service " + services[0]
	}
	return fmt.Errorf("pagerduty: GET /incidents: block %s: %s of %s between %s and %s, more than offset pagination reaches (%d); PagerDuty honours since and until only to the day, so no time split can help: narrow the block's filters (urgency, teams)",
		r.block, why, scope, since.Format(time.RFC3339), until.Format(time.RFC3339), r.s.maxOffset)
}

// allServices lists the ids of every service of the account (GET
// /services), for a day that must be read service by service.
func (r *reader) allServices(ctx context.Context) ([]string, error) {
	var ids []string
	for offset := 0; ; {
		endpoint := fmt.Sprintf("GET /services (offset %d)", offset)
		r.st.Requests++
		page, err := r.s.client.ListServicesWithContext(ctx, pd.ListServiceOptions{Limit: pageLimit, Offset: uint(offset)})
		if err != nil {
			return nil, callError(ctx, endpoint, err)
		}
		for _, svc := range page.Services {
			ids = append(ids, svc.ID)
		}
		if !page.More || len(page.Services) == 0 {
			return ids, nil
		}
		offset += len(page.Services)
	}
}

// floorDay returns the UTC midnight at or before t.
func floorDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// ceilDay returns the UTC midnight at or after t.
func ceilDay(t time.Time) time.Time {
	if f := floorDay(t); !f.Equal(t) {
		return f.Add(day)
	}
	return t
}

// take delivers one listed incident if it belongs to the window and the
// block and was not delivered before.
func (r *reader) take(ctx context.Context, raw pd.Incident, since, until time.Time) error {
	in, err := toIncident(r.block, raw)
	if err != nil {
		return fmt.Errorf("pagerduty: GET /incidents: %w", err)
	}
	// PagerDuty's window is [since, until) too; checking it here keeps
	// adjacent windows disjoint whatever the API does at the edges.
	if in.CreatedAt.Before(since) || !in.CreatedAt.Before(until) || r.seen[in.ID] {
		return nil
	}
	r.seen[in.ID] = true
	if r.funnel != nil {
		r.funnel.Listed()
	}
	if name := r.filter.reject(raw); name != "" {
		if r.funnel != nil {
			r.funnel.Removed(name)
		}
		return nil
	}
	return r.out.add(ctx, in)
}

// Refresh re-reads incidents by id (those still open at the last sync),
// calling sink with those the block still matches, in batches of at most
// 1000. Ids PagerDuty no longer knows (404: deleted upstream) go to
// Stats.Missing and are not an error: their facts stay in doraflow. An
// incident that no longer matches the block is left out. It costs one
// GET /incidents/{id} per distinct id.
func (s *Source) Refresh(ctx context.Context, block doraflow.Block, ids []string, sink func(context.Context, []Incident) error) (Stats, error) {
	began := s.now()
	var st Stats
	if err := checkBlock(block); err != nil {
		return st, err
	}
	f := newFilter(block.Filters)
	out := &batcher{sink: sink}
	err := s.refresh(ctx, block.Name, f, ids, out, &st)
	if err == nil {
		err = out.flush(ctx)
	}
	st.Incidents = out.delivered
	if err != nil {
		return st, err
	}
	s.log.Info().Str("source", string(doraflow.SourcePagerDuty)).Str("block", block.Name).
		Int("ids", len(ids)).Int("requests", st.Requests).Int("incidents", st.Incidents).Int("missing", len(st.Missing)).
		Dur("took", s.now().Sub(began).Round(time.Millisecond)).Msg("refreshed incidents")
	return st, nil
}

func (s *Source) refresh(ctx context.Context, block string, f filter, ids []string, out *batcher, st *Stats) error {
	asked := map[string]bool{}
	for _, id := range ids {
		// An empty id would turn GET /incidents/{id} into the list
		// endpoint; no incident has one.
		if id == "" || asked[id] {
			continue
		}
		asked[id] = true
		endpoint := "GET /incidents/" + id
		if err := ctx.Err(); err != nil {
			return callError(ctx, endpoint, err)
		}
		st.Requests++
		raw, err := s.client.GetIncidentWithContext(ctx, url.PathEscape(id))
		switch {
		case err != nil && ctx.Err() == nil && httpStatus(err) == http.StatusNotFound:
			st.Missing = append(st.Missing, id)
			continue
		case err != nil:
			return callError(ctx, endpoint, err)
		}
		if !f.match(*raw) {
			continue
		}
		in, err := toIncident(block, *raw)
		if err != nil {
			return fmt.Errorf("pagerduty: %s: %w", endpoint, err)
		}
		if err := out.add(ctx, in); err != nil {
			return err
		}
	}
	return nil
}
