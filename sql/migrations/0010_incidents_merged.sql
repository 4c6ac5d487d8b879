-- Incidents merged into another. PagerDuty resolves a merged incident at
-- the merge with resolve_reason merge_resolve_reason and keeps it listed;
-- METRICS.md: it "is not an incident of its own: it is part of the one it
-- was merged into". merged_into holds the id of that incident, '' for an
-- incident of its own (every incident staged before this migration). The
-- facts keep a merged incident; a new version carries the mark, so one
-- seen open (and counted) before its merge stops counting once a sync
-- sees it merged: promote recomputes its events without it.
--
-- ClickHouse 18.16 has no ADD COLUMN IF NOT EXISTS: migrate treats
-- "column already exists" from an ADD COLUMN as done (see 0008).
ALTER TABLE stg_incidents ADD COLUMN merged_into String
-- statement
ALTER TABLE incidents ADD COLUMN merged_into String
-- statement
DROP TABLE IF EXISTS dora_incidents
-- statement
-- dora_incidents: one row per incident of its own (merged incidents are
-- left out: they are part of the incident they were merged into), with the
-- day it counts on, its time to restore once resolved, and the deployment
-- it is attributed to (explicitly named, or by the attribution window) if
-- any. As in 0009, but for the HAVING.
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
    HAVING argMax(merged_into, version) = ''
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
