package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"doraflow"
	"doraflow/config"
	"doraflow/demo"
	"doraflow/load/clickhouse"
	"doraflow/pipeline"
	"doraflow/sources"
)

// engine is one ClickHouse to compare: a name for the table, its address
// and protocol.
type engine struct {
	name     string
	addr     string
	protocol clickhouse.Protocol
}

// parseEngines reads --engines: NAME=PROTOCOL://HOST:PORT, comma-separated.
func parseEngines(list string) ([]engine, error) {
	var out []engine
	for _, item := range strings.Split(list, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		name, rest, _ := strings.Cut(item, "=")
		proto, addr, ok := strings.Cut(rest, "://")
		if !ok || name == "" || addr == "" || (proto != string(clickhouse.Native) && proto != string(clickhouse.HTTP)) {
			return nil, fmt.Errorf("--engines: %q: use NAME=native://HOST:PORT or NAME=http://HOST:PORT", item)
		}
		out = append(out, engine{name: name, addr: addr, protocol: clickhouse.Protocol(proto)})
	}
	return out, nil
}

// engineResult is one engine's times at one size.
type engineResult struct {
	engine           string
	entities         int
	promote          time.Duration
	rollup, fromEvts time.Duration
}

// runEngines loads the same generated organisation into every engine,
// size by size, and times promote and the metrics reads on each, so the
// engines are compared on the same data in the same run.
func runEngines(ctx context.Context, engines []engine, sizes []int, out io.Writer) error {
	var results []engineResult
	for _, n := range sizes {
		for _, e := range engines {
			r, err := measureEach([]int{n}, "engine "+e.name, func(n int) (engineResult, error) { return measureEngine(ctx, e, n) })
			if err != nil {
				return err
			}
			results = append(results, r...)
		}
	}
	fmt.Fprintln(out, "| entities | engine | promote | metrics (rollup) | metrics (events) |")
	fmt.Fprintln(out, "|---:|---|---:|---:|---:|")
	for _, r := range results {
		fmt.Fprintf(out, "| %d | %s | %s | %s | %s |\n", r.entities, r.engine,
			r.promote.Round(time.Millisecond), r.rollup.Round(time.Millisecond), r.fromEvts.Round(time.Millisecond))
	}
	return nil
}

func measureEngine(ctx context.Context, e engine, entities int) (engineResult, error) {
	r := engineResult{engine: e.name, entities: entities}
	opts := clickhouse.Options{Addr: []string{e.addr}, Database: fmt.Sprintf("bench_engine_%d", entities), Username: "default", Protocol: e.protocol}
	end := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	cfg := config.Default()
	cfg.Methods = sources.Registry()
	cfg.Deployments = []doraflow.Block{{Name: "manual", Method: doraflow.MethodCustom}}
	cfg.Incidents = []doraflow.Block{{Name: "manual", Method: doraflow.MethodCustom}}
	store, err := freshStore(ctx, opts)
	if err != nil {
		return r, err
	}
	defer store.Close()
	err = demo.Stream(1, demo.SizeForEntities(entities, end), 5000, func(f doraflow.FactSet) error { return stage(ctx, store, f) })
	if err != nil {
		return r, err
	}
	p := pipeline.New(cfg, store, zerolog.Nop())
	start := time.Now()
	if _, err := p.Promote(ctx, pipeline.PromoteOptions{}); err != nil {
		return r, err
	}
	r.promote = time.Since(start)
	read := metricsReader(ctx, p, end)
	if r.rollup, err = median(read(false)); err != nil {
		return r, err
	}
	r.fromEvts, err = median(read(true))
	return r, err
}
