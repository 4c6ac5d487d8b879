-- The fact views of 0007_views.sql, with an alias on every joined
-- subquery. ClickHouse 18.16 accepts joins without them, but every later
-- release refuses them (joined_subquery_requires_alias, on by default,
-- and the new analyzer alike), so a database migrated by an older
-- doraflow gets its views replaced here; nothing else changes and no
-- fact is touched. 18.16 has no CREATE OR REPLACE VIEW: drop, then
-- create.
--
-- Joins use the ANY LEFT JOIN ... USING form that ClickHouse 18.16
-- understands; a row without a match gets default values (0, ''), which
-- the views turn into NULL where a value would mislead. Both sides of
-- each join name only the key in common, so USING needs no qualifier.
DROP TABLE IF EXISTS dora_deployments
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
) AS d
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
) AS ev USING id
-- statement
DROP TABLE IF EXISTS dora_changes
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
-- statement
DROP TABLE IF EXISTS dora_incidents
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
) AS i
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
) AS ev USING id
