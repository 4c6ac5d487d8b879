package githubfake

import (
	"hash/fnv"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The renderers write GitHub's documents field by field, with the field
// names and nesting of the REST API (as of API version 2022-11-28). They
// include the fields go-github and the extractor read, plus enough of the
// rest that a document looks like GitHub's; URLs point back at this server
// (API) or at HTMLURL (web).

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func b36(n int64) string { return strconv.FormatInt(n, 36) }

// hash32 is a stable small hash for derived values (label ids, line
// counts) that need to look varied but never change.
func hash32(parts ...string) uint32 {
	h := fnv.New32a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return h.Sum32()
}

// user writes a person as a GitHub user object, or null for an author
// GitHub cannot link to an account.
func (c *call) user(k string, pi int32) {
	p := &c.org.People[pi]
	if p.Login == "" {
		c.w.null(k)
		return
	}
	c.w.objKey(k)
	kind := "User"
	if p.Bot {
		kind = "Bot"
	}
	c.account(p.Login, p.ID, kind)
	c.w.end()
}

func (c *call) account(login string, id int64, kind string) {
	w := &c.w
	w.str("login", login)
	w.int("id", id)
	w.strs("node_id", "U_kgDO", b36(id))
	w.strs("avatar_url", "https://avatars.githubusercontent.com/u/", itoa(id), "?v=4")
	w.str("gravatar_id", "")
	w.strs("url", c.api, "/users/", url.PathEscape(login))
	w.strs("html_url", c.s.htmlURL, "/", url.PathEscape(login))
	w.str("type", kind)
	w.bool("site_admin", false)
}

// orgOwner writes the organisation as a repository owner.
func (c *call) orgOwner(k string) {
	c.w.objKey(k)
	c.account(c.org.Login, c.org.ID, "Organization")
	c.w.end()
}

// webFlow is the committer GitHub records for merges made in its UI.
func (c *call) webFlow(k string) {
	c.w.objKey(k)
	c.account("web-flow", 19864447, "User")
	c.w.end()
}

// repoObj writes a repository; full adds the fields of GET /repos/{o}/{r}
// and the repository listings.
func (c *call) repoObj(r *Repo, full bool) {
	w := &c.w
	api := c.rapi
	if r != c.repo {
		api = c.api + "/repos/" + r.Owner + "/" + r.Name
	}
	w.obj()
	w.int("id", r.ID)
	w.strs("node_id", "R_kgDO", b36(r.ID))
	w.str("name", r.Name)
	w.str("full_name", r.FullName())
	w.bool("private", false)
	c.orgOwner("owner")
	w.strs("html_url", c.s.htmlURL, "/", r.Owner, "/", r.Name)
	w.strs("description", "The ", r.Name, " service")
	w.bool("fork", false)
	w.str("url", api)
	w.strs("commits_url", api, "/commits{/sha}")
	w.strs("compare_url", api, "/compare/{base}...{head}")
	w.strs("deployments_url", api, "/deployments")
	w.strs("pulls_url", api, "/pulls{/number}")
	w.strs("releases_url", api, "/releases{/id}")
	w.strs("tags_url", api, "/tags")
	if full {
		pushed := r.CreatedAt
		if n := len(r.Commits); n > 0 {
			pushed = r.Commits[n-1].Date
		}
		w.time("created_at", r.CreatedAt)
		w.time("updated_at", pushed)
		w.time("pushed_at", pushed)
		w.strs("git_url", "git://github.com/", r.Owner, "/", r.Name, ".git")
		w.strs("ssh_url", "git@github.com:", r.Owner, "/", r.Name, ".git")
		w.strs("clone_url", c.s.htmlURL, "/", r.Owner, "/", r.Name, ".git")
		w.null("homepage")
		w.int("size", int64(len(r.Commits)))
		w.int("stargazers_count", 0)
		w.int("watchers_count", 0)
		w.str("language", "Go")
		w.bool("has_issues", true)
		w.bool("has_projects", false)
		w.bool("has_wiki", false)
		w.int("forks_count", 0)
		w.bool("archived", false)
		w.bool("disabled", false)
		w.int("open_issues_count", 0)
		w.null("license")
		w.bool("allow_forking", true)
		w.bool("is_template", false)
		w.arrKey("topics")
		w.endArr()
		w.str("visibility", "public")
		w.int("forks", 0)
		w.int("open_issues", 0)
		w.int("watchers", 0)
	}
	w.str("default_branch", r.DefaultBranch)
	if full {
		w.objKey("permissions")
		w.bool("admin", false)
		w.bool("maintain", false)
		w.bool("push", true)
		w.bool("triage", true)
		w.bool("pull", true)
		w.end()
	}
	w.end()
}

func (c *call) label(name string) {
	w := &c.w
	h := hash32(c.repo.FullName(), name)
	id := int64(5_000_000_000) + int64(h)
	w.elem()
	w.obj()
	w.int("id", id)
	w.strs("node_id", "LA_kwDO", b36(id))
	w.strs("url", c.repoAPI(), "/labels/", url.PathEscape(name))
	w.str("name", name)
	w.str("color", strconv.FormatUint(uint64(h&0xffffff|0x1000000), 16)[1:])
	w.bool("default", name == "bug" || name == "documentation")
	w.null("description")
	w.end()
}

// pr writes a pull request; full adds the fields only GET .../pulls/{n}
// returns (merged, mergeable, counts).
func (c *call) pr(p *PullRequest, full bool) {
	w := &c.w
	r := c.repo
	n := strconv.Itoa(p.Number)
	api := c.repoAPI()
	self := api + "/pulls/" + n
	html := c.repoHTML() + "/pull/" + n
	head := r.Commits[p.HeadCommit()].SHA.String()
	w.obj()
	w.str("url", self)
	w.int("id", p.ID)
	w.strs("node_id", "PR_kwDO", b36(p.ID))
	w.str("html_url", html)
	w.strs("diff_url", html, ".diff")
	w.strs("patch_url", html, ".patch")
	w.strs("issue_url", api, "/issues/", n)
	w.int("number", int64(p.Number))
	w.str("state", p.State())
	w.bool("locked", false)
	w.str("title", p.Title)
	c.user("user", p.User)
	w.strOrNull("body", p.Body)
	w.time("created_at", p.CreatedAt)
	w.time("updated_at", p.UpdatedAt)
	w.time("closed_at", p.ClosedAt)
	w.time("merged_at", p.MergedAt)
	if p.Merged() {
		w.str("merge_commit_sha", r.Commits[p.MergeCommit].SHA.String())
	} else {
		w.str("merge_commit_sha", r.testMergeSHA(p.Number).String())
	}
	w.null("assignee")
	w.arrKey("assignees")
	w.endArr()
	w.arrKey("requested_reviewers")
	w.endArr()
	w.arrKey("requested_teams")
	w.endArr()
	w.arrKey("labels")
	for _, l := range p.Labels {
		c.label(l)
	}
	w.endArr()
	w.null("milestone")
	w.bool("draft", p.Draft)
	w.strs("commits_url", self, "/commits")
	w.strs("review_comments_url", self, "/comments")
	w.strs("review_comment_url", api, "/pulls/comments{/number}")
	w.strs("comments_url", api, "/issues/", n, "/comments")
	w.strs("statuses_url", api, "/statuses/", head)
	c.prRef("head", p.Head, head)
	baseSHA := p.BaseSHA
	switch {
	case p.Merged():
		baseSHA = r.Commits[p.MergeCommit].Parents[0]
	case p.ClosedAt.IsZero():
		if h, ok := r.Branch(p.Base); ok {
			baseSHA = h
		}
	}
	c.prRef("base", p.Base, r.Commits[baseSHA].SHA.String())
	w.objKey("_links")
	for _, l := range [...][2]string{
		{"self", self}, {"html", html}, {"issue", api + "/issues/" + n},
		{"comments", api + "/issues/" + n + "/comments"}, {"review_comments", self + "/comments"},
		{"review_comment", api + "/pulls/comments{/number}"}, {"commits", self + "/commits"},
		{"statuses", api + "/statuses/" + head},
	} {
		w.objKey(l[0])
		w.str("href", l[1])
		w.end()
	}
	w.end()
	assoc := "MEMBER"
	if c.org.People[p.User].Bot {
		assoc = "NONE"
	}
	w.str("author_association", assoc)
	w.null("auto_merge")
	w.null("active_lock_reason")
	if full {
		w.bool("merged", p.Merged())
		if p.ClosedAt.IsZero() {
			w.bool("mergeable", true)
			w.bool("rebaseable", true)
			w.str("mergeable_state", "clean")
		} else {
			w.null("mergeable")
			w.null("rebaseable")
			w.str("mergeable_state", "unknown")
		}
		if p.Merged() {
			c.user("merged_by", p.MergedBy)
		} else {
			w.null("merged_by")
		}
		w.int("comments", 0)
		w.int("review_comments", 0)
		w.bool("maintainer_can_modify", false)
		w.int("commits", int64(p.NumCommits))
		var add, del int64
		for _, f := range p.Files {
			a, d := lineCounts(head, f)
			add, del = add+a, del+d
		}
		w.int("additions", add)
		w.int("deletions", del)
		w.int("changed_files", int64(len(p.Files)))
	}
	w.end()
}

func (c *call) prRef(k, ref, sha string) {
	w := &c.w
	w.objKey(k)
	w.strs("label", c.repo.Owner, ":", ref)
	w.str("ref", ref)
	w.str("sha", sha)
	c.orgOwner("user")
	w.key("repo")
	c.repoObj(c.repo, false)
	w.end()
}

// lineCounts derives a file's additions and deletions in a change.
func lineCounts(sha, file string) (int64, int64) {
	h := hash32(sha, file)
	return int64(1 + h%60), int64(h >> 8 % 25)
}

// derivedSHA is a stable id for objects the fake does not model (trees,
// blobs): the commit's id with its bytes mixed.
func derivedSHA(s SHA, salt byte) string {
	for i := range s {
		s[i] = s[i]*31 + salt + byte(i)
	}
	return s.String()
}

func (c *call) gitPerson(k, name, email string, at time.Time) {
	w := &c.w
	w.objKey(k)
	w.str("name", name)
	w.str("email", email)
	w.time("date", at)
	w.end()
}

// isWebMerge reports whether the commit is the merge or squash commit of a
// pull request, which GitHub commits as web-flow.
func (c *call) isWebMerge(i int32) bool {
	cm := &c.repo.Commits[i]
	if cm.PR == 0 {
		return false
	}
	p := c.repo.PR(cm.PR)
	return p != nil && p.MergeCommit == i
}

// commit writes a commit as GET /commits lists it; detail adds stats and
// files, as GET /commits/{ref} returns it.
func (c *call) commit(i int32, detail bool) {
	w := &c.w
	r := c.repo
	cm := &r.Commits[i]
	sha := cm.SHA.String()
	api := c.repoAPI()
	author := &c.org.People[cm.Author]
	web := c.isWebMerge(i)
	w.obj()
	w.str("sha", sha)
	w.strs("node_id", "C_kwDO", sha[:20])
	w.objKey("commit")
	c.gitPerson("author", author.Name, author.Email, cm.Date)
	if web {
		c.gitPerson("committer", "GitHub", "noreply@github.com", cm.Date)
	} else {
		c.gitPerson("committer", author.Name, author.Email, cm.Date)
	}
	w.str("message", cm.Message)
	w.objKey("tree")
	tree := derivedSHA(cm.SHA, 't')
	w.str("sha", tree)
	w.strs("url", api, "/git/trees/", tree)
	w.end()
	w.strs("url", api, "/git/commits/", sha)
	w.int("comment_count", 0)
	w.objKey("verification")
	w.bool("verified", web)
	if web {
		w.str("reason", "valid")
	} else {
		w.str("reason", "unsigned")
	}
	w.null("signature")
	w.null("payload")
	w.end()
	w.end()
	w.strs("url", api, "/commits/", sha)
	w.strs("html_url", c.repoHTML(), "/commit/", sha)
	w.strs("comments_url", api, "/commits/", sha, "/comments")
	c.user("author", cm.Author)
	if web {
		c.webFlow("committer")
	} else {
		c.user("committer", cm.Author)
	}
	w.arrKey("parents")
	for _, p := range cm.Parents {
		if p == NoCommit {
			continue
		}
		ps := r.Commits[p].SHA.String()
		w.elem()
		w.obj()
		w.str("sha", ps)
		w.strs("url", api, "/commits/", ps)
		w.strs("html_url", c.repoHTML(), "/commit/", ps)
		w.end()
	}
	w.endArr()
	if detail {
		files := c.commitFiles(i)
		var add, del int64
		for _, f := range files {
			a, d := lineCounts(sha, f)
			add, del = add+a, del+d
		}
		w.objKey("stats")
		w.int("total", add+del)
		w.int("additions", add)
		w.int("deletions", del)
		w.end()
		w.arrKey("files")
		for _, f := range files {
			c.file(sha, f, cm.NumParents() == 0)
		}
		w.endArr()
	}
	w.end()
}

// commitFiles is what a commit changes: its own files, or its pull
// request's.
func (c *call) commitFiles(i int32) []string {
	cm := &c.repo.Commits[i]
	if cm.Files != nil || cm.PR == 0 {
		return cm.Files
	}
	if p := c.repo.PR(cm.PR); p != nil {
		return p.Files
	}
	return nil
}

// file writes a changed file as commits, compare and pull files list it.
func (c *call) file(sha, name string, added bool) {
	w := &c.w
	a, d := lineCounts(sha, name)
	status := "modified"
	if added {
		status, d = "added", 0
	}
	blob := derivedSHA(SHA(hashSHA(sha, name)), 'b')
	esc := escapePath(name)
	w.elem()
	w.obj()
	w.str("sha", blob)
	w.str("filename", name)
	w.str("status", status)
	w.int("additions", a)
	w.int("deletions", d)
	w.int("changes", a+d)
	w.strs("blob_url", c.repoHTML(), "/blob/", sha, "/", esc)
	w.strs("raw_url", c.repoHTML(), "/raw/", sha, "/", esc)
	w.strs("contents_url", c.repoAPI(), "/contents/", esc, "?ref=", sha)
	w.strs("patch", "@@ -1,", strconv.FormatInt(d, 10), " +1,", strconv.FormatInt(a, 10), " @@")
	w.end()
}

func hashSHA(parts ...string) [20]byte {
	var out [20]byte
	for i := 0; i < 20; i += 4 {
		h := hash32(append(parts, strconv.Itoa(i))...)
		out[i], out[i+1], out[i+2], out[i+3] = byte(h), byte(h>>8), byte(h>>16), byte(h>>24)
	}
	return out
}

func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i := range parts {
		parts[i] = url.PathEscape(parts[i])
	}
	return strings.Join(parts, "/")
}

// workflow writes a workflow.
func (c *call) workflow(wf *Workflow) {
	w := &c.w
	w.obj()
	w.int("id", wf.ID)
	w.strs("node_id", "W_kwDO", b36(wf.ID))
	w.str("name", wf.Name)
	w.str("path", wf.Path)
	w.str("state", "active")
	w.time("created_at", wf.CreatedAt)
	w.time("updated_at", wf.CreatedAt)
	w.strs("url", c.repoAPI(), "/actions/workflows/", itoa(wf.ID))
	w.strs("html_url", c.repoHTML(), "/blob/", c.repo.DefaultBranch, "/", wf.Path)
	w.strs("badge_url", c.repoHTML(), "/workflows/", url.PathEscape(wf.Name), "/badge.svg")
	w.end()
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// run writes a workflow run; withPRs lists the pull request a
// pull_request run belongs to, as GitHub does unless
// exclude_pull_requests is set.
func (c *call) run(run *Run, withPRs bool) {
	w := &c.w
	r := c.repo
	wf := &r.Workflows[run.Workflow]
	cm := &r.Commits[run.Commit]
	sha := cm.SHA.String()
	id := itoa(run.ID)
	api := c.repoAPI()
	self := api + "/actions/runs/" + id
	var pr *PullRequest
	if run.Event == "pull_request" && cm.PR != 0 {
		pr = r.PR(cm.PR)
	}
	w.obj()
	w.int("id", run.ID)
	w.str("name", wf.Name)
	w.strs("node_id", "WFR_kwLO", b36(run.ID))
	w.str("head_branch", run.HeadBranch)
	w.str("head_sha", sha)
	w.str("path", wf.Path)
	switch {
	case pr != nil:
		w.str("display_title", pr.Title)
	case run.Event == "push":
		w.str("display_title", firstLine(cm.Message))
	default:
		w.str("display_title", wf.Name)
	}
	w.int("run_number", int64(run.RunNumber))
	w.str("event", run.Event)
	w.str("status", run.Status)
	w.strOrNull("conclusion", run.Conclusion)
	w.int("workflow_id", wf.ID)
	w.int("check_suite_id", run.ID/3+7)
	w.strs("check_suite_node_id", "CS_kwDO", b36(run.ID/3+7))
	w.str("url", self)
	w.strs("html_url", c.repoHTML(), "/actions/runs/", id)
	w.arrKey("pull_requests")
	if withPRs && pr != nil {
		w.elem()
		w.obj()
		w.strs("url", api, "/pulls/", strconv.Itoa(pr.Number))
		w.int("id", pr.ID)
		w.int("number", int64(pr.Number))
		for _, ref := range [...][2]string{{"head", pr.Head}, {"base", pr.Base}} {
			w.objKey(ref[0])
			w.str("ref", ref[1])
			if ref[0] == "head" {
				w.str("sha", sha)
			} else {
				w.str("sha", r.Commits[pr.BaseSHA].SHA.String())
			}
			w.objKey("repo")
			w.int("id", r.ID)
			w.str("url", api)
			w.str("name", r.Name)
			w.end()
			w.end()
		}
		w.end()
	}
	w.endArr()
	w.time("created_at", run.CreatedAt)
	w.time("updated_at", run.UpdatedAt)
	c.user("actor", run.Actor)
	w.int("run_attempt", 1)
	w.arrKey("referenced_workflows")
	w.endArr()
	w.time("run_started_at", run.CreatedAt)
	c.user("triggering_actor", run.Actor)
	w.strs("jobs_url", self, "/jobs")
	w.strs("logs_url", self, "/logs")
	w.strs("check_suite_url", api, "/check-suites/", itoa(run.ID/3+7))
	w.strs("artifacts_url", self, "/artifacts")
	w.strs("cancel_url", self, "/cancel")
	w.strs("rerun_url", self, "/rerun")
	w.null("previous_attempt_url")
	w.strs("workflow_url", api, "/actions/workflows/", itoa(wf.ID))
	w.objKey("head_commit")
	w.str("id", sha)
	w.str("tree_id", derivedSHA(cm.SHA, 't'))
	w.str("message", cm.Message)
	w.time("timestamp", cm.Date)
	author := &c.org.People[cm.Author]
	for _, k := range [...]string{"author", "committer"} {
		w.objKey(k)
		w.str("name", author.Name)
		w.str("email", author.Email)
		w.end()
	}
	w.end()
	w.key("repository")
	c.repoObj(r, false)
	w.key("head_repository")
	c.repoObj(r, false)
	w.end()
}

// release writes a release. A draft has no tag yet: GitHub gives it an
// "untagged-…" html_url and no tarball.
func (c *call) release(rel *Release) {
	w := &c.w
	api := c.repoAPI()
	id := itoa(rel.ID)
	self := api + "/releases/" + id
	w.obj()
	w.str("url", self)
	w.strs("assets_url", self, "/assets")
	w.strs("upload_url", "https://uploads.github.com/repos/", c.repo.Owner, "/", c.repo.Name, "/releases/", id, "/assets{?name,label}")
	if rel.Draft {
		w.strs("html_url", c.repoHTML(), "/releases/tag/untagged-", derivedSHA(c.org.makeSHA('d', c.repo.ordinal, rel.ID), 'u')[:20])
	} else {
		w.strs("html_url", c.repoHTML(), "/releases/tag/", url.PathEscape(rel.TagName))
	}
	w.int("id", rel.ID)
	c.user("author", rel.Author)
	w.strs("node_id", "RE_kwDO", b36(rel.ID))
	w.str("tag_name", rel.TagName)
	w.str("target_commitish", rel.Target)
	w.str("name", rel.Name)
	w.bool("draft", rel.Draft)
	w.bool("prerelease", rel.Prerelease)
	w.time("created_at", rel.CreatedAt)
	w.time("published_at", rel.PublishedAt)
	w.arrKey("assets")
	w.endArr()
	if rel.Draft {
		w.null("tarball_url")
		w.null("zipball_url")
	} else {
		w.strs("tarball_url", api, "/tarball/", url.PathEscape(rel.TagName))
		w.strs("zipball_url", api, "/zipball/", url.PathEscape(rel.TagName))
	}
	w.strs("body", "Release ", rel.TagName)
	w.end()
}

func (c *call) deployment(d *Deployment) {
	w := &c.w
	api := c.repoAPI()
	self := api + "/deployments/" + itoa(d.ID)
	w.obj()
	w.str("url", self)
	w.int("id", d.ID)
	w.strs("node_id", "DE_kwDO", b36(d.ID))
	w.str("sha", c.repo.Commits[d.Commit].SHA.String())
	w.str("ref", d.Ref)
	w.str("task", d.Task)
	w.raw("payload", "{}")
	w.str("original_environment", d.Environment)
	w.str("environment", d.Environment)
	w.null("description")
	c.user("creator", d.Creator)
	w.time("created_at", d.CreatedAt)
	w.time("updated_at", d.UpdatedAt())
	w.strs("statuses_url", self, "/statuses")
	w.str("repository_url", api)
	w.bool("transient_environment", false)
	w.bool("production_environment", d.Environment == "production")
	w.null("performed_via_github_app")
	w.end()
}

func (c *call) deploymentStatus(d *Deployment, s *DeploymentStatus) {
	w := &c.w
	api := c.repoAPI()
	dep := api + "/deployments/" + itoa(d.ID)
	w.obj()
	w.strs("url", dep, "/statuses/", itoa(s.ID))
	w.int("id", s.ID)
	w.strs("node_id", "DES_kwDO", b36(s.ID))
	w.str("state", s.State)
	c.user("creator", d.Creator)
	w.str("description", "")
	w.str("environment", d.Environment)
	w.str("target_url", "")
	w.time("created_at", s.CreatedAt)
	w.time("updated_at", s.CreatedAt)
	w.str("deployment_url", dep)
	w.str("repository_url", api)
	w.str("environment_url", "")
	w.str("log_url", "")
	w.null("performed_via_github_app")
	w.end()
}
