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
		c.w.Key(k).Null()
		return
	}
	c.w.Key(k).Object()
	kind := "User"
	if p.Bot {
		kind = "Bot"
	}
	c.account(p.Login, p.ID, kind)
	c.w.EndObject()
}

// account writes the fields of GitHub's simple-user, every one that the
// OpenAPI description (components/schemas/simple-user) requires,
// hypermedia URLs included.
func (c *call) account(login string, id int64, kind string) {
	w := &c.w
	u := c.api + "/users/" + url.PathEscape(login)
	w.Key("login").Str(login)
	w.Key("id").Int(id)
	w.Key("node_id").Concat("U_kgDO", b36(id))
	w.Key("avatar_url").Concat("https://avatars.githubusercontent.com/u/", itoa(id), "?v=4")
	w.Key("gravatar_id").Str("")
	w.Key("url").Str(u)
	w.Key("html_url").Concat(c.s.htmlURL, "/", url.PathEscape(login))
	w.Key("followers_url").Concat(u, "/followers")
	w.Key("following_url").Concat(u, "/following{/other_user}")
	w.Key("gists_url").Concat(u, "/gists{/gist_id}")
	w.Key("starred_url").Concat(u, "/starred{/owner}{/repo}")
	w.Key("subscriptions_url").Concat(u, "/subscriptions")
	w.Key("organizations_url").Concat(u, "/orgs")
	w.Key("repos_url").Concat(u, "/repos")
	w.Key("events_url").Concat(u, "/events{/privacy}")
	w.Key("received_events_url").Concat(u, "/received_events")
	w.Key("type").Str(kind)
	w.Key("user_view_type").Str("public")
	w.Key("site_admin").Bool(false)
}

// orgOwner writes the organisation (or, with Org.User, the user) as a
// repository owner.
func (c *call) orgOwner(k string) {
	c.w.Key(k).Object()
	c.account(c.org.Login, c.org.ID, c.org.ownerType())
	c.w.EndObject()
}

// webFlow is the committer GitHub records for merges made in its UI.
func (c *call) webFlow(k string) {
	c.w.Key(k).Object()
	c.account("web-flow", 19864447, "User")
	c.w.EndObject()
}

// repoObj writes a repository: GitHub's minimal-repository, or with full
// its repository (GET /repos/{o}/{r}, the listings, a pull request's base
// and head). Both carry every hypermedia URL template, as the OpenAPI
// description's components/schemas/minimal-repository requires.
func (c *call) repoObj(r *Repo, full bool) {
	w := &c.w
	api := c.rapi
	if r != c.repo {
		api = c.api + "/repos/" + r.Owner + "/" + r.Name
	}
	w.Object()
	w.Key("id").Int(r.ID)
	w.Key("node_id").Concat("R_kgDO", b36(r.ID))
	w.Key("name").Str(r.Name)
	w.Key("full_name").Str(r.FullName())
	w.Key("private").Bool(false)
	c.orgOwner("owner")
	w.Key("html_url").Concat(c.s.htmlURL, "/", r.Owner, "/", r.Name)
	w.Key("description").Concat("The ", r.Name, " service")
	w.Key("fork").Bool(false)
	w.Key("url").Str(api)
	for _, t := range repoURLTemplates {
		w.Key(t[0]).Concat(api, t[1])
	}
	if full {
		pushed := r.CreatedAt
		if n := len(r.Commits); n > 0 {
			pushed = r.Commits[n-1].Date
		}
		w.Key("created_at").Time(r.CreatedAt)
		w.Key("updated_at").Time(pushed)
		w.Key("pushed_at").Time(pushed)
		w.Key("git_url").Concat("git://github.com/", r.Owner, "/", r.Name, ".git")
		w.Key("ssh_url").Concat("git@github.com:", r.Owner, "/", r.Name, ".git")
		w.Key("clone_url").Concat(c.s.htmlURL, "/", r.Owner, "/", r.Name, ".git")
		w.Key("svn_url").Concat(c.s.htmlURL, "/", r.Owner, "/", r.Name)
		w.Key("mirror_url").Null()
		w.Key("homepage").Null()
		w.Key("size").Int(int64(len(r.Commits)))
		w.Key("stargazers_count").Int(0)
		w.Key("watchers_count").Int(0)
		w.Key("language").Str("Go")
		w.Key("has_issues").Bool(true)
		w.Key("has_projects").Bool(false)
		w.Key("has_wiki").Bool(false)
		w.Key("has_pages").Bool(false)
		w.Key("has_downloads").Bool(true)
		w.Key("forks_count").Int(0)
		w.Key("archived").Bool(false)
		w.Key("disabled").Bool(false)
		w.Key("open_issues_count").Int(0)
		w.Key("license").Null()
		w.Key("allow_forking").Bool(true)
		w.Key("is_template").Bool(false)
		w.Key("topics").Array()
		w.EndArray()
		w.Key("visibility").Str("public")
		w.Key("forks").Int(0)
		w.Key("open_issues").Int(0)
		w.Key("watchers").Int(0)
	}
	w.Key("default_branch").Str(r.DefaultBranch)
	if full {
		w.Key("permissions").Object()
		w.Key("admin").Bool(false)
		w.Key("maintain").Bool(false)
		w.Key("push").Bool(true)
		w.Key("triage").Bool(true)
		w.Key("pull").Bool(true)
		w.EndObject()
	}
	w.EndObject()
}

// repoURLTemplates are a repository's hypermedia URLs, relative to its
// API URL, as GitHub writes them.
var repoURLTemplates = [][2]string{
	{"forks_url", "/forks"},
	{"keys_url", "/keys{/key_id}"},
	{"collaborators_url", "/collaborators{/collaborator}"},
	{"teams_url", "/teams"},
	{"hooks_url", "/hooks"},
	{"issue_events_url", "/issues/events{/number}"},
	{"events_url", "/events"},
	{"assignees_url", "/assignees{/user}"},
	{"branches_url", "/branches{/branch}"},
	{"tags_url", "/tags"},
	{"blobs_url", "/git/blobs{/sha}"},
	{"git_tags_url", "/git/tags{/sha}"},
	{"git_refs_url", "/git/refs{/sha}"},
	{"trees_url", "/git/trees{/sha}"},
	{"statuses_url", "/statuses/{sha}"},
	{"languages_url", "/languages"},
	{"stargazers_url", "/stargazers"},
	{"contributors_url", "/contributors"},
	{"subscribers_url", "/subscribers"},
	{"subscription_url", "/subscription"},
	{"commits_url", "/commits{/sha}"},
	{"git_commits_url", "/git/commits{/sha}"},
	{"comments_url", "/comments{/number}"},
	{"issue_comment_url", "/issues/comments{/number}"},
	{"contents_url", "/contents/{+path}"},
	{"compare_url", "/compare/{base}...{head}"},
	{"merges_url", "/merges"},
	{"archive_url", "/{archive_format}{/ref}"},
	{"downloads_url", "/downloads"},
	{"issues_url", "/issues{/number}"},
	{"pulls_url", "/pulls{/number}"},
	{"milestones_url", "/milestones{/number}"},
	{"notifications_url", "/notifications{?since,all,participating}"},
	{"labels_url", "/labels{/name}"},
	{"releases_url", "/releases{/id}"},
	{"deployments_url", "/deployments"},
}

// label writes a label. Its description is a string: the OpenAPI
// description's pull-request-simple (the pull request listings) declares
// labels[].description a string that cannot be null, so the fake's labels
// all have one.
func (c *call) label(name string) {
	w := &c.w
	h := hash32(c.repo.FullName(), name)
	id := int64(5_000_000_000) + int64(h)
	w.Object()
	w.Key("id").Int(id)
	w.Key("node_id").Concat("LA_kwDO", b36(id))
	w.Key("url").Concat(c.repoAPI(), "/labels/", url.PathEscape(name))
	w.Key("name").Str(name)
	w.Key("color").Str(strconv.FormatUint(uint64(h&0xffffff|0x1000000), 16)[1:])
	w.Key("default").Bool(name == "bug" || name == "documentation")
	w.Key("description").Concat("Pull requests labelled ", name)
	w.EndObject()
}

// prBase is the commit a pull request's base.sha (GraphQL: baseRefOid)
// names: the base branch's head it was merged onto, the branch's head
// while it is open, else where it was branched.
func (r *Repo) prBase(p *PullRequest) int32 {
	switch {
	case p.Merged():
		return p.MergedOnto(r.Commits)
	case p.ClosedAt.IsZero():
		if h, ok := r.Branch(p.Base); ok {
			return h
		}
	}
	return p.BaseSHA
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
	w.Object()
	w.Key("url").Str(self)
	w.Key("id").Int(p.ID)
	w.Key("node_id").Concat("PR_kwDO", b36(p.ID))
	w.Key("html_url").Str(html)
	w.Key("diff_url").Concat(html, ".diff")
	w.Key("patch_url").Concat(html, ".patch")
	w.Key("issue_url").Concat(api, "/issues/", n)
	w.Key("number").Int(int64(p.Number))
	w.Key("state").Str(p.State())
	w.Key("locked").Bool(false)
	w.Key("title").Str(p.Title)
	c.user("user", p.User)
	w.Key("body").StrOrNull(p.Body)
	w.Key("created_at").Time(p.CreatedAt)
	w.Key("updated_at").Time(p.UpdatedAt)
	w.Key("closed_at").Time(p.ClosedAt)
	w.Key("merged_at").Time(p.MergedAt)
	if p.Merged() {
		w.Key("merge_commit_sha").Str(r.Commits[p.MergeCommit].SHA.String())
	} else {
		w.Key("merge_commit_sha").Str(r.testMergeSHA(p.Number).String())
	}
	w.Key("assignee").Null()
	w.Key("assignees").Array()
	w.EndArray()
	w.Key("requested_reviewers").Array()
	w.EndArray()
	w.Key("requested_teams").Array()
	w.EndArray()
	w.Key("labels").Array()
	for _, l := range p.Labels {
		c.label(l)
	}
	w.EndArray()
	w.Key("milestone").Null()
	w.Key("draft").Bool(p.Draft)
	w.Key("commits_url").Concat(self, "/commits")
	w.Key("review_comments_url").Concat(self, "/comments")
	w.Key("review_comment_url").Concat(api, "/pulls/comments{/number}")
	w.Key("comments_url").Concat(api, "/issues/", n, "/comments")
	w.Key("statuses_url").Concat(api, "/statuses/", head)
	c.prRef("head", p.Head, head)
	c.prRef("base", p.Base, r.Commits[r.prBase(p)].SHA.String())
	w.Key("_links").Object()
	for _, l := range [...][2]string{
		{"self", self}, {"html", html}, {"issue", api + "/issues/" + n},
		{"comments", api + "/issues/" + n + "/comments"}, {"review_comments", self + "/comments"},
		{"review_comment", api + "/pulls/comments{/number}"}, {"commits", self + "/commits"},
		{"statuses", api + "/statuses/" + head},
	} {
		w.Key(l[0]).Object()
		w.Key("href").Str(l[1])
		w.EndObject()
	}
	w.EndObject()
	assoc := "MEMBER"
	if c.org.People[p.User].Bot {
		assoc = "NONE"
	}
	w.Key("author_association").Str(assoc)
	w.Key("auto_merge").Null()
	w.Key("active_lock_reason").Null()
	if full {
		w.Key("merged").Bool(p.Merged())
		if p.ClosedAt.IsZero() {
			w.Key("mergeable").Bool(true)
			w.Key("rebaseable").Bool(true)
			w.Key("mergeable_state").Str("clean")
		} else {
			w.Key("mergeable").Null()
			w.Key("rebaseable").Null()
			w.Key("mergeable_state").Str("unknown")
		}
		if p.Merged() {
			c.user("merged_by", p.MergedBy)
		} else {
			w.Key("merged_by").Null()
		}
		w.Key("comments").Int(0)
		w.Key("review_comments").Int(0)
		w.Key("maintainer_can_modify").Bool(false)
		w.Key("commits").Int(int64(p.NumCommits))
		var add, del int64
		for _, f := range p.Files {
			a, d := lineCounts(head, f)
			add, del = add+a, del+d
		}
		w.Key("additions").Int(add)
		w.Key("deletions").Int(del)
		w.Key("changed_files").Int(int64(len(p.Files)))
	}
	w.EndObject()
}

func (c *call) prRef(k, ref, sha string) {
	w := &c.w
	w.Key(k).Object()
	w.Key("label").Concat(c.repo.Owner, ":", ref)
	w.Key("ref").Str(ref)
	w.Key("sha").Str(sha)
	c.orgOwner("user")
	// A pull request's base.repo and head.repo are full repositories
	// (components/schemas/repository in the OpenAPI description).
	w.Key("repo")
	c.repoObj(c.repo, true)
	w.EndObject()
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
	w.Key(k).Object()
	w.Key("name").Str(name)
	w.Key("email").Str(email)
	w.Key("date").Time(at)
	w.EndObject()
}

// isWebMerge reports whether the commit is the merge or squash commit of a
// pull request, or one its rebase merge wrote, which GitHub commits as
// web-flow.
func (c *call) isWebMerge(i int32) bool {
	cm := &c.repo.Commits[i]
	if cm.PR == 0 {
		return false
	}
	p := c.repo.PR(cm.PR)
	return p != nil && (p.MergeCommit == i || p.Rebased(i))
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
	w.Object()
	w.Key("sha").Str(sha)
	w.Key("node_id").Concat("C_kwDO", sha[:20])
	w.Key("commit").Object()
	c.gitPerson("author", author.Name, author.Email, cm.AuthorDate())
	if web {
		c.gitPerson("committer", "GitHub", "noreply@github.com", cm.Date)
	} else {
		c.gitPerson("committer", author.Name, author.Email, cm.Date)
	}
	w.Key("message").Str(cm.Message)
	w.Key("tree").Object()
	tree := derivedSHA(cm.SHA, 't')
	w.Key("sha").Str(tree)
	w.Key("url").Concat(api, "/git/trees/", tree)
	w.EndObject()
	w.Key("url").Concat(api, "/git/commits/", sha)
	w.Key("comment_count").Int(0)
	w.Key("verification").Object()
	w.Key("verified").Bool(web)
	if web {
		w.Key("reason").Str("valid")
	} else {
		w.Key("reason").Str("unsigned")
	}
	w.Key("signature").Null()
	w.Key("payload").Null()
	// verified_at is required (components/schemas/verification): when
	// GitHub verified the signature, null for an unsigned commit.
	if web {
		w.Key("verified_at").Time(cm.Date)
	} else {
		w.Key("verified_at").Null()
	}
	w.EndObject()
	w.EndObject()
	w.Key("url").Concat(api, "/commits/", sha)
	w.Key("html_url").Concat(c.repoHTML(), "/commit/", sha)
	w.Key("comments_url").Concat(api, "/commits/", sha, "/comments")
	c.user("author", cm.Author)
	if web {
		c.webFlow("committer")
	} else {
		c.user("committer", cm.Author)
	}
	w.Key("parents").Array()
	for _, p := range cm.Parents {
		if p == NoCommit {
			continue
		}
		ps := r.Commits[p].SHA.String()
		w.Object()
		w.Key("sha").Str(ps)
		w.Key("url").Concat(api, "/commits/", ps)
		w.Key("html_url").Concat(c.repoHTML(), "/commit/", ps)
		w.EndObject()
	}
	w.EndArray()
	if detail {
		files := c.commitFiles(i)
		var add, del int64
		for _, f := range files {
			a, d := lineCounts(sha, f)
			add, del = add+a, del+d
		}
		w.Key("stats").Object()
		w.Key("total").Int(add + del)
		w.Key("additions").Int(add)
		w.Key("deletions").Int(del)
		w.EndObject()
		w.Key("files").Array()
		for _, f := range files {
			c.file(sha, f, cm.NumParents() == 0)
		}
		w.EndArray()
	}
	w.EndObject()
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
	w.Object()
	w.Key("sha").Str(blob)
	w.Key("filename").Str(name)
	w.Key("status").Str(status)
	w.Key("additions").Int(a)
	w.Key("deletions").Int(d)
	w.Key("changes").Int(a + d)
	w.Key("blob_url").Concat(c.repoHTML(), "/blob/", sha, "/", esc)
	w.Key("raw_url").Concat(c.repoHTML(), "/raw/", sha, "/", esc)
	w.Key("contents_url").Concat(c.repoAPI(), "/contents/", esc, "?ref=", sha)
	w.Key("patch").Concat("@@ -1,", strconv.FormatInt(d, 10), " +1,", strconv.FormatInt(a, 10), " @@")
	w.EndObject()
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
	w.Object()
	w.Key("id").Int(wf.ID)
	w.Key("node_id").Concat("W_kwDO", b36(wf.ID))
	w.Key("name").Str(wf.Name)
	w.Key("path").Str(wf.Path)
	w.Key("state").Str("active")
	w.Key("created_at").Time(wf.CreatedAt)
	w.Key("updated_at").Time(wf.CreatedAt)
	w.Key("url").Concat(c.repoAPI(), "/actions/workflows/", itoa(wf.ID))
	w.Key("html_url").Concat(c.repoHTML(), "/blob/", c.repo.DefaultBranch, "/", wf.Path)
	w.Key("badge_url").Concat(c.repoHTML(), "/workflows/", url.PathEscape(wf.Name), "/badge.svg")
	w.EndObject()
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
	w.Object()
	w.Key("id").Int(run.ID)
	w.Key("name").Str(wf.Name)
	w.Key("node_id").Concat("WFR_kwLO", b36(run.ID))
	w.Key("head_branch").Str(run.HeadBranch)
	w.Key("head_sha").Str(sha)
	w.Key("path").Str(wf.Path)
	switch {
	case pr != nil:
		w.Key("display_title").Str(pr.Title)
	case run.Event == "push":
		w.Key("display_title").Str(firstLine(cm.Message))
	default:
		w.Key("display_title").Str(wf.Name)
	}
	w.Key("run_number").Int(int64(run.RunNumber))
	w.Key("event").Str(run.Event)
	w.Key("status").Str(run.Status)
	w.Key("conclusion").StrOrNull(run.Conclusion)
	w.Key("workflow_id").Int(wf.ID)
	w.Key("check_suite_id").Int(run.ID/3 + 7)
	w.Key("check_suite_node_id").Concat("CS_kwDO", b36(run.ID/3+7))
	w.Key("url").Str(self)
	w.Key("html_url").Concat(c.repoHTML(), "/actions/runs/", id)
	w.Key("pull_requests").Array()
	if withPRs && pr != nil {
		w.Object()
		w.Key("url").Concat(api, "/pulls/", strconv.Itoa(pr.Number))
		w.Key("id").Int(pr.ID)
		w.Key("number").Int(int64(pr.Number))
		for _, ref := range [...][2]string{{"head", pr.Head}, {"base", pr.Base}} {
			w.Key(ref[0]).Object()
			w.Key("ref").Str(ref[1])
			if ref[0] == "head" {
				w.Key("sha").Str(sha)
			} else {
				w.Key("sha").Str(r.Commits[pr.BaseSHA].SHA.String())
			}
			w.Key("repo").Object()
			w.Key("id").Int(r.ID)
			w.Key("url").Str(api)
			w.Key("name").Str(r.Name)
			w.EndObject()
			w.EndObject()
		}
		w.EndObject()
	}
	w.EndArray()
	w.Key("created_at").Time(run.CreatedAt)
	w.Key("updated_at").Time(run.UpdatedAt)
	c.user("actor", run.Actor)
	w.Key("run_attempt").Int(int64(run.RunAttempt()))
	w.Key("referenced_workflows").Array()
	w.EndArray()
	w.Key("run_started_at").Time(run.RunStartedAt())
	c.user("triggering_actor", run.Actor)
	w.Key("jobs_url").Concat(self, "/jobs")
	w.Key("logs_url").Concat(self, "/logs")
	w.Key("check_suite_url").Concat(api, "/check-suites/", itoa(run.ID/3+7))
	w.Key("artifacts_url").Concat(self, "/artifacts")
	w.Key("cancel_url").Concat(self, "/cancel")
	w.Key("rerun_url").Concat(self, "/rerun")
	if a := run.RunAttempt(); a > 1 {
		w.Key("previous_attempt_url").Concat(self, "/attempts/", itoa(int64(a-1)))
	} else {
		w.Key("previous_attempt_url").Null()
	}
	w.Key("workflow_url").Concat(api, "/actions/workflows/", itoa(wf.ID))
	w.Key("head_commit").Object()
	w.Key("id").Str(sha)
	w.Key("tree_id").Str(derivedSHA(cm.SHA, 't'))
	w.Key("message").Str(cm.Message)
	w.Key("timestamp").Time(cm.Date)
	author := &c.org.People[cm.Author]
	for _, k := range [...]string{"author", "committer"} {
		w.Key(k).Object()
		w.Key("name").Str(author.Name)
		w.Key("email").Str(author.Email)
		w.EndObject()
	}
	w.EndObject()
	w.Key("repository")
	c.repoObj(r, false)
	w.Key("head_repository")
	c.repoObj(r, false)
	w.EndObject()
}

// release writes a release. A draft has no tag yet: GitHub gives it an
// "untagged-…" html_url and no tarball.
func (c *call) release(rel *Release) {
	w := &c.w
	api := c.repoAPI()
	id := itoa(rel.ID)
	self := api + "/releases/" + id
	w.Object()
	w.Key("url").Str(self)
	w.Key("assets_url").Concat(self, "/assets")
	w.Key("upload_url").Concat("https://uploads.github.com/repos/", c.repo.Owner, "/", c.repo.Name, "/releases/", id, "/assets{?name,label}")
	if rel.Draft {
		w.Key("html_url").Concat(c.repoHTML(), "/releases/tag/untagged-", derivedSHA(c.org.makeSHA('d', c.repo.ordinal, rel.ID), 'u')[:20])
	} else {
		w.Key("html_url").Concat(c.repoHTML(), "/releases/tag/", url.PathEscape(rel.TagName))
	}
	w.Key("id").Int(rel.ID)
	c.user("author", rel.Author)
	w.Key("node_id").Concat("RE_kwDO", b36(rel.ID))
	w.Key("tag_name").Str(rel.TagName)
	w.Key("target_commitish").Str(rel.Target)
	w.Key("name").Str(rel.Name)
	w.Key("draft").Bool(rel.Draft)
	w.Key("prerelease").Bool(rel.Prerelease)
	w.Key("created_at").Time(rel.CreatedAt)
	w.Key("published_at").Time(rel.PublishedAt)
	w.Key("assets").Array()
	w.EndArray()
	if rel.Draft {
		w.Key("tarball_url").Null()
		w.Key("zipball_url").Null()
	} else {
		w.Key("tarball_url").Concat(api, "/tarball/", url.PathEscape(rel.TagName))
		w.Key("zipball_url").Concat(api, "/zipball/", url.PathEscape(rel.TagName))
	}
	w.Key("body").Concat("Release ", rel.TagName)
	w.EndObject()
}

func (c *call) deployment(d *Deployment) {
	w := &c.w
	api := c.repoAPI()
	self := api + "/deployments/" + itoa(d.ID)
	w.Object()
	w.Key("url").Str(self)
	w.Key("id").Int(d.ID)
	w.Key("node_id").Concat("DE_kwDO", b36(d.ID))
	w.Key("sha").Str(c.repo.Commits[d.Commit].SHA.String())
	w.Key("ref").Str(d.Ref)
	w.Key("task").Str(d.Task)
	w.Key("payload").Raw("{}")
	w.Key("original_environment").Str(d.Environment)
	w.Key("environment").Str(d.Environment)
	w.Key("description").Null()
	c.user("creator", d.Creator)
	w.Key("created_at").Time(d.CreatedAt)
	// Whether a new status touches the deployment object (and so its list
	// page's ETag) is not documented (REST API docs, "Deployment
	// statuses"): the fake takes the reading an extractor must survive,
	// and leaves the deployment as it was created.
	w.Key("updated_at").Time(d.CreatedAt)
	w.Key("statuses_url").Concat(self, "/statuses")
	w.Key("repository_url").Str(api)
	w.Key("transient_environment").Bool(false)
	w.Key("production_environment").Bool(d.Environment == "production")
	w.Key("performed_via_github_app").Null()
	w.EndObject()
}

func (c *call) deploymentStatus(d *Deployment, s *DeploymentStatus) {
	w := &c.w
	api := c.repoAPI()
	dep := api + "/deployments/" + itoa(d.ID)
	w.Object()
	w.Key("url").Concat(dep, "/statuses/", itoa(s.ID))
	w.Key("id").Int(s.ID)
	w.Key("node_id").Concat("DES_kwDO", b36(s.ID))
	w.Key("state").Str(s.State)
	c.user("creator", d.Creator)
	w.Key("description").Str("")
	w.Key("environment").Str(d.Environment)
	w.Key("target_url").Str("")
	w.Key("created_at").Time(s.CreatedAt)
	w.Key("updated_at").Time(s.CreatedAt)
	w.Key("deployment_url").Str(dep)
	w.Key("repository_url").Str(api)
	w.Key("environment_url").Str("")
	w.Key("log_url").Str("")
	w.Key("performed_via_github_app").Null()
	w.EndObject()
}

// review writes a pull request review object, the fields of GitHub's
// "pull-request-review" schema
// (https://docs.github.com/en/rest/pulls/reviews#get-a-review-for-a-pull-request).
func (c *call) review(p *PullRequest, rv *Review) {
	w := &c.w
	n := strconv.Itoa(p.Number)
	html := c.repoHTML() + "/pull/" + n + "#pullrequestreview-" + strconv.FormatInt(rv.ID, 10)
	pull := c.repoAPI() + "/pulls/" + n
	w.Object()
	w.Key("id").Int(rv.ID)
	w.Key("node_id").Concat("PRR_kwDO", b36(rv.ID))
	c.user("user", rv.User)
	w.Key("body").Str("")
	w.Key("state").Str(rv.State)
	w.Key("html_url").Str(html)
	w.Key("pull_request_url").Str(pull)
	w.Key("_links").Object()
	w.Key("html").Object()
	w.Key("href").Str(html)
	w.EndObject()
	w.Key("pull_request").Object()
	w.Key("href").Str(pull)
	w.EndObject()
	w.EndObject()
	w.Key("submitted_at").Time(rv.SubmittedAt)
	w.Key("commit_id").Str(c.repo.Commits[rv.Commit].SHA.String())
	assoc := "MEMBER"
	if c.org.People[rv.User].Bot {
		assoc = "NONE"
	}
	w.Key("author_association").Str(assoc)
	w.EndObject()
}
