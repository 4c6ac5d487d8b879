package report_test

import (
	"bytes"
	"flag"
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
	return report.Data{
		Query:     q,
		Summary:   compute(metrics.GroupNone, metrics.PeriodNone).Rows[0],
		Weeks:     compute(metrics.GroupNone, metrics.PeriodWeek).Rows,
		Rows:      compute(metrics.GroupService, metrics.PeriodNone).Rows,
		Version:   "v1.0.0",
		Generated: time.Date(2024, 1, 29, 7, 30, 0, 0, time.UTC),
	}
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

// checkSelfContained fails when the page would load or run anything:
// scripts, external resources, links to the network.
func checkSelfContained(t *testing.T, page string) {
	t.Helper()
	for _, re := range []string{`(?i)<script`, `(?i)\ssrc=`, `(?i)<link`, `(?i)@import`, `(?i)url\(`, `(?i)https?://`, `(?i)\son\w+=`} {
		if loc := regexp.MustCompile(re).FindStringIndex(page); loc != nil {
			t.Errorf("the page is not self-contained: %q at %d: %q", re, loc[0], page[max(0, loc[0]-40):min(len(page), loc[1]+40)])
		}
	}
}
