// Package doraflow holds the domain of the DORA-metrics pipeline: the
// canonical rows that every stage exchanges (deployments, the changes they
// ship, incidents) and the mapping blocks that decide what counts as one.
//
// The package imports nothing from the rest of the module, so extractors,
// the transform step, the ClickHouse loader and the config loader can all
// share these types without importing each other.
package doraflow

import (
	"cmp"
	"fmt"
	"time"
)

// Method names how a mapping block recognises a deployment or an incident.
type Method string

// Deployment methods (docs/metrics.md, "Deployment").
const (
	MethodMergedPR    Method = "merged_pr"
	MethodWorkflowRun Method = "workflow_run"
	MethodRelease     Method = "release"
	MethodDeployment  Method = "deployment"
	MethodCustom      Method = "custom"
)

// Incident methods.
const (
	MethodPagerDuty Method = "pagerduty"
)

// Source names the outside system a row came from.
type Source string

// Sources.
const (
	SourceGitHub    Source = "github"
	SourcePagerDuty Source = "pagerduty"
	SourceCustom    Source = "custom"
)

// Funnel records, while a source previews one block, how many objects it
// listed and which filter removed each one that did not match. The
// pipeline implements it; sources call it, from several goroutines at
// once.
type Funnel interface {
	// Filter declares a filter before any object is read, in the block's
	// order, so that filters that remove nothing are reported too.
	Filter(name string)
	// Listed counts an object of the block's kind in the window, before
	// the block's filters.
	Listed()
	// Removed counts an object the named filter (the first that failed)
	// left out.
	Removed(filter string)
}

// Budget is one credential's rate-limit budget at a source, as the
// source's last answer with it said.
type Budget struct {
	// Label names the credential without showing it: "token 1" (the
	// first of github.token and github.tokens), "token 2", …, or "app
	// installation 123".
	Label string
	// Resource is the budget's kind at the source: GitHub's "core" (its
	// REST API) or "graphql" (points).
	Resource string
	// Known is false until a response signed with the credential came.
	Known            bool
	Limit, Remaining int
	Reset            time.Time
}

// Status of a deployment. Only successful deployments count in the metrics;
// failed ones are kept so that a later update can flip them.
type Status string

// Deployment statuses.
const (
	StatusSuccess Status = "success"
	StatusFailure Status = "failure"
)

// EnvironmentProduction is the default environment of a block and the only
// environment incidents are attributed to.
const EnvironmentProduction = "production"

// Deployment is one release of code to an environment, as matched by a
// deployment mapping block.
type Deployment struct {
	// ID identifies the source object across syncs: for custom deployments
	// the caller's id, for GitHub "owner/repo#kind-number" (see the GitHub
	// extractor). An incident's DeploymentID refers to it.
	ID          string
	Source      Source
	Method      Method
	Block       string // name of the mapping block that matched it
	Service     string
	Team        string
	Environment string
	Repository  string // owner/name, or "" when unknown
	SHA         string
	DeployedAt  time.Time
	Status      Status
	URL         string
	Title       string
	Author      string
	// Retracted marks a custom deployment taken back (`doraflow record
	// delete`): it stays in the facts' history and counts nowhere.
	Retracted bool
}

// ChangeKind tells a merged pull request from a lone commit.
type ChangeKind string

// Change kinds.
const (
	ChangePullRequest ChangeKind = "pull_request"
	ChangeCommit      ChangeKind = "commit"
)

// Change is a unit of work a deployment ships: a merged pull request or a
// lone commit that no merged pull request contains.
type Change struct {
	// ID is "owner/repo#pr-N" for a pull request and "owner/repo@SHA" for a
	// lone commit, so the same change found through two deployments is one.
	ID         string
	Repository string
	Kind       ChangeKind
	Number     int    // pull request number, 0 for a commit
	SHA        string // merge commit of the PR, or the commit itself
	StartedAt  time.Time
	Title      string
	Labels     []string
	URL        string
	Author     string
	// OpenedAt, FirstReviewAt and MergedAt time a pull request's stages
	// (docs/metrics.md, "Stages"): when it was opened, when someone other
	// than its author first submitted a review before it was merged, and
	// when it was merged. Each is zero when unknown or absent: always for
	// a lone commit, FirstReviewAt for a pull request nobody else reviewed.
	OpenedAt      time.Time
	FirstReviewAt time.Time
	MergedAt      time.Time
}

// Ship records that a deployment ships a change. A change counts once per
// service and environment, at the first deployment that ships it there.
type Ship struct {
	DeploymentID string
	ChangeID     string
}

// Incident is a failure in production, as matched by an incident block.
type Incident struct {
	ID         string
	Source     Source
	Block      string
	Service    string
	Team       string
	CreatedAt  time.Time
	ResolvedAt time.Time // zero while the incident is open
	// DeploymentID, when set, names the deployment that caused the incident
	// and overrides attribution by time window.
	DeploymentID string
	Title        string
	URL          string
	Assignee     string
	Urgency      string
	Priority     string
	// MergedInto, when set, is the id of the incident this one was merged
	// into (PagerDuty: resolved with resolve_reason merge_resolve_reason).
	// Such an incident is part of that one, not an incident of its own: it
	// counts nowhere (docs/metrics.md), though its facts are kept.
	MergedInto string
	// Retracted marks a custom incident taken back: it stays in the
	// facts' history and counts nowhere.
	Retracted bool
	// SourceService and SourceServiceName name the service the incident
	// belongs to at its source (PagerDuty: the service id, e.g. PAPI001,
	// and its name). The pipeline maps them to a doraflow service through
	// the config's services, and stores them so that a change of that
	// mapping retags the incident without reading it again. Both are ""
	// for custom incidents and for incidents stored before doraflow kept
	// them.
	SourceService, SourceServiceName string
}

// Resolved reports whether the incident has been resolved.
func (i Incident) Resolved() bool { return !i.ResolvedAt.IsZero() }

// EventKind names what a metric event counts.
type EventKind string

// Event kinds: one per building block of docs/metrics.md.
const (
	// EventDeployment is a successful deployment, on its deployed_at.
	EventDeployment EventKind = "deployment"
	// EventChange is a change at its first deployment in a service and
	// environment; Value is its lead time in seconds.
	EventChange EventKind = "change"
	// EventIncident is an incident, on its created_at.
	EventIncident EventKind = "incident"
	// EventRestore is a resolved incident, on its resolved_at; Value is the
	// time to restore in seconds.
	EventRestore EventKind = "restore"
	// EventCoding, EventPickup, EventReview and EventDeploy are the stages
	// of a change's lead time (docs/metrics.md, "Stages"), each beside
	// the change's EventChange (same entity, time and deployment) when
	// the change has that stage; Value is the stage in seconds.
	EventCoding EventKind = "stage_coding"
	EventPickup EventKind = "stage_pickup"
	EventReview EventKind = "stage_review"
	EventDeploy EventKind = "stage_deploy"
)

// StageKinds lists the stage events in the order of a change's life.
func StageKinds() []EventKind {
	return []EventKind{EventCoding, EventPickup, EventReview, EventDeploy}
}

// Event is what one fact contributes to the metrics, derived from the facts
// by the transform step. (Service, Kind, EntityID, Environment) identify it.
type Event struct {
	Service     string
	Kind        EventKind
	EntityID    string // deployment, change or incident id
	Environment string
	Team        string
	Repository  string
	At          time.Time
	// Day is the calendar day of At in the config time zone, as midnight UTC
	// of that date (the form ClickHouse's Date takes).
	Day    time.Time
	Value  int64 // lead time, stage or time to restore, seconds; 0 otherwise
	Failed bool  // deployment events: caused at least one incident
	Rework bool  // deployment events: ships a rework pull request
	// DeploymentID explains the event: for a change its first deployment,
	// for an incident the deployment it is attributed to.
	DeploymentID string
	// Reason explains an attribution ("explicit" or "window").
	Reason string
}

// Key identifies an event across recomputations.
type EventKey struct {
	Service, EntityID, Environment string
	Kind                           EventKind
}

// Key returns the event's identity.
func (e Event) Key() EventKey {
	return EventKey{Service: e.Service, Kind: e.Kind, EntityID: e.EntityID, Environment: e.Environment}
}

// EventUpdate replaces an event's previous state with a new one. Either
// side may be absent (a new event, or one that no longer counts).
type EventUpdate struct {
	Key        EventKey
	New        Event
	NewActive  bool
	Prev       Event
	PrevActive bool
}

// FactSet is a slice of the current facts, as the transform step needs
// them to compute metric events.
type FactSet struct {
	Deployments []Deployment
	Ships       map[string][]string // deployment id -> ids of the changes it ships
	// Commits names, for a deployment whose changes came from comparing
	// its sha with the previous deployment's, the commits that made each
	// change it ships, oldest first: deployment id -> change id -> SHAs.
	// Only GitHub fills it; explain shows it.
	Commits   map[string]map[string][]string
	Changes   []Change
	Incidents []Incident
}

// Date is a calendar day, without a time zone: which instants it spans
// depends on the location it is read in (see [Date.Start]). Metric cells
// are per calendar day in the config time zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the calendar day of t in loc.
func DateOf(t time.Time, loc *time.Location) Date {
	y, m, d := t.In(loc).Date()
	return Date{y, m, d}
}

// Start returns the first instant of d in loc: its local midnight, or the
// instant the clocks jump to when a change skips midnight (as in São Paulo
// until 2018, where 00:00 became 01:00).
func (d Date) Start(loc *time.Location) time.Time {
	t := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
	if DateOf(t, loc).Before(d) {
		// time.Date may read a midnight that does not exist with the
		// offset after the jump, which lands before it, on the day before;
		// the day starts where that offset ends.
		_, t = t.ZoneBounds()
	}
	return t
}

// AddDays returns the day n days after d (before it when n is negative).
func (d Date) AddDays(n int) Date {
	// Noon UTC: calendar arithmetic without any clock change in the way.
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, time.UTC), time.UTC)
}

// Before reports whether d is an earlier day than e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	return cmp.Or(cmp.Compare(d.Year, e.Year), cmp.Compare(d.Month, e.Month), cmp.Compare(d.Day, e.Day))
}

// Monday returns the Monday of d's week: weeks start on Monday.
func (d Date) Monday() Date {
	wd := time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Weekday()
	// Weekday counts from Sunday = 0; shift so Monday = 0 and Sunday = 6.
	return d.AddDays(-((int(wd) + 6) % 7))
}

// MonthStart returns the first day of d's month.
func (d Date) MonthStart() Date { return Date{d.Year, d.Month, 1} }

// String formats d as YYYY-MM-DD.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// Multiset maps a value (seconds) to how many times it occurs: the lead
// times or times to restore of a [Cell], kept whole so that percentiles
// stay exact.
//
// Counts may be zero or negative in a cell: the rollup records a retraction
// as -1 on the value it retracts, and merges are eventual. Only after all
// cells of a row are merged are entries whose count is not positive
// ignored, so a retraction cancels its original wherever the two land.
type Multiset map[int64]int64

// Count returns the number of occurrences, ignoring entries whose count is
// not positive.
func (m Multiset) Count() int64 {
	var n int64
	for _, c := range m {
		if c > 0 {
			n += c
		}
	}
	return n
}

// Cell holds the metric building blocks for one calendar day (in the
// config time zone) and one combination of keys: what the store reads
// back and the metrics package aggregates into the rows of docs/metrics.md.
//
// The store yields either one cell per (day, keys) from the daily rollup,
// or one cell per metric event; both aggregate identically because every
// field is a sum or a multiset.
type Cell struct {
	Day         Date // calendar day in the config time zone
	Service     string
	Team        string
	Environment string
	// Repository is "" when there is none: incidents, and custom
	// deployments recorded without one.
	Repository string

	Deployments       int64
	FailedDeployments int64
	ReworkDeployments int64
	// LeadTimes maps a lead time in seconds to the number of changes with
	// it; the number of changes is LeadTimes.Count().
	LeadTimes Multiset
	// Incidents counts the incidents created on Day.
	Incidents int64
	// Restores maps a time to restore in seconds to the number of
	// incidents resolved on Day with it.
	Restores Multiset
	// CodingTimes, PickupTimes, ReviewTimes and DeployTimes are the
	// stages of the changes of LeadTimes that have them, as multisets
	// like LeadTimes.
	CodingTimes, PickupTimes, ReviewTimes, DeployTimes Multiset
}

// Stage returns a pointer to the multiset of c that holds stage k, nil
// when k is not a stage.
func (c *Cell) Stage(k EventKind) *Multiset {
	switch k {
	case EventCoding:
		return &c.CodingTimes
	case EventPickup:
		return &c.PickupTimes
	case EventReview:
		return &c.ReviewTimes
	case EventDeploy:
		return &c.DeployTimes
	}
	return nil
}

// CellFilter narrows the metric cells a read yields: when not "", to one
// service, one team, or both.
type CellFilter struct {
	Service, Team string
}
