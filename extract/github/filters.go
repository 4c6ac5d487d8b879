package github

import (
	"fmt"
	"strings"

	"doraflow"
)

// Filter keys of GitHub blocks, as the config file spells them.
const (
	filterBaseBranch    = "base_branch"
	filterLabels        = "labels"
	filterExcludeLabels = "exclude_labels"
	filterPaths         = "paths"
	filterWorkflow      = "workflow"
	filterBranch        = "branch"
	filterEvent         = "event"
	filterConclusion    = "conclusion"
	filterTagPattern    = "tag_pattern"
	filterPrerelease    = "prerelease"
	filterEnvironment   = "environment"
)

// conclusions are the conclusions GitHub gives a finished workflow run.
var conclusions = []string{"success", "failure", "neutral", "cancelled", "skipped", "timed_out", "action_required", "stale", "startup_failure"}

// Methods declares the methods the GitHub extractor reads and the filters
// of each, in the order docs/configuration.md presents them.
func Methods() []doraflow.MethodSpec {
	deployments := []doraflow.Kind{doraflow.KindDeployments}
	return []doraflow.MethodSpec{
		{Method: doraflow.MethodMergedPR, Source: doraflow.SourceGitHub, Kinds: deployments, Filters: []doraflow.FilterSpec{
			{Key: filterBaseBranch},
			{Key: filterLabels, Type: doraflow.FilterList},
			{Key: filterExcludeLabels, Type: doraflow.FilterList},
			{Key: filterPaths, Type: doraflow.FilterList, Check: pathGlobProblem},
		}},
		{Method: doraflow.MethodWorkflowRun, Source: doraflow.SourceGitHub, Kinds: deployments, Filters: []doraflow.FilterSpec{
			{Key: filterWorkflow},
			{Key: filterBranch},
			{Key: filterEvent, Required: "name a GitHub event like push, or remove the key to accept any"},
			{Key: filterConclusion, Values: conclusions, Default: "success"},
		}},
		{Method: doraflow.MethodRelease, Source: doraflow.SourceGitHub, Kinds: deployments, Filters: []doraflow.FilterSpec{
			{Key: filterTagPattern, Check: doraflow.GlobCheck("tag pattern")},
			{Key: filterPrerelease, Type: doraflow.FilterFlag},
		}},
		{Method: doraflow.MethodDeployment, Source: doraflow.SourceGitHub, Kinds: deployments, Filters: []doraflow.FilterSpec{
			{Key: filterEnvironment},
		}},
	}
}

// filters are a GitHub block's filters, typed.
type filters struct {
	// merged_pr
	BaseBranch    string
	Labels        []string
	ExcludeLabels []string
	Paths         []string
	// workflow_run; Conclusion "" accepts any
	Workflow   string
	Branch     string
	Event      string
	Conclusion string
	// release
	TagPattern string
	Prerelease bool
	// deployment
	Environment string
}

// filtersOf returns the filters of b.
func filtersOf(b doraflow.Block) filters {
	f := b.Filters
	return filters{
		BaseBranch: f.Text(filterBaseBranch), Labels: f.List(filterLabels), ExcludeLabels: f.List(filterExcludeLabels), Paths: f.List(filterPaths),
		Workflow: f.Text(filterWorkflow), Branch: f.Text(filterBranch), Event: f.Text(filterEvent), Conclusion: f.Text(filterConclusion),
		TagPattern: f.Text(filterTagPattern), Prerelease: f.Flag(filterPrerelease),
		Environment: f.Text(filterEnvironment),
	}
}

// pathGlobProblem checks a glob on repository file paths. A "**" segment,
// which matches any number of directories (services/web/**), is two stars
// to path.Match, so path.Match checks the syntax of the whole pattern.
func pathGlobProblem(v string) string {
	if strings.HasPrefix(v, "/") {
		return fmt.Sprintf("invalid path pattern %q: paths are relative to the repository root; drop the leading /", v)
	}
	return doraflow.GlobCheck("path pattern")(v)
}
