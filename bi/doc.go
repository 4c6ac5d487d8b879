// Package bi holds the tests that keep doraflow's BI layer to the metric
// contract. The layer itself is not Go: the SQL views of
// sql/migrations/0007_views.sql (documented in docs/sql.md), the Grafana
// dashboard and provisioning under deploy/grafana, and the
// docker-compose.yaml that runs them with ClickHouse and Metabase.
//
// The tests stage hand-built facts, promote them through the pipeline into
// a real ClickHouse, and check that every number the views, the example
// queries of docs/sql.md and the dashboard's panels give equals what
// pipeline.Metrics computes for the same window and grouping. They also
// check that the compose file only uses pinned images and files that exist.
package bi
