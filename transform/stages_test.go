package transform_test

import (
	"testing"
	"time"

	"doraflow"
)

// reviewed returns pull request c opened, first reviewed by someone other
// than its author (unless review is zero) and merged at the given times.
func reviewed(c doraflow.Change, opened, review, merged time.Time) doraflow.Change {
	c.OpenedAt, c.FirstReviewAt, c.MergedAt = opened, review, merged
	return c
}

// TestEventsStages: "Stages of a change that is a merged pull request,
// each in seconds and never below 0: coding = created_at − started_at;
// pickup = the first review by someone other than the author − created_at;
// review = merged_at − that first review; deploy = deployed_at −
// merged_at. Without such a review, pickup and review are null. A lone
// commit has only deploy (= its lead time)." The extractor keeps only a
// review by someone else submitted before the merge in FirstReviewAt.
func TestEventsStages(t *testing.T) {
	t.Parallel()
	h := time.Hour
	runEvents(t, []eventsCase{
		{
			name:     "a reviewed pull request has all four stages",
			services: []string{"api"},
			facts: doraflow.FactSet{
				Deployments: []doraflow.Deployment{dep("d", "api", day(3))},
				Changes:     []doraflow.Change{reviewed(pr("c", day(1)), day(1).Add(2*h), day(1).Add(5*h), day(2))},
				Ships:       ships("d: c"),
			},
			want: []string{
				"api change c production at=2024-01-03 00:00:00 day=2024-01-03 value=172800 dep=d",
				"api deployment d production at=2024-01-03 00:00:00 day=2024-01-03 dep=d",
				"api stage_coding c production at=2024-01-03 00:00:00 day=2024-01-03 value=7200 dep=d",
				"api stage_deploy c production at=2024-01-03 00:00:00 day=2024-01-03 value=86400 dep=d",
				"api stage_pickup c production at=2024-01-03 00:00:00 day=2024-01-03 value=10800 dep=d",
				"api stage_review c production at=2024-01-03 00:00:00 day=2024-01-03 value=68400 dep=d",
			},
		},
		{
			name:     "a pull request nobody else reviewed has no pickup and no review",
			services: []string{"api"},
			facts: doraflow.FactSet{
				Deployments: []doraflow.Deployment{dep("d", "api", day(3))},
				Changes:     []doraflow.Change{reviewed(pr("c", day(1)), day(1).Add(2*h), time.Time{}, day(2))},
				Ships:       ships("d: c"),
			},
			want: []string{
				"api change c production at=2024-01-03 00:00:00 day=2024-01-03 value=172800 dep=d",
				"api deployment d production at=2024-01-03 00:00:00 day=2024-01-03 dep=d",
				"api stage_coding c production at=2024-01-03 00:00:00 day=2024-01-03 value=7200 dep=d",
				"api stage_deploy c production at=2024-01-03 00:00:00 day=2024-01-03 value=86400 dep=d",
			},
		},
		{
			name:     "a stage is never below 0: commits authored after the pull request was opened",
			services: []string{"api"},
			facts: doraflow.FactSet{
				Deployments: []doraflow.Deployment{dep("d", "api", day(2))},
				Changes:     []doraflow.Change{reviewed(pr("c", day(1)), day(1).Add(-h), day(1).Add(h), day(2))},
				Ships:       ships("d: c"),
			},
			want: []string{
				"api change c production at=2024-01-02 00:00:00 day=2024-01-02 value=86400 dep=d",
				"api deployment d production at=2024-01-02 00:00:00 day=2024-01-02 dep=d",
				"api stage_coding c production at=2024-01-02 00:00:00 day=2024-01-02 dep=d",
				"api stage_deploy c production at=2024-01-02 00:00:00 day=2024-01-02 dep=d",
				"api stage_pickup c production at=2024-01-02 00:00:00 day=2024-01-02 value=7200 dep=d",
				"api stage_review c production at=2024-01-02 00:00:00 day=2024-01-02 value=82800 dep=d",
			},
		},
		{
			name:     "a pull request promoted before its stage times were known has none",
			services: []string{"api"},
			facts: doraflow.FactSet{
				Deployments: []doraflow.Deployment{dep("d", "api", day(2))},
				Changes:     []doraflow.Change{pr("c", day(1))},
				Ships:       ships("d: c"),
			},
			want: []string{
				"api change c production at=2024-01-02 00:00:00 day=2024-01-02 value=86400 dep=d",
				"api deployment d production at=2024-01-02 00:00:00 day=2024-01-02 dep=d",
			},
		},
		{
			name:     "stages follow the change to its first deployment in each environment",
			services: []string{"api"},
			facts: doraflow.FactSet{
				Deployments: []doraflow.Deployment{env("staging", dep("s", "api", day(2))), dep("d", "api", day(4))},
				Changes:     []doraflow.Change{reviewed(pr("c", day(1)), day(1), day(1).Add(h), day(1).Add(2*h))},
				Ships:       ships("s: c", "d: c"),
			},
			want: []string{
				"api change c production at=2024-01-04 00:00:00 day=2024-01-04 value=259200 dep=d",
				"api change c staging at=2024-01-02 00:00:00 day=2024-01-02 value=86400 dep=s",
				"api deployment d production at=2024-01-04 00:00:00 day=2024-01-04 dep=d",
				"api deployment s staging at=2024-01-02 00:00:00 day=2024-01-02 dep=s",
				"api stage_coding c production at=2024-01-04 00:00:00 day=2024-01-04 dep=d",
				"api stage_coding c staging at=2024-01-02 00:00:00 day=2024-01-02 dep=s",
				"api stage_deploy c production at=2024-01-04 00:00:00 day=2024-01-04 value=252000 dep=d",
				"api stage_deploy c staging at=2024-01-02 00:00:00 day=2024-01-02 value=79200 dep=s",
				"api stage_pickup c production at=2024-01-04 00:00:00 day=2024-01-04 value=3600 dep=d",
				"api stage_pickup c staging at=2024-01-02 00:00:00 day=2024-01-02 value=3600 dep=s",
				"api stage_review c production at=2024-01-04 00:00:00 day=2024-01-04 value=3600 dep=d",
				"api stage_review c staging at=2024-01-02 00:00:00 day=2024-01-02 value=3600 dep=s",
			},
		},
	})
}
