-- The current state of metric events: the newest version of each
-- (service, kind, entity_id, environment). Every filter is optional:
--   @services, @kinds     empty = any
--   @deployments          non-empty: only events attributed to (or, for
--                         changes, first shipped by) these deployments
--   @states               'active' = only events that count; 'all' = also
--                         those that no longer count (promote diffs them)
--   [@from, @to)          the event's time
--   @team, @environment   '' = any
SELECT service, kind, entity_id, environment, team, repository, at, day, value, failed, rework, deployment_id, reason, active
FROM
(
    SELECT
        service, kind, entity_id, environment,
        argMax(team, version) AS team,
        argMax(repository, version) AS repository,
        argMax(at, version) AS at,
        argMax(day, version) AS day,
        argMax(value, version) AS value,
        argMax(failed, version) AS failed,
        argMax(rework, version) AS rework,
        argMax(deployment_id, version) AS deployment_id,
        argMax(reason, version) AS reason,
        argMax(active, version) AS active
    FROM dora_events
    WHERE (empty(CAST(@services AS Array(String))) OR has(CAST(@services AS Array(String)), service))
      AND (empty(CAST(@kinds AS Array(String))) OR has(CAST(@kinds AS Array(String)), kind))
      AND (empty(CAST(@deployments AS Array(String)))
           OR entity_id IN (SELECT entity_id FROM dora_events WHERE has(CAST(@deployments AS Array(String)), deployment_id)))
    GROUP BY service, kind, entity_id, environment
)
WHERE (@states = 'all' OR active = 1)
  AND at >= toDateTime(@from, 'UTC') AND at < toDateTime(@to, 'UTC')
  AND (@team = '' OR team = @team)
  AND (@environment = '' OR environment = @environment)
  AND (empty(CAST(@deployments AS Array(String))) OR has(CAST(@deployments AS Array(String)), deployment_id))

