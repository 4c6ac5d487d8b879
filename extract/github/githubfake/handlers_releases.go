package githubfake

import (
	"net/http"
	"strconv"
	"strings"
)

// hReleases answers GET /repos/{o}/{r}/releases, newest first, drafts
// included (the token is taken to have push access).
func hReleases(c *call) int {
	r := c.repo
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
		w.obj()
		w.str("name", t.Name)
		w.strs("zipball_url", api, "/zipball/refs/tags/", t.Name)
		w.strs("tarball_url", api, "/tarball/refs/tags/", t.Name)
		w.objKey("commit")
		w.str("sha", sha)
		w.strs("url", api, "/commits/", sha)
		w.end()
		w.strs("node_id", "REF_kwDO", b36(r.ID), "_", t.Name)
		w.end()
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
	w.obj()
	w.strs("ref", "refs/", ref)
	w.strs("node_id", "REF_kwDO", b36(r.ID), "_", ref)
	w.strs("url", api, "/git/refs/", ref)
	w.objKey("object")
	w.str("sha", sha)
	w.str("type", kind)
	w.str("url", objURL)
	w.end()
	w.end()
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
		w.obj()
		w.strs("node_id", "TAG_kwDO", b36(r.ID), "_", t.Name)
		w.str("sha", sha)
		w.strs("url", api, "/git/tags/", sha)
		w.str("tag", t.Name)
		w.strs("message", "Release ", t.Name, "\n")
		c.gitPerson("tagger", "Release Bot", "release-bot@"+c.org.Login+".example", t.CreatedAt)
		w.objKey("object")
		w.str("sha", commit)
		w.str("type", "commit")
		w.strs("url", api, "/git/commits/", commit)
		w.end()
		w.objKey("verification")
		w.bool("verified", false)
		w.str("reason", "unsigned")
		w.null("signature")
		w.null("payload")
		w.end()
		w.end()
		return http.StatusOK
	}
	return c.notFound()
}
