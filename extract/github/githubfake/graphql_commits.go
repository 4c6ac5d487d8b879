package githubfake

import (
	"errors"
	"fmt"
)

// repoObject answers Repository.object(oid:) for a commit: the Commit, or
// null for an oid the repository does not hold (the field is nullable,
// GitObject; docs.github.com/graphql/reference/objects#repository). Only
// full object ids are modelled; expression (rev-parse) is refused by name.
func repoObject(_ *gqlExec, p any, args map[string]any) (any, error) {
	r := p.(*Repo)
	if args["expression"] != nil {
		return nil, errors.New("the fake does not model Repository.object(expression:)")
	}
	oid, _ := args["oid"].(string)
	if len(oid) != 40 {
		return nil, nil
	}
	i, ok := resolveRef(r, oid)
	if !ok {
		return nil, nil
	}
	return gobj{typ: "Commit", v: commitRef{r, i}}, nil
}

// commitAssociatedPullRequests answers Commit.associatedPullRequests as
// GitHub documents it: "The merged Pull Request that introduced the commit
// to the repository. If the commit is not present in the default branch,
// additionally returns open Pull Requests associated with the commit"
// (docs.github.com/graphql/reference/objects#commit) — the same pull
// requests as REST's GET /commits/{sha}/pulls (associatedPRs). Its
// orderBy defaults to CREATED_AT ascending (the schema); a fake commit
// has one pull request at most, so only that order is accepted, and
// others are refused by name rather than ignored.
func commitAssociatedPullRequests(ex *gqlExec, p any, args map[string]any) (any, error) {
	c := p.(commitRef)
	if o, ok := args["orderBy"].(map[string]any); ok && (fmt.Sprint(o["field"]) != "CREATED_AT" || fmt.Sprint(o["direction"]) != "ASC") {
		return nil, errors.New("the fake orders Commit.associatedPullRequests by CREATED_AT ASC only")
	}
	prs := ex.c.associatedPRs(c.r, c.i)
	return page(args, len(prs), func(k int) any { return gobj{v: prRef{c.r, prs[k]}} })
}

// prBaseRefOid and prHeadRefOid answer PullRequest.baseRefOid and
// headRefOid: the commits REST's base.sha and head.sha name (render.go).
func prBaseRefOid(_ *gqlExec, p any, _ map[string]any) (any, error) {
	pr := p.(prRef)
	return pr.r.Commits[pr.r.prBase(pr.p)].SHA.String(), nil
}

func prHeadRefOid(_ *gqlExec, p any, _ map[string]any) (any, error) {
	pr := p.(prRef)
	return pr.r.Commits[pr.p.HeadCommit()].SHA.String(), nil
}

// commitHistory answers Commit.history: "The linear commit history
// starting from (and including) this commit, in the same order as `git
// log`" (docs.github.com/graphql/reference/objects#commit). git log's
// default order is "reverse chronological" (git-scm.com/docs/git-log,
// "Commit Ordering"): of the commits reached so far, the newest by
// committer date goes next, and its parents are reached then, so a commit
// never precedes one of its descendants (parents have lower indexes, the
// tie-break). It pages with first and after; only as much of the history
// is walked as the page needs, and totalCount walks it all. Its filters
// (author, path, since, until) are refused by name.
func commitHistory(_ *gqlExec, p any, args map[string]any) (any, error) {
	c := p.(commitRef)
	for _, k := range []string{"author", "path", "since", "until"} {
		if args[k] != nil {
			return nil, fmt.Errorf("the fake does not model Commit.history(%s:)", k)
		}
	}
	first, _ := intArg(args["first"])
	var walked []int32
	more := logWalk(c.r, c.i)
	walk := func(n int) { // walks up to n commits
		for len(walked) < n {
			i, ok := more()
			if !ok {
				return
			}
			walked = append(walked, i)
		}
	}
	lo, err := after(args)
	if err != nil {
		return nil, err
	}
	walk(lo + first + 1) // one more tells whether another page follows
	v, err := page(args, len(walked), func(k int) any { return gobj{v: commitRef{c.r, walked[k]}} })
	if err != nil {
		return nil, err
	}
	conn := v.(gobj).v.(*gconn)
	conn.count = func() int {
		walk(len(c.r.Commits))
		return len(walked)
	}
	return v, nil
}

// logWalk returns git log's walk from head (commitHistory): each call the
// next commit, false once the history is done.
func logWalk(r *Repo, head int32) func() (int32, bool) {
	queue := []int32{head}
	seen := map[int32]bool{head: true}
	return func() (int32, bool) {
		if len(queue) == 0 {
			return NoCommit, false
		}
		best := 0
		for k, i := range queue {
			b := queue[best]
			if d := r.Commits[i].Date.Compare(r.Commits[b].Date); d > 0 || d == 0 && i > b {
				best = k
			}
		}
		i := queue[best]
		queue = append(queue[:best], queue[best+1:]...)
		for _, p := range r.Commits[i].Parents {
			if p != NoCommit && !seen[p] {
				seen[p] = true
				queue = append(queue, p)
			}
		}
		return i, true
	}
}

// commitParents answers Commit.parents ("The parents of a commit",
// docs.github.com/graphql/reference/objects#commit): first parent first,
// as REST's parents list them (render.go).
func commitParents(_ *gqlExec, p any, args map[string]any) (any, error) {
	c := p.(commitRef)
	cm := &c.r.Commits[c.i]
	return page(args, cm.NumParents(), func(k int) any { return gobj{v: commitRef{c.r, cm.Parents[k]}} })
}

// commitMessage answers Commit.message: the whole message, as REST's
// commit.message.
func commitMessage(_ *gqlExec, p any, _ map[string]any) (any, error) {
	c := p.(commitRef)
	return c.r.Commits[c.i].Message, nil
}

// commitURL answers Commit.url: the commit's page, REST's html_url.
func commitURL(ex *gqlExec, p any, _ map[string]any) (any, error) {
	c := p.(commitRef)
	return ex.c.s.htmlURL + "/" + c.r.FullName() + "/commit/" + c.r.Commits[c.i].SHA.String(), nil
}

// gitActor is a commit's author as GraphQL's GitActor.
type gitActor struct{ person int32 }

// commitAuthor answers Commit.author ("Authorship details of the
// commit", a GitActor).
func commitAuthor(_ *gqlExec, p any, _ map[string]any) (any, error) {
	c := p.(commitRef)
	return gobj{v: gitActor{c.r.Commits[c.i].Author}}, nil
}

// gitActorUser answers GitActor.user: "The GitHub user corresponding to
// the email field. Null if no such user exists"
// (docs.github.com/graphql/reference/objects#gitactor). It is a User, so
// an app's bot (REST's author "name[bot]") and a deleted account are
// null.
func gitActorUser(ex *gqlExec, p any, _ map[string]any) (any, error) {
	per := &ex.c.org.People[p.(gitActor).person]
	if per.Login == "" || per.Bot {
		return nil, nil
	}
	return gobj{v: per}, nil
}
