package pagerduty_test

import (
	"context"
	"doraflow"
	"slices"
	"testing"
	"time"

	"doraflow/extract/pagerduty"
	"doraflow/extract/pagerduty/pagerdutyfake"
)

func TestRefresh(t *testing.T) {
	resolvedAt := base.Add(26 * time.Hour)
	tests := []struct {
		name         string
		filters      doraflow.Filters
		change       func(*pagerdutyfake.Data) error
		ids          []string
		wantResolved map[string]time.Time // delivered ids and their ResolvedAt (zero: still open)
		wantMissing  []string
		wantRequests int
	}{
		{
			name:         "resolved since the last sync",
			change:       func(d *pagerdutyfake.Data) error { return d.Resolve("QAPINONELOW002", resolvedAt) },
			ids:          []string{"QAPINONELOW002"},
			wantResolved: map[string]time.Time{"QAPINONELOW002": resolvedAt},
			wantRequests: 1,
		},
		{
			name:         "still open",
			ids:          []string{"QWEBP2HIGH0003"},
			wantResolved: map[string]time.Time{"QWEBP2HIGH0003": {}},
			wantRequests: 1,
		},
		{
			name:         "deleted upstream goes to Missing, not an error",
			change:       func(d *pagerdutyfake.Data) error { return d.Delete("QWEBP2HIGH0003") },
			ids:          []string{"QAPINONELOW002", "QWEBP2HIGH0003", "QNEVEREXISTED1"},
			wantResolved: map[string]time.Time{"QAPINONELOW002": {}},
			wantMissing:  []string{"QWEBP2HIGH0003", "QNEVEREXISTED1"},
			wantRequests: 3,
		},
		{
			name:         "an incident the block does not match is left out",
			filters:      doraflow.Filters{"priorities": []string{"P1"}},
			change:       func(d *pagerdutyfake.Data) error { return d.Resolve("QAPINONELOW002", resolvedAt) },
			ids:          []string{"QAPINONELOW002", "QAPIP1HIGH0001"},
			wantResolved: map[string]time.Time{"QAPIP1HIGH0001": base.Add(90 * time.Minute)},
			wantRequests: 2,
		},
		{
			// The pipeline refreshes every open PagerDuty incident with each
			// block, so most ids belong to other blocks.
			name:         "another service's incident is left out",
			filters:      doraflow.Filters{"services": []string{"PWEB001"}, "urgency": "high"},
			ids:          []string{"QAPINONELOW002", "QWEBP2HIGH0003"},
			wantResolved: map[string]time.Time{"QWEBP2HIGH0003": {}},
			wantRequests: 2,
		},
		{
			name:         "repeated and empty ids cost nothing",
			ids:          []string{"QAPINONELOW002", "", "QAPINONELOW002"},
			wantResolved: map[string]time.Time{"QAPINONELOW002": {}},
			wantRequests: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := handMade(t)
			srv := startFake(t, d, pagerdutyfake.Options{})
			src := newSource(t, srv.URL(), newClock(), nil)
			if tt.change != nil {
				if err := tt.change(d); err != nil {
					t.Fatal(err)
				}
			}
			var c collector
			st, err := src.Refresh(context.Background(), block(tt.filters), tt.ids, c.sink)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]time.Time{}
			for _, in := range c.all() {
				got[in.ID] = in.ResolvedAt
				if open := in.ResolvedAt.IsZero(); open != (in.Status != "resolved") {
					t.Errorf("%s: status %s, resolved_at %v", in.ID, in.Status, in.ResolvedAt)
				}
			}
			if len(got) != len(tt.wantResolved) {
				t.Errorf("delivered %v, want %v", got, tt.wantResolved)
			}
			for id, at := range tt.wantResolved {
				if g, ok := got[id]; !ok || !g.Equal(at) {
					t.Errorf("%s: delivered %v with resolved_at %v, want %v", id, ok, g, at)
				}
			}
			if !slices.Equal(st.Missing, tt.wantMissing) {
				t.Errorf("Missing %v, want %v", st.Missing, tt.wantMissing)
			}
			if st.Requests != tt.wantRequests || srv.Stats().Total != tt.wantRequests || st.Incidents != len(got) {
				t.Errorf("stats %+v, server saw %d requests, want %d", st, srv.Stats().Total, tt.wantRequests)
			}
		})
	}
}

// TestRefreshAfterRead is the sync cycle: a Read sees an open incident, it
// is resolved upstream, and the next sync's Refresh brings the resolution.
func TestRefreshAfterRead(t *testing.T) {
	d := handMade(t)
	srv := startFake(t, d, pagerdutyfake.Options{})
	src := newSource(t, srv.URL(), newClock(), nil)
	b := block(doraflow.Filters{"services": []string{"PAPI001"}})
	first, _ := read(t, src, b, decSince, decUntil)
	var open []string
	for _, in := range first {
		if in.ResolvedAt.IsZero() {
			open = append(open, in.ID)
		}
	}
	if !slices.Equal(open, []string{"QAPINONELOW002"}) {
		t.Fatalf("open after the first read: %v", open)
	}
	at := base.Add(30 * time.Hour)
	if err := d.Resolve("QAPINONELOW002", at); err != nil {
		t.Fatal(err)
	}
	var c collector
	if _, err := src.Refresh(context.Background(), b, open, c.sink); err != nil {
		t.Fatal(err)
	}
	got := c.all()
	if len(got) != 1 || !got[0].ResolvedAt.Equal(at) || got[0].Status != "resolved" || got[0].Block != "pd" || got[0].ServiceName != "api" {
		t.Errorf("refreshed %+v", got)
	}
}

// TestMergedIncidents is issue 17's merge through the real client: an
// incident seen open is merged upstream; Refresh and the next Read both
// deliver it resolved at the merge and naming the incident it was merged
// into, still listed, so the pipeline can stop counting it.
func TestMergedIncidents(t *testing.T) {
	d := handMade(t)
	srv := startFake(t, d, pagerdutyfake.Options{})
	src := newSource(t, srv.URL(), newClock(), nil)
	b := block(doraflow.Filters{})
	first, _ := read(t, src, b, decSince, decUntil)
	for _, in := range first {
		if in.MergedInto != "" {
			t.Fatalf("%s merged before any merge: %q", in.ID, in.MergedInto)
		}
	}
	at := base.Add(30 * time.Hour)
	if err := d.Merge("QWEBP2HIGH0003", []string{"QAPINONELOW002"}, at); err != nil {
		t.Fatal(err)
	}
	var c collector
	if _, err := src.Refresh(context.Background(), b, []string{"QAPINONELOW002"}, c.sink); err != nil {
		t.Fatal(err)
	}
	again, _ := read(t, src, b, decSince, decUntil)
	if len(again) != len(first) {
		t.Errorf("%d incidents read after the merge, %d before: a merged incident stays listed", len(again), len(first))
	}
	for name, got := range map[string][]pagerduty.Incident{"Refresh": c.all(), "Read": again} {
		merged := 0
		for _, in := range got {
			if in.MergedInto == "" {
				continue
			}
			merged++
			if in.ID != "QAPINONELOW002" || in.MergedInto != "QWEBP2HIGH0003" || in.Status != "resolved" || !in.ResolvedAt.Equal(at) {
				t.Errorf("%s: %s merged into %q, status %s, resolved %v", name, in.ID, in.MergedInto, in.Status, in.ResolvedAt)
			}
		}
		if merged != 1 {
			t.Errorf("%s: %d merged incidents, want 1", name, merged)
		}
	}
}
