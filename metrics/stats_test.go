package metrics

import "testing"

// summarize summarizes a single multiset.
func summarize(m Multiset) summary {
	var t tally
	t.add(m)
	return t.summarize()
}

func TestSummarize(t *testing.T) {
	tests := []struct {
		name              string
		m                 Multiset
		n                 int64
		median, p90, mean *float64
	}{
		{"nil", nil, 0, nil, nil, nil},
		{"empty", Multiset{}, 0, nil, nil, nil},
		{"only retractions and zeros", Multiset{5: 0, 7: -2}, 0, nil, nil, nil},
		{"single value", Multiset{42: 1}, 1, f(42), f(42), f(42)},
		{"single value many times", Multiset{42: 1000}, 1000, f(42), f(42), f(42)},
		// The contract's examples.
		{"1,2,3,4", Multiset{1: 1, 2: 1, 3: 1, 4: 1}, 4, f(2.5), f(3.7), f(2.5)},
		{"0..9", Multiset{0: 1, 1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 6: 1, 7: 1, 8: 1, 9: 1}, 10, f(4.5), f(8.1), f(4.5)},
		// 10,10,10,20: median = rank 1.5 = 10; p90 = rank 2.7 = 10 + 0.7·10.
		{"counts", Multiset{20: 1, 10: 3}, 4, f(10), f(17), f(12.5)},
		// Entries whose count is not positive are ignored.
		{"with retractions", Multiset{5: 0, 7: -2, 9: 1, 11: 1}, 2, f(10), f(10.8), f(10)},
		// A million values on two keys: rank 499999.5 straddles them.
		{"large counts", Multiset{100: 500000, 200: 500000}, 1000000, f(150), f(200), f(150)},
		// Order of insertion does not matter; keys are sorted numerically.
		{"unsorted keys", Multiset{3600: 1, 60: 1, 600: 1}, 3, f(600), f(3000), f(1420)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := summarize(tt.m)
			if s.n != tt.n {
				t.Errorf("n = %d, want %d", s.n, tt.n)
			}
			for _, c := range []struct {
				name      string
				got, want *float64
			}{{"median", s.median, tt.median}, {"p90", s.p90, tt.p90}, {"mean", s.mean, tt.mean}} {
				if !sameFloat(c.got, c.want) {
					t.Errorf("%s = %s, want %s", c.name, fstr(c.got), fstr(c.want))
				}
			}
		})
	}
}

// The interpolation is one division of an exact numerator, so the
// contract's examples are the float64 nearest to them and print as such.
func TestQuantilePrintsExactly(t *testing.T) {
	s := summarize(Multiset{0: 1, 1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 6: 1, 7: 1, 8: 1, 9: 1})
	if got := formatSeconds(*s.p90); got != "8.1" {
		t.Errorf("p90 of 0..9 prints as %s, want 8.1", got)
	}
}

// A tally merges as it grows; retractions must survive a merge that comes
// before their originals, and the result must not depend on when merges
// happen.
func TestTallyMergesAsItGrows(t *testing.T) {
	var tl tally
	// Retractions first, then more than enough distinct values to merge
	// several times, then the originals of the retractions.
	for v := range int64(100) {
		tl.add(Multiset{-v - 1: -1})
	}
	for v := range int64(20000) {
		tl.add(Multiset{v: 1})
		tl.add(Multiset{v % 10: 1})
	}
	for v := range int64(100) {
		tl.add(Multiset{-v - 1: 1})
	}
	if len(tl.es) > 2*20000+100 {
		t.Errorf("tally holds %d entries for 20000 distinct values", len(tl.es))
	}
	s := tl.summarize()
	// 0..19999 once, 0..9 another 2000 times each: 40000 values.
	if s.n != 40000 || *s.median != 9 || *s.p90 != 15999.1 {
		t.Errorf("n %d, median %s, p90 %s", s.n, fstr(s.median), fstr(s.p90))
	}
	if again := tl.summarize(); again.n != s.n || *again.p90 != *s.p90 {
		t.Errorf("second summary differs: %+v", again)
	}
}
