package pagerduty

import (
	"testing"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"
)

// TestToIncident covers documents the fake does not send but PagerDuty
// may: a resolved incident without resolved_at, a priority given only as
// a reference, no assignment.
func TestToIncident(t *testing.T) {
	created := time.Date(2024, 12, 1, 10, 0, 0, 0, time.UTC)
	doc := func(edit func(*pd.Incident)) pd.Incident {
		in := pd.Incident{APIObject: pd.APIObject{ID: "Q1", Summary: "[#1] Disk full", HTMLURL: "https://x.pagerduty.com/incidents/Q1"},
			CreatedAt: "2024-12-01T11:00:00+01:00", Status: "triggered", Urgency: "high",
			Service: pd.APIObject{ID: "PAPI001", Summary: "api"}}
		if edit != nil {
			edit(&in)
		}
		return in
	}
	tests := []struct {
		name    string
		in      pd.Incident
		check   func(Incident) bool
		wantErr bool
	}{
		{name: "offset times are read as UTC; no title falls back to the summary; no priority",
			in: doc(nil),
			check: func(x Incident) bool {
				return x.CreatedAt.Equal(created) && x.CreatedAt.Location() == time.UTC && x.Title == "[#1] Disk full" &&
					x.Priority == "" && x.Assignee == "" && x.ResolvedAt.IsZero() && x.ServiceName == "api" && x.MergedInto == ""
			}},
		{name: "resolved without resolved_at uses last_status_change_at",
			in: doc(func(in *pd.Incident) { in.Status, in.LastStatusChangeAt = "resolved", "2024-12-01T12:00:00Z" }),
			check: func(x Incident) bool {
				return x.ResolvedAt.Equal(created.Add(2 * time.Hour))
			}},
		{name: "an open incident's last status change is no resolution",
			in:    doc(func(in *pd.Incident) { in.Status, in.LastStatusChangeAt = "acknowledged", "2024-12-01T12:00:00Z" }),
			check: func(x Incident) bool { return x.ResolvedAt.IsZero() }},
		{name: "priority reference: the summary is the name",
			in: doc(func(in *pd.Incident) {
				in.Priority = &pd.Priority{APIObject: pd.APIObject{ID: "PPRIO01", Summary: "SEV-1"}}
				in.Assignments = []pd.Assignment{{Assignee: pd.APIObject{Summary: "Ada"}}, {Assignee: pd.APIObject{Summary: "Grace"}}}
			}),
			check: func(x Incident) bool { return x.Priority == "SEV-1" && x.Assignee == "Ada" }},
		{name: "merged into another: resolved with merge_resolve_reason",
			in: doc(func(in *pd.Incident) {
				in.Status, in.ResolvedAt = "resolved", "2024-12-01T10:10:00Z"
				in.ResolveReason = pd.ResolveReason{Type: "merge_resolve_reason", Incident: pd.APIObject{ID: "Q0", Type: "incident_reference"}}
			}),
			check: func(x Incident) bool { return x.MergedInto == "Q0" && x.ResolvedAt.Equal(created.Add(10*time.Minute)) }},
		{name: "another resolve_reason type is no merge",
			in: doc(func(in *pd.Incident) {
				in.Status, in.ResolvedAt = "resolved", "2024-12-01T10:10:00Z"
				in.ResolveReason = pd.ResolveReason{Type: "some_future_reason", Incident: pd.APIObject{ID: "Q0"}}
			}),
			check: func(x Incident) bool { return x.MergedInto == "" }},
		{name: "no created_at", in: doc(func(in *pd.Incident) { in.CreatedAt = "" }), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := toIncident("b", tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			if err == nil && !tt.check(got) {
				t.Errorf("got %+v", got)
			}
		})
	}
}
