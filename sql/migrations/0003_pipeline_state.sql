-- Small key/value state of the pipeline: promote watermarks per staging
-- table, the fingerprint of the metric rules the events were computed
-- with, and (later) extractor watermarks. Written only after the work it
-- records has succeeded.
CREATE TABLE IF NOT EXISTS pipeline_state
(
    key        String,
    value      String,
    version    UInt64,
    updated_at DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree(version)
ORDER BY key
