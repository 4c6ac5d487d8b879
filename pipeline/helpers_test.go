package pipeline_test

import (
	"testing"
	"time"

	"doraflow"
	"doraflow/metrics"
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// day returns midnight UTC of 2024-01-D (January 2024 starts on a Monday).
func day(d int) time.Time { return time.Date(2024, 1, d, 0, 0, 0, 0, time.UTC) }

// window returns the query for [2024-01-from, 2024-01-to).
func window(from, to int) metrics.Query {
	return metrics.Query{From: day(from), To: day(to)}
}

func dep(id, service string, at time.Time) doraflow.Deployment {
	return doraflow.Deployment{
		ID: id, Source: doraflow.SourceCustom, Method: doraflow.MethodCustom, Block: "manual",
		Service: service, Team: teamOf(service), Environment: doraflow.EnvironmentProduction,
		Repository: "acme/" + service, DeployedAt: at, Status: doraflow.StatusSuccess,
	}
}

func teamOf(service string) string {
	switch service {
	case "api", "db":
		return "platform"
	case "web":
		return "frontend"
	}
	return ""
}

func pr(id string, started time.Time, labels ...string) doraflow.Change {
	return doraflow.Change{ID: id, Repository: "acme/x", Kind: doraflow.ChangePullRequest, StartedAt: started, Title: "Change " + id, Labels: labels}
}

func incident(id, service string, created, resolved time.Time) doraflow.Incident {
	return doraflow.Incident{ID: id, Source: doraflow.SourceCustom, Block: "manual", Service: service, Team: teamOf(service), CreatedAt: created, ResolvedAt: resolved}
}

func f(v float64) *float64 { return &v }

func eqPtr(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func show(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
