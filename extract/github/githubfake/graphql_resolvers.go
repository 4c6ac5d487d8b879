package githubfake

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// resolver answers one field of an object: parent is the object's gobj.v,
// args the field's arguments with variables applied. Objects come back as
// gobj, lists as []any, scalars as string, int, bool or time.Time; nil is
// null.
type resolver func(ex *gqlExec, parent any, args map[string]any) (any, error)

// prRef and commitRef are a pull request and a commit with their
// repository.
type (
	prRef struct {
		r *Repo
		p *PullRequest
	}
	commitRef struct {
		r *Repo
		i int32
	}
)

// graphqlResolvers are the fields the fake models, by "Type.field";
// "Connection.*" and "Edge.*" serve every connection. Field meanings
// follow docs.github.com/graphql/reference/objects.
var graphqlResolvers = map[string]resolver{
	"Query.rateLimit": func(ex *gqlExec, _ any, _ map[string]any) (any, error) { return gobj{v: ex}, nil },
	"RateLimit.cost":  func(ex *gqlExec, _ any, _ map[string]any) (any, error) { return ex.cost1, nil },
	"RateLimit.limit": func(ex *gqlExec, _ any, _ map[string]any) (any, error) { return ex.rate.Limit, nil },
	"RateLimit.remaining": func(ex *gqlExec, _ any, _ map[string]any) (any, error) {
		return ex.rate.Remaining, nil
	},
	"RateLimit.used":      func(ex *gqlExec, _ any, _ map[string]any) (any, error) { return ex.rate.Used, nil },
	"RateLimit.resetAt":   func(ex *gqlExec, _ any, _ map[string]any) (any, error) { return ex.rate.Reset, nil },
	"RateLimit.nodeCount": func(ex *gqlExec, _ any, _ map[string]any) (any, error) { return ex.nodes, nil },

	"Query.repository": func(ex *gqlExec, _ any, args map[string]any) (any, error) {
		owner, _ := args["owner"].(string)
		name, _ := args["name"].(string)
		r := ex.c.org.Repo(name)
		if r == nil || !strings.EqualFold(owner, ex.c.org.Login) {
			// GitHub's answer for a repository that does not exist or
			// that the token cannot see: null with a NOT_FOUND error.
			return nil, &fieldError{typ: "NOT_FOUND", msg: fmt.Sprintf("Could not resolve to a Repository with the name '%s/%s'.", owner, name)}
		}
		return gobj{v: r}, nil
	},
	"Repository.name":          func(_ *gqlExec, p any, _ map[string]any) (any, error) { return p.(*Repo).Name, nil },
	"Repository.nameWithOwner": func(_ *gqlExec, p any, _ map[string]any) (any, error) { return p.(*Repo).FullName(), nil },
	"Repository.pullRequests":  repoPullRequests,
	"Repository.pullRequest": func(_ *gqlExec, p any, args map[string]any) (any, error) {
		r := p.(*Repo)
		n, _ := intArg(args["number"])
		pr := r.PR(n)
		if pr == nil {
			return nil, &fieldError{typ: "NOT_FOUND", msg: fmt.Sprintf("Could not resolve to a PullRequest with the number of %d.", n)}
		}
		return gobj{v: prRef{r, pr}}, nil
	},

	"Query.repositoryOwner":                 repositoryOwner,
	"Query.search":                          searchIssues,
	"SearchResultItemConnection.issueCount": func(_ *gqlExec, p any, _ map[string]any) (any, error) { return p.(*gconn).matches, nil },
	"PullRequest.repository":                func(_ *gqlExec, p any, _ map[string]any) (any, error) { return gobj{v: p.(prRef).r}, nil },

	"PullRequest.id":          func(_ *gqlExec, p any, _ map[string]any) (any, error) { return "PR_kwDO" + b36(p.(prRef).p.ID), nil },
	"PullRequest.number":      func(_ *gqlExec, p any, _ map[string]any) (any, error) { return p.(prRef).p.Number, nil },
	"PullRequest.title":       func(_ *gqlExec, p any, _ map[string]any) (any, error) { return p.(prRef).p.Title, nil },
	"PullRequest.baseRefName": func(_ *gqlExec, p any, _ map[string]any) (any, error) { return p.(prRef).p.Base, nil },
	"PullRequest.headRefName": func(_ *gqlExec, p any, _ map[string]any) (any, error) { return p.(prRef).p.Head, nil },
	"PullRequest.createdAt":   func(_ *gqlExec, p any, _ map[string]any) (any, error) { return p.(prRef).p.CreatedAt, nil },
	"PullRequest.updatedAt":   func(_ *gqlExec, p any, _ map[string]any) (any, error) { return p.(prRef).p.UpdatedAt, nil },
	"PullRequest.merged":      func(_ *gqlExec, p any, _ map[string]any) (any, error) { return p.(prRef).p.Merged(), nil },
	"PullRequest.mergedAt": func(_ *gqlExec, p any, _ map[string]any) (any, error) {
		if pr := p.(prRef).p; pr.Merged() {
			return pr.MergedAt, nil
		}
		return nil, nil
	},
	"PullRequest.url": func(ex *gqlExec, p any, _ map[string]any) (any, error) {
		pr := p.(prRef)
		return ex.c.s.htmlURL + "/" + pr.r.FullName() + "/pull/" + strconv.Itoa(pr.p.Number), nil
	},
	"PullRequest.author": func(ex *gqlExec, p any, _ map[string]any) (any, error) { return ex.actor(p.(prRef).p.User), nil },
	"PullRequest.mergeCommit": func(_ *gqlExec, p any, _ map[string]any) (any, error) {
		pr := p.(prRef)
		if !pr.p.Merged() {
			return nil, nil
		}
		return gobj{v: commitRef{pr.r, pr.p.MergeCommit}}, nil
	},
	"PullRequest.labels": func(_ *gqlExec, p any, args map[string]any) (any, error) {
		pr := p.(prRef).p
		return page(args, len(pr.Labels), func(i int) any { return gobj{v: pr.Labels[i]} })
	},
	"PullRequest.commits": func(_ *gqlExec, p any, args map[string]any) (any, error) {
		pr := p.(prRef)
		// Capped as the REST listing is (hPullCommits).
		total := min(int(pr.p.NumCommits), maxPRCommits)
		return page(args, total, func(i int) any { return gobj{v: commitRef{pr.r, pr.p.FirstCommit + int32(i)}} })
	},
	"PullRequest.files": func(_ *gqlExec, p any, args map[string]any) (any, error) {
		pr := p.(prRef).p
		total := min(len(pr.Files), maxPRFiles)
		return page(args, total, func(i int) any { return gobj{v: pr.Files[i]} })
	},

	// Reviews, submitted ones only, oldest first, as the REST listing
	// (hPullReviews) and GitHub's PullRequest.reviews give them.
	"PullRequest.reviews": func(_ *gqlExec, p any, args map[string]any) (any, error) {
		pr := p.(prRef).p
		return page(args, len(pr.Reviews), func(i int) any { return gobj{v: &pr.Reviews[i]} })
	},
	"PullRequestReview.author":      func(ex *gqlExec, p any, _ map[string]any) (any, error) { return ex.actor(p.(*Review).User), nil },
	"PullRequestReview.submittedAt": func(_ *gqlExec, p any, _ map[string]any) (any, error) { return p.(*Review).SubmittedAt, nil },
	"PullRequestReview.state":       func(_ *gqlExec, p any, _ map[string]any) (any, error) { return p.(*Review).State, nil },

	"PullRequestCommit.commit": func(_ *gqlExec, p any, _ map[string]any) (any, error) { return gobj{v: p}, nil },
	"Commit.oid": func(_ *gqlExec, p any, _ map[string]any) (any, error) {
		c := p.(commitRef)
		return c.r.Commits[c.i].SHA.String(), nil
	},
	// The author date is the committer date but for a rebase merge's new
	// commits, which keep their author date (Commit.AuthorDate), as REST's
	// commit.author.date has it (render.go).
	"Commit.authoredDate": func(_ *gqlExec, p any, _ map[string]any) (any, error) {
		c := p.(commitRef)
		return c.r.Commits[c.i].AuthorDate(), nil
	},
	"Commit.committedDate": commitDate,
	"Commit.messageHeadline": func(_ *gqlExec, p any, _ map[string]any) (any, error) {
		c := p.(commitRef)
		head, _, _ := strings.Cut(c.r.Commits[c.i].Message, "\n")
		return head, nil
	},

	// Commits by oid and their pull requests (graphql_commits.go).
	"Repository.object":             repoObject,
	"Commit.associatedPullRequests": commitAssociatedPullRequests,
	"PullRequest.baseRefOid":        prBaseRefOid,
	"PullRequest.headRefOid":        prHeadRefOid,
	"Commit.history":                commitHistory,
	"Commit.parents":                commitParents,
	"Commit.message":                commitMessage,
	"Commit.url":                    commitURL,
	"Commit.author":                 commitAuthor,
	"GitActor.user":                 gitActorUser,

	"Label.name":                        func(_ *gqlExec, p any, _ map[string]any) (any, error) { return p.(string), nil },
	"PullRequestChangedFile.path":       func(_ *gqlExec, p any, _ map[string]any) (any, error) { return p.(string), nil },
	"PullRequestChangedFile.changeType": func(_ *gqlExec, _ any, _ map[string]any) (any, error) { return "MODIFIED", nil },

	// GraphQL's Bot.login is the app's slug, without the "[bot]" the
	// REST API's login carries (docs.github.com/graphql/reference/objects#bot).
	"User.login": func(_ *gqlExec, p any, _ map[string]any) (any, error) { return p.(*Person).Login, nil },
	"Bot.login": func(_ *gqlExec, p any, _ map[string]any) (any, error) {
		return strings.TrimSuffix(p.(*Person).Login, "[bot]"), nil
	},

	"Connection.nodes": func(_ *gqlExec, p any, _ map[string]any) (any, error) { return p.(*gconn).nodes, nil },
	"Connection.totalCount": func(_ *gqlExec, p any, _ map[string]any) (any, error) {
		if c := p.(*gconn); c.count != nil {
			return c.count(), nil
		}
		return p.(*gconn).total, nil
	},
	"Connection.pageInfo": func(_ *gqlExec, p any, _ map[string]any) (any, error) { return gobj{v: p}, nil },
	"Connection.edges": func(_ *gqlExec, p any, _ map[string]any) (any, error) {
		c := p.(*gconn)
		edges := make([]any, len(c.nodes))
		for i, n := range c.nodes {
			edges[i] = gobj{v: edge{node: n, cursor: cursor(c.lo + i)}}
		}
		return edges, nil
	},
	"Edge.node":            func(_ *gqlExec, p any, _ map[string]any) (any, error) { return p.(edge).node, nil },
	"Edge.cursor":          func(_ *gqlExec, p any, _ map[string]any) (any, error) { return p.(edge).cursor, nil },
	"PageInfo.hasNextPage": func(_ *gqlExec, p any, _ map[string]any) (any, error) { return p.(*gconn).hasNext, nil },
	"PageInfo.hasPreviousPage": func(_ *gqlExec, p any, _ map[string]any) (any, error) {
		return p.(*gconn).hasPrev, nil
	},
	"PageInfo.endCursor": func(_ *gqlExec, p any, _ map[string]any) (any, error) {
		c := p.(*gconn)
		if len(c.nodes) == 0 {
			return nil, nil
		}
		return cursor(c.lo + len(c.nodes) - 1), nil
	},
	"PageInfo.startCursor": func(_ *gqlExec, p any, _ map[string]any) (any, error) {
		c := p.(*gconn)
		if len(c.nodes) == 0 {
			return nil, nil
		}
		return cursor(c.lo), nil
	},
}

// edge is one edge of a connection.
type edge struct {
	node   any
	cursor string
}

func commitDate(_ *gqlExec, p any, _ map[string]any) (any, error) {
	c := p.(commitRef)
	return c.r.Commits[c.i].Date, nil
}

// actor is a person as GraphQL's Actor interface: a User or a Bot; nil
// for a deleted account (the REST API's null user).
func (ex *gqlExec) actor(i int32) any {
	p := &ex.c.org.People[i]
	if p.Login == "" {
		return nil
	}
	if p.Bot {
		return gobj{typ: "Bot", v: p}
	}
	return gobj{typ: "User", v: p}
}

// repoPullRequests answers Repository.pullRequests with the arguments the
// extractor uses: states, baseRefName, orderBy (CREATED_AT or UPDATED_AT;
// GitHub's default order is by creation, ascending), first and after.
// Arguments the fake does not model are refused by name.
func repoPullRequests(ex *gqlExec, p any, args map[string]any) (any, error) {
	r := p.(*Repo)
	for _, k := range []string{"labels", "headRefName"} {
		if args[k] != nil {
			return nil, fmt.Errorf("the fake does not model Repository.pullRequests(%s:)", k)
		}
	}
	states := map[string]bool{}
	if list, ok := args["states"].([]any); ok {
		for _, s := range list {
			states[fmt.Sprint(s)] = true
		}
	}
	base, _ := args["baseRefName"].(string)
	field, dir := "CREATED_AT", "ASC"
	if o, ok := args["orderBy"].(map[string]any); ok {
		field, dir = fmt.Sprint(o["field"]), fmt.Sprint(o["direction"])
	}
	ix := ex.c.s.idx[r.ordinal]
	src := ix.prCreated
	switch field {
	case "CREATED_AT":
	case "UPDATED_AT":
		src = ix.prUpdated
	default:
		return nil, errors.New("the fake orders pull requests by CREATED_AT or UPDATED_AT only")
	}
	key := fmt.Sprint("graphql\x00", field, "\x00", base, "\x00", states["OPEN"], states["CLOSED"], states["MERGED"])
	v := ix.view(key, func() []int32 {
		var out []int32
		for _, i := range src {
			pr := &r.PRs[i]
			state := "OPEN"
			switch {
			case pr.Merged():
				state = "MERGED"
			case !pr.ClosedAt.IsZero():
				state = "CLOSED"
			}
			if (len(states) == 0 || states[state]) && (base == "" || pr.Base == base) {
				out = append(out, i)
			}
		}
		return out
	})
	return page(args, len(v), func(k int) any {
		i := v[k]
		if dir == "DESC" {
			i = v[len(v)-1-k]
		}
		return gobj{v: prRef{r, &r.PRs[i]}}
	})
}
