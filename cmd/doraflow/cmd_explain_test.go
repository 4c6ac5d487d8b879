package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"doraflow/metrics"
	"doraflow/pipeline"
	"doraflow/transform"
)

// hostile is text from a source (a title from GitHub or PagerDuty, or from
// an API caller) that would act on a terminal printed raw: a colour
// change, a screen clear, a tab that breaks the columns, a right-to-left
// override and a byte that is not UTF-8.
const hostile = "Deploy \x1b[31mred\x1b[2J\tcol \u202eevil\u202c \x9b"

// rawTerminalText reports whether s holds what metrics.Text escapes, bar
// the newlines and the tabwriter's own spacing.
func rawTerminalText(s string) bool {
	return strings.ContainsAny(s, "\x1b\t\u202e\u202c\x9b") || strings.Contains(s, "\xc2\x9b")
}

// TestExplainTableEscapesText prints every explain table with hostile
// text in each text column: the table shows it escaped, the CSV keeps it
// exactly (JSON is encoding/json's, which escapes control characters).
func TestExplainTableEscapesText(t *testing.T) {
	at := time.Date(2024, 1, 2, 10, 0, 0, 0, time.UTC)
	lead := int64(3600)
	item := pipeline.Item{Kind: "deployment", ID: "d1 " + hostile, Service: "api " + hostile, Team: "t", Environment: "prod " + hostile,
		At: at, Title: hostile, URL: "https://ci/" + hostile, Block: "manual " + hostile, DeploymentID: "dep " + hostile,
		Reason: "explicit " + hostile, StartedAt: &at, LeadTime: &lead, ResolvedAt: &at, Because: []string{"pr " + hostile},
		Commits: []string{"abc\x1b[31m"}}
	for _, what := range pipeline.ExplainKinds {
		var out bytes.Buffer
		if err := writeItemsTable(&out, what, at, at.Add(time.Hour), []pipeline.Item{item}); err != nil {
			t.Fatal(err)
		}
		if rawTerminalText(out.String()) {
			t.Errorf("explain %s: the table holds raw control or bidi characters:\n%q", what, out.String())
		}
		if !strings.Contains(out.String(), `Deploy \x1b[31mred\x1b[2J\tcol \u202eevil\u202c \x9b`) {
			t.Errorf("explain %s: the title is not shown escaped:\n%s", what, out.String())
		}
	}
	var out bytes.Buffer
	if err := writeItemsCSV(&out, []pipeline.Item{item}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[1][7] != hostile {
		t.Errorf("CSV title %q, want %q exactly", rows[1][7], hostile)
	}
}

// TestExplainChangeStages: explain changes shows each change's stages in
// the table (four columns, metrics' null sign where a stage does not apply), the CSV
// (empty cell) and the JSON (null); other kinds carry no stage keys.
func TestExplainChangeStages(t *testing.T) {
	at := time.Date(2024, 1, 2, 10, 0, 0, 0, time.UTC)
	n := func(v int64) *int64 { return &v }
	change := pipeline.Item{Kind: "change", ID: "acme/api#7", Service: "api", At: at, StartedAt: &at, LeadTime: n(90000),
		Stages: &transform.Stages{Coding: n(7200), Deploy: n(82800)}}
	deployment := pipeline.Item{Kind: "deployment", ID: "d1", Service: "api", At: at}

	var table bytes.Buffer
	if err := writeItemsTable(&table, pipeline.ExplainChanges, at, at.Add(time.Hour), []pipeline.Item{change}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(table.String(), "\n")
	if len(lines) < 4 {
		t.Fatalf("table has %d lines, want 4:\n%s", len(lines), table.String())
	}
	// tabwriter aligns the columns: a cell starts at its header's rune.
	row := []rune(lines[3])
	wantCells := map[string]string{"CODING": "2h", "PICKUP": metrics.Seconds(nil), "REVIEW": metrics.Seconds(nil), "DEPLOY": "23h"}
	for name, want := range wantCells {
		i := strings.Index(lines[2], "  "+name+"  ")
		if i < 0 {
			t.Fatalf("table header %q has no %s column", lines[2], name)
		}
		i = len([]rune(lines[2][:i])) + 2
		if i >= len(row) {
			t.Fatalf("table row %q is shorter than its header", lines[3])
		}
		if got := strings.Fields(string(row[i:]))[0]; got != want {
			t.Errorf("table %s = %q, want %q\n%s", name, got, want, table.String())
		}
	}

	var out bytes.Buffer
	if err := writeItemsCSV(&out, []pipeline.Item{change, deployment}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("CSV has %d rows, want 3", len(rows))
	}
	for i, want := range [][]string{{"7200.0", "", "", "82800.0"}, {"", "", "", ""}} {
		var got []string
		for _, col := range []string{"coding_seconds", "pickup_seconds", "review_seconds", "deploy_seconds"} {
			j := indexOf(rows[0], col)
			if j < 0 {
				t.Fatalf("CSV header %v has no %s", rows[0], col)
			}
			got = append(got, rows[i+1][j])
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("CSV %s stages %q, want %q", rows[i+1][0], got, want)
		}
	}

	var doc bytes.Buffer
	if err := writeItemsJSON(&doc, pipeline.ExplainChanges, at, at, []pipeline.Item{change, deployment}); err != nil {
		t.Fatal(err)
	}
	var parsed struct{ Items []map[string]any }
	if err := json.Unmarshal(doc.Bytes(), &parsed); err != nil {
		t.Fatal(err)
	}
	wantJSON := []map[string]any{
		{"coding_seconds": 7200.0, "pickup_seconds": nil, "review_seconds": nil, "deploy_seconds": 82800.0},
		{},
	}
	for i, want := range wantJSON {
		got := map[string]any{}
		for _, k := range []string{"coding_seconds", "pickup_seconds", "review_seconds", "deploy_seconds"} {
			if v, ok := parsed.Items[i][k]; ok {
				got[k] = v
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("JSON item %d stages %v, want %v", i, got, want)
		}
	}
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}
