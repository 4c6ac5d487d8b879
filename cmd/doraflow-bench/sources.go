package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"time"

	"github.com/rs/zerolog"

	"doraflow"
	"doraflow/config"
	"doraflow/demo"
	"doraflow/extract/github"
	"doraflow/extract/github/githubfake"
	"doraflow/extract/pagerduty"
	"doraflow/extract/pagerduty/pagerdutyfake"
	"doraflow/load/clickhouse"
	"doraflow/metrics"
	"doraflow/pipeline"
	"doraflow/sources"
)

// The second table: the whole pipeline, from the fake GitHub and PagerDuty
// (served on loopback, as in make demo) into ClickHouse. The first table
// stages generated rows directly; this one shows what extraction adds.

const benchToken = "bench-github-token"

// sourcesResult is one line of the through-the-sources table.
type sourcesResult struct {
	entities                        int // pull requests and workflow runs generated, and incidents
	deployments, changes, incidents int // staged by the sync
	ghRequests, pdRequests          int64
	sync, metrics                   time.Duration
	peakHeap                        uint64 // largest heap in use during the sync
}

// runSources measures each size and prints its table.
func runSources(ctx context.Context, addr string, sizes []int, out io.Writer) error {
	results, err := measureEach(sizes, "through the fake sources", func(n int) (sourcesResult, error) { return measureSources(ctx, addr, n) })
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "| entities | deployments | changes | incidents | GitHub requests | PagerDuty requests | sync (extract, stage, promote) | rows/s | metrics (rollup) | peak heap |")
	fmt.Fprintln(out, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range results {
		rows := r.deployments + r.changes + r.incidents
		fmt.Fprintf(out, "| %d | %d | %d | %d | %d | %d | %s | %.0f | %s | %d MiB |\n",
			r.entities, r.deployments, r.changes, r.incidents, r.ghRequests, r.pdRequests,
			r.sync.Round(time.Millisecond), float64(rows)/r.sync.Seconds(), r.metrics.Round(time.Millisecond), r.peakHeap>>20)
	}
	return nil
}

// measureSources has a child process serve an organisation of about
// entities pull requests and workflow runs (githubfake.SizeFor) and a
// PagerDuty account with an incident for one in twenty, and runs a first
// sync of their whole history (every block, then promote) into a fresh
// database. The fakes run apart so that this process's heap is doraflow's
// alone: next to hundreds of megabytes of generated organisation, the
// collector's pacing and its accounting of what it marks would drown it.
func measureSources(ctx context.Context, addr string, entities int) (sourcesResult, error) {
	r := sourcesResult{}
	f, err := startFakes(entities)
	if err != nil {
		return r, err
	}
	defer f.close()
	now := f.now
	r.entities = entities + f.incidents

	cfg := config.Default()
	cfg.Methods = sources.Registry()
	cfg.Services = demo.Services
	cfg.Deployments = []doraflow.Block{
		{Name: "merges", Method: doraflow.MethodMergedPR, Repositories: []string{"acme/*"}, Environment: "staging"},
		{Name: "deploys", Method: doraflow.MethodWorkflowRun, Repositories: []string{"acme/*"}, Environment: doraflow.EnvironmentProduction,
			Filters: doraflow.Filters{"workflow": "deploy.yml", "branch": "main", "conclusion": "success"}},
	}
	cfg.Incidents = []doraflow.Block{{Name: "pagerduty", Method: doraflow.MethodPagerDuty}}
	cfg.Schedule.InitialWindow = 92 * 24 * time.Hour // the first sync reads all the history

	db := fmt.Sprintf("bench_sources_%d", entities)
	store, err := freshStore(ctx, clickhouse.Options{Addr: []string{addr}, Database: db, Username: "default"})
	if err != nil {
		return r, err
	}
	defer store.Close()
	ghSrc, err := github.New(github.Options{BaseURL: f.github, Token: benchToken, ETags: pipeline.NewETags(store)})
	if err != nil {
		return r, err
	}
	pdSrc, err := pagerduty.New(pagerduty.Options{BaseURL: f.pagerduty, Token: pagerdutyfake.DefaultToken})
	if err != nil {
		return r, err
	}
	p := pipeline.New(cfg, store, zerolog.Nop(), pipeline.WithExtractor(doraflow.SourceGitHub, ghSrc), pipeline.WithExtractor(doraflow.SourcePagerDuty, pdSrc),
		pipeline.WithClock(func() time.Time { return now }))

	runtime.GC()
	peak := sampleHeap()
	start := time.Now()
	res, err := p.Sync(ctx, pipeline.SyncOptions{})
	r.sync = time.Since(start)
	r.peakHeap = peak.stop()
	if err != nil {
		return r, err
	}
	r.deployments, r.changes, r.incidents = res.Deployments, res.Changes, res.Incidents
	if r.ghRequests, r.pdRequests, err = f.requests(); err != nil {
		return r, err
	}

	to := doraflow.DateOf(now, time.UTC).Start(time.UTC)
	q := metrics.Query{From: to.AddDate(0, 0, -90), To: to, Location: time.UTC, GroupBy: metrics.GroupService, Period: metrics.PeriodWeek}
	r.metrics, err = median(func() error { _, err := p.Metrics(ctx, q, pipeline.MetricsOptions{}); return err })
	return r, err
}

// fakes is a child process serving the fake GitHub and PagerDuty. It
// speaks lines: it prints its URLs, the organisation's now and its
// incident count once serving; "requests" on its stdin answers the
// requests each fake served; closing its stdin stops it.
type fakes struct {
	cmd               *exec.Cmd
	in                io.WriteCloser
	out               *bufio.Scanner
	github, pagerduty string
	now               time.Time
	incidents         int
}

// fakesCommand is the argument that makes doraflow-bench a fakes child.
const fakesCommand = "serve-fakes"

func startFakes(entities int) (*fakes, error) {
	cmd := exec.Command(os.Args[0], fakesCommand, strconv.Itoa(entities))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the fakes: %w", err)
	}
	f := &fakes{cmd: cmd, in: in, out: bufio.NewScanner(stdout)}
	line, err := f.line()
	if err == nil {
		var now string
		_, err = fmt.Sscan(line, &f.github, &f.pagerduty, &now, &f.incidents)
		if err == nil {
			f.now, err = time.Parse(time.RFC3339, now)
		}
	}
	if err != nil {
		f.close()
		return nil, fmt.Errorf("the fakes' first line %q: %w", line, err)
	}
	return f, nil
}

func (f *fakes) line() (string, error) {
	if !f.out.Scan() {
		if err := f.out.Err(); err != nil {
			return "", err
		}
		return "", io.ErrUnexpectedEOF
	}
	return f.out.Text(), nil
}

// requests asks the child how many requests each fake served.
func (f *fakes) requests() (github, pagerduty int64, err error) {
	if _, err := fmt.Fprintln(f.in, "requests"); err != nil {
		return 0, 0, err
	}
	line, err := f.line()
	if err != nil {
		return 0, 0, err
	}
	_, err = fmt.Sscan(line, &github, &pagerduty)
	return github, pagerduty, err
}

func (f *fakes) close() {
	f.in.Close()
	f.cmd.Wait()
}

// serveFakes is the child: it serves the organisation of entities until
// its stdin closes.
func serveFakes(entities int) error {
	org := githubfake.Generate(1, githubfake.SizeFor(entities))
	gh := githubfake.NewServer(org, githubfake.Options{Token: benchToken, Budget: 1 << 30, LogSize: 1})
	ghURL := gh.Start()
	defer gh.Close()
	pdData, err := demo.PagerDuty()
	if err != nil {
		return err
	}
	incidents := benchIncidents(entities/20, org.Now, 90)
	if err := demo.AddIncidents(pdData, incidents); err != nil {
		return err
	}
	pd := pagerdutyfake.NewServer(pdData, pagerdutyfake.Options{})
	pd.Start()
	defer pd.Close()
	fmt.Println(ghURL, pd.URL(), org.Now.Format(time.RFC3339), len(incidents))
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		if in.Text() == "requests" {
			fmt.Println(gh.Stats().Total, pd.Stats().Total)
		}
	}
	return in.Err()
}

// benchIncidents spreads n incidents evenly over the services of the demo
// account and the days before now, each resolved after an hour or two.
func benchIncidents(n int, now time.Time, days int) []doraflow.Incident {
	out := make([]doraflow.Incident, n)
	step := time.Duration(days) * 24 * time.Hour / time.Duration(max(n, 1))
	for i := range out {
		created := now.Add(-time.Duration(i+1) * step).Truncate(time.Second)
		out[i] = doraflow.Incident{
			ID: fmt.Sprintf("bench-%d", i), Service: demo.Services[i%len(demo.Services)].Name, Title: "Bench incident",
			CreatedAt: created, ResolvedAt: created.Add(time.Hour + time.Duration(i%60)*time.Minute),
		}
	}
	return out
}

// freshStore drops the database and opens it migrated.
func freshStore(ctx context.Context, opts clickhouse.Options) (*clickhouse.Store, error) {
	admin, err := clickhouse.Open(ctx, clickhouse.Options{Addr: opts.Addr, Database: "default", Username: opts.Username, Protocol: opts.Protocol})
	if err != nil {
		return nil, err
	}
	err = admin.DropDatabase(ctx, opts.Database)
	admin.Close()
	if err != nil {
		return nil, err
	}
	store, err := clickhouse.Open(ctx, opts)
	if err != nil {
		return nil, err
	}
	if _, err := store.Migrate(ctx); err != nil {
		store.Close()
		return nil, err
	}
	return store, nil
}
