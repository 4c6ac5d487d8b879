package report

import (
	"slices"
	"strings"
	"testing"
	"time"

	"doraflow"
	"doraflow/metrics"
)

func f(v float64) *float64 { return &v }

func TestFormats(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{metrics.Seconds(nil), "—"},
		{metrics.Seconds(f(45)), "45s"},
		{metrics.Seconds(f(750)), "12m30s"},
		{metrics.Seconds(f(3600)), "1h"},
		{metrics.Seconds(f(51840)), "14h24m"},
		{metrics.Seconds(f(86385)), "1d"}, // 23h59m45s rounds to a day, not 23h60m
		{metrics.Seconds(f(266400)), "3d 2h"},
		{metrics.Percent(nil), "—"},
		{metrics.Percent(f(0.0714)), "7.1%"},
		{metrics.Plural(1, "change"), "1 change"},
		{metrics.Plural(0, "change"), "0 changes"},
		{fmtDays(1), "1 day"},
		{fmtDays(91), "91 days"},
		{fmtDays(2.5), "2.50 days"},
		{window(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)), "from 2024-01-01 to 2024-03-31 (UTC), 91 days"},
		{window(time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC), time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)), "from 2024-01-01 12:00 until 2024-01-02 00:00 (UTC)"},
		{filters(Query{}), "All services, teams and environments."},
		{filters(Query{Service: "api", Environment: "production"}), "Only service api, environment production."},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestScale(t *testing.T) {
	for _, tc := range []struct {
		kind   kind
		max    float64
		labels []string
	}{
		{count, 0, []string{"0", "1"}},
		{count, 3, []string{"0", "1", "2", "3"}},
		{count, 14, []string{"0", "5", "10", "15"}},
		{ratio, 0.214, []string{"0%", "10%", "20%", "30%"}},
		{seconds, 1800, []string{"0m", "10m", "20m", "30m"}},
		{seconds, 200000, []string{"0h", "20h", "40h", "60h"}},
		{seconds, 40 * 86400, []string{"0d", "10d", "20d", "30d", "40d"}},
	} {
		var labels []string
		for _, g := range newScale(tc.kind, tc.max).grid() {
			labels = append(labels, g.Label)
		}
		if !slices.Equal(labels, tc.labels) {
			t.Errorf("scale of %v up to %v: %q, want %q", tc.kind, tc.max, labels, tc.labels)
		}
	}
}

// TestLinesBreakAtGaps checks that a week without a value (nothing
// happened, or the metric is null) interrupts a line instead of joining
// its neighbours.
func TestLinesBreakAtGaps(t *testing.T) {
	d := func(day int) doraflow.Date { return doraflow.Date{Year: 2024, Month: time.January, Day: day} }
	start := func(day int) *doraflow.Date { v := d(day); return &v }
	rows := []metrics.Row{
		{PeriodStart: start(1), LeadTimeMedian: f(3600)},
		{PeriodStart: start(8)}, // changes none: null
		{PeriodStart: start(15), LeadTimeMedian: f(7200)},
		{PeriodStart: start(29), LeadTimeMedian: f(3600)}, // the week of the 22nd is missing
	}
	w := newWeekly(d(1), d(31), rows)
	if len(w.starts) != 5 {
		t.Fatalf("%d weeks, want 5", len(w.starts))
	}
	c := lineChart(w, "t", "c", "none", seconds, []series{{"Median", "p50", func(r *metrics.Row) *float64 { return r.LeadTimeMedian }}})
	if c.Empty != "" || len(c.Lines) != 1 {
		t.Fatalf("chart %+v", c)
	}
	if moves := strings.Count(c.Lines[0].Path, "M"); moves != 3 || len(c.Lines[0].Points) != 3 {
		t.Errorf("path %q: want three separate segments of one point each", c.Lines[0].Path)
	}
	if e := lineChart(w, "t", "c", "nothing", seconds, []series{{"x", "p90", func(*metrics.Row) *float64 { return nil }}}); e.Empty != "nothing" {
		t.Errorf("a chart without values: Empty = %q", e.Empty)
	}
}
