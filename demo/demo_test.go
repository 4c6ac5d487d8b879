package demo

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"doraflow"
)

// TestIncidentsNameTheirDeployment: every simulated incident starts after
// the deployment its title names and before its service's next
// production deployment, so attribution pins it on that one; and the same
// seed and deployments give the same incidents.
func TestIncidentsNameTheirDeployment(t *testing.T) {
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	var deps []doraflow.Deployment
	for i := range 400 {
		for _, svc := range []string{"api", "web", "mobile", "infra"} {
			// Deployments as close as 7 minutes apart, closer than the
			// simulated incidents come (10 minutes to 6 hours).
			at := now.Add(-time.Duration(i*(7+len(svc)*31)) * time.Minute)
			deps = append(deps, doraflow.Deployment{ID: svc + "-" + at.Format("0102T1504"), Service: svc, Environment: doraflow.EnvironmentProduction,
				Status: doraflow.StatusSuccess, DeployedAt: at, Title: "deploy of " + svc})
		}
	}
	got := Incidents(1, deps, now)
	if len(got) < 20 {
		t.Fatalf("%d incidents from %d deployments: the test proves little", len(got), len(deps))
	}
	byID := map[string]doraflow.Deployment{}
	for _, d := range deps {
		byID[d.ID] = d
	}
	next := nextDeployments(deps)
	for _, in := range got {
		d, ok := byID[strings.TrimPrefix(in.ID, "INC-")]
		if !ok || !strings.Contains(in.Title, "deployment "+d.ID+" ") {
			t.Fatalf("incident %s (%q) does not name its deployment", in.ID, in.Title)
		}
		if !in.CreatedAt.After(d.DeployedAt) || !in.CreatedAt.Before(now) {
			t.Errorf("incident %s at %s: not between its deployment at %s and now", in.ID, in.CreatedAt, d.DeployedAt)
		}
		if n, ok := next[d.ID]; ok && !in.CreatedAt.Before(n) {
			t.Errorf("incident %s at %s: after the next deployment of %s at %s, which it would be pinned on", in.ID, in.CreatedAt, d.Service, n)
		}
	}
	if again := Incidents(1, deps, now); !reflect.DeepEqual(again, got) {
		t.Error("the same seed and deployments gave other incidents")
	}
}
