package clickhouse_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"doraflow"
	"doraflow/load/clickhouse"
	"doraflow/load/clickhouse/clickhousetest"
)

func TestMigrateTwiceIsNoop(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		s := clickhousetest.New(t) // migrated once
		ctx := context.Background()
		res, err := s.Migrate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Applied) != 0 {
			t.Fatalf("second migrate applied %v, want nothing", res.Applied)
		}
		if res.Current == 0 {
			t.Fatal("schema version 0 after migrate")
		}
	})
}

// TestMigrateAfterLosingItsRecord runs every migration again over an
// existing schema, as a migrate that died before recording what it
// applied would: CREATE … IF NOT EXISTS is a no-op, and an ADD COLUMN
// that is already there (18.16 has no IF NOT EXISTS for it) is done.
func TestMigrateAfterLosingItsRecord(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		opts := clickhousetest.Options(t)
		ctx := context.Background()
		s, err := clickhouse.Open(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		first, err := s.Migrate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conn := clickhousetest.Conn(t, opts)
		if err := conn.Exec(ctx, "DROP TABLE schema_migrations"); err != nil {
			t.Fatal(err)
		}
		again, err := s.Migrate(ctx)
		if err != nil {
			t.Fatalf("migrate over an unrecorded schema: %v", err)
		}
		if !slices.Equal(again.Applied, first.Applied) || again.Current != first.Current {
			t.Fatalf("second migrate applied %v (version %d), want %v (version %d)", again.Applied, again.Current, first.Applied, first.Current)
		}
	})
}

func TestPromoteFactsKeepsFirstBlockAndIsIdempotent(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		s := clickhousetest.New(t)
		ctx := context.Background()
		at := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
		dep := doraflow.Deployment{ID: "d1", Source: doraflow.SourceCustom, Method: doraflow.MethodCustom, Service: "api", Environment: "production", DeployedAt: at, Status: doraflow.StatusSuccess}
		second, first := dep, dep
		second.Block, second.Service = "second", "web"
		first.Block = "first"
		// Staged in the opposite order of the config: the first block must win anyway.
		if err := s.StageDeployments(ctx, []doraflow.Deployment{second}); err != nil {
			t.Fatal(err)
		}
		if err := s.StageDeployments(ctx, []doraflow.Deployment{first}); err != nil {
			t.Fatal(err)
		}
		high, err := s.StagingHigh(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ranges := map[string]clickhouse.Range{"stg_deployments": {Hi: high["stg_deployments"]}}
		for i, want := range []uint64{1, 0} {
			n, err := s.PromoteFacts(ctx, nil, ranges, []string{"first", "second"}, s.NextVersion())
			if err != nil {
				t.Fatal(err)
			}
			if n["deployments"] != want {
				t.Fatalf("promote #%d wrote %d deployments, want %d", i+1, n["deployments"], want)
			}
		}
		f, err := s.ServiceFacts(ctx, []string{"api", "web"})
		if err != nil {
			t.Fatal(err)
		}
		if len(f.Deployments) != 1 || f.Deployments[0].Block != "first" || f.Deployments[0].Service != "api" {
			t.Fatalf("facts = %+v, want one deployment of block first in service api", f.Deployments)
		}
	})
}

func TestConcurrentMigrations(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		opts := clickhousetest.Options(t) // a database nobody migrated yet
		ctx := context.Background()
		errs := make(chan error, 3)
		for i := 0; i < 3; i++ {
			go func() {
				s, err := clickhouse.Open(ctx, opts)
				if err != nil {
					errs <- err
					return
				}
				defer s.Close()
				_, err = s.Migrate(ctx)
				errs <- err
			}()
		}
		for i := 0; i < 3; i++ {
			if err := <-errs; err != nil {
				t.Fatalf("concurrent migrate: %v", err)
			}
		}
		s, err := clickhouse.Open(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		res, err := s.Migrate(ctx)
		if err != nil || len(res.Applied) != 0 {
			t.Fatalf("after concurrent migrations: applied %v, err %v; want nothing left", res.Applied, err)
		}
		n, err := s.RowCount(ctx, "dora_daily")
		if err != nil || n != 0 {
			t.Fatalf("dora_daily: %d rows, %v", n, err)
		}
	})
}

// TestCheckSchema: a database never migrated, and one missing a
// migration, are refused with what to run; a migrated one passes.
func TestCheckSchema(t *testing.T) {
	clickhousetest.Run(t, func(t *testing.T) {
		ctx := context.Background()
		s, err := clickhouse.Open(ctx, clickhousetest.Options(t))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		err = s.CheckSchema(ctx)
		if !errors.Is(err, clickhouse.ErrSchemaBehind) || !strings.Contains(err.Error(), "has no doraflow tables yet: run `doraflow migrate`") {
			t.Fatalf("before migrate: %v, want ErrSchemaBehind saying to run doraflow migrate", err)
		}
		if _, err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.CheckSchema(ctx); err != nil {
			t.Fatalf("after migrate: %v", err)
		}
	})
}
