package githubfake

import (
	"net/http"
	"strconv"
	"strings"
)

// hReleases answers GET /repos/{o}/{r}/releases, newest first, drafts
// included (the token is taken to have push access). Like GitHub, it
// pages only through the first Options.ReleasesListLimit (1000)
// releases, while its Link header still offers the next page: a page
// that starts past them is refused with 422 "Only the first 1000 results
// are available." and the list-releases documentation_url (the answer
// reported in https://github.com/iree-org/iree/pull/16506 and
// https://github.com/concourse/github-release-resource/issues/122).
func hReleases(c *call) int {
	r := c.repo
	if limit := c.s.opts.ReleasesListLimit; limit > 0 {
		if p := parsePager(c.q); (p.page-1)*p.per >= limit {
			return c.failDoc(http.StatusUnprocessableEntity, "Only the first "+strconv.Itoa(limit)+" results are available.", docsRoot+"/releases/releases#list-releases")
		}
	}
	return c.pagedArray(len(c.ix.releases), func(k int) { c.release(&r.Releases[c.ix.releases[k]]) })
}

// hLatestRelease answers GET /repos/{o}/{r}/releases/latest: the most
// recently published release that is neither a draft nor a prerelease.
func hLatestRelease(c *call) int {
	r := c.repo
	best := -1
	for i := range r.Releases {
		rel := &r.Releases[i]
		if rel.Draft || rel.Prerelease {
			continue
		}
		if best < 0 || rel.PublishedAt.After(r.Releases[best].PublishedAt) {
			best = i
		}
	}
	if best < 0 {
		return c.notFound()
	}
	c.release(&r.Releases[best])
	return http.StatusOK
}

// hReleaseByTag answers GET /repos/{o}/{r}/releases/tags/{tag}; drafts
// have no tag and are not found this way.
func hReleaseByTag(c *call) int {
	tag := c.r.PathValue("tag")
	for i := range c.repo.Releases {
		rel := &c.repo.Releases[i]
		if !rel.Draft && rel.TagName == tag {
			c.release(rel)
			return http.StatusOK
		}
	}
	return c.notFound()
}

// hRelease answers GET /repos/{o}/{r}/releases/{id}.
func hRelease(c *call) int {
	id, err := strconv.ParseInt(c.r.PathValue("id"), 10, 64)
	i, ok := c.ix.releaseByID[id]
	if err != nil || !ok {
		return c.notFound()
	}
	c.release(&c.repo.Releases[i])
	return http.StatusOK
}

// hTags answers GET /repos/{o}/{r}/tags, highest version first.
func hTags(c *call) int {
	r := c.repo
	w := &c.w
	api := c.repoAPI()
	return c.pagedArray(len(c.ix.tags), func(k int) {
		t := &r.Tags[c.ix.tags[k]]
		sha := r.Commits[t.Commit].SHA.String()
		w.Object()
		w.Key("name").Str(t.Name)
		w.Key("zipball_url").Concat(api, "/zipball/refs/tags/", t.Name)
		w.Key("tarball_url").Concat(api, "/tarball/refs/tags/", t.Name)
		w.Key("commit").Object()
		w.Key("sha").Str(sha)
		w.Key("url").Concat(api, "/commits/", sha)
		w.EndObject()
		w.Key("node_id").Concat("REF_kwDO", b36(r.ID), "_", t.Name)
		w.EndObject()
	})
}

// hGitRef answers GET /repos/{o}/{r}/git/ref/{ref} for tags/NAME and
// heads/NAME. An annotated tag's ref points at the tag object (type
// "tag"), which GET .../git/tags/{sha} dereferences to the commit.
func hGitRef(c *call) int {
	r := c.repo
	ref := c.r.PathValue("ref")
	api := c.repoAPI()
	var sha, kind, objURL string
	switch {
	case strings.HasPrefix(ref, "tags/"):
		t := r.Tag(ref[len("tags/"):])
		if t == nil {
			return c.notFound()
		}
		ti := int32(r.byTag[t.Name])
		if t.Annotated {
			sha, kind = r.tagObjectSHA(ti).String(), "tag"
			objURL = api + "/git/tags/" + sha
		} else {
			sha, kind = r.Commits[t.Commit].SHA.String(), "commit"
			objURL = api + "/git/commits/" + sha
		}
	case strings.HasPrefix(ref, "heads/"):
		h, ok := r.Branch(ref[len("heads/"):])
		if !ok {
			return c.notFound()
		}
		sha, kind = r.Commits[h].SHA.String(), "commit"
		objURL = api + "/git/commits/" + sha
	default:
		return c.notFound()
	}
	w := &c.w
	w.Object()
	w.Key("ref").Concat("refs/", ref)
	w.Key("node_id").Concat("REF_kwDO", b36(r.ID), "_", ref)
	w.Key("url").Concat(api, "/git/refs/", ref)
	w.Key("object").Object()
	w.Key("sha").Str(sha)
	w.Key("type").Str(kind)
	w.Key("url").Str(objURL)
	w.EndObject()
	w.EndObject()
	return http.StatusOK
}

// hGitTag answers GET /repos/{o}/{r}/git/tags/{sha}: an annotated tag
// object and the commit it tags.
func hGitTag(c *call) int {
	r := c.repo
	want := strings.ToLower(c.r.PathValue("sha"))
	for i := range r.Tags {
		t := &r.Tags[i]
		if !t.Annotated {
			continue
		}
		sha := r.tagObjectSHA(int32(i)).String()
		if sha != want {
			continue
		}
		api := c.repoAPI()
		commit := r.Commits[t.Commit].SHA.String()
		w := &c.w
		w.Object()
		w.Key("node_id").Concat("TAG_kwDO", b36(r.ID), "_", t.Name)
		w.Key("sha").Str(sha)
		w.Key("url").Concat(api, "/git/tags/", sha)
		w.Key("tag").Str(t.Name)
		w.Key("message").Concat("Release ", t.Name, "\n")
		c.gitPerson("tagger", "Release Bot", "release-bot@"+c.org.Login+".example", t.CreatedAt)
		w.Key("object").Object()
		w.Key("sha").Str(commit)
		w.Key("type").Str("commit")
		w.Key("url").Concat(api, "/git/commits/", commit)
		w.EndObject()
		w.Key("verification").Object()
		w.Key("verified").Bool(false)
		w.Key("reason").Str("unsigned")
		w.Key("signature").Null()
		w.Key("payload").Null()
		w.EndObject()
		w.EndObject()
		return http.StatusOK
	}
	return c.notFound()
}
