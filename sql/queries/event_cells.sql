-- The metric events with their time in [@from, @to): the same building
-- blocks as the rollup, at event precision, for windows that do not start
-- and end on day boundaries.
SELECT day, service, team, environment, repository, kind, value, failed, rework
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
        argMax(active, version) AS active
    FROM dora_events
    WHERE (@service = '' OR service = @service)
    GROUP BY service, kind, entity_id, environment
)
WHERE active = 1 AND at >= toDateTime(@from, 'UTC') AND at < toDateTime(@to, 'UTC')
  AND (@team = '' OR team = @team)
