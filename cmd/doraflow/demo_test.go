package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"doraflow/load/clickhouse/clickhousetest"
	"doraflow/pipeline"
)

// TestDemoNeverDropsOtherData: the demo drops and recreates its database,
// so it asks for --force before it touches another name than dora_demo,
// and never drops a database holding tables it did not make, with or
// without --force. A database it made it recreates again and again.
func TestDemoNeverDropsOtherData(t *testing.T) {
	clickhousetest.Run(t, func(t *testing.T) {
		c := newCLI(t, "")
		if code, _, errOut := c.run("migrate"); code != 0 {
			t.Fatalf("migrate: %s", errOut)
		}
		if code, _, errOut := c.run("record", "deployment", "--service", "api", "--id", "precious", "--deployed-at", "2024-01-02T10:00:00Z"); code != 0 {
			t.Fatalf("record: %s", errOut)
		}
		code, _, errOut := c.run("demo", "--clickhouse", c.db.Addr[0], "--database", c.db.Database)
		if code != 2 || !strings.Contains(errOut, "add --force to let it drop "+c.db.Database) {
			t.Errorf("demo on another database without --force: exit %d, %q; want exit 2 asking for --force", code, errOut)
		}

		ctx := context.Background()
		e := &env{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, getenv: os.LookupEnv}
		cfg := defaultConfig()
		cfg.ClickHouse.Addr, cfg.ClickHouse.Protocol, cfg.ClickHouse.Database = c.db.Addr, string(c.db.Protocol), c.db.Database
		if s, err := freshDatabase(ctx, e, cfg); err == nil {
			s.Close()
			t.Fatal("the demo dropped a database holding tables it did not make")
		} else if !strings.Contains(err.Error(), "tables that doraflow demo did not make") {
			t.Errorf("refusal: %v", err)
		}
		store := openStore(t, c)
		if ok, err := store.Staged(ctx, "stg_deployments", "precious"); err != nil || !ok {
			t.Fatalf("the recorded deployment is gone (%v): the database was touched", err)
		}

		// A database of the demo's own, made twice.
		cfg.ClickHouse.Database = clickhousetest.Options(t).Database
		for i := 0; i < 2; i++ {
			s, err := freshDatabase(ctx, e, cfg)
			if err != nil {
				t.Fatalf("demo database, run %d: %v", i+1, err)
			}
			made, err := pipeline.IsDemoDatabase(ctx, s)
			s.Close()
			if err != nil || !made {
				t.Fatalf("demo database, run %d: not marked as the demo's (%v)", i+1, err)
			}
		}
	})
}

// TestDemoDay: runs of the demo on one UTC day simulate up to the same
// instant, its midnight, whatever the time zone of the clock.
func TestDemoDay(t *testing.T) {
	t.Parallel()
	midnight := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	for _, now := range []time.Time{midnight, midnight.Add(5 * time.Minute), midnight.Add(24*time.Hour - time.Nanosecond),
		midnight.Add(23 * time.Hour).In(time.FixedZone("UTC+3", 3*3600))} {
		if got := demoDay(now); !got.Equal(midnight) {
			t.Errorf("demoDay(%s) = %s, want %s", now, got, midnight)
		}
	}
	if got := demoDay(midnight.Add(-time.Nanosecond)); !got.Equal(midnight.Add(-24 * time.Hour)) {
		t.Errorf("the instant before midnight: %s, want the day before", got)
	}
}
