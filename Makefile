# doraflow — the commands a newcomer needs. `make demo` and `make test` work
# on a fresh Debian machine: they install and start what they need.

GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
BIN := bin/doraflow

# Disposable ClickHouse servers, each with its own data directory and ports.
TEST_CH_DIR  := .local/clickhouse-test
TEST_CH_PORT := 19000
DEMO_CH_DIR  := .local/clickhouse-demo
DEMO_CH_PORT := 19100

.PHONY: all build demo test test-go vet clean stop-demo bench

all: build

build:
	$(GO) build -o $(BIN) ./cmd/doraflow

## demo: run the whole pipeline on simulated data into a local ClickHouse and print the metrics
demo: build
	scripts/clickhouse.sh start $(DEMO_CH_DIR) $(DEMO_CH_PORT)
	$(BIN) demo --clickhouse 127.0.0.1:$(DEMO_CH_PORT)
	@echo "ClickHouse keeps running on 127.0.0.1:$(DEMO_CH_PORT) (database dora_demo); 'make stop-demo' stops it."

stop-demo:
	scripts/clickhouse.sh stop $(DEMO_CH_DIR)

## test: the full test suite against a real, disposable ClickHouse
test:
	scripts/clickhouse.sh start $(TEST_CH_DIR) $(TEST_CH_PORT)
	status=0; $(MAKE) --no-print-directory test-go || status=$$?; \
		scripts/clickhouse.sh stop $(TEST_CH_DIR); exit $$status

# test-go expects a ClickHouse at DORAFLOW_TEST_CLICKHOUSE (make test starts one).
test-go: vet
	DORAFLOW_TEST_CLICKHOUSE=127.0.0.1:$(TEST_CH_PORT) $(GO) test -race -count=1 -timeout 15m ./...

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
		if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

clean:
	rm -rf bin .local
