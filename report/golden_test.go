package report_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"doraflow"
	"doraflow/metrics"
	"doraflow/report"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fixture returns a small, fixed report: three services over four weeks
// of January 2024, with every kind of number (and a week without
// incidents, so that the lines have gaps).
func fixture(t *testing.T) report.Data {
	t.Helper()
	q := report.Query{
		From: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2024, 1, 29, 0, 0, 0, 0, time.UTC),
		Location: time.UTC, GroupBy: metrics.GroupService,
	}
	var cells []doraflow.Cell
	for day := range 28 {
		d := doraflow.DateOf(q.From.AddDate(0, 0, day), time.UTC)
		if day%7 < 5 {
			cells = append(cells, doraflow.Cell{Day: d, Service: "api", Team: "platform", Environment: "production", Repository: "acme/api",
				Deployments: int64(1 + day%3), FailedDeployments: int64(day % 9 / 8), ReworkDeployments: int64(day % 6 / 5),
				LeadTimes:   doraflow.Multiset{int64(3600 * (2 + day%5)): 2, int64(86400 + 600*day): 1},
				CodingTimes: doraflow.Multiset{int64(1800 * (1 + day%5)): 2, int64(3600 + 60*day): 1}, PickupTimes: doraflow.Multiset{int64(900 * (1 + day%3)): 2},
				ReviewTimes: doraflow.Multiset{int64(1200 * (1 + day%4)): 2}, DeployTimes: doraflow.Multiset{1800: 2, int64(80000 + 600*day): 1}})
		}
		if day%4 == 1 {
			cells = append(cells, doraflow.Cell{Day: d, Service: "web", Team: "frontend", Environment: "production", Repository: "acme/web",
				Deployments: 1, FailedDeployments: int64(day % 8 / 5), LeadTimes: doraflow.Multiset{int64(86400 * (2 + day%3)): 1},
				// Nobody but its authors reviews web: no pickup, no review.
				CodingTimes: doraflow.Multiset{int64(86400 * (1 + day%3)): 1}, DeployTimes: doraflow.Multiset{86400: 1}})
		}
		if day == 10 || day == 24 {
			cells = append(cells, doraflow.Cell{Day: d, Service: "payments", Team: "platform", Environment: "production", Repository: "acme/payments",
				Deployments: 1, FailedDeployments: 1, LeadTimes: doraflow.Multiset{int64(86400 * 12): 1}})
		}
		if day%8 == 5 && day < 20 {
			cells = append(cells, doraflow.Cell{Day: d, Service: "web", Team: "frontend", Environment: "production", Incidents: 1,
				Restores: doraflow.Multiset{int64(1800 * (1 + day)): 1}})
		}
	}
	compute := func(group, period string) metrics.Report {
		r, err := metrics.Compute(metrics.Query{From: q.From, To: q.To, Location: q.Location, GroupBy: group, Period: period}, cells)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	failures, incidents := entriesOf(cells)
	return report.Data{
		Query:     q,
		Failures:  failures,
		Incidents: incidents,
		Summary:   compute(metrics.GroupNone, metrics.PeriodNone).Rows[0],
		Weeks:     compute(metrics.GroupNone, metrics.PeriodWeek).Rows,
		Rows:      compute(metrics.GroupService, metrics.PeriodNone).Rows,
		Version:   "v1.0.0",
		Generated: time.Date(2024, 1, 29, 7, 30, 0, 0, time.UTC),
	}
}

// entriesOf returns what explain failures and explain incidents would
// list for cells, as pipeline.Explain reads them from the same events: a
// failed deployment per failed one counted, an incident per one opened
// (each resolved the same day). Some have no URL.
func entriesOf(cells []doraflow.Cell) (failures, incidents []report.Entry) {
	for _, c := range cells {
		at := c.Day.Start(time.UTC).Add(10 * time.Hour)
		for i := range c.FailedDeployments {
			id := fmt.Sprintf("%s-%s-%d", c.Service, c.Day, i)
			e := report.Entry{ID: id, Title: "Deploy " + c.Service, Service: c.Service, Environment: c.Environment, At: at,
				Because: []string{"inc-" + id + " (window)"}}
			if c.Service != "payments" {
				e.URL = "https://github.com/" + c.Repository + "/deployments/" + id
			}
			failures = append(failures, e)
		}
		for i := range c.Incidents {
			id := fmt.Sprintf("P%d%02d%d", c.Day.Month, c.Day.Day, i)
			e := report.Entry{ID: id, Title: c.Service + " is down", URL: "https://acme.pagerduty.com/incidents/" + id,
				Service: c.Service, Environment: c.Environment, At: at, Created: true, DeploymentID: c.Service + "-deploy", Reason: "window"}
			for ttr, n := range c.Restores {
				if n > 0 {
					resolved := at.Add(time.Duration(ttr) * time.Second)
					e.ResolvedAt, e.TimeToRestore, e.Restored = &resolved, &ttr, true
				}
			}
			incidents = append(incidents, e)
		}
	}
	return failures, incidents
}

// TestGolden renders fixed reports and compares them with testdata/;
// `go test ./report -update` rewrites the files after a deliberate change
// (look at them in a browser before committing).
func TestGolden(t *testing.T) {
	empty := fixture(t)
	empty.Summary, empty.Weeks, empty.Rows = metrics.Row{}, nil, nil
	empty.Service = "checkout"
	whole := fixture(t)
	whole.GroupBy, whole.Rows = metrics.GroupNone, []metrics.Row{whole.Summary}
	for _, tc := range []struct {
		name string
		data report.Data
		want []string // what the page must say
	}{
		{"report", fixture(t), []string{"<svg", "Deployment frequency", "Per service", "payments", "Definitions"}},
		{"empty", empty, []string{"No data in this window.", "Only service checkout."}},
		{"group-by-none", whole, []string{"All together", "Scope"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := report.Write(&b, tc.data); err != nil {
				t.Fatal(err)
			}
			got := b.Bytes()
			for _, want := range tc.want {
				if !bytes.Contains(got, []byte(want)) {
					t.Errorf("the page does not say %q", want)
				}
			}
			checkSelfContained(t, string(got))
			path := filepath.Join("testdata", tc.name+".golden.html")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./report -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the rendered page; if the change is deliberate, run go test ./report -update and look at the page", path)
			}
		})
	}
}

// TestEmptyWindowDrawsNoChart makes sure an empty report shows the
// message and no chart or table at all.
func TestEmptyWindowDrawsNoChart(t *testing.T) {
	d := fixture(t)
	d.Summary, d.Weeks, d.Rows = metrics.Row{}, nil, nil
	var b bytes.Buffer
	if err := report.Write(&b, d); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, absent := range []string{"<svg", "<figure", "Per service"} {
		if strings.Contains(page, absent) {
			t.Errorf("an empty report contains %q", absent)
		}
	}
}

// checkSelfContained fails when the page would load or run anything.
func checkSelfContained(t *testing.T, page string) {
	t.Helper()
	for _, p := range notSelfContained(page) {
		t.Errorf("the page is not self-contained: %s", p)
	}
}

// notSelfContained says what in page would load or run something:
// scripts, event handlers, and resources fetched when the page opens
// (src=, <link href=, url(, @import). Links a reader follows (<a href>)
// load nothing, so an address alone is no fault: the lists of failed
// deployments and incidents link to GitHub and PagerDuty.
func notSelfContained(page string) []string {
	var found []string
	for _, re := range []string{`(?i)<script`, `(?i)\ssrc=`, `(?i)<link`, `(?i)@import`, `(?i)url\(`, `(?i)\son\w+=`} {
		if loc := regexp.MustCompile(re).FindStringIndex(page); loc != nil {
			found = append(found, fmt.Sprintf("%q at %d: %q", re, loc[0], page[max(0, loc[0]-40):min(len(page), loc[1]+40)]))
		}
	}
	return found
}

// TestNotSelfContained makes sure the check still catches what a page
// would load, now that links are allowed.
func TestNotSelfContained(t *testing.T) {
	for _, tc := range []struct {
		page   string
		loaded bool
	}{
		{`<p>see <a href="https://github.com/acme/api/deployments/1">1</a></p>`, false},
		{`<img src="https://example.com/pixel.gif">`, true},
		{`<img alt="" SRC="data:image/png;base64,AA">`, true},
		{`<link rel="stylesheet" href="https://example.com/a.css">`, true},
		{`<style>@import "https://example.com/a.css";</style>`, true},
		{`<div style="background: url(https://example.com/a.png)">`, true},
		{`<script>alert(1)</script>`, true},
		{`<a href="#" onclick="x()">x</a>`, true},
	} {
		if got := notSelfContained(tc.page); (len(got) > 0) != tc.loaded {
			t.Errorf("%s: found %q, want loads something = %v", tc.page, got, tc.loaded)
		}
	}
}

// TestListsAddUp checks that the page lists as many failed deployments
// and incidents as its numbers count, each linked to where it lives.
func TestListsAddUp(t *testing.T) {
	d := fixture(t)
	var b bytes.Buffer
	if err := report.Write(&b, d); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	opened, restored := 0, 0
	for _, e := range d.Incidents {
		if e.Created {
			opened++
		}
		if e.Restored {
			restored++
		}
	}
	for _, tc := range []struct {
		what        string
		listed, num int64
	}{
		{"failed deployments", int64(len(d.Failures)), d.Summary.FailedDeployments},
		{"incidents opened", int64(opened), d.Summary.Incidents},
		{"incidents resolved", int64(restored), d.Summary.RestoredIncidents},
	} {
		if tc.listed != tc.num || tc.num == 0 {
			t.Errorf("%s: %d listed, the report counts %d (want equal, and some)", tc.what, tc.listed, tc.num)
		}
	}
	failures, incidents := section(t, page, "Failed deployments"), section(t, page, "Incidents")
	for _, tc := range []struct {
		name          string
		html          string
		rows, links   int
		summary, link string
	}{
		{"failures", failures, 7, 5, "7 deployments that caused an incident", `<a href="https://github.com/acme/api/deployments/api-2024-01-09-0">api-2024-01-09-0</a>`},
		{"incidents", incidents, 2, 2, "2 incidents opened and 2 resolved", `<a href="https://acme.pagerduty.com/incidents/P1060">P1060</a>`},
	} {
		if got := strings.Count(tc.html, "<tr><td"); got != tc.rows {
			t.Errorf("%s: %d rows, want %d", tc.name, got, tc.rows)
		}
		if got := strings.Count(tc.html, "<a href="); got != tc.links {
			t.Errorf("%s: %d links, want %d", tc.name, got, tc.links)
		}
		for _, want := range []string{tc.summary, tc.link} {
			if !strings.Contains(tc.html, want) {
				t.Errorf("%s: the section does not say %q", tc.name, want)
			}
		}
	}
}

// section returns the part of page from the heading title to the next
// heading.
func section(t *testing.T, page, title string) string {
	t.Helper()
	_, after, ok := strings.Cut(page, "<h2>"+title+"</h2>")
	if !ok {
		t.Fatalf("the page has no section %q", title)
	}
	s, _, _ := strings.Cut(after, "<h2>")
	return s
}

// TestListsEscapedAndCapped checks that what callers wrote is shown as
// text, links only to web addresses, and that a long list stops at
// report.MaxListed with the command that lists the rest.
func TestListsEscapedAndCapped(t *testing.T) {
	d := fixture(t)
	d.Service = "web app"
	at := d.From.Add(time.Hour)
	d.Failures = nil
	for i := range report.MaxListed + 3 {
		d.Failures = append(d.Failures, report.Entry{ID: fmt.Sprintf("d%d", i), Service: "web", At: at, URL: "https://example.com/d"})
	}
	d.Failures[0].Title = `<script>alert("x")</script>`
	d.Failures[1].URL = "javascript:alert(1)"
	var b bytes.Buffer
	if err := report.Write(&b, d); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	checkSelfContained(t, page)
	failures := section(t, page, "Failed deployments")
	for _, want := range []string{
		"53 deployments that caused an incident",
		"The first 50 are listed.",
		"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;",
		`<a href="#ZgotmplZ">d1</a>`,
		"And 3 more: run <code>doraflow explain failures --from 2024-01-01 --to 2024-01-29 --service &#39;web app&#39;</code> to list them all.",
	} {
		if !strings.Contains(failures, want) {
			t.Errorf("the section does not say %q", want)
		}
	}
	if got := strings.Count(failures, "<tr><td"); got != report.MaxListed {
		t.Errorf("%d rows listed, want %d", got, report.MaxListed)
	}
	if strings.Contains(failures, ">d50<") {
		t.Error("the 51st failed deployment is listed")
	}
}
