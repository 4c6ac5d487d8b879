// Package doraflow holds the domain of the DORA-metrics pipeline: the
// canonical rows that every stage exchanges (deployments, the changes they
// ship, incidents) and the mapping blocks that decide what counts as one.
//
// The package imports nothing from the rest of the module, so extractors,
// the transform step, the ClickHouse loader and the config loader can all
// share these types without importing each other.
package doraflow

import "time"

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

// DeploymentMethods lists the valid methods of a deployment block, in the
// order the docs present them.
var DeploymentMethods = []Method{MethodMergedPR, MethodWorkflowRun, MethodRelease, MethodDeployment, MethodCustom}

// IncidentMethods lists the valid methods of an incident block.
var IncidentMethods = []Method{MethodPagerDuty, MethodCustom}

// Source names the outside system a row came from.
type Source string

// Sources.
const (
	SourceGitHub    Source = "github"
	SourcePagerDuty Source = "pagerduty"
	SourceCustom    Source = "custom"
)

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
)

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
	Value  int64 // lead time or time to restore, seconds; 0 otherwise
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
