// Package clickhousetest gives tests a real ClickHouse: each call to New
// makes a fresh, migrated database on the server named by the
// DORAFLOW_TEST_CLICKHOUSE environment variable (which `make test` sets
// after starting a disposable server) and drops it when the test ends, so
// tests run in parallel and leave nothing behind.
package clickhousetest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"doraflow/load/clickhouse"
)

// EnvAddr names the environment variable with the test server's host:port.
const EnvAddr = "DORAFLOW_TEST_CLICKHOUSE"

var seq atomic.Int64

// Addr returns the test server's address, failing the test with a hint
// when it is not set: tests that need ClickHouse never skip silently.
func Addr(t testing.TB) string {
	t.Helper()
	addr := os.Getenv(EnvAddr)
	if addr == "" {
		t.Fatalf("%s is not set: this test needs a real ClickHouse; run it with `make test`, which starts one", EnvAddr)
	}
	return addr
}

// Options returns store options for a fresh database name on the test
// server; the database is dropped when the test ends.
func Options(t testing.TB) clickhouse.Options {
	t.Helper()
	addr := Addr(t)
	name := fmt.Sprintf("t_%s_%d_%d", sanitize(t.Name()), time.Now().UnixNano()%1e9, seq.Add(1))
	opts := clickhouse.Options{Addr: []string{addr}, Database: name, Username: "default"}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s, err := clickhouse.Open(ctx, clickhouse.Options{Addr: []string{addr}, Database: "default", Username: "default"})
		if err != nil {
			t.Logf("drop test database %s: %v", name, err)
			return
		}
		defer s.Close()
		if err := s.DropDatabase(ctx, name); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
	})
	return opts
}

// New opens a store on a fresh, migrated database.
func New(t testing.TB) *clickhouse.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := clickhouse.Open(ctx, Options(t))
	if err != nil {
		t.Fatalf("open test ClickHouse: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate test database: %v", err)
	}
	return s
}

func sanitize(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	s := b.String()
	if len(s) > 40 {
		s = s[:40]
	}
	return s
}
