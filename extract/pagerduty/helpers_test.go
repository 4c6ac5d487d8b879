package pagerduty_test

import (
	"context"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"doraflow"
	"doraflow/extract/pagerduty"
	"doraflow/extract/pagerduty/pagerdutyfake"
)

// testToken is the token the fake accepts; tests assert it never shows up
// in an error.
const testToken = "pd-test-token-7Qx2"

// The hand-made incidents lie in December 2024, from base on.
var (
	base     = time.Date(2024, 12, 1, 10, 0, 0, 0, time.UTC)
	decSince = time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC)
	decUntil = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
)

// clock is a fake clock for the fake server's rate-limit windows; the
// Source's Sleep advances it, so retries take no real time.
type clock struct {
	mu    sync.Mutex
	t     time.Time
	waits []time.Duration
}

func newClock() *clock { return &clock{t: decUntil} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Sleep is Options.Sleep: it records the wait and moves the clock on.
func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits = append(c.waits, d)
	c.t = c.t.Add(d)
	return nil
}

func (c *clock) Waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.waits)
}

// handMade is a small account: two teams, three services (web in both
// teams, orphan in none), priorities P1 and P2, two users and six incidents
// in December 2024 covering both urgencies, all statuses, priority and none.
func handMade(t *testing.T) *pagerdutyfake.Data {
	t.Helper()
	d := pagerdutyfake.New()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(d.AddTeam(pagerdutyfake.Team{ID: "PTPLA01", Name: "platform"}))
	must(d.AddTeam(pagerdutyfake.Team{ID: "PTWEB01", Name: "web"}))
	must(d.AddService(pagerdutyfake.Service{ID: "PAPI001", Name: "api", TeamIDs: []string{"PTPLA01"}}))
	must(d.AddService(pagerdutyfake.Service{ID: "PWEB001", Name: "web", TeamIDs: []string{"PTWEB01", "PTPLA01"}}))
	must(d.AddService(pagerdutyfake.Service{ID: "PORPH01", Name: "orphan"}))
	must(d.AddPriority(pagerdutyfake.Priority{ID: "PPRIO01", Name: "P1", Order: 1}))
	must(d.AddPriority(pagerdutyfake.Priority{ID: "PPRIO02", Name: "P2", Order: 2}))
	must(d.AddUser(pagerdutyfake.User{ID: "PU00001", Name: "Ada Lovelace", Email: "ada@example.com"}))
	must(d.AddUser(pagerdutyfake.User{ID: "PU00002", Name: "Grace Hopper", Email: "grace@example.com"}))
	for _, in := range []pagerdutyfake.Incident{
		{ID: "QAPIP1HIGH0001", Title: "API down", ServiceID: "PAPI001", PriorityID: "PPRIO01",
			CreatedAt: base, ResolvedAt: base.Add(90 * time.Minute), AssigneeIDs: []string{"PU00001"}},
		{ID: "QAPINONELOW002", Title: "API slow", ServiceID: "PAPI001", Urgency: "low",
			CreatedAt: base.Add(24 * time.Hour), AssigneeIDs: []string{"PU00002", "PU00001"}},
		{ID: "QWEBP2HIGH0003", Title: "Web 5xx", ServiceID: "PWEB001", PriorityID: "PPRIO02", Status: "acknowledged",
			CreatedAt: base.Add(48 * time.Hour), AcknowledgedAt: base.Add(49 * time.Hour), AssigneeIDs: []string{"PU00001"}},
		{ID: "QWEBNONEHI0004", Title: "Web cert expiring", ServiceID: "PWEB001",
			CreatedAt: base.Add(72 * time.Hour), ResolvedAt: base.Add(80 * time.Hour)},
		{ID: "QORPHP1LOW0005", Title: "Batch job failed", ServiceID: "PORPH01", PriorityID: "PPRIO01", Urgency: "low",
			CreatedAt: base.Add(96 * time.Hour), ResolvedAt: base.Add(100 * time.Hour)},
		// Created at midnight and resolved the same second: a window edge
		// and a zero-length incident.
		{ID: "QMIDNIGHT00006", Title: "At midnight", ServiceID: "PAPI001", PriorityID: "PPRIO02",
			CreatedAt: time.Date(2024, 12, 10, 0, 0, 0, 0, time.UTC), ResolvedAt: time.Date(2024, 12, 10, 0, 0, 0, 0, time.UTC)},
		// Outside December: never part of a December read.
		{ID: "QNOVEMBER00007", Title: "Last month", ServiceID: "PAPI001",
			CreatedAt: base.AddDate(0, -1, 0), ResolvedAt: base.AddDate(0, -1, 0).Add(time.Hour)},
	} {
		if _, err := d.AddIncident(in); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// startFake serves d on a local server with the test token and a fixed
// clock unless opts says otherwise.
func startFake(t *testing.T, d *pagerdutyfake.Data, opts pagerdutyfake.Options) *pagerdutyfake.Server {
	t.Helper()
	if opts.Token == "" {
		opts.Token = testToken
	}
	if opts.Now == nil {
		opts.Now = func() time.Time { return decUntil }
	}
	srv := pagerdutyfake.NewServer(d, opts)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// newSource returns a Source on baseURL with the default retrying client,
// whose Sleep is the clock's, so no test sleeps for real. edit adjusts the
// options.
func newSource(t *testing.T, baseURL string, clk *clock, edit func(*pagerduty.Options)) *pagerduty.Source {
	t.Helper()
	opts := pagerduty.Options{BaseURL: baseURL, Token: testToken, Sleep: clk.Sleep, Now: clk.Now}
	if edit != nil {
		edit(&opts)
	}
	src, err := pagerduty.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// block is an incident block of method pagerduty with the filters.
func block(f doraflow.Filters) doraflow.Block {
	return doraflow.Block{Name: "pd", Method: doraflow.MethodPagerDuty, Filters: f}
}

// collector is a sink that keeps every batch.
type collector struct {
	mu      sync.Mutex
	batches [][]pagerduty.Incident
}

func (c *collector) sink(_ context.Context, batch []pagerduty.Incident) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.batches = append(c.batches, batch)
	return nil
}

func (c *collector) all() []pagerduty.Incident {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []pagerduty.Incident
	for _, b := range c.batches {
		out = append(out, b...)
	}
	return out
}

// read runs Read and fails the test on an error.
func read(t *testing.T, src *pagerduty.Source, b doraflow.Block, since, until time.Time) ([]pagerduty.Incident, pagerduty.Stats) {
	t.Helper()
	var c collector
	st, err := src.Read(context.Background(), b, since, until, c.sink)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	got := c.all()
	if st.Incidents != len(got) {
		t.Errorf("Stats.Incidents = %d, sink got %d", st.Incidents, len(got))
	}
	return got, st
}

func idsOf(in []pagerduty.Incident) []string {
	out := make([]string, len(in))
	for i, x := range in {
		out[i] = x.ID
	}
	return out
}

// wantIDs returns the ids of the data's incidents created in [since,
// until) that keep accepts, in created order.
func wantIDs(d *pagerdutyfake.Data, since, until time.Time, keep func(pagerdutyfake.Incident) bool) []string {
	var out []string
	for _, in := range d.Incidents() {
		if !in.CreatedAt.Before(since) && in.CreatedAt.Before(until) && (keep == nil || keep(in)) {
			out = append(out, in.ID)
		}
	}
	return out
}

// assertExactlyOnce checks that got holds each wanted id once and nothing
// else, in created order.
func assertExactlyOnce(t *testing.T, got []pagerduty.Incident, want []string) {
	t.Helper()
	seen := map[string]int{}
	for _, in := range got {
		seen[in.ID]++
	}
	for id, n := range seen {
		if n > 1 {
			t.Errorf("incident %s delivered %d times", id, n)
		}
	}
	for _, id := range want {
		if seen[id] == 0 {
			t.Errorf("incident %s missing", id)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("delivered %d distinct incidents, want %d", len(seen), len(want))
	}
	for i := 1; i < len(got); i++ {
		if got[i].CreatedAt.Before(got[i-1].CreatedAt) {
			t.Fatalf("incident %d (%s, %s) delivered after a later one (%s)", i, got[i].ID, got[i].CreatedAt, got[i-1].CreatedAt)
		}
	}
}

// listRequests returns the query of every GET /incidents the server saw.
func listRequests(srv *pagerdutyfake.Server) []url.Values {
	var out []url.Values
	for _, r := range srv.Requests() {
		if r.Endpoint == pagerdutyfake.EndpointListIncidents {
			out = append(out, r.Query)
		}
	}
	return out
}

// countEndpoint counts the requests to one endpoint, optionally one path.
func countEndpoint(srv *pagerdutyfake.Server, endpoint, path string) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Endpoint == endpoint && (path == "" || r.Path == path) {
			n++
		}
	}
	return n
}
