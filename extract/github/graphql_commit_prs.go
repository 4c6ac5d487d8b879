package github

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The pull requests of shipped commits through GraphQL. Over REST, every
// shipped commit the pull request index cannot place costs GET
// /commits/{sha}/pulls (prOf), about 1.5 requests a deployment. GraphQL's
// twin is Commit.associatedPullRequests ("The merged Pull Request that
// introduced the commit to the repository. If the commit is not present
// in the default branch, additionally returns open Pull Requests
// associated with the commit", docs.github.com/graphql/reference/objects#commit;
// REST documents the same answer, docs.github.com/rest/commits/commits#list-pull-requests-associated-with-a-commit),
// and many commits can be asked about in one query with aliased
// repository.object(oid:) lookups. The answers are fetched ahead, for the
// commits of many deployments at once (shipQueue), and prOf takes them as
// it would take REST's: which commits are asked, and in which order their
// answers are used, stay the REST path's, so the rows do too
// (TestGraphQLShipsMatchREST).

const (
	// commitLookupBatch is how many commits one CommitPullRequests query
	// asks about. Its cost (docs.github.com "Rate limits and node limits
	// for the GraphQL API": the requests needed to fill each connection,
	// /100, rounded, at least 1) is one request per commit, so 100
	// commits cost 1 point, and it may return 100 × 100 = 10,000 pull
	// requests, far under the 500,000-node limit.
	commitLookupBatch = 100
	// prDetailsBatch is how many pull requests one PullRequestDetails
	// query reads in full: 3 connections each (labels, commits, reviews),
	// 3 points and at most 30,000 nodes for 100.
	prDetailsBatch = 100
	// commitPRsFirst is how many pull requests of a commit are read: the
	// first page, as REST's per_page=100 does (pullOf).
	commitPRsFirst = 100
)

// commitPRsQuery asks for the pull requests of n commits, each an aliased
// object(oid: $cI). The order is the schema's default, stated: creation,
// oldest first. REST does not document the order of GET
// /commits/{sha}/pulls, and it matters only for a commit in several
// merged pull requests none of which merged it (one off the default
// branch): both paths then take the first merged one listed.
func commitPRsQuery(n int) string {
	return batchQuery("CommitPullRequests", "", "c", "GitObjectID!", n, "object(oid: $V) { ...commitPRs }", fmt.Sprintf(`fragment commitPRs on Commit {
  associatedPullRequests(first: %d, orderBy: {field: CREATED_AT, direction: ASC}) {
    nodes { number mergedAt mergeCommit { oid } }
  }
}`, commitPRsFirst))
}

// prDetailsQuery reads n merged pull requests by number ($pI) with the
// fragment of the merged_pr listing, and the commits REST's base.sha and
// head.sha name (prStarted's range of a pull request of 250 commits).
func prDetailsQuery(n int) string {
	return batchQuery("PullRequestDetails", ", $paths: Boolean!", "p", "Int!", n, "pullRequest(number: $V) { ...mergedPR baseRefOid headRefOid }", mergedPRFragment)
}

// batchQuery builds a query named name that asks the same of n objects of
// one repository at once: field, with $V standing for the object's own
// variable ($prefixI, of varType), under the alias prefixI, after the
// query's variables ($owner, $name, then extraVars) and followed by
// fragments, the fragments field spreads. One query for many objects is
// what makes a batch cost one rate-limit point where REST spends a request
// per object.
func batchQuery(name, extraVars, prefix, varType string, n int, field, fragments string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "query %s($owner: String!, $name: String!%s", name, extraVars)
	for i := range n {
		fmt.Fprintf(&b, ", $%s%d: %s", prefix, i, varType)
	}
	b.WriteString(") {\n  rateLimit { cost remaining resetAt }\n  repository(owner: $owner, name: $name) {\n")
	for i := range n {
		alias := prefix + strconv.Itoa(i)
		fmt.Fprintf(&b, "    %s: %s\n", alias, strings.ReplaceAll(field, "$V", "$"+alias))
	}
	b.WriteString("  }\n}\n\n" + fragments)
	return b.String()
}

// gqlCommitPRs is one commit of a CommitPullRequests answer.
type gqlCommitPRs struct {
	AssociatedPullRequests struct {
		Nodes []struct {
			Number      int        `json:"number"`
			MergedAt    *time.Time `json:"mergedAt"`
			MergeCommit *struct {
				OID string `json:"oid"`
			} `json:"mergeCommit"`
		} `json:"nodes"`
	} `json:"associatedPullRequests"`
}

// gqlPRDetails is one pull request of a PullRequestDetails answer.
type gqlPRDetails struct {
	gqlPR
	BaseRefOID string `json:"baseRefOid"`
	HeadRefOID string `json:"headRefOid"`
}

// gqlPullOf is pullOf through GraphQL: the answer fetched ahead, or else
// fetched now with the other commits collapse is placing that may be
// asked about next.
func (rr *repoRead) gqlPullOf(ctx context.Context, sha string) (*prInfo, error) {
	if pr, ok := rr.idx.looked[sha]; ok {
		return pr, nil
	}
	want := []string{sha}
	if rr.idx.hint != nil {
		more, _, err := rr.lookAhead(ctx, rr.idx.hint)
		if err != nil {
			return nil, err
		}
		want = append(want, more...)
	}
	if err := rr.lookUp(ctx, want, nil); err != nil {
		return nil, err
	}
	return rr.idx.looked[sha], nil
}

// lookAhead returns the commits of one deployment that prOf may ask
// about (neither asked nor fetched, no merge commit the index knows, not
// brought in by such a merge commit of the range), and the pull requests
// the index places the others in. It pages the index as far as the
// commits' dates, as collapse would.
func (rr *repoRead) lookAhead(ctx context.Context, commits []commitInfo) (shas []string, known []*prInfo, err error) {
	pos := make(map[string]int, len(commits))
	for i, c := range commits {
		pos[c.sha] = i
	}
	claimed := make([]bool, len(commits))
	for i, c := range commits {
		pr, _, err := rr.idx.find(ctx, c.sha, c.committed)
		if err != nil {
			return nil, nil, err
		}
		if pr == nil {
			continue
		}
		claimed[i] = true
		known = append(known, pr)
		if len(c.parents) == 2 && pr.mergeSHA == c.sha {
			for _, j := range brought(commits, pos, c) {
				claimed[j] = true
			}
		}
	}
	for i, c := range commits {
		_, asked := rr.idx.asked[c.sha]
		_, looked := rr.idx.looked[c.sha]
		if !claimed[i] && !asked && !looked {
			shas = append(shas, c.sha)
		}
	}
	return shas, known, nil
}

// lookUp fetches the merged pull request of each commit in shas, in
// batches of commitLookupBatch, into idx.looked, choosing as pullOf
// does. A pull request the index does not hold, and every one in also
// (the pull requests the index placed other commits in) whose start or
// first review is not known yet, is then read in full (readDetails).
func (rr *repoRead) lookUp(ctx context.Context, shas []string, also []*prInfo) error {
	shas = slices.Compact(slices.Sorted(slices.Values(shas)))
	chosen := map[string]int{} // sha -> pull request number
	var numbers []int
	for batch := range slices.Chunk(shas, commitLookupBatch) {
		vars := map[string]any{"owner": rr.owner, "name": rr.name}
		for i, sha := range batch {
			vars["c"+strconv.Itoa(i)] = sha
		}
		var data struct {
			RateLimit  gqlRateLimit             `json:"rateLimit"`
			Repository map[string]*gqlCommitPRs `json:"repository"`
		}
		name := "pull requests of commits of " + rr.full
		if err := rr.s.graphql(ctx, name, commitPRsQuery(len(batch)), vars, &data); err != nil {
			return err
		}
		rr.s.spent(ctx, "CommitPullRequests", data.RateLimit)
		for i, sha := range batch {
			c := data.Repository["c"+strconv.Itoa(i)]
			if c == nil {
				// REST answers 422 "No commit found for SHA" (pullOf).
				return &graphqlError{query: name, errors: []gqlError{{Type: "NOT_FOUND", Message: "no commit " + sha + " in the answer"}}}
			}
			number, mergeSHA := 0, ""
			for _, n := range c.AssociatedPullRequests.Nodes {
				if n.MergedAt == nil {
					continue // open: no change yet
				}
				oid := ""
				if n.MergeCommit != nil {
					oid = n.MergeCommit.OID
				}
				if number == 0 || oid == sha {
					number, mergeSHA = n.Number, oid
				}
			}
			if number == 0 {
				rr.idx.looked[sha] = nil
				continue
			}
			if pr := rr.idx.byMerge[mergeSHA]; pr != nil && pr.number == number {
				rr.idx.looked[sha] = pr
				continue
			}
			chosen[sha] = number
			numbers = append(numbers, number)
		}
	}
	for _, pr := range also {
		key := prKey{repo: rr.full, number: pr.number}
		_, started := rr.s.started.get(key)
		_, reviewed := rr.s.reviewed.get(key)
		if !started || !reviewed {
			numbers = append(numbers, pr.number)
		}
	}
	if err := rr.readDetails(ctx, numbers); err != nil {
		return err
	}
	for sha, n := range chosen {
		rr.idx.looked[sha] = rr.idx.details[n]
	}
	return nil
}

// readDetails reads merged pull requests by number in full, in batches of
// prDetailsBatch, into idx.details, and notes each one's start and first
// review for prChange, as the merged_pr listing does; those read already
// are skipped.
func (rr *repoRead) readDetails(ctx context.Context, numbers []int) error {
	var need []int
	for _, n := range slices.Compact(slices.Sorted(slices.Values(numbers))) {
		if rr.idx.details[n] == nil {
			need = append(need, n)
		}
	}
	for batch := range slices.Chunk(need, prDetailsBatch) {
		vars := map[string]any{"owner": rr.owner, "name": rr.name, "paths": false}
		for i, n := range batch {
			vars["p"+strconv.Itoa(i)] = n
		}
		var data struct {
			RateLimit  gqlRateLimit             `json:"rateLimit"`
			Repository map[string]*gqlPRDetails `json:"repository"`
		}
		name := "pull requests of " + rr.full
		if err := rr.s.graphql(ctx, name, prDetailsQuery(len(batch)), vars, &data); err != nil {
			return err
		}
		rr.s.spent(ctx, "PullRequestDetails", data.RateLimit)
		for i, n := range batch {
			d := data.Repository["p"+strconv.Itoa(i)]
			if d == nil || d.MergedAt == nil {
				return &graphqlError{query: name, errors: []gqlError{{Type: "NOT_FOUND", Message: "no merged pull request #" + strconv.Itoa(n) + " in the answer"}}}
			}
			if err := rr.morePages(ctx, &d.gqlPR); err != nil {
				return err
			}
			info := prInfoOf(d.pullRequest())
			info.baseSHA, info.headSHA = d.BaseRefOID, d.HeadRefOID
			rr.idx.details[n] = info
			key := prKey{repo: rr.full, number: n}
			// A listing of 250 commits is GitHub's cap, REST's as
			// GraphQL's: prStarted then compares the range, so the
			// start is left to it.
			if earliest := d.earliestAuthored(); !earliest.IsZero() && len(d.Commits.Nodes) < prCommitsCap {
				rr.s.started.put(key, earliest)
			}
			rr.s.reviewed.put(key, d.firstReview())
		}
	}
	return nil
}
