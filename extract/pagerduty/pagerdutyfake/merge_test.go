package pagerdutyfake_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/PagerDuty/go-pagerduty"

	"doraflow/extract/pagerduty/pagerdutyfake"
)

// TestMerge merges through go-pagerduty's MergeIncidents, as a responder
// would, and checks what PagerDuty documents: the source is resolved at
// the merge with resolve_reason merge_resolve_reason naming the target,
// and stays in GET /incidents and GET /incidents/{id}.
func TestMerge(t *testing.T) {
	d := handMade(t)
	mergeAt := genEnd.Add(-time.Hour)
	dup, err := d.AddIncident(pagerdutyfake.Incident{ID: "QDUPLICATE0006", Title: "Web 5xx again", ServiceID: "PWEB001",
		CreatedAt: time.Date(2024, 12, 2, 10, 5, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	srv, client := start(t, d, pagerdutyfake.Options{Now: func() time.Time { return mergeAt }})
	ctx := context.Background()
	all := pagerduty.ListIncidentsOptions{DateRange: "all"}
	before, _ := listAll(t, client, all)

	target, err := client.MergeIncidentsWithContext(ctx, "ada@example.com", "QOPEN000000002",
		[]pagerduty.MergeIncidentsOptions{{ID: dup.ID, Type: "incident_reference"}})
	if err != nil {
		t.Fatal(err)
	}
	if target.ID != "QOPEN000000002" || target.Status != "triggered" || target.ResolveReason.Type != "" {
		t.Errorf("merge answered %s %s %+v, want the open target unchanged", target.ID, target.Status, target.ResolveReason)
	}
	got, err := client.GetIncidentWithContext(ctx, dup.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != "resolved" || got.ResolvedAt != mergeAt.Format(time.RFC3339) ||
		got.ResolveReason.Type != "merge_resolve_reason" || got.ResolveReason.Incident.ID != "QOPEN000000002" {
		t.Errorf("merged incident: status %q resolved_at %q resolve_reason %+v", got.Status, got.ResolvedAt, got.ResolveReason)
	}
	after, _ := listAll(t, client, all)
	if len(after) != len(before) || !contains(ids(after), dup.ID) {
		t.Errorf("%d incidents listed after the merge, %d before: the merged one must stay listed", len(after), len(before))
	}
	if n := srv.Stats().ByEndpoint[pagerdutyfake.EndpointMergeIncidents]; n != 1 {
		t.Errorf("%d merge requests logged, want 1", n)
	}

	tests := []struct {
		name, from, target, source string
		status                     int
	}{
		{"source already merged (resolved)", "ada@example.com", "QOPEN000000002", dup.ID, http.StatusBadRequest},
		{"into a resolved incident", "ada@example.com", "QRESOLVED00001", "QACKED00000003", http.StatusBadRequest},
		{"into itself", "ada@example.com", "QACKED00000003", "QACKED00000003", http.StatusBadRequest},
		{"into a merged incident", "ada@example.com", dup.ID, "QACKED00000003", http.StatusBadRequest},
		{"unknown target", "ada@example.com", "QNOPE", "QACKED00000003", http.StatusNotFound},
		{"unknown source", "ada@example.com", "QOPEN000000002", "QNOPE", http.StatusNotFound},
		{"no From", "", "QOPEN000000002", "QACKED00000003", http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := client.MergeIncidentsWithContext(ctx, tt.from, tt.target, []pagerduty.MergeIncidentsOptions{{ID: tt.source, Type: "incident_reference"}})
			code := 2001
			if tt.status == http.StatusNotFound {
				code = 2100
			}
			apiError(t, err, tt.status, code)
		})
	}
	// The refused merges changed nothing.
	if x, _ := d.Incident("QACKED00000003"); x.Status != pagerdutyfake.StatusAcknowledged || x.MergedInto != "" {
		t.Errorf("a refused merge changed %+v", x)
	}
}

func TestAddMergedIncident(t *testing.T) {
	d := handMade(t)
	at := time.Date(2024, 12, 2, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		in   pagerdutyfake.Incident
		want error
	}{
		{"merged and resolved", pagerdutyfake.Incident{ServiceID: "PWEB001", CreatedAt: at, ResolvedAt: at.Add(time.Minute), MergedInto: "QOPEN000000002"}, nil},
		{"merged but open", pagerdutyfake.Incident{ServiceID: "PWEB001", CreatedAt: at, MergedInto: "QOPEN000000002"}, pagerdutyfake.ErrInvalid},
		{"merged into an unknown incident", pagerdutyfake.Incident{ServiceID: "PWEB001", CreatedAt: at, ResolvedAt: at, MergedInto: "QNOPE"}, pagerdutyfake.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := d.AddIncident(tt.in)
			if tt.want == nil && err != nil || tt.want != nil && !errorsIs(err, tt.want) {
				t.Errorf("error %v, want %v", err, tt.want)
			}
		})
	}
}
