package faults

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"doraflow/config"
	"doraflow/pipeline"
)

// scenarios are the faults the suite puts the pipeline through, each
// against one misbehaving source at a time. A scenario returns its run,
// whose facts and metrics must then equal the clean run's, and what it
// injected, for the table.
var scenarios = []struct {
	name string
	run  func(t *testing.T, s *suite, source string) (*run, string)
}{
	{"10% of requests 5xx or dropped", flaky},
	{"rate limit exhausted mid-backfill", rateLimited},
	{"ClickHouse restarted mid-load", clickhouseRestarted},
	{"SIGKILL mid-backfill, resumed", killed},
	{"same backfill run twice", twice},
	{"sync after upstream deleted 10%", deletedUpstream},
}

// TestFaults runs the organisation cleanly, then through every scenario
// for every source, and compares each with the clean run, on every engine
// of the suite. The engines run side by side: each has its own server,
// data directory and fakes, and most of a scenario's time is spent
// waiting on a process or a server, so two at once roughly halve the
// suite's time in make test on two cores.
func TestFaults(t *testing.T) {
	list, dirs := engines(t)
	if _, err := graphqlSchema(); err != nil {
		t.Fatal(err)
	}
	bin := build(t)
	for i, e := range list {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			faultsOn(t, newSuite(t, e, dirs[e.Name], bin), i == len(list)-1)
		})
	}
}

// faultsOn runs the clean run and every scenario on the suite's engine;
// last marks the suite's last engine.
func faultsOn(t *testing.T, s *suite, last bool) {
	began := time.Now()
	clean := s.start(t, "", fault{})
	clean.backfill(from, chunk)
	want := clean.snapshot()
	if len(want.facts) == 0 {
		t.Fatal("the clean run has no facts: the suite would prove nothing")
	}
	outcomes := []outcome{{scenario: "clean run", source: "—", injected: "nothing", expected: len(want.facts), found: len(want.facts), metrics: true, took: time.Since(began)}}
	for _, src := range upstreams {
		for _, sc := range scenarios {
			if !src.runs(sc.name, last) {
				continue
			}
			t.Run(src.name+"/"+sc.name, func(t *testing.T) {
				began := time.Now()
				o := outcome{scenario: sc.name, source: src.name, injected: "FAILED (see the test log)"}
				defer func() {
					o.took = time.Since(began)
					outcomes = append(outcomes, o)
				}()
				r, injected := sc.run(t, s, src.name)
				got := compare(want, r.snapshot())
				got.scenario, got.source, got.injected = o.scenario, o.source, injected
				o = got
				if !o.ok() {
					t.Errorf("facts or metrics differ from the clean run's: %s", o.problems())
				}
			})
		}
	}
	// One write, so that the other engine's table cannot interleave.
	var table bytes.Buffer
	fmt.Fprintf(&table, "\nThe fault suite on %s:\n", s.engine.Name)
	if err := writeTable(&table, outcomes); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stdout.Write(table.Bytes()); err != nil {
		t.Fatal(err)
	}
}

// flaky backfills while a tenth of the source's requests fail: the
// retries must make up for every one. Daily chunks make enough requests
// for 5xx answers and dropped connections alike to come up.
func flaky(t *testing.T, s *suite, source string) (*run, string) {
	r := s.start(t, source, fault{failRate: 0.10})
	r.backfill(from, 24*time.Hour)
	return r, r.injected(source) + " failed, retried"
}

// rateLimited backfills with a budget far below what the backfill needs:
// each 429 must be waited out (on the fake clock) and the request sent
// again.
func rateLimited(t *testing.T, s *suite, source string) (*run, string) {
	r := s.start(t, source, fault{rateLimit: 5})
	r.backfill(from, chunk)
	return r, fmt.Sprintf("%s got 429, waited %s", r.injected(source), r.clock.Since(end))
}

// clickhouseRestarted stops ClickHouse while a backfill process waits for
// the source: the process must fail cleanly (exit 1, one line, no stack)
// and the same command, once ClickHouse is back, must complete exactly.
func clickhouseRestarted(t *testing.T, s *suite, source string) (*run, string) {
	r := s.start(t, source, fault{holdAt: holdAt(source)})
	var out, errOut bytes.Buffer
	cmd := r.command(&out, &errOut, r.backfillArgs()...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.reached()
	s.clickhouse(t, "stop")
	down := true
	defer func() {
		if down { // never leave the next scenarios without a server
			s.clickhouse(t, "start")
		}
	}()
	close(r.gate.release)
	code := r.wait(cmd)
	last := lastLine(errOut.String())
	if code != 1 || !strings.HasPrefix(last, "doraflow: ") || !strings.Contains(last, "run it again") || strings.Contains(errOut.String(), "goroutine ") {
		t.Fatalf("with ClickHouse gone: exit %d, last line %q; want exit 1 and one line saying to run it again\n%s", code, last, errOut.String())
	}
	t.Logf("with ClickHouse gone, the backfill said: %s", last)
	s.clickhouse(t, "start")
	down = false
	r.open()
	if code, _, errOut := r.cli(r.backfillArgs()...); code != 0 {
		t.Fatalf("backfill after the restart: exit %d\n%s", code, errOut)
	}
	return r, fmt.Sprintf("stopped at request %d: exit 1; re-run exit 0", holdAt(source))
}

// progressResumed is the chunks a backfill skipped, as its progress log
// lines say.
var progressResumed = regexp.MustCompile(`"resumed":(\d+)`)

// killed kills a backfill process with SIGKILL while it waits for the
// source; the same command again must resume after the last checkpoint
// and complete exactly.
func killed(t *testing.T, s *suite, source string) (*run, string) {
	r := s.start(t, source, fault{holdAt: holdAt(source)})
	var out, errOut bytes.Buffer
	cmd := r.command(&out, &errOut, r.backfillArgs()...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.reached()
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	r.wait(cmd)
	close(r.gate.release)
	code, _, errLog := r.cli(r.backfillArgs()...)
	if code != 0 {
		t.Fatalf("resumed backfill: exit %d\n%s", code, errLog)
	}
	m := progressResumed.FindStringSubmatch(errLog)
	if m == nil || m[1] == "0" {
		t.Fatalf("the second backfill resumed nothing, it started over:\n%s", errLog)
	}
	return r, fmt.Sprintf("SIGKILL at request %d; resumed after %s chunks", holdAt(source), m[1])
}

// twice runs the same backfill again, which must find every chunk done,
// and then one over an overlapping window, which reads everything a second
// time: neither may change the facts. PagerDuty has no conditional
// requests, so its incidents are all staged again; GitHub's REST API
// answers 304 for list pages that a previous read of a covering window
// already staged, so its rows may be staged again or skipped, never more
// than the first time. GitHub's GraphQL API has no conditional requests:
// its merged pull requests are all read again, in chunks that start a day
// apart from the first run's, so the rows staged may differ in number
// either way (a change read in two chunks); the facts may not.
func twice(t *testing.T, s *suite, source string) (*run, string) {
	r := s.start(t, source, fault{})
	first := r.backfill(from, chunk)
	if again := r.backfill(from, chunk); staged(again) != 0 {
		t.Fatalf("the same backfill again staged %d rows, want 0: it should resume after the last chunk", staged(again))
	}
	overlap := r.backfill(from.AddDate(0, 0, -1), chunk)
	if overlap.Incidents != first.Incidents {
		t.Fatalf("the overlapping backfill staged %d incidents, want the %d of the first: it should read them all again", overlap.Incidents, first.Incidents)
	}
	if r.cfg.GitHub.API == config.GitHubREST && (overlap.Deployments > first.Deployments || overlap.Changes > first.Changes) {
		t.Fatalf("the overlapping backfill staged %d deployments and %d changes, more than the first's %d and %d",
			overlap.Deployments, overlap.Changes, first.Deployments, first.Changes)
	}
	return r, fmt.Sprintf("run again: 0 staged; overlapping run: %d staged again", staged(overlap))
}

// deletedUpstream syncs, lets the source forget a tenth of its objects and
// syncs an hour later: the facts must keep what the source deleted.
func deletedUpstream(t *testing.T, s *suite, source string) (*run, string) {
	r := s.start(t, source, fault{})
	r.sync()
	gone, err := r.ups[source].deleteTenth()
	if err != nil || len(gone) == 0 {
		t.Fatalf("delete upstream: %d deleted, %v", len(gone), err)
	}
	r.now = end.Add(time.Hour)
	r.sync()
	return r, strconv.Itoa(len(gone)) + " deleted upstream, then synced"
}

// injected says how many of the source's requests got a fault, failing
// the test when none did: the scenario would prove nothing.
func (r *run) injected(source string) string {
	r.t.Helper()
	n, total := r.stats[source]()
	if n == 0 {
		r.t.Fatalf("no fault reached %s in %d requests: the scenario proves nothing", source, total)
	}
	said := fmt.Sprintf("%d of %d requests", n, total)
	if g, ok := r.ups[source].(*gitHubFake); ok {
		if n, queries, ok := g.graphqlInjected(); ok {
			if n == 0 {
				r.t.Fatalf("no fault reached %s's GraphQL queries (%d): the scenario proves nothing for GraphQL", source, queries)
			}
			said += fmt.Sprintf(" (%d of %d GraphQL queries)", n, queries)
		}
	}
	return said
}

func staged(res pipeline.SyncResult) int { return res.Deployments + res.Changes + res.Incidents }

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
