package bi_test

import (
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"doraflow/load/clickhouse/clickhousetest"
	"doraflow/metrics"
)

// docExample is a ```sql block of docs/sql.md, with the check that the
// HTML comment before it asks for ("" when none).
type docExample struct {
	line  int
	sql   string
	check map[string]string
}

var checkComment = regexp.MustCompile(`^<!-- check: (.*) -->$`)

// docExamples returns the SQL blocks of a Markdown file.
func docExamples(t *testing.T, path string) []docExample {
	t.Helper()
	body, err := os.ReadFile(path)
	must(t, err)
	lines := strings.Split(string(body), "\n")
	var out []docExample
	for i := 0; i < len(lines); i++ {
		if lines[i] != "```sql" {
			continue
		}
		ex := docExample{line: i + 1}
		if i > 0 {
			if m := checkComment.FindStringSubmatch(lines[i-1]); m != nil {
				ex.check = map[string]string{}
				for _, kv := range strings.Fields(m[1]) {
					k, v, _ := strings.Cut(kv, "=")
					ex.check[k] = v
				}
			}
		}
		var sql []string
		for i++; i < len(lines) && lines[i] != "```"; i++ {
			sql = append(sql, lines[i])
		}
		ex.sql = strings.Join(sql, "\n")
		out = append(out, ex)
	}
	return out
}

// parseDate reads a YYYY-MM-DD date of a check comment.
func parseDate(t *testing.T, s string) metrics.Date {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	must(t, err)
	return metrics.DateOf(d, time.UTC)
}

// TestDocsExamples runs every SQL example of docs/sql.md on the
// organisation's quarter, and checks the numbers of those that say which
// `doraflow metrics` command they match.
func TestDocsExamples(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		examples := docExamples(t, "../docs/sql.md")
		if len(examples) < 5 {
			t.Fatalf("found %d SQL examples in docs/sql.md; the parser is probably broken", len(examples))
		}
		e := newEnv(t, time.UTC)
		for _, ex := range examples {
			rows := e.query(ex.sql)
			if len(rows) == 0 {
				t.Errorf("docs/sql.md:%d: no rows", ex.line)
			}
			if ex.check == nil {
				continue
			}
			c := ex.check
			want := e.metricsFor(c["group"], c["period"], parseDate(t, c["from"]), parseDate(t, c["to"]), c["service"], c["team"])
			if env := c["environment"]; env != "" {
				kept := want.Rows[:0]
				for _, r := range want.Rows {
					if r.Environment == env {
						kept = append(kept, r)
					}
				}
				want.Rows = kept
			}
			if n := compare(t, "docs/sql.md:"+strconv.Itoa(ex.line), rows, want); n == 0 {
				t.Errorf("docs/sql.md:%d: no column is named after a metric, nothing was checked", ex.line)
			}
		}
	})
}

// documentedColumns returns, for each "### `view`" section of a Markdown
// file, the names in backquotes in the first cell of its table rows.
func documentedColumns(t *testing.T, path string) map[string][]string {
	t.Helper()
	body, err := os.ReadFile(path)
	must(t, err)
	heading := regexp.MustCompile("^### `(\\w+)`$")
	name := regexp.MustCompile("`(\\w+)`")
	out := map[string][]string{}
	section := ""
	for _, line := range strings.Split(string(body), "\n") {
		if m := heading.FindStringSubmatch(line); m != nil {
			section = m[1]
			continue
		}
		if strings.HasPrefix(line, "## ") {
			section = ""
		}
		if section == "" || !strings.HasPrefix(line, "| `") {
			continue
		}
		first := strings.SplitN(line, "|", 3)[1]
		for _, m := range name.FindAllStringSubmatch(first, -1) {
			out[section] = append(out[section], m[1])
		}
	}
	return out
}

// TestViewsAreDocumented holds the views to their documentation, their
// public contract: docs/sql.md lists exactly the columns each view has.
func TestViewsAreDocumented(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		documented := documentedColumns(t, "../docs/sql.md")
		e := openEnv(t, time.UTC) // the views exist before any data
		views := e.query("SELECT name FROM system.tables WHERE database = currentDatabase() AND engine = 'View' ORDER BY name")
		if len(views) != 4 {
			t.Errorf("%d views, want the 4 of docs/sql.md", len(views))
		}
		for _, v := range views {
			view := v["name"].(string)
			var columns []string
			for _, c := range e.query("DESCRIBE TABLE " + view) {
				columns = append(columns, c["name"].(string))
			}
			doc := documented[view]
			slices.Sort(doc)
			slices.Sort(columns)
			if !slices.Equal(doc, columns) {
				t.Errorf("view %s has the columns %q, docs/sql.md documents %q", view, columns, doc)
			}
		}
	})
}
