package githubfake

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Query.search, for pull requests: search(query:, type: ISSUE, first:,
// after:) (https://docs.github.com/en/graphql/reference/queries#search).
// The fake models the qualifiers an organisation-wide listing of merged
// pull requests needs, as "Searching issues and pull requests" documents
// them (https://docs.github.com/en/search-github/searching-on-github/searching-issues-and-pull-requests):
//
//   - org:LOGIN and user:LOGIN, the repositories of an organisation and
//     of a personal account ("Search within a user's or organization's
//     repositories",
//     https://docs.github.com/en/search-github/searching-on-github/searching-issues-and-pull-requests#search-within-a-users-or-organizations-repositories).
//     The docs give user:USERNAME for a user and org:ORGNAME for an
//     organisation and say nothing of the other way round: the fake
//     answers 0 results to org: on a user (Org.User) and to user: on an
//     organisation. Of what GitHub might do (an error, 0 results, or the
//     same matches) that is the dangerous one, a search that silently
//     finds nothing, so a test proves the extractor sends the documented
//     qualifier; an owner the fake does not know is an error, as on
//     GitHub;
//   - is:pr and is:merged ("Search by pull request or issue", "Search
//     based on whether a pull request is merged or unmerged");
//   - base:BRANCH ("Search by branch name");
//   - merged:A..B, both ends inclusive, each a date (YYYY-MM-DD, the whole
//     day) or a date and time (YYYY-MM-DDTHH:MM:SS+00:00, to the second),
//     either end * for open ("Search by when a pull request was merged";
//     "Understanding the search syntax", "Query for dates");
//   - sort:created, sort:updated, each -asc or -desc ("Sorting search
//     results", https://docs.github.com/en/search-github/getting-started-with-searching-on-github/sorting-search-results).
//
// Any other term is refused by name: the fake does not make up what a
// text search would match. issueCount is every match; the connection
// pages only the first 1,000 ("the GitHub REST API provides up to 1,000
// results for each search", https://docs.github.com/en/rest/search/search#about-search;
// GraphQL's search is the same index). Options.SearchIncomplete leaves
// the most recently merged matches out of the pages while issueCount
// counts them, as a search that timed out may (its doc comment cites
// GitHub's). The cost is the documented
// formula like any connection's (graphql.go): GitHub documents no other
// limit for GraphQL's search (docs.github.com "Rate limits and node
// limits for the GraphQL API"; the REST API's 30 searches a minute are
// the REST search resource's).
//
// Without a sort qualifier GitHub sorts by best match, which it does not
// define for a query of qualifiers only; the fake then gives the newest
// created first (sort:created's order). Ties, in every order, go by
// repository and number, so pages never overlap.

// searchCap is how many results a search pages at most.
const searchCap = 1000

// searchTerms is a parsed search query.
type searchTerms struct {
	owner, base string
	user        bool // the owner came as user:, not org:
	pr, merged  bool
	from, to    time.Time // merged:from..to, inclusive; zero is open
	sortBy      string    // "created" or "updated"
	asc         bool
}

// searchIssues answers Query.search.
func searchIssues(ex *gqlExec, _ any, args map[string]any) (any, error) {
	if t := fmt.Sprint(args["type"]); t != "ISSUE" {
		return nil, fmt.Errorf("the fake models search(type: ISSUE) only, not %s", t)
	}
	q, _ := args["query"].(string)
	terms, err := parseSearch(q)
	if err != nil {
		return nil, err
	}
	org := ex.c.org
	if !strings.EqualFold(terms.owner, org.Login) {
		// GitHub's answer for an owner it cannot search.
		return nil, &fieldError{typ: "INVALID", msg: "The listed users and repositories cannot be searched either because the resources do not exist or you do not have permission to view them."}
	}
	var hits []prRef
	repos := org.Repos
	if terms.user != org.User {
		// org: on a user or user: on an organisation: undocumented, 0
		// results (see above).
		repos = nil
	}
	for _, r := range repos {
		for i := range r.PRs {
			p := &r.PRs[i]
			// GitHub's timestamps are whole seconds.
			at := p.MergedAt.Truncate(time.Second)
			if !p.Merged() || (terms.base != "" && p.Base != terms.base) ||
				(!terms.from.IsZero() && at.Before(terms.from)) || (!terms.to.IsZero() && at.After(terms.to)) {
				continue
			}
			hits = append(hits, prRef{r, p})
		}
	}
	key := func(h prRef) time.Time { return h.p.CreatedAt }
	if terms.sortBy == "updated" {
		key = func(h prRef) time.Time { return h.p.UpdatedAt }
	}
	slices.SortFunc(hits, func(a, b prRef) int {
		c := key(a).Compare(key(b))
		if c == 0 {
			c = cmp.Or(cmp.Compare(a.r.ordinal, b.r.ordinal), cmp.Compare(a.p.Number, b.p.Number))
		}
		if !terms.asc {
			c = -c
		}
		return c
	})
	paged := hits
	if n := min(ex.c.s.opts.SearchIncomplete, len(hits)); n > 0 {
		// The n most recently merged are left out of the pages
		// (Options.SearchIncomplete), in the order of the rest.
		byMerge := slices.Clone(hits)
		slices.SortFunc(byMerge, func(a, b prRef) int { return b.p.MergedAt.Compare(a.p.MergedAt) })
		left := map[*PullRequest]bool{}
		for _, h := range byMerge[:n] {
			left[h.p] = true
		}
		paged = slices.DeleteFunc(slices.Clone(hits), func(h prRef) bool { return left[h.p] })
	}
	v, err := page(args, min(len(paged), searchCap), func(i int) any { return gobj{typ: "PullRequest", v: paged[i]} })
	if err != nil {
		return nil, err
	}
	v.(gobj).v.(*gconn).matches = len(hits)
	return v, nil
}

// parseSearch reads the qualifiers the fake models out of a search query.
func parseSearch(q string) (searchTerms, error) {
	t := searchTerms{sortBy: "created"}
	for _, term := range strings.Fields(q) {
		k, v, _ := strings.Cut(term, ":")
		switch strings.ToLower(k) {
		case "org", "user":
			if t.owner != "" {
				return t, fmt.Errorf("the fake models searches of one owner's repositories only, not %q", q)
			}
			t.owner, t.user = v, strings.EqualFold(k, "user")
		case "is":
			switch strings.ToLower(v) {
			case "pr":
				t.pr = true
			case "merged":
				t.merged = true
			default:
				return t, fmt.Errorf("the fake does not model the search term %q", term)
			}
		case "base":
			t.base = v
		case "merged":
			from, to, ok := strings.Cut(v, "..")
			if !ok {
				return t, fmt.Errorf("the fake models merged:A..B ranges only, not %q", term)
			}
			var err error
			if t.from, err = searchDate(from, false); err == nil {
				t.to, err = searchDate(to, true)
			}
			if err != nil {
				return t, fmt.Errorf("search term %q: %w", term, err)
			}
		case "sort":
			by, dir, _ := strings.Cut(strings.ToLower(v), "-")
			if (by != "created" && by != "updated") || (dir != "" && dir != "asc" && dir != "desc") {
				return t, fmt.Errorf("the fake models sort:created and sort:updated (-asc, -desc) only, not %q", term)
			}
			t.sortBy, t.asc = by, dir == "asc"
		default:
			return t, fmt.Errorf("the fake does not model the search term %q", term)
		}
	}
	if t.owner == "" || !t.pr || !t.merged {
		return t, fmt.Errorf("the fake models searches of one owner's merged pull requests only (org:LOGIN or user:LOGIN, is:pr is:merged), not %q", q)
	}
	return t, nil
}

// searchDate reads one end of a date range: * is open (zero), a date is
// its first second (or, as the range's end, its last), a date and time is
// that second.
func searchDate(s string, end bool) (time.Time, error) {
	if s == "*" {
		return time.Time{}, nil
	}
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		if end {
			return d.Add(24*time.Hour - time.Second), nil
		}
		return d, nil
	}
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("want YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS+00:00, or *: %w", err)
	}
	return at.UTC(), nil
}

// repositoryOwner answers Query.repositoryOwner(login:)
// (https://docs.github.com/en/graphql/reference/queries#repositoryowner,
// "Lookup a repository owner (ie. either a User or an Organization) by
// login"): the repositories' owner as an Organization or, with Org.User,
// a User. The fake models that one owner: any other login, its people's
// included, answers null, the field's value for a login GitHub does not
// resolve (the schema makes it nullable).
func repositoryOwner(ex *gqlExec, _ any, args map[string]any) (any, error) {
	login, _ := args["login"].(string)
	org := ex.c.org
	if !strings.EqualFold(login, org.Login) {
		return nil, nil
	}
	// A Person, for User.login; Organization's fields are not modelled.
	return gobj{typ: org.ownerType(), v: &Person{ID: org.ID, Login: org.Login}}, nil
}
