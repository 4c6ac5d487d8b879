-- The stages of a change's lead time (docs/metrics.md, "Stages"): when a
-- pull request was opened, first reviewed by someone other than its
-- author (before its merge), and merged. NULL means "not known or not
-- there": always for lone commits, for first_review_at when nobody else
-- reviewed the pull request, and for everything staged before this
-- migration (a resync reads them). Nullable rather than a sentinel
-- 1970-01-01, as incidents' resolved_at: a sentinel would read as a
-- stage of fifty years to any SQL that forgot it.
--
-- ClickHouse 18.16 has no ADD COLUMN IF NOT EXISTS: one column per
-- statement, and migrate treats "column already exists" as done.
ALTER TABLE stg_changes ADD COLUMN opened_at Nullable(DateTime('UTC'))
-- statement
ALTER TABLE stg_changes ADD COLUMN first_review_at Nullable(DateTime('UTC'))
-- statement
ALTER TABLE stg_changes ADD COLUMN merged_at Nullable(DateTime('UTC'))
-- statement
ALTER TABLE changes ADD COLUMN opened_at Nullable(DateTime('UTC'))
-- statement
ALTER TABLE changes ADD COLUMN first_review_at Nullable(DateTime('UTC'))
-- statement
ALTER TABLE changes ADD COLUMN merged_at Nullable(DateTime('UTC'))
-- statement
-- dora_stages_daily: the stages of the changes counted in dora_daily, per
-- calendar day (config time zone) and the same keys, as multisets
-- (value -> count) like dora_daily's lead times, so the medians stay
-- exact. A table of its own, fed by its own view from the stage events
-- (kind 'stage_*' of dora_events), so that dora_daily and dora_daily_mv
-- stay as they are. A stage multiset counts only the changes that have
-- the stage: a pull request nobody else reviewed has no pickup and no
-- review entry.
CREATE TABLE IF NOT EXISTS dora_stages_daily
(
    day                   Date,
    service               String,
    team                  String,
    environment           String,
    repository            String,
    `codingMap.seconds`   Array(Int64),
    `codingMap.changes`   Array(Int64),
    `pickupMap.seconds`   Array(Int64),
    `pickupMap.changes`   Array(Int64),
    `reviewMap.seconds`   Array(Int64),
    `reviewMap.changes`   Array(Int64),
    `deployMap.seconds`   Array(Int64),
    `deployMap.changes`   Array(Int64)
)
ENGINE = SummingMergeTree()
ORDER BY (day, service, team, environment, repository)
-- statement
-- As dora_daily_mv: each stage event contributes -1 x its previous state
-- (when that was active) and +1 x its new state (when active).
CREATE MATERIALIZED VIEW IF NOT EXISTS dora_stages_daily_mv TO dora_stages_daily AS
SELECT
    if(sign = 1, day, prev_day)               AS day,
    service,
    if(sign = 1, team, prev_team)             AS team,
    environment,
    if(sign = 1, repository, prev_repository) AS repository,
    if(kind = 'stage_coding', [if(sign = 1, value, prev_value)], emptyArrayInt64()) AS `codingMap.seconds`,
    if(kind = 'stage_coding', [toInt64(sign)], emptyArrayInt64())                  AS `codingMap.changes`,
    if(kind = 'stage_pickup', [if(sign = 1, value, prev_value)], emptyArrayInt64()) AS `pickupMap.seconds`,
    if(kind = 'stage_pickup', [toInt64(sign)], emptyArrayInt64())                  AS `pickupMap.changes`,
    if(kind = 'stage_review', [if(sign = 1, value, prev_value)], emptyArrayInt64()) AS `reviewMap.seconds`,
    if(kind = 'stage_review', [toInt64(sign)], emptyArrayInt64())                  AS `reviewMap.changes`,
    if(kind = 'stage_deploy', [if(sign = 1, value, prev_value)], emptyArrayInt64()) AS `deployMap.seconds`,
    if(kind = 'stage_deploy', [toInt64(sign)], emptyArrayInt64())                  AS `deployMap.changes`
FROM dora_events
ARRAY JOIN [-1, 1] AS sign
WHERE kind IN ('stage_coding', 'stage_pickup', 'stage_review', 'stage_deploy')
  AND ((sign = 1 AND active = 1) OR (sign = -1 AND prev_active = 1))
