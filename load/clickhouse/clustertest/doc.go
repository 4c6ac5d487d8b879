// Package clustertest checks doraflow on a ClickHouse cluster of one shard
// and two replicas: migrate ON CLUSTER, the pipeline, and that every
// replica answers what a single server answers.
//
// Its tests carry the build tag "cluster", so `go test ./...` and
// `make test` do not build them; `make test-cluster` starts a disposable
// cluster (scripts/cluster.sh) and runs them with
// DORAFLOW_TEST_CLUSTER=host:port,host:port and
// DORAFLOW_TEST_CLUSTER_NAME set.
package clustertest
