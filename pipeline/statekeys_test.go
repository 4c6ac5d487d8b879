package pipeline_test

import (
	"reflect"
	"testing"
	"time"

	"doraflow/load/clickhouse/clickhousetest"
	"doraflow/pipeline"
	"doraflow/pipeline/pipelinetest"
)

// TestWatermarks reads back the watermarks status shows: a block's, and a
// GitHub block's per repository (whose name holds a slash); other keys of
// pipeline_state are not watermarks.
func TestWatermarks(t *testing.T) {
	t.Parallel()
	clickhousetest.Run(t, func(t *testing.T) {
		h := pipelinetest.New(t, nil)
		must(t, h.Store.SetState(h.Ctx, map[string]string{
			"watermark/pagerduty/pd":             "1704189600",
			"watermark/github/deploys/acme/api":  "1704193200",
			"promote/stg_deployments":            "42",
			"backfill/github/deploys/1-2":        "2",
			"watermark/github/deploys/acme/web2": "not a time",
		}))
		got, err := pipeline.Watermarks(h.Ctx, h.Store)
		must(t, err)
		want := []pipeline.Watermark{
			{Source: "github", Block: "deploys", Repository: "acme/api", Until: time.Unix(1704193200, 0).UTC()},
			{Source: "github", Block: "deploys", Repository: "acme/web2"},
			{Source: "pagerduty", Block: "pd", Until: time.Unix(1704189600, 0).UTC()},
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("watermarks = %+v\nwant %+v", got, want)
		}
	})
}
