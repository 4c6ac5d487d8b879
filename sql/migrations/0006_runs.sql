-- The run ledger: one row per job run (a sync of one block, a backfill
-- chunk, a promote), written when it starts and again when it ends; the
-- newest version of a run_id is its state. `doraflow status` reads it.
CREATE TABLE IF NOT EXISTS runs
(
    run_id           String,
    job              String,
    source           String,
    block            String,
    window_from      DateTime('UTC'),
    window_to        DateTime('UTC'),
    started_at       DateTime('UTC'),
    finished_at      DateTime('UTC'),
    status           String,
    rows_deployments UInt64,
    rows_changes     UInt64,
    rows_incidents   UInt64,
    api_requests     UInt64,
    error            String,
    version          UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY run_id
