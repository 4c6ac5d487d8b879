package pagerdutyfake_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PagerDuty/go-pagerduty"

	"doraflow/extract/pagerduty/pagerdutyfake"
)

func TestListIncidentsPagesMatchData(t *testing.T) {
	t.Parallel()
	d := pagerdutyfake.Generate(7, pagerdutyfake.Small())
	_, client := start(t, d, pagerdutyfake.Options{})
	since, until := genEnd.Add(-120*24*time.Hour), genEnd
	window := in(since, until)
	sinceS, untilS := since.Format(time.RFC3339), until.Format(time.RFC3339)
	teams := d.Teams()
	team := teams[0].ID

	tests := []struct {
		name string
		opts pagerduty.ListIncidentsOptions
		keep func(pagerdutyfake.Incident) bool
		desc bool
	}{
		{
			name: "window, all services",
			opts: pagerduty.ListIncidentsOptions{Since: sinceS, Until: untilS},
			keep: window,
		},
		{
			name: "one service",
			opts: pagerduty.ListIncidentsOptions{Since: sinceS, Until: untilS, ServiceIDs: []string{"PAPI001"}},
			keep: func(x pagerdutyfake.Incident) bool { return window(x) && x.ServiceID == "PAPI001" },
		},
		{
			name: "two services merged in created_at order",
			opts: pagerduty.ListIncidentsOptions{Since: sinceS, Until: untilS, ServiceIDs: []string{"PLEG001", "PAPI001"}},
			keep: func(x pagerdutyfake.Incident) bool {
				return window(x) && (x.ServiceID == "PAPI001" || x.ServiceID == "PLEG001")
			},
		},
		{
			name: "team",
			opts: pagerduty.ListIncidentsOptions{Since: sinceS, Until: untilS, TeamIDs: []string{team}},
			keep: func(x pagerdutyfake.Incident) bool { return window(x) && slices.Contains(x.TeamIDs, team) },
		},
		{
			name: "two teams, incidents of two-team service listed once",
			opts: pagerduty.ListIncidentsOptions{Since: sinceS, Until: untilS, TeamIDs: []string{teams[0].ID, teams[1].ID}},
			keep: func(x pagerdutyfake.Incident) bool {
				return window(x) && (slices.Contains(x.TeamIDs, teams[0].ID) || slices.Contains(x.TeamIDs, teams[1].ID))
			},
		},
		{
			name: "service and team",
			opts: pagerduty.ListIncidentsOptions{Since: sinceS, Until: untilS, ServiceIDs: []string{"PWEB001", "PAPI001"}, TeamIDs: []string{team}},
			keep: func(x pagerdutyfake.Incident) bool {
				return window(x) && (x.ServiceID == "PWEB001" || x.ServiceID == "PAPI001") && slices.Contains(x.TeamIDs, team)
			},
		},
		{
			name: "low urgency",
			opts: pagerduty.ListIncidentsOptions{Since: sinceS, Until: untilS, Urgencies: []string{"low"}},
			keep: func(x pagerdutyfake.Incident) bool { return window(x) && x.Urgency == "low" },
		},
		{
			name: "resolved only",
			opts: pagerduty.ListIncidentsOptions{Since: sinceS, Until: untilS, Statuses: []string{"resolved"}},
			keep: func(x pagerdutyfake.Incident) bool { return window(x) && x.Status == "resolved" },
		},
		{
			name: "open only",
			opts: pagerduty.ListIncidentsOptions{Since: sinceS, Until: untilS, Statuses: []string{"triggered", "acknowledged"}},
			keep: func(x pagerdutyfake.Incident) bool { return window(x) && x.Open() },
		},
		{
			name: "date_range=all ignores since and until",
			opts: pagerduty.ListIncidentsOptions{DateRange: "all", Since: "2001-01-01", Until: "2001-01-02"},
			keep: func(pagerdutyfake.Incident) bool { return true },
		},
		{
			name: "created_at descending",
			opts: pagerduty.ListIncidentsOptions{Since: sinceS, Until: untilS, SortBy: "created_at:desc"},
			keep: window,
			desc: true,
		},
		{
			name: "incident_number descending",
			opts: pagerduty.ListIncidentsOptions{Since: sinceS, Until: untilS, SortBy: "incident_number:desc"},
			keep: window,
			desc: true,
		},
		{
			name: "unknown service lists nothing",
			opts: pagerduty.ListIncidentsOptions{Since: sinceS, Until: untilS, ServiceIDs: []string{"PNOPE01"}},
			keep: func(pagerdutyfake.Incident) bool { return false },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, pages := listAll(t, client, tt.opts)
			w := want(d, tt.keep)
			if tt.desc {
				slices.Reverse(w)
			}
			if !slices.Equal(ids(got), w) {
				t.Fatalf("got %d incidents, want %d; first difference at %d", len(got), len(w), firstDiff(ids(got), w))
			}
			if wantPages := max((len(w)+99)/100, 1); pages != wantPages {
				t.Errorf("read %d pages for %d incidents, want %d", pages, len(w), wantPages)
			}
		})
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestIncidentDocumentParsesWithClient(t *testing.T) {
	d := handMade(t)
	_, client := start(t, d, pagerdutyfake.Options{Subdomain: "acme"})
	ctx := context.Background()

	res, err := client.GetIncidentWithContext(ctx, "QRESOLVED00001")
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ field, got, want string }{
		{"id", res.ID, "QRESOLVED00001"},
		{"type", res.Type, "incident"},
		{"summary", res.Summary, "[#1] API down"},
		{"title", res.Title, "API down"},
		{"status", res.Status, "resolved"},
		{"urgency", res.Urgency, "high"},
		{"created_at", res.CreatedAt, "2024-12-01T10:00:00Z"},
		{"resolved_at", res.ResolvedAt, "2024-12-01T11:30:00Z"},
		{"last_status_change_at", res.LastStatusChangeAt, "2024-12-01T11:30:00Z"},
		{"html_url", res.HTMLURL, "https://acme.pagerduty.com/incidents/QRESOLVED00001"},
		{"service.id", res.Service.ID, "PAPI001"},
		{"service.type", res.Service.Type, "service_reference"},
		{"service.summary", res.Service.Summary, "api"},
		{"priority.name", res.Priority.Name, "P1"},
		{"priority.id", res.Priority.ID, "PPRIO01"},
		{"escalation_policy.type", res.EscalationPolicy.Type, "escalation_policy_reference"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
		}
	}
	if res.IncidentNumber != 1 || res.IncidentKey == "" {
		t.Errorf("incident_number %d, incident_key %q", res.IncidentNumber, res.IncidentKey)
	}
	if len(res.Teams) != 1 || res.Teams[0].ID != "PTPLA01" || res.Teams[0].Type != "team_reference" {
		t.Errorf("teams = %+v", res.Teams)
	}
	if len(res.Assignments) != 0 {
		t.Errorf("resolved incident has assignments %+v", res.Assignments)
	}

	open, err := client.GetIncidentWithContext(ctx, "QOPEN000000002")
	if err != nil {
		t.Fatal(err)
	}
	if open.Priority != nil {
		t.Errorf("incident without priority parsed priority %+v", open.Priority)
	}
	if open.ResolvedAt != "" || open.Status != "triggered" || open.Urgency != "low" {
		t.Errorf("open incident: resolved_at %q status %q urgency %q", open.ResolvedAt, open.Status, open.Urgency)
	}
	if open.Title != `Web "slow" \ 5xx` {
		t.Errorf("title %q did not survive JSON escaping", open.Title)
	}
	if len(open.Assignments) != 1 || open.Assignments[0].Assignee.ID != "PU00002" {
		t.Errorf("assignments = %+v", open.Assignments)
	}
	if len(open.Teams) != 2 {
		t.Errorf("incident of a two-team service has teams %+v", open.Teams)
	}

	acked, err := client.GetIncidentWithContext(ctx, "QACKED00000003")
	if err != nil {
		t.Fatal(err)
	}
	if acked.Status != "acknowledged" || len(acked.Acknowledgements) != 1 || acked.LastStatusChangeAt != "2024-12-03T11:00:00Z" {
		t.Errorf("acknowledged incident: status %q acks %+v last change %q", acked.Status, acked.Acknowledgements, acked.LastStatusChangeAt)
	}
	if len(acked.Teams) != 0 {
		t.Errorf("incident of a team-less service has teams %+v", acked.Teams)
	}

	// The incident number works in place of the id, as on the live API.
	byNumber, err := client.GetIncidentWithContext(ctx, "4")
	if err != nil || byNumber.ID != "QMIDNIGHT00004" {
		t.Errorf("GET /incidents/4 = %v, %v", byNumber, err)
	}
}

func TestRawDocumentHasNullsWhereTheAPIHasThem(t *testing.T) {
	d := handMade(t)
	srv, _ := start(t, d, pagerdutyfake.Options{})
	status, h, body := get(t, srv, "/incidents?since=2024-12-01T00:00:00Z&until=2024-12-31T00:00:00Z&statuses[]=triggered")
	if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		t.Fatalf("status %d content-type %q", status, h.Get("Content-Type"))
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, body)
	}
	for _, k := range []string{"limit", "offset", "more", "total", "incidents"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("list response lacks %q", k)
		}
	}
	if doc["total"] != nil {
		t.Errorf("total = %v without total=true, want null", doc["total"])
	}
	incs := doc["incidents"].([]any)
	if len(incs) != 1 {
		t.Fatalf("got %d incidents, want 1", len(incs))
	}
	inc := incs[0].(map[string]any)
	for _, k := range []string{"priority", "resolved_at"} {
		v, ok := inc[k]
		if !ok || v != nil {
			t.Errorf("%s = %v (present %v), want null", k, v, ok)
		}
	}
	for _, k := range []string{"id", "type", "summary", "self", "html_url", "incident_number", "title", "created_at",
		"status", "incident_key", "service", "assignments", "last_status_change_at", "teams", "urgency", "escalation_policy"} {
		if _, ok := inc[k]; !ok {
			t.Errorf("incident lacks %q", k)
		}
	}
	if self := inc["self"].(string); !strings.HasPrefix(self, srv.URL()+"/incidents/") {
		t.Errorf("self = %q, want a link into the fake", self)
	}
}

func TestPaginationParameters(t *testing.T) {
	d := pagerdutyfake.Generate(3, pagerdutyfake.Small())
	_, client := start(t, d, pagerdutyfake.Options{})
	ctx := context.Background()
	all := len(want(d, in(genEnd.Add(-30*24*time.Hour), genEnd)))
	if all < 30 {
		t.Fatalf("only %d incidents in the last 30 days; the test needs more than a page", all)
	}
	tests := []struct {
		name      string
		opts      pagerduty.ListIncidentsOptions
		wantLimit uint
		wantCount int
		wantTotal uint
	}{
		{"default limit 25", pagerduty.ListIncidentsOptions{}, 25, 25, 0},
		{"limit capped at 100", pagerduty.ListIncidentsOptions{Limit: 500}, 100, min(all, 100), 0},
		{"total when asked", pagerduty.ListIncidentsOptions{Limit: 10, Total: true}, 10, 10, uint(all)},
		{"offset past the end", pagerduty.ListIncidentsOptions{Limit: 10, Offset: 5000}, 10, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := client.ListIncidentsWithContext(ctx, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Limit != tt.wantLimit || len(resp.Incidents) != tt.wantCount || resp.Total != tt.wantTotal {
				t.Errorf("limit %d, %d incidents, total %d; want %d, %d, %d",
					resp.Limit, len(resp.Incidents), resp.Total, tt.wantLimit, tt.wantCount, tt.wantTotal)
			}
		})
	}
}

func TestSpanOverSixMonthsIsRefused(t *testing.T) {
	d := handMade(t)
	_, client := start(t, d, pagerdutyfake.Options{})
	base := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		since time.Time
		until time.Time
		ok    bool
	}{
		{"180 days", base, base.Add(180 * 24 * time.Hour), true},
		{"181 days", base, base.Add(181 * 24 * time.Hour), false},
		{"a year", base, base.AddDate(1, 0, 0), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := client.ListIncidentsWithContext(context.Background(), pagerduty.ListIncidentsOptions{
				Since: tt.since.Format(time.RFC3339), Until: tt.until.Format(time.RFC3339),
			})
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			ae := apiError(t, err, 400, 2001)
			if ae.APIError.ErrorObject.Message != "Invalid Input Provided" {
				t.Errorf("message %q", ae.APIError.ErrorObject.Message)
			}
		})
	}
}

func TestOffsetCap(t *testing.T) {
	d := handMade(t)
	_, client := start(t, d, pagerdutyfake.Options{})
	tests := []struct {
		name   string
		limit  uint
		offset uint
		ok     bool
	}{
		{"offset+limit = 10000", 100, 9900, true},
		{"offset+limit = 10001", 100, 9901, false},
		{"offset 10000, default limit", 0, 10000, false},
		{"offset 9975, default limit 25", 0, 9975, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := client.ListIncidentsWithContext(context.Background(), pagerduty.ListIncidentsOptions{
				DateRange: "all", Limit: tt.limit, Offset: tt.offset,
			})
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				if len(resp.Incidents) != 0 || resp.More {
					t.Errorf("past the end: %d incidents, more=%v", len(resp.Incidents), resp.More)
				}
				return
			}
			ae := apiError(t, err, 400, 2002)
			if e := ae.APIError.ErrorObject; e.Message != "Arguments Caused Error" || len(e.Errors) != 1 ||
				!strings.HasPrefix(e.Errors[0], "Offset+limit exceeds maximum allowed value of 10000") {
				t.Errorf("error object %+v", e)
			}
		})
	}
}

func TestStormWindowCannotBeReadByOffsetAlone(t *testing.T) {
	t.Parallel()
	d := pagerdutyfake.Generate(11, pagerdutyfake.Size{Incidents: 500, Storm: 10_500})
	storm, ok := d.Storm()
	if !ok {
		t.Fatal("no storm")
	}
	n := len(want(d, in(storm.Since, storm.Until)))
	if n <= 10_000 {
		t.Fatalf("storm window holds %d incidents, want more than 10,000", n)
	}
	srv, client := start(t, d, pagerdutyfake.Options{})
	o := pagerduty.ListIncidentsOptions{
		Since: storm.Since.Format(time.RFC3339), Until: storm.Until.Format(time.RFC3339),
		ServiceIDs: []string{storm.ServiceID}, Limit: 100,
	}
	seen := 0
	var err error
	for {
		var resp *pagerduty.ListIncidentsResponse
		resp, err = client.ListIncidentsWithContext(context.Background(), o)
		if err != nil {
			break
		}
		seen += len(resp.Incidents)
		if !resp.More {
			t.Fatalf("pagination ended after %d incidents without hitting the cap", seen)
		}
		o.Offset += 100
	}
	apiError(t, err, 400, 2002)
	if seen != 10_000 || o.Offset != 10_000 {
		t.Errorf("read %d incidents before the cap at offset %d", seen, o.Offset)
	}
	if st := srv.Stats(); st.ByEndpoint[pagerdutyfake.EndpointListIncidents] != 101 || st.ByStatus[400] != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestDefaultWindow(t *testing.T) {
	d := handMade(t)
	now := time.Date(2024, 12, 20, 0, 0, 0, 0, time.UTC)
	// To the second, so the default windows show exactly; TestDayPrecision
	// widens them.
	_, client := start(t, d, pagerdutyfake.Options{Now: func() time.Time { return now }, ExactTimes: true})
	tests := []struct {
		name string
		opts pagerduty.ListIncidentsOptions
		want []string
	}{
		{"no since or until: last 30 days", pagerduty.ListIncidentsOptions{},
			[]string{"QRESOLVED00001", "QOPEN000000002", "QACKED00000003", "QMIDNIGHT00004"}},
		{"since only: 30 days from since", pagerduty.ListIncidentsOptions{Since: "2024-03-15T00:00:00Z"},
			[]string{"QOLD0000000005"}},
		{"until only: 30 days before until", pagerduty.ListIncidentsOptions{Until: "2024-12-02T10:00:00Z"},
			[]string{"QRESOLVED00001"}},
		{"until is exclusive", pagerduty.ListIncidentsOptions{Since: "2024-12-01T00:00:00Z", Until: "2024-12-10T00:00:00Z"},
			[]string{"QRESOLVED00001", "QOPEN000000002", "QACKED00000003"}},
		{"since is inclusive", pagerduty.ListIncidentsOptions{Since: "2024-12-10T00:00:00Z", Until: "2024-12-11T00:00:00Z"},
			[]string{"QMIDNIGHT00004"}},
		{"date-only since and until", pagerduty.ListIncidentsOptions{Since: "2024-12-10", Until: "2024-12-11"},
			[]string{"QMIDNIGHT00004"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := listAll(t, client, tt.opts)
			if !slices.Equal(ids(got), tt.want) {
				t.Errorf("got %v, want %v", ids(got), tt.want)
			}
		})
	}
}

// TestDayPrecision: a user reports that /incidents honours since and until
// only to the day (PagerDuty/pagerduty-mcp-server#47); the fake widens them
// to whole UTC days by default.
func TestDayPrecision(t *testing.T) {
	d := handMade(t)
	// QRESOLVED00001 at 2024-12-01T10:00Z, QOPEN000000002 on 12-02 10:00,
	// QACKED00000003 on 12-03 10:00, QMIDNIGHT00004 at 12-10T00:00Z.
	tests := []struct {
		name         string
		exact        bool
		since, until string
		want         []string
	}{
		{"hours of one day: the whole day", false, "2024-12-02T11:00:00Z", "2024-12-02T12:00:00Z", []string{"QOPEN000000002"}},
		{"hours across midnight: both days", false, "2024-12-01T23:00:00Z", "2024-12-02T01:00:00Z", []string{"QRESOLVED00001", "QOPEN000000002"}},
		{"until at midnight stays", false, "2024-12-09T12:00:00Z", "2024-12-10T00:00:00Z", nil},
		{"since at midnight stays", false, "2024-12-10T00:00:00Z", "2024-12-10T00:00:01Z", []string{"QMIDNIGHT00004"}},
		{"ExactTimes: to the second", true, "2024-12-02T11:00:00Z", "2024-12-02T12:00:00Z", nil},
		{"ExactTimes: across midnight", true, "2024-12-01T23:00:00Z", "2024-12-02T01:00:00Z", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, client := start(t, d, pagerdutyfake.Options{ExactTimes: tt.exact})
			got, _ := listAll(t, client, pagerduty.ListIncidentsOptions{Since: tt.since, Until: tt.until})
			if !slices.Equal(ids(got), tt.want) {
				t.Errorf("got %v, want %v", ids(got), tt.want)
			}
		})
	}
}

func TestTimeZone(t *testing.T) {
	d := handMade(t)
	_, client := start(t, d, pagerdutyfake.Options{})
	// 2024-12-10T00:00:00Z is 09:00 in Tokyo; a since/until without an
	// offset is read in the requested zone.
	resp, err := client.ListIncidentsWithContext(context.Background(), pagerduty.ListIncidentsOptions{
		TimeZone: "Asia/Tokyo", Since: "2024-12-10T08:00:00", Until: "2024-12-10T10:00:00",
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Incidents) != 1 {
		t.Fatalf("got %d incidents, want 1", len(resp.Incidents))
	}
	if got := resp.Incidents[0].CreatedAt; got != "2024-12-10T09:00:00+09:00" {
		t.Errorf("created_at %q, want it rendered in Asia/Tokyo", got)
	}
	_, err = client.ListIncidentsWithContext(context.Background(), pagerduty.ListIncidentsOptions{TimeZone: "Mars/Olympus"})
	apiError(t, err, 400, 2001)
}

func TestInvalidParameters(t *testing.T) {
	d := handMade(t)
	srv, _ := start(t, d, pagerdutyfake.Options{})
	tests := []struct {
		query string
		code  int
	}{
		{"statuses[]=open", 2001},
		{"urgencies[]=urgent", 2001},
		{"since=yesterday", 2001},
		{"since=2024-12-02&until=2024-12-01", 2001},
		{"sort_by=title", 2001},
		{"sort_by=created_at:sideways", 2001},
		{"include[]=everything", 2001},
		{"date_range=some", 2001},
		{"limit=-1", 2001},
		{"offset=abc", 2001},
		{"offset=20000", 2002},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			status, _, body := get(t, srv, "/incidents?"+tt.query)
			var doc struct {
				Error struct {
					Code    int      `json:"code"`
					Message string   `json:"message"`
					Errors  []string `json:"errors"`
				} `json:"error"`
			}
			if err := json.Unmarshal(body, &doc); err != nil {
				t.Fatalf("body %s: %v", body, err)
			}
			if status != 400 || doc.Error.Code != tt.code || len(doc.Error.Errors) == 0 {
				t.Errorf("status %d body %s, want 400 with code %d", status, body, tt.code)
			}
		})
	}
}

func TestIncludeExpandsReferences(t *testing.T) {
	d := handMade(t)
	_, client := start(t, d, pagerdutyfake.Options{})
	resp, err := client.ListIncidentsWithContext(context.Background(), pagerduty.ListIncidentsOptions{
		DateRange: "all", Includes: []string{"services", "teams"}, ServiceIDs: []string{"PWEB001"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Incidents) != 1 {
		t.Fatalf("got %d incidents", len(resp.Incidents))
	}
	x := resp.Incidents[0]
	if x.Service.Type != "service" || x.Teams[0].Type != "team" {
		t.Errorf("service type %q, team type %q; want full objects", x.Service.Type, x.Teams[0].Type)
	}
}

func TestResolveAcknowledgeAndDelete(t *testing.T) {
	d := pagerdutyfake.Generate(5, pagerdutyfake.Small())
	_, client := start(t, d, pagerdutyfake.Options{})
	ctx := context.Background()
	var open pagerdutyfake.Incident
	for _, x := range d.Incidents() {
		if x.Status == pagerdutyfake.StatusTriggered {
			open = x
		}
	}
	if open.ID == "" {
		t.Fatal("generated data has no triggered incident")
	}
	openOpts := pagerduty.ListIncidentsOptions{DateRange: "all", Statuses: []string{"triggered", "acknowledged"}}
	before, _ := listAll(t, client, openOpts)
	if !contains(ids(before), open.ID) {
		t.Fatalf("open incident %s not listed as open", open.ID)
	}

	ackAt := open.CreatedAt.Add(time.Minute)
	if err := d.Acknowledge(open.ID, ackAt); err != nil {
		t.Fatal(err)
	}
	got, err := client.GetIncidentWithContext(ctx, open.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != "acknowledged" || got.LastStatusChangeAt != ackAt.Format(time.RFC3339) {
		t.Errorf("after Acknowledge: status %q last change %q", got.Status, got.LastStatusChangeAt)
	}

	at := open.CreatedAt.Add(3 * time.Hour)
	if err := d.Resolve(open.ID, at); err != nil {
		t.Fatal(err)
	}
	got, err = client.GetIncidentWithContext(ctx, open.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != "resolved" || got.ResolvedAt != at.Format(time.RFC3339) || got.LastStatusChangeAt != got.ResolvedAt {
		t.Errorf("after Resolve: status %q resolved_at %q last change %q", got.Status, got.ResolvedAt, got.LastStatusChangeAt)
	}
	after, _ := listAll(t, client, openOpts)
	if contains(ids(after), open.ID) || len(after) != len(before)-1 {
		t.Errorf("resolved incident still listed as open (%d open before, %d after)", len(before), len(after))
	}

	if err := d.Delete(open.ID); err != nil {
		t.Fatal(err)
	}
	_, err = client.GetIncidentWithContext(ctx, open.ID)
	if ae := apiError(t, err, 404, 2100); !ae.NotFound() {
		t.Errorf("NotFound() false for %v", err)
	}
	everything, _ := listAll(t, client, pagerduty.ListIncidentsOptions{DateRange: "all"})
	if contains(ids(everything), open.ID) || len(everything) != d.Len() {
		t.Errorf("deleted incident still listed, or %d listed for %d live", len(everything), d.Len())
	}

	for _, tt := range []struct {
		name string
		err  error
		want error
	}{
		{"resolve deleted", d.Resolve(open.ID, at), pagerdutyfake.ErrNotFound},
		{"delete twice", d.Delete(open.ID), pagerdutyfake.ErrNotFound},
		{"resolve unknown", d.Resolve("QNOPE", at), pagerdutyfake.ErrNotFound},
		{"resolve resolved", d.Resolve(everything[0].ID, genEnd), pagerdutyfake.ErrInvalid},
		{"acknowledge resolved", d.Acknowledge(everything[0].ID, genEnd), pagerdutyfake.ErrInvalid},
	} {
		if !errorsIs(tt.err, tt.want) {
			t.Errorf("%s: error %v, want %v", tt.name, tt.err, tt.want)
		}
	}
}

func TestResolveBeforeCreationIsRefused(t *testing.T) {
	d := handMade(t)
	err := d.Resolve("QOPEN000000002", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	if !errorsIs(err, pagerdutyfake.ErrInvalid) {
		t.Errorf("error %v, want ErrInvalid", err)
	}
}

func TestGetUnknownIncident(t *testing.T) {
	_, client := start(t, handMade(t), pagerdutyfake.Options{})
	_, err := client.GetIncidentWithContext(context.Background(), "QDOESNOTEXIST1")
	apiError(t, err, 404, 2100)
}

func TestRequestsCarryClientHeadersAndParams(t *testing.T) {
	d := handMade(t)
	srv, client := start(t, d, pagerdutyfake.Options{})
	_, err := client.ListIncidentsWithContext(context.Background(), pagerduty.ListIncidentsOptions{
		DateRange: "all", ServiceIDs: []string{"PAPI001", "PWEB001"}, Urgencies: []string{"high"}, Limit: 100,
	})
	if err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests logged", len(reqs))
	}
	r := reqs[0]
	if r.Endpoint != pagerdutyfake.EndpointListIncidents || r.Status != 200 || r.Seq != 1 {
		t.Errorf("logged %+v", r)
	}
	if r.Accept != "application/vnd.pagerduty+json;version=2" || !strings.HasPrefix(r.UserAgent, "go-pagerduty/") {
		t.Errorf("accept %q user-agent %q", r.Accept, r.UserAgent)
	}
	wantQ := url.Values{"date_range": {"all"}, "service_ids[]": {"PAPI001", "PWEB001"}, "urgencies[]": {"high"}, "limit": {"100"}}
	if fmt.Sprint(r.Query) != fmt.Sprint(wantQ) {
		t.Errorf("query %v, want %v", r.Query, wantQ)
	}
}
