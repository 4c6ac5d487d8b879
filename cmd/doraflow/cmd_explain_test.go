package main

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"doraflow/pipeline"
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
