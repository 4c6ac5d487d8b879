package pipeline_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"doraflow/pipeline"
	"doraflow/transform"
)

// TestItemJSON: explain's JSON prints every duration as metrics does
// (docs/metrics.md, "Numbers in JSON and CSV": 3600.0), keeps its field
// order, leaves empty fields out and prints a change's missing stage as
// null, while other kinds carry no stage keys.
func TestItemJSON(t *testing.T) {
	at := time.Date(2024, 1, 2, 10, 0, 0, 0, time.UTC)
	later := at.Add(time.Hour)
	n := func(v int64) *int64 { return &v }
	tests := []struct {
		name string
		item pipeline.Item
		want string
	}{
		{"a change with two stages", pipeline.Item{Kind: "change", ID: "acme/api#7", Service: "api", Team: "platform", Environment: "production",
			Repository: "acme/api", At: later, Title: "Fix", URL: "https://github.com/acme/api/pull/7", Author: "ann", SHA: "abc",
			DeploymentID: "d1", StartedAt: &at, LeadTime: n(3600), ChangeKind: "pull_request",
			Stages: &transform.Stages{Coding: n(600), Deploy: n(3000)}, Commits: []string{"abc", "def"}},
			`{"kind":"change","id":"acme/api#7","service":"api","team":"platform","environment":"production","repository":"acme/api",` +
				`"at":"2024-01-02T11:00:00Z","title":"Fix","url":"https://github.com/acme/api/pull/7","author":"ann","sha":"abc",` +
				`"deployment_id":"d1","started_at":"2024-01-02T10:00:00Z","lead_time_seconds":3600.0,"change_kind":"pull_request",` +
				`"coding_seconds":600.0,"pickup_seconds":null,"review_seconds":null,"deploy_seconds":3000.0,"commits":["abc","def"]}`},
		{"a change of no time", pipeline.Item{Kind: "change", ID: "c", At: at, StartedAt: &at, LeadTime: n(0), ChangeKind: "commit",
			Stages: &transform.Stages{Deploy: n(0)}},
			`{"kind":"change","id":"c","service":"","team":"","environment":"","at":"2024-01-02T10:00:00Z","started_at":"2024-01-02T10:00:00Z",` +
				`"lead_time_seconds":0.0,"change_kind":"commit","coding_seconds":null,"pickup_seconds":null,"review_seconds":null,"deploy_seconds":0.0}`},
		{"a restored incident", pipeline.Item{Kind: "incident", ID: "P1", Service: "api", At: at, DeploymentID: "d1", Reason: "window",
			ResolvedAt: &later, Created: true, Restored: true, TimeToRestore: n(3600)},
			`{"kind":"incident","id":"P1","service":"api","team":"","environment":"","at":"2024-01-02T10:00:00Z","deployment_id":"d1",` +
				`"reason":"window","resolved_at":"2024-01-02T11:00:00Z","created_in_window":true,"restored_in_window":true,"time_to_restore_seconds":3600.0}`},
		{"an open incident", pipeline.Item{Kind: "incident", ID: "P2", At: at, Created: true},
			`{"kind":"incident","id":"P2","service":"","team":"","environment":"","at":"2024-01-02T10:00:00Z","created_in_window":true}`},
		{"a failed deployment", pipeline.Item{Kind: "deployment", ID: "d1", At: at, Block: "deploys", Method: "workflow_run",
			Because: []string{"P1 (window)"}},
			`{"kind":"deployment","id":"d1","service":"","team":"","environment":"","at":"2024-01-02T10:00:00Z","block":"deploys",` +
				`"method":"workflow_run","because":["P1 (window)"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.item)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("JSON\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// TestItemJSONHasEveryField: an Item with every field set prints one key
// per field (four for the stages). A field added to Item fails here until
// MarshalJSON prints it.
func TestItemJSONHasEveryField(t *testing.T) {
	const fields, keys = 25, 28
	if got := reflect.TypeOf(pipeline.Item{}).NumField(); got != fields {
		t.Fatalf("Item has %d fields, this test knows %d: print the new one in Item.MarshalJSON, then count it here", got, fields)
	}
	at := time.Date(2024, 1, 2, 10, 0, 0, 0, time.UTC)
	n := func(v int64) *int64 { return &v }
	full := pipeline.Item{Kind: "k", ID: "i", Service: "s", Team: "t", Environment: "e", Repository: "r", At: at, Title: "ti", URL: "u",
		Author: "a", Block: "b", Method: "m", SHA: "sha", DeploymentID: "d", Reason: "why", StartedAt: &at, LeadTime: n(1),
		ChangeKind: "ck", Stages: &transform.Stages{Coding: n(1), Pickup: n(1), Review: n(1), Deploy: n(1)}, Commits: []string{"c"},
		ResolvedAt: &at, Created: true, Restored: true, TimeToRestore: n(1), Because: []string{"b"}}
	b, err := json.Marshal(full)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc) != keys {
		t.Errorf("an item with every field set prints %d keys, want %d: %s", len(doc), keys, b)
	}
}
