package github

import (
	"context"
	"maps"
	"net/http"
	"slices"

	"github.com/google/go-github/v62/github"

	"doraflow"
)

// listReleases lists a release block's deployments in one repository: its
// published releases, not drafts, prereleases only when the block allows
// them, whose tag matches the block's tag_pattern, published in the
// window.
//
// Every page of GET /releases is read: the listing is in creation order,
// and a release drafted long ago can be published today, so no position
// in it bounds published_at. Releases are few, and unchanged pages cost
// 304s. The deployed sha is the commit the tag points to (see tagIndex),
// not target_commitish, which is usually a branch name.
//
// GitHub pages only through the first 1,000 releases: the next page is
// refused with 422 "Only the first 1000 results are available." The older
// ones are reached through their tags (see olderReleases).
func (rr *repoRead) listReleases(ctx context.Context) ([]doraflow.Deployment, error) {
	rs := &releaseScan{rr: rr, checks: rr.releaseChecks(), tags: &tagIndex{rr: rr, shas: map[string]string{}}, listed: map[string]bool{}}
	page, visited := 0, 0
	fetch := func(ctx context.Context, p int) ([]*github.RepositoryRelease, *github.Response, error) {
		page = p
		return rr.s.gh.Repositories.ListReleases(ctx, rr.owner, rr.name, &github.ListOptions{PerPage: perPage, Page: p})
	}
	l := listing{endpoint: rr.endpoint("/releases"), memos: rr.memos, window: rr.window}
	err := pageThrough(ctx, l, fetch, func(rels []*github.RepositoryRelease, cov *coverage) (bool, error) {
		visited++
		for _, rel := range rels {
			rs.listed[rel.GetTagName()] = true
			if err := rs.add(ctx, rel, cov); err != nil {
				return false, err
			}
		}
		return true, nil
	})
	if page > 1 && httpStatus(err) == http.StatusUnprocessableEntity {
		// Past the listing's cap: a 422 on page 1 would be something else.
		err = rs.olderReleases(ctx, page-1, visited < page-1)
	}
	return rs.out, err
}

// releaseScan turns releases into a release block's deployments.
type releaseScan struct {
	rr     *repoRead
	checks []check[*github.RepositoryRelease]
	tags   *tagIndex
	listed map[string]bool // tags of the releases the listing reached
	out    []doraflow.Deployment
}

// add makes a deployment of the release when it is published, in the
// window, and passes the block's filters.
func (rs *releaseScan) add(ctx context.Context, rel *github.RepositoryRelease, cov *coverage) error {
	rr := rs.rr
	if rel.GetDraft() || rel.PublishedAt == nil || !cov.in(rel.GetPublishedAt().Time) {
		return nil
	}
	rr.pv.listed()
	if ok, err := passes(ctx, rr.pv, rs.checks, rel); err != nil || !ok {
		return err
	}
	sha, err := rs.tags.sha(ctx, rel.GetTagName())
	if err != nil {
		return err
	}
	if sha == "" {
		rr.s.log.Warn().Str("source", string(doraflow.SourceGitHub)).Str("repo", rr.full).Str("tag", rel.GetTagName()).
			Msg("the release's tag is not among the repository's tags: the release ships nothing")
	}
	d := rr.deployment("release", rel.GetID(), rr.blockEnvironment(), sha, rel.GetPublishedAt().Time)
	d.URL, d.Author = rel.GetHTMLURL(), rel.GetAuthor().GetLogin()
	d.Title = rel.GetName()
	if d.Title == "" {
		d.Title = rel.GetTagName()
	}
	rs.out = append(rs.out, d)
	return nil
}

// olderReleases reaches the releases past the listing's cap, whose pages
// GitHub refuses: every tag (GET /tags, which the sha lookups page through
// anyway) that is not the tag of a listed release is asked for its release
// (GET /releases/tags/{tag}; a tag without one is a 404). pages is how
// many listing pages GitHub served; when some were 304s (unchanged, so
// their releases are staged already) their tags are unknown, and those
// pages are listed again, unconditionally, for the tag names only. With an
// ETagStore each release asked for is remembered like a listing page, so a
// later read of an unchanged one is a 304, which GitHub does not charge.
func (rs *releaseScan) olderReleases(ctx context.Context, pages int, relist bool) error {
	rr := rs.rr
	if relist {
		fetch := func(ctx context.Context, p int) ([]*github.RepositoryRelease, *github.Response, error) {
			return rr.s.gh.Repositories.ListReleases(ctx, rr.owner, rr.name, &github.ListOptions{PerPage: perPage, Page: p})
		}
		served := 0
		err := pageThrough(ctx, listing{endpoint: rr.endpoint("/releases")}, fetch, func(rels []*github.RepositoryRelease, _ *coverage) (bool, error) {
			served++
			for _, rel := range rels {
				rs.listed[rel.GetTagName()] = true
			}
			return served < pages, nil
		})
		if err != nil {
			return err
		}
	}
	names, err := rs.tags.names(ctx)
	if err != nil {
		return err
	}
	asked := 0
	for _, tag := range names {
		if rs.listed[tag] {
			continue
		}
		asked++
		fetch := func(ctx context.Context, _ int) ([]*github.RepositoryRelease, *github.Response, error) {
			rel, resp, err := rr.s.gh.Repositories.GetReleaseByTag(ctx, rr.owner, rr.name, tag)
			if httpStatus(err) == http.StatusNotFound {
				return nil, resp, nil // a tag without a release
			}
			if err != nil {
				return nil, resp, err
			}
			return []*github.RepositoryRelease{rel}, resp, nil
		}
		l := listing{endpoint: rr.endpoint("/releases/tags/" + tag), memos: rr.memos, window: rr.window}
		err := pageThrough(ctx, l, fetch, func(rels []*github.RepositoryRelease, cov *coverage) (bool, error) {
			for _, rel := range rels {
				if err := rs.add(ctx, rel, cov); err != nil {
					return false, err
				}
			}
			return false, nil
		})
		if err != nil {
			return err
		}
	}
	rr.s.log.Info().Str("source", string(doraflow.SourceGitHub)).Str("block", rr.block.Name).Str("repo", rr.full).
		Int("listed", len(rs.listed)).Int("asked_by_tag", asked).
		Msg("GitHub lists only the first 1,000 releases: older ones read through their tags")
	return nil
}

// releaseChecks are the block's filters of a published release, in
// config order: prereleases count only with prerelease: true, and the tag
// must match tag_pattern.
func (rr *repoRead) releaseChecks() []check[*github.RepositoryRelease] {
	f := filtersOf(rr.block)
	type c = check[*github.RepositoryRelease]
	var cs []c
	if f.TagPattern != "" {
		cs = append(cs, c{"tag not matching " + f.TagPattern, func(_ context.Context, rel *github.RepositoryRelease) (bool, error) {
			return globMatch(f.TagPattern, rel.GetTagName()), nil
		}})
	}
	if !f.Prerelease {
		cs = append(cs, c{"prerelease", func(_ context.Context, rel *github.RepositoryRelease) (bool, error) {
			return !rel.GetPrerelease(), nil
		}})
	}
	return cs
}

// tagIndex resolves tag names to commits through GET /tags, paged lazily
// and once per repository and read. That listing gives each tag's commit,
// an annotated tag already dereferenced, 100 tags a request, highest
// version first, so the recent releases of a read are nearly always on
// its first page: one request for all of them. GET /git/ref/tags/{tag}
// would cost one request per release, and a second for an annotated tag
// (its ref points at the tag object).
type tagIndex struct {
	rr        *repoRead
	shas      map[string]string
	pages     int
	exhausted bool
}

// names returns every tag of the repository, paging to the end.
func (t *tagIndex) names(ctx context.Context) ([]string, error) {
	if !t.exhausted {
		if err := t.fill(ctx, func() bool { return false }); err != nil {
			return nil, err
		}
	}
	return slices.Sorted(maps.Keys(t.shas)), nil
}

// sha returns the commit of the tag, "" when the repository has no such
// tag.
func (t *tagIndex) sha(ctx context.Context, tag string) (string, error) {
	if sha, ok := t.shas[tag]; ok || t.exhausted {
		return sha, nil
	}
	err := t.fill(ctx, func() bool { _, found := t.shas[tag]; return found })
	return t.shas[tag], err
}

// fill pages on through GET /tags until done or the listing ends.
func (t *tagIndex) fill(ctx context.Context, done func() bool) error {
	rr := t.rr
	fetch := func(ctx context.Context, page int) ([]*github.RepositoryTag, *github.Response, error) {
		tags, resp, err := rr.s.gh.Repositories.ListTags(ctx, rr.owner, rr.name, &github.ListOptions{PerPage: perPage, Page: page})
		if err == nil {
			t.exhausted = resp.NextPage == 0
		}
		return tags, resp, err
	}
	return pageThrough(ctx, listing{endpoint: rr.endpoint("/tags"), start: t.pages + 1}, fetch,
		func(tags []*github.RepositoryTag, _ *coverage) (bool, error) {
			t.pages++
			for _, tg := range tags {
				t.shas[tg.GetName()] = tg.GetCommit().GetSHA()
			}
			return !done(), nil
		})
}
