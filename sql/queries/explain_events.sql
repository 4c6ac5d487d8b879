-- The active metric events of @kinds with their time in [@from, @to),
-- narrowed by service, team and environment ('' = any), oldest first.
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
    WHERE has(CAST(@kinds AS Array(String)), kind)
      AND (@service = '' OR service = @service)
    GROUP BY service, kind, entity_id, environment
)
WHERE active = 1 AND at >= toDateTime(@from, 'UTC') AND at < toDateTime(@to, 'UTC')
  AND (@team = '' OR team = @team)
  AND (@environment = '' OR environment = @environment)
ORDER BY at, service, entity_id
