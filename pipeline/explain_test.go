package pipeline_test

import (
	"reflect"
	"testing"
	"time"

	"doraflow"
	"doraflow/load/clickhouse/clickhousetest"
	"doraflow/metrics"
	"doraflow/pipeline"
	"doraflow/pipeline/pipelinetest"
)

// TestExplainAddsUpToMetrics rebuilds every number of metrics from what
// explain lists, for every grouping, and checks it equals metrics itself;
// the stage medians too, from the stages explain lists per change.
func TestExplainAddsUpToMetrics(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := pipelinetest.New(t, nil)
		data := quarter()
		// c1 was reviewed by someone else, c3 only by its author; c2 keeps
		// no pull request times (as one promoted before migration 0012).
		data.Changes[0] = staged(data.Changes[0], day(1).Add(3*time.Hour), day(1).Add(5*time.Hour), day(1).Add(20*time.Hour))
		data.Changes[2] = staged(data.Changes[2], day(1).Add(2*time.Hour), time.Time{}, day(2))
		data.Incidents = append(data.Incidents, incident("named", "web", day(5), day(6)))
		data.Incidents[len(data.Incidents)-1].DeploymentID = "api-1"
		h.Stage(data)
		h.Promote()
		q := window(1, 31)
		list := func(what string) []pipeline.Item {
			items, err := h.P.Explain(h.Ctx, pipeline.ExplainQuery{What: what, From: q.From, To: q.To})
			must(t, err)
			return items
		}
		dayOf := func(t time.Time) doraflow.Date { return doraflow.DateOf(t, time.UTC) }
		var cells []doraflow.Cell
		cell := func(it pipeline.Item, at time.Time) doraflow.Cell {
			return doraflow.Cell{Day: dayOf(at), Service: it.Service, Team: it.Team, Environment: it.Environment, Repository: it.Repository}
		}
		for _, it := range list(pipeline.ExplainDeployments) {
			c := cell(it, it.At)
			c.Deployments = 1
			cells = append(cells, c)
		}
		for _, it := range list(pipeline.ExplainFailures) {
			c := cell(it, it.At)
			c.FailedDeployments = 1
			cells = append(cells, c)
			if len(it.Because) == 0 {
				t.Errorf("failed deployment %s lists no cause", it.ID)
			}
		}
		for _, it := range list(pipeline.ExplainRework) {
			c := cell(it, it.At)
			c.ReworkDeployments = 1
			cells = append(cells, c)
		}
		for _, it := range list(pipeline.ExplainChanges) {
			c := cell(it, it.At)
			c.LeadTimes = doraflow.Multiset{*it.LeadTime: 1}
			for k, v := range map[doraflow.EventKind]*int64{doraflow.EventCoding: it.Coding, doraflow.EventPickup: it.Pickup,
				doraflow.EventReview: it.Review, doraflow.EventDeploy: it.Deploy} {
				if v != nil {
					*c.Stage(k) = doraflow.Multiset{*v: 1}
				}
			}
			cells = append(cells, c)
		}
		for _, it := range list(pipeline.ExplainIncidents) {
			if it.Created {
				c := cell(it, it.At)
				c.Incidents = 1
				cells = append(cells, c)
			}
			if it.Restored {
				c := cell(it, *it.ResolvedAt)
				c.Restores = doraflow.Multiset{*it.TimeToRestore: 1}
				cells = append(cells, c)
			}
		}
		for _, group := range []string{metrics.GroupService, metrics.GroupTeam, metrics.GroupRepository, metrics.GroupEnvironment, metrics.GroupNone} {
			q.GroupBy, q.Period = group, metrics.PeriodNone
			want := h.Metrics(q)
			q.Location = time.UTC
			got, err := metrics.Compute(q, cells)
			must(t, err)
			if !reflect.DeepEqual(want.Rows, got.Rows) {
				t.Errorf("group %s: explain adds up to\n%s\nmetrics say\n%s", group, pipelinetest.JSON(got.Rows), pipelinetest.JSON(want.Rows))
			}
		}
		// The named incident is explained as explicit, the other by the window.
		for _, it := range list(pipeline.ExplainIncidents) {
			want := map[string]string{"named": "explicit", "i1": "window"}[it.ID]
			if want != "" && it.Reason != want {
				t.Errorf("incident %s attributed %q, want %q", it.ID, it.Reason, want)
			}
		}
	})
}
