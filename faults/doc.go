// Package faults holds doraflow's fault suite. It runs the whole pipeline
// on a generated organisation while the sources and ClickHouse misbehave —
// 5xx answers and dropped connections, an exhausted rate limit, a
// ClickHouse restart mid-load, a SIGKILL mid-backfill, a backfill run
// twice, incidents deleted upstream — and checks after each that the facts
// and the metrics equal those of a clean run, row for row.
//
// The suite stops and starts a ClickHouse server of its own, so it runs
// only when DORAFLOW_FAULTS_CLICKHOUSE names one: `make test-faults` (part
// of `make test`) starts it and runs the suite. The scenarios, and how to
// add a source to them, are described in docs/reliability.md.
package faults
