package github_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"doraflow"
	"doraflow/extract/github"
	"doraflow/extract/github/githubfake"
)

// TestReadFilters checks every filter of every method with a case that
// must match and one that must not, on the hand-made repository.
func TestReadFilters(t *testing.T) {
	f := handMade(t)
	srv := startFake(t, f.org, githubfake.Options{})
	run := func(names ...string) []string {
		var out []string
		for _, n := range names {
			out = append(out, ids("run", f.runs[n])...)
		}
		slices.Sort(out)
		return out
	}
	rel := func(tags ...string) []string {
		var out []string
		for _, tag := range tags {
			out = append(out, ids("release", f.releases[tag])...)
		}
		slices.Sort(out)
		return out
	}
	dep := func(names ...string) []string {
		var out []string
		for _, n := range names {
			out = append(out, ids("deployment", f.deployments[n])...)
		}
		slices.Sort(out)
		return out
	}
	tests := []struct {
		name    string
		method  doraflow.Method
		filters doraflow.Filters
		want    []string
	}{
		// merged_pr: #3 was closed without merging and never counts.
		{"merged_pr: no filters: merged only", doraflow.MethodMergedPR, doraflow.Filters{}, ids("pr", 1, 2, 4, 5)},
		{"merged_pr: base_branch", doraflow.MethodMergedPR, doraflow.Filters{"base_branch": "release/1.x"}, ids("pr", 4)},
		{"merged_pr: base_branch no match", doraflow.MethodMergedPR, doraflow.Filters{"base_branch": "develop"}, nil},
		{"merged_pr: labels all present", doraflow.MethodMergedPR, doraflow.Filters{"labels": []string{"deploy", "HOTFIX"}}, ids("pr", 2)},
		{"merged_pr: labels no match", doraflow.MethodMergedPR, doraflow.Filters{"labels": []string{"deploy", "nope"}}, nil},
		{"merged_pr: exclude_labels", doraflow.MethodMergedPR, doraflow.Filters{"exclude_labels": []string{"skip-deploy"}}, ids("pr", 1, 2, 4)},
		{"merged_pr: exclude_labels excluding all", doraflow.MethodMergedPR, doraflow.Filters{"exclude_labels": []string{"deploy"}}, nil},
		{"merged_pr: paths with **", doraflow.MethodMergedPR, doraflow.Filters{"paths": []string{"services/**/y.go"}}, ids("pr", 2)},
		{"merged_pr: paths, one of several", doraflow.MethodMergedPR, doraflow.Filters{"paths": []string{"docs/**", "services/a/**"}}, ids("pr", 2, 5)},
		{"merged_pr: paths with * stays in its directory", doraflow.MethodMergedPR, doraflow.Filters{"paths": []string{"src/*.go"}}, ids("pr", 1, 4)},
		{"merged_pr: paths no match", doraflow.MethodMergedPR, doraflow.Filters{"paths": []string{"services/c/**"}}, nil},
		{"merged_pr: all ANDed", doraflow.MethodMergedPR, doraflow.Filters{"base_branch": "main", "labels": []string{"deploy"}, "exclude_labels": []string{"hotfix"}, "paths": []string{"**/*.go"}}, ids("pr", 1)},

		{"workflow_run: no filters: every successful run", doraflow.MethodWorkflowRun, doraflow.Filters{}, run("A", "C", "D", "E", "G")},
		{"workflow_run: workflow file", doraflow.MethodWorkflowRun, doraflow.Filters{"workflow": "deploy.yml"}, run("A", "C", "E", "G")},
		{"workflow_run: workflow display name", doraflow.MethodWorkflowRun, doraflow.Filters{"workflow": "Deploy production"}, run("A", "C", "E", "G")},
		{"workflow_run: workflow no match", doraflow.MethodWorkflowRun, doraflow.Filters{"workflow": "release.yml"}, nil},
		{"workflow_run: branch", doraflow.MethodWorkflowRun, doraflow.Filters{"workflow": "deploy.yml", "branch": "main"}, run("A", "C", "G")},
		{"workflow_run: branch no match", doraflow.MethodWorkflowRun, doraflow.Filters{"branch": "develop"}, nil},
		{"workflow_run: event", doraflow.MethodWorkflowRun, doraflow.Filters{"event": "workflow_dispatch"}, run("E")},
		{"workflow_run: event no match", doraflow.MethodWorkflowRun, doraflow.Filters{"event": "schedule"}, nil},
		{"workflow_run: conclusion", doraflow.MethodWorkflowRun, doraflow.Filters{"conclusion": "failure"}, run("B")},
		{"workflow_run: conclusion no match", doraflow.MethodWorkflowRun, doraflow.Filters{"conclusion": "timed_out"}, nil},

		{"release: published, no drafts, no prereleases", doraflow.MethodRelease, doraflow.Filters{}, rel("v1.0.0", "mobile-2.0", "v1.2.0")},
		{"release: prerelease allowed", doraflow.MethodRelease, doraflow.Filters{"prerelease": true}, rel("v1.0.0", "v1.1.0-rc.1", "mobile-2.0", "v1.2.0")},
		{"release: tag_pattern", doraflow.MethodRelease, doraflow.Filters{"tag_pattern": "v*"}, rel("v1.0.0", "v1.2.0")},
		{"release: tag_pattern no match", doraflow.MethodRelease, doraflow.Filters{"tag_pattern": "ios-*"}, nil},

		{"deployment: every environment, first success only", doraflow.MethodDeployment, doraflow.Filters{}, dep("P1", "S1", "P2")},
		{"deployment: environment", doraflow.MethodDeployment, doraflow.Filters{"environment": "staging"}, dep("S1")},
		{"deployment: environment no match", doraflow.MethodDeployment, doraflow.Filters{"environment": "qa"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := newSource(t, srv.URL(), nil, nil)
			got, st := read(t, src, block(tt.method, tt.filters), monthSince, monthUntil, nil)
			if !slices.Equal(got.deploymentIDs(), tt.want) {
				t.Errorf("got %v\nwant %v", got.deploymentIDs(), tt.want)
			}
			if st.Repositories != 1 || len(st.Failed) != 0 || st.Requests == 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// TestReadWindow checks that [since, until) is half-open on deployed_at.
func TestReadWindow(t *testing.T) {
	f := handMade(t)
	srv := startFake(t, f.org, githubfake.Options{})
	src := newSource(t, srv.URL(), nil, nil)
	tests := []struct {
		name         string
		since, until time.Time
		want         []string
	}{
		{"since inclusive", at(9), monthUntil, ids("pr", 2, 4, 5)},
		{"until exclusive", monthSince, at(9), ids("pr", 1)},
		{"empty", at(9), at(9), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := read(t, src, block(doraflow.MethodMergedPR, doraflow.Filters{}), tt.since, tt.until, nil)
			if !slices.Equal(got.deploymentIDs(), tt.want) {
				t.Errorf("got %v, want %v", got.deploymentIDs(), tt.want)
			}
		})
	}
	if _, err := src.Read(context.Background(), block(doraflow.MethodMergedPR, doraflow.Filters{}), at(9), at(8), nil, newCollector(t).sink); err == nil {
		t.Error("Read accepted until before since")
	}
	if _, err := src.Read(context.Background(), doraflow.Block{Name: "x", Method: doraflow.MethodCustom}, at(0), at(9), nil, newCollector(t).sink); err == nil {
		t.Error("Read accepted a custom block")
	}
}

// TestReadFields checks every field of one deployment per method and of
// the changes they ship.
func TestReadFields(t *testing.T) {
	f := handMade(t)
	srv := startFake(t, f.org, githubfake.Options{})
	const web = "https://github.com/acme/api"
	pr1 := doraflow.Change{ID: "acme/api#pr-1", Repository: "acme/api", Kind: doraflow.ChangePullRequest, Number: 1,
		SHA: f.squash1.String(), StartedAt: at(2), Title: "Add login", Labels: []string{"deploy"}, URL: web + "/pull/1", Author: "alice"}
	tests := []struct {
		name    string
		block   doraflow.Block
		want    doraflow.Deployment
		changes []doraflow.Change
	}{
		{"merged_pr",
			doraflow.Block{Name: "merges", Method: doraflow.MethodMergedPR, Repositories: []string{"acme/api"}, Service: "api-svc", Filters: doraflow.Filters{"labels": []string{"hotfix"}}},
			doraflow.Deployment{ID: "acme/api#pr-2", Method: doraflow.MethodMergedPR, Block: "merges", Service: "api-svc", Environment: "production",
				SHA: f.merge2.String(), DeployedAt: at(9), URL: web + "/pull/2", Title: "Add billing", Author: "alice"},
			[]doraflow.Change{{ID: "acme/api#pr-2", Repository: "acme/api", Kind: doraflow.ChangePullRequest, Number: 2, SHA: f.merge2.String(),
				StartedAt: at(6.5), Title: "Add billing", Labels: []string{"deploy", "hotfix"}, URL: web + "/pull/2", Author: "alice"}}},
		{"workflow_run",
			doraflow.Block{Name: "runs", Method: doraflow.MethodWorkflowRun, Repositories: []string{"acme/api"}, Environment: "prod-eu",
				Filters: doraflow.Filters{"workflow": "deploy.yml", "event": "workflow_dispatch", "conclusion": "success"}},
			doraflow.Deployment{ID: "acme/api#run-" + itoa(f.runs["E"]), Method: doraflow.MethodWorkflowRun, Block: "runs", Environment: "prod-eu",
				SHA: f.squash4.String(), DeployedAt: at(14).Add(5 * time.Minute), URL: web + "/actions/runs/" + itoa(f.runs["E"]), Title: "Deploy production", Author: "alice"},
			[]doraflow.Change{{ID: "acme/api#pr-4", Repository: "acme/api", Kind: doraflow.ChangePullRequest, Number: 4, SHA: f.squash4.String(),
				StartedAt: at(12), Title: "Backport login", Labels: []string{"deploy", "backport"}, URL: web + "/pull/4", Author: "alice"}}},
		{"release: the annotated tag's commit",
			doraflow.Block{Name: "rels", Method: doraflow.MethodRelease, Repositories: []string{"acme/api"}, Filters: doraflow.Filters{"tag_pattern": "v1.0.*"}},
			doraflow.Deployment{ID: "acme/api#release-" + itoa(f.releases["v1.0.0"]), Method: doraflow.MethodRelease, Block: "rels", Environment: "production",
				SHA: f.squash1.String(), DeployedAt: at(7), URL: web + "/releases/tag/v1.0.0", Title: "One", Author: "alice"},
			[]doraflow.Change{pr1}},
		{"deployment: its own environment, the first success",
			doraflow.Block{Name: "deps", Method: doraflow.MethodDeployment, Repositories: []string{"acme/api"}, Environment: "ignored"},
			doraflow.Deployment{ID: "acme/api#deployment-" + itoa(f.deployments["P2"]), Method: doraflow.MethodDeployment, Block: "deps", Environment: "production",
				SHA: f.lone2.String(), DeployedAt: at(13), Title: "production: main@" + f.lone2.String()[:7], Author: "alice"},
			nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := newSource(t, srv.URL(), nil, nil)
			got, _ := read(t, src, tt.block, monthSince, monthUntil, nil)
			want := tt.want
			want.Source, want.Repository, want.Status = doraflow.SourceGitHub, "acme/api", doraflow.StatusSuccess
			d, ok := got.deployments[want.ID]
			if !ok {
				t.Fatalf("no deployment %s in %v", want.ID, got.deploymentIDs())
			}
			if !equalDeployment(d, want) {
				t.Errorf("deployment\n got %+v\nwant %+v", d, want)
			}
			for _, wc := range tt.changes {
				if c := got.changes[wc.ID]; !equalChange(c, wc) {
					t.Errorf("change\n got %+v\nwant %+v", c, wc)
				}
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func equalDeployment(a, b doraflow.Deployment) bool {
	a.DeployedAt, b.DeployedAt = a.DeployedAt.UTC(), b.DeployedAt.UTC()
	return a == b
}

func equalChange(a, b doraflow.Change) bool {
	return a.ID == b.ID && a.Repository == b.Repository && a.Kind == b.Kind && a.Number == b.Number && a.SHA == b.SHA &&
		a.StartedAt.Equal(b.StartedAt) && a.Title == b.Title && slices.Equal(a.Labels, b.Labels) && a.URL == b.URL && a.Author == b.Author
}

// TestLeadTimeInputs checks what deployments ship: the first deployment
// only its own commit, then the compared ranges collapsed — a squash
// merge, a merge-commit merge whose commits fold into the pull request
// (started_at the earliest author date), lone commits.
func TestLeadTimeInputs(t *testing.T) {
	f := handMade(t)
	lone := func(sha githubfake.SHA) string { return "acme/api@" + sha.String() }
	tests := []struct {
		name  string
		block doraflow.Block
		hist  github.History
		want  map[string][]string // deployment -> changes, in order
	}{
		{name: "workflow runs on main, nothing known before",
			block: block(doraflow.MethodWorkflowRun, doraflow.Filters{"workflow": "deploy.yml", "branch": "main"}),
			want: map[string][]string{
				ids("run", f.runs["A"])[0]: {"acme/api#pr-1"},                // first: only its own (squash) commit
				ids("run", f.runs["C"])[0]: {"acme/api#pr-2"},                // merge commit and the PR's two commits: one change
				ids("run", f.runs["G"])[0]: {lone(f.lone2), "acme/api#pr-5"}, // a lone commit, then a squash merge
			}},
		{name: "the first deployment compares with the one History knows",
			block: block(doraflow.MethodWorkflowRun, doraflow.Filters{"workflow": "deploy.yml", "branch": "main"}),
			hist:  history{"acme/api production": f.root.String()},
			want: map[string][]string{
				ids("run", f.runs["A"])[0]: {lone(f.lone1), "acme/api#pr-1"},
				ids("run", f.runs["C"])[0]: {"acme/api#pr-2"},
				ids("run", f.runs["G"])[0]: {lone(f.lone2), "acme/api#pr-5"},
			}},
		{name: "the same sha deployed again ships nothing",
			block: block(doraflow.MethodWorkflowRun, doraflow.Filters{"workflow": "deploy.yml", "branch": "main"}),
			hist:  history{"acme/api production": f.squash1.String()},
			want: map[string][]string{
				ids("run", f.runs["A"])[0]: {},
				ids("run", f.runs["C"])[0]: {"acme/api#pr-2"},
				ids("run", f.runs["G"])[0]: {lone(f.lone2), "acme/api#pr-5"},
			}},
		{name: "GitHub deployments: per environment",
			block: block(doraflow.MethodDeployment, doraflow.Filters{}),
			want: map[string][]string{
				ids("deployment", f.deployments["P1"])[0]: {"acme/api#pr-1"},
				ids("deployment", f.deployments["P2"])[0]: {"acme/api#pr-2", lone(f.lone2)},
				ids("deployment", f.deployments["S1"])[0]: {"acme/api#pr-2"}, // first in staging: the merge commit alone is the PR
			}},
		{name: "releases",
			block: block(doraflow.MethodRelease, doraflow.Filters{"tag_pattern": "v*"}),
			want: map[string][]string{
				ids("release", f.releases["v1.0.0"])[0]: {"acme/api#pr-1"},
				ids("release", f.releases["v1.2.0"])[0]: {"acme/api#pr-2", lone(f.lone2), "acme/api#pr-5"},
			}},
		{name: "merged_pr ships the pull request itself",
			block: block(doraflow.MethodMergedPR, doraflow.Filters{"base_branch": "main"}),
			want: map[string][]string{
				"acme/api#pr-1": {"acme/api#pr-1"}, "acme/api#pr-2": {"acme/api#pr-2"}, "acme/api#pr-5": {"acme/api#pr-5"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startFake(t, f.org, githubfake.Options{})
			src := newSource(t, srv.URL(), nil, nil)
			got, _ := read(t, src, tt.block, monthSince, monthUntil, tt.hist)
			if len(got.ships) != len(tt.want) {
				t.Errorf("ships %v, want %v", got.ships, tt.want)
			}
			for d, want := range tt.want {
				if g := got.ships[d]; !slices.Equal(g, want) && !(len(g) == 0 && len(want) == 0) {
					t.Errorf("%s ships %v, want %v", d, g, want)
				}
			}
			// started_at is the earliest author date of the PR's commits;
			// a lone commit's its own.
			starts := map[string]time.Time{"acme/api#pr-1": at(2), "acme/api#pr-2": at(6.5), "acme/api#pr-5": at(13), lone(f.lone1): at(1), lone(f.lone2): at(12.5)}
			for id, ch := range got.changes {
				if want, ok := starts[id]; ok && !ch.StartedAt.Equal(want) {
					t.Errorf("%s started_at %s, want %s", id, ch.StartedAt, want)
				}
			}
			if ch, ok := got.changes[lone(f.lone2)]; ok && (ch.Kind != doraflow.ChangeCommit || ch.Title != "Bump version" || ch.Author != "" || ch.Number != 0) {
				t.Errorf("lone commit %+v: want kind commit, first message line, no login (an e-mail author)", ch)
			}
		})
	}
}

// TestFirstDeploymentAfterAYear checks that the first deployment of a
// repository with a year of history ships its own commit only, without
// comparing against anything.
func TestFirstDeploymentAfterAYear(t *testing.T) {
	f := handMade(t)
	srv := startFake(t, f.org, githubfake.Options{})
	src := newSource(t, srv.URL(), nil, nil)
	b := block(doraflow.MethodWorkflowRun, doraflow.Filters{"workflow": "deploy.yml"})
	b.Repositories = []string{"acme/legacy"}
	got, _ := read(t, src, b, monthSince, monthUntil, nil)
	if len(got.deployments) != 1 || len(got.changes) != 1 {
		t.Fatalf("%d deployments, %d changes; want 1 and 1 (the deployed commit)", len(got.deployments), len(got.changes))
	}
	for _, ch := range got.changes {
		if ch.ID != "acme/legacy@"+f.legacyHead.String() || ch.Title != "Day 364" {
			t.Errorf("change %+v, want the deployed commit", ch)
		}
	}
	if n := countEndpoint(srv, repoPrefix+"/compare/{basehead...}"); n != 0 {
		t.Errorf("%d compare requests for a first deployment", n)
	}
}

// TestShipped checks the lead's entry point for custom deployments.
func TestShipped(t *testing.T) {
	f := handMade(t)
	srv := startFake(t, f.org, githubfake.Options{})
	src := newSource(t, srv.URL(), nil, nil)
	lone := func(sha githubfake.SHA) string { return "acme/api@" + sha.String() }
	type made = map[string][]githubfake.SHA // change id -> the commits behind it
	tests := []struct {
		name      string
		base, sha githubfake.SHA
		want      []string
		commits   made
	}{
		{"first deployment of a squash commit", githubfake.SHA{}, f.squash1, []string{"acme/api#pr-1"}, made{"acme/api#pr-1": {f.squash1}}},
		{"first deployment of a merge commit: the PR only", githubfake.SHA{}, f.merge2, []string{"acme/api#pr-2"}, made{"acme/api#pr-2": {f.merge2}}},
		{"first deployment of a PR's own commit: the PR", githubfake.SHA{}, f.pr2Commits[0], []string{"acme/api#pr-2"}, made{"acme/api#pr-2": {f.pr2Commits[0]}}},
		{"first deployment of a lone commit", githubfake.SHA{}, f.lone1, []string{lone(f.lone1)}, made{lone(f.lone1): {f.lone1}}},
		{"squash merge", f.lone1, f.squash1, []string{"acme/api#pr-1"}, made{"acme/api#pr-1": {f.squash1}}},
		{"merge commit", f.squash1, f.merge2, []string{"acme/api#pr-2"}, made{"acme/api#pr-2": append(slices.Clone(f.pr2Commits), f.merge2)}},
		{"lone and squash", f.merge2, f.squash5, []string{lone(f.lone2), "acme/api#pr-5"}, made{lone(f.lone2): {f.lone2}, "acme/api#pr-5": {f.squash5}}},
		{"from the root", f.root, f.squash5, []string{lone(f.lone1), "acme/api#pr-1", "acme/api#pr-2", lone(f.lone2), "acme/api#pr-5"}, nil},
		{"a rollback ships nothing", f.squash5, f.merge2, nil, made{}},
		{"the same sha ships nothing", f.merge2, f.merge2, nil, made{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := ""
			if !tt.base.IsZero() {
				base = tt.base.String()
			}
			got, commits, err := src.Shipped(context.Background(), "acme/api", base, tt.sha.String())
			if err != nil {
				t.Fatal(err)
			}
			var gotIDs []string
			for _, c := range got {
				gotIDs = append(gotIDs, c.ID)
				if c.StartedAt.IsZero() || c.URL == "" {
					t.Errorf("incomplete change %+v", c)
				}
				if len(commits[c.ID]) == 0 {
					t.Errorf("change %s: no commits named", c.ID)
				}
			}
			if !slices.Equal(gotIDs, tt.want) {
				t.Errorf("got %v, want %v", gotIDs, tt.want)
			}
			if len(commits) != len(got) {
				t.Errorf("commits named for %d changes, want %d: %v", len(commits), len(got), commits)
			}
			for id, want := range tt.commits {
				var wantSHAs []string
				for _, sha := range want {
					wantSHAs = append(wantSHAs, sha.String())
				}
				if !slices.Equal(commits[id], wantSHAs) {
					t.Errorf("commits of %s = %v, want %v", id, commits[id], wantSHAs)
				}
			}
		})
	}
	if _, _, err := src.Shipped(context.Background(), "acme", "", f.root.String()); err == nil {
		t.Error("Shipped accepted a repository without owner")
	}
	if _, _, err := src.Shipped(context.Background(), "acme/api", "", strings.Repeat("0", 40)); err == nil {
		t.Error("Shipped accepted an unknown sha")
	}
}

// TestReadTwiceIdentical checks that two Reads of a block produce the
// same rows (without an ETag store).
func TestReadTwiceIdentical(t *testing.T) {
	org := githubfake.Generate(7, githubfake.Size{PRsPerRepo: 15, RunsPerRepo: 25, DeploymentsPerRepo: 8, ReleasesPerRepo: 5})
	srv := startFake(t, org, githubfake.Options{})
	since, until := org.Now.AddDate(0, 0, -60), org.Now
	for _, m := range []doraflow.Method{doraflow.MethodMergedPR, doraflow.MethodWorkflowRun, doraflow.MethodRelease, doraflow.MethodDeployment} {
		t.Run(string(m), func(t *testing.T) {
			b := block(m, doraflow.Filters{})
			b.Repositories = []string{"acme/*"}
			src := newSource(t, srv.URL(), newClock(org.Now), nil)
			first, _ := read(t, src, b, since, until, nil)
			second, _ := read(t, src, b, since, until, nil)
			if len(first.deployments) == 0 {
				t.Fatal("nothing read")
			}
			if !sameRows(first, second) {
				t.Error("the second read differs from the first")
			}
		})
	}
}

func sameRows(a, b rows) bool {
	if len(a.deployments) != len(b.deployments) || len(a.changes) != len(b.changes) || len(a.ships) != len(b.ships) {
		return false
	}
	for id, d := range a.deployments {
		if !equalDeployment(d, b.deployments[id]) || !slices.Equal(a.ships[id], b.ships[id]) {
			return false
		}
	}
	for id, c := range a.changes {
		if !equalChange(c, b.changes[id]) {
			return false
		}
	}
	return true
}
