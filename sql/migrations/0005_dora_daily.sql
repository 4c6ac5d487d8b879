-- dora_daily: the metric building blocks per calendar day (in the config
-- time zone) and service, team, environment and repository. Counts are
-- sums; lead times and times to restore are multisets (value -> count) in
-- SummingMergeTree "Map" nested columns, so percentiles stay exact: a
-- retraction adds -1 to a value's count and merges drop entries at 0.
-- Readers must still aggregate (sum, sumMap) because merges are eventual.
CREATE TABLE IF NOT EXISTS dora_daily
(
    day                  Date,
    service              String,
    team                 String,
    environment          String,
    repository           String,
    deployments          Int64,
    failed_deployments   Int64,
    rework_deployments   Int64,
    `leadTimeMap.seconds` Array(Int64),
    `leadTimeMap.changes` Array(Int64),
    incidents            Int64,
    `restoreMap.seconds`  Array(Int64),
    `restoreMap.incidents` Array(Int64)
)
ENGINE = SummingMergeTree()
ORDER BY (day, service, team, environment, repository)
-- statement
-- Each dora_events row contributes -1 x its previous state (when that was
-- active) and +1 x its new state (when active).
CREATE MATERIALIZED VIEW IF NOT EXISTS dora_daily_mv TO dora_daily AS
SELECT
    if(sign = 1, day, prev_day)               AS day,
    service,
    if(sign = 1, team, prev_team)             AS team,
    environment,
    if(sign = 1, repository, prev_repository) AS repository,
    toInt64(sign * (kind = 'deployment'))                                   AS deployments,
    toInt64(sign * (kind = 'deployment') * if(sign = 1, failed, prev_failed)) AS failed_deployments,
    toInt64(sign * (kind = 'deployment') * if(sign = 1, rework, prev_rework)) AS rework_deployments,
    if(kind = 'change', [if(sign = 1, value, prev_value)], emptyArrayInt64()) AS `leadTimeMap.seconds`,
    if(kind = 'change', [toInt64(sign)], emptyArrayInt64())                  AS `leadTimeMap.changes`,
    toInt64(sign * (kind = 'incident'))                                     AS incidents,
    if(kind = 'restore', [if(sign = 1, value, prev_value)], emptyArrayInt64()) AS `restoreMap.seconds`,
    if(kind = 'restore', [toInt64(sign)], emptyArrayInt64())                 AS `restoreMap.incidents`
FROM dora_events
ARRAY JOIN [-1, 1] AS sign
WHERE (sign = 1 AND active = 1) OR (sign = -1 AND prev_active = 1)
