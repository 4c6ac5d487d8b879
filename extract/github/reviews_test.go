package github_test

import (
	"os"
	"strconv"
	"testing"
	"time"

	"doraflow"
	"doraflow/extract/github"
	"doraflow/extract/github/githubfake"
)

// TestFirstReview reads each merged pull request's first review as
// docs/metrics.md defines it — the earliest submitted before the merge by
// someone other than the author — through REST and, with GitHub's schema
// at hand, GraphQL alike: the author's own reviews, a review stamped
// with the merge's second and one after the merge do not count.
func TestFirstReview(t *testing.T) {
	o := githubfake.NewOrg("acme", monthUntil)
	o.AddPerson("alice", "Alice Example", "alice@acme.example")
	o.AddPerson("bob", "Bob Example", "bob@acme.example")
	o.AddPerson("carol", "Carol Example", "carol@acme.example")
	r := o.AddRepo("api")
	r.AddCommit(githubfake.CommitSpec{Message: "Initial commit", At: at(0)})
	merged := func(title string, opened, merge float64) int {
		pr := r.AddPR(githubfake.PRSpec{Title: title, Author: "alice", CreatedAt: at(opened), Merge: githubfake.MergeSquash, MergedAt: at(merge)})
		return pr.Number
	}
	cases := []struct {
		title   string
		reviews func(n int)
		want    time.Time // zero: no review counts
	}{
		{"others review", func(n int) {
			r.ReviewPR(n, "alice", "COMMENTED", at(2))
			r.ReviewPR(n, "carol", "APPROVED", at(4))
			r.ReviewPR(n, "bob", "CHANGES_REQUESTED", at(3))
		}, at(3)},
		{"only its author", func(n int) { r.ReviewPR(n, "alice", "APPROVED", at(3)) }, time.Time{}},
		{"in the merge's second", func(n int) { r.ReviewPR(n, "bob", "APPROVED", at(5)) }, time.Time{}},
		{"after the merge", func(n int) { r.ReviewPR(n, "bob", "COMMENTED", at(6)) }, time.Time{}},
		{"a dismissed review counts", func(n int) { r.ReviewPR(n, "bob", "DISMISSED", at(4.5)) }, at(4.5)},
		{"none", func(int) {}, time.Time{}},
	}
	want := map[string]time.Time{}
	for _, c := range cases {
		n := merged(c.title, 1, 5)
		c.reviews(n)
		want["acme/api#pr-"+strconv.Itoa(n)] = c.want
	}
	b := block(doraflow.MethodMergedPR, nil)
	apis := []string{github.APIREST}
	schema := os.Getenv(githubfake.SchemaEnv) != ""
	if schema {
		apis = append(apis, github.APIGraphQL)
	}
	for _, api := range apis {
		t.Run(api, func(t *testing.T) {
			opts := githubfake.Options{}
			if api == github.APIGraphQL {
				opts.GraphQLSchema = needSchema(t)
			}
			srv := startFake(t, o, opts)
			src := newSource(t, srv.URL(), newClock(monthUntil), func(o *github.Options) { o.API = api })
			got, _ := read(t, src, b, monthSince, monthUntil, nil)
			if len(got.changes) != len(want) {
				t.Fatalf("%d changes, want %d", len(got.changes), len(want))
			}
			for id, w := range want {
				c := got.changes[id]
				if !c.FirstReviewAt.Equal(w) || !c.OpenedAt.Equal(at(1)) || !c.MergedAt.Equal(at(5)) {
					t.Errorf("%s (%s): first review %v, opened %v, merged %v; want %v, %v, %v", id, c.Title, c.FirstReviewAt, c.OpenedAt, c.MergedAt, w, at(1), at(5))
				}
			}
		})
	}
	if !schema {
		t.Logf("%s is not set: GraphQL's first reviews are not checked here (make test sets it)", githubfake.SchemaEnv)
	}
}
