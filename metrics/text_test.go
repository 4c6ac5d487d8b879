package metrics

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"unicode"
)

func TestText(t *testing.T) {
	for _, c := range []struct {
		in, want string
	}{
		{"api", "api"},
		{"café ☕ 日本語 🚀", "café ☕ 日本語 🚀"},
		{`C:\path "quoted" 'x'`, `C:\path "quoted" 'x'`}, // printable text is left alone
		{"\uFFFD", "\uFFFD"}, // the replacement character is text
		{"\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		{"\x1b]8;;https://evil\x07link\x1b]8;;\x07", `\x1b]8;;https://evil\alink\x1b]8;;\a`}, // an OSC 8 hyperlink; BEL as Go writes it
		{"tab\there", `tab\there`},
		{"two\nlines\r", `two\nlines\r`},
		{"nul\x00", `nul\x00`},
		{"del\x7f", `del\x7f`},
		{"c1\u009b31m \u0085", `c1\u009b31m \u0085`},
		{"ls\u2028ps\u2029", `ls\u2028ps\u2029`},
		{"invoice\u202efdp.exe", `invoice\u202efdp.exe`},
		{"\u202a\u202b\u202c\u202d\u202e", `\u202a\u202b\u202c\u202d\u202e`},
		{"\u2066\u2067\u2068\u2069", `\u2066\u2067\u2068\u2069`},
		{"\u200e\u200f\u061c", `\u200e\u200f\u061c`},
		{"bad \x9b utf-8 \xff", `bad \x9b utf-8 \xff`},
	} {
		if got := Text(c.in); got != c.want {
			t.Errorf("Text(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	// Whatever goes in, nothing that acts on a terminal comes out.
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if out := Text(string(r)); strings.ContainsFunc(out, unsafeRune) {
			t.Fatalf("Text(%U) = %q still holds an unsafe rune", r, out)
		}
	}
}

// TestOutputEscapesOnlyForTerminals renders a report whose names hold an
// escape sequence and a right-to-left override: the table escapes them,
// JSON and CSV carry them exactly (JSON escapes control characters itself;
// CSV is data for programs, which want the value as stored).
func TestOutputEscapesOnlyForTerminals(t *testing.T) {
	const service, team = "api\x1b[31m", "\u202emroftalp"
	r := mustCompute(t, q1(GroupService, PeriodNone), []Cell{{Day: d("2024-01-02"), Service: service, Team: team, Deployments: 1}})

	var table bytes.Buffer
	if err := WriteTable(&table, r); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsFunc(table.String(), func(r rune) bool { return unsafeRune(r) && r != '\n' }) {
		t.Fatalf("the table holds raw control or bidi characters:\n%q", table.String())
	}
	if !strings.Contains(table.String(), `api\x1b[31m`) || !strings.Contains(table.String(), `\u202emroftalp`) {
		t.Errorf("the table does not show the names escaped:\n%s", table.String())
	}

	var js bytes.Buffer
	if err := WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Rows []struct{ Service, Team string }
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Rows) != 1 || doc.Rows[0].Service != service || doc.Rows[0].Team != team || strings.Contains(js.String(), "\x1b") {
		t.Errorf("JSON: %s, want the names exact, with \\u001b escaped by JSON", js.String())
	}

	var cs bytes.Buffer
	if err := WriteCSV(&cs, r); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&cs).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[1][0] != service || rows[1][1] != team {
		t.Errorf("CSV rows %q, want the names exact", rows)
	}
}
