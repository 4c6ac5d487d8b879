package githubfake

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DefaultNow is the reference time of generated data when Size.Now is zero:
// a fixed instant, so that generated data and golden files do not move.
func DefaultNow() time.Time { return time.Date(2024, time.June, 3, 12, 0, 0, 0, time.UTC) }

// Size scales a generated organisation. Zero fields take the defaults of a
// small organisation (see withDefaults).
type Size struct {
	Owner string // organisation login; default "acme"
	// Repos is the number of repositories. The first six have fixed roles
	// that carry the hard cases (api, web, platform — a monorepo —, mobile,
	// infra, legacy — a year of history before its first deployment); asking
	// for fewer drops cases. Default 6.
	Repos              int
	PRsPerRepo         int // default 40
	RunsPerRepo        int // default 60
	ReleasesPerRepo    int // default 6
	DeploymentsPerRepo int // default 12
	LoneCommitsPerRepo int // commits pushed straight to main; default 8
	Days               int // the window that ends at Now and holds the activity; default 90
	Now                time.Time
}

func (s Size) withDefaults() Size {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	if s.Owner == "" {
		s.Owner = "acme"
	}
	def(&s.Repos, 6)
	def(&s.PRsPerRepo, 40)
	def(&s.RunsPerRepo, 60)
	def(&s.ReleasesPerRepo, 6)
	def(&s.DeploymentsPerRepo, 12)
	def(&s.LoneCommitsPerRepo, 8)
	def(&s.Days, 90)
	if s.Now.IsZero() {
		s.Now = DefaultNow()
	}
	s.Now = s.Now.UTC().Truncate(time.Second)
	return s
}

// SizeFor returns a Size with about entities pull requests and workflow runs
// together (half each), spread over enough repositories that no single one
// dominates; the other counts follow. SizeFor(100_000) is the benchmark
// scale: 50,000 pull requests and 50,000 runs in 25 repositories.
//
// From 24,000 entities on, an organisation grows by repositories of about
// 4,000 entities each, as real ones do, so that the benchmarks show how
// cost grows with the organisation rather than with one repository.
func SizeFor(entities int) Size {
	if entities < 200 {
		entities = 200
	}
	prs := entities / 2
	runs := entities - prs
	repos := max((entities+3999)/4000, 6)
	per := (prs + repos - 1) / repos
	return Size{
		Repos:              repos,
		PRsPerRepo:         per,
		RunsPerRepo:        (runs + repos - 1) / repos,
		ReleasesPerRepo:    max(4, per/12),
		DeploymentsPerRepo: max(8, per/5),
		LoneCommitsPerRepo: max(4, per/8),
	}
}

// Repository roles: the first repositories each carry a family of hard cases.
const (
	roleAPI = iota
	roleWeb
	roleMonorepo
	roleMobile
	roleInfra
	roleLegacy
	roleService
)

// roleName names the repository of a role.
func roleName(role int) string {
	return [...]string{"api", "web", "platform", "mobile", "infra", "legacy"}[role]
}

// gen carries what the generator shares across repositories.
type gen struct {
	o      *Org
	size   Size
	seed   int64
	start  time.Time // window start
	humans []int32
	bots   []int32 // dependabot first
	emails []int32 // authors without a GitHub account
	ids    []idItem
}

// idItem records an object whose id is assigned at the end, in time order
// across all repositories, because GitHub ids grow with time globally.
type idItem struct {
	at   time.Time
	kind uint8
	repo int32
	i    int32 // index in the repository's slice
	j    int32 // status index for deployment statuses
}

const (
	idPR uint8 = iota
	idRun
	idRelease
	idDeployment
	idStatus
)

// Generate builds an organisation from the seed: the same seed and size
// always give the same organisation, SHA for SHA. Every repository has pull
// requests (squash, merge-commit and rebase merges, closed-unmerged, open and draft,
// reverts, hotfixes, bot updates, backports to a release branch), lone
// commits, workflow runs of every status, tags and releases (drafts,
// prereleases, annotated tags) and deployments (staging and production,
// failures, failure-only, pending, superseded).
func Generate(seed int64, size Size) *Org {
	size = size.withDefaults()
	o := NewOrg(size.Owner, size.Now)
	o.seed = seed
	g := &gen{o: o, size: size, seed: seed, start: size.Now.AddDate(0, 0, -size.Days)}
	g.addPeople()
	for i := range size.Repos {
		g.repo(i)
	}
	g.assignIDs()
	return o
}

func (g *gen) addPeople() {
	firstNames := [...]string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "yolanda"}
	n := 10 + g.size.Repos/2
	for i := range n {
		login := firstNames[i%len(firstNames)]
		if i >= len(firstNames) {
			login += "-" + strconv.Itoa(i/len(firstNames))
		}
		name := strings.ToUpper(login[:1]) + login[1:] + " Example"
		g.humans = append(g.humans, g.o.AddPerson(login, name, login+"@"+g.size.Owner+".example"))
	}
	for _, b := range []string{"dependabot[bot]", "github-actions[bot]", "renovate[bot]"} {
		g.bots = append(g.bots, g.o.AddPerson(b, b, ""))
	}
	g.emails = append(g.emails,
		g.o.AddPerson("", "Build Robot", "build@ci."+g.size.Owner+".internal"),
		g.o.AddPerson("", "Jane Contractor", "jane@contractor.example"))
}

func (g *gen) human(rng *rand.Rand) int32 { return g.humans[rng.IntN(len(g.humans))] }

// between returns a time uniformly in [a, b), truncated to the second as
// GitHub timestamps are.
func between(rng *rand.Rand, a, b time.Time) time.Time {
	d := b.Sub(a)
	if d <= 0 {
		return a
	}
	return a.Add(time.Duration(rng.Int64N(int64(d)))).Truncate(time.Second)
}

// logUniform returns a duration spread evenly over orders of magnitude,
// like real lead times.
func logUniform(rng *rand.Rand, lo, hi time.Duration) time.Duration {
	f := float64(lo) * math.Pow(float64(hi)/float64(lo), rng.Float64())
	return time.Duration(f).Truncate(time.Second)
}

// prPlan is a pull request decided up front, before the commit graph is
// built in time order.
type prPlan struct {
	number      int
	title       string
	head        string
	base        string
	labels      []string
	files       []string
	user        int32
	merger      int32
	created     time.Time
	firstCommit time.Time
	commits     int
	draft       bool
	method      MergeMethod
	end         time.Time // merged or closed; zero while open
}

// event is one step of a repository's history, replayed in time order so
// that commit indexes stay topological and dates grow along every chain.
type event struct {
	at   time.Time
	kind uint8
	i    int32
}

const (
	evBranch uint8 = iota // a pull request's commits are pushed
	evLone                // a commit is pushed straight to main
	evMerge               // a pull request is merged
	evClose               // a pull request is closed unmerged
)

const releaseBranch = "release/1.x"

func (g *gen) repo(ordinal int) {
	rng := rand.New(rand.NewPCG(uint64(g.seed), 0x9e3779b97f4a7c15^uint64(ordinal)))
	role := roleService
	name := "service-" + strconv.Itoa(ordinal)
	if ordinal < roleService {
		role, name = ordinal, roleName(ordinal)
	}
	r := g.o.AddRepo(name)
	now := g.size.Now
	files := newFileVocab(role)

	// History before the window. The legacy repository gets a year of it
	// (a commit most days), so its first deployment follows a long history.
	histStart, histDays := g.start.AddDate(0, 0, -17), 14
	if role == roleLegacy {
		histStart, histDays = g.start.AddDate(-1, 0, -3), 365
	}
	at := histStart
	r.appendCommit([2]int32{NoCommit, NoCommit}, g.human(rng), at, 0, "Initial commit", files.root)
	r.setBranch(r.DefaultBranch, 0)
	for d := range histDays {
		if role != roleLegacy && d%2 == 1 || role == roleLegacy && rng.IntN(5) == 0 {
			continue
		}
		at = histStart.AddDate(0, 0, d+1).Add(time.Duration(9+rng.IntN(9)) * time.Hour).Truncate(time.Second)
		head, _ := r.Branch(r.DefaultBranch)
		i := r.appendCommit([2]int32{head, NoCommit}, g.human(rng), at, 0, loneMessage(rng), files.lone(rng))
		r.setBranch(r.DefaultBranch, i)
	}
	// The release branch forks off before the window, so pull requests
	// and runs can target a branch other than main.
	head, _ := r.Branch(r.DefaultBranch)
	r.setBranch(releaseBranch, head)

	plans := g.planPRs(rng, r, role, files)
	events := make([]event, 0, 2*len(plans)+g.size.LoneCommitsPerRepo)
	for i := range plans {
		p := &plans[i]
		events = append(events, event{p.firstCommit, evBranch, int32(i)})
		switch {
		case p.method != NotMerged:
			events = append(events, event{p.end, evMerge, int32(i)})
		case !p.end.IsZero():
			events = append(events, event{p.end, evClose, int32(i)})
		}
	}
	for k := range g.size.LoneCommitsPerRepo {
		events = append(events, event{between(rng, g.start, now), evLone, int32(k)})
	}
	slices.SortStableFunc(events, func(a, b event) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return int(a.kind) - int(b.kind)
	})

	// PullRequest records exist from the start, in number order; their
	// commits are filled in when their branch event is replayed.
	for i := range plans {
		p := &plans[i]
		r.PRs = append(r.PRs, PullRequest{
			Number: p.number, Title: p.title, User: p.user, Labels: p.labels,
			Base: p.base, Head: p.head, Files: p.files, Draft: p.draft,
			MergeCommit: NoCommit, MergedBy: p.user, CreatedAt: p.created,
		})
		r.byPR[p.number] = i
		g.ids = append(g.ids, idItem{at: p.created, kind: idPR, repo: int32(ordinal), i: int32(i)})
	}
	for _, ev := range events {
		switch ev.kind {
		case evBranch:
			p := &plans[ev.i]
			pr := &r.PRs[ev.i]
			baseHead, _ := r.Branch(p.base)
			times := make([]time.Time, p.commits)
			span := p.created.Sub(p.firstCommit)
			for k := range times {
				times[k] = p.firstCommit.Add(span * time.Duration(k) / time.Duration(p.commits)).Truncate(time.Second)
			}
			pr.BaseSHA = baseHead
			pr.FirstCommit, pr.NumCommits = r.addPRCommits(p.number, p.user, baseHead, times, p.title)
			r.setBranch(p.head, pr.HeadCommit())
		case evMerge:
			p := &plans[ev.i]
			r.MergePR(p.number, p.method, p.end, g.o.People[p.merger].Login)
		case evClose:
			p := &plans[ev.i]
			r.ClosePR(p.number, p.end)
			r.deleteBranch(p.head)
		case evLone:
			head, _ := r.Branch(r.DefaultBranch)
			author := g.human(rng)
			if rng.IntN(8) == 0 || ev.i == 0 { // pinned: one per repository
				author = g.emails[rng.IntN(len(g.emails))]
			}
			i := r.appendCommit([2]int32{head, NoCommit}, author, ev.at, 0, loneMessage(rng), files.lone(rng))
			r.setBranch(r.DefaultBranch, i)
		}
	}
	for i := range r.PRs {
		pr := &r.PRs[i]
		switch {
		case !pr.ClosedAt.IsZero():
			pr.UpdatedAt = minTime(pr.ClosedAt.Add(time.Duration(rng.IntN(7200))*time.Second), now)
		default:
			pr.UpdatedAt = between(rng, pr.CreatedAt, now)
		}
	}
	g.reviews(r, ordinal)

	main := chain(r, r.DefaultBranch, nil)
	rel := chain(r, releaseBranch, main.on)
	g.workflowsAndRuns(rng, r, role, main, rel)
	g.releases(rng, r, main)
	g.deployments(rng, r, main, rel)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// planPRs decides every pull request of a repository: its kind, number,
// times and fate.
func (g *gen) planPRs(rng *rand.Rand, r *Repo, role int, files *fileVocab) []prPlan {
	now := g.size.Now
	n := g.size.PRsPerRepo
	created := make([]time.Time, n)
	for i := range created {
		created[i] = between(rng, g.start, now.Add(-10*time.Minute))
	}
	slices.SortFunc(created, func(a, b time.Time) int { return a.Compare(b) })

	plans := make([]prPlan, n)
	var merged []int // plans merged so far, candidates for a revert
	number := 0
	for i := range plans {
		p := &plans[i]
		// Issues share the number sequence, so pull request numbers have
		// gaps.
		number++
		if rng.IntN(4) == 0 {
			number += 1 + rng.IntN(2)
		}
		p.number = number
		p.created = created[i]
		p.user = g.human(rng)
		p.merger = g.human(rng)
		p.base = r.DefaultBranch
		p.commits = 1 + rng.IntN(3) + rng.IntN(3)
		// About 40% merge commits, 20% rebase merges (of pull requests
		// with more than one commit: one commit rebased is a squash) and
		// the rest squash merges.
		p.method = MergeSquash
		switch m := rng.IntN(5); {
		case m < 2:
			p.method = MergeCommit
		case m == 2 && p.commits > 1:
			p.method = MergeRebase
		}
		lead := logUniform(rng, 8*time.Minute, 10*24*time.Hour)
		fate := rng.IntN(100)
		subject := subjectLine(rng)

		kind := rng.IntN(100)
		// A few positions are pinned so that every repository has each
		// kind whatever the seed: a revert, a hotfix, a bot update and a
		// backport early on (reverts need merged pull requests before
		// them).
		switch i {
		case 3:
			kind = 0
		case 4:
			kind = 4
		case 5:
			kind = 12
		case 6:
			kind = 18
		case 0, 1:
			if role == roleMonorepo {
				kind = 99 // the pinned monorepo shapes below
			}
		}
		rev := -1
		if kind < 4 {
			rev = revertable(plans, merged, p.created, rng)
		}
		switch {
		case rev >= 0:
			// A revert undoes an earlier merged pull request: GitHub's
			// own title, label and branch naming.
			prev := &plans[rev]
			p.title = `Revert "` + prev.title + `"`
			p.head = "revert-" + strconv.Itoa(prev.number) + "-" + prev.head
			p.labels = []string{"revert"}
			p.files = prev.files
			p.commits = 1
			lead = logUniform(rng, 10*time.Minute, 3*time.Hour)
			fate = 99
		case kind < 10:
			p.title = "Hotfix: " + subject
			p.head = "hotfix/" + slug(subject)
			p.labels = []string{"hotfix"}
			if i == 4 || rng.IntN(2) == 0 {
				// deploy + hotfix: matches a "deploy" block and a
				// "hotfix" block at once.
				p.labels = append(p.labels, "deploy")
			}
			if rng.IntN(5) < 2 {
				p.base = releaseBranch
			}
			p.files = files.pr(rng)
			lead = logUniform(rng, 10*time.Minute, 2*time.Hour)
			fate = 99
		case kind < 17:
			pkg := depName(rng)
			from := strconv.Itoa(rng.IntN(5)) + "." + strconv.Itoa(rng.IntN(20)) + "." + strconv.Itoa(rng.IntN(9))
			to := from[:len(from)-1] + strconv.Itoa(int(from[len(from)-1]-'0')+1)
			p.title = "Bump " + pkg + " from " + from + " to " + to
			p.head = "dependabot/go_modules/" + pkg + "-" + to
			p.labels = []string{"dependencies"}
			p.user = g.bots[0]
			p.files = files.deps
			p.commits = 1
			p.method = MergeSquash
		case kind < 21:
			p.title = "Backport: " + subject
			p.head = "backport/" + strconv.Itoa(number)
			p.base = releaseBranch
			p.labels = []string{"backport"}
			p.files = files.pr(rng)
		default:
			p.title = subject
			p.head = branchPrefix(rng) + slug(subject)
			p.labels = normalLabels(rng)
			p.files = files.pr(rng)
			if role == roleMonorepo && i%7 < 2 {
				// Pinned monorepo shapes: one change to both services
				// (it matches both services' path blocks), one to a only.
				p.files = files.paths[0][:1+i%7]
				if i%7 == 0 {
					p.files = []string{files.paths[0][0], files.paths[1][0]}
				}
			}
		}
		if i == 2 {
			// Pinned: a rebase merge of several commits.
			p.method, p.commits, fate = MergeRebase, max(p.commits, 2), 99
		}
		p.firstCommit = p.created.Add(-logUniform(rng, 5*time.Minute, 2*24*time.Hour))
		if p.commits == 1 {
			p.firstCommit = p.created.Add(-time.Duration(60+rng.IntN(3600)) * time.Second)
		}
		end := p.created.Add(lead)
		if i == 7 {
			fate = 0 // pinned: closed without merging
		}
		if i >= n-2 {
			// Pinned: the two newest pull requests are open, the last a
			// draft.
			end = now.Add(time.Hour)
		}
		switch {
		case i == n-1:
			p.draft = true
		case end.After(now):
			// Not finished yet: still open (a few as drafts).
			p.draft = rng.IntN(4) == 0
		case fate < 8:
			p.end = end
		case fate < 12 && now.Sub(p.created) < 5*24*time.Hour:
			p.draft = rng.IntN(3) == 0
		default:
			p.end = end
			merged = append(merged, i)
			continue
		}
		p.method = NotMerged
	}
	// Head branch names must be unique while their pull requests are open;
	// the small vocabulary repeats subjects, so later repeats get the number.
	used := make(map[string]bool, len(plans))
	for i := range plans {
		if used[plans[i].head] {
			plans[i].head += "-" + strconv.Itoa(plans[i].number)
		}
		used[plans[i].head] = true
	}
	return plans
}

// revertable picks a plan that was merged before t, or -1.
func revertable(plans []prPlan, merged []int, t time.Time, rng *rand.Rand) int {
	for range 4 {
		if len(merged) == 0 {
			return -1
		}
		i := merged[rng.IntN(len(merged))]
		if plans[i].end.Before(t) {
			return i
		}
	}
	return -1
}

// The vocabularies below are function-local arrays rather than package
// variables: the package keeps no state outside the values it returns.

func depName(rng *rand.Rand) string {
	names := [...]string{"golang.org/x/net", "github.com/stretchr/testify", "google.golang.org/grpc", "github.com/rs/zerolog", "golang.org/x/sync"}
	return names[rng.IntN(len(names))]
}

func branchPrefix(rng *rand.Rand) string {
	prefixes := [...]string{"feature/", "fix/", "chore/", ""}
	return prefixes[rng.IntN(len(prefixes))]
}

func subjectLine(rng *rand.Rand) string {
	verbs := [...]string{"Add", "Fix", "Refactor", "Remove", "Speed up", "Document", "Harden", "Simplify", "Rename", "Cache"}
	objects := [...]string{"retry logic", "login flow", "billing export", "rate limiter", "search index", "session store", "metrics endpoint", "webhook handler", "CSV import", "feature flags", "audit log", "health check"}
	areas := [...]string{"in checkout", "for mobile clients", "in the API", "for admins", "in the worker", "on the dashboard", ""}
	s := verbs[rng.IntN(len(verbs))] + " " + objects[rng.IntN(len(objects))]
	if a := areas[rng.IntN(len(areas))]; a != "" {
		s += " " + a
	}
	return s
}

func loneMessage(rng *rand.Rand) string {
	msgs := [...]string{"Bump version", "Fix typo in README", "Update CHANGELOG", "chore: update CI config", "Regenerate mocks", "Tweak logging", "Revert accidental change", "Update CODEOWNERS"}
	return msgs[rng.IntN(len(msgs))]
}

func slug(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b = append(b, c)
		case c >= 'A' && c <= 'Z':
			b = append(b, c+'a'-'A')
		case len(b) > 0 && b[len(b)-1] != '-':
			b = append(b, '-')
		}
	}
	return strings.TrimSuffix(string(b), "-")
}

func normalLabels(rng *rand.Rand) []string {
	var l []string
	if rng.IntN(100) < 55 {
		l = append(l, "deploy")
	}
	l = append(l, [...]string{"feature", "bug", "chore", "docs"}[rng.IntN(4)])
	if rng.IntN(100) < 6 {
		l = append(l, "skip-deploy")
	}
	return l
}

// fileVocab is the set of paths a repository's changes touch; the slices
// are shared between objects to keep a large organisation small.
type fileVocab struct {
	root  []string
	deps  []string
	paths [][]string // groups of paths, one group per service or area
	loneF [][]string
}

func newFileVocab(role int) *fileVocab {
	v := &fileVocab{root: []string{"README.md", ".gitignore", "go.mod"}, deps: []string{"go.mod", "go.sum"}}
	groups := [][]string{
		{"internal/api/handler.go", "internal/api/handler_test.go", "internal/api/routes.go"},
		{"internal/store/store.go", "internal/store/migrate.go", "internal/store/store_test.go"},
		{"cmd/server/main.go", "internal/config/config.go"},
		{"docs/architecture.md", "docs/runbook.md"},
	}
	if role == roleMonorepo {
		// services/a/** and services/b/** are what path-filtered deployment
		// blocks of a monorepo match.
		groups = [][]string{
			{"services/a/main.go", "services/a/handler.go", "services/a/handler_test.go"},
			{"services/b/main.go", "services/b/worker.go", "services/b/worker_test.go"},
			{"libs/shared/log.go", "libs/shared/retry.go"},
			{"docs/runbook.md"},
		}
	}
	v.paths = groups
	v.loneF = [][]string{{"README.md"}, {"CHANGELOG.md"}, {".github/workflows/ci.yml"}, {"VERSION"}}
	if role == roleMonorepo {
		v.loneF = append(v.loneF, []string{"services/a/config.yaml"}, []string{"services/b/config.yaml"})
	}
	return v
}

// pr picks a pull request's files: mostly one group, sometimes two (in the
// monorepo, a change to both services).
func (v *fileVocab) pr(rng *rand.Rand) []string {
	g := v.paths[rng.IntN(len(v.paths))]
	k := 1 + rng.IntN(len(g))
	out := append([]string(nil), g[:k]...)
	if rng.IntN(100) < 15 {
		h := v.paths[rng.IntN(2)] // services/a or services/b in the monorepo
		out = append(out, h[0])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (v *fileVocab) lone(rng *rand.Rand) []string { return v.loneF[rng.IntN(len(v.loneF))] }

// branchChain is a branch's first-parent history, oldest first, so "the
// head of the branch at time t" is a binary search.
type branchChain struct {
	base    int32 // where the branch forked off (NoCommit for main)
	commits []int32
	dates   []time.Time
	on      []bool // by commit index: on this chain
}

// chain walks a branch's first parents back to the root, or to a commit on
// stop (the main chain, for a branch forked from main).
func chain(r *Repo, branch string, stop []bool) *branchChain {
	c := &branchChain{base: NoCommit, on: make([]bool, len(r.Commits))}
	h, ok := r.Branch(branch)
	for ok && h != NoCommit && (stop == nil || !stop[h]) {
		c.commits = append(c.commits, h)
		c.on[h] = true
		h = r.Commits[h].Parents[0]
	}
	if ok && stop != nil {
		c.base = h
	}
	slices.Reverse(c.commits)
	c.dates = make([]time.Time, len(c.commits))
	for i, ci := range c.commits {
		c.dates[i] = r.Commits[ci].Date
	}
	return c
}

// at returns the branch's head at time t: the fork point when t precedes
// the branch's own commits (for main, its root), NoCommit when there is
// neither.
func (c *branchChain) at(t time.Time) int32 {
	i, _ := slices.BinarySearchFunc(c.dates, t, func(d, t time.Time) int {
		if d.After(t) {
			return 1
		}
		return -1
	})
	switch {
	case i > 0:
		return c.commits[i-1]
	case c.base != NoCommit:
		return c.base
	case len(c.commits) > 0:
		return c.commits[0]
	}
	return NoCommit
}

// inWindow returns a random commit of the chain dated in [from, to), or
// NoCommit.
func (c *branchChain) inWindow(rng *rand.Rand, from, to time.Time) int32 {
	lo, _ := slices.BinarySearchFunc(c.dates, from, func(d, t time.Time) int { return d.Compare(t) })
	hi, _ := slices.BinarySearchFunc(c.dates, to, func(d, t time.Time) int { return d.Compare(t) })
	if hi <= lo {
		return NoCommit
	}
	return c.commits[lo+rng.IntN(hi-lo)]
}

func (g *gen) workflowsAndRuns(rng *rand.Rand, r *Repo, role int, main, rel *branchChain) {
	created := r.CreatedAt.Add(time.Hour)
	ci := r.workflow("CI", "ci.yml", created)
	deploys := []int32{r.workflow("Deploy", "deploy.yml", created)}
	if role == roleMonorepo {
		deploys = []int32{
			r.workflow("Deploy service A", "deploy-a.yml", created),
			r.workflow("Deploy service B", "deploy-b.yml", created),
		}
	}
	nightly := r.workflow("Nightly", "nightly.yml", created)

	now := g.size.Now
	n := g.size.RunsPerRepo
	runs := make([]Run, 0, n)
	add := func(wf int32, branch string, c int32, event string, at time.Time, actor int32) {
		if c == NoCommit {
			c = main.at(at)
			branch = r.DefaultBranch
		}
		runs = append(runs, Run{Workflow: wf, HeadBranch: branch, Commit: c, Event: event, Actor: actor, CreatedAt: at})
	}
	// Two runs are still going, whatever the size: an in-progress deploy
	// and a queued one, so "completed only" filters have something to skip.
	for k, st := range []string{StatusInProgress, StatusQueued} {
		at := now.Add(-time.Duration(6-3*k) * time.Minute)
		add(deploys[0], r.DefaultBranch, main.at(at), "push", at, g.human(rng))
		runs[len(runs)-1].Status = st
	}
	// And one deploy from the release branch: a run on another branch.
	at := between(rng, g.start, now.Add(-time.Hour))
	add(deploys[0], releaseBranch, rel.at(at), "workflow_dispatch", at, g.human(rng))
	for len(runs) < n {
		actor := g.human(rng)
		switch k := rng.IntN(100); {
		case k < 30 && len(r.PRs) > 0:
			p := &r.PRs[rng.IntN(len(r.PRs))]
			at := p.CreatedAt.Add(time.Duration(30+rng.IntN(1800)) * time.Second)
			if at.After(now) {
				continue
			}
			add(ci, p.Head, p.HeadCommit(), "pull_request", at, p.User)
		case k < 50:
			c := main.inWindow(rng, g.start, now)
			if c == NoCommit {
				continue
			}
			add(ci, r.DefaultBranch, c, "push", r.Commits[c].Date.Add(time.Duration(5+rng.IntN(90))*time.Second), actor)
		case k < 80:
			c := main.inWindow(rng, g.start, now)
			if c == NoCommit {
				continue
			}
			wf := deploys[rng.IntN(len(deploys))]
			add(wf, r.DefaultBranch, c, "push", r.Commits[c].Date.Add(time.Duration(60+rng.IntN(540))*time.Second), actor)
		case k < 86:
			// Manual deploys, some of them from the release branch.
			at := between(rng, g.start, now)
			wf := deploys[rng.IntN(len(deploys))]
			if rng.IntN(10) < 3 {
				add(wf, releaseBranch, rel.at(at), "workflow_dispatch", at, actor)
			} else {
				add(wf, r.DefaultBranch, main.at(at), "workflow_dispatch", at, actor)
			}
		case k < 92:
			// Deploys of pushes to the release branch: runs on a branch
			// other than main.
			if c := rel.inWindow(rng, g.start, now); c != NoCommit {
				add(deploys[0], releaseBranch, c, "push", r.Commits[c].Date.Add(time.Duration(60+rng.IntN(300))*time.Second), actor)
			} else {
				at := between(rng, g.start, now)
				add(deploys[0], releaseBranch, rel.at(at), "workflow_dispatch", at, actor)
			}
		default:
			day := g.start.AddDate(0, 0, rng.IntN(g.size.Days))
			at := time.Date(day.Year(), day.Month(), day.Day(), 2, 0, rng.IntN(60), 0, time.UTC)
			if at.After(now) {
				continue
			}
			add(nightly, r.DefaultBranch, main.at(at), "schedule", at, actor)
		}
	}
	for i := range runs {
		run := &runs[i]
		if run.CreatedAt.After(now) {
			run.CreatedAt = now.Add(-time.Duration(1+rng.IntN(600)) * time.Second)
		}
		if run.Status != "" {
			run.UpdatedAt = run.CreatedAt.Add(20 * time.Second)
			continue
		}
		dur := time.Duration(90+rng.IntN(1200)) * time.Second
		run.UpdatedAt = run.CreatedAt.Add(dur)
		if run.UpdatedAt.After(now) {
			run.Status = StatusInProgress
			run.UpdatedAt = run.CreatedAt.Add(now.Sub(run.CreatedAt) / 2).Truncate(time.Second)
			continue
		}
		run.Status = StatusCompleted
		c := rng.IntN(100)
		switch i {
		case 3: // pinned: a failure and a cancellation in every repository
			c = 90
		case 4:
			c = 95
		}
		switch {
		case c < 80:
			run.Conclusion = ConclusionSuccess
		case c < 92:
			run.Conclusion = ConclusionFailure
		case c < 98:
			run.Conclusion = ConclusionCancelled
		default:
			run.Conclusion = ConclusionSkipped
		}
	}
	slices.SortStableFunc(runs, func(a, b Run) int { return a.CreatedAt.Compare(b.CreatedAt) })
	gateDeploys(runs, deploys[0], r.DefaultBranch, g.start, now)
	numbers := make([]int32, len(r.Workflows))
	for i := range runs {
		numbers[runs[i].Workflow]++
		runs[i].RunNumber = numbers[runs[i].Workflow]
		g.ids = append(g.ids, idItem{at: runs[i].CreatedAt, kind: idRun, repo: int32(r.ordinal), i: int32(i)})
	}
	r.Runs = runs
}

// gateDeploys makes some production deploy runs (of workflow wf, pushed
// to main, successful, in [start, now)) wait, as runs of a job gated by an
// environment's required reviewers or wait timer do, each for up to 30
// days (GitHub docs, "Managing environments for deployment", "Deployment
// protection rules"), and re-runs one: a re-run keeps the run's id and
// created_at while run_started_at and updated_at move and run_attempt
// grows (GitHub docs, "Re-running workflows and jobs"). Positions are
// pinned, so every seed has them once a repository has enough deploys;
// no random draw is taken, so the rest of the organisation is unchanged.
//
//   - the 2nd such run waited three days for approval, then ran;
//   - the 4th failed, and was re-run two days later with success
//     (run_attempt 2);
//   - the last one created from ten days to 36 hours before now is still
//     waiting for approval.
func gateDeploys(runs []Run, wf int32, main string, start, now time.Time) {
	var old []int // created at least ten days before now
	waiting := -1
	for i := range runs {
		run := &runs[i]
		if run.Workflow != wf || run.HeadBranch != main || run.Event != "push" ||
			run.Status != StatusCompleted || run.Conclusion != ConclusionSuccess || run.CreatedAt.Before(start) {
			continue
		}
		age := now.Sub(run.CreatedAt)
		if age >= 10*24*time.Hour {
			old = append(old, i)
		} else if age >= 36*time.Hour {
			waiting = i
		}
	}
	later := func(run *Run, by time.Duration, attempt int32) {
		took := run.UpdatedAt.Sub(run.RunStartedAt())
		run.StartedAt = run.CreatedAt.Add(by)
		run.UpdatedAt = run.StartedAt.Add(took)
		run.Attempt = attempt
	}
	if len(old) > 1 {
		later(&runs[old[1]], 3*24*time.Hour+17*time.Minute, 1)
	}
	if len(old) > 3 {
		later(&runs[old[3]], 2*24*time.Hour+41*time.Minute, 2)
	}
	if waiting >= 0 {
		run := &runs[waiting]
		run.Status, run.Conclusion, run.UpdatedAt = StatusWaiting, "", run.CreatedAt
	}
}

func (g *gen) releases(rng *rand.Rand, r *Repo, main *branchChain) {
	now := g.size.Now
	k := g.size.ReleasesPerRepo
	window := now.Sub(g.start)
	minor, drafts := 0, 0
	for i := range k {
		at := g.start.Add(window * time.Duration(2*i+1) / time.Duration(2*k)).Add(time.Duration(rng.IntN(7200)) * time.Second).Truncate(time.Second)
		if at.After(now) {
			at = now.Add(-time.Hour)
		}
		c := main.at(at)
		rel := Release{Author: g.human(rng), Target: r.DefaultBranch, CreatedAt: r.Commits[c].Date, PublishedAt: at}
		if i == 2 || rng.IntN(10) < 3 {
			rel.Target = r.Commits[c].SHA.String()
		}
		kind := rng.IntN(100)
		switch {
		case i == k-1 || kind < 8:
			// A draft: no tag yet, no published_at, and not a deployment.
			rel.Draft = true
			rel.PublishedAt = time.Time{}
			rel.CreatedAt = at
			drafts++
			rel.TagName = "v1." + strconv.Itoa(minor) + "." + strconv.Itoa(drafts)
		case i == 1 || kind < 23:
			minor++
			rel.Prerelease = true
			rel.TagName = "v1." + strconv.Itoa(minor) + ".0-rc.1"
		default:
			minor++
			rel.TagName = "v1." + strconv.Itoa(minor) + ".0"
		}
		rel.Name = rel.TagName
		if !rel.Draft && r.Tag(rel.TagName) == nil {
			r.addTag(rel.TagName, c, i == 0 || rng.IntN(3) == 0, at) // pinned: the first tag is annotated
		}
		r.Releases = append(r.Releases, rel)
		g.ids = append(g.ids, idItem{at: at, kind: idRelease, repo: int32(r.ordinal), i: int32(len(r.Releases) - 1)})
	}
}

func (g *gen) deployments(rng *rand.Rand, r *Repo, main, rel *branchChain) {
	now := g.size.Now
	n := g.size.DeploymentsPerRepo
	times := make([]time.Time, n)
	for i := range times {
		times[i] = between(rng, g.start, now.Add(-15*time.Minute))
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	var lastProd = -1 // the production deployment a new success makes inactive
	for i, at := range times {
		// Pinned: #1 goes to staging, #2 fails without any other status,
		// #3 has no status yet, #4 and #5 succeed in production (so #4 is
		// made inactive by #5).
		pinnedProd := i == 4 || i == 5
		env := "production"
		if i == 1 || rng.IntN(100) < 35 && !pinnedProd {
			env = "staging"
		}
		c := main.at(at)
		ref := r.DefaultBranch
		switch k := rng.IntN(100); {
		case k < 10:
			c, ref = rel.at(at), releaseBranch
		case k < 30:
			ref = r.Commits[c].SHA.String()
		}
		d := Deployment{Commit: c, Ref: ref, Task: "deploy", Environment: env, Creator: g.bots[1], CreatedAt: at}
		st := func(state string, after time.Duration) {
			t := at.Add(after).Truncate(time.Second)
			if !t.After(now) {
				d.Statuses = append(d.Statuses, DeploymentStatus{State: state, CreatedAt: t})
			}
		}
		ok := false
		k := rng.IntN(100)
		if pinnedProd {
			k = 99
		}
		switch {
		case i == 2 || k < 5:
			// The only status is a failure: never deployed.
			st("failure", time.Duration(20+rng.IntN(300))*time.Second)
		case i == 3 || k >= 16 && k < 18:
			// No status at all yet.
		case k < 13:
			st("in_progress", 10*time.Second)
			st("failure", time.Duration(60+rng.IntN(600))*time.Second)
		case k < 16:
			st("pending", 5*time.Second)
		default:
			st("pending", 2*time.Second)
			st("in_progress", 10*time.Second)
			st("success", time.Duration(60+rng.IntN(480))*time.Second)
			ok = len(d.Statuses) == 3
		}
		r.Deployments = append(r.Deployments, d)
		di := len(r.Deployments) - 1
		if ok && env == "production" {
			// GitHub marks the previous production deployment inactive
			// once a newer one succeeds.
			if lastProd >= 0 {
				prev := &r.Deployments[lastProd]
				succ := d.Statuses[len(d.Statuses)-1].CreatedAt
				if succ.After(prev.UpdatedAt()) {
					prev.Statuses = append(prev.Statuses, DeploymentStatus{State: "inactive", CreatedAt: succ})
				}
			}
			lastProd = di
		}
	}
	lateSuccess(r.Deployments, now)
	for i := range r.Deployments {
		d := &r.Deployments[i]
		g.ids = append(g.ids, idItem{at: d.CreatedAt, kind: idDeployment, repo: int32(r.ordinal), i: int32(i)})
		for j := range d.Statuses {
			g.ids = append(g.ids, idItem{at: d.Statuses[j].CreatedAt, kind: idStatus, repo: int32(r.ordinal), i: int32(i), j: int32(j)})
		}
	}
}

// lateSeparation is how long after its in_progress status the success of
// lateSuccess's deployment comes.
const lateSeparation = 2*24*time.Hour + 7*time.Minute

// lateSuccess makes one production deployment succeed days after it was
// created: a deploy held by a slow rollout or an approval, reported as
// pending and in_progress at first. Nothing bounds when a status may be
// created (REST API docs, "Create a deployment status"), and whether it
// changes the deployment object is not documented, so the fake leaves the
// deployment as it was (see render.go). The deployment is the first in
// production, with statuses pending, in_progress and success, created at
// least three days before now, whose later success stays before the next
// production success (which marks it inactive). No random draw is taken.
func lateSuccess(ds []Deployment, now time.Time) {
	for i := range ds {
		d := &ds[i]
		if d.Environment != "production" || len(d.Statuses) != 3 || d.Statuses[2].State != "success" ||
			now.Sub(d.CreatedAt) < 3*24*time.Hour {
			continue
		}
		late := d.Statuses[1].CreatedAt.Add(lateSeparation)
		clear := true
		for j := i + 1; j < len(ds) && clear; j++ {
			for _, st := range ds[j].Statuses {
				if ds[j].Environment == "production" && st.State == "success" && !st.CreatedAt.After(late) {
					clear = false
				}
			}
		}
		if clear && late.Before(now) {
			d.Statuses[2].CreatedAt = late
			return
		}
	}
}

// assignIDs numbers pull requests, runs, releases, deployments and statuses
// in time order across the organisation, with gaps, as GitHub's global ids
// are.
func (g *gen) assignIDs() {
	slices.SortStableFunc(g.ids, func(a, b idItem) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		if a.repo != b.repo {
			return int(a.repo - b.repo)
		}
		return int(a.i - b.i)
	})
	rng := rand.New(rand.NewPCG(uint64(g.seed), 42))
	ids := &g.o.ids
	for _, it := range g.ids {
		r := g.o.Repos[it.repo]
		step := int64(1 + rng.IntN(40))
		switch it.kind {
		case idPR:
			ids.pr += step
			r.PRs[it.i].ID = ids.pr
		case idRun:
			ids.run += step * 50
			r.Runs[it.i].ID = ids.run
		case idRelease:
			ids.release += step
			r.Releases[it.i].ID = ids.release
		case idDeployment:
			ids.deployment += step
			r.Deployments[it.i].ID = ids.deployment
		case idStatus:
			ids.status += step
			r.Deployments[it.i].Statuses[it.j].ID = ids.status
		}
	}
	g.ids = nil
}

// reviews submits the reviews of the repository's merged pull requests,
// from a random source of their own so that the rest of the organisation
// stays as it was before reviews were modelled. As on GitHub, where
// teams review most pull requests but not all
// (https://docs.github.com/en/pull-requests/collaborating-with-pull-requests/reviewing-changes-in-pull-requests/about-pull-request-reviews):
// most get one to three reviews by people other than their author, the
// last an approval, sometimes after a comment of the author's own (which
// the review list shows like any other review); one in ten has no review
// at all, one in ten only its author's comments, and now and then someone
// reviews after the merge.
func (g *gen) reviews(r *Repo, ordinal int) {
	rng := rand.New(rand.NewPCG(uint64(g.seed), 0x7265766965777321^uint64(ordinal)))
	for i := range r.PRs {
		p := &r.PRs[i]
		if !p.Merged() {
			continue
		}
		author := g.o.People[p.User].Login
		at := func(lo time.Time) time.Time { return between(rng, lo, p.MergedAt) }
		switch k := rng.IntN(10); {
		case k == 0:
			continue
		case k == 1:
			r.ReviewPR(p.Number, author, "COMMENTED", at(p.CreatedAt))
			continue
		}
		var others []int32
		for _, h := range g.humans {
			if h != p.User {
				others = append(others, h)
			}
		}
		if len(others) == 0 {
			continue
		}
		first := p.CreatedAt.Add(logUniform(rng, 10*time.Minute, 48*time.Hour))
		if !first.Before(p.MergedAt) {
			first = at(p.CreatedAt)
		}
		if rng.IntN(6) == 0 {
			r.ReviewPR(p.Number, author, "COMMENTED", between(rng, p.CreatedAt, first))
		}
		n := 1 + rng.IntN(3)
		t := first
		for j := range n {
			state := "APPROVED"
			if j < n-1 {
				state = [...]string{"COMMENTED", "CHANGES_REQUESTED"}[rng.IntN(2)]
			}
			r.ReviewPR(p.Number, g.o.People[others[rng.IntN(len(others))]].Login, state, t)
			t = at(t)
		}
		if rng.IntN(8) == 0 && p.UpdatedAt.After(p.MergedAt) {
			r.ReviewPR(p.Number, g.o.People[others[rng.IntN(len(others))]].Login, "COMMENTED", between(rng, p.MergedAt.Add(time.Second), p.UpdatedAt))
		}
	}
}
