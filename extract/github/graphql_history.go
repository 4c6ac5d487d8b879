package github

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Linear ranges through GraphQL. GraphQL has no compare of two commits
// (Ref.compare needs branch or tag names), but Commit.history is "The
// linear commit history starting from (and including) this commit, in the
// same order as `git log`" (docs.github.com/graphql/reference/objects#commit).
// When every commit met walking head's history before base has exactly
// one parent, those commits are exactly what REST's compare base...head
// returns (reachable from head, not from base): nothing can join the walk
// but through a second parent. So a deployment's range is first asked for
// as the first page of its head's history, many ranges of a repository in
// one query; a range whose page holds a merge commit (or a root) before
// base, or does not reach base, goes to REST's compare as before
// (rangeOf): exactness first.
// TestGraphQLShipsMatchREST proves the rows equal.

const (
	// historyFirst is the commits of a head's history one query reads:
	// the bound of the walk. A longer range goes to REST, where a page of
	// 100 commits costs one request; each commit read costs a request
	// of GraphQL's formula for its parents connection.
	historyFirst = 10
	// historyBatch is how many ranges one CommitHistory query asks
	// about: each costs 1 + historyFirst requests of the formula
	// (docs.github.com "Rate limits and node limits for the GraphQL
	// API": the history connection, and the parents connection of each
	// of its commits), so 9 ranges are 99 requests, 1 point, and at most
	// 9 × (10 + 10 × 2) = 270 nodes.
	historyBatch = 9
)

// historyQuery asks for the first historyFirst commits of the history of
// n heads ($hI), with what commitInfo needs of each: the message whole, as
// REST's, whose first line is the title (messageHeadline may be
// shortened).
func historyQuery(n int) string {
	return batchQuery("CommitHistory", "", "h", "GitObjectID!", n, "object(oid: $V) { ...linearHistory }", fmt.Sprintf(`fragment linearHistory on Commit {
  history(first: %d) {
    nodes {
      oid authoredDate committedDate message url
      author { user { login } }
      parents(first: 2) { totalCount }
    }
  }
}`, historyFirst))
}

// gqlHistory is one head of a CommitHistory answer.
type gqlHistory struct {
	History struct {
		Nodes []struct {
			OID           string    `json:"oid"`
			AuthoredDate  time.Time `json:"authoredDate"`
			CommittedDate time.Time `json:"committedDate"`
			Message       string    `json:"message"`
			URL           string    `json:"url"`
			Author        *struct {
				User *struct {
					Login string `json:"login"`
				} `json:"user"`
			} `json:"author"`
			Parents struct {
				TotalCount int `json:"totalCount"`
			} `json:"parents"`
		} `json:"nodes"`
	} `json:"history"`
}

// commitRange is a deployment's range: the commits reachable from head
// and not from base.
type commitRange struct{ base, head string }

// linearRanges reads ranges through their heads' histories, in queries of
// historyBatch: the commits of each range found linear, as compare lists
// them, or nil for one REST must compare.
func (rr *repoRead) linearRanges(ctx context.Context, ranges []commitRange) ([][]commitInfo, error) {
	out := make([][]commitInfo, 0, len(ranges))
	for batch := range slices.Chunk(ranges, historyBatch) {
		vars := map[string]any{"owner": rr.owner, "name": rr.name}
		for i, r := range batch {
			vars["h"+strconv.Itoa(i)] = r.head
		}
		var data struct {
			RateLimit  gqlRateLimit           `json:"rateLimit"`
			Repository map[string]*gqlHistory `json:"repository"`
		}
		name := "commit history of " + rr.full
		if err := rr.s.graphql(ctx, name, historyQuery(len(batch)), vars, &data); err != nil {
			return nil, err
		}
		rr.s.spent(ctx, "CommitHistory", data.RateLimit)
		for i, r := range batch {
			out = append(out, data.Repository["h"+strconv.Itoa(i)].linear(r.base))
		}
	}
	return out, nil
}

// linear returns the commits of h's page before base, oldest first in
// compare's chronological order, when they are base...head exactly: base
// is met and every commit before it has one parent (the next one met).
// Else nil. An unknown head (nil)
// is nil too: REST's compare answers it.
func (h *gqlHistory) linear(base string) []commitInfo {
	if h == nil {
		return nil
	}
	var out []commitInfo
	for _, n := range h.History.Nodes {
		if n.OID == base {
			for i := range out {
				parent := base
				if i+1 < len(out) {
					parent = out[i+1].sha
				}
				out[i].parents = []string{parent}
			}
			slices.Reverse(out)
			// REST "returns commits in chronological order"
			// (docs.github.com/rest/commits/commits#compare-two-commits):
			// the walk's order, oldest first, unless committer dates
			// disagree with it.
			slices.SortStableFunc(out, func(a, b commitInfo) int { return a.committed.Compare(b.committed) })
			return out
		}
		if n.Parents.TotalCount != 1 {
			return nil
		}
		c := commitInfo{sha: n.OID, authored: n.AuthoredDate.UTC(), committed: n.CommittedDate.UTC(), url: n.URL}
		if n.Author != nil && n.Author.User != nil {
			c.author = n.Author.User.Login
		} else {
			// GitActor.user is a User: an app's bot (REST's
			// "name[bot]") and an author without an account are both
			// null. Only a lone commit's author is used; collapse reads
			// such a one's from REST (changes.go).
			c.unnamed = true
		}
		if c.committed.IsZero() {
			c.committed = c.authored
		}
		c.title, _, _ = strings.Cut(n.Message, "\n")
		out = append(out, c)
	}
	return nil
}
