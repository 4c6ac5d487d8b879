package githubfake

import (
	"slices"
	"testing"
)

func TestBuilderMergeShapes(t *testing.T) {
	f := newFixture(t)
	r := f.repo
	lone1, _ := r.CommitIndex(f.lone1)
	squash := &r.Commits[f.pr1.MergeCommit]
	merge := &r.Commits[f.pr2.MergeCommit]

	if squash.NumParents() != 1 || squash.Parents[0] != lone1 {
		t.Errorf("squash commit parents = %v, want only lone1 (%d)", squash.Parents, lone1)
	}
	if squash.PR != 1 || squash.Message != "Add login (#1)" {
		t.Errorf("squash commit = PR %d %q", squash.PR, squash.Message)
	}
	if merge.NumParents() != 2 || merge.Parents[0] != f.pr1.MergeCommit || merge.Parents[1] != f.pr2.HeadCommit() {
		t.Errorf("merge commit parents = %v, want [squash, #2 head]", merge.Parents)
	}
	main, _ := r.Branch("main")
	if got := r.SHAOf(main); got != f.lone2 {
		t.Errorf("main head = %s, want lone2 %s", got, f.lone2)
	}
	// Merged and closed head branches are deleted; the open one stays.
	for name, want := range map[string]bool{"feature/1": false, "feature/2": false, "feature/4": true} {
		if _, ok := r.Branch(name); ok != want {
			t.Errorf("branch %s exists = %v, want %v", name, ok, want)
		}
	}
	for _, tc := range []struct {
		pr     PullRequest
		state  string
		merged bool
		method MergeMethod
	}{
		{f.pr1, "closed", true, MergeSquash},
		{f.pr2, "closed", true, MergeCommit},
		{f.pr3, "closed", false, NotMerged},
		{f.pr4, "open", false, NotMerged},
	} {
		if tc.pr.State() != tc.state || tc.pr.Merged() != tc.merged || tc.pr.Merge != tc.method {
			t.Errorf("#%d: state %s merged %v method %v, want %s %v %v", tc.pr.Number, tc.pr.State(), tc.pr.Merged(), tc.pr.Merge, tc.state, tc.merged, tc.method)
		}
	}
}

func TestCompare(t *testing.T) {
	f := newFixture(t)
	r := f.repo
	idx := func(s SHA) int32 {
		t.Helper()
		i, ok := r.CommitIndex(s)
		if !ok {
			t.Fatalf("no commit %s", s)
		}
		return i
	}
	p1a, p1b := f.pr1.FirstCommit, f.pr1.FirstCommit+1
	p2a, p2b := f.pr2.FirstCommit, f.pr2.FirstCommit+1
	sq, mc := f.pr1.MergeCommit, f.pr2.MergeCommit
	for _, tc := range []struct {
		name       string
		base, head int32
		ahead      []int32
		behind     int
		status     string
		mergeBase  int32
	}{
		{"squash adds one new commit", idx(f.lone1), sq, []int32{sq}, 0, "ahead", idx(f.lone1)},
		{"merge commit brings the PR's commits", sq, mc, []int32{p2a, p2b, mc}, 0, "ahead", sq},
		{"backwards is behind", mc, idx(f.lone1), nil, 4, "behind", idx(f.lone1)},
		{"squashed branch diverges from main", p1b, idx(f.lone2), []int32{sq, p2a, p2b, mc, idx(f.lone2)}, 2, "diverged", idx(f.lone1)},
		{"identical", mc, mc, nil, 0, "identical", mc},
		{"from the root", idx(f.root), idx(f.lone1), []int32{idx(f.lone1)}, 0, "ahead", idx(f.root)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := r.Compare(tc.base, tc.head)
			if !slices.Equal(got.Ahead, tc.ahead) || got.Behind != tc.behind || got.Status() != tc.status || got.MergeBase != tc.mergeBase {
				t.Errorf("Compare = ahead %v behind %d %s base %d, want %v %d %s %d", got.Ahead, got.Behind, got.Status(), got.MergeBase, tc.ahead, tc.behind, tc.status, tc.mergeBase)
			}
		})
	}
	_ = p1a
}

func TestCompareMatchesFullWalk(t *testing.T) {
	// The bounded merge-base walk must agree with brute-force
	// reachability on a generated graph with many merges.
	o := Generate(3, Size{Repos: 3, PRsPerRepo: 60, LoneCommitsPerRepo: 10})
	r := o.Repos[0]
	reach := func(from int32) map[int32]bool {
		seen := map[int32]bool{}
		stack := []int32{from}
		for len(stack) > 0 {
			c := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[c] {
				continue
			}
			seen[c] = true
			for _, p := range r.Commits[c].Parents {
				if p != NoCommit {
					stack = append(stack, p)
				}
			}
		}
		return seen
	}
	n := int32(len(r.Commits))
	for k := int32(0); k < 40; k++ {
		base, head := (k*7919)%n, (k*104729+13)%n
		got := r.Compare(base, head)
		rb, rh := reach(base), reach(head)
		ahead, behind := 0, 0
		for c := range rh {
			if !rb[c] {
				ahead++
			}
		}
		for c := range rb {
			if !rh[c] {
				behind++
			}
		}
		if len(got.Ahead) != ahead || got.Behind != behind {
			t.Fatalf("Compare(%d, %d) = ahead %d behind %d, brute force %d %d", base, head, len(got.Ahead), got.Behind, ahead, behind)
		}
		for _, c := range got.Ahead {
			if rb[c] || !rh[c] {
				t.Fatalf("Compare(%d, %d) lists %d, which is not head-only", base, head, c)
			}
		}
		for i := 1; i < len(got.Ahead); i++ {
			if r.Commits[got.Ahead[i]].Date.Before(r.Commits[got.Ahead[i-1]].Date) {
				t.Fatalf("Compare(%d, %d) is not oldest first", base, head)
			}
		}
	}
}

func TestResolveRef(t *testing.T) {
	f := newFixture(t)
	r := f.repo
	mc := f.pr2.MergeCommit
	for _, tc := range []struct {
		ref  string
		want int32
		ok   bool
	}{
		{f.merge.String(), mc, true},
		{f.merge.String()[:10], mc, true},
		{"main", mustIndex(r, f.lone2), true},
		{"refs/heads/main", mustIndex(r, f.lone2), true},
		{"main~1", mc, true},
		{"main^", mc, true},
		{"main~1^2", f.pr2.HeadCommit(), true},
		{"v1.0.0", f.pr1.MergeCommit, true},
		{"refs/tags/v0.9.0", mustIndex(r, f.lone1), true},
		{"nope", NoCommit, false},
		{"main~99", NoCommit, false},
	} {
		got, ok := resolveRef(r, tc.ref)
		if got != tc.want || ok != tc.ok {
			t.Errorf("resolveRef(%q) = %d, %v; want %d, %v", tc.ref, got, ok, tc.want, tc.ok)
		}
	}
}

func mustIndex(r *Repo, s SHA) int32 {
	i, ok := r.CommitIndex(s)
	if !ok {
		panic("no commit " + s.String())
	}
	return i
}

func TestNaturalCompare(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		sign int
	}{
		{"v1.10.0", "v1.9.0", 1},
		{"v1.2.0", "v1.2.0-rc.1", 1},
		{"v2", "v10", -1},
		{"a", "a", 0},
	} {
		got := naturalCompare(tc.a, tc.b)
		if (got > 0) != (tc.sign > 0) || (got < 0) != (tc.sign < 0) {
			t.Errorf("naturalCompare(%q, %q) = %d, want sign %d", tc.a, tc.b, got, tc.sign)
		}
	}
}
