# doraflow — the commands a newcomer needs. `make demo` and `make test` work
# on a fresh Debian machine with Go and make: they install (ClickHouse,
# gcc for -race, Chromium for the report check) and start what they need.

GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
BIN := bin/doraflow
# VERSION goes into the binary (main.version) for `doraflow version`, with
# the commit that -buildvcs stamps (GOFLAGS may turn it off: asked here).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
# make install copies the binary to $(PREFIX)/bin.
PREFIX ?= $(HOME)/.local

# Disposable ClickHouse servers, each with its own data directory and ports.
# The test server also serves native TLS on 19002 and HTTPS on 19003
# (PORT+2, PORT+3) with a throwaway CA (TEST_CH_DIR/tls/ca.pem).
TEST_CH_DIR  := .local/clickhouse-test
TEST_CH_PORT := 19000
# The current engine: chDB's libchdb.so (ClickHouse 26.5) behind the HTTP
# front of cmd/chdbfront, HTTP on its port and HTTPS on the next.
CHDB_LIB        := $(CURDIR)/.local/chdb/package/libchdb.so
TEST_CHDB_DIR   := .local/chdb-test
TEST_CHDB_PORT  := 19050
TEST_CHDB_TLS   := 19051
DEMO_CH_DIR  := .local/clickhouse-demo
DEMO_CH_PORT := 19100
# The fault suite's own engines: it stops and starts them mid-run.
FAULTS_CH_DIR    := .local/clickhouse-faults
FAULTS_CH_PORT   := 19300
FAULTS_CHDB_DIR  := .local/chdb-faults
FAULTS_CHDB_PORT := 19350

.PHONY: all build install demo test test-go vet cc clean stop-demo bench report-check test-faults fuzz

all: build

build:
	$(GO) build -buildvcs=auto -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/doraflow

## install: put doraflow on PATH, in $(PREFIX)/bin (default ~/.local/bin; PREFIX=/usr/local with sudo for all users)
install: build
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/doraflow
	@echo "installed $(DESTDIR)$(PREFIX)/bin/doraflow ($$($(BIN) --version | head -1))"
	@case ":$$PATH:" in *":$(PREFIX)/bin:"*) ;; *) echo "note: $(PREFIX)/bin is not on your PATH: add  export PATH=\"$(PREFIX)/bin:\$$PATH\"  to your shell's profile";; esac

## demo: run the whole pipeline on simulated data into a local ClickHouse and print the metrics
# It writes doraflow.demo.yaml (git ignores it) and ends with the commands
# to try with it; the note on the server comes first so they stay last.
# The simulated GitHub answers GraphQL with GitHub's schema, fetched once
# (scripts/graphql-schema.sh); when it cannot be had (offline), the path
# is empty and the demo says it reads through REST instead.
demo: build
	scripts/clickhouse.sh start $(DEMO_CH_DIR) $(DEMO_CH_PORT)
	@echo "ClickHouse keeps running on 127.0.0.1:$(DEMO_CH_PORT) (database dora_demo); 'make stop-demo' stops it."
	$(BIN) demo --clickhouse 127.0.0.1:$(DEMO_CH_PORT) --write-config doraflow.demo.yaml --github-graphql-schema "$$(scripts/graphql-schema.sh fetch)"

stop-demo:
	scripts/clickhouse.sh stop $(DEMO_CH_DIR)

## test: the full test suite against two real, disposable ClickHouse engines: Debian's server 18.16 and chDB 26.5
# Servers that were already running (a developer's, between runs) are
# reused and left running; those that make started are stopped.
test:
	reused=; scripts/clickhouse.sh running $(TEST_CH_DIR) $(TEST_CH_PORT) && reused=1; \
		reused_chdb=; scripts/chdb.sh running $(TEST_CHDB_DIR) $(TEST_CHDB_PORT) && reused_chdb=1; \
		scripts/clickhouse.sh start $(TEST_CH_DIR) $(TEST_CH_PORT) tls || exit $$?; \
		scripts/chdb.sh start $(TEST_CHDB_DIR) $(TEST_CHDB_PORT) $(TEST_CHDB_TLS) $(TEST_CH_DIR)/tls/server.pem $(TEST_CH_DIR)/tls/server.key || exit $$?; \
		status=0; $(MAKE) --no-print-directory test-go report-check REPORT_CH_DIR=$(TEST_CH_DIR) REPORT_CH_PORT=$(TEST_CH_PORT) \
		REPORT_SHOT=.local/report-check/report.png || status=$$?; \
		[ -n "$$reused" ] || scripts/clickhouse.sh stop $(TEST_CH_DIR); \
		[ -n "$$reused_chdb" ] || scripts/chdb.sh stop $(TEST_CHDB_DIR); exit $$status
	$(MAKE) --no-print-directory test-faults

# test-go expects the engines that make test starts.
TEST_ENGINES := 18.16=native://127.0.0.1:$(TEST_CH_PORT),26.5-chdb=http://127.0.0.1:$(TEST_CHDB_PORT)
TEST_TLS     := native=127.0.0.1:19002,https=localhost:$(TEST_CHDB_TLS),old_https=127.0.0.1:19003,ca=$(CURDIR)/$(TEST_CH_DIR)/tls/ca.pem
# GitHub's OpenAPI description, which the fake GitHub is held to
# (internal/openapitest); scripts/openapi.sh fetches it once into .local.
GITHUB_OPENAPI = $(shell scripts/openapi.sh path)
# GitHub's GraphQL schema, which the fake GitHub validates every query
# against; scripts/graphql-schema.sh fetches it once into .local.
GITHUB_GRAPHQL_SCHEMA = $(shell scripts/graphql-schema.sh path)
test-go: vet cc openapi graphql-schema
	DORAFLOW_TEST_CLICKHOUSE=$(TEST_ENGINES) DORAFLOW_TEST_CLICKHOUSE_TLS=$(TEST_TLS) CHDB_LIB_PATH=$(CHDB_LIB) \
		DORAFLOW_TEST_GITHUB_OPENAPI=$(GITHUB_OPENAPI) DORAFLOW_TEST_GITHUB_GRAPHQL_SCHEMA=$(GITHUB_GRAPHQL_SCHEMA) \
		$(GO) test -race -count=1 -timeout 15m ./...

.PHONY: openapi
## openapi: fetch GitHub's OpenAPI description (npm pack, pinned, cached in .local/openapi)
openapi:
	@scripts/openapi.sh fetch >/dev/null

.PHONY: graphql-schema
## graphql-schema: fetch GitHub's GraphQL schema (npm pack, pinned, cached in .local/graphql-schema)
graphql-schema:
	@scripts/graphql-schema.sh fetch >/dev/null

# cc: go test -race needs cgo, so a C compiler; install Debian's gcc when
# it is missing.
cc:
	@command -v gcc >/dev/null 2>&1 || { \
		sudo=; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
		echo "make: installing gcc for go test -race (apt-get)" >&2; \
		$$sudo apt-get update -qq >/dev/null && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq gcc libc6-dev >/dev/null; }

## test-faults: the pipeline under faults (5xx, rate limits, a ClickHouse restart, kill -9, reruns, upstream deletions) on engines of its own, 18.16 and chDB 26.5
# The suite reads GitHub through GraphQL, which the fake answers with
# GitHub's schema (graphql-schema).
test-faults: cc graphql-schema
	scripts/clickhouse.sh start $(FAULTS_CH_DIR) $(FAULTS_CH_PORT)
	scripts/chdb.sh start $(FAULTS_CHDB_DIR) $(FAULTS_CHDB_PORT) || { scripts/clickhouse.sh stop $(FAULTS_CH_DIR); exit 1; }
	status=0; DORAFLOW_FAULTS_CLICKHOUSE=18.16=native://127.0.0.1:$(FAULTS_CH_PORT),26.5-chdb=http://127.0.0.1:$(FAULTS_CHDB_PORT) \
		DORAFLOW_FAULTS_CLICKHOUSE_DIR=18.16=$(CURDIR)/$(FAULTS_CH_DIR),26.5-chdb=$(CURDIR)/$(FAULTS_CHDB_DIR) \
		DORAFLOW_TEST_GITHUB_GRAPHQL_SCHEMA=$(GITHUB_GRAPHQL_SCHEMA) \
		$(GO) test -race -count=1 -timeout 20m -v -run '^TestFaults$$' ./faults/ || status=$$?; \
		scripts/clickhouse.sh stop $(FAULTS_CH_DIR); scripts/chdb.sh stop $(FAULTS_CHDB_DIR); exit $$status

## fuzz: every fuzz target for FUZZTIME each (go test runs only their seed corpus)
FUZZTIME ?= 30s
fuzz:
	@grep -rE --include='*_test.go' --exclude-dir=.local --exclude-dir=.git -o '^func Fuzz[A-Za-z0-9_]*' . | sort | while IFS=: read -r file fn; do \
		fn=$${fn#func }; pkg=./$$(dirname $${file#./}); \
		echo "fuzz: $$fn in $$pkg for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	done

## test-cluster: migrate and the pipeline on a disposable cluster (ZooKeeper, two ClickHouse replicas)
CLUSTER_DIR := .local/cluster
.PHONY: test-cluster
test-cluster:
	scripts/cluster.sh start $(CLUSTER_DIR)
	status=0; $(GO) vet -tags cluster ./load/clickhouse/clustertest/ && \
		DORAFLOW_TEST_CLUSTER=127.0.0.1:19200,127.0.0.1:19210 DORAFLOW_TEST_CLUSTER_NAME=doraflow_test \
		$(GO) test -tags cluster -race -count=1 -timeout 10m -v ./load/clickhouse/clustertest/ || status=$$?; \
		scripts/cluster.sh stop $(CLUSTER_DIR); exit $$status

# report-check uses the demo server and refreshes docs/report.png; make test
# points it at the test server and leaves docs/report.png alone.
REPORT_CH_DIR  ?= $(DEMO_CH_DIR)
REPORT_CH_PORT ?= $(DEMO_CH_PORT)
REPORT_SHOT    ?= docs/report.png

## report-check: render a demo report in headless Chromium (installed if missing), fail on console messages, screenshot to docs/report.png
report-check: build
	scripts/report-check.sh $(BIN) $(REPORT_CH_DIR) $(REPORT_CH_PORT) $(REPORT_SHOT)

## bench: the cost curve on generated organisations (10k, 100k, 1M entities, and 3.05M: a million deployments), the whole pipeline through the fake sources, and the extractor benchmarks; see docs/benchmarks.md
BENCH_CH_DIR  := .local/clickhouse-bench
BENCH_CH_PORT := 19400
BENCH_SIZES   ?= 10000,100000,1000000,3050000
BENCH_SOURCE_SIZES ?= 10000,100000,1000000
# The engines compared side by side: the 18.16 server and chDB 26.5.
BENCH_CHDB_DIR  := .local/chdb-bench
BENCH_CHDB_PORT := 19450
BENCH_ENGINE_SIZES ?= 10000,100000,1000000
# GitHub's cost, REST against GraphQL, per 1,000 merged PRs and deployments
# (BenchmarkCost; 1M entities is extrapolated in docs/benchmarks.md).
BENCH_COST_SIZES ?= 10000,100000
bench: graphql-schema
	scripts/clickhouse.sh start $(BENCH_CH_DIR) $(BENCH_CH_PORT)
	scripts/chdb.sh start $(BENCH_CHDB_DIR) $(BENCH_CHDB_PORT) || { scripts/clickhouse.sh stop $(BENCH_CH_DIR); exit 1; }
	status=0; $(GO) run ./cmd/doraflow-bench --clickhouse 127.0.0.1:$(BENCH_CH_PORT) --sizes $(BENCH_SIZES) --source-sizes $(BENCH_SOURCE_SIZES) \
		--engines 18.16=native://127.0.0.1:$(BENCH_CH_PORT),26.5-chdb=http://127.0.0.1:$(BENCH_CHDB_PORT) --engine-sizes $(BENCH_ENGINE_SIZES) || status=$$?; \
		scripts/clickhouse.sh stop $(BENCH_CH_DIR); scripts/chdb.sh stop $(BENCH_CHDB_DIR); [ $$status -eq 0 ] || exit $$status
	DORAFLOW_TEST_GITHUB_GRAPHQL_SCHEMA=$(GITHUB_GRAPHQL_SCHEMA) DORAFLOW_BENCH_COST_SIZES=$(BENCH_COST_SIZES) \
		$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m ./extract/github/
	$(GO) test -run '^$$' -bench . -benchmem ./metrics/

vet:
	@gofmt="$$($(GO) env GOROOT)/bin/gofmt"; [ -x "$$gofmt" ] || { echo "vet: no gofmt next to $(GO)"; exit 1; }; \
		unformatted=$$("$$gofmt" -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')) || exit 1; \
		if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

clean:
	rm -rf bin .local
