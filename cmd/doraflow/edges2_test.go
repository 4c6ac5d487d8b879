package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"doraflow/load/clickhouse/clickhousetest"
)

// TestWhatTheCLIPrints pins, in golden files (testdata/edges/<name>.golden),
// the readable output of the commands people run by hand: counts with
// their nouns in the singular for one, one way of saying a window (from
// the first day to the last, both included) in metrics, explain and report,
// one time format in explain, the footnote under a table by repository,
// and nothing on stderr beside the summary of record and promote (at the
// default level a log line there would repeat it as JSON).
func TestWhatTheCLIPrints(t *testing.T) {
	clickhousetest.Run(t, func(t *testing.T) {
		c := newCLI(t, "")
		mustCLI(t, c, "migrate")
		report := filepath.Join(t.TempDir(), "report.html")
		window := []string{"--from", "2024-01-01", "--to", "2024-01-08"}
		cases := []edgeCase{
			{name: "record-deployment", args: []string{"record", "deployment", "--service", "api", "--id", "d1", "--title", "v1.2", "--repository", "acme/api",
				"--sha", "abc1234", "--deployed-at", "2024-01-02T10:00:00Z"}},
			{name: "record-incident", args: []string{"record", "incident", "--service", "api", "--id", "i1", "--title", "errors up",
				"--deployment", "d1", "--created-at", "2024-01-02T11:00:00Z", "--resolved-at", "2024-01-02T11:45:00Z"}},
			{name: "promote-one-each", args: []string{"promote"}},
			{name: "metrics-by-repository", args: append([]string{"metrics", "--group-by", "repository"}, window...)},
			{name: "metrics-part-day", args: []string{"metrics", "--from", "2024-01-01T06:00:00Z", "--to", "2024-01-03T12:30:00Z"}},
			{name: "explain-deployments", args: append([]string{"explain", "deployments"}, window...)},
			{name: "explain-incidents", args: append([]string{"explain", "incidents"}, window...)},
			{name: "explain-failures", args: append([]string{"explain", "failures"}, window...)},
			{name: "report-one-row", args: append([]string{"report", "--output", report, "--group-by", "none"}, window...)},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				code, out, errOut := c.run(tc.args...)
				if code != tc.code {
					t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out, errOut)
				}
				if errOut != "" {
					t.Errorf("stderr beside the summary at the default level:\n%s", errOut)
				}
				normal := func(s string) string {
					return strings.ReplaceAll(strings.ReplaceAll(s, c.config, "$CONFIG"), report, "$REPORT")
				}
				checkGolden(t, filepath.Join("testdata", "edges", tc.name+".golden"), normal(transcript(tc.args, code, out, errOut)))
			})
		}
		entries, err := os.ReadDir(filepath.Dir(report))
		mustDo(t, err)
		if len(entries) != 1 || entries[0].Name() != filepath.Base(report) {
			t.Errorf("report's folder holds %v, want only the report", entries)
		}
	})
}

// TestWriteFileAtomicallyNamesTheFile checks that each way the report's
// write can fail names the report's path and never the temporary file,
// and leaves nothing behind.
func TestWriteFileAtomicallyNamesTheFile(t *testing.T) {
	dir := t.TempDir()
	existingDir := filepath.Join(dir, "taken")
	mustDo(t, os.Mkdir(existingDir, 0o755))
	mustDo(t, os.WriteFile(filepath.Join(existingDir, "keep"), nil, 0o644))
	full := func(f *os.File) error { return &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC} }
	ok := func(f *os.File) error { _, err := f.WriteString("<html>"); return err }
	tests := []struct {
		name  string
		path  string
		write func(*os.File) error
		want  string
	}{
		{"no such folder", filepath.Join(dir, "nosuch", "r.html"), ok, "report: create $DIR/nosuch/r.html: no such file or directory"},
		{"disk full", filepath.Join(dir, "r.html"), full, "report: write $DIR/r.html: no space left on device"},
		{"a folder in the way", existingDir, ok, "report: replace $DIR/taken: file exists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := writeFileAtomically(tt.path, tt.write)
			if err == nil {
				t.Fatal("no error")
			}
			if got := strings.ReplaceAll(err.Error(), dir, "$DIR"); got != tt.want {
				t.Errorf("error %q, want %q", got, tt.want)
			}
			entries, rerr := os.ReadDir(dir)
			mustDo(t, rerr)
			if len(entries) != 1 {
				t.Errorf("left %d entries in the folder, want only %s", len(entries), existingDir)
			}
		})
	}
}
