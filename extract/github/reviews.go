package github

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v62/github"
)

// prFirstReview is a merged pull request's first review by someone other
// than its author submitted before its merge (docs/metrics.md,
// "Stages"); zero when there is none. It reads the review list over REST
// (GET /pulls/{n}/reviews, all pages: one request per merged pull request
// nearly always). GitHub lists reviews in chronological order
// (https://docs.github.com/en/rest/pulls/reviews#list-reviews-for-a-pull-request),
// but the earliest is taken whatever the order. The list shows submitted
// reviews only (a pending review is its author's draft), dismissed ones
// included: a dismissed review was still a review. GitHub's times are whole
// seconds; docs/metrics.md asks for a review before the merge, so one stamped
// with the merge's own second does not count. What happened before a merge does not change after
// it, so the answer is kept for later reads, "none" included.
//
// A GraphQL reader of pull requests fills the same field
// (doraflow.Change.FirstReviewAt) from its own query; this is the REST
// path.
func (rr *repoRead) prFirstReview(ctx context.Context, pr *prInfo) (time.Time, error) {
	key := prKey{repo: rr.full, number: pr.number}
	if t, ok := rr.s.reviewed.get(key); ok {
		return t, nil
	}
	var first time.Time
	fetch := func(ctx context.Context, page int) ([]*github.PullRequestReview, *github.Response, error) {
		return rr.s.gh.PullRequests.ListReviews(ctx, rr.owner, rr.name, pr.number, &github.ListOptions{PerPage: perPage, Page: page})
	}
	err := pageThrough(ctx, listing{endpoint: rr.endpoint("/pulls/" + strconv.Itoa(pr.number) + "/reviews")}, fetch,
		func(reviews []*github.PullRequestReview, _ *coverage) (bool, error) {
			for _, rv := range reviews {
				at := rv.GetSubmittedAt().Time.UTC()
				// A deleted account shows as no user (null), which is
				// someone else than the author all the same.
				if at.IsZero() || !at.Before(pr.merged) || strings.EqualFold(rv.GetUser().GetLogin(), pr.author) {
					continue
				}
				if first.IsZero() || at.Before(first) {
					first = at
				}
			}
			return true, nil
		})
	if err != nil {
		return time.Time{}, err
	}
	rr.s.reviewed.put(key, first)
	return first, nil
}
