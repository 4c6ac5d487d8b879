package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/google/go-github/v62/github"
)

// Repositories expands a block's owner/name globs into owner/name
// repositories, each once, in the order of the globs (a glob's matches
// sorted by name). A name without glob characters is taken as is, without
// a request; owner/* and other name patterns list the owner's
// repositories: GET /orgs/{owner}/repos, or GET /users/{owner}/repos when
// the owner is not an organisation (404). Names match case-insensitively,
// as GitHub's do. An owner that cannot be listed is an error naming it;
// the repositories of the other globs are still returned.
func (s *Source) Repositories(ctx context.Context, globs []string) ([]string, error) {
	repos, failed, err := s.expand(ctx, globs)
	if err != nil {
		return nil, err
	}
	errs := make([]error, len(failed))
	for i, f := range failed {
		errs[i] = f.Err
	}
	return repos, errors.Join(errs...)
}

// expand is Repositories for Read: a glob that cannot be expanded is a
// failure of that glob (Read goes on with the others), and only fatal
// errors (a refused token, a cancelled context) are returned as err.
func (s *Source) expand(ctx context.Context, globs []string) (repos []string, failed []RepoError, err error) {
	seen := map[string]bool{}
	add := func(full string) {
		if k := strings.ToLower(full); !seen[k] {
			seen[k] = true
			repos = append(repos, full)
		}
	}
	listed := map[string][]string{} // owner (lower case) -> its repositories
	for _, g := range globs {
		owner, pattern, gerr := splitGlob(g)
		if gerr != nil {
			failed = append(failed, RepoError{Repo: g, Err: gerr})
			continue
		}
		if !hasGlobMeta(pattern) {
			add(owner + "/" + pattern)
			continue
		}
		all, ok := listed[strings.ToLower(owner)]
		if !ok {
			all, err = s.ownerRepos(ctx, owner)
			if err != nil {
				if fatal(err) {
					return nil, nil, err
				}
				failed = append(failed, RepoError{Repo: g, Err: err})
				continue
			}
			listed[strings.ToLower(owner)] = all
		}
		pattern = strings.ToLower(pattern)
		for _, full := range all {
			_, name, _ := strings.Cut(full, "/")
			if globMatch(pattern, strings.ToLower(name)) {
				add(full)
			}
		}
	}
	return repos, failed, nil
}

// splitGlob splits "owner/pattern"; the owner must be a plain name.
func splitGlob(g string) (owner, pattern string, err error) {
	owner, pattern, ok := strings.Cut(g, "/")
	switch {
	case !ok || owner == "" || pattern == "" || strings.Contains(pattern, "/"):
		return "", "", fmt.Errorf("github: repositories: %q is not owner/name (a name may be a glob such as owner/* or owner/api-*)", g)
	case hasGlobMeta(owner):
		return "", "", fmt.Errorf("github: repositories: %q: the owner cannot be a pattern, only the name", g)
	}
	if err := checkGlob(pattern); err != nil {
		return "", "", fmt.Errorf("github: repositories: %w", err)
	}
	return owner, pattern, nil
}

// ownerRepos lists an organisation's or a user's repositories as
// owner/name, sorted. The listing is kept in the body cache, so a daemon
// re-expanding the same owner every sync pays 304s.
func (s *Source) ownerRepos(ctx context.Context, owner string) ([]string, error) {
	list := func(endpoint string, fetch fetchFunc[*github.Repository]) ([]string, error) {
		var out []string
		err := pageThrough(ctx, listing{endpoint: endpoint, cache: true}, fetch, func(rs []*github.Repository, _ *coverage) (bool, error) {
			for _, r := range rs {
				full := r.GetFullName()
				if full == "" {
					full = owner + "/" + r.GetName()
				}
				out = append(out, full)
			}
			return true, nil
		})
		slices.Sort(out)
		return out, err
	}
	orgs := "GET /orgs/" + owner + "/repos"
	all, err := list(orgs, func(ctx context.Context, page int) ([]*github.Repository, *github.Response, error) {
		return s.gh.Repositories.ListByOrg(ctx, owner, &github.RepositoryListByOrgOptions{ListOptions: github.ListOptions{PerPage: perPage, Page: page}})
	})
	if httpStatus(err) != http.StatusNotFound {
		return all, err
	}
	users := "GET /users/" + owner + "/repos"
	all, err = list(users, func(ctx context.Context, page int) ([]*github.Repository, *github.Response, error) {
		return s.gh.Repositories.ListByUser(ctx, owner, &github.RepositoryListByUserOptions{ListOptions: github.ListOptions{PerPage: perPage, Page: page}})
	})
	if httpStatus(err) == http.StatusNotFound {
		return nil, fmt.Errorf("github: owner %s: GitHub knows no organisation or user by that name (%s and %s answered 404): check the block's repositories", owner, orgs, users)
	}
	return all, err
}
