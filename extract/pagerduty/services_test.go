package pagerduty_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"

	"doraflow"
	"doraflow/extract/pagerduty"
	"doraflow/extract/pagerduty/pagerdutyfake"
	"doraflow/internal/logtest"
)

// warnings returns the warning lines of a JSON zerolog output.
func warnings(t *testing.T, log string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if m["level"] == "warn" {
			out = append(out, m)
		}
	}
	return out
}

func TestUnknownServices(t *testing.T) {
	tests := []struct {
		name        string
		services    []string
		wantIDs     []string
		wantUnknown []string
		wantLists   bool // whether GET /incidents is asked at all
	}{
		{"one unknown among known ones", []string{"PAPI001", "PNOPE01", "PNOPE01"},
			[]string{"QAPIP1HIGH0001", "QAPINONELOW002", "QMIDNIGHT00006"}, []string{"PNOPE01"}, true},
		{"all unknown: the block matches nothing", []string{"PNOPE01", "PGONE02"},
			nil, []string{"PNOPE01", "PGONE02"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startFake(t, handMade(t), pagerdutyfake.Options{})
			var log logtest.Buffer
			src := newSource(t, srv.URL(), newClock(), func(o *pagerduty.Options) { o.Log = log.Logger() })
			b := block(doraflow.Filters{"services": tt.services})
			for i := range 2 { // the second read must neither ask nor warn again
				got, st := read(t, src, b, decSince, decUntil)
				if !slices.Equal(idsOf(got), tt.wantIDs) {
					t.Errorf("read %d: got %v, want %v", i, idsOf(got), tt.wantIDs)
				}
				if !slices.Equal(st.UnknownServices, tt.wantUnknown) {
					t.Errorf("read %d: UnknownServices %v, want %v", i, st.UnknownServices, tt.wantUnknown)
				}
			}
			warns := warnings(t, log.String())
			if len(warns) != len(tt.wantUnknown) {
				t.Fatalf("%d warnings, want one per unknown id:\n%s", len(warns), log.String())
			}
			for i, w := range warns {
				if w["block"] != "pd" || w["service_id"] != tt.wantUnknown[i] {
					t.Errorf("warning %v, want block=pd service_id=%s", w, tt.wantUnknown[i])
				}
			}
			for _, id := range tt.services {
				if n := countEndpoint(srv, pagerdutyfake.EndpointGetService, "/services/"+id); n != 1 {
					t.Errorf("GET /services/%s asked %d times, want once", id, n)
				}
			}
			lists := listRequests(srv)
			if (len(lists) > 0) != tt.wantLists {
				t.Errorf("%d GET /incidents requests", len(lists))
			}
			for _, q := range lists {
				if slices.ContainsFunc(q["service_ids[]"], func(id string) bool { return slices.Contains(tt.wantUnknown, id) }) {
					t.Errorf("asked for unknown services: %v", q["service_ids[]"])
				}
			}
		})
	}
}

// TestConcurrentReads shares one Source between goroutines (run with
// -race): each reads everything, and each service id is checked once.
func TestConcurrentReads(t *testing.T) {
	srv := startFake(t, handMade(t), pagerdutyfake.Options{})
	var log logtest.Buffer
	src := newSource(t, srv.URL(), newClock(), func(o *pagerduty.Options) { o.Log = log.Logger() })
	blocks := []doraflow.Block{
		block(doraflow.Filters{"services": []string{"PAPI001", "PNOPE01"}}),
		block(doraflow.Filters{"services": []string{"PWEB001", "PNOPE01"}, "urgency": "high"}),
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			var c collector
			if _, err := src.Read(context.Background(), blocks[i%2], decSince, decUntil, c.sink); err != nil {
				t.Error(err)
			}
			if _, err := src.Refresh(context.Background(), blocks[i%2], []string{"QAPINONELOW002", "QWEBP2HIGH0003"}, c.sink); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, id := range []string{"PAPI001", "PWEB001", "PNOPE01"} {
		if n := countEndpoint(srv, pagerdutyfake.EndpointGetService, "/services/"+id); n != 1 {
			t.Errorf("GET /services/%s asked %d times, want once", id, n)
		}
	}
	if n := len(warnings(t, log.String())); n != 1 {
		t.Errorf("%d warnings about PNOPE01 for block pd, want 1", n)
	}
}
