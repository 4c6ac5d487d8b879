package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"doraflow/metrics"
	"doraflow/pipeline"
)

// snapshot is what a run ends with: its facts, row for row, and its
// metrics.
type snapshot struct {
	facts   map[string]fact // by "table/id"
	metrics string          // the reports of metricQueries, as JSON
}

// fact is the current state of one fact row and how many rows are stored
// for it.
type fact struct {
	content  string // the current version, as JSON
	versions uint64
}

// metricQueries are the reports compared: every grouping a user is likely
// to look at, from the day rollup and from the events.
var metricQueries = []struct {
	q    metrics.Query
	opts pipeline.MetricsOptions
}{
	{metrics.Query{From: from, To: end, GroupBy: metrics.GroupService, Period: metrics.PeriodNone}, pipeline.MetricsOptions{}},
	{metrics.Query{From: from, To: end, GroupBy: metrics.GroupTeam, Period: metrics.PeriodWeek}, pipeline.MetricsOptions{}},
	{metrics.Query{From: from, To: end, GroupBy: metrics.GroupNone, Period: metrics.PeriodMonth}, pipeline.MetricsOptions{FromEvents: true}},
	{metrics.Query{From: from.Add(90 * time.Minute), To: end.Add(-90 * time.Minute), GroupBy: metrics.GroupEnvironment, Period: metrics.PeriodNone}, pipeline.MetricsOptions{}},
}

func (r *run) snapshot() snapshot {
	r.t.Helper()
	ctx := context.Background()
	dump, err := r.store.DumpFacts(ctx)
	if err != nil {
		r.t.Fatal(err)
	}
	s := snapshot{facts: map[string]fact{}}
	add := func(table, id string, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			r.t.Fatal(err)
		}
		s.facts[table+"/"+id] = fact{content: string(b), versions: dump.Versions[table][id]}
	}
	for _, d := range dump.Deployments {
		add("deployments", d.ID, d)
	}
	for _, c := range dump.Changes {
		add("changes", c.ID, c)
	}
	for id, changes := range dump.Ships {
		add("ships", id, changes)
	}
	for _, in := range dump.Incidents {
		add("incidents", in.ID, in)
	}
	p := r.pipeline()
	var reports []metrics.Report
	for _, mq := range metricQueries {
		rep, err := p.Metrics(ctx, mq.q, mq.opts)
		if err != nil {
			r.t.Fatal(err)
		}
		reports = append(reports, rep)
	}
	b, err := json.Marshal(reports)
	if err != nil {
		r.t.Fatal(err)
	}
	s.metrics = string(b)
	return s
}

// outcome compares a run's snapshot with the clean run's.
type outcome struct {
	scenario, source, injected string
	expected, found            int
	lost                       []string // facts of the clean run that are missing
	doubled                    []string // facts the clean run does not have, and rows stored once too often
	changed                    []string // facts whose content differs
	metrics                    bool     // the metrics are equal
	took                       time.Duration
}

func compare(want, got snapshot) outcome {
	o := outcome{expected: len(want.facts), found: len(got.facts), metrics: want.metrics == got.metrics}
	for key, w := range want.facts {
		g, ok := got.facts[key]
		switch {
		case !ok:
			o.lost = append(o.lost, key)
		case g.content != w.content:
			o.changed = append(o.changed, key)
		}
		// Promote adds a row only when the content changed: more rows than
		// the clean run stored is a fact loaded twice.
		for n := w.versions; ok && n < g.versions; n++ {
			o.doubled = append(o.doubled, key)
		}
	}
	for key := range got.facts {
		if _, ok := want.facts[key]; !ok {
			o.doubled = append(o.doubled, key)
		}
	}
	for _, l := range [][]string{o.lost, o.doubled, o.changed} {
		sort.Strings(l)
	}
	return o
}

func (o outcome) ok() bool {
	return len(o.lost) == 0 && len(o.doubled) == 0 && len(o.changed) == 0 && o.metrics
}

// problems lists what differs, a few examples of each.
func (o outcome) problems() string {
	var b strings.Builder
	for _, p := range []struct {
		what string
		keys []string
	}{{"lost", o.lost}, {"doubled", o.doubled}, {"changed", o.changed}} {
		if len(p.keys) > 0 {
			fmt.Fprintf(&b, "%d %s, e.g. %s; ", len(p.keys), p.what, strings.Join(p.keys[:min(5, len(p.keys))], ", "))
		}
	}
	if !o.metrics {
		b.WriteString("the metrics differ from the clean run's")
	}
	return b.String()
}

// writeTable prints the outcomes as the table `make test-faults` shows.
func writeTable(w io.Writer, outcomes []outcome) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tSOURCE\tINJECTED\tROWS EXPECTED\tROWS FOUND\tLOST\tDOUBLED\tCHANGED\tMETRICS\tTOOK")
	for _, o := range outcomes {
		same := "equal"
		if !o.metrics {
			same = "DIFFER"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\n", o.scenario, o.source, o.injected, o.expected, o.found,
			len(o.lost), len(o.doubled), len(o.changed), same, o.took.Round(100*time.Millisecond))
	}
	return tw.Flush()
}

func TestCompare(t *testing.T) {
	clean := snapshot{facts: map[string]fact{
		"deployments/d1": {content: "a", versions: 1},
		"incidents/i1":   {content: "b", versions: 2},
	}, metrics: "m"}
	for _, c := range []struct {
		name                   string
		got                    snapshot
		lost, doubled, changed []string
		metrics, ok            bool
	}{
		{"equal", clean, nil, nil, nil, true, true},
		{"lost", snapshot{facts: map[string]fact{"deployments/d1": {"a", 1}}, metrics: "m"}, []string{"incidents/i1"}, nil, nil, true, false},
		{"an extra fact", snapshot{facts: map[string]fact{"deployments/d1": {"a", 1}, "incidents/i1": {"b", 2}, "incidents/i2": {"c", 1}}, metrics: "m"}, nil, []string{"incidents/i2"}, nil, true, false},
		{"a row stored twice", snapshot{facts: map[string]fact{"deployments/d1": {"a", 2}, "incidents/i1": {"b", 2}}, metrics: "m"}, nil, []string{"deployments/d1"}, nil, true, false},
		{"changed content", snapshot{facts: map[string]fact{"deployments/d1": {"x", 1}, "incidents/i1": {"b", 2}}, metrics: "m"}, nil, nil, []string{"deployments/d1"}, true, false},
		{"other metrics", snapshot{facts: clean.facts, metrics: "n"}, nil, nil, nil, false, false},
	} {
		o := compare(clean, c.got)
		if !reflect.DeepEqual(o.lost, c.lost) || !reflect.DeepEqual(o.doubled, c.doubled) || !reflect.DeepEqual(o.changed, c.changed) || o.metrics != c.metrics || o.ok() != c.ok {
			t.Errorf("%s: lost %v doubled %v changed %v metrics %v ok %v", c.name, o.lost, o.doubled, o.changed, o.metrics, o.ok())
		}
	}
}
