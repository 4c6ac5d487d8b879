package githubfake

import (
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The builder methods below let a test set up exactly the case it needs,
// in chronological order: each call acts "now", on the repository as it is.
// They panic on misuse (an unknown SHA or branch, a duplicate number),
// because a mistake in test setup is a programming error, not a condition
// to handle.

// NewOrg returns an empty organisation whose data is meant to lie before
// now.
func NewOrg(login string, now time.Time) *Org {
	o := &Org{
		Login:   login,
		ID:      9_000_000 + int64(len(login)),
		Now:     now.UTC(),
		byLogin: map[string]int32{},
		byName:  map[string]int{},
	}
	o.ids = idCounters{
		person:     1000,
		repo:       700_000_000,
		pr:         2_200_000_000,
		workflow:   90_000_000,
		run:        10_000_000_000,
		release:    150_000_000,
		deployment: 1_500_000_000,
		status:     3_000_000_000,
		review:     1_800_000_000,
	}
	return o
}

// AddPerson adds a person and returns its index in People; a login already
// present returns the existing person. An empty login makes an e-mail-only
// author (the API shows such a commit's author as null). A login ending in
// "[bot]" is a bot.
func (o *Org) AddPerson(login, name, email string) int32 {
	if login != "" {
		if i, ok := o.byLogin[strings.ToLower(login)]; ok {
			return i
		}
	}
	o.ids.person++
	p := Person{ID: o.ids.person, Login: login, Name: name, Email: email, Bot: strings.HasSuffix(login, "[bot]")}
	if p.Name == "" {
		p.Name = login
	}
	if p.Email == "" && login != "" {
		p.Email = strconv.FormatInt(p.ID, 10) + "+" + login + "@users.noreply.github.com"
	}
	o.People = append(o.People, p)
	i := int32(len(o.People) - 1)
	if login != "" {
		o.byLogin[strings.ToLower(login)] = i
	}
	return i
}

// person resolves a login or an e-mail address to a person, creating it
// when unknown; "" is the organisation's first person.
func (o *Org) person(who string) int32 {
	if who == "" {
		if len(o.People) == 0 {
			return o.AddPerson("octocat", "The Octocat", "")
		}
		return 0
	}
	if strings.Contains(who, "@") {
		for i := range o.People {
			if strings.EqualFold(o.People[i].Email, who) {
				return int32(i)
			}
		}
		return o.AddPerson("", who[:strings.IndexByte(who, '@')], who)
	}
	return o.AddPerson(who, "", "")
}

// AddRepo adds an empty repository whose default branch is "main".
func (o *Org) AddRepo(name string) *Repo {
	if _, dup := o.byName[strings.ToLower(name)]; dup {
		panic(fmt.Sprintf("githubfake: AddRepo: repository %q already exists", name))
	}
	o.ids.repo += 17
	r := &Repo{
		ID:            o.ids.repo,
		Owner:         o.Login,
		Name:          name,
		DefaultBranch: "main",
		CreatedAt:     o.Now.AddDate(-2, 0, 0),
		org:           o,
		ordinal:       len(o.Repos),
		bySHA:         map[SHA]int32{},
		byPR:          map[int]int{},
		byTag:         map[string]int32{},
	}
	o.Repos = append(o.Repos, r)
	o.byName[strings.ToLower(name)] = len(o.Repos) - 1
	return r
}

// makeSHA derives an object id from the seed, the repository and a
// counter, so that the same build always yields the same SHAs.
func (o *Org) makeSHA(kind byte, ordinal int, n int64) SHA {
	var buf [21]byte
	binary.LittleEndian.PutUint64(buf[0:], uint64(o.seed))
	binary.LittleEndian.PutUint32(buf[8:], uint32(ordinal))
	binary.LittleEndian.PutUint64(buf[12:], uint64(n))
	buf[20] = kind
	return SHA(sha1.Sum(buf[:]))
}

// appendCommit adds a commit and returns its index. Parents must already
// exist, which keeps Commits in topological order.
func (r *Repo) appendCommit(parents [2]int32, author int32, date time.Time, pr int, msg string, files []string) int32 {
	i := int32(len(r.Commits))
	c := Commit{
		SHA:     r.org.makeSHA('c', r.ordinal, int64(i)),
		Parents: parents,
		Author:  author,
		Date:    date,
		PR:      pr,
		Message: msg,
		Files:   files,
	}
	r.Commits = append(r.Commits, c)
	r.bySHA[c.SHA] = i
	if i == 0 && date.Before(r.CreatedAt.Add(time.Hour)) {
		r.CreatedAt = date.Add(-time.Hour)
	}
	return i
}

// setBranch points a branch at a commit, creating the branch when new.
func (r *Repo) setBranch(name string, head int32) {
	for i := range r.Branches {
		if r.Branches[i].Name == name {
			r.Branches[i].Head = head
			return
		}
	}
	r.Branches = append(r.Branches, Branch{Name: name, Head: head})
}

// deleteBranch removes a branch, as GitHub's "delete head branch on merge"
// does; the default branch is never deleted.
func (r *Repo) deleteBranch(name string) {
	if name == r.DefaultBranch {
		return
	}
	for i := range r.Branches {
		if r.Branches[i].Name == name {
			r.Branches = append(r.Branches[:i], r.Branches[i+1:]...)
			return
		}
	}
}

func (r *Repo) mustCommit(sha SHA, what string) int32 {
	i, ok := r.bySHA[sha]
	if !ok {
		panic(fmt.Sprintf("githubfake: %s: %s has no commit %s", what, r.FullName(), sha))
	}
	return i
}

// headOr returns the head of the branch, or of the default branch when
// branch is "".
func (r *Repo) headOr(branch, what string) int32 {
	if branch == "" {
		branch = r.DefaultBranch
	}
	h, ok := r.Branch(branch)
	if !ok {
		panic(fmt.Sprintf("githubfake: %s: %s has no branch %q", what, r.FullName(), branch))
	}
	return h
}

// CommitSpec describes a commit for AddCommit. Zero fields take defaults.
type CommitSpec struct {
	// Branch the commit is added to and whose head moves to it; default
	// the default branch. A new name creates the branch.
	Branch string
	// Parents are explicit parents (at most two); default the branch head,
	// or none for the first commit of the repository.
	Parents []SHA
	// Author is a login or an e-mail address; default the first person.
	Author  string
	Message string    // default "Commit N"
	At      time.Time // default one minute after the first parent
	Files   []string  // default README.md
}

// AddCommit adds a commit straight to a branch (a "lone" commit when it is
// on the default branch and no pull request contains it) and returns its
// SHA.
func (r *Repo) AddCommit(c CommitSpec) SHA {
	branch := c.Branch
	if branch == "" {
		branch = r.DefaultBranch
	}
	parents := [2]int32{NoCommit, NoCommit}
	switch {
	case len(c.Parents) > 2:
		panic("githubfake: AddCommit: at most two parents")
	case len(c.Parents) > 0:
		for i, p := range c.Parents {
			parents[i] = r.mustCommit(p, "AddCommit")
		}
	default:
		if h, ok := r.Branch(branch); ok {
			parents[0] = h
		} else if len(r.Commits) > 0 {
			parents[0] = r.headOr("", "AddCommit")
		}
	}
	at := c.At
	if at.IsZero() {
		if parents[0] != NoCommit {
			at = r.Commits[parents[0]].Date.Add(time.Minute)
		} else {
			at = r.org.Now.AddDate(-1, 0, 0)
		}
	}
	msg := c.Message
	if msg == "" {
		msg = "Commit " + strconv.Itoa(len(r.Commits)+1)
	}
	files := c.Files
	if files == nil {
		files = []string{"README.md"}
	}
	i := r.appendCommit(parents, r.org.person(c.Author), at.UTC(), 0, msg, files)
	r.setBranch(branch, i)
	return r.Commits[i].SHA
}

// PRSpec describes a pull request for AddPR. Zero fields take defaults.
type PRSpec struct {
	Number int    // default the next free number
	Title  string // default "Change N"
	Body   string
	Author string // login; default the first person
	Labels []string
	Base   string // default the default branch
	Head   string // default "feature/N"
	// Commits is how many commits the head branch gets (default 1); they
	// branch off the base branch's current head.
	Commits int
	// CommitTimes are their author dates; default one hour apart, the last
	// one hour before CreatedAt.
	CommitTimes []time.Time
	Files       []string  // default src/change-N.go
	CreatedAt   time.Time // default one hour after the base head
	Draft       bool
	// Merge merges the pull request at MergedAt (default CreatedAt + 1h);
	// NotMerged leaves it open, or closed at ClosedAt when that is set.
	Merge     MergeMethod
	MergedAt  time.Time
	MergedBy  string // login; default the author
	ClosedAt  time.Time
	UpdatedAt time.Time // default the latest of created, closed, merged
}

// AddPR adds a pull request with its commits, merging or closing it when the
// spec says so, and returns a copy of it.
func (r *Repo) AddPR(s PRSpec) PullRequest {
	o := r.org
	n := s.Number
	if n == 0 {
		n = 1
		if k := len(r.PRs); k > 0 {
			n = r.PRs[k-1].Number + 1
		}
	}
	if _, dup := r.byPR[n]; dup {
		panic(fmt.Sprintf("githubfake: AddPR: %s#%d exists", r.FullName(), n))
	}
	if k := len(r.PRs); k > 0 && n < r.PRs[k-1].Number {
		panic(fmt.Sprintf("githubfake: AddPR: %s#%d is below the last number %d", r.FullName(), n, r.PRs[k-1].Number))
	}
	base := s.Base
	if base == "" {
		base = r.DefaultBranch
	}
	baseHead := r.headOr(base, "AddPR")
	head := s.Head
	if head == "" {
		head = "feature/" + strconv.Itoa(n)
	}
	title := s.Title
	if title == "" {
		title = "Change " + strconv.Itoa(n)
	}
	created := s.CreatedAt
	if created.IsZero() {
		created = r.Commits[baseHead].Date.Add(time.Hour)
	}
	nc := s.Commits
	if nc <= 0 {
		nc = max(1, len(s.CommitTimes))
	}
	times := s.CommitTimes
	if len(times) == 0 {
		// Default dates never precede the branch point, so dates keep
		// growing along every chain (compare lists commits by date).
		times = make([]time.Time, nc)
		prev := r.Commits[baseHead].Date
		for i := range times {
			times[i] = created.Add(-time.Duration(nc-i) * time.Hour)
			if times[i].Before(prev) {
				times[i] = prev
			}
			prev = times[i]
		}
	}
	if len(times) != nc {
		panic("githubfake: AddPR: len(CommitTimes) != Commits")
	}
	files := s.Files
	if files == nil {
		files = []string{"src/change-" + strconv.Itoa(n) + ".go"}
	}
	user := o.person(s.Author)
	o.ids.pr += 3
	p := PullRequest{
		ID: o.ids.pr, Number: n, Title: title, Body: s.Body, User: user,
		Labels: s.Labels, Base: base, Head: head, BaseSHA: baseHead,
		Files: files, Draft: s.Draft, MergeCommit: NoCommit, MergedBy: user,
		CreatedAt: created.UTC(),
	}
	p.FirstCommit, p.NumCommits = r.addPRCommits(n, user, baseHead, times, title)
	r.setBranch(head, p.HeadCommit())
	r.PRs = append(r.PRs, p)
	r.byPR[n] = len(r.PRs) - 1
	pr := &r.PRs[len(r.PRs)-1]
	switch {
	case s.Merge != NotMerged:
		at := s.MergedAt
		if at.IsZero() {
			at = created.Add(time.Hour)
		}
		r.MergePR(n, s.Merge, at, s.MergedBy)
	case !s.ClosedAt.IsZero():
		r.ClosePR(n, s.ClosedAt)
	}
	if !s.UpdatedAt.IsZero() {
		pr.UpdatedAt = s.UpdatedAt.UTC()
	} else if pr.UpdatedAt.IsZero() {
		pr.UpdatedAt = pr.CreatedAt
	}
	return *pr
}

// addPRCommits appends a pull request's commits, a chain off parent, and
// returns the first index and the count.
func (r *Repo) addPRCommits(n int, author, parent int32, times []time.Time, title string) (int32, int32) {
	first := int32(len(r.Commits))
	for i, t := range times {
		msg := title
		if len(times) > 1 {
			msg = title + " (part " + strconv.Itoa(i+1) + ")"
		}
		parent = r.appendCommit([2]int32{parent, NoCommit}, author, t.UTC(), n, msg, nil)
	}
	return first, int32(len(times))
}

// MergePR merges an open pull request into its base branch's current head
// and returns the merge (or squash) commit's SHA. by is the merger's login
// (default the author).
func (r *Repo) MergePR(number int, m MergeMethod, at time.Time, by string) SHA {
	p := r.PR(number)
	if p == nil || !p.ClosedAt.IsZero() {
		panic(fmt.Sprintf("githubfake: MergePR: %s#%d is not an open pull request", r.FullName(), number))
	}
	merger := p.User
	if by != "" {
		merger = r.org.person(by)
	}
	at = at.UTC()
	baseHead := r.headOr(p.Base, "MergePR")
	var mc int32
	switch m {
	case MergeSquash:
		// A squash merge is authored by the pull request's author and is
		// a new commit: the pull request's own commits stay off the base.
		msg := p.Title + " (#" + strconv.Itoa(number) + ")"
		mc = r.appendCommit([2]int32{baseHead, NoCommit}, p.User, at, number, msg, nil)
	case MergeCommit:
		msg := "Merge pull request #" + strconv.Itoa(number) + " from " + r.Owner + "/" + p.Head + "\n\n" + p.Title
		mc = r.appendCommit([2]int32{baseHead, p.HeadCommit()}, merger, at, number, msg, nil)
	case MergeRebase:
		// Each of the pull request's commits is written anew onto the
		// base, committed at the merge by web-flow; the last is
		// merge_commit_sha.
		mc = baseHead
		for k := p.FirstCommit; k <= p.HeadCommit(); k++ {
			orig := r.Commits[k]
			mc = r.appendCommit([2]int32{mc, NoCommit}, orig.Author, at, number, orig.Message, nil)
			r.Commits[mc].Authored = orig.AuthorDate()
		}
	default:
		panic("githubfake: MergePR: method must be MergeSquash, MergeCommit or MergeRebase")
	}
	p.Merge, p.MergeCommit, p.MergedBy = m, mc, merger
	p.MergedAt, p.ClosedAt = at, at
	if p.UpdatedAt.Before(at) {
		p.UpdatedAt = at
	}
	r.setBranch(p.Base, mc)
	r.deleteBranch(p.Head)
	return r.Commits[mc].SHA
}

// ReviewPR records a review of pull request number submitted by login at
// at, in state (APPROVED, CHANGES_REQUESTED, COMMENTED or DISMISSED), on
// the pull request's head commit. Reviews are listed in the order they
// are recorded, so record them in time order.
func (r *Repo) ReviewPR(number int, login, state string, at time.Time) Review {
	p := r.PR(number)
	if p == nil {
		panic(fmt.Sprintf("githubfake: ReviewPR: %s has no pull request #%d", r.FullName(), number))
	}
	switch state {
	case "APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED":
	default:
		panic(fmt.Sprintf("githubfake: ReviewPR: state %q is not APPROVED, CHANGES_REQUESTED, COMMENTED or DISMISSED", state))
	}
	r.org.ids.review += 23
	rv := Review{ID: r.org.ids.review, User: r.org.person(login), State: state, SubmittedAt: at.UTC(), Commit: p.HeadCommit()}
	p.Reviews = append(p.Reviews, rv)
	return rv
}

// ClosePR closes an open pull request without merging it.
func (r *Repo) ClosePR(number int, at time.Time) {
	p := r.PR(number)
	if p == nil || !p.ClosedAt.IsZero() {
		panic(fmt.Sprintf("githubfake: ClosePR: %s#%d is not an open pull request", r.FullName(), number))
	}
	p.ClosedAt = at.UTC()
	if p.UpdatedAt.Before(p.ClosedAt) {
		p.UpdatedAt = p.ClosedAt
	}
}

// AddWorkflow adds a workflow (file is "deploy.yml" or a full path) and
// returns it; an existing file returns the existing workflow.
func (r *Repo) AddWorkflow(name, file string) Workflow {
	return r.Workflows[r.workflow(name, file, r.org.Now.AddDate(-1, 0, 0))]
}

func (r *Repo) workflow(name, file string, created time.Time) int32 {
	path := file
	if !strings.Contains(path, "/") {
		path = ".github/workflows/" + file
	}
	for i := range r.Workflows {
		if r.Workflows[i].Path == path || (file != "" && r.Workflows[i].Name == file) {
			return int32(i)
		}
	}
	if name == "" {
		base := path[strings.LastIndexByte(path, '/')+1:]
		name = strings.TrimSuffix(strings.TrimSuffix(base, ".yml"), ".yaml")
	}
	r.org.ids.workflow += 5
	r.Workflows = append(r.Workflows, Workflow{ID: r.org.ids.workflow, Name: name, Path: path, CreatedAt: created.UTC()})
	return int32(len(r.Workflows) - 1)
}

// RunSpec describes a workflow run for AddRun. Zero fields take defaults.
type RunSpec struct {
	// Workflow is a file name (deploy.yml), a path or a workflow's name; a
	// new file creates the workflow.
	Workflow   string
	Branch     string // head branch; default the default branch
	SHA        SHA    // head SHA; default the head of Branch
	Event      string // default push
	Status     string // default completed
	Conclusion string // default success when completed
	Actor      string // login; default the first person
	CreatedAt  time.Time
	// StartedAt is run_started_at: later than CreatedAt for a run that
	// waited for approval or a wait timer, or was re-run. Default
	// CreatedAt.
	StartedAt time.Time
	Attempt   int32     // run_attempt, default 1
	UpdatedAt time.Time // default StartedAt + 5m when completed, else StartedAt
}

// AddRun adds a workflow run and returns a copy of it.
func (r *Repo) AddRun(s RunSpec) Run {
	wf := s.Workflow
	if wf == "" {
		wf = "ci.yml"
	}
	branch := s.Branch
	if branch == "" {
		branch = r.DefaultBranch
	}
	var c int32
	if s.SHA.IsZero() {
		c = r.headOr(branch, "AddRun")
	} else {
		c = r.mustCommit(s.SHA, "AddRun")
	}
	created := s.CreatedAt
	if created.IsZero() {
		created = r.Commits[c].Date.Add(time.Minute)
	}
	run := Run{
		Workflow: r.workflow("", wf, created), HeadBranch: branch, Commit: c,
		Event: s.Event, Status: s.Status, Conclusion: s.Conclusion,
		Actor: r.org.person(s.Actor), CreatedAt: created.UTC(), UpdatedAt: s.UpdatedAt.UTC(),
		StartedAt: s.StartedAt.UTC(), Attempt: s.Attempt,
	}
	if run.Event == "" {
		run.Event = "push"
	}
	if run.Status == "" {
		run.Status = StatusCompleted
	}
	if run.Status == StatusCompleted && run.Conclusion == "" {
		run.Conclusion = ConclusionSuccess
	}
	if s.UpdatedAt.IsZero() {
		run.UpdatedAt = run.RunStartedAt()
		if run.Status == StatusCompleted {
			run.UpdatedAt = run.UpdatedAt.Add(5 * time.Minute)
		}
	}
	for i := range r.Runs {
		if r.Runs[i].Workflow == run.Workflow {
			run.RunNumber = max(run.RunNumber, r.Runs[i].RunNumber)
		}
	}
	run.RunNumber++
	r.org.ids.run += 11
	run.ID = r.org.ids.run
	r.Runs = append(r.Runs, run)
	return run
}

// Run returns the run with the id, or nil. The pointer is valid until the
// next run is added; change a served organisation only in Server.Update.
func (r *Repo) Run(id int64) *Run {
	for i := range r.Runs {
		if r.Runs[i].ID == id {
			return &r.Runs[i]
		}
	}
	return nil
}

// FinishRun completes the run's latest attempt at at with the conclusion
// (default success): an approved run, say, whose attempt started at
// started (zero: as it was).
func (r *Repo) FinishRun(id int64, conclusion string, started, at time.Time) {
	run := r.mustRun(id, "FinishRun")
	if conclusion == "" {
		conclusion = ConclusionSuccess
	}
	if !started.IsZero() {
		run.StartedAt = started.UTC()
	}
	run.Status, run.Conclusion, run.UpdatedAt = StatusCompleted, conclusion, at.UTC()
}

// RerunRun starts a new attempt of the run at at, queued: as on GitHub,
// the run keeps its id and created_at, run_attempt grows, and
// run_started_at and updated_at move to the new attempt.
func (r *Repo) RerunRun(id int64, at time.Time) {
	run := r.mustRun(id, "RerunRun")
	run.Attempt = run.RunAttempt() + 1
	run.Status, run.Conclusion = StatusQueued, ""
	run.StartedAt, run.UpdatedAt = at.UTC(), at.UTC()
}

func (r *Repo) mustRun(id int64, what string) *Run {
	run := r.Run(id)
	if run == nil {
		panic(fmt.Sprintf("githubfake: %s: %s has no run %d", what, r.FullName(), id))
	}
	return run
}

// AddTag adds a tag on a commit (lightweight unless annotated).
func (r *Repo) AddTag(name string, sha SHA, annotated bool, at time.Time) {
	if _, dup := r.byTag[name]; dup {
		panic(fmt.Sprintf("githubfake: AddTag: %s has tag %q", r.FullName(), name))
	}
	r.addTag(name, r.mustCommit(sha, "AddTag"), annotated, at)
}

func (r *Repo) addTag(name string, c int32, annotated bool, at time.Time) {
	r.Tags = append(r.Tags, Tag{Name: name, Commit: c, Annotated: annotated, CreatedAt: at.UTC()})
	r.byTag[name] = int32(len(r.Tags) - 1)
}

// tagObjectSHA is the id of an annotated tag's own object, which its ref
// points to instead of the commit.
func (r *Repo) tagObjectSHA(t int32) SHA { return r.org.makeSHA('t', r.ordinal, int64(t)) }

// testMergeSHA is the merge_commit_sha GitHub shows for a pull request that
// was not merged: the id of its last test merge, a commit that is on no
// branch. Extractors must decide "merged" from merged_at, not from it.
func (r *Repo) testMergeSHA(number int) SHA { return r.org.makeSHA('m', r.ordinal, int64(number)) }

// ReleaseSpec describes a release for AddRelease. Zero fields take defaults.
type ReleaseSpec struct {
	Tag        string
	SHA        SHA    // commit to tag; default the default branch's head
	Target     string // target_commitish; default the default branch
	Name       string // default Tag
	Draft      bool   // a draft has no tag yet and no published_at
	Prerelease bool
	Annotated  bool   // make the tag an annotated tag object
	Author     string // login; default the first person
	// CreatedAt defaults to the tagged commit's date, as GitHub reports it;
	// PublishedAt to CreatedAt + 10m (ignored for drafts).
	CreatedAt   time.Time
	PublishedAt time.Time
}

// AddRelease adds a release, and its tag unless it is a draft or the tag
// exists, and returns a copy of it.
func (r *Repo) AddRelease(s ReleaseSpec) Release {
	var c int32
	if s.SHA.IsZero() {
		if t := r.Tag(s.Tag); t != nil {
			c = t.Commit
		} else {
			c = r.headOr("", "AddRelease")
		}
	} else {
		c = r.mustCommit(s.SHA, "AddRelease")
	}
	rel := Release{
		TagName: s.Tag, Target: s.Target, Name: s.Name, Draft: s.Draft,
		Prerelease: s.Prerelease, Author: r.org.person(s.Author),
		CreatedAt: s.CreatedAt.UTC(), PublishedAt: s.PublishedAt.UTC(),
	}
	if rel.Target == "" {
		rel.Target = r.DefaultBranch
	}
	if rel.Name == "" {
		rel.Name = s.Tag
	}
	if s.CreatedAt.IsZero() {
		rel.CreatedAt = r.Commits[c].Date
	}
	if s.Draft {
		rel.PublishedAt = time.Time{}
	} else if s.PublishedAt.IsZero() {
		rel.PublishedAt = rel.CreatedAt.Add(10 * time.Minute)
	}
	if !s.Draft && r.Tag(s.Tag) == nil {
		r.addTag(s.Tag, c, s.Annotated, rel.PublishedAt)
	}
	r.org.ids.release += 7
	rel.ID = r.org.ids.release
	r.Releases = append(r.Releases, rel)
	return rel
}

// DeploymentSpec describes a GitHub deployment for AddDeployment.
type DeploymentSpec struct {
	SHA         SHA    // default the head of Ref
	Ref         string // default the default branch
	Environment string // default production
	Task        string // default deploy
	Creator     string // login; default the first person
	CreatedAt   time.Time
	Statuses    []StatusSpec // oldest first; none leaves it pending
}

// StatusSpec is one deployment status: its state and time.
type StatusSpec struct {
	State string
	At    time.Time
}

// AddDeployment adds a deployment with its statuses and returns a copy of
// it.
func (r *Repo) AddDeployment(s DeploymentSpec) Deployment {
	ref := s.Ref
	if ref == "" {
		ref = r.DefaultBranch
	}
	var c int32
	switch {
	case !s.SHA.IsZero():
		c = r.mustCommit(s.SHA, "AddDeployment")
	case r.Tag(ref) != nil:
		c = r.Tag(ref).Commit
	default:
		c = r.headOr(ref, "AddDeployment")
	}
	d := Deployment{
		Commit: c, Ref: ref, Task: s.Task, Environment: s.Environment,
		Creator: r.org.person(s.Creator), CreatedAt: s.CreatedAt.UTC(),
	}
	if d.Task == "" {
		d.Task = "deploy"
	}
	if d.Environment == "" {
		d.Environment = "production"
	}
	if d.CreatedAt.IsZero() {
		d.CreatedAt = r.Commits[c].Date.Add(time.Minute)
	}
	r.org.ids.deployment += 13
	d.ID = r.org.ids.deployment
	r.Deployments = append(r.Deployments, d)
	for _, st := range s.Statuses {
		r.AddDeploymentStatus(d.ID, st)
	}
	return r.Deployments[len(r.Deployments)-1]
}

// AddDeploymentStatus appends a status to the deployment with the id.
func (r *Repo) AddDeploymentStatus(id int64, st StatusSpec) DeploymentStatus {
	for i := range r.Deployments {
		d := &r.Deployments[i]
		if d.ID != id {
			continue
		}
		at := st.At
		if at.IsZero() {
			at = d.UpdatedAt().Add(time.Minute)
		}
		r.org.ids.status += 19
		s := DeploymentStatus{ID: r.org.ids.status, State: st.State, CreatedAt: at.UTC()}
		d.Statuses = append(d.Statuses, s)
		return s
	}
	panic(fmt.Sprintf("githubfake: AddDeploymentStatus: %s has no deployment %d", r.FullName(), id))
}
