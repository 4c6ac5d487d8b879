package faults

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/rs/zerolog"

	"doraflow"
	"doraflow/config"
	"doraflow/extract/custom"
	"doraflow/load/clickhouse"
	"doraflow/load/clickhouse/clickhousetest"
	"doraflow/pipeline"
	"doraflow/sources"
)

// The suite's ClickHouse engines, which `make test-faults` starts. They
// must be engines of its own: scenario "ClickHouse restarted" stops and
// starts them.
const (
	// envAddr lists the engines as clickhousetest.EnvAddr does:
	// NAME=PROTOCOL://HOST:PORT, comma-separated.
	envAddr = "DORAFLOW_FAULTS_CLICKHOUSE"
	// envDir gives each engine's directory, NAME=DIR, comma-separated: a
	// native engine is a server of scripts/clickhouse.sh, an http engine
	// the chDB front of scripts/chdb.sh.
	envDir = "DORAFLOW_FAULTS_CLICKHOUSE_DIR"
)

// suite is what every scenario shares: the ClickHouse it may restart and a
// doraflow binary to run, and kill, as a process of its own.
type suite struct {
	engine    clickhousetest.Engine
	dir, port string
	script    string // scripts/clickhouse.sh or scripts/chdb.sh
	bin       string // doraflow, built from this tree
}

// engines returns the suite's engines and their directories; it skips the
// test when no ClickHouse of the suite's own is configured.
func engines(t *testing.T) ([]clickhousetest.Engine, map[string]string) {
	t.Helper()
	v := os.Getenv(envAddr)
	if v == "" {
		t.Skipf("the fault suite runs with `make test-faults` (part of `make test`), which starts ClickHouse engines of its own; %s is not set", envAddr)
	}
	list, err := clickhousetest.ParseEngines(v)
	if err != nil {
		t.Fatal(err)
	}
	shared, _ := clickhousetest.ParseEngines(os.Getenv(clickhousetest.EnvAddr))
	dirs := map[string]string{}
	for _, kv := range strings.Split(os.Getenv(envDir), ",") {
		if name, dir, ok := strings.Cut(kv, "="); ok {
			dirs[name] = dir
		}
	}
	for _, e := range list {
		for _, o := range shared {
			if o.Addr == e.Addr {
				t.Fatalf("%s: %s is the shared test engine %s: the fault suite restarts its ClickHouse, so give it one of its own (make test-faults does)", envAddr, e.Addr, o.Name)
			}
		}
		if dirs[e.Name] == "" {
			t.Fatalf("%s has no directory for engine %s: the suite needs it to restart the engine (NAME=DIR, comma-separated)", envDir, e.Name)
		}
	}
	return list, dirs
}

// newSuite builds doraflow for the scenarios on engine e, whose files are
// in dir.
func newSuite(t *testing.T, e clickhousetest.Engine, dir, bin string) *suite {
	t.Helper()
	_, port, err := net.SplitHostPort(e.Addr)
	if err != nil {
		t.Fatalf("%s: engine %s at %q: %v", envAddr, e.Name, e.Addr, err)
	}
	name := "clickhouse.sh"
	if e.Protocol == clickhouse.HTTP {
		name = "chdb.sh"
	}
	script, err := filepath.Abs("../scripts/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return &suite{engine: e, dir: dir, port: port, script: script, bin: bin}
}

// build builds the binary the user runs, not this test process: killing
// it is killing doraflow. go test puts its own go first in PATH.
func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "doraflow")
	if out, err := exec.Command("go", "build", "-o", bin, "doraflow/cmd/doraflow").CombinedOutput(); err != nil {
		t.Fatalf("build doraflow: %v\n%s", err, out)
	}
	return bin
}

// clickhouse stops or starts the suite's engine with its script.
func (s *suite) clickhouse(t *testing.T, verb string) {
	t.Helper()
	args := []string{verb, s.dir}
	if verb == "start" {
		args = append(args, s.port)
	}
	if out, err := exec.Command(s.script, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(s.script), verb, err, out)
	}
}

// run is one pipeline over a fresh database and fresh fakes of every
// source.
type run struct {
	t       *testing.T
	suite   *suite
	cfgPath string
	cfg     *config.Config
	env     map[string]string
	store   *clickhouse.Store
	ups     map[string]upstream
	stats   map[string]func() (int, int)
	gate    *gate // holds a request of the faulty source, when its fault says so
	// clock is the time every in-process wait passes on, and the clock of
	// a rate-limiting fake: retries and rate-limit waits take no real time.
	clock *clockwork.FakeClock
	now   time.Time // the pipeline's clock: when a sync runs
}

// start sets up a run whose source named faulty misbehaves as f says
// (faulty "" for a clean run): its own database, migrated, holding the
// organisation's custom deployments and the changes they ship.
func (s *suite) start(t *testing.T, faulty string, f fault) *run {
	t.Helper()
	r := &run{t: t, suite: s, env: map[string]string{}, ups: map[string]upstream{}, stats: map[string]func() (int, int){},
		clock: clockwork.NewFakeClockAt(end), now: end}
	if f.clock == nil {
		f.clock = r.clock
	}
	var sections strings.Builder
	depBlocks, incBlocks := []string{"{name: manual, method: custom}"}, []string(nil)
	for _, src := range runUpstreams(faulty) {
		up := src.new()
		var h http.Handler
		if src.name == faulty {
			h, r.stats[src.name] = up.handler(f)
			if f.holdAt > 0 {
				r.gate = newGate(h, f.holdAt)
				h = r.gate
			}
		} else {
			h, r.stats[src.name] = up.handler(fault{})
		}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		c := up.config(srv.URL)
		sections.WriteString(c.section)
		depBlocks, incBlocks = append(depBlocks, c.deployments...), append(incBlocks, c.incidents...)
		for k, v := range c.env {
			r.env[k] = v
		}
		r.ups[src.name] = up
	}
	database := "faults_" + notIdentifier.ReplaceAllString(strings.ToLower(t.Name()), "_") + fmt.Sprint(time.Now().UnixNano()%1e6)
	entries := make([]string, len(services))
	for i, svc := range services {
		entries[i] = fmt.Sprintf("{name: %s, team: %s, repositories: [%s], pagerduty_services: [%s]}",
			svc.Name, svc.Team, strings.Join(svc.Repositories, ", "), strings.Join(svc.PagerDutyServices, ", "))
	}
	yaml := fmt.Sprintf("clickhouse:\n  addr: %s\n  protocol: %s\n  database: %s\n%sschedule:\n  initial_window: %s\n",
		s.engine.Addr, s.engine.Protocol, database, sections.String(), end.Sub(from)) +
		yamlList("services", entries) + yamlList("deployments", depBlocks) + yamlList("incidents", incBlocks)
	r.cfgPath = filepath.Join(t.TempDir(), "doraflow.yaml")
	if err := os.WriteFile(r.cfgPath, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadWithEnv(r.cfgPath, sources.Registry(), func(k string) (string, bool) { v, ok := r.env[k]; return v, ok })
	if err != nil {
		t.Fatalf("config:\n%s\n%v", yaml, err)
	}
	r.cfg = cfg
	r.open()
	t.Cleanup(func() { r.drop(database) })
	if _, err := r.store.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.seed()
	return r
}

// notIdentifier matches what a database name may not hold.
var notIdentifier = regexp.MustCompile(`[^a-z0-9_]+`)

// yamlList renders a top-level list of flow mappings, or nothing for none.
func yamlList(key string, items []string) string {
	if len(items) == 0 {
		return ""
	}
	return key + ":\n  - " + strings.Join(items, "\n  - ") + "\n"
}

// options are the store options of the run's engine, on database.
func (r *run) options(database string) clickhouse.Options {
	c := r.cfg.ClickHouse
	return clickhouse.Options{Addr: c.Addr, Database: database, Username: c.Username, Protocol: clickhouse.Protocol(c.Protocol)}
}

// open connects to the run's database (again, after a restart).
func (r *run) open() {
	r.t.Helper()
	if r.store != nil {
		r.store.Close()
	}
	s, err := clickhouse.Open(context.Background(), r.options(r.cfg.ClickHouse.Database))
	if err != nil {
		r.t.Fatal(err)
	}
	r.store = s
}

func (r *run) drop(database string) {
	r.store.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := clickhouse.Open(ctx, r.options("default"))
	if err != nil {
		r.t.Logf("drop %s: %v", database, err)
		return
	}
	defer admin.Close()
	if err := admin.DropDatabase(ctx, database); err != nil {
		r.t.Logf("drop %s: %v", database, err)
	}
}

// pipeline returns an in-process pipeline over the run's database with
// fresh sources, whose waits pass on the run's fake clock.
func (r *run) pipeline() *pipeline.Pipeline {
	r.t.Helper()
	sleep := func(ctx context.Context, d time.Duration) error {
		r.clock.Advance(d)
		return ctx.Err()
	}
	opts := []pipeline.Option{pipeline.WithClock(func() time.Time { return r.now })}
	for _, up := range r.ups {
		o, err := up.option(r.cfg, r.store, sleep)
		if err != nil {
			r.t.Fatal(err)
		}
		opts = append(opts, o)
	}
	log := zerolog.New(zerolog.NewTestWriter(r.t)).Level(zerolog.WarnLevel)
	return pipeline.New(r.cfg, r.store, log, opts...)
}

// seed stages the organisation's deployments and the changes they ship:
// no source in the suite reads changes yet. A tenth of the deployments
// goes through the custom source, as the write API records them, so that
// its path is part of every run; the rest in one batch, which keeps the
// suite fast.
func (r *run) seed() {
	r.t.Helper()
	ctx := context.Background()
	facts := deployments()
	p := r.pipeline()
	var batch []doraflow.Deployment
	for i, d := range facts.Deployments {
		if i%10 != 0 {
			batch = append(batch, d)
			continue
		}
		rec := custom.DeploymentRecord{ID: d.ID, Service: d.Service, Environment: d.Environment, Repository: d.Repository,
			DeployedAt: d.DeployedAt.Format(time.RFC3339), Title: d.Title}
		if _, _, err := p.StageDeploymentRecord(ctx, rec); err != nil {
			r.t.Fatal(err)
		}
	}
	for _, err := range []error{
		r.store.StageDeployments(ctx, batch),
		r.store.StageChanges(ctx, facts.Changes),
		r.store.StageShips(ctx, facts.Ships, facts.Commits),
	} {
		if err != nil {
			r.t.Fatal(err)
		}
	}
}

// chunk is the span of the backfills' chunks: 31 of them over the
// organisation's 91 days, each one request to a source.
const chunk = 72 * time.Hour

// backfill runs `backfill` over [since, end) in-process, in chunks of
// span.
func (r *run) backfill(since time.Time, span time.Duration) pipeline.SyncResult {
	r.t.Helper()
	opts := pipeline.BackfillOptions{From: since, To: end, Chunk: span}
	res, err := r.pipeline().Backfill(context.Background(), opts)
	if err != nil {
		r.t.Fatalf("backfill: %v", err)
	}
	return res
}

// sync runs `sync` in-process at r.now.
func (r *run) sync() {
	r.t.Helper()
	if _, err := r.pipeline().Sync(context.Background(), pipeline.SyncOptions{}); err != nil {
		r.t.Fatalf("sync: %v", err)
	}
}

// backfillArgs is the command line of the CLI backfill the process
// scenarios run: the same window and chunks as the in-process one.
func (r *run) backfillArgs() []string {
	return []string{"--config", r.cfgPath, "backfill", "--from", from.Format("2006-01-02"), "--to", end.Format("2006-01-02"), "--chunk", chunk.String()}
}

// command returns doraflow as a process of its own, with the run's
// config and secrets; its output goes to the buffers.
func (r *run) command(stdout, stderr *bytes.Buffer, args ...string) *exec.Cmd {
	cmd := exec.Command(r.suite.bin, args...)
	cmd.Env = os.Environ()
	for k, v := range r.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	return cmd
}

// cli runs doraflow to the end and returns its exit status and output.
func (r *run) cli(args ...string) (code int, stdout, stderr string) {
	r.t.Helper()
	var out, errOut bytes.Buffer
	cmd := r.command(&out, &errOut, args...)
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	return r.wait(cmd), out.String(), errOut.String()
}

// wait returns the exit status of cmd, failing the test after a minute.
func (r *run) wait(cmd *exec.Cmd) int {
	r.t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil && cmd.ProcessState == nil {
			r.t.Fatal(err)
		}
		return cmd.ProcessState.ExitCode()
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
		<-done
		r.t.Fatalf("doraflow %s did not finish within a minute", strings.Join(cmd.Args[1:], " "))
		return -1
	}
}

// reached waits until the gate holds the faulty source's request.
func (r *run) reached() {
	r.t.Helper()
	select {
	case <-r.gate.reached:
	case <-time.After(time.Minute):
		r.t.Fatal("the pipeline did not reach the held request within a minute")
	}
}
