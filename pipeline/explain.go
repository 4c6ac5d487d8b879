package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"doraflow"
	"doraflow/load/clickhouse"
	"doraflow/metrics"
	"doraflow/transform"
)

// What explain can list: the objects behind a group of numbers of metrics.
const (
	ExplainDeployments = "deployments" // deployments, deployment_days, deployments_per_day
	ExplainChanges     = "changes"     // changes and lead times
	ExplainFailures    = "failures"    // failed_deployments, change_failure_rate
	ExplainIncidents   = "incidents"   // incidents, restored_incidents, time to restore
	ExplainRework      = "rework"      // rework_deployments, rework_rate
)

// ExplainKinds lists the valid subjects of explain.
var ExplainKinds = []string{ExplainDeployments, ExplainChanges, ExplainFailures, ExplainIncidents, ExplainRework}

// ExplainQuery says what to list, for the same window and filters as a
// metrics query.
type ExplainQuery struct {
	What                       string
	From, To                   time.Time
	Service, Team, Environment string
}

// Item is one object behind a number of the metrics, with what a person
// needs to recognise it. Its JSON, that of `explain --format json`, is
// written by MarshalJSON.
type Item struct {
	Kind        string // deployment, change or incident
	ID          string
	Service     string
	Team        string
	Environment string
	Repository  string
	At          time.Time // deployed_at; a change's first deployment; an incident's created_at
	Title       string
	URL         string
	Author      string
	Block       string // deployments: the block that matched it
	Method      string // deployments
	SHA         string
	// DeploymentID is, for a change, the first deployment that shipped it
	// here; for an incident, the deployment it is attributed to.
	DeploymentID string
	// Reason says why an incident is attributed: "explicit" (it names the
	// deployment) or "window" (latest production deployment of its service
	// within attribution.window).
	Reason     string
	StartedAt  *time.Time // changes
	LeadTime   *int64     // changes, in seconds
	ChangeKind string     // pull_request or commit
	// Stages are, for a change, the stages of its lead time as the
	// stage medians of metrics count them (read from the same stage
	// events); a stage the change does not have is null. Nil, and left
	// out of the JSON, for the other kinds.
	*transform.Stages
	// Commits lists, for a change whose first deployment was found by
	// comparing commits, the commits of that comparison that made it,
	// oldest first.
	Commits    []string
	ResolvedAt *time.Time // incidents
	// Created and Restored say which of the incident numbers the item
	// counts in: incidents (created in the window), restored_incidents
	// (resolved in the window).
	Created       bool
	Restored      bool
	TimeToRestore *int64 // incidents, in seconds
	// Because lists, for a failed deployment, the incidents attributed to
	// it (id and reason), and for a rework deployment the pull requests
	// that make it rework.
	Because []string
}

// itemJSON is an Item as `explain --format json` and
// GET /api/v1/explain/{kind} print it; field order is output order. Its
// durations are metrics.JSONSeconds, so that they follow the one rule of
// every number doraflow prints (docs/metrics.md, "Numbers in JSON and
// CSV"): whole seconds read 3600.0, as in metrics.
type itemJSON struct {
	Kind          string               `json:"kind"`
	ID            string               `json:"id"`
	Service       string               `json:"service"`
	Team          string               `json:"team"`
	Environment   string               `json:"environment"`
	Repository    string               `json:"repository,omitempty"`
	At            time.Time            `json:"at"`
	Title         string               `json:"title,omitempty"`
	URL           string               `json:"url,omitempty"`
	Author        string               `json:"author,omitempty"`
	Block         string               `json:"block,omitempty"`
	Method        string               `json:"method,omitempty"`
	SHA           string               `json:"sha,omitempty"`
	DeploymentID  string               `json:"deployment_id,omitempty"`
	Reason        string               `json:"reason,omitempty"`
	StartedAt     *time.Time           `json:"started_at,omitempty"`
	LeadTime      *metrics.JSONSeconds `json:"lead_time_seconds,omitempty"`
	ChangeKind    string               `json:"change_kind,omitempty"`
	*stagesJSON                        // left out when nil, null per stage otherwise
	Commits       []string             `json:"commits,omitempty"`
	ResolvedAt    *time.Time           `json:"resolved_at,omitempty"`
	Created       bool                 `json:"created_in_window,omitempty"`
	Restored      bool                 `json:"restored_in_window,omitempty"`
	TimeToRestore *metrics.JSONSeconds `json:"time_to_restore_seconds,omitempty"`
	Because       []string             `json:"because,omitempty"`
}

// stagesJSON are a change's transform.Stages as explain prints them.
type stagesJSON struct {
	Coding *metrics.JSONSeconds `json:"coding_seconds"`
	Pickup *metrics.JSONSeconds `json:"pickup_seconds"`
	Review *metrics.JSONSeconds `json:"review_seconds"`
	Deploy *metrics.JSONSeconds `json:"deploy_seconds"`
}

// MarshalJSON implements json.Marshaler: it writes it as itemJSON.
func (it Item) MarshalJSON() ([]byte, error) {
	j := itemJSON{
		Kind: it.Kind, ID: it.ID, Service: it.Service, Team: it.Team, Environment: it.Environment, Repository: it.Repository,
		At: it.At, Title: it.Title, URL: it.URL, Author: it.Author, Block: it.Block, Method: it.Method, SHA: it.SHA,
		DeploymentID: it.DeploymentID, Reason: it.Reason, StartedAt: it.StartedAt, LeadTime: jsonSeconds(it.LeadTime),
		ChangeKind: it.ChangeKind, Commits: it.Commits, ResolvedAt: it.ResolvedAt, Created: it.Created, Restored: it.Restored,
		TimeToRestore: jsonSeconds(it.TimeToRestore), Because: it.Because,
	}
	if it.Stages != nil {
		j.stagesJSON = &stagesJSON{Coding: jsonSeconds(it.Coding), Pickup: jsonSeconds(it.Pickup), Review: jsonSeconds(it.Review), Deploy: jsonSeconds(it.Deploy)}
	}
	return json.Marshal(j)
}

// jsonSeconds returns v as a number of seconds to print, nil for nil.
func jsonSeconds(v *int64) *metrics.JSONSeconds {
	if v == nil {
		return nil
	}
	s := metrics.JSONSeconds(*v)
	return &s
}

// Explain lists the objects behind the numbers that metrics prints for
// the same window and filters: they add up to them exactly, since both
// read the same metric events.
func (p *Pipeline) Explain(ctx context.Context, q ExplainQuery) ([]Item, error) {
	kinds := map[string][]doraflow.EventKind{
		ExplainDeployments: {doraflow.EventDeployment},
		ExplainFailures:    {doraflow.EventDeployment},
		ExplainRework:      {doraflow.EventDeployment},
		ExplainChanges:     append([]doraflow.EventKind{doraflow.EventChange}, doraflow.StageKinds()...),
		ExplainIncidents:   {doraflow.EventIncident, doraflow.EventRestore},
	}[q.What]
	if kinds == nil {
		return nil, fmt.Errorf("explain: unknown subject %q: use one of %s", q.What, strings.Join(ExplainKinds, ", "))
	}
	events, err := p.store.Events(ctx, clickhouse.EventFilter{Kinds: kinds, From: q.From, To: q.To, Service: q.Service, Team: q.Team, Environment: q.Environment})
	if err != nil {
		return nil, fmt.Errorf("explain: %w", err)
	}
	switch q.What {
	case ExplainFailures:
		events = keep(events, func(e doraflow.Event) bool { return e.Failed })
	case ExplainRework:
		events = keep(events, func(e doraflow.Event) bool { return e.Rework })
	}
	var items []Item
	switch q.What {
	case ExplainChanges:
		items, err = p.explainChanges(ctx, events)
	case ExplainIncidents:
		items, err = p.explainIncidents(ctx, events)
	default:
		items, err = p.explainDeployments(ctx, q.What, events)
	}
	if err != nil {
		return nil, fmt.Errorf("explain: %w", err)
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].At.Before(items[j].At) })
	return items, nil
}

func (p *Pipeline) explainDeployments(ctx context.Context, what string, events []doraflow.Event) ([]Item, error) {
	ids := entityIDs(events)
	facts, err := p.store.FactsByID(ctx, ids, nil, nil)
	if err != nil {
		return nil, err
	}
	deps := map[string]doraflow.Deployment{}
	for _, d := range facts.Deployments {
		deps[d.ID] = d
	}
	because := map[string][]string{}
	switch what {
	case ExplainFailures:
		causes, err := p.store.IncidentsAttributedTo(ctx, ids)
		if err != nil {
			return nil, err
		}
		for _, c := range causes {
			because[c.DeploymentID] = append(because[c.DeploymentID], c.EntityID+" ("+c.Reason+")")
		}
	case ExplainRework:
		var shipped []string
		for _, id := range ids {
			shipped = append(shipped, facts.Ships[id]...)
		}
		changes, err := p.store.FactsByID(ctx, nil, shipped, nil)
		if err != nil {
			return nil, err
		}
		rework := map[string]bool{}
		for _, c := range changes.Changes {
			rework[c.ID] = transform.IsRework(c, p.cfg.Rework.Labels)
		}
		for _, id := range ids {
			for _, c := range facts.Ships[id] {
				if rework[c] {
					because[id] = append(because[id], c)
				}
			}
		}
	}
	items := make([]Item, 0, len(events))
	for _, e := range events {
		d := deps[e.EntityID]
		items = append(items, Item{
			Kind: string(doraflow.EventDeployment), ID: e.EntityID, Service: e.Service, Team: e.Team, Environment: e.Environment,
			Repository: e.Repository, At: e.At, Title: d.Title, URL: d.URL, Author: d.Author, Block: d.Block, Method: string(d.Method),
			SHA: d.SHA, Because: because[e.EntityID],
		})
	}
	return items, nil
}

func (p *Pipeline) explainChanges(ctx context.Context, events []doraflow.Event) ([]Item, error) {
	// The first deployments come along for the commits their ship sets
	// name.
	var deployments []string
	seen := map[string]bool{}
	for _, e := range events {
		if !seen[e.DeploymentID] {
			seen[e.DeploymentID] = true
			deployments = append(deployments, e.DeploymentID)
		}
	}
	facts, err := p.store.FactsByID(ctx, deployments, entityIDs(events), nil)
	if err != nil {
		return nil, err
	}
	changes := map[string]doraflow.Change{}
	for _, c := range facts.Changes {
		changes[c.ID] = c
	}
	// A change's stage events share its key but for the kind.
	stages := map[doraflow.EventKey]*transform.Stages{}
	stagesOf := func(e doraflow.Event) *transform.Stages {
		k := e.Key()
		k.Kind = doraflow.EventChange
		if stages[k] == nil {
			stages[k] = &transform.Stages{}
		}
		return stages[k]
	}
	for _, e := range events {
		v := e.Value
		switch e.Kind {
		case doraflow.EventCoding:
			stagesOf(e).Coding = &v
		case doraflow.EventPickup:
			stagesOf(e).Pickup = &v
		case doraflow.EventReview:
			stagesOf(e).Review = &v
		case doraflow.EventDeploy:
			stagesOf(e).Deploy = &v
		}
	}
	items := make([]Item, 0, len(events))
	for _, e := range events {
		if e.Kind != doraflow.EventChange {
			continue
		}
		c := changes[e.EntityID]
		started, lead := c.StartedAt, e.Value
		items = append(items, Item{
			Kind: string(doraflow.EventChange), ID: e.EntityID, Service: e.Service, Team: e.Team, Environment: e.Environment,
			Repository: e.Repository, At: e.At, Title: c.Title, URL: c.URL, Author: c.Author, SHA: c.SHA,
			DeploymentID: e.DeploymentID, StartedAt: &started, LeadTime: &lead, ChangeKind: string(c.Kind),
			Commits: facts.Commits[e.DeploymentID][e.EntityID], Stages: stagesOf(e),
		})
	}
	return items, nil
}

// explainIncidents merges each incident's incident and restore events into
// one item that says which of the two numbers it counts in.
func (p *Pipeline) explainIncidents(ctx context.Context, events []doraflow.Event) ([]Item, error) {
	facts, err := p.store.FactsByID(ctx, nil, nil, entityIDs(events))
	if err != nil {
		return nil, err
	}
	incidents := map[string]doraflow.Incident{}
	for _, in := range facts.Incidents {
		incidents[in.ID] = in
	}
	byKey := map[doraflow.EventKey]int{} // incident key -> item index
	var items []Item
	for _, e := range events {
		k := e.Key()
		k.Kind = doraflow.EventIncident
		i, seen := byKey[k]
		if !seen {
			in := incidents[e.EntityID]
			item := Item{
				Kind: string(doraflow.EventIncident), ID: e.EntityID, Service: e.Service, Team: e.Team, Environment: e.Environment,
				At: in.CreatedAt, Title: in.Title, URL: in.URL, Author: in.Assignee, DeploymentID: e.DeploymentID, Reason: e.Reason,
			}
			if in.Resolved() {
				r := in.ResolvedAt
				item.ResolvedAt = &r
			}
			items = append(items, item)
			i = len(items) - 1
			byKey[k] = i
		}
		switch e.Kind {
		case doraflow.EventIncident:
			items[i].Created = true
		case doraflow.EventRestore:
			ttr := e.Value
			items[i].Restored, items[i].TimeToRestore = true, &ttr
		}
	}
	return items, nil
}

func entityIDs(events []doraflow.Event) []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range events {
		if !seen[e.EntityID] {
			seen[e.EntityID] = true
			out = append(out, e.EntityID)
		}
	}
	return out
}

func keep(events []doraflow.Event, f func(doraflow.Event) bool) []doraflow.Event {
	out := events[:0]
	for _, e := range events {
		if f(e) {
			out = append(out, e)
		}
	}
	return out
}
