package pagerduty_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"doraflow"
	"doraflow/config"
	"doraflow/extract/pagerduty"
	"doraflow/extract/pagerduty/pagerdutyfake"
	"doraflow/internal/fakeapi"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestReadFilters(t *testing.T) {
	d := handMade(t)
	tests := []struct {
		name    string
		filters doraflow.Filters
		want    []string
	}{
		{"no filters: every incident, with or without priority", doraflow.Filters{},
			[]string{"QAPIP1HIGH0001", "QAPINONELOW002", "QWEBP2HIGH0003", "QWEBNONEHI0004", "QORPHP1LOW0005", "QMIDNIGHT00006"}},
		{"one service", doraflow.Filters{"services": []string{"PAPI001"}},
			[]string{"QAPIP1HIGH0001", "QAPINONELOW002", "QMIDNIGHT00006"}},
		{"two services", doraflow.Filters{"services": []string{"PWEB001", "PORPH01"}},
			[]string{"QWEBP2HIGH0003", "QWEBNONEHI0004", "QORPHP1LOW0005"}},
		{"urgency high", doraflow.Filters{"urgency": "high"},
			[]string{"QAPIP1HIGH0001", "QWEBP2HIGH0003", "QWEBNONEHI0004", "QMIDNIGHT00006"}},
		{"urgency low", doraflow.Filters{"urgency": "low"},
			[]string{"QAPINONELOW002", "QORPHP1LOW0005"}},
		{"team of one service", doraflow.Filters{"teams": []string{"PTWEB01"}},
			[]string{"QWEBP2HIGH0003", "QWEBNONEHI0004"}},
		{"team of two services", doraflow.Filters{"teams": []string{"PTPLA01"}},
			[]string{"QAPIP1HIGH0001", "QAPINONELOW002", "QWEBP2HIGH0003", "QWEBNONEHI0004", "QMIDNIGHT00006"}},
		{"priorities given: incidents without one are out", doraflow.Filters{"priorities": []string{"P1"}},
			[]string{"QAPIP1HIGH0001", "QORPHP1LOW0005"}},
		{"priority names match case-insensitively", doraflow.Filters{"priorities": []string{"p2"}},
			[]string{"QWEBP2HIGH0003", "QMIDNIGHT00006"}},
		{"unused priority name", doraflow.Filters{"priorities": []string{"P5"}}, nil},
		{"all ANDed", doraflow.Filters{"services": []string{"PAPI001"}, "urgency": "high", "priorities": []string{"P1", "P2"}},
			[]string{"QAPIP1HIGH0001", "QMIDNIGHT00006"}},
		{"service and team", doraflow.Filters{"services": []string{"PWEB001"}, "teams": []string{"PTPLA01"}},
			[]string{"QWEBP2HIGH0003", "QWEBNONEHI0004"}},
		{"team and urgency that never meet", doraflow.Filters{"teams": []string{"PTWEB01"}, "urgency": "low"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startFake(t, d, pagerdutyfake.Options{})
			src := newSource(t, srv.URL(), newClock(), nil)
			got, st := read(t, src, block(tt.filters), decSince, decUntil)
			if !slices.Equal(idsOf(got), tt.want) {
				t.Errorf("got %v\nwant %v", idsOf(got), tt.want)
			}
			if st.Windows != 1 || len(st.UnknownServices) != 0 {
				t.Errorf("stats %+v", st)
			}
			// Services, urgency and teams go to PagerDuty; priorities cannot.
			for _, q := range listRequests(srv) {
				if !slices.Equal(q["service_ids[]"], tt.filters.List("services")) || !slices.Equal(q["team_ids[]"], tt.filters.List("teams")) ||
					(tt.filters.Text("urgency") != "" && !slices.Equal(q["urgencies[]"], []string{tt.filters.Text("urgency")})) ||
					!slices.Equal(q["statuses[]"], []string{"triggered", "acknowledged", "resolved"}) || q.Has("priorities[]") {
					t.Errorf("query %v does not carry the block's server-side filters", q)
				}
			}
		})
	}
}

// TestReadFields compares every field of the hand-made incidents with a
// golden file (go test -run TestReadFields -update rewrites it).
func TestReadFields(t *testing.T) {
	srv := startFake(t, handMade(t), pagerdutyfake.Options{})
	src := newSource(t, srv.URL(), newClock(), nil)
	got, _ := read(t, src, block(doraflow.Filters{}), decSince, decUntil)

	for _, in := range got {
		if in.Source != doraflow.SourcePagerDuty || in.Block != "pd" || in.Service != "" || in.Team != "" {
			t.Errorf("%s: source %q block %q service %q team %q", in.ID, in.Source, in.Block, in.Service, in.Team)
		}
		if open := in.Status != "resolved"; open != in.ResolvedAt.IsZero() {
			t.Errorf("%s: status %s with resolved_at %v", in.ID, in.Status, in.ResolvedAt)
		}
	}
	data, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "handmade.golden.json")
	if *update {
		if err := os.WriteFile(golden, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(append(data, '\n')) != string(want) {
		t.Errorf("incidents differ from %s (run with -update after checking the change):\n%s", golden, data)
	}
}

func TestReadRangeBounds(t *testing.T) {
	d := handMade(t)
	midnight := time.Date(2024, 12, 10, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name         string
		since, until time.Time
		want         []string
	}{
		{"until is exclusive", base, midnight, []string{"QAPIP1HIGH0001", "QAPINONELOW002", "QWEBP2HIGH0003", "QWEBNONEHI0004", "QORPHP1LOW0005"}},
		{"since is inclusive", midnight, decUntil, []string{"QMIDNIGHT00006"}},
		{"sub-second since rounds up, as created_at has whole seconds", midnight.Add(-time.Nanosecond), decUntil, []string{"QMIDNIGHT00006"}},
		{"sub-second until rounds up", base, base.Add(time.Millisecond), []string{"QAPIP1HIGH0001"}},
		{"empty range reads nothing", base, base, nil},
	}
	// PagerDuty honours since and until only to the day (the fake's
	// default): the extractor keeps the exact window itself, so both
	// fakes give the same incidents.
	for _, exact := range []bool{false, true} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/exact times %v", tt.name, exact), func(t *testing.T) {
				srv := startFake(t, d, pagerdutyfake.Options{ExactTimes: exact})
				src := newSource(t, srv.URL(), newClock(), nil)
				got, _ := read(t, src, block(doraflow.Filters{}), tt.since, tt.until)
				if !slices.Equal(idsOf(got), tt.want) {
					t.Errorf("got %v, want %v", idsOf(got), tt.want)
				}
			})
		}
	}
}

// TestReadLongRange reads 300 days, more than the API's 6-month limit, of
// 2,500 incidents: every request must stay within 180 days, every incident
// arrive once, in created order, in batches of at most 1000.
func TestReadLongRange(t *testing.T) {
	d := pagerdutyfake.Generate(1, pagerdutyfake.Size{Incidents: 2500, Span: 270 * 24 * time.Hour})
	srv := startFake(t, d, pagerdutyfake.Options{})
	src := newSource(t, srv.URL(), newClock(), nil)
	since, until := decUntil.AddDate(0, 0, -300), decUntil
	var c collector
	st, err := src.Read(context.Background(), block(doraflow.Filters{}), since, until, c.sink)
	if err != nil {
		t.Fatal(err)
	}
	got := c.all()
	assertExactlyOnce(t, got, wantIDs(d, since, until, nil))
	for i, b := range c.batches {
		if len(b) == 0 || len(b) > 1000 {
			t.Errorf("batch %d holds %d incidents", i, len(b))
		}
	}
	if st.Windows != 2 || st.Incidents != len(got) {
		t.Errorf("stats %+v, want 2 windows", st)
	}
	reqs := listRequests(srv)
	if st.Requests != len(reqs) {
		t.Errorf("Stats.Requests %d, server saw %d", st.Requests, len(reqs))
	}
	for _, q := range reqs {
		s, err1 := time.Parse(time.RFC3339, q.Get("since"))
		u, err2 := time.Parse(time.RFC3339, q.Get("until"))
		if err1 != nil || err2 != nil || u.Sub(s) > 180*24*time.Hour || u.Before(s) {
			t.Errorf("request spans %s .. %s", q.Get("since"), q.Get("until"))
		}
		if q.Get("limit") != "100" {
			t.Errorf("limit %q", q.Get("limit"))
		}
		if first := q.Get("offset") == "" || q.Get("offset") == "0"; first != (q.Get("total") == "true") {
			t.Errorf("offset %q with total %q: total belongs to the first page only", q.Get("offset"), q.Get("total"))
		}
	}
}

// TestReadStorm reads a week holding more than 10,000 incidents, more than
// offset pagination reaches: the window must be split so that every
// incident is read once and PagerDuty never refuses an offset.
func TestReadStorm(t *testing.T) {
	d := pagerdutyfake.Generate(3, pagerdutyfake.Size{Services: 3, Teams: 1, Incidents: 300, Storm: 10_500})
	storm, ok := d.Storm()
	if !ok {
		t.Fatal("no storm generated")
	}
	srv := startFake(t, d, pagerdutyfake.Options{})
	src := newSource(t, srv.URL(), newClock(), nil)
	since, until := storm.Since.AddDate(0, 0, -30), decUntil
	got, st := read(t, src, block(doraflow.Filters{}), since, until)
	want := wantIDs(d, since, until, nil)
	if len(want) <= 10_000 {
		t.Fatalf("only %d incidents in the range: the test needs more than 10,000", len(want))
	}
	assertExactlyOnce(t, got, want)
	if n := srv.Stats().ByStatus[400]; n != 0 {
		t.Errorf("the fake answered 400 %d times", n)
	}
	for _, q := range listRequests(srv) {
		off, _ := strconv.Atoi(q.Get("offset"))
		if off+100 > 10_000 {
			t.Errorf("request at offset %d", off)
		}
	}
	if st.Windows < 3 {
		t.Errorf("stats %+v: the storm window was not split", st)
	}
}

// spread adds n incidents from base, step apart, on the services in turn.
func spread(t *testing.T, d *pagerdutyfake.Data, n int, step time.Duration, services ...string) {
	t.Helper()
	for i := range n {
		at := base.Add(time.Duration(i) * step)
		if _, err := d.AddIncident(pagerdutyfake.Incident{ServiceID: services[i%len(services)], CreatedAt: at, ResolvedAt: at.Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReadOffsetLimit shrinks the offset cap so that splitting is cheap to
// exercise: ahead of the limit (the first page's total), after PagerDuty
// refuses an offset (a cap lower than the Source believes), down to one
// day, which PagerDuty cannot split further (it honours since and until to
// the day only), then by service, and where even that cannot help it must
// give up with a clear error.
func TestReadOffsetLimit(t *testing.T) {
	tests := []struct {
		name            string
		incidents       int
		step            time.Duration
		services        []string
		filters         doraflow.Filters
		fakeCap, ourCap int
		wantRefusals    bool
		wantByService   bool
		wantErr         string
	}{
		{name: "total over the cap splits ahead", incidents: 1000, step: 40 * time.Minute, fakeCap: 300, ourCap: 300},
		{name: "cap not a multiple of the page", incidents: 1000, step: 40 * time.Minute, fakeCap: 350, ourCap: 350},
		{name: "refused offset splits", incidents: 1000, step: 40 * time.Minute, fakeCap: 300, ourCap: 10_000, wantRefusals: true},
		{name: "a day over the cap splits by service", incidents: 500, step: time.Minute, services: []string{"PAPI001", "PWEB001"},
			fakeCap: 300, ourCap: 300, wantByService: true},
		{name: "a day over the cap splits by the block's services", incidents: 500, step: time.Minute, services: []string{"PAPI001", "PWEB001"},
			filters: doraflow.Filters{"services": []string{"PAPI001", "PWEB001"}}, fakeCap: 300, ourCap: 300, wantByService: true},
		{name: "refused offset in a day splits by service", incidents: 500, step: time.Minute, services: []string{"PAPI001", "PWEB001"},
			fakeCap: 300, ourCap: 10_000, wantRefusals: true, wantByService: true},
		{name: "one service's day over the cap is an error", incidents: 400, step: 0, fakeCap: 300, ourCap: 300,
			wantErr: "service PAPI001 between 2024-12-01T00:00:00Z and 2024-12-02T00:00:00Z"},
		{name: "a one-service block's day over the cap is an error", incidents: 400, step: time.Minute,
			filters: doraflow.Filters{"services": []string{"PAPI001"}}, fakeCap: 300, ourCap: 300, wantErr: "narrow the block's filters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := handMade(t)
			services := tt.services
			if services == nil {
				services = []string{"PAPI001"}
			}
			spread(t, d, tt.incidents, tt.step, services...)
			srv := startFake(t, d, pagerdutyfake.Options{MaxOffset: tt.fakeCap})
			src := newSource(t, srv.URL(), newClock(), func(o *pagerduty.Options) { o.MaxOffset = tt.ourCap })
			var c collector
			_, err := src.Read(context.Background(), block(tt.filters), decSince, decUntil, c.sink)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "GET /incidents") ||
					!strings.Contains(err.Error(), "narrow the block's filters") {
					t.Fatalf("error %v, want one naming GET /incidents, saying %q and what to do", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			keep := func(in pagerdutyfake.Incident) bool {
				return len(tt.filters.List("services")) == 0 || slices.Contains(tt.filters.List("services"), in.ServiceID)
			}
			assertExactlyOnce(t, c.all(), wantIDs(d, decSince, decUntil, keep))
			if refused := srv.Stats().ByStatus[400] > 0; refused != tt.wantRefusals {
				t.Errorf("fake refused an offset: %v, want %v", refused, tt.wantRefusals)
			}
			byService := false
			for _, q := range listRequests(srv) {
				// No window finer than a day: PagerDuty would list the
				// same day again.
				for _, k := range []string{"since", "until"} {
					if at, err := time.Parse(time.RFC3339, q.Get(k)); err != nil || !at.Equal(at.Truncate(24*time.Hour)) {
						t.Errorf("request with %s=%q, not a UTC midnight", k, q.Get(k))
					}
				}
				byService = byService || len(q["service_ids[]"]) == 1 && len(tt.filters.List("services")) != 1
			}
			if byService != tt.wantByService {
				t.Errorf("read by service: %v, want %v", byService, tt.wantByService)
			}
			if n := countEndpoint(srv, pagerdutyfake.EndpointListServices, ""); (n > 0) != (tt.wantByService && len(tt.filters.List("services")) == 0) {
				t.Errorf("%d GET /services: the account's services are listed only to split a day of a block without services", n)
			}
		})
	}
}

// TestReadIncidentsArriving adds incidents to a window while it is paged,
// pushing it past the offset cap after its total was counted: the window
// must be split then, and nothing delivered twice.
func TestReadIncidentsArriving(t *testing.T) {
	d := handMade(t)
	spread(t, d, 250, time.Minute, "PAPI001")
	// The fake asks its fault function about every request before serving
	// it: a hook to change the data between two pages.
	arrive := func(seq int64, _ *http.Request) fakeapi.Fault {
		if seq == 2 {
			for i := range 200 {
				at := base.Add(300*time.Minute + time.Duration(i)*time.Minute)
				if _, err := d.AddIncident(pagerdutyfake.Incident{ServiceID: "PWEB001", CreatedAt: at}); err != nil {
					t.Error(err)
				}
			}
		}
		return fakeapi.Fault{}
	}
	srv := startFake(t, d, pagerdutyfake.Options{MaxOffset: 300, Faults: arrive})
	src := newSource(t, srv.URL(), newClock(), func(o *pagerduty.Options) { o.MaxOffset = 300 })
	got, st := read(t, src, block(doraflow.Filters{}), decSince, decUntil)
	assertExactlyOnce(t, got, wantIDs(d, decSince, decUntil, nil))
	if n := srv.Stats().ByStatus[400]; n != 0 || st.Windows < 2 {
		t.Errorf("%d refusals, stats %+v: want the window split before any refusal", n, st)
	}
}

// TestSinkError checks that a sink's error (a loader's, say) ends the work
// and comes back unchanged.
func TestSinkError(t *testing.T) {
	boom := errors.New("clickhouse is down")
	failing := func(context.Context, []pagerduty.Incident) error { return boom }
	srv := startFake(t, handMade(t), pagerdutyfake.Options{})
	src := newSource(t, srv.URL(), newClock(), nil)
	if _, err := src.Read(context.Background(), block(doraflow.Filters{}), decSince, decUntil, failing); err != boom {
		t.Errorf("Read: %v, want the sink's error", err)
	}
	if _, err := src.Refresh(context.Background(), block(doraflow.Filters{}), []string{"QAPINONELOW002"}, failing); err != boom {
		t.Errorf("Refresh: %v, want the sink's error", err)
	}
}

func TestReadCancel(t *testing.T) {
	t.Run("sink cancels", func(t *testing.T) {
		d := pagerdutyfake.Generate(1, pagerdutyfake.Size{Incidents: 2500, Span: 100 * 24 * time.Hour})
		srv := startFake(t, d, pagerdutyfake.Options{})
		src := newSource(t, srv.URL(), newClock(), nil)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		calls := 0
		_, err := src.Read(ctx, block(doraflow.Filters{}), decUntil.AddDate(0, 0, -100), decUntil, func(context.Context, []pagerduty.Incident) error {
			calls++
			cancel()
			return nil
		})
		if !errors.Is(err, context.Canceled) || calls != 1 {
			t.Errorf("error %v after %d sink calls, want context.Canceled after 1", err, calls)
		}
	})
	t.Run("slow server", func(t *testing.T) {
		srv := startFake(t, handMade(t), pagerdutyfake.Options{Latency: time.Minute})
		src := newSource(t, srv.URL(), newClock(), nil)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		began := time.Now()
		_, err := src.Read(ctx, block(doraflow.Filters{}), decSince, decUntil, (&collector{}).sink)
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "GET /incidents") {
			t.Errorf("error %v, want the deadline, naming the endpoint", err)
		}
		if el := time.Since(began); el > 10*time.Second {
			t.Errorf("took %v", el)
		}
	})
	t.Run("while waiting to retry", func(t *testing.T) {
		srv := startFake(t, handMade(t), pagerdutyfake.Options{Faults: fakeapi.FailEvery(1, fakeapi.Fault{Status: 503})})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		src := newSource(t, srv.URL(), newClock(), func(o *pagerduty.Options) {
			o.Sleep = func(ctx context.Context, _ time.Duration) error {
				cancel()
				<-ctx.Done()
				return ctx.Err()
			}
		})
		_, err := src.Read(ctx, block(doraflow.Filters{}), decSince, decUntil, (&collector{}).sink)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error %v, want context.Canceled", err)
		}
		if n := srv.Stats().Total; n != 1 {
			t.Errorf("%d requests after the cancellation, want 1", n)
		}
	})
}

func TestReadRefusesOtherBlocks(t *testing.T) {
	src := newSource(t, "https://api.pagerduty.com", newClock(), nil)
	b := doraflow.Block{Name: "manual", Method: doraflow.MethodCustom}
	if _, err := src.Read(context.Background(), b, decSince, decUntil, (&collector{}).sink); err == nil || !strings.Contains(err.Error(), "manual") {
		t.Errorf("Read error %v", err)
	}
	if _, err := src.Refresh(context.Background(), b, []string{"Q1"}, (&collector{}).sink); err == nil {
		t.Error("Refresh accepted a custom block")
	}
	if _, err := src.Read(context.Background(), block(doraflow.Filters{}), decUntil, decSince, (&collector{}).sink); err == nil {
		t.Error("Read accepted until before since")
	}
}

// TestSampleBlock loads sample.yaml with the config loader and reads with
// its block, so the sample stays valid and meaningful.
func TestSampleBlock(t *testing.T) {
	cfg, err := config.LoadWithEnv("sample.yaml", doraflow.NewRegistry(pagerduty.Methods()), func(k string) (string, bool) { return "sample-" + k, true })
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Incidents) != 1 || cfg.Incidents[0].Method != doraflow.MethodPagerDuty {
		t.Fatalf("sample.yaml has incident blocks %+v, want one of method pagerduty", cfg.Incidents)
	}
	b := cfg.Incidents[0]
	d := pagerdutyfake.Generate(1, pagerdutyfake.Small())
	srv := startFake(t, d, pagerdutyfake.Options{})
	src := newSource(t, srv.URL(), newClock(), nil)
	since := decUntil.AddDate(0, 0, -90)
	got, _ := read(t, src, b, since, decUntil)
	want := wantIDs(d, since, decUntil, func(in pagerdutyfake.Incident) bool {
		prio := map[string]bool{"PPRIO01": true, "PPRIO02": true}
		return (in.ServiceID == "PAPI001" || in.ServiceID == "PWEB001") && in.Urgency == "high" && prio[in.PriorityID]
	})
	if len(want) == 0 {
		t.Fatal("the generated data has nothing the sample block matches")
	}
	assertExactlyOnce(t, got, want)
}
