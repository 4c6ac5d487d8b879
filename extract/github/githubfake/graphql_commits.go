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
