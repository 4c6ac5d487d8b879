package githubfake

import (
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// NoCommit marks an absent commit index: the missing parent of a root
// commit, the second parent of an ordinary commit, or the merge commit of a
// pull request that was never merged.
const NoCommit int32 = -1

// SHA is a git object id. It is stored as 20 bytes rather than a 40-byte hex
// string because a generated organisation holds hundreds of thousands of
// them.
type SHA [20]byte

// String returns the 40-character lower-case hex form GitHub uses.
func (s SHA) String() string { return hex.EncodeToString(s[:]) }

// IsZero reports whether s is the zero SHA, which no generated object has.
func (s SHA) IsZero() bool { return s == SHA{} }

// ParseSHA parses a full 40-character hex object id.
func ParseSHA(s string) (SHA, error) {
	var out SHA
	if len(s) != 40 {
		return out, fmt.Errorf("githubfake: sha %q: want 40 hex characters", s)
	}
	if _, err := hex.Decode(out[:], []byte(s)); err != nil {
		return out, fmt.Errorf("githubfake: sha %q: %w", s, err)
	}
	return out, nil
}

// Person is a commit author and, when Login is set, a GitHub account.
// A person without a login is an e-mail address GitHub cannot link to an
// account: the API then reports the commit's "author" as null, which
// extractors must survive.
type Person struct {
	ID    int64
	Login string // "" for an e-mail address without a GitHub account
	Name  string
	Email string
	Bot   bool // type "Bot" in the API, login ends in "[bot]"
}

// Org is a GitHub organisation: its people and repositories. It is plain
// data, not safe for concurrent use; once a Server serves it, change it only
// through Server.Update.
type Org struct {
	Login string
	ID    int64
	// User makes Login a personal account (GitHub's type "User") rather
	// than an organisation: repositories are then owned by a user, as
	// GraphQL's repositoryOwner, the REST owner objects, GET
	// /orgs/{org}/repos (404) and search's user: and org: qualifiers
	// (graphql_search.go) show.
	User bool
	// Now is the reference time the data was generated for: every object
	// lies before it, most of them in the window that ends there.
	Now    time.Time
	People []Person
	Repos  []*Repo

	seed    int64
	byLogin map[string]int32 // login (lower case) -> index into People
	byName  map[string]int   // repository name (lower case) -> index into Repos
	ids     idCounters
}

// idCounters hands out the ids of new objects. GitHub ids are global and
// grow with time; runs and deployments already exceed 2^31, so the fake
// starts them there to catch int32 truncation.
type idCounters struct {
	person, repo, pr, workflow, run, release, deployment, status, review int64
}

// Repo is one repository: its commit graph and everything that refers to it.
// Slices are kept in creation order; the server builds its own sorted
// indexes over them.
type Repo struct {
	ID            int64
	Owner         string
	Name          string
	DefaultBranch string
	CreatedAt     time.Time

	// Commits is in topological order: a commit's parents always have
	// lower indexes. Everything else refers to commits by index.
	Commits     []Commit
	Branches    []Branch
	PRs         []PullRequest // ascending Number
	Workflows   []Workflow
	Runs        []Run // ascending ID
	Tags        []Tag
	Releases    []Release
	Deployments []Deployment

	org     *Org
	ordinal int              // position in Org.Repos, mixed into generated SHAs
	bySHA   map[SHA]int32    // commit SHA -> index into Commits
	byPR    map[int]int      // PR number -> index into PRs
	byTag   map[string]int32 // tag name -> index into Tags
}

// FullName is "owner/name".
func (r *Repo) FullName() string { return r.Owner + "/" + r.Name }

// Commit is one node of a repository's commit graph.
type Commit struct {
	SHA     SHA
	Parents [2]int32 // indexes into Repo.Commits, NoCommit when absent
	Author  int32    // index into Org.People
	// Date is the committer date, and the author date unless Authored is
	// set: only a rebase merge's new commits keep an older author date.
	Date     time.Time
	Authored time.Time
	// PR is the number of the pull request this commit belongs to (one of
	// its commits, its merge or squash commit, or a commit its rebase
	// merge wrote); 0 for a lone commit.
	PR      int
	Message string
	// Files the commit changes. Nil for a pull request's commits, which
	// change the pull request's files.
	Files []string
}

// NumParents is 0 for a root commit, 2 for a merge commit, else 1.
func (c *Commit) NumParents() int {
	n := 0
	for _, p := range c.Parents {
		if p != NoCommit {
			n++
		}
	}
	return n
}

// Branch is a named ref under refs/heads.
type Branch struct {
	Name string
	Head int32 // index into Repo.Commits
}

// MergeMethod says how a pull request was merged, if it was.
type MergeMethod uint8

// Merge methods. A squash merge adds one new single-parent commit to the base
// branch, so the pull request's own commits are not reachable from it; a
// merge commit has two parents and makes them reachable. A rebase merge
// writes a new commit onto the base branch for each of the pull request's
// commits, keeping their authors, author dates and messages: the pull
// request's own commits stay off the base, and merge_commit_sha is the
// last new commit ("About merge methods on GitHub",
// https://docs.github.com/en/repositories/configuring-branches-and-merges-in-your-repository/configuring-pull-request-merges/about-merge-methods-on-github#rebasing-and-merging-your-commits).
const (
	NotMerged MergeMethod = iota
	MergeSquash
	MergeCommit
	MergeRebase
)

// String names the method as GitHub's merge API does.
func (m MergeMethod) String() string {
	switch m {
	case MergeSquash:
		return "squash"
	case MergeCommit:
		return "merge"
	case MergeRebase:
		return "rebase"
	default:
		return "none"
	}
}

// PullRequest is a pull request and where its commits are. Its commits are
// Repo.Commits[FirstCommit : FirstCommit+NumCommits], oldest first, the last
// one being the head.
type PullRequest struct {
	ID          int64
	Number      int
	Title       string
	Body        string
	User        int32 // index into Org.People
	Labels      []string
	Base        string // base branch name
	Head        string // head branch name
	BaseSHA     int32  // base branch head when the pull request branched off
	FirstCommit int32
	NumCommits  int32
	Files       []string
	Draft       bool
	Merge       MergeMethod
	MergeCommit int32 // NoCommit unless merged
	MergedBy    int32 // index into Org.People; meaningful only when merged
	CreatedAt   time.Time
	UpdatedAt   time.Time
	ClosedAt    time.Time // zero while open
	MergedAt    time.Time // zero unless merged
	// Reviews are the submitted reviews, in the order they were
	// submitted (GET /pulls/{n}/reviews lists them so).
	Reviews []Review
}

// Review is a submitted pull request review, as GitHub's REST API
// describes it (https://docs.github.com/en/rest/pulls/reviews#list-reviews-for-a-pull-request):
// who submitted it, in which state, when, and on which commit. Pending
// reviews are their author's draft, shown to nobody else: not modelled.
type Review struct {
	ID          int64
	User        int32  // index into Org.People
	State       string // APPROVED, CHANGES_REQUESTED, COMMENTED or DISMISSED
	SubmittedAt time.Time
	Commit      int32 // the commit reviewed: the head of the pull request then
}

// State is "open" or "closed", as GitHub reports it (merged pull requests
// are "closed" too).
func (p *PullRequest) State() string {
	if p.ClosedAt.IsZero() {
		return "open"
	}
	return "closed"
}

// Merged reports whether the pull request was merged.
func (p *PullRequest) Merged() bool { return p.MergeCommit != NoCommit }

// Rebased reports whether commit i is one of the new commits the pull
// request's rebase merge wrote onto its base: the NumCommits commits
// ending with MergeCommit.
func (p *PullRequest) Rebased(i int32) bool {
	return p.Merge == MergeRebase && i <= p.MergeCommit && i > p.MergeCommit-p.NumCommits
}

// MergedOnto is the base branch's head the pull request was merged onto,
// NoCommit unless merged.
func (p *PullRequest) MergedOnto(commits []Commit) int32 {
	switch {
	case !p.Merged():
		return NoCommit
	case p.Merge == MergeRebase:
		return commits[p.MergeCommit-p.NumCommits+1].Parents[0]
	default:
		return commits[p.MergeCommit].Parents[0]
	}
}

// AuthorDate is the commit's author date.
func (c *Commit) AuthorDate() time.Time {
	if c.Authored.IsZero() {
		return c.Date
	}
	return c.Authored
}

// HeadCommit is the index of the pull request's last commit.
func (p *PullRequest) HeadCommit() int32 { return p.FirstCommit + p.NumCommits - 1 }

// HasLabel reports whether the pull request carries the label.
func (p *PullRequest) HasLabel(name string) bool {
	for _, l := range p.Labels {
		if strings.EqualFold(l, name) {
			return true
		}
	}
	return false
}

// Workflow is a GitHub Actions workflow file.
type Workflow struct {
	ID        int64
	Name      string
	Path      string // .github/workflows/NAME.yml
	CreatedAt time.Time
}

// File is the workflow's file name (deploy.yml), which GitHub accepts in
// place of its id.
func (w *Workflow) File() string { return w.Path[strings.LastIndexByte(w.Path, '/')+1:] }

// Run statuses and conclusions used by the fake (GitHub has more; these are
// the ones an extractor must tell apart).
const (
	StatusCompleted  = "completed"
	StatusInProgress = "in_progress"
	StatusQueued     = "queued"
	// StatusWaiting is a run held by a deployment protection rule: an
	// environment's required reviewers or wait timer, each up to 30 days
	// (GitHub docs, "Managing environments for deployment" and
	// "Deployment protection rules").
	StatusWaiting = "waiting"

	ConclusionSuccess   = "success"
	ConclusionFailure   = "failure"
	ConclusionCancelled = "cancelled"
	ConclusionSkipped   = "skipped"
)

// Run is one workflow run, as its latest attempt shows it. A re-run keeps
// the run's id and created_at while run_started_at and updated_at move and
// run_attempt grows (GitHub docs, "Re-running workflows and jobs"; the
// REST API's workflow run object).
type Run struct {
	ID         int64
	Workflow   int32 // index into Repo.Workflows
	HeadBranch string
	Commit     int32  // index into Repo.Commits: the run's head_sha
	Event      string // push, pull_request, workflow_dispatch, schedule
	Status     string
	Conclusion string // "" (null) unless Status is completed
	Actor      int32  // index into Org.People
	RunNumber  int32
	// Attempt is run_attempt, 1 unless re-run (0 reads as 1).
	Attempt   int32
	CreatedAt time.Time
	// StartedAt is run_started_at, when the latest attempt started: after
	// an approval, a wait timer or a re-run, later than CreatedAt (zero
	// reads as CreatedAt).
	StartedAt time.Time
	UpdatedAt time.Time
}

// RunAttempt is run_attempt.
func (r *Run) RunAttempt() int32 { return max(r.Attempt, 1) }

// RunStartedAt is run_started_at.
func (r *Run) RunStartedAt() time.Time {
	if r.StartedAt.IsZero() {
		return r.CreatedAt
	}
	return r.StartedAt
}

// Tag is a git tag. An annotated tag is a tag object of its own, so its ref
// points at the tag object and not at the commit: an extractor has to
// dereference it.
type Tag struct {
	Name      string
	Commit    int32 // index into Repo.Commits
	Annotated bool
	CreatedAt time.Time
}

// Release is a GitHub release.
type Release struct {
	ID      int64
	TagName string
	// Target is target_commitish: usually a branch name (so not the commit
	// the tag points to), sometimes a SHA.
	Target     string
	Name       string
	Draft      bool
	Prerelease bool
	Author     int32 // index into Org.People
	// CreatedAt is, as on GitHub, the date of the tagged commit, not the
	// date the release was written; PublishedAt is zero for drafts.
	CreatedAt   time.Time
	PublishedAt time.Time
}

// Deployment is a GitHub deployment and its statuses, oldest first.
type Deployment struct {
	ID          int64
	Commit      int32  // index into Repo.Commits
	Ref         string // branch, tag or SHA the deployment was asked for
	Task        string
	Environment string
	Creator     int32 // index into Org.People
	CreatedAt   time.Time
	Statuses    []DeploymentStatus
}

// DeploymentStatus is one status of a deployment. States: pending, queued,
// in_progress, success, failure, error, inactive.
type DeploymentStatus struct {
	ID        int64
	State     string
	CreatedAt time.Time
}

// UpdatedAt is the time of the deployment's latest status, or its
// creation. The API's updated_at is not this: see render.go.
func (d *Deployment) UpdatedAt() time.Time {
	if n := len(d.Statuses); n > 0 {
		return d.Statuses[n-1].CreatedAt
	}
	return d.CreatedAt
}

// Repo returns the repository with the given name (case-insensitive, as on
// GitHub), or nil.
func (o *Org) Repo(name string) *Repo {
	if i, ok := o.byName[strings.ToLower(name)]; ok {
		return o.Repos[i]
	}
	return nil
}

// ownerType is the GitHub type of the repositories' owner: "User" with
// Org.User, else "Organization".
func (o *Org) ownerType() string {
	if o.User {
		return "User"
	}
	return "Organization"
}

// Person returns the index of the person with the login (case-insensitive).
func (o *Org) Person(login string) (int32, bool) {
	i, ok := o.byLogin[strings.ToLower(login)]
	return i, ok
}

// CommitIndex returns the index of the commit with the SHA.
func (r *Repo) CommitIndex(sha SHA) (int32, bool) {
	i, ok := r.bySHA[sha]
	return i, ok
}

// SHAOf returns the SHA of the commit at index i.
func (r *Repo) SHAOf(i int32) SHA { return r.Commits[i].SHA }

// PR returns the pull request with the number, or nil. The pointer is valid
// until the next pull request is added.
func (r *Repo) PR(number int) *PullRequest {
	if i, ok := r.byPR[number]; ok {
		return &r.PRs[i]
	}
	return nil
}

// Branch returns the index of the named branch's head commit.
func (r *Repo) Branch(name string) (int32, bool) {
	for i := range r.Branches {
		if r.Branches[i].Name == name {
			return r.Branches[i].Head, true
		}
	}
	return NoCommit, false
}

// Tag returns the tag with the name, or nil.
func (r *Repo) Tag(name string) *Tag {
	if i, ok := r.byTag[name]; ok {
		return &r.Tags[i]
	}
	return nil
}
