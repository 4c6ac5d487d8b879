package sources

import (
	"reflect"
	"testing"

	"doraflow"
)

// TestRegistry pins the methods of each list, in the order the config's
// messages give them, and that no method is declared twice for a list.
func TestRegistry(t *testing.T) {
	r := Registry()
	if d := r.Duplicates(); len(d) > 0 {
		t.Errorf("methods declared twice: %v", d)
	}
	for _, tc := range []struct {
		kind doraflow.Kind
		want []doraflow.Method
	}{
		{doraflow.KindDeployments, []doraflow.Method{"merged_pr", "workflow_run", "release", "deployment", "custom"}},
		{doraflow.KindIncidents, []doraflow.Method{"pagerduty", "custom"}},
	} {
		var got []doraflow.Method
		for _, s := range r.Methods(tc.kind) {
			got = append(got, s.Method)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s methods = %v, want %v", tc.kind, got, tc.want)
		}
	}
	for m, want := range map[doraflow.Method]doraflow.Source{
		"merged_pr": "github", "workflow_run": "github", "release": "github", "deployment": "github",
		"pagerduty": "pagerduty", "custom": "custom", "nosuch": "",
	} {
		if got := r.SourceOf(m); got != want {
			t.Errorf("SourceOf(%s) = %q, want %q", m, got, want)
		}
	}
}

// TestFilterKeys pins each method's filter keys, in the order the docs
// and the config's messages give them.
func TestFilterKeys(t *testing.T) {
	r := Registry()
	for _, tc := range []struct {
		kind doraflow.Kind
		m    doraflow.Method
		keys []string
	}{
		{doraflow.KindDeployments, doraflow.MethodMergedPR, []string{"base_branch", "labels", "exclude_labels", "paths"}},
		{doraflow.KindDeployments, doraflow.MethodWorkflowRun, []string{"workflow", "branch", "event", "conclusion"}},
		{doraflow.KindDeployments, doraflow.MethodRelease, []string{"tag_pattern", "prerelease"}},
		{doraflow.KindDeployments, doraflow.MethodDeployment, []string{"environment"}},
		{doraflow.KindDeployments, doraflow.MethodCustom, []string{}},
		{doraflow.KindIncidents, doraflow.MethodCustom, []string{}},
		{doraflow.KindIncidents, doraflow.MethodPagerDuty, []string{"services", "urgency", "priorities", "teams"}},
	} {
		spec, ok := r.Lookup(tc.kind, tc.m)
		if !ok {
			t.Errorf("%s.%s: not registered", tc.kind, tc.m)
			continue
		}
		if got := spec.FilterKeys(); !reflect.DeepEqual(got, tc.keys) {
			t.Errorf("%s.%s filter keys = %v, want %v", tc.kind, tc.m, got, tc.keys)
		}
	}
	if _, ok := r.Lookup(doraflow.KindIncidents, doraflow.MethodMergedPR); ok {
		t.Error("merged_pr is registered for incident blocks")
	}
}
