-- The stages of lead time (docs/metrics.md, "Stages") in the BI views,
-- so that Grafana, Metabase and plain SQL read what `doraflow metrics`
-- and `explain changes` print (docs/sql.md):
--   * dora_metrics_daily gains the four stage multisets of dora_stages_daily
--     (0012), as its lead times: coding_time_seconds[i] occurred
--     coding_time_changes[i] times, and so on;
--   * dora_changes gains each change's four stages, NULL where the change
--     has no such stage (a pull request nobody else reviewed has no pickup
--     and no review; a lone commit only deploy).
-- Columns are only added (docs/sql.md's contract). ClickHouse 18.16 has no
-- CREATE OR REPLACE VIEW: drop, then create; every joined subquery has an
-- alias, as 0009 explains.
DROP TABLE IF EXISTS dora_metrics_daily
-- statement
-- dora_metrics_daily: as in 0007, with the stage multisets.
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
    time_to_restore_incidents,
    coding_time_seconds, coding_time_changes,
    pickup_time_seconds, pickup_time_changes,
    review_time_seconds, review_time_changes,
    deploy_time_seconds, deploy_time_changes
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
) AS daily
ANY LEFT JOIN
(
    -- The stage rollup has a row only where dora_daily has the changes
    -- whose stages it holds, so a left join loses nothing; a day without
    -- stages gets empty multisets.
    SELECT
        day, service, team, environment, repository,
        sumMap(`codingMap.seconds`, `codingMap.changes`) AS coding,
        arrayFilter((s, n) -> n > 0, tupleElement(coding, 1), tupleElement(coding, 2)) AS coding_time_seconds,
        arrayFilter(n -> n > 0, tupleElement(coding, 2)) AS coding_time_changes,
        sumMap(`pickupMap.seconds`, `pickupMap.changes`) AS pickup,
        arrayFilter((s, n) -> n > 0, tupleElement(pickup, 1), tupleElement(pickup, 2)) AS pickup_time_seconds,
        arrayFilter(n -> n > 0, tupleElement(pickup, 2)) AS pickup_time_changes,
        sumMap(`reviewMap.seconds`, `reviewMap.changes`) AS review,
        arrayFilter((s, n) -> n > 0, tupleElement(review, 1), tupleElement(review, 2)) AS review_time_seconds,
        arrayFilter(n -> n > 0, tupleElement(review, 2)) AS review_time_changes,
        sumMap(`deployMap.seconds`, `deployMap.changes`) AS deploy,
        arrayFilter((s, n) -> n > 0, tupleElement(deploy, 1), tupleElement(deploy, 2)) AS deploy_time_seconds,
        arrayFilter(n -> n > 0, tupleElement(deploy, 2)) AS deploy_time_changes
    FROM dora_stages_daily
    GROUP BY day, service, team, environment, repository
) AS stages USING day, service, team, environment, repository
WHERE deployments != 0 OR failed_deployments != 0 OR rework_deployments != 0 OR incidents != 0
   OR notEmpty(lead_time_seconds) OR notEmpty(time_to_restore_seconds)
-- statement
DROP TABLE IF EXISTS dora_changes
-- statement
-- dora_changes: as in 0009, with each change's stages; the change event
-- and its stage events are read in one pass over dora_events.
CREATE VIEW IF NOT EXISTS dora_changes AS
SELECT
    id, service, team, environment, repository,
    deployment_id, deployed_at, day, lead_time_seconds,
    kind, number, sha, started_at, title, labels, url, author,
    coding_seconds, pickup_seconds, review_seconds, deploy_seconds
FROM
(
    SELECT
        entity_id AS id, service, environment,
        anyIf(ev_team, kind = 'change') AS team,
        anyIf(ev_repository, kind = 'change') AS repository,
        anyIf(ev_deployment_id, kind = 'change') AS deployment_id,
        anyIf(ev_at, kind = 'change') AS deployed_at,
        anyIf(ev_day, kind = 'change') AS day,
        anyIf(ev_value, kind = 'change') AS lead_time_seconds,
        if(countIf(kind = 'stage_coding') = 0, NULL, anyIf(ev_value, kind = 'stage_coding')) AS coding_seconds,
        if(countIf(kind = 'stage_pickup') = 0, NULL, anyIf(ev_value, kind = 'stage_pickup')) AS pickup_seconds,
        if(countIf(kind = 'stage_review') = 0, NULL, anyIf(ev_value, kind = 'stage_review')) AS review_seconds,
        if(countIf(kind = 'stage_deploy') = 0, NULL, anyIf(ev_value, kind = 'stage_deploy')) AS deploy_seconds
    FROM
    (
        -- The current state of each change event and of the stage events
        -- beside it (same service, entity and environment).
        SELECT
            service, kind, entity_id, environment,
            argMax(team, version) AS ev_team,
            argMax(repository, version) AS ev_repository,
            argMax(deployment_id, version) AS ev_deployment_id,
            argMax(at, version) AS ev_at,
            argMax(day, version) AS ev_day,
            argMax(value, version) AS ev_value,
            argMax(active, version) AS ev_active
        FROM dora_events
        WHERE kind IN ('change', 'stage_coding', 'stage_pickup', 'stage_review', 'stage_deploy')
        GROUP BY service, kind, entity_id, environment
        HAVING ev_active = 1
    ) AS events
    GROUP BY service, entity_id, environment
    HAVING countIf(kind = 'change') = 1
) AS ev
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
) AS c USING id
