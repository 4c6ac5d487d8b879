package github

import (
	"testing"
	"time"
)

// TestSearchChoice checks the rule that chooses the organisation-wide
// search on the shapes BenchmarkMergedPRListing measured (a year of
// merged pull requests): dearer on the generated organisations, cheaper
// on many small repositories.
func TestSearchChoice(t *testing.T) {
	cases := []struct {
		name                string
		repos, merged, page int
		estimate            int
		search              bool
	}{
		{"SizeFor(10_000): 6 repositories", 6, 4649, 3, 8 + 3*(47+7), false},
		{"SizeFor(100_000): 25 repositories", 25, 46269, 3, 64 + 3*(463+63), false},
		{"100 repositories of ~53", 100, 5306, 3, 8 + 3*(54+7), true},
		{"400 repositories of ~9", 400, 3411, 3, 4 + 3*(35+3), true},
		{"a sync of 2 repositories, nothing merged", 2, 0, 3, 1 + 3, true},
		{"one repository is never searched", 1, 0, 3, 1 + 3, false},
		{"paths: 4 points a page", 40, 1390, 4, 2 + 4*(14+1), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			est := searchEstimate(tc.merged, tc.page)
			if est != tc.estimate {
				t.Errorf("searchEstimate(%d, %d) = %d, want %d", tc.merged, tc.page, est, tc.estimate)
			}
			if got := est < tc.repos*tc.page; got != tc.search {
				t.Errorf("search chosen = %v (estimate %d, per repository at least %d), want %v", got, est, tc.repos*tc.page, tc.search)
			}
		})
	}
}

// TestMergedRange checks the merged: ranges a window and its halves
// search: whole seconds, both ends inclusive, covering the window and
// nothing of the halves twice.
func TestMergedRange(t *testing.T) {
	since := time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name         string
		since, until time.Time
		from, to     time.Time
		ok           bool
	}{
		{"whole seconds: until left out", since, since.Add(time.Hour), since, since.Add(time.Hour - time.Second), true},
		{"a fraction: the seconds that hold it", since.Add(1500 * time.Millisecond), since.Add(3500 * time.Millisecond),
			since.Add(time.Second), since.Add(3 * time.Second), true},
		{"empty", since, since, time.Time{}, time.Time{}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, ok := mergedRange(window{tc.since, tc.until})
			if ok != tc.ok || (ok && (!r.from.Equal(tc.from) || !r.to.Equal(tc.to))) {
				t.Errorf("mergedRange = %v..%v, %v; want %v..%v, %v", r.from, r.to, ok, tc.from, tc.to, tc.ok)
			}
		})
	}
	r := searchRange{since, since.Add(9 * time.Second)}
	a, b, ok := r.halves()
	if !ok || !a.from.Equal(since) || !a.to.Equal(since.Add(4*time.Second)) || !b.from.Equal(since.Add(5*time.Second)) || !b.to.Equal(r.to) {
		t.Errorf("halves of %v..%v = %v..%v and %v..%v (%v)", r.from, r.to, a.from, a.to, b.from, b.to, ok)
	}
	if _, _, ok := (searchRange{since, since}).halves(); ok {
		t.Error("a single second was halved")
	}
}
