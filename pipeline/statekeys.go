package pipeline

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"doraflow/load/clickhouse"
)

// The keys of pipeline_state, every one built and read in this file only:
//
//	watermark/SOURCE/BLOCK        Unix seconds a block was read up to by sync
//	watermark/SOURCE/BLOCK/MARK   a source's own mark for a block (doraflow.Known);
//	                              GitHub's: Unix seconds one repository (owner/name) was read up to
//	backfill/SOURCE/BLOCK/FROM-TO Unix seconds a backfill of [FROM, TO) has done
//	promote/TABLE                 the staging version promote merged TABLE up to
//	promote/rules                 what the stored facts and events were built from (shape.go)
//	etag/…                        the GitHub extractor's conditional requests
//	pending/…                     the runs and deployments the GitHub extractor checks again ("" once done)
//	demo/made-by                  marks a database that doraflow demo made
const (
	watermarkPrefix = "watermark/"
	backfillPrefix  = "backfill/"
	promotePrefix   = "promote/"
	rulesStateKey   = promotePrefix + "rules"
	etagPrefix      = "etag/"
	pendingPrefix   = "pending/"
	demoKey         = "demo/made-by"
)

// watermarkKey is the key of a block's sync watermark.
func watermarkKey(source, block string) string { return watermarkPrefix + source + "/" + block }

// sourceMarks is the prefix of a source's own marks for a block
// (doraflow.Known); the source's key follows it.
func sourceMarks(source, block string) string { return watermarkKey(source, block) + "/" }

// backfillKey is the key of a backfill's checkpoint.
func backfillKey(source, block string, from, to time.Time) string {
	return fmt.Sprintf("%s%s/%s/%d-%d", backfillPrefix, source, block, from.Unix(), to.Unix())
}

// promoteKey is the key of promote's watermark on a staging table.
func promoteKey(table string) string { return promotePrefix + table }

// unixValue is the value of a time key.
func unixValue(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// parseUnix reads the value of a time key; ok is false for one that is
// not a time.
func parseUnix(v string) (t time.Time, ok bool) {
	unix, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(unix, 0).UTC(), true
}

// Watermark is how far sync has read one block, or one repository of it.
type Watermark struct {
	Source, Block string
	Repository    string // "" for the whole block
	Until         time.Time
}

// Watermarks returns every sync watermark of the database, in key order.
func Watermarks(ctx context.Context, store *clickhouse.Store) ([]Watermark, error) {
	entries, err := store.StatePrefix(ctx, watermarkPrefix)
	if err != nil {
		return nil, err
	}
	out := make([]Watermark, 0, len(entries))
	for _, e := range entries {
		parts := strings.SplitN(strings.TrimPrefix(e.Key, watermarkPrefix), "/", 3)
		w := Watermark{Source: parts[0]}
		if len(parts) > 1 {
			w.Block = parts[1]
		}
		if len(parts) > 2 {
			w.Repository = parts[2]
		}
		w.Until, _ = parseUnix(e.Value)
		out = append(out, w)
	}
	return out, nil
}

// MarkDemoDatabase marks the store's database as made by doraflow demo.
func MarkDemoDatabase(ctx context.Context, store *clickhouse.Store) error {
	return store.SetState(ctx, map[string]string{demoKey: "doraflow demo"})
}

// IsDemoDatabase reports whether doraflow demo made the store's database.
func IsDemoDatabase(ctx context.Context, store *clickhouse.Store) (bool, error) {
	by, _, err := store.State(ctx, demoKey)
	return by == "doraflow demo", err
}
