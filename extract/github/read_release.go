package github

import (
	"context"
	"net/http"

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
// refused with 422 "Only the first 1000 results are available." A
// repository with more is read up to there, with one warning that names
// it, instead of failing every read.
func (rr *repoRead) listReleases(ctx context.Context) ([]doraflow.Deployment, error) {
	checks := rr.releaseChecks()
	tags := &tagIndex{rr: rr, shas: map[string]string{}}
	var out []doraflow.Deployment
	page := 0
	fetch := func(ctx context.Context, p int) ([]*github.RepositoryRelease, *github.Response, error) {
		page = p
		return rr.s.gh.Repositories.ListReleases(ctx, rr.owner, rr.name, &github.ListOptions{PerPage: perPage, Page: p})
	}
	l := listing{endpoint: rr.endpoint("/releases"), memos: rr.memos, window: rr.window}
	err := pageThrough(ctx, l, fetch, func(rels []*github.RepositoryRelease, cov *coverage) (bool, error) {
		for _, rel := range rels {
			if rel.GetDraft() || rel.PublishedAt == nil || !cov.in(rel.GetPublishedAt().Time) {
				continue
			}
			rr.pv.listed()
			if ok, err := passes(ctx, rr.pv, checks, rel); err != nil || !ok {
				if err != nil {
					return false, err
				}
				continue
			}
			sha, err := tags.sha(ctx, rel.GetTagName())
			if err != nil {
				return false, err
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
			out = append(out, d)
		}
		return true, nil
	})
	if page > 1 && httpStatus(err) == http.StatusUnprocessableEntity {
		// Past the listing's cap: a 422 on page 1 would be something else.
		rr.s.log.Warn().Str("source", string(doraflow.SourceGitHub)).Str("block", rr.block.Name).Str("repo", rr.full).
			Int("releases_read", (page-1)*perPage).Err(err).
			Msg("GitHub lists only the first 1,000 releases: older releases are not read")
		return out, nil
	}
	return out, err
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

// sha returns the commit of the tag, "" when the repository has no such
// tag.
func (t *tagIndex) sha(ctx context.Context, tag string) (string, error) {
	if sha, ok := t.shas[tag]; ok || t.exhausted {
		return sha, nil
	}
	rr := t.rr
	fetch := func(ctx context.Context, page int) ([]*github.RepositoryTag, *github.Response, error) {
		tags, resp, err := rr.s.gh.Repositories.ListTags(ctx, rr.owner, rr.name, &github.ListOptions{PerPage: perPage, Page: page})
		if err == nil {
			t.exhausted = resp.NextPage == 0
		}
		return tags, resp, err
	}
	err := pageThrough(ctx, listing{endpoint: rr.endpoint("/tags"), start: t.pages + 1}, fetch,
		func(tags []*github.RepositoryTag, _ *coverage) (bool, error) {
			t.pages++
			for _, tg := range tags {
				t.shas[tg.GetName()] = tg.GetCommit().GetSHA()
			}
			_, found := t.shas[tag]
			return !found, nil
		})
	return t.shas[tag], err
}
