package transform_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"doraflow"
	"doraflow/transform"
)

var update = flag.Bool("update", false, "rewrite the want.txt files of testdata/events")

// goldenInput is testdata/events/<case>/input.json: rules, services and
// facts as the store holds them (the JSON of doraflow.FactSet), and
// optionally the facts after a later sync.
type goldenInput struct {
	About []string `json:"about"` // what the case shows, for its reader
	Rules struct {
		Timezone          string   `json:"timezone"`
		AttributionWindow string   `json:"attribution_window"`
		ReworkLabels      []string `json:"rework_labels"`
	} `json:"rules"`
	Services []string          `json:"services"`
	Facts    doraflow.FactSet  `json:"facts"`
	Next     *doraflow.FactSet `json:"next"`
}

// TestEventsGolden computes the events of scenarios too large for a table
// (every rule at once, over a week) and, when the case has next facts, the
// updates a later sync writes; it compares them with want.txt. Run
// `go test ./transform -run Golden -update` after a deliberate change of
// the rules, and review the diff line by line.
func TestEventsGolden(t *testing.T) {
	t.Parallel()
	inputs, err := filepath.Glob("testdata/events/*/input.json")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, path := range inputs {
		dir := filepath.Dir(path)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			in, rules := readGolden(t, path)
			var out strings.Builder
			events := transform.Events(in.Services, in.Facts, rules)
			out.WriteString("# events\n")
			for _, l := range eventLines(events) {
				out.WriteString(l + "\n")
			}
			if in.Next != nil {
				old, active := stored(events)
				out.WriteString("# updates after the next sync\n")
				for _, l := range updateLines(t, transform.Diff(old, active, transform.Events(in.Services, *in.Next, rules))) {
					out.WriteString(l + "\n")
				}
			}
			got := out.String()
			wantPath := filepath.Join(dir, "want.txt")
			if *update {
				if err := os.WriteFile(wantPath, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(wantPath)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				checkLines(t, wantPath, strings.Split(got, "\n"), strings.Split(string(want), "\n"))
			}
		})
	}
}

// readGolden decodes an input.json, refusing unknown fields so that a
// misspelt one cannot go unnoticed.
func readGolden(t *testing.T, path string) (goldenInput, transform.Rules) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var in goldenInput
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	rules := transform.Rules{Location: zone(t, in.Rules.Timezone), ReworkLabels: in.Rules.ReworkLabels}
	if rules.AttributionWindow, err = time.ParseDuration(in.Rules.AttributionWindow); err != nil {
		t.Fatalf("%s: attribution_window: %v", path, err)
	}
	return in, rules
}
