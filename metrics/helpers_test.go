package metrics

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name byte for byte, or rewrites the
// file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the output (run go test -update to accept it)\n--- got:\n%s\n--- want:\n%s", path, got, want)
	}
}

// d parses a YYYY-MM-DD date.
func d(s string) Date {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return DateOf(t, time.UTC)
}

// at returns midnight of date s in loc.
func at(s string, loc *time.Location) time.Time { return d(s).Start(loc) }

func f(v float64) *float64 { return &v }

func lv(l Level) *Level { return &l }

func berlin(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skipf("no time zone database: %v", err)
	}
	return loc
}

// mustCompute computes the report of q over cells or fails the test.
func mustCompute(t testing.TB, q Query, cells []Cell) Report {
	t.Helper()
	r, err := Compute(q, cells)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// fstr prints a nullable float for messages, in full: the output's
// rounding would hide the differences the messages report.
func fstr(p *float64) string {
	if p == nil {
		return "null"
	}
	return strconv.FormatFloat(*p, 'g', -1, 64)
}

// sameFloat reports whether two nullable floats are both nil or equal.
func sameFloat(a, b *float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}
