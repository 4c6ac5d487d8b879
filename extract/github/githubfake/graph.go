package githubfake

import (
	"container/heap"
	"slices"
)

// Comparison is the result of comparing two commits as
// GET /compare/{base}...{head} does.
type Comparison struct {
	// Ahead are the commits reachable from head but not from base, oldest
	// first (by date, then topological order), as GitHub lists them.
	Ahead []int32
	// Behind counts the commits reachable from base but not from head.
	Behind int
	// MergeBase is the best common ancestor, NoCommit when the histories
	// are unrelated.
	MergeBase int32
}

// Status is GitHub's word for the comparison: identical, ahead, behind or
// diverged.
func (c *Comparison) Status() string {
	switch {
	case len(c.Ahead) == 0 && c.Behind == 0:
		return "identical"
	case c.Behind == 0:
		return "ahead"
	case len(c.Ahead) == 0:
		return "behind"
	}
	return "diverged"
}

// Compare walks the graph from both commits the way git's merge-base does:
// commits are visited highest index first, which is a reverse topological
// order because parents always have lower indexes, so a commit's marks are
// final when it is visited. The walk stops once every queued commit is
// reachable from both sides, so its cost is the distance to the merge base,
// not the size of the history.
func (r *Repo) Compare(base, head int32) Comparison {
	const fromHead, fromBase = 1, 2
	const both = fromHead | fromBase
	marks := map[int32]uint8{}
	q := &maxHeap{}
	pending := 0 // queued commits not yet marked from both sides
	mark := func(c int32, m uint8) {
		old, seen := marks[c]
		nm := old | m
		if seen && nm == old {
			return
		}
		marks[c] = nm
		switch {
		case !seen:
			heap.Push(q, c)
			if nm != both {
				pending++
			}
		case nm == both:
			pending--
		}
	}
	mark(head, fromHead)
	mark(base, fromBase)
	out := Comparison{MergeBase: NoCommit}
	for q.Len() > 0 && pending > 0 {
		c := heap.Pop(q).(int32)
		m := marks[c]
		switch m {
		case fromHead:
			out.Ahead = append(out.Ahead, c)
			pending--
		case fromBase:
			out.Behind++
			pending--
		default:
			if out.MergeBase == NoCommit {
				out.MergeBase = c
			}
		}
		for _, p := range r.Commits[c].Parents {
			if p != NoCommit {
				mark(p, m)
			}
		}
	}
	if out.MergeBase == NoCommit && q.Len() > 0 {
		out.MergeBase = (*q)[0]
	}
	slices.SortFunc(out.Ahead, func(a, b int32) int {
		if c := r.Commits[a].Date.Compare(r.Commits[b].Date); c != 0 {
			return c
		}
		return int(a - b)
	})
	return out
}

// maxHeap is a max-heap of commit indexes; its methods implement
// heap.Interface.
type maxHeap []int32

// Len, Less, Swap, Push and Pop implement heap.Interface, highest index
// first.
func (h maxHeap) Len() int           { return len(h) }
func (h maxHeap) Less(i, j int) bool { return h[i] > h[j] }
func (h maxHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *maxHeap) Push(x any)        { *h = append(*h, x.(int32)) }

// Pop removes the last element (heap.Pop has moved the maximum there).
func (h *maxHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
