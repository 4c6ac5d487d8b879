// Command doraflow-bench measures doraflow's cost curve on generated
// organisations of growing size against a real ClickHouse: rows/s staged
// next to clickhouse-client inserting the same rows from TabSeparated
// files (the reference of load/clickhouse's TSVStage), promote
// time, metrics from the daily rollup against the same numbers from the
// per-event table, and peak memory. `make bench` runs it and prints the
// markdown table kept in docs/benchmarks.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	rtmetrics "runtime/metrics"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"doraflow"
	"doraflow/config"
	"doraflow/demo"
	"doraflow/load/clickhouse"
	"doraflow/metrics"
	"doraflow/pipeline"
	"doraflow/sources"
)

func main() {
	if len(os.Args) == 3 && os.Args[1] == fakesCommand {
		n, err := strconv.Atoi(os.Args[2])
		if err == nil {
			err = serveFakes(n)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "doraflow-bench "+fakesCommand+":", err)
			os.Exit(1)
		}
		return
	}
	addr := flag.String("clickhouse", "127.0.0.1:19400", "ClickHouse native address")
	sizes := flag.String("sizes", "10000,100000,1000000,3050000", "organisation sizes, in entities (deployments, changes, incidents)")
	reuse := flag.Bool("reuse", false, "measure metrics on the databases a previous run left, without loading again")
	sourceSizes := flag.String("source-sizes", "10000,100000,1000000", "organisation sizes for the whole pipeline through the fake GitHub and PagerDuty, in pull requests, runs and incidents; empty for none")
	engineList := flag.String("engines", "", "compare promote and metrics reads on several engines in one run: NAME=native://HOST:PORT or NAME=http://HOST:PORT, comma-separated; empty for none")
	engineSizes := flag.String("engine-sizes", "10000,100000,1000000", "organisation sizes, in entities, for --engines")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file (go tool pprof)")
	flag.Parse()
	err := profiled(*cpuProfile, func() error {
		ctx := context.Background()
		staged, err := parseSizes("--sizes", *sizes)
		if err != nil {
			return err
		}
		through, err := parseSizes("--source-sizes", *sourceSizes)
		if err != nil {
			return err
		}
		engines, err := parseEngines(*engineList)
		if err != nil {
			return err
		}
		compared, err := parseSizes("--engine-sizes", *engineSizes)
		if err != nil {
			return err
		}
		if len(staged) > 0 {
			if err := run(ctx, *addr, staged, *reuse, os.Stdout); err != nil {
				return err
			}
			fmt.Println()
		}
		if len(engines) > 0 && len(compared) > 0 {
			if err := runEngines(ctx, engines, compared, os.Stdout); err != nil {
				return err
			}
			fmt.Println()
		}
		if len(through) == 0 || *reuse {
			return nil
		}
		return runSources(ctx, *addr, through, os.Stdout)
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "doraflow-bench:", err)
		os.Exit(1)
	}
}

// parseSizes reads a comma-separated list of sizes; "" is none.
func parseSizes(flagName, list string) ([]int, error) {
	var out []int
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 100 {
			return nil, fmt.Errorf("%s %q: want whole numbers of at least 100", flagName, list)
		}
		out = append(out, n)
	}
	return out, nil
}

// profiled runs fn, under the CPU profiler when path is set.
func profiled(path string, fn func() error) error {
	if path == "" {
		return fn()
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	defer pprof.StopCPUProfile()
	return fn()
}

// result is one line of the table.
type result struct {
	entities, rows      int
	stage, cli, promote time.Duration
	rollup, events      time.Duration
	peakHeap            uint64
	rollupHeap          uint64 // peak heap while reading metrics from the rollup
	deployments         int
}

func run(ctx context.Context, addr string, sizes []int, reuse bool, out io.Writer) error {
	results, err := measureEach(sizes, "staged", func(n int) (result, error) { return measure(ctx, addr, n, reuse) })
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "| entities | deployments | rows staged | staged rows/s | clickhouse-client rows/s | doraflow ÷ client time | promote | metrics (rollup) | metrics (events) | events ÷ rollup | heap (rollup metrics) | peak heap |")
	fmt.Fprintln(out, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range results {
		fmt.Fprintf(out, "| %d | %d | %d | %.0f | %.0f | %.2f | %s | %s | %s | %.1f× | %d MiB | %d MiB |\n",
			r.entities, r.deployments, r.rows, float64(r.rows)/r.stage.Seconds(), float64(r.rows)/r.cli.Seconds(),
			r.stage.Seconds()/r.cli.Seconds(), r.promote.Round(time.Millisecond), r.rollup.Round(time.Millisecond),
			r.events.Round(time.Millisecond), r.events.Seconds()/r.rollup.Seconds(), r.rollupHeap>>20, r.peakHeap>>20)
	}
	return nil
}

func measure(ctx context.Context, addr string, entities int, reuse bool) (result, error) {
	r := result{entities: entities}
	db := fmt.Sprintf("bench_%d", entities)
	opts := clickhouse.Options{Addr: []string{addr}, Database: db, Username: "default"}
	end := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	size := demo.SizeForEntities(entities, end)
	r.deployments = size.Deployments
	cfg := config.Default()
	cfg.Methods = sources.Registry()
	cfg.Deployments = []doraflow.Block{{Name: "manual", Method: doraflow.MethodCustom}}
	cfg.Incidents = []doraflow.Block{{Name: "manual", Method: doraflow.MethodCustom}}
	if !reuse {
		if err := load(ctx, opts, cfg, size, &r); err != nil {
			return r, err
		}
	}
	store, err := clickhouse.Open(ctx, opts)
	if err != nil {
		return r, err
	}
	defer store.Close()
	runtime.GC()
	peak := sampleHeap()
	read := metricsReader(ctx, pipeline.New(cfg, store, zerolog.Nop()), end)
	if r.rollup, err = median(read(false)); err != nil {
		return r, err
	}
	r.rollupHeap = peak.stop()
	peak = sampleHeap()
	if r.events, err = median(read(true)); err != nil {
		return r, err
	}
	r.peakHeap = max(r.peakHeap, peak.stop())
	return r, nil
}

// metricsReader returns what reads a year of weekly metrics by service up
// to end, from the rollup or from the events.
func metricsReader(ctx context.Context, p *pipeline.Pipeline, end time.Time) func(fromEvents bool) func() error {
	q := metrics.Query{From: end.AddDate(-1, 0, 0), To: end, Location: time.UTC, GroupBy: metrics.GroupService, Period: metrics.PeriodWeek}
	return func(fromEvents bool) func() error {
		return func() error { _, err := p.Metrics(ctx, q, pipeline.MetricsOptions{FromEvents: fromEvents}); return err }
	}
}

// load creates the database afresh, stages a generated organisation of
// size (timing the inserts, and clickhouse-client inserting the same rows)
// and promotes it (timed).
func load(ctx context.Context, opts clickhouse.Options, cfg *config.Config, size demo.ScaleSize, r *result) error {
	store, err := freshStore(ctx, opts)
	if err != nil {
		return err
	}
	defer store.Close()
	peak := sampleHeap()
	defer func() { r.peakHeap = max(r.peakHeap, peak.stop()) }()
	dir, err := os.MkdirTemp("", "doraflow-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	files, err := store.NewTSVStage(dir)
	if err != nil {
		return err
	}
	defer files.Close()
	// Generation and the TSV copy for clickhouse-client are not timed;
	// only the inserts are.
	err = demo.Stream(1, size, 5000, func(f doraflow.FactSet) error {
		r.rows += len(f.Deployments) + len(f.Changes) + len(f.Ships) + len(f.Incidents)
		if err := files.Write(f); err != nil {
			return err
		}
		start := time.Now()
		if err := stage(ctx, store, f); err != nil {
			return err
		}
		r.stage += time.Since(start)
		return nil
	})
	if err != nil {
		return err
	}
	if r.cli, err = files.InsertWithClient(ctx); err != nil {
		return err
	}
	start := time.Now()
	if _, err := pipeline.New(cfg, store, zerolog.Nop()).Promote(ctx, pipeline.PromoteOptions{}); err != nil {
		return err
	}
	r.promote = time.Since(start)
	return nil
}

// stage writes one set of facts to staging.
func stage(ctx context.Context, store *clickhouse.Store, f doraflow.FactSet) error {
	for _, stage := range []func() error{
		func() error { return store.StageChanges(ctx, f.Changes) },
		func() error { return store.StageShips(ctx, f.Ships, f.Commits) },
		func() error { return store.StageDeployments(ctx, f.Deployments) },
		func() error { return store.StageIncidents(ctx, f.Incidents) },
	} {
		if err := stage(); err != nil {
			return err
		}
	}
	return nil
}

// measureEach measures every size in turn, saying on stderr which.
func measureEach[R any](sizes []int, what string, measure func(int) (R, error)) ([]R, error) {
	var results []R
	for _, n := range sizes {
		fmt.Fprintf(os.Stderr, "%s, %d entities…\n", what, n)
		r, err := measure(n)
		if err != nil {
			return nil, fmt.Errorf("%s, size %d: %w", what, n, err)
		}
		results = append(results, r)
	}
	return results, nil
}

// median runs fn five times and returns the median duration.
func median(fn func() error) (time.Duration, error) {
	var d []time.Duration
	for i := 0; i < 5; i++ {
		start := time.Now()
		if err := fn(); err != nil {
			return 0, err
		}
		d = append(d, time.Since(start))
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[2], nil
}

// heapSampler records the largest heap in use (HeapInuse: garbage not
// yet collected included) and the largest live heap (as of the last
// collection) while it runs.
type heapSampler struct {
	done      chan struct{}
	wg        sync.WaitGroup
	max, live uint64
}

func sampleHeap() *heapSampler {
	h := &heapSampler{done: make(chan struct{})}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		for {
			inuse, live := readHeap()
			h.max, h.live = max(h.max, inuse), max(h.live, live)
			select {
			case <-h.done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return h
}

// stop ends the sampling and returns the largest heap in use.
func (h *heapSampler) stop() uint64 {
	select {
	case <-h.done:
	default:
		close(h.done)
	}
	h.wg.Wait()
	return h.max
}

// readHeap returns the heap in use and the live heap.
func readHeap() (inuse, live uint64) {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	sample := []rtmetrics.Sample{{Name: "/gc/heap/live:bytes"}}
	rtmetrics.Read(sample)
	return m.HeapInuse, sample[0].Value.Uint64()
}
