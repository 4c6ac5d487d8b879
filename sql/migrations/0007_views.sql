-- Views for BI tools (Grafana, Metabase, plain SQL): their names and
-- columns are a public contract, documented in docs/sql.md. They read only
-- the current state, so a query never has to know about versions,
-- retractions or merges:
--   * dora_metrics_daily aggregates dora_daily (sum, sumMap) because
--     SummingMergeTree merges parts eventually: until then a day may sit in
--     several rows, and a retraction (-1) in another row than its original;
--   * dora_deployments, dora_changes and dora_incidents take the newest
--     version of each fact and metric event (argMax(..., version)).
-- dora_metrics_daily stays small (a row per day and keys); the fact views
-- read every fact whenever they are queried, so they are for drill-downs
-- and lists, and dora_metrics_daily for numbers.
--
-- The three fact views were first created here with joins whose
-- subqueries had no aliases, which every release since 18.16 refuses
-- (joined_subquery_requires_alias): 0009_views_aliased.sql creates them
-- now, and replaces the old ones in databases migrated before it.

-- dora_metrics_daily: the metric building blocks per calendar day (in the
-- config time zone), service, team, environment and repository, with
-- every count at its current value. Lead times and times to restore are
-- multisets: lead_time_seconds[i] occurred lead_time_changes[i] times,
-- sorted by value, so percentiles of any slice stay exact (docs/sql.md).
-- Rows where nothing counts (a retraction that cancelled its original)
-- are left out.
CREATE VIEW IF NOT EXISTS dora_metrics_daily AS
SELECT
    day,
    service,
    team,
    environment,
    repository,
    deployments,
    failed_deployments,
    rework_deployments,
    arraySum(lead_time_changes) AS changes,
    arraySum(arrayMap((s, n) -> s * n, lead_time_seconds, lead_time_changes)) AS lead_time_seconds_sum,
    lead_time_seconds,
    lead_time_changes,
    incidents,
    arraySum(time_to_restore_incidents) AS restored_incidents,
    arraySum(arrayMap((s, n) -> s * n, time_to_restore_seconds, time_to_restore_incidents)) AS time_to_restore_seconds_sum,
    time_to_restore_seconds,
    time_to_restore_incidents
FROM
(
    SELECT
        day, service, team, environment, repository,
        sum(deployments) AS deployments,
        sum(failed_deployments) AS failed_deployments,
        sum(rework_deployments) AS rework_deployments,
        sumMap(`leadTimeMap.seconds`, `leadTimeMap.changes`) AS lead,
        -- Every retraction lands on the exact row of what it retracts, so
        -- once a row is summed its counts are true counts (>= 0); values
        -- that netted to 0 are dropped here whatever the server's sumMap
        -- does with zeros.
        arrayFilter((s, n) -> n > 0, tupleElement(lead, 1), tupleElement(lead, 2)) AS lead_time_seconds,
        arrayFilter(n -> n > 0, tupleElement(lead, 2)) AS lead_time_changes,
        sum(incidents) AS incidents,
        sumMap(`restoreMap.seconds`, `restoreMap.incidents`) AS restore,
        arrayFilter((s, n) -> n > 0, tupleElement(restore, 1), tupleElement(restore, 2)) AS time_to_restore_seconds,
        arrayFilter(n -> n > 0, tupleElement(restore, 2)) AS time_to_restore_incidents
    FROM dora_daily
    GROUP BY day, service, team, environment, repository
)
WHERE deployments != 0 OR failed_deployments != 0 OR rework_deployments != 0 OR incidents != 0
   OR notEmpty(lead_time_seconds) OR notEmpty(time_to_restore_seconds)
