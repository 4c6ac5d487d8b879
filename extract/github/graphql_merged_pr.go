package github

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v62/github"
)

// mergedPRsQuery lists a repository's merged pull requests, most recently
// updated first, 100 a query, each with its first 100 commits' author
// dates (started_at), labels and merge commit, and its changed files only
// when a block filters on paths. Its cost (docs.github.com "Rate limits
// and node limits for the GraphQL API"): 1 request for the pull requests
// plus 100 for each connection inside them, /100: 3 points, 4 with files;
// at most 40,100 nodes. Reviews come along for the stages of lead time
// (the first by someone other than the author), in the same query.
const mergedPRsQuery = `query MergedPullRequests($owner: String!, $name: String!, $base: String, $after: String, $paths: Boolean!) {
  rateLimit { cost remaining resetAt }
  repository(owner: $owner, name: $name) {
    pullRequests(states: MERGED, orderBy: {field: UPDATED_AT, direction: DESC}, baseRefName: $base, first: 100, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { ...mergedPR }
    }
  }
}
` + mergedPRFragment

// mergedPRFragment is what every query reads of a merged pull request
// (mergedPRsQuery, searchQuery, prDetailsQuery): its fields, and the
// first 100 of its labels, commits, reviews and (only for a paths filter)
// changed files; a query that spreads it declares $paths.
const mergedPRFragment = `fragment mergedPR on PullRequest {
  number
  title
  url
  createdAt
  updatedAt
  mergedAt
  baseRefName
  author { __typename login }
  mergeCommit { oid }
  labels(first: 100) { pageInfo { hasNextPage endCursor } nodes { name } }
  commits(first: 100) { pageInfo { hasNextPage endCursor } nodes { commit { authoredDate } } }
  reviews(first: 100) { pageInfo { hasNextPage endCursor } nodes { author { __typename login } submittedAt } }
  files(first: 100) @include(if: $paths) { pageInfo { hasNextPage endCursor } nodes { path changeType } }
}`

// morePRQuery reads the further pages of one pull request's labels,
// commits and files, for the few that have more than 100 of one.
const morePRQuery = `query PullRequestPages($owner: String!, $name: String!, $number: Int!,
    $labels: String, $commits: String, $reviews: String, $files: String,
    $moreLabels: Boolean!, $moreCommits: Boolean!, $moreReviews: Boolean!, $moreFiles: Boolean!) {
  rateLimit { cost remaining resetAt }
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      labels(first: 100, after: $labels) @include(if: $moreLabels) { pageInfo { hasNextPage endCursor } nodes { name } }
      commits(first: 100, after: $commits) @include(if: $moreCommits) { pageInfo { hasNextPage endCursor } nodes { commit { authoredDate } } }
      reviews(first: 100, after: $reviews) @include(if: $moreReviews) { pageInfo { hasNextPage endCursor } nodes { author { __typename login } submittedAt } }
      files(first: 100, after: $files) @include(if: $moreFiles) { pageInfo { hasNextPage endCursor } nodes { path changeType } }
    }
  }
}`

type gqlPageInfo struct {
	HasNextPage bool   `json:"hasNextPage"`
	EndCursor   string `json:"endCursor"`
}

type gqlLabels struct {
	PageInfo gqlPageInfo `json:"pageInfo"`
	Nodes    []struct {
		Name string `json:"name"`
	} `json:"nodes"`
}

type gqlCommits struct {
	PageInfo gqlPageInfo `json:"pageInfo"`
	Nodes    []struct {
		Commit struct {
			AuthoredDate time.Time `json:"authoredDate"`
		} `json:"commit"`
	} `json:"nodes"`
}

type gqlReviews struct {
	PageInfo gqlPageInfo `json:"pageInfo"`
	Nodes    []struct {
		Author *struct {
			Login string `json:"login"`
		} `json:"author"`
		SubmittedAt *time.Time `json:"submittedAt"`
	} `json:"nodes"`
}

type gqlFiles struct {
	PageInfo gqlPageInfo `json:"pageInfo"`
	Nodes    []struct {
		Path       string `json:"path"`
		ChangeType string `json:"changeType"`
	} `json:"nodes"`
}

// gqlPR is a merged pull request as mergedPRsQuery reads it.
type gqlPR struct {
	Number      int        `json:"number"`
	Title       string     `json:"title"`
	URL         string     `json:"url"`
	CreatedAt   time.Time  `json:"createdAt"`
	UpdatedAt   time.Time  `json:"updatedAt"`
	MergedAt    *time.Time `json:"mergedAt"`
	BaseRefName string     `json:"baseRefName"`
	Author      *struct {
		Typename string `json:"__typename"`
		Login    string `json:"login"`
	} `json:"author"`
	MergeCommit *struct {
		OID string `json:"oid"`
	} `json:"mergeCommit"`
	Labels  gqlLabels  `json:"labels"`
	Commits gqlCommits `json:"commits"`
	Reviews gqlReviews `json:"reviews"`
	Files   *gqlFiles  `json:"files"`
}

// firstReview is what prFirstReview finds over REST, from the reviews
// GraphQL listed: the earliest submitted before the merge by
// someone other than the author (a deleted account, no author, is someone
// else). Both logins are GraphQL's, so a bot compares to itself.
func (p *gqlPR) firstReview() time.Time {
	var first time.Time
	author := ""
	if p.Author != nil {
		author = p.Author.Login
	}
	for _, n := range p.Reviews.Nodes {
		if n.SubmittedAt == nil || (p.MergedAt != nil && !n.SubmittedAt.Before(*p.MergedAt)) ||
			(n.Author != nil && strings.EqualFold(n.Author.Login, author)) {
			continue
		}
		if at := n.SubmittedAt.UTC(); first.IsZero() || at.Before(first) {
			first = at
		}
	}
	return first
}

// earliestAuthored is the earliest author date among the commits listed
// of p (prStarted's answer when they are all of them); zero for none.
func (p *gqlPR) earliestAuthored() time.Time {
	var earliest time.Time
	for _, n := range p.Commits.Nodes {
		if t := n.Commit.AuthoredDate.UTC(); !t.IsZero() && (earliest.IsZero() || t.Before(earliest)) {
			earliest = t
		}
	}
	return earliest
}

// pullRequest is p as the REST API's pull request, so that the checks,
// the preview and the rows are the REST path's own.
func (p *gqlPR) pullRequest() *github.PullRequest {
	pr := &github.PullRequest{
		Number: github.Int(p.Number), Title: github.String(p.Title), HTMLURL: github.String(p.URL),
		CreatedAt: &github.Timestamp{Time: p.CreatedAt}, UpdatedAt: &github.Timestamp{Time: p.UpdatedAt},
		Base: &github.PullRequestBranch{Ref: github.String(p.BaseRefName)},
	}
	if p.MergedAt != nil {
		pr.MergedAt = &github.Timestamp{Time: *p.MergedAt}
	}
	if p.MergeCommit != nil {
		pr.MergeCommitSHA = github.String(p.MergeCommit.OID)
	}
	if p.Author != nil {
		login := p.Author.Login
		if p.Author.Typename == "Bot" {
			// GraphQL names a bot by its app's slug; the REST API, and
			// so every row doraflow has written, as slug[bot]
			// (docs.github.com/graphql/reference/objects#bot).
			login += "[bot]"
		}
		pr.User = &github.User{Login: github.String(login)}
	}
	for _, l := range p.Labels.Nodes {
		pr.Labels = append(pr.Labels, &github.Label{Name: github.String(l.Name)})
	}
	return pr
}

// readMergedPRsGraphQL is readMergedPRs through GraphQL: the same
// listing (merged, most recently updated first, stopping at the first
// pull request updated before since) and the same rows, in about 2
// points per 100 pull requests instead of a request per pull request for
// its commits. GraphQL has no conditional requests, so memos play no
// part.
func (rr *repoRead) readMergedPRsGraphQL(ctx context.Context) error {
	f := filtersOf(rr.block)
	var base any
	if f.BaseBranch != "" && rr.pv == nil {
		// A preview counts what base_branch removes.
		base = f.BaseBranch
	}
	paths := len(f.Paths) > 0
	var after any
	for {
		var data struct {
			RateLimit  gqlRateLimit `json:"rateLimit"`
			Repository *struct {
				PullRequests struct {
					PageInfo gqlPageInfo `json:"pageInfo"`
					Nodes    []*gqlPR    `json:"nodes"`
				} `json:"pullRequests"`
			} `json:"repository"`
		}
		vars := map[string]any{"owner": rr.owner, "name": rr.name, "base": base, "after": after, "paths": paths}
		if err := rr.s.graphql(ctx, "merged pull requests of "+rr.full, mergedPRsQuery, vars, &data); err != nil {
			return err
		}
		rr.s.spent(ctx, "MergedPullRequests", data.RateLimit)
		if data.Repository == nil {
			return &graphqlError{query: "merged pull requests of " + rr.full, errors: []gqlError{{Type: "NOT_FOUND", Message: "no repository in the answer"}}}
		}
		conn := data.Repository.PullRequests
		cov := coverage{w: rr.window}
		for _, p := range conn.Nodes {
			if more, err := rr.gqlMergedPR(ctx, p, &cov); !more || err != nil {
				return err
			}
		}
		if !conn.PageInfo.HasNextPage {
			return nil
		}
		after = conn.PageInfo.EndCursor
	}
}

// gqlMergedPR is mergedPR on a pull request a GraphQL listing read (per
// repository or by search): the block's checks, paths on the files it
// listed, and once it is merged in the window and before the checks, its
// pages past the first 100, its started_at and its first review, kept so
// that prChange finds them instead of asking REST.
func (rr *repoRead) gqlMergedPR(ctx context.Context, p *gqlPR, cov *coverage) (more bool, err error) {
	checks := rr.prChecks(func(ctx context.Context, pr *github.PullRequest) (bool, error) {
		return rr.gqlChangesPaths(ctx, pr, p)
	})
	complete := func(ctx context.Context, pr *github.PullRequest) error {
		if err := rr.morePages(ctx, p); err != nil {
			return err
		}
		*pr = *p.pullRequest() // labels past the first 100
		if earliest := p.earliestAuthored(); !earliest.IsZero() {
			// prStarted finds it here instead of listing the commits.
			rr.s.started.put(prKey{repo: rr.full, number: p.Number}, earliest)
		}
		// And prFirstReview here instead of listing the reviews.
		rr.s.reviewed.put(prKey{repo: rr.full, number: p.Number}, p.firstReview())
		return nil
	}
	return rr.mergedPR(ctx, p.pullRequest(), checks, cov, complete)
}

// morePages reads the labels, commits, reviews and files of p past the
// first 100, into p.
func (rr *repoRead) morePages(ctx context.Context, p *gqlPR) error {
	for {
		moreFiles := p.Files != nil && p.Files.PageInfo.HasNextPage
		if !p.Labels.PageInfo.HasNextPage && !p.Commits.PageInfo.HasNextPage && !p.Reviews.PageInfo.HasNextPage && !moreFiles {
			return nil
		}
		vars := map[string]any{"owner": rr.owner, "name": rr.name, "number": p.Number,
			"labels": p.Labels.PageInfo.EndCursor, "commits": p.Commits.PageInfo.EndCursor, "reviews": p.Reviews.PageInfo.EndCursor, "files": nil,
			"moreLabels": p.Labels.PageInfo.HasNextPage, "moreCommits": p.Commits.PageInfo.HasNextPage,
			"moreReviews": p.Reviews.PageInfo.HasNextPage, "moreFiles": moreFiles}
		if p.Files != nil {
			vars["files"] = p.Files.PageInfo.EndCursor
		}
		var data struct {
			RateLimit  gqlRateLimit `json:"rateLimit"`
			Repository struct {
				PullRequest struct {
					Labels  *gqlLabels  `json:"labels"`
					Commits *gqlCommits `json:"commits"`
					Reviews *gqlReviews `json:"reviews"`
					Files   *gqlFiles   `json:"files"`
				} `json:"pullRequest"`
			} `json:"repository"`
		}
		if err := rr.s.graphql(ctx, "pages of "+rr.full+"#"+strconv.Itoa(p.Number), morePRQuery, vars, &data); err != nil {
			return err
		}
		rr.s.spent(ctx, "PullRequestPages", data.RateLimit)
		if l := data.Repository.PullRequest.Labels; l != nil {
			p.Labels.Nodes = append(p.Labels.Nodes, l.Nodes...)
			p.Labels.PageInfo = l.PageInfo
		}
		if c := data.Repository.PullRequest.Commits; c != nil {
			p.Commits.Nodes = append(p.Commits.Nodes, c.Nodes...)
			p.Commits.PageInfo = c.PageInfo
		}
		if r := data.Repository.PullRequest.Reviews; r != nil {
			p.Reviews.Nodes = append(p.Reviews.Nodes, r.Nodes...)
			p.Reviews.PageInfo = r.PageInfo
		}
		if f := data.Repository.PullRequest.Files; f != nil {
			p.Files.Nodes = append(p.Files.Nodes, f.Nodes...)
			p.Files.PageInfo = f.PageInfo
		}
	}
}

// gqlChangesPaths is the paths check on the files GraphQL listed. GraphQL
// does not name a renamed file's old path, which the REST check also
// matches: a pull request with a rename and no match among the new paths
// is asked about through the REST API (changesPaths).
func (rr *repoRead) gqlChangesPaths(ctx context.Context, pr *github.PullRequest, p *gqlPR) (bool, error) {
	if p == nil || p.Files == nil {
		return rr.changesPaths(ctx, pr)
	}
	f := filtersOf(rr.block)
	renamed := false
	for _, n := range p.Files.Nodes {
		if globMatchAny(f.Paths, n.Path) {
			return true, nil
		}
		renamed = renamed || n.ChangeType == "RENAMED"
	}
	if renamed {
		return rr.changesPaths(ctx, pr)
	}
	return false, nil
}
