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
-- Joins use the ANY LEFT JOIN ... USING form that ClickHouse 18.16
-- understands; a row without a match gets default values (0, ''), which
-- the views turn into NULL where a value would mislead.

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
-- statement
-- dora_deployments: one row per deployment the sources reported, counted
-- or not (failed workflow runs, custom deployments recorded as failures),
-- with what the metrics made of it. counted = 1 for the deployments that
-- count; day is then the calendar day (config time zone) they count on,
-- NULL otherwise.
CREATE VIEW IF NOT EXISTS dora_deployments AS
SELECT
    id, block, source, method, service, team, environment, repository, sha,
    deployed_at,
    if(counted = 1, deployment_day, NULL) AS day,
    status, url, title, author,
    counted, failed, rework, changes, incidents
FROM
(
    SELECT
        id,
        argMax(block, version) AS block,
        argMax(source, version) AS source,
        argMax(method, version) AS method,
        argMax(service, version) AS service,
        argMax(team, version) AS team,
        argMax(environment, version) AS environment,
        argMax(repository, version) AS repository,
        argMax(sha, version) AS sha,
        argMax(deployed_at, version) AS deployed_at,
        argMax(status, version) AS status,
        argMax(url, version) AS url,
        argMax(title, version) AS title,
        argMax(author, version) AS author
    FROM deployments
    GROUP BY id
)
ANY LEFT JOIN
(
    -- Every event names a deployment: a deployment event its own, a change
    -- event the deployment that first shipped it, an incident event the
    -- deployment it is attributed to.
    SELECT
        deployment_id AS id,
        toUInt8(countIf(kind = 'deployment') > 0) AS counted,
        anyIf(ev_day, kind = 'deployment') AS deployment_day,
        maxIf(ev_failed, kind = 'deployment') AS failed,
        maxIf(ev_rework, kind = 'deployment') AS rework,
        countIf(kind = 'change') AS changes,
        countIf(kind = 'incident') AS incidents
    FROM
    (
        SELECT
            service, kind, entity_id, environment,
            argMax(deployment_id, version) AS deployment_id,
            argMax(day, version) AS ev_day,
            argMax(failed, version) AS ev_failed,
            argMax(rework, version) AS ev_rework,
            argMax(active, version) AS ev_active
        FROM dora_events
        WHERE kind IN ('deployment', 'change', 'incident')
        GROUP BY service, kind, entity_id, environment
    )
    WHERE ev_active = 1 AND deployment_id != ''
    GROUP BY deployment_id
) USING id
-- statement
-- dora_changes: one row per change and the service and environment it was
-- deployed to, at the first deployment that shipped it there (the grain
-- the metrics count changes at), with its lead time. Changes no counted
-- deployment shipped yet are not here.
CREATE VIEW IF NOT EXISTS dora_changes AS
SELECT
    id, service, team, environment, repository,
    deployment_id, deployed_at, day, lead_time_seconds,
    kind, number, sha, started_at, title, labels, url, author
FROM
(
    SELECT
        entity_id AS id, service, environment,
        argMax(team, version) AS team,
        argMax(repository, version) AS repository,
        argMax(deployment_id, version) AS deployment_id,
        argMax(at, version) AS deployed_at,
        argMax(day, version) AS day,
        argMax(value, version) AS lead_time_seconds,
        argMax(active, version) AS ev_active
    FROM dora_events
    WHERE kind = 'change'
    GROUP BY service, kind, entity_id, environment
    HAVING ev_active = 1
)
ANY LEFT JOIN
(
    SELECT
        id,
        argMax(kind, version) AS kind,
        argMax(number, version) AS number,
        argMax(sha, version) AS sha,
        argMax(started_at, version) AS started_at,
        argMax(title, version) AS title,
        argMax(labels, version) AS labels,
        argMax(url, version) AS url,
        argMax(author, version) AS author
    FROM changes
    GROUP BY id
) USING id
-- statement
-- dora_incidents: one row per incident, with the day it counts on, its
-- time to restore once resolved, and the deployment it is attributed to
-- (explicitly named, or by the attribution window) if any.
CREATE VIEW IF NOT EXISTS dora_incidents AS
SELECT
    id, block, source, service, team, title, url, assignee, urgency, priority,
    created_at, resolved_at,
    day,
    if(restored = 1, restore_day, NULL) AS resolved_day,
    if(restored = 1, restore_seconds, NULL) AS time_to_restore_seconds,
    deployment_id, attribution
FROM
(
    SELECT
        id,
        argMax(block, version) AS block,
        argMax(source, version) AS source,
        argMax(service, version) AS service,
        argMax(team, version) AS team,
        argMax(title, version) AS title,
        argMax(url, version) AS url,
        argMax(assignee, version) AS assignee,
        argMax(urgency, version) AS urgency,
        argMax(priority, version) AS priority,
        argMax(created_at, version) AS created_at,
        argMax(resolved_at, version) AS resolved_at
    FROM incidents
    GROUP BY id
)
ANY LEFT JOIN
(
    SELECT
        entity_id AS id,
        anyIf(ev_day, kind = 'incident') AS day,
        anyIf(ev_deployment_id, kind = 'incident') AS deployment_id,
        anyIf(ev_reason, kind = 'incident') AS attribution,
        toUInt8(countIf(kind = 'restore') > 0) AS restored,
        anyIf(ev_day, kind = 'restore') AS restore_day,
        anyIf(ev_value, kind = 'restore') AS restore_seconds
    FROM
    (
        SELECT
            service, kind, entity_id, environment,
            argMax(day, version) AS ev_day,
            argMax(deployment_id, version) AS ev_deployment_id,
            argMax(reason, version) AS ev_reason,
            argMax(value, version) AS ev_value,
            argMax(active, version) AS ev_active
        FROM dora_events
        WHERE kind IN ('incident', 'restore')
        GROUP BY service, kind, entity_id, environment
    )
    WHERE ev_active = 1
    GROUP BY entity_id
) USING id
