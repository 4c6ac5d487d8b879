package metrics

import (
	"cmp"
	"slices"

	"doraflow"
)

// entry is one value of a multiset and its count.
type entry struct{ v, n int64 }

// tally merges multisets as they come: it appends their entries and
// now and then sorts and sums them. That is several times faster than
// adding into a map, whose random access dominates when most values are
// distinct (lead times in seconds mostly are), and it holds no more than
// about twice the entries a map would.
type tally struct {
	es []entry
	// merged is how many entries es held after the last merge, all of
	// them distinct and in order.
	merged int
}

// add merges m into t.
func (t *tally) add(m doraflow.Multiset) {
	for v, n := range m {
		if n != 0 {
			t.es = append(t.es, entry{v, n})
		}
	}
	// Merging when the entries have doubled keeps the total work at
	// O(n log n) and memory in proportion to the distinct values.
	if len(t.es) >= 4096 && len(t.es) >= 2*t.merged {
		t.merge()
	}
}

// merge sorts the entries by value and sums the counts of equal values,
// dropping those that sum to zero. Negative sums stay: a retraction may
// meet its original later.
func (t *tally) merge() {
	slices.SortFunc(t.es, func(a, b entry) int { return cmp.Compare(a.v, b.v) })
	out := t.es[:0]
	for _, e := range t.es {
		if len(out) > 0 && out[len(out)-1].v == e.v {
			out[len(out)-1].n += e.n
		} else {
			out = append(out, e)
		}
		if out[len(out)-1].n == 0 {
			out = out[:len(out)-1]
		}
	}
	t.es, t.merged = out, len(out)
}

// summary describes a merged multiset: how many values it holds and their
// median, 90th percentile and mean (nil when it holds none).
type summary struct {
	n                 int64
	median, p90, mean *float64
}

// summarize merges t and computes its summary on the distinct values,
// never expanding them: a million changes with a few thousand distinct
// lead times cost a few thousand entries. Values whose count is not
// positive once everything is merged are ignored (see [doraflow.Multiset]).
func (t *tally) summarize() summary {
	t.merge()
	es := make([]entry, 0, len(t.es))
	var n int64
	for _, e := range t.es {
		if e.n > 0 {
			es = append(es, e)
			n += e.n
		}
	}
	if n == 0 {
		return summary{}
	}
	// Summing in value order makes the mean independent of the input
	// order even when the sum is too large for float64 to hold exactly.
	var sum float64
	for _, e := range es {
		sum += float64(e.v) * float64(e.n)
	}
	mean := sum / float64(n)
	median := quantile(es, n, 1, 2)
	p90 := quantile(es, n, 9, 10)
	return summary{n: n, median: &median, p90: &p90, mean: &mean}
}

// quantile returns the num/den quantile of the n values in es (sorted,
// n > 0) by "type 7" linear interpolation between the closest ranks: the
// value at 0-based rank h = (n-1)·num/den.
//
// The rank is split into an integer part and a remainder in integers, and
// the interpolation is a single division of an exact numerator, so results
// such as 2.5 or 8.1 are the nearest float64 and print as such.
func quantile(es []entry, n, num, den int64) float64 {
	h := (n - 1) * num
	lo, rem := h/den, h%den
	a := valueAt(es, lo)
	if rem == 0 {
		return float64(a)
	}
	b := valueAt(es, lo+1)
	return (float64(a)*float64(den-rem) + float64(b)*float64(rem)) / float64(den)
}

// valueAt returns the value at 0-based rank r of the sorted multiset es by
// walking the cumulative counts.
func valueAt(es []entry, r int64) int64 {
	for _, e := range es {
		if r < e.n {
			return e.v
		}
		r -= e.n
	}
	panic("metrics: rank beyond the multiset") // callers pass r < n
}
