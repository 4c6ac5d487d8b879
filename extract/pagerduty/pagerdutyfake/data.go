package pagerdutyfake

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Incident statuses, as PagerDuty spells them.
const (
	StatusTriggered    = "triggered"
	StatusAcknowledged = "acknowledged"
	StatusResolved     = "resolved"
)

// Incident urgencies, as PagerDuty spells them.
const (
	UrgencyHigh = "high"
	UrgencyLow  = "low"
)

// Team is a PagerDuty team.
type Team struct {
	ID          string // e.g. "PTPLA01"
	Name        string // e.g. "platform"
	Description string // free text
}

// Service is a PagerDuty (technical) service.
type Service struct {
	ID          string    // e.g. "PAPI001"
	Name        string    // e.g. "api"; the extractor's fallback service name
	Description string    // free text
	TeamIDs     []string  // teams that own the service; may be empty
	CreatedAt   time.Time // zero renders as 2019-01-01T00:00:00Z
}

// Priority is one of the account's incident priorities (P1 … P5 by default).
type Priority struct {
	ID          string // e.g. "PPRIO01"
	Name        string // "P1" … "P5"
	Description string // free text
	Color       string // hex without '#', e.g. "a8171c"
	Order       int    // position in the account's list; lower sorts first
}

// User is a PagerDuty user; incidents are assigned to users.
type User struct {
	ID    string // e.g. "PU00001"
	Name  string // display name, the summary of user references
	Email string // e.g. "ada.lovelace@example.com"
}

// Incident is one PagerDuty incident as the fake stores it. The JSON the
// server renders is derived from these fields (see README.md for the exact
// document).
type Incident struct {
	ID             string    // e.g. "Q1AB2CD3EF4GH5"; generated when empty
	Number         int       // incident_number; unique, generated when 0
	Title          string    // defaults to "Incident #<Number>"
	Status         string    // triggered, acknowledged or resolved; derived from ResolvedAt when empty
	Urgency        string    // high or low; defaults to high
	CreatedAt      time.Time // required; stored to the second, like PagerDuty
	AcknowledgedAt time.Time // set for acknowledged incidents (defaults to CreatedAt)
	ResolvedAt     time.Time // zero while the incident is open
	ServiceID      string    // required; must name a known service
	TeamIDs        []string  // nil means the service's teams at the time of adding
	PriorityID     string    // "" means no priority (priority: null)
	AssigneeIDs    []string  // users assigned while the incident is open
	IncidentKey    string    // de-duplication key; generated when empty
	// MergedInto is the id of the incident this one was merged into ("" for
	// none). PagerDuty resolves a merged incident at the merge, with
	// resolve_reason {type: merge_resolve_reason, incident: <the target>},
	// and keeps it in GET /incidents and GET /incidents/{id}
	// (https://developer.pagerduty.com/api-reference/ "Merge incidents",
	// PUT /incidents/{id}/merge). Set by Merge; AddIncident accepts it on a
	// resolved incident whose target was added before.
	MergedInto string
}

// Open reports whether the incident is not resolved.
func (in Incident) Open() bool { return in.Status != StatusResolved }

// LastStatusChangeAt is the time of the incident's latest status change:
// resolution, acknowledgement or creation, whichever applies.
func (in Incident) LastStatusChangeAt() time.Time {
	switch in.Status {
	case StatusResolved:
		return in.ResolvedAt
	case StatusAcknowledged:
		return in.AcknowledgedAt
	default:
		return in.CreatedAt
	}
}

// clone returns a copy that shares no slices with in.
func (in Incident) clone() Incident {
	in.TeamIDs = slices.Clone(in.TeamIDs)
	in.AssigneeIDs = slices.Clone(in.AssigneeIDs)
	return in
}

// Storm describes the burst of incidents Generate packed into one window
// (Size.Storm), so tests can aim a query at it.
type Storm struct {
	ServiceID string    // the service the storm hit
	Since     time.Time // first instant of the window
	Until     time.Time // end of the window (exclusive)
	Count     int       // incidents of the storm itself (background incidents come on top)
}

// Errors returned by Data's mutators; match them with errors.Is.
var (
	// ErrNotFound means no incident, service, team, priority or user has the id.
	ErrNotFound = errors.New("pagerdutyfake: not found")
	// ErrDuplicate means an object with the same id (or incident number) exists.
	ErrDuplicate = errors.New("pagerdutyfake: duplicate")
	// ErrInvalid means the object or the change is not one PagerDuty could hold.
	ErrInvalid = errors.New("pagerdutyfake: invalid")
)

// Data is the content of one fake PagerDuty account. It is safe for
// concurrent use: a server may serve it while a test changes it. Use New or
// Generate to make one; the zero value is not usable.
type Data struct {
	mu sync.RWMutex

	teams      map[string]*Team
	services   map[string]*Service
	priorities map[string]*Priority
	users      map[string]*User

	incidents map[string]*Incident // live incidents by id
	numbers   map[int]bool         // incident numbers in use, deleted ones included
	deleted   map[string]bool      // ids removed by Delete
	maxNumber int

	// all holds the live incidents sorted by (CreatedAt, Number); byService
	// and byTeam hold the same pointers, split and sorted the same way, so a
	// filtered page is a binary search plus a walk over what it returns.
	all       []*Incident
	byService map[string][]*Incident
	byTeam    map[string][]*Incident

	storm *Storm
}

// New returns an empty account, to be filled with the Add methods.
func New() *Data {
	return &Data{
		teams:      map[string]*Team{},
		services:   map[string]*Service{},
		priorities: map[string]*Priority{},
		users:      map[string]*User{},
		incidents:  map[string]*Incident{},
		numbers:    map[int]bool{},
		deleted:    map[string]bool{},
		byService:  map[string][]*Incident{},
		byTeam:     map[string][]*Incident{},
	}
}

// AddTeam adds a team. The id and name are required.
func (d *Data) AddTeam(t Team) error {
	return add(d, d.teams, "team", t.ID, t.Name, &t, nil)
}

// AddService adds a service. The id and name are required and every team
// it names must have been added before.
func (d *Data) AddService(s Service) error {
	s.TeamIDs = slices.Clone(s.TeamIDs)
	return add(d, d.services, "service", s.ID, s.Name, &s, func() error {
		for _, id := range s.TeamIDs {
			if _, ok := d.teams[id]; !ok {
				return fmt.Errorf("%w: service %s names team %s, which was not added", ErrNotFound, s.ID, id)
			}
		}
		return nil
	})
}

// AddPriority adds a priority. The id and name are required.
func (d *Data) AddPriority(p Priority) error {
	return add(d, d.priorities, "priority", p.ID, p.Name, &p, nil)
}

// AddUser adds a user. The id and name are required.
func (d *Data) AddUser(u User) error {
	return add(d, d.users, "user", u.ID, u.Name, &u, nil)
}

// add stores x under id in m, one of d's maps, after the checks every
// added object shares: an id and a name, and no other object of its kind
// with that id. check, when not nil, vets x's references to other objects;
// it runs under d.mu, as they may be added concurrently.
func add[T any](d *Data, m map[string]*T, kind, id, name string, x *T, check func() error) error {
	if id == "" || name == "" {
		return fmt.Errorf("%w: %s needs an id and a name (got id=%q name=%q)", ErrInvalid, kind, id, name)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := m[id]; ok {
		return fmt.Errorf("%w: %s %s", ErrDuplicate, kind, id)
	}
	if check != nil {
		if err := check(); err != nil {
			return err
		}
	}
	m[id] = x
	return nil
}

// AddIncident adds an incident and returns it as stored, with its defaults
// filled in (id, number, status, urgency, teams, incident key, title).
// CreatedAt and ServiceID are required; times are truncated to the second.
// Adding while a server serves the data is fine: the incident shows up in
// the next response.
func (d *Data) AddIncident(in Incident) (Incident, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.normalize(&in); err != nil {
		return Incident{}, err
	}
	p := new(Incident)
	*p = in.clone()
	d.insert(p)
	return p.clone(), nil
}

// normalize validates in against the account and fills its defaults. The
// caller holds d.mu for writing.
func (d *Data) normalize(in *Incident) error {
	if in.CreatedAt.IsZero() {
		return fmt.Errorf("%w: incident %q has no created_at", ErrInvalid, in.ID)
	}
	svc, ok := d.services[in.ServiceID]
	if !ok {
		return fmt.Errorf("%w: incident %q names service %q, which was not added", ErrNotFound, in.ID, in.ServiceID)
	}
	in.CreatedAt = in.CreatedAt.UTC().Truncate(time.Second)
	if !in.ResolvedAt.IsZero() {
		in.ResolvedAt = in.ResolvedAt.UTC().Truncate(time.Second)
		if in.ResolvedAt.Before(in.CreatedAt) {
			return fmt.Errorf("%w: incident %q resolved_at %s is before created_at %s", ErrInvalid, in.ID, in.ResolvedAt.Format(time.RFC3339), in.CreatedAt.Format(time.RFC3339))
		}
	}
	switch in.Status {
	case "":
		if in.ResolvedAt.IsZero() {
			in.Status = StatusTriggered
		} else {
			in.Status = StatusResolved
		}
	case StatusResolved:
		if in.ResolvedAt.IsZero() {
			return fmt.Errorf("%w: incident %q is resolved but has no resolved_at", ErrInvalid, in.ID)
		}
	case StatusTriggered, StatusAcknowledged:
		if !in.ResolvedAt.IsZero() {
			return fmt.Errorf("%w: incident %q is %s but has a resolved_at", ErrInvalid, in.ID, in.Status)
		}
	default:
		return fmt.Errorf("%w: incident %q has status %q (want triggered, acknowledged or resolved)", ErrInvalid, in.ID, in.Status)
	}
	if in.Status == StatusAcknowledged && in.AcknowledgedAt.IsZero() {
		in.AcknowledgedAt = in.CreatedAt
	}
	if !in.AcknowledgedAt.IsZero() {
		in.AcknowledgedAt = in.AcknowledgedAt.UTC().Truncate(time.Second)
	}
	switch in.Urgency {
	case "":
		in.Urgency = UrgencyHigh
	case UrgencyHigh, UrgencyLow:
	default:
		return fmt.Errorf("%w: incident %q has urgency %q (want high or low)", ErrInvalid, in.ID, in.Urgency)
	}
	if in.PriorityID != "" {
		if _, ok := d.priorities[in.PriorityID]; !ok {
			return fmt.Errorf("%w: incident %q names priority %q, which was not added", ErrNotFound, in.ID, in.PriorityID)
		}
	}
	if in.TeamIDs == nil {
		in.TeamIDs = slices.Clone(svc.TeamIDs)
	}
	for _, id := range in.TeamIDs {
		if _, ok := d.teams[id]; !ok {
			return fmt.Errorf("%w: incident %q names team %q, which was not added", ErrNotFound, in.ID, id)
		}
	}
	for _, id := range in.AssigneeIDs {
		if _, ok := d.users[id]; !ok {
			return fmt.Errorf("%w: incident %q names assignee %q, which was not added", ErrNotFound, in.ID, id)
		}
	}
	if in.MergedInto != "" {
		if in.Status != StatusResolved {
			return fmt.Errorf("%w: incident %q is merged into %s but %s: a merge resolves it (give its resolved_at)", ErrInvalid, in.ID, in.MergedInto, in.Status)
		}
		if _, err := d.mergeTarget(in.MergedInto); err != nil {
			return err
		}
	}
	if in.Number == 0 {
		in.Number = d.maxNumber + 1
	}
	if in.Number < 0 {
		return fmt.Errorf("%w: incident %q has number %d", ErrInvalid, in.ID, in.Number)
	}
	if d.numbers[in.Number] {
		return fmt.Errorf("%w: incident number %d", ErrDuplicate, in.Number)
	}
	if in.ID == "" {
		in.ID = incidentID(0, in.Number)
	}
	if _, ok := d.incidents[in.ID]; ok || d.deleted[in.ID] {
		return fmt.Errorf("%w: incident %s", ErrDuplicate, in.ID)
	}
	if in.Title == "" {
		in.Title = fmt.Sprintf("Incident #%d", in.Number)
	}
	if in.IncidentKey == "" {
		in.IncidentKey = incidentKey(0, in.Number)
	}
	return nil
}

// insert puts a normalized incident into the maps and the sorted indexes.
// The caller holds d.mu for writing.
func (d *Data) insert(p *Incident) {
	d.incidents[p.ID] = p
	d.numbers[p.Number] = true
	d.maxNumber = max(d.maxNumber, p.Number)
	d.all = insertSorted(d.all, p)
	d.byService[p.ServiceID] = insertSorted(d.byService[p.ServiceID], p)
	for _, t := range uniq(p.TeamIDs) {
		d.byTeam[t] = insertSorted(d.byTeam[t], p)
	}
}

// Resolve resolves an open incident at the given time, as a responder or an
// integration would between two syncs. It fails for an unknown or deleted
// incident, one already resolved (PagerDuty error 1001), or a time before
// the incident's creation.
func (d *Data) Resolve(id string, at time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	p, err := d.live(id)
	if err != nil {
		return err
	}
	if p.Status == StatusResolved {
		return fmt.Errorf("%w: incident %s is already resolved", ErrInvalid, id)
	}
	at = at.UTC().Truncate(time.Second)
	if at.Before(p.CreatedAt) {
		return fmt.Errorf("%w: incident %s cannot be resolved at %s, before it was created at %s", ErrInvalid, id, at.Format(time.RFC3339), p.CreatedAt.Format(time.RFC3339))
	}
	p.Status = StatusResolved
	p.ResolvedAt = at
	return nil
}

// Merge merges the source incidents into the target at the given time,
// as PUT /incidents/{target}/merge does at PagerDuty: each source is
// resolved at that time with resolve_reason merge_resolve_reason naming
// the target, and stays listed; the target stays as it is. It fails for
// an unknown or deleted incident, a target that is resolved or merged
// itself, a source that is resolved already or is the target, or a time
// before a source's creation; on failure nothing changes.
func (d *Data) Merge(target string, sources []string, at time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	t, err := d.mergeTarget(target)
	if err != nil {
		return err
	}
	if t.Status == StatusResolved {
		return fmt.Errorf("%w: incident %s is resolved: nothing can be merged into it", ErrInvalid, target)
	}
	at = at.UTC().Truncate(time.Second)
	ps := make([]*Incident, len(sources))
	for i, id := range sources {
		p, err := d.live(id)
		if err != nil {
			return err
		}
		switch {
		case id == target:
			return fmt.Errorf("%w: incident %s cannot be merged into itself", ErrInvalid, id)
		case p.Status == StatusResolved:
			return fmt.Errorf("%w: incident %s is already resolved", ErrInvalid, id)
		case at.Before(p.CreatedAt):
			return fmt.Errorf("%w: incident %s cannot be merged at %s, before it was created at %s", ErrInvalid, id, at.Format(time.RFC3339), p.CreatedAt.Format(time.RFC3339))
		}
		ps[i] = p
	}
	for _, p := range ps {
		p.Status, p.ResolvedAt, p.MergedInto = StatusResolved, at, target
	}
	return nil
}

// mergeTarget returns the live incident id names, if incidents can be
// merged into it: one not merged into another itself. The caller holds
// d.mu.
func (d *Data) mergeTarget(id string) (*Incident, error) {
	t, err := d.live(id)
	if err != nil {
		return nil, fmt.Errorf("merge target: %w", err)
	}
	if t.MergedInto != "" {
		return nil, fmt.Errorf("%w: incident %s was merged into %s: merge into that one", ErrInvalid, id, t.MergedInto)
	}
	return t, nil
}

// Acknowledge acknowledges a triggered incident at the given time. It fails
// for an unknown or deleted incident, one not triggered, or a time before
// the incident's creation.
func (d *Data) Acknowledge(id string, at time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	p, err := d.live(id)
	if err != nil {
		return err
	}
	if p.Status != StatusTriggered {
		return fmt.Errorf("%w: incident %s is %s, not triggered", ErrInvalid, id, p.Status)
	}
	at = at.UTC().Truncate(time.Second)
	if at.Before(p.CreatedAt) {
		return fmt.Errorf("%w: incident %s cannot be acknowledged at %s, before it was created", ErrInvalid, id, at.Format(time.RFC3339))
	}
	p.Status = StatusAcknowledged
	p.AcknowledgedAt = at
	return nil
}

// Delete removes an incident, as if it had vanished upstream (removed by
// data retention, say): it leaves every listing and GET /incidents/{id}
// answers 404. Its id and number stay taken. A merged incident is not
// deleted at PagerDuty: see Merge.
func (d *Data) Delete(id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	p, err := d.live(id)
	if err != nil {
		return err
	}
	delete(d.incidents, id)
	d.deleted[id] = true
	d.all = removeSorted(d.all, p)
	d.byService[p.ServiceID] = removeSorted(d.byService[p.ServiceID], p)
	for _, t := range uniq(p.TeamIDs) {
		d.byTeam[t] = removeSorted(d.byTeam[t], p)
	}
	return nil
}

// live returns the stored incident with the id. The caller holds d.mu.
func (d *Data) live(id string) (*Incident, error) {
	if d.deleted[id] {
		return nil, fmt.Errorf("%w: incident %s was deleted", ErrNotFound, id)
	}
	p, ok := d.incidents[id]
	if !ok {
		return nil, fmt.Errorf("%w: incident %s", ErrNotFound, id)
	}
	return p, nil
}

// Incident returns a copy of the incident with the id; ok is false when it
// does not exist or was deleted.
func (d *Data) Incident(id string) (in Incident, ok bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	p, ok := d.incidents[id]
	if !ok {
		return Incident{}, false
	}
	return p.clone(), true
}

// Incidents returns a copy of every live incident, sorted by created_at and
// then incident number (the API's default order).
func (d *Data) Incidents() []Incident {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]Incident, len(d.all))
	for i, p := range d.all {
		out[i] = p.clone()
	}
	return out
}

// Len returns the number of live incidents.
func (d *Data) Len() int {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return len(d.all)
}

// Services returns a copy of every service, sorted by name.
func (d *Data) Services() []Service {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := copies(d.sortedServices())
	for i := range out {
		out[i].TeamIDs = slices.Clone(out[i].TeamIDs)
	}
	return out
}

// Teams returns a copy of every team, sorted by name.
func (d *Data) Teams() []Team {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return copies(d.sortedTeams())
}

// Priorities returns a copy of every priority, in the account's order.
func (d *Data) Priorities() []Priority {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return copies(d.sortedPriorities())
}

// Users returns a copy of every user, sorted by id.
func (d *Data) Users() []User {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return copies(sortedValues(d.users, func(a, b *User) int { return strings.Compare(a.ID, b.ID) }))
}

// copies returns shallow copies of the objects ps points to, so callers
// cannot change the stored ones.
func copies[T any](ps []*T) []T {
	out := make([]T, len(ps))
	for i, p := range ps {
		out[i] = *p
	}
	return out
}

// Storm returns the incident storm Generate made (Size.Storm); ok is false
// when there is none.
func (d *Data) Storm() (s Storm, ok bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.storm == nil {
		return Storm{}, false
	}
	return *d.storm, true
}

// sortedServices returns the services by name, ignoring case, then id.
func (d *Data) sortedServices() []*Service {
	return sortedValues(d.services, func(a, b *Service) int { return byName(a.Name, a.ID, b.Name, b.ID) })
}

// sortedTeams returns the teams by name, ignoring case, then id.
func (d *Data) sortedTeams() []*Team {
	return sortedValues(d.teams, func(a, b *Team) int { return byName(a.Name, a.ID, b.Name, b.ID) })
}

// sortedPriorities returns the priorities in the account's order.
func (d *Data) sortedPriorities() []*Priority {
	return sortedValues(d.priorities, func(a, b *Priority) int {
		if a.Order != b.Order {
			return a.Order - b.Order
		}
		return strings.Compare(a.Name, b.Name)
	})
}

// sortedValues returns the values of m in the order cmp gives; maps have
// none, and responses must not change from one request to the next.
func sortedValues[T any](m map[string]*T, cmp func(a, b *T) int) []*T {
	out := make([]*T, 0, len(m))
	for _, x := range m {
		out = append(out, x)
	}
	slices.SortFunc(out, cmp)
	return out
}

// byName orders objects by name, ignoring case, and then by id so that
// equal names still sort the same way every time.
func byName(aName, aID, bName, bID string) int {
	if c := strings.Compare(strings.ToLower(aName), strings.ToLower(bName)); c != 0 {
		return c
	}
	return strings.Compare(aID, bID)
}

// before is the order of the incident indexes: created_at, then number.
func before(a, b *Incident) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.Before(b.CreatedAt)
	}
	return a.Number < b.Number
}

func insertSorted(s []*Incident, p *Incident) []*Incident {
	i := sort.Search(len(s), func(i int) bool { return !before(s[i], p) })
	return slices.Insert(s, i, p)
}

func removeSorted(s []*Incident, p *Incident) []*Incident {
	i := sort.Search(len(s), func(i int) bool { return !before(s[i], p) })
	for ; i < len(s) && s[i] != p; i++ {
	}
	if i < len(s) {
		return slices.Delete(s, i, i+1)
	}
	return s
}

// lowerBound returns the index of the first incident in s created at or
// after t.
func lowerBound(s []*Incident, t time.Time) int {
	return sort.Search(len(s), func(i int) bool { return !s[i].CreatedAt.Before(t) })
}

func uniq(ids []string) []string {
	if len(ids) < 2 {
		return ids
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}
