package githubfake

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v62/github"
)

func TestListPullsPaginates(t *testing.T) {
	o := Generate(5, Size{Repos: 6, PRsPerRepo: 250})
	_, gh := serve(t, o, Options{})
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		perPage   int
		wantPages int
		wantSize  int
	}{
		{"default 30 a page", 0, 9, 30},
		{"100 a page", 100, 3, 100},
		{"per_page above 100 is capped at 100", 250, 3, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := &github.PullRequestListOptions{State: "all", ListOptions: github.ListOptions{PerPage: tc.perPage}}
			var all []*github.PullRequest
			pages := 0
			for {
				prs, resp, err := gh.PullRequests.List(ctx, "acme", "api", opts)
				if err != nil {
					t.Fatal(err)
				}
				pages++
				if pages == 1 {
					if len(prs) != tc.wantSize || resp.LastPage != tc.wantPages || resp.NextPage != 2 || resp.PrevPage != 0 {
						t.Fatalf("first page: %d items, last %d next %d prev %d", len(prs), resp.LastPage, resp.NextPage, resp.PrevPage)
					}
				}
				all = append(all, prs...)
				if resp.NextPage == 0 {
					if resp.PrevPage != pages-1 || resp.FirstPage != 1 {
						t.Errorf("last page: prev %d first %d", resp.PrevPage, resp.FirstPage)
					}
					break
				}
				opts.Page = resp.NextPage
			}
			if pages != tc.wantPages || len(all) != 250 {
				t.Fatalf("%d pages, %d PRs; want %d pages, 250 PRs", pages, len(all), tc.wantPages)
			}
			seen := map[int]bool{}
			for i, p := range all {
				if seen[p.GetNumber()] {
					t.Fatalf("#%d listed twice", p.GetNumber())
				}
				seen[p.GetNumber()] = true
				if i > 0 && p.GetCreatedAt().After(all[i-1].GetCreatedAt().Time) {
					t.Fatalf("not newest first at %d", i)
				}
			}
		})
	}
}

func TestListPullsFilters(t *testing.T) {
	f := newFixture(t)
	_, gh := serve(t, f.org, Options{})
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		opts github.PullRequestListOptions
		want []int
	}{
		{"default is open", github.PullRequestListOptions{}, []int{4}},
		{"closed, newest first", github.PullRequestListOptions{State: "closed"}, []int{3, 2, 1}},
		{"all, oldest first", github.PullRequestListOptions{State: "all", Direction: "asc"}, []int{1, 2, 3, 4}},
		{"updated sorts ascending by default", github.PullRequestListOptions{State: "all", Sort: "updated"}, []int{1, 2, 3, 4}},
		{"base filter", github.PullRequestListOptions{State: "all", Base: "release"}, nil},
		{"head filter", github.PullRequestListOptions{State: "all", Head: "acme:feature/2"}, []int{2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prs, _, err := gh.PullRequests.List(ctx, "acme", "api", &tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := prNumbers(prs); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPullRequestFields(t *testing.T) {
	f := newFixture(t)
	_, gh := serve(t, f.org, Options{})
	ctx := context.Background()
	r := f.repo

	p, _, err := gh.PullRequests.Get(ctx, "acme", "api", 2)
	if err != nil {
		t.Fatal(err)
	}
	if !p.GetMerged() || p.GetMergedAt().Time != at(9) || p.GetMergeCommitSHA() != f.merge.String() || p.GetState() != "closed" {
		t.Errorf("#2: merged %v at %v sha %s state %s", p.GetMerged(), p.GetMergedAt(), p.GetMergeCommitSHA(), p.GetState())
	}
	if p.GetHead().GetRef() != "feature/2" || p.GetHead().GetSHA() != r.SHAOf(f.pr2.HeadCommit()).String() || p.GetBase().GetRef() != "main" {
		t.Errorf("#2 head %s %s base %s", p.GetHead().GetRef(), p.GetHead().GetSHA(), p.GetBase().GetRef())
	}
	if p.GetCommits() != 2 || p.GetChangedFiles() != 2 || p.GetMergedBy().GetLogin() != "bob" || p.GetUser().GetLogin() != "alice" {
		t.Errorf("#2 commits %d files %d merged by %s user %s", p.GetCommits(), p.GetChangedFiles(), p.GetMergedBy().GetLogin(), p.GetUser().GetLogin())
	}
	var labels []string
	for _, l := range p.Labels {
		labels = append(labels, l.GetName())
	}
	if !slices.Equal(labels, []string{"deploy", "hotfix"}) {
		t.Errorf("#2 labels %v", labels)
	}
	if p.GetHTMLURL() != "https://github.com/acme/api/pull/2" {
		t.Errorf("html_url %s", p.GetHTMLURL())
	}

	// A pull request closed without merging still shows a merge_commit_sha
	// (its last test merge), as on GitHub: only merged_at says "merged".
	p3, _, err := gh.PullRequests.Get(ctx, "acme", "api", 3)
	if err != nil {
		t.Fatal(err)
	}
	if p3.GetMerged() || p3.MergedAt != nil || p3.GetMergeCommitSHA() == "" || p3.GetClosedAt().Time != at(12) {
		t.Errorf("#3: merged %v merged_at %v merge sha %q closed %v", p3.GetMerged(), p3.MergedAt, p3.GetMergeCommitSHA(), p3.GetClosedAt())
	}
	if _, _, err := gh.Repositories.GetCommit(ctx, "acme", "api", p3.GetMergeCommitSHA(), nil); err == nil {
		t.Error("the test merge commit of an unmerged PR resolves")
	}

	commits, _, err := gh.PullRequests.ListCommits(ctx, "acme", "api", 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(commits) != 2 || commits[0].GetSHA() != r.SHAOf(f.pr1.FirstCommit).String() || commits[0].GetCommit().GetAuthor().GetDate().Time != at(3) {
		t.Errorf("#1 commits: %d, first %s at %v", len(commits), commits[0].GetSHA(), commits[0].GetCommit().GetAuthor().GetDate())
	}
	files, _, err := gh.PullRequests.ListFiles(ctx, "acme", "api", 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || files[0].GetFilename() != "services/a/x.go" || files[1].GetFilename() != "services/b/y.go" || files[0].GetAdditions() == 0 {
		t.Errorf("#2 files: %+v", files)
	}
	if _, _, err := gh.PullRequests.Get(ctx, "acme", "api", 99); !isStatus(err, 404) {
		t.Errorf("missing PR: %v", err)
	}
}

// isStatus reports whether err is a go-github error response with the
// status.
func isStatus(err error, status int) bool {
	var er *github.ErrorResponse
	return errors.As(err, &er) && er.Response.StatusCode == status
}

func TestCompareEndpoint(t *testing.T) {
	f := newFixture(t)
	_, gh := serve(t, f.org, Options{})
	ctx := context.Background()
	r := f.repo
	sha := func(i int32) string { return r.SHAOf(i).String() }
	for _, tc := range []struct {
		name       string
		base, head string
		status     string
		ahead      []string
		behind     int
	}{
		{"squash: one new commit, the PR's own commits stay off main", f.lone1.String(), f.squash.String(), "ahead", []string{f.squash.String()}, 0},
		{"merge commit: the PR's commits come along, oldest first", f.squash.String(), f.merge.String(), "ahead",
			[]string{sha(f.pr2.FirstCommit), sha(f.pr2.FirstCommit + 1), f.merge.String()}, 0},
		{"branch names and ancestry", "main~2", "main", "ahead", []string{sha(f.pr2.FirstCommit), sha(f.pr2.FirstCommit + 1), f.merge.String(), f.lone2.String()}, 0},
		{"tags", "v1.0.0", "v1.1.0-rc.1", "ahead", []string{sha(f.pr2.FirstCommit), sha(f.pr2.FirstCommit + 1), f.merge.String()}, 0},
		{"behind", f.merge.String(), f.lone1.String(), "behind", nil, 4},
		{"diverged", sha(f.pr1.HeadCommit()), "main", "diverged",
			[]string{f.squash.String(), sha(f.pr2.FirstCommit), sha(f.pr2.FirstCommit + 1), f.merge.String(), f.lone2.String()}, 2},
		{"identical", "main", f.lone2.String(), "identical", nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmp, _, err := gh.Repositories.CompareCommits(ctx, "acme", "api", tc.base, tc.head, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range cmp.Commits {
				got = append(got, c.GetSHA())
			}
			if cmp.GetStatus() != tc.status || !slices.Equal(got, tc.ahead) || cmp.GetAheadBy() != len(tc.ahead) ||
				cmp.GetTotalCommits() != len(tc.ahead) || cmp.GetBehindBy() != tc.behind {
				t.Errorf("got %s ahead %d %v behind %d total %d; want %s %v behind %d",
					cmp.GetStatus(), cmp.GetAheadBy(), got, cmp.GetBehindBy(), cmp.GetTotalCommits(), tc.status, tc.ahead, tc.behind)
			}
		})
	}
	cmp, _, err := gh.Repositories.CompareCommits(ctx, "acme", "api", f.squash.String(), f.merge.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cmp.GetMergeBaseCommit().GetSHA() != f.squash.String() || len(cmp.Files) != 2 {
		t.Errorf("merge base %s, %d files", cmp.GetMergeBaseCommit().GetSHA(), len(cmp.Files))
	}
	if _, _, err := gh.Repositories.CompareCommits(ctx, "acme", "api", "nope", "main", nil); !isStatus(err, 404) {
		t.Errorf("unknown base: %v", err)
	}
}

func TestComparePaginates(t *testing.T) {
	o := NewOrg("acme", at(1000))
	r := o.AddRepo("long")
	var shas []string
	for i := range 260 {
		shas = append(shas, r.AddCommit(CommitSpec{At: at(float64(i))}).String())
	}
	_, gh := serve(t, o, Options{})
	ctx := context.Background()

	// Without paging parameters: the last 250 commits, the newest last.
	cmp, resp, err := gh.Repositories.CompareCommits(ctx, "acme", "long", shas[0], shas[259], nil)
	if err != nil {
		t.Fatal(err)
	}
	if cmp.GetTotalCommits() != 259 || len(cmp.Commits) != 250 || cmp.Commits[249].GetSHA() != shas[259] || cmp.Commits[0].GetSHA() != shas[10] || resp.NextPage != 0 {
		t.Fatalf("unpaged: total %d, %d commits, last %s, next %d", cmp.GetTotalCommits(), len(cmp.Commits), cmp.Commits[len(cmp.Commits)-1].GetSHA(), resp.NextPage)
	}
	// With them: pages, oldest first, Link header.
	var got []string
	opts := &github.ListOptions{PerPage: 100}
	for {
		cmp, resp, err := gh.Repositories.CompareCommits(ctx, "acme", "long", shas[0], shas[259], opts)
		if err != nil {
			t.Fatal(err)
		}
		if opts.Page > 1 && len(cmp.Files) != 0 {
			t.Errorf("page %d lists files; GitHub lists them on the first page only", opts.Page)
		}
		for _, c := range cmp.Commits {
			got = append(got, c.GetSHA())
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	if !slices.Equal(got, shas[1:]) {
		t.Fatalf("paged compare returned %d commits, want the 259 after the base in order", len(got))
	}
}

func TestCommitEndpoints(t *testing.T) {
	f := newFixture(t)
	_, gh := serve(t, f.org, Options{})
	ctx := context.Background()
	r := f.repo

	c, _, err := gh.Repositories.GetCommit(ctx, "acme", "api", f.merge.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Parents) != 2 || c.Parents[0].GetSHA() != f.squash.String() || c.GetCommitter().GetLogin() != "web-flow" || len(c.Files) != 2 || c.GetStats().GetTotal() == 0 {
		t.Errorf("merge commit: %d parents, committer %s, %d files", len(c.Parents), c.GetCommitter().GetLogin(), len(c.Files))
	}
	lone, _, err := gh.Repositories.GetCommit(ctx, "acme", "api", f.lone2.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if lone.Author != nil || lone.GetCommit().GetAuthor().GetEmail() != "ci@acme.internal" {
		t.Errorf("an author without an account must be null, got %v / %s", lone.Author, lone.GetCommit().GetAuthor().GetEmail())
	}
	if _, _, err := gh.Repositories.GetCommit(ctx, "acme", "api", strings.Repeat("0", 40), nil); !isStatus(err, 422) {
		t.Errorf("unknown SHA: %v, want 422 as GitHub answers", err)
	}

	// History of main, newest first, with since/until.
	list, _, err := gh.Repositories.ListCommits(ctx, "acme", "api", &github.CommitsListOptions{SHA: "main", Since: at(6), Until: at(9)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range list {
		got = append(got, c.GetSHA())
	}
	want := []string{f.merge.String(), r.SHAOf(f.pr2.FirstCommit + 1).String(), r.SHAOf(f.pr2.FirstCommit).String(), f.squash.String()}
	if !slices.Equal(got, want) {
		t.Errorf("commits since 6h until 9h: %v, want %v", got, want)
	}
	all, _, err := gh.Repositories.ListCommits(ctx, "acme", "api", &github.CommitsListOptions{ListOptions: github.ListOptions{PerPage: 100}})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 7 { // root, lone1, squash, p2a, p2b, merge, lone2: #1's own commits were squashed away
		t.Errorf("main history has %d commits, want 7", len(all))
	}

	for _, tc := range []struct {
		name string
		sha  SHA
		want []int
	}{
		{"squash commit", f.squash, []int{1}},
		{"a squashed PR's own commit", r.SHAOf(f.pr1.FirstCommit), []int{1}},
		{"merge commit", f.merge, []int{2}},
		{"commit of a merge-commit PR", r.SHAOf(f.pr2.FirstCommit), []int{2}},
		{"lone commit", f.lone2, nil},
		{"commit of a PR closed unmerged", r.SHAOf(f.pr3.FirstCommit), nil},
		{"commit of an open PR", r.SHAOf(f.pr4.FirstCommit), []int{4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prs, _, err := gh.PullRequests.ListPullRequestsWithCommit(ctx, "acme", "api", tc.sha.String(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := prNumbers(prs); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestActionsEndpoints(t *testing.T) {
	f := newFixture(t)
	_, gh := serve(t, f.org, Options{})
	ctx := context.Background()

	wfs, _, err := gh.Actions.ListWorkflows(ctx, "acme", "api", nil)
	if err != nil {
		t.Fatal(err)
	}
	if wfs.GetTotalCount() != 2 || wfs.Workflows[0].GetPath() != ".github/workflows/deploy.yml" {
		t.Fatalf("workflows: %d, first %s", wfs.GetTotalCount(), wfs.Workflows[0].GetPath())
	}
	deployID := wfs.Workflows[0].GetID()
	for _, tc := range []struct {
		name  string
		list  func() (*github.WorkflowRuns, *github.Response, error)
		total int
		check func(t *testing.T, runs []*github.WorkflowRun)
	}{
		{"all runs, newest first", func() (*github.WorkflowRuns, *github.Response, error) {
			return gh.Actions.ListRepositoryWorkflowRuns(ctx, "acme", "api", nil)
		}, 5, func(t *testing.T, runs []*github.WorkflowRun) {
			for i := 1; i < len(runs); i++ {
				if runs[i].GetCreatedAt().After(runs[i-1].GetCreatedAt().Time) {
					t.Error("not newest first")
				}
			}
			if runs[0].GetStatus() != "in_progress" || runs[0].Conclusion != nil {
				t.Errorf("newest run: %s %v", runs[0].GetStatus(), runs[0].Conclusion)
			}
		}},
		{"by workflow file", func() (*github.WorkflowRuns, *github.Response, error) {
			return gh.Actions.ListWorkflowRunsByFileName(ctx, "acme", "api", "deploy.yml", nil)
		}, 4, nil},
		{"by workflow id, completed successes on main", func() (*github.WorkflowRuns, *github.Response, error) {
			return gh.Actions.ListWorkflowRunsByID(ctx, "acme", "api", deployID, &github.ListWorkflowRunsOptions{Branch: "main", Status: "success"})
		}, 1, func(t *testing.T, runs []*github.WorkflowRun) {
			if runs[0].GetHeadSHA() != f.squash.String() || runs[0].GetUpdatedAt().Time != at(6.1).Add(5*time.Minute) {
				t.Errorf("run %s updated %v", runs[0].GetHeadSHA(), runs[0].GetUpdatedAt())
			}
		}},
		{"status completed", func() (*github.WorkflowRuns, *github.Response, error) {
			return gh.Actions.ListRepositoryWorkflowRuns(ctx, "acme", "api", &github.ListWorkflowRunsOptions{Status: "completed"})
		}, 4, nil},
		{"conclusion failure", func() (*github.WorkflowRuns, *github.Response, error) {
			return gh.Actions.ListRepositoryWorkflowRuns(ctx, "acme", "api", &github.ListWorkflowRunsOptions{Status: "failure"})
		}, 1, nil},
		{"pull_request event with its PR", func() (*github.WorkflowRuns, *github.Response, error) {
			return gh.Actions.ListRepositoryWorkflowRuns(ctx, "acme", "api", &github.ListWorkflowRunsOptions{Event: "pull_request"})
		}, 1, func(t *testing.T, runs []*github.WorkflowRun) {
			if runs[0].GetHeadBranch() != "feature/4" || len(runs[0].PullRequests) != 1 || runs[0].PullRequests[0].GetNumber() != 4 {
				t.Errorf("PR run on %s with %d PRs", runs[0].GetHeadBranch(), len(runs[0].PullRequests))
			}
		}},
		{"created range", func() (*github.WorkflowRuns, *github.Response, error) {
			return gh.Actions.ListRepositoryWorkflowRuns(ctx, "acme", "api", &github.ListWorkflowRunsOptions{Created: at(9).Format(time.RFC3339) + ".." + at(10).Format(time.RFC3339)})
		}, 2, nil},
		{"created on or after a date", func() (*github.WorkflowRuns, *github.Response, error) {
			return gh.Actions.ListRepositoryWorkflowRuns(ctx, "acme", "api", &github.ListWorkflowRunsOptions{Created: ">=" + at(0).Format("2006-01-02")})
		}, 5, nil},
		{"created before a date", func() (*github.WorkflowRuns, *github.Response, error) {
			return gh.Actions.ListRepositoryWorkflowRuns(ctx, "acme", "api", &github.ListWorkflowRunsOptions{Created: "<" + at(0).Format("2006-01-02")})
		}, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runs, _, err := tc.list()
			if err != nil {
				t.Fatal(err)
			}
			if runs.GetTotalCount() != tc.total || len(runs.WorkflowRuns) != tc.total {
				t.Fatalf("total_count %d, %d runs; want %d", runs.GetTotalCount(), len(runs.WorkflowRuns), tc.total)
			}
			if tc.check != nil {
				tc.check(t, runs.WorkflowRuns)
			}
		})
	}
	run, _, err := gh.Actions.GetWorkflowRunByID(ctx, "acme", "api", f.repo.Runs[0].ID)
	if err != nil || run.GetRunNumber() != 1 || run.GetWorkflowID() != deployID || run.GetHTMLURL() == "" {
		t.Errorf("get run: %v %+v", err, run)
	}
}

// TestRunsSearchLimit checks the cap GitHub documents on filtered runs
// listings, and total_count, which says at most the cap unless
// RunsFullTotalCount.
func TestRunsSearchLimit(t *testing.T) {
	o := NewOrg("acme", at(1000))
	r := o.AddRepo("busy")
	r.AddCommit(CommitSpec{At: at(0)})
	for i := range 12 {
		r.AddRun(RunSpec{Workflow: "deploy.yml", CreatedAt: at(float64(i + 1))})
	}
	for _, tc := range []struct {
		name  string
		full  bool
		total int
	}{
		{"default: total_count capped", false, 5},
		{"RunsFullTotalCount", true, 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, gh := serve(t, o, Options{RunsSearchLimit: 5, RunsFullTotalCount: tc.full})
			ctx := context.Background()
			opts := &github.ListWorkflowRunsOptions{Status: "success", ListOptions: github.ListOptions{PerPage: 3}}
			seen := 0
			for {
				runs, resp, err := gh.Actions.ListRepositoryWorkflowRuns(ctx, "acme", "busy", opts)
				if err != nil {
					t.Fatal(err)
				}
				if runs.GetTotalCount() != tc.total {
					t.Fatalf("total_count %d, want %d", runs.GetTotalCount(), tc.total)
				}
				seen += len(runs.WorkflowRuns)
				if resp.NextPage == 0 {
					break
				}
				opts.Page = resp.NextPage
			}
			if seen != 5 {
				t.Errorf("a filtered listing reached %d runs, want the search limit 5", seen)
			}
			all, _, err := gh.Actions.ListRepositoryWorkflowRuns(ctx, "acme", "busy", &github.ListWorkflowRunsOptions{ListOptions: github.ListOptions{PerPage: 100}})
			if err != nil || len(all.WorkflowRuns) != 12 || all.GetTotalCount() != 12 {
				t.Errorf("unfiltered listing: %v, %d runs, total_count %d", err, len(all.WorkflowRuns), all.GetTotalCount())
			}
		})
	}
}

func TestReleasesTagsAndRefs(t *testing.T) {
	f := newFixture(t)
	_, gh := serve(t, f.org, Options{})
	ctx := context.Background()

	rels, _, err := gh.Repositories.ListReleases(ctx, "acme", "api", nil)
	if err != nil {
		t.Fatal(err)
	}
	var tags []string
	for _, rel := range rels {
		tags = append(tags, rel.GetTagName())
	}
	if !slices.Equal(tags, []string{"v1.1.0", "v1.1.0-rc.1", "v1.0.0"}) {
		t.Fatalf("releases %v, want newest first", tags)
	}
	if !rels[0].GetDraft() || rels[0].PublishedAt != nil || !rels[1].GetPrerelease() || rels[2].GetPublishedAt().Time != at(7) {
		t.Errorf("draft %v published %v, prerelease %v, v1.0.0 published %v", rels[0].GetDraft(), rels[0].PublishedAt, rels[1].GetPrerelease(), rels[2].GetPublishedAt())
	}
	// GitHub's created_at of a release is the tagged commit's date.
	if rels[2].GetCreatedAt().Time != at(6) || rels[2].GetTargetCommitish() != "main" {
		t.Errorf("v1.0.0 created %v target %s", rels[2].GetCreatedAt(), rels[2].GetTargetCommitish())
	}
	latest, _, err := gh.Repositories.GetLatestRelease(ctx, "acme", "api")
	if err != nil || latest.GetTagName() != "v1.0.0" {
		t.Errorf("latest release: %v %s", err, latest.GetTagName())
	}

	ts, _, err := gh.Repositories.ListTags(ctx, "acme", "api", nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tag := range ts {
		names = append(names, tag.GetName())
	}
	if !slices.Equal(names, []string{"v1.1.0-rc.1", "v1.0.0", "v0.9.0"}) || ts[2].GetCommit().GetSHA() != f.lone1.String() {
		t.Errorf("tags %v", names)
	}

	// An annotated tag's ref points at a tag object, which points at the
	// commit; a lightweight tag's ref points at the commit.
	ref, _, err := gh.Git.GetRef(ctx, "acme", "api", "tags/v1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if ref.GetObject().GetType() != "tag" || ref.GetObject().GetSHA() == f.squash.String() {
		t.Fatalf("annotated ref object %s %s", ref.GetObject().GetType(), ref.GetObject().GetSHA())
	}
	tag, _, err := gh.Git.GetTag(ctx, "acme", "api", ref.GetObject().GetSHA())
	if err != nil || tag.GetObject().GetSHA() != f.squash.String() || tag.GetTag() != "v1.0.0" {
		t.Errorf("tag object: %v %s", err, tag.GetObject().GetSHA())
	}
	light, _, err := gh.Git.GetRef(ctx, "acme", "api", "refs/tags/v0.9.0")
	if err != nil || light.GetObject().GetType() != "commit" || light.GetObject().GetSHA() != f.lone1.String() {
		t.Errorf("lightweight ref: %v %+v", err, light.GetObject())
	}
	if _, _, err := gh.Git.GetRef(ctx, "acme", "api", "tags/v1.1.0"); !isStatus(err, 404) {
		t.Errorf("a draft's tag must not exist yet: %v", err)
	}
}

func TestDeployments(t *testing.T) {
	f := newFixture(t)
	_, gh := serve(t, f.org, Options{})
	ctx := context.Background()

	all, _, err := gh.Repositories.ListDeployments(ctx, "acme", "api", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 || all[0].GetID() != f.deployFailOnly.ID || all[2].GetID() != f.deployProd.ID {
		t.Fatalf("%d deployments, want 3 newest first", len(all))
	}
	for _, tc := range []struct {
		name string
		opts github.DeploymentsListOptions
		want int
	}{
		{"production", github.DeploymentsListOptions{Environment: "production"}, 2},
		{"staging", github.DeploymentsListOptions{Environment: "staging"}, 1},
		{"by sha", github.DeploymentsListOptions{SHA: f.merge.String()}, 2},
		{"by ref", github.DeploymentsListOptions{Ref: "main"}, 3},
		{"nothing", github.DeploymentsListOptions{Environment: "qa"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ds, _, err := gh.Repositories.ListDeployments(ctx, "acme", "api", &tc.opts)
			if err != nil || len(ds) != tc.want {
				t.Errorf("%v, %d deployments, want %d", err, len(ds), tc.want)
			}
		})
	}
	sts, _, err := gh.Repositories.ListDeploymentStatuses(ctx, "acme", "api", f.deployProd.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(sts) != 2 || sts[0].GetState() != "success" || sts[0].GetCreatedAt().Time != at(6.3) || sts[1].GetState() != "in_progress" {
		t.Errorf("statuses of the production deployment: %+v", sts)
	}
	fail, _, err := gh.Repositories.ListDeploymentStatuses(ctx, "acme", "api", f.deployFailOnly.ID, nil)
	if err != nil || len(fail) != 1 || fail[0].GetState() != "failure" {
		t.Errorf("failure-only deployment: %v %+v", err, fail)
	}
	if _, _, err := gh.Repositories.ListDeploymentStatuses(ctx, "acme", "api", 12345, nil); !isStatus(err, 404) {
		t.Errorf("unknown deployment: %v", err)
	}
}

func TestRepositories(t *testing.T) {
	o := Generate(1, Size{Repos: 8, PRsPerRepo: 5, RunsPerRepo: 5})
	_, gh := serve(t, o, Options{})
	ctx := context.Background()

	byOrg, _, err := gh.Repositories.ListByOrg(ctx, "acme", &github.RepositoryListByOrgOptions{ListOptions: github.ListOptions{PerPage: 3}})
	if err != nil || len(byOrg) != 3 {
		t.Fatalf("ListByOrg: %v, %d", err, len(byOrg))
	}
	byUser, _, err := gh.Repositories.ListByUser(ctx, "ACME", &github.RepositoryListByUserOptions{Type: "all", ListOptions: github.ListOptions{PerPage: 100}})
	if err != nil || len(byUser) != 8 || byUser[0].GetName() != "api" || byUser[0].GetOwner().GetType() != "Organization" {
		t.Fatalf("ListByUser: %v, %d, first %s", err, len(byUser), byUser[0].GetName())
	}
	repo, _, err := gh.Repositories.Get(ctx, "acme", "Platform")
	if err != nil || repo.GetFullName() != "acme/platform" || repo.GetDefaultBranch() != "main" || repo.GetID() == 0 {
		t.Errorf("Get: %v %s", err, repo.GetFullName())
	}
	for _, path := range []string{"nope", "api/extra/path"} {
		if _, _, err := gh.Repositories.Get(ctx, "acme", path); !isStatus(err, 404) {
			t.Errorf("Get(%q): %v, want 404", path, err)
		}
	}
	if _, _, err := gh.Repositories.Get(ctx, "other", "api"); !isStatus(err, 404) {
		t.Errorf("another owner: %v, want 404", err)
	}
}

func TestEnterpriseBasePath(t *testing.T) {
	f := newFixture(t)
	s := NewServer(f.org, Options{Token: testToken, BaseURLPath: "/api/v3"})
	base := s.Start()
	t.Cleanup(s.Close)
	if !strings.HasSuffix(base, "/api/v3/") {
		t.Fatalf("base URL %s", base)
	}
	gh, err := github.NewClient(nil).WithAuthToken(testToken).WithEnterpriseURLs(strings.TrimSuffix(base, "api/v3/"), strings.TrimSuffix(base, "api/v3/"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	prs, resp, err := gh.PullRequests.List(ctx, "acme", "api", &github.PullRequestListOptions{State: "all", ListOptions: github.ListOptions{PerPage: 2}})
	if err != nil || len(prs) != 2 {
		t.Fatalf("list via /api/v3: %v, %d", err, len(prs))
	}
	if link := resp.Header.Get("Link"); !strings.Contains(link, "/api/v3/repos/acme/api/pulls?") {
		t.Errorf("Link header misses the prefix: %s", link)
	}
	if !strings.HasPrefix(prs[0].GetURL(), strings.TrimSuffix(base, "/")) {
		t.Errorf("url %s does not start with %s", prs[0].GetURL(), base)
	}
	// Outside the prefix nothing is served.
	req, _ := http.NewRequest("GET", strings.TrimSuffix(base, "api/v3/")+"repos/acme/api", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 404 {
		t.Errorf("outside the prefix: %d", res.StatusCode)
	}
}

// TestEveryEndpointIsValidJSON walks every route over a generated
// organisation and checks the bodies are JSON that go-github's types
// accept.
func TestEveryEndpointIsValidJSON(t *testing.T) {
	o := Generate(9, Size{})
	s, gh := serve(t, o, Options{})
	ctx := context.Background()
	r := o.Repo("platform")
	d := r.Deployments[0]
	var annotated string
	for i, tag := range r.Tags {
		if tag.Annotated {
			annotated = r.tagObjectSHA(int32(i)).String()
		}
	}
	paths := []string{
		"rate_limit", "orgs/acme/repos", "users/acme/repos", "repos/acme/platform",
		"repos/acme/platform/pulls?state=all", "repos/acme/platform/pulls/" + itoa(int64(r.PRs[0].Number)),
		"repos/acme/platform/pulls/" + itoa(int64(r.PRs[0].Number)) + "/commits", "repos/acme/platform/pulls/" + itoa(int64(r.PRs[0].Number)) + "/files",
		"repos/acme/platform/commits", "repos/acme/platform/commits/main", "repos/acme/platform/commits/" + r.Commits[3].SHA.String() + "/pulls",
		"repos/acme/platform/compare/main~5...main", "repos/acme/platform/branches", "repos/acme/platform/branches/release/1.x",
		"repos/acme/platform/actions/workflows", "repos/acme/platform/actions/workflows/deploy-a.yml",
		"repos/acme/platform/actions/workflows/deploy-a.yml/runs", "repos/acme/platform/actions/runs",
		"repos/acme/platform/actions/runs/" + itoa(r.Runs[0].ID), "repos/acme/platform/releases", "repos/acme/platform/releases/latest",
		"repos/acme/platform/releases/" + itoa(r.Releases[0].ID), "repos/acme/platform/tags",
		"repos/acme/platform/git/ref/heads/main", "repos/acme/platform/git/tags/" + annotated,
		"repos/acme/platform/deployments", "repos/acme/platform/deployments/" + itoa(d.ID), "repos/acme/platform/deployments/" + itoa(d.ID) + "/statuses",
	}
	for _, p := range paths {
		req, err := gh.NewRequest("GET", p, nil)
		if err != nil {
			t.Fatal(err)
		}
		var raw json.RawMessage
		if _, err := gh.Do(ctx, req, &raw); err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if !json.Valid(raw) {
			t.Errorf("%s: invalid JSON", p)
		}
	}
	st := s.Stats()
	if st.ByEndpoint[EndpointUnknown] != 0 || st.NotFound != 0 {
		t.Errorf("some paths were not routed: %+v", st)
	}
	if len(st.ByEndpoint) != len(paths) {
		t.Errorf("%d endpoints hit for %d paths: %v", len(st.ByEndpoint), len(paths), st.ByEndpoint)
	}
}

func TestRequestLog(t *testing.T) {
	f := newFixture(t)
	s, gh := serve(t, f.org, Options{})
	ctx := context.Background()
	if _, _, err := gh.PullRequests.List(ctx, "acme", "api", &github.PullRequestListOptions{State: "closed"}); err != nil {
		t.Fatal(err)
	}
	_, _, _ = gh.Repositories.Get(ctx, "acme", "nope")
	log := s.Requests()
	if len(log) != 2 {
		t.Fatalf("%d log entries", len(log))
	}
	want := Request{Seq: 1, Method: "GET", Path: "/repos/acme/api/pulls", Query: "state=closed", Endpoint: "GET /repos/{owner}/{repo}/pulls", Account: "user 1", Status: 200}
	got := log[0]
	got.Time = time.Time{}
	if got != want {
		t.Errorf("log[0] = %+v, want %+v", got, want)
	}
	if log[1].Status != 404 || log[1].Endpoint != "GET /repos/{owner}/{repo}" {
		t.Errorf("log[1] = %+v", log[1])
	}
	st := s.Stats()
	if st.Total != 2 || st.NotFound != 1 || st.Charged != 2 || st.ByEndpoint["GET /repos/{owner}/{repo}/pulls"] != 1 {
		t.Errorf("stats %+v", st)
	}
	s.ResetLog()
	if len(s.Requests()) != 0 || s.Stats().Total != 0 {
		t.Error("ResetLog left entries")
	}
}

func TestLogRingKeepsNewest(t *testing.T) {
	f := newFixture(t)
	s, gh := serve(t, f.org, Options{LogSize: 3})
	ctx := context.Background()
	for range 5 {
		if _, _, err := gh.Repositories.Get(ctx, "acme", "api"); err != nil {
			t.Fatal(err)
		}
	}
	log := s.Requests()
	if len(log) != 3 || log[0].Seq != 3 || log[2].Seq != 5 || s.Stats().Total != 5 {
		t.Errorf("log %+v, total %d", log, s.Stats().Total)
	}
}

// TestUpdateWhileServing changes the organisation between two syncs: the
// second sync sees the new pull request, and an ETag from before no longer
// matches.
func TestUpdateWhileServing(t *testing.T) {
	f := newFixture(t)
	s, gh := serve(t, f.org, Options{})
	ctx := context.Background()
	_, resp, err := gh.PullRequests.List(ctx, "acme", "api", &github.PullRequestListOptions{State: "all"})
	if err != nil {
		t.Fatal(err)
	}
	etag := resp.Header.Get("ETag")
	s.Update(func(o *Org) {
		o.Repo("api").AddPR(PRSpec{Title: "Late change", CreatedAt: at(20), Merge: MergeSquash, MergedAt: at(21)})
	})
	req, _ := gh.NewRequest("GET", "repos/acme/api/pulls?state=all", nil)
	req.Header.Set("If-None-Match", etag)
	var prs []*github.PullRequest
	if _, err := gh.Do(ctx, req, &prs); err != nil {
		t.Fatal(err)
	}
	if len(prs) != 5 || prs[0].GetNumber() != 5 || !prs[0].GetMergedAt().Time.Equal(at(21)) {
		t.Errorf("after Update: %d PRs, newest #%d", len(prs), prs[0].GetNumber())
	}
}

// TestConcurrentClients hammers the server from many goroutines while the
// organisation changes, for the race detector.
func TestConcurrentClients(t *testing.T) {
	o := Generate(2, Size{Repos: 6, PRsPerRepo: 30, RunsPerRepo: 30})
	s, gh := serve(t, o, Options{Budget: 100_000})
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			repo := o.Repos[g%len(o.Repos)].Name
			for i := range 10 {
				var err error
				switch i % 5 {
				case 0:
					_, _, err = gh.PullRequests.List(ctx, "acme", repo, &github.PullRequestListOptions{State: "all", Base: "main", ListOptions: github.ListOptions{Page: i%3 + 1}})
				case 1:
					_, _, err = gh.Actions.ListRepositoryWorkflowRuns(ctx, "acme", repo, &github.ListWorkflowRunsOptions{Status: "success", Branch: "main"})
				case 2:
					_, _, err = gh.Repositories.CompareCommits(ctx, "acme", repo, "main~3", "main", nil)
				case 3:
					_, _, err = gh.Repositories.ListCommits(ctx, "acme", repo, &github.CommitsListOptions{SHA: "release/1.x"})
				case 4:
					_, _, err = gh.Repositories.ListDeployments(ctx, "acme", repo, &github.DeploymentsListOptions{Environment: "production"})
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 5 {
			s.Update(func(o *Org) {
				r := o.Repos[0]
				r.AddCommit(CommitSpec{At: o.Now.Add(time.Duration(i+1) * time.Minute)})
			})
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := s.Stats().Total; got != 16*10 {
		t.Errorf("%d requests logged, want %d", got, 16*10)
	}
}

// TestMinimumRequests runs the simplest full backfill with go-github and
// checks it spends exactly what MinimumRequests says per endpoint.
func TestMinimumRequests(t *testing.T) {
	// Two repositories are enough: more than 100 pull requests and 200
	// runs each exercise the page arithmetic.
	o := Generate(4, Size{Repos: 2, PRsPerRepo: 105, RunsPerRepo: 205, DeploymentsPerRepo: 7})
	s, gh := serve(t, o, Options{Budget: 100_000})
	ctx := context.Background()
	pagesOf := func(list func(page int) (*github.Response, error)) {
		t.Helper()
		for page := 1; page != 0; {
			resp, err := list(page)
			if err != nil {
				t.Fatal(err)
			}
			page = resp.NextPage
		}
	}
	pagesOf(func(p int) (*github.Response, error) {
		_, resp, err := gh.Repositories.ListByOrg(ctx, "acme", &github.RepositoryListByOrgOptions{ListOptions: github.ListOptions{PerPage: 100, Page: p}})
		return resp, err
	})
	for _, r := range o.Repos {
		name := r.Name
		var merged []int
		pagesOf(func(p int) (*github.Response, error) {
			prs, resp, err := gh.PullRequests.List(ctx, "acme", name, &github.PullRequestListOptions{State: "all", ListOptions: github.ListOptions{PerPage: 100, Page: p}})
			for _, pr := range prs {
				if pr.MergedAt != nil {
					merged = append(merged, pr.GetNumber())
				}
			}
			return resp, err
		})
		for _, n := range merged {
			pagesOf(func(p int) (*github.Response, error) {
				_, resp, err := gh.PullRequests.ListCommits(ctx, "acme", name, n, &github.ListOptions{PerPage: 100, Page: p})
				return resp, err
			})
			pagesOf(func(p int) (*github.Response, error) {
				_, resp, err := gh.PullRequests.ListFiles(ctx, "acme", name, n, &github.ListOptions{PerPage: 100, Page: p})
				return resp, err
			})
			pagesOf(func(p int) (*github.Response, error) {
				_, resp, err := gh.PullRequests.ListReviews(ctx, "acme", name, n, &github.ListOptions{PerPage: 100, Page: p})
				return resp, err
			})
		}
		pagesOf(func(p int) (*github.Response, error) {
			_, resp, err := gh.Actions.ListWorkflows(ctx, "acme", name, &github.ListOptions{PerPage: 100, Page: p})
			return resp, err
		})
		pagesOf(func(p int) (*github.Response, error) {
			_, resp, err := gh.Actions.ListRepositoryWorkflowRuns(ctx, "acme", name, &github.ListWorkflowRunsOptions{ListOptions: github.ListOptions{PerPage: 100, Page: p}})
			return resp, err
		})
		pagesOf(func(p int) (*github.Response, error) {
			_, resp, err := gh.Repositories.ListReleases(ctx, "acme", name, &github.ListOptions{PerPage: 100, Page: p})
			return resp, err
		})
		pagesOf(func(p int) (*github.Response, error) {
			_, resp, err := gh.Repositories.ListTags(ctx, "acme", name, &github.ListOptions{PerPage: 100, Page: p})
			return resp, err
		})
		var ids []int64
		pagesOf(func(p int) (*github.Response, error) {
			ds, resp, err := gh.Repositories.ListDeployments(ctx, "acme", name, &github.DeploymentsListOptions{ListOptions: github.ListOptions{PerPage: 100, Page: p}})
			for _, d := range ds {
				ids = append(ids, d.GetID())
			}
			return resp, err
		})
		for _, id := range ids {
			pagesOf(func(p int) (*github.Response, error) {
				_, resp, err := gh.Repositories.ListDeploymentStatuses(ctx, "acme", name, id, &github.ListOptions{PerPage: 100, Page: p})
				return resp, err
			})
		}
	}
	plan := o.MinimumRequests()
	st := s.Stats()
	for _, c := range plan {
		if got := st.ByEndpoint[c.Endpoint]; got != int64(c.Requests) {
			t.Errorf("%s: %d requests, plan says %d (%d items)", c.Endpoint, got, c.Requests, c.Items)
		}
	}
	if st.Total != int64(plan.Total()) {
		t.Errorf("total %d, plan %d", st.Total, plan.Total())
	}
}

// TestLinkHeaderFormat checks the raw header against GitHub's format.
func TestLinkHeaderFormat(t *testing.T) {
	o := Generate(5, Size{Repos: 6, PRsPerRepo: 95})
	s := NewServer(o, Options{})
	base := s.Start()
	t.Cleanup(s.Close)
	res, err := http.Get(base + "repos/acme/api/pulls?state=all&per_page=30&page=2")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	u := strings.TrimSuffix(base, "/") + "/repos/acme/api/pulls?"
	want := `<` + u + `page=1&per_page=30&state=all>; rel="prev", <` + u + `page=3&per_page=30&state=all>; rel="next", <` +
		u + `page=4&per_page=30&state=all>; rel="last", <` + u + `page=1&per_page=30&state=all>; rel="first"`
	if got := res.Header.Get("Link"); got != want {
		t.Errorf("Link:\n got %s\nwant %s", got, want)
	}
}

// prNumbers returns the numbers of prs, in order.
func prNumbers(prs []*github.PullRequest) []int {
	var out []int
	for _, p := range prs {
		out = append(out, p.GetNumber())
	}
	return out
}

// TestRebaseMerge checks a rebase merge as GitHub shows it ("About merge
// methods on GitHub": each commit written anew onto the base;
// "List pull requests associated with a commit": the new commits list the
// pull request): merge_commit_sha is the last new commit, the new commits
// keep author, author date and message but not the SHAs of the pull
// request's commits, and each is associated with the pull request.
func TestRebaseMerge(t *testing.T) {
	o := NewOrg("acme", at(24*30))
	r := o.AddRepo("api")
	base := r.AddCommit(CommitSpec{Message: "Initial commit", At: at(0)})
	pr := r.AddPR(PRSpec{Title: "Add search", Commits: 3, CreatedAt: at(5), Merge: MergeRebase, MergedAt: at(6)})
	_, gh := serve(t, o, Options{})
	ctx := context.Background()

	p, _, err := gh.PullRequests.Get(ctx, "acme", "api", pr.Number)
	if err != nil {
		t.Fatal(err)
	}
	main, _ := r.Branch("main")
	if p.GetMergeCommitSHA() != r.SHAOf(main).String() || p.GetBase().GetSHA() != base.String() || !p.GetMerged() {
		t.Errorf("merge_commit_sha %s (main %s), base.sha %s (want %s), merged %v", p.GetMergeCommitSHA(), r.SHAOf(main), p.GetBase().GetSHA(), base, p.GetMerged())
	}
	own, _, err := gh.PullRequests.ListCommits(ctx, "acme", "api", pr.Number, nil)
	if err != nil {
		t.Fatal(err)
	}
	cmp, _, err := gh.Repositories.CompareCommits(ctx, "acme", "api", base.String(), "main", &github.ListOptions{PerPage: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(own) != 3 || len(cmp.Commits) != 3 {
		t.Fatalf("%d commits of the pull request, %d on main: want 3 and 3", len(own), len(cmp.Commits))
	}
	for k, nc := range cmp.Commits {
		oc := own[k]
		if nc.GetSHA() == oc.GetSHA() {
			t.Errorf("commit %d: the rebased commit kept the SHA %s", k, nc.GetSHA())
		}
		na, oa := nc.GetCommit().GetAuthor(), oc.GetCommit().GetAuthor()
		if na.GetDate().Time != oa.GetDate().Time || na.GetEmail() != oa.GetEmail() || nc.GetCommit().GetMessage() != oc.GetCommit().GetMessage() {
			t.Errorf("commit %d: author %s %v %q, want %s %v %q", k, na.GetEmail(), na.GetDate(), nc.GetCommit().GetMessage(), oa.GetEmail(), oa.GetDate(), oc.GetCommit().GetMessage())
		}
		if c := nc.GetCommit().GetCommitter(); c.GetName() != "GitHub" || c.GetDate().Time != at(6) {
			t.Errorf("commit %d: committer %s at %v, want GitHub at the merge", k, c.GetName(), c.GetDate())
		}
		prs, _, err := gh.PullRequests.ListPullRequestsWithCommit(ctx, "acme", "api", nc.GetSHA(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(prs) != 1 || prs[0].GetNumber() != pr.Number || prs[0].MergedAt == nil {
			t.Errorf("commit %d: associated pull requests %v, want #%d", k, prNumbers(prs), pr.Number)
		}
	}
}

// TestReleasesListLimit checks GitHub's refusal to page past the first
// 1,000 releases (422 "Only the first 1000 results are available.").
func TestReleasesListLimit(t *testing.T) {
	o := NewOrg("acme", at(1000))
	r := o.AddRepo("api")
	for i := range 12 {
		r.AddRelease(ReleaseSpec{Tag: "v" + strconv.Itoa(i), SHA: r.AddCommit(CommitSpec{At: at(float64(i))})})
	}
	for _, tc := range []struct {
		name    string
		limit   int
		page    int
		refused bool
	}{
		{"the last page within the limit", 6, 2, false},
		{"a page past the limit", 6, 3, true},
		{"no limit", -1, 4, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, gh := serve(t, o, Options{ReleasesListLimit: tc.limit})
			rels, resp, err := gh.Repositories.ListReleases(context.Background(), "acme", "api", &github.ListOptions{PerPage: 3, Page: tc.page})
			if !tc.refused {
				if err != nil || len(rels) != 3 {
					t.Fatalf("page %d: %v, %d releases", tc.page, err, len(rels))
				}
				return
			}
			var er *github.ErrorResponse
			if !errors.As(err, &er) || resp.StatusCode != http.StatusUnprocessableEntity || er.Message != "Only the first 6 results are available." ||
				!strings.HasSuffix(er.DocumentationURL, "/releases/releases#list-releases") {
				t.Errorf("page %d: %v (HTTP %d), want 422 Only the first 6 results are available.", tc.page, err, resp.StatusCode)
			}
		})
	}
}
