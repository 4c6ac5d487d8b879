-- Current state of the metric events of @services, active or not.
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
    WHERE has(CAST(@services AS Array(String)), service)
    GROUP BY service, kind, entity_id, environment
)
