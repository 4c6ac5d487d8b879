package github

import (
	"doraflow"
	"testing"
	"time"
)

func day0(d int) time.Time { return time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d) }

func TestMemoCovers(t *testing.T) {
	tests := []struct {
		name string
		m    memo
		w    window
		want bool
	}{
		{"unbounded covers anything", memo{}, window{day0(-100), day0(100)}, true},
		{"read from day 10: not an earlier window", memo{lo: day0(10)}, window{day0(5), day0(20)}, false},
		{"read from day 10: a later since", memo{lo: day0(10)}, window{day0(12), day0(40)}, true},
		{"read until day 20: not a later until", memo{hi: day0(20)}, window{day0(12), day0(21)}, false},
		{"read until day 20: an earlier until", memo{hi: day0(20)}, window{day0(12), day0(20)}, true},
	}
	for _, tt := range tests {
		if got := tt.m.covers(tt.w); got != tt.want {
			t.Errorf("%s: covers = %v", tt.name, got)
		}
	}
}

func TestMemoMerge(t *testing.T) {
	tests := []struct {
		name     string
		m, old   memo
		wantLo   time.Time
		wantHi   time.Time
		wantSame bool
	}{
		{"overlapping windows of the same page: their union", memo{etag: `"a"`, lo: day0(10), hi: day0(20)}, memo{etag: `"a"`, lo: day0(5), hi: day0(15)}, day0(5), day0(20), false},
		{"unbounded old side wins", memo{etag: `"a"`, lo: day0(10)}, memo{etag: `"a"`, hi: day0(30)}, time.Time{}, time.Time{}, false},
		{"disjoint: the new one", memo{etag: `"a"`, lo: day0(10), hi: day0(20)}, memo{etag: `"a"`, lo: day0(25), hi: day0(30)}, day0(10), day0(20), true},
		{"another page content: the new one", memo{etag: `"b"`, lo: day0(10)}, memo{etag: `"a"`}, day0(10), time.Time{}, true},
	}
	for _, tt := range tests {
		got := tt.m.merge(tt.old)
		if !got.lo.Equal(tt.wantLo) || !got.hi.Equal(tt.wantHi) {
			t.Errorf("%s: [%v, %v), want [%v, %v)", tt.name, got.lo, got.hi, tt.wantLo, tt.wantHi)
		}
	}
}

func TestMemoEncoding(t *testing.T) {
	for _, m := range []memo{
		{etag: `"3f2a"`, more: true},
		{etag: `W/"x y"`, lo: day0(1), hi: day0(2).Add(time.Nanosecond)},
	} {
		got, ok := parseMemo(m.String())
		if !ok || got.etag != m.etag || got.more != m.more || !got.lo.Equal(m.lo) || !got.hi.Equal(m.hi) {
			t.Errorf("%q decoded as %+v, %v", m.String(), got, ok)
		}
	}
	for _, bad := range []string{"", `"etag"`, "m1 - - true", "m0 - - true x", "m1 x - true y", "m1 - - maybe y"} {
		if _, ok := parseMemo(bad); ok {
			t.Errorf("parseMemo(%q) accepted it", bad)
		}
	}
}

func TestAfterNotModified(t *testing.T) {
	w := window{day0(0), day0(30)}
	key := func(page string) string {
		return "repos/acme/api/pulls?direction=desc&page=" + page + "&per_page=100&sort=updated&state=closed"
	}
	ms := &memoSet{window: w, old: map[string]memo{
		key("1"): {etag: "1", more: true},
		key("2"): {etag: "2", more: true},
		key("3"): {etag: "3", lo: day0(10)}, // read for a later since: does not cover w
	}}
	if got := ms.afterNotModified(key("1"), 1, true); got != 3 {
		t.Errorf("top listing: next page %d, want 3 (2 is covered and unchanged, 3 is not covered)", got)
	}
	if got := ms.afterNotModified(key("1"), 1, false); got != 2 {
		t.Errorf("other listing: next page %d, want 2", got)
	}
	ms.old[key("3")] = memo{etag: "3"}
	if got := ms.afterNotModified(key("1"), 1, true); got != 0 {
		t.Errorf("top listing, all covered: next page %d, want none", got)
	}
}

func TestBlockFingerprint(t *testing.T) {
	b := doraflow.Block{Name: "x", Method: "merged_pr", Filters: doraflow.Filters{"labels": []string{"a", "b"}}, Line: 3}
	moved := b
	moved.Line = 40
	relabelled := b
	relabelled.Filters = doraflow.Filters{"labels": []string{"ab"}}
	if blockFingerprint(b) != blockFingerprint(moved) {
		t.Error("moving a block in the file changed its fingerprint")
	}
	if blockFingerprint(b) == blockFingerprint(relabelled) {
		t.Error("labels [a b] and [ab] share a fingerprint")
	}
}

func TestCreatedRange(t *testing.T) {
	r := createdRange{day0(0), day0(31)}
	if got := r.String(); got != "2024-05-01..2024-05-31" {
		t.Errorf("String %q", got)
	}
	a, b, ok := r.halves()
	if !ok || !a.hi.Equal(day0(15)) || a.String() != "2024-05-01..2024-05-15" || b.String() != "2024-05-16..2024-05-31" {
		t.Errorf("halves %v %v", a, b)
	}
	oneDay := createdRange{day0(3), day0(4)}
	a, b, ok = oneDay.halves()
	if !ok || a.String() != "2024-05-04T00:00:00Z..2024-05-04T11:59:59Z" || b.String() != "2024-05-04T12:00:00Z..2024-05-04T23:59:59Z" {
		t.Errorf("a day halves into %q and %q", a, b)
	}
	if _, _, ok := (createdRange{day0(0), day0(0).Add(time.Second)}).halves(); ok {
		t.Error("a second was split")
	}
}

func TestStartCacheBounded(t *testing.T) {
	c := newStartCache(2)
	at := time.Unix(1_700_000_000, 0).UTC()
	for n := range 5 {
		c.put(prKey{"acme/api", n}, at)
	}
	if _, ok := c.get(prKey{"acme/api", 0}); ok {
		t.Error("the oldest entry outlived two generations")
	}
	if got, ok := c.get(prKey{"acme/api", 4}); !ok || !got.Equal(at) {
		t.Errorf("the newest entry: %v %v", got, ok)
	}
	if len(c.cur)+len(c.old) > 4 {
		t.Errorf("%d entries kept, at most 4", len(c.cur)+len(c.old))
	}
}
