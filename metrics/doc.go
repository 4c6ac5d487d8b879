// Package metrics turns the metric building blocks that the store reads
// from ClickHouse into the rows of docs/metrics.md (the contract users rely on)
// and renders them as JSON, CSV or a terminal table.
//
// The store yields [doraflow.Cell]s: either one per calendar day and
// combination of keys from the daily rollup, or one per metric event from
// the facts when the window does not fall on day boundaries. Counts in a cell are sums and
// lead times and times to restore are multisets, so both kinds of input
// aggregate to the same rows and percentiles stay exact. An [Aggregator]
// (or [Compute] for a slice) merges the cells of a [Query] into a [Report].
//
// Everything here is pure: no clock, no global state and no I/O other than
// the writer handed to [WriteJSON], [WriteCSV] and [WriteTable].
package metrics
