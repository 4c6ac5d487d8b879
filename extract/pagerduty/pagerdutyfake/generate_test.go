package pagerdutyfake_test

import (
	"bytes"
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/PagerDuty/go-pagerduty"

	"doraflow/extract/pagerduty/pagerdutyfake"
)

func TestGenerateIsDeterministic(t *testing.T) {
	a := pagerdutyfake.Generate(42, pagerdutyfake.Small())
	b := pagerdutyfake.Generate(42, pagerdutyfake.Small())
	c := pagerdutyfake.Generate(43, pagerdutyfake.Small())
	if !reflect.DeepEqual(a.Incidents(), b.Incidents()) || !reflect.DeepEqual(a.Services(), b.Services()) ||
		!reflect.DeepEqual(a.Teams(), b.Teams()) || !reflect.DeepEqual(a.Users(), b.Users()) {
		t.Fatal("same seed, different data")
	}
	if reflect.DeepEqual(a.Incidents(), c.Incidents()) {
		t.Fatal("different seeds, same incidents")
	}
	// The served bytes are identical too.
	page := func(d *pagerdutyfake.Data) []byte {
		srv, _ := start(t, d, pagerdutyfake.Options{})
		_, _, body := get(t, srv, "/incidents?date_range=all&limit=100&offset=200&total=true")
		// Links carry the server's address, which differs per server.
		return bytes.ReplaceAll(body, []byte(srv.URL()), []byte("BASE"))
	}
	if pa, pb := page(a), page(b); !bytes.Equal(pa, pb) {
		t.Fatal("same seed, different responses")
	}
}

func TestGenerateHasTheHardCases(t *testing.T) {
	d := pagerdutyfake.Generate(1, pagerdutyfake.Small())
	incs := d.Incidents()
	if len(incs) != 600 {
		t.Fatalf("%d incidents, want 600", len(incs))
	}
	var noPriority, open, low, high, zero, midnight, merged int
	byID := map[string]pagerdutyfake.Incident{}
	for _, x := range incs {
		byID[x.ID] = x
	}
	for _, x := range incs {
		if x.MergedInto != "" {
			merged++
			// A duplicate merged into the open incident of its service:
			// resolved by the merge, while its target was still open.
			tgt, ok := byID[x.MergedInto]
			if !ok || tgt.MergedInto != "" || tgt.ServiceID != x.ServiceID || x.Status != pagerdutyfake.StatusResolved ||
				tgt.CreatedAt.After(x.CreatedAt) || !tgt.Open() && !tgt.ResolvedAt.After(x.ResolvedAt) {
				t.Errorf("merged incident %+v into %+v: not a merge PagerDuty makes", x, tgt)
			}
		}
		if x.PriorityID == "" {
			noPriority++
		}
		if x.Open() {
			open++
			if !x.ResolvedAt.IsZero() {
				t.Errorf("open incident %s has resolved_at", x.ID)
			}
		} else if x.ResolvedAt.Before(x.CreatedAt) {
			t.Errorf("incident %s resolved before it was created", x.ID)
		}
		if x.Urgency == pagerdutyfake.UrgencyLow {
			low++
		} else {
			high++
		}
		if x.Status == pagerdutyfake.StatusResolved && x.ResolvedAt.Equal(x.CreatedAt) {
			zero++
		}
		if x.CreatedAt.Equal(x.CreatedAt.Truncate(24 * time.Hour)) {
			midnight++
		}
	}
	for _, c := range []struct {
		what string
		n    int
	}{{"without priority", noPriority}, {"open", open}, {"low urgency", low}, {"high urgency", high},
		{"zero-length", zero}, {"created at midnight", midnight}, {"merged into another", merged}} {
		if c.n == 0 {
			t.Errorf("no incident %s", c.what)
		}
	}
	for _, x := range incs[len(incs)-3:] {
		if !x.Open() {
			t.Errorf("latest incident %s is %s, want open", x.ID, x.Status)
		}
	}
	if span := incs[len(incs)-1].CreatedAt.Sub(incs[0].CreatedAt); span <= 183*24*time.Hour {
		t.Errorf("incidents span %v, want more than 6 months", span)
	}
	var teamless, twoTeams bool
	for _, s := range d.Services() {
		teamless = teamless || len(s.TeamIDs) == 0
		twoTeams = twoTeams || len(s.TeamIDs) == 2
	}
	if !teamless || !twoTeams {
		t.Errorf("team-less service %v, two-team service %v", teamless, twoTeams)
	}
	seen := map[string]bool{}
	for i, x := range incs {
		if seen[x.ID] || x.Number != i+1 || len(x.ID) != 14 {
			t.Fatalf("incident %d: id %q number %d", i, x.ID, x.Number)
		}
		seen[x.ID] = true
	}
}

func TestGenerateLarge(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("large data set")
	}
	began := time.Now()
	d := pagerdutyfake.Generate(1, pagerdutyfake.Large())
	t.Logf("generated %d incidents in %v", d.Len(), time.Since(began))
	if d.Len() != 112_000 {
		t.Fatalf("%d incidents", d.Len())
	}
	storm, _ := d.Storm()
	_, client := start(t, d, pagerdutyfake.Options{})
	resp, err := client.ListIncidentsWithContext(context.Background(), pagerduty.ListIncidentsOptions{
		Since: storm.Since.Format(time.RFC3339), Until: storm.Until.Format(time.RFC3339),
		ServiceIDs: []string{storm.ServiceID}, Limit: 100, Offset: 9900, Total: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Incidents) != 100 || !resp.More || resp.Total <= 12_000 {
		t.Errorf("%d incidents, more %v, total %d", len(resp.Incidents), resp.More, resp.Total)
	}
}

func TestBuilderRejectsWhatPagerDutyCannotHold(t *testing.T) {
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		in   pagerdutyfake.Incident
		want error
	}{
		{"no created_at", pagerdutyfake.Incident{ServiceID: "PAPI001"}, pagerdutyfake.ErrInvalid},
		{"unknown service", pagerdutyfake.Incident{ServiceID: "PNOPE01", CreatedAt: base}, pagerdutyfake.ErrNotFound},
		{"resolved before created", pagerdutyfake.Incident{ServiceID: "PAPI001", CreatedAt: base, ResolvedAt: base.Add(-time.Second)}, pagerdutyfake.ErrInvalid},
		{"resolved without resolved_at", pagerdutyfake.Incident{ServiceID: "PAPI001", CreatedAt: base, Status: "resolved"}, pagerdutyfake.ErrInvalid},
		{"open with resolved_at", pagerdutyfake.Incident{ServiceID: "PAPI001", CreatedAt: base, Status: "triggered", ResolvedAt: base}, pagerdutyfake.ErrInvalid},
		{"bad status", pagerdutyfake.Incident{ServiceID: "PAPI001", CreatedAt: base, Status: "open"}, pagerdutyfake.ErrInvalid},
		{"bad urgency", pagerdutyfake.Incident{ServiceID: "PAPI001", CreatedAt: base, Urgency: "urgent"}, pagerdutyfake.ErrInvalid},
		{"unknown priority", pagerdutyfake.Incident{ServiceID: "PAPI001", CreatedAt: base, PriorityID: "PNOPE"}, pagerdutyfake.ErrNotFound},
		{"unknown team", pagerdutyfake.Incident{ServiceID: "PAPI001", CreatedAt: base, TeamIDs: []string{"PNOPE"}}, pagerdutyfake.ErrNotFound},
		{"unknown assignee", pagerdutyfake.Incident{ServiceID: "PAPI001", CreatedAt: base, AssigneeIDs: []string{"PNOPE"}}, pagerdutyfake.ErrNotFound},
		{"duplicate id", pagerdutyfake.Incident{ID: "QRESOLVED00001", ServiceID: "PAPI001", CreatedAt: base}, pagerdutyfake.ErrDuplicate},
		{"duplicate number", pagerdutyfake.Incident{Number: 1, ServiceID: "PAPI001", CreatedAt: base}, pagerdutyfake.ErrDuplicate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := handMade(t)
			if _, err := d.AddIncident(tt.in); !errorsIs(err, tt.want) {
				t.Errorf("error %v, want %v", err, tt.want)
			}
		})
	}

	t.Run("other objects", func(t *testing.T) {
		d := handMade(t)
		for _, c := range []struct {
			name string
			err  error
			want error
		}{
			{"duplicate team", d.AddTeam(pagerdutyfake.Team{ID: "PTPLA01", Name: "x"}), pagerdutyfake.ErrDuplicate},
			{"team without name", d.AddTeam(pagerdutyfake.Team{ID: "PTX"}), pagerdutyfake.ErrInvalid},
			{"service with unknown team", d.AddService(pagerdutyfake.Service{ID: "PX", Name: "x", TeamIDs: []string{"PNOPE"}}), pagerdutyfake.ErrNotFound},
			{"duplicate service", d.AddService(pagerdutyfake.Service{ID: "PAPI001", Name: "x"}), pagerdutyfake.ErrDuplicate},
			{"duplicate priority", d.AddPriority(pagerdutyfake.Priority{ID: "PPRIO01", Name: "P1"}), pagerdutyfake.ErrDuplicate},
			{"duplicate user", d.AddUser(pagerdutyfake.User{ID: "PU00001", Name: "x"}), pagerdutyfake.ErrDuplicate},
		} {
			if !errorsIs(c.err, c.want) {
				t.Errorf("%s: error %v, want %v", c.name, c.err, c.want)
			}
		}
	})
}

func TestAddIncidentFillsDefaults(t *testing.T) {
	d := handMade(t)
	at := time.Date(2024, 12, 15, 8, 30, 15, 999, time.FixedZone("X", 3600))
	got, err := d.AddIncident(pagerdutyfake.Incident{ServiceID: "PWEB001", CreatedAt: at})
	if err != nil {
		t.Fatal(err)
	}
	if got.Number != 6 || got.ID == "" || got.IncidentKey == "" || got.Title != "Incident #6" ||
		got.Status != "triggered" || got.Urgency != "high" || len(got.TeamIDs) != 2 ||
		!got.CreatedAt.Equal(at.Truncate(time.Second)) || got.CreatedAt.Location() != time.UTC {
		t.Errorf("defaults: %+v", got)
	}
	// The returned copy shares nothing with the stored incident.
	got.TeamIDs[0] = "changed"
	if again, _ := d.Incident(got.ID); again.TeamIDs[0] == "changed" {
		t.Error("AddIncident returned a slice the data still uses")
	}
}
