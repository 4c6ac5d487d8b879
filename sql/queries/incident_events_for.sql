-- The active incident events attributed to the deployments @ids, whenever
-- they happened: the causes of failed deployments.
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
    WHERE kind = 'incident'
      AND entity_id IN (SELECT entity_id FROM dora_events WHERE kind = 'incident' AND has(CAST(@ids AS Array(String)), deployment_id))
    GROUP BY service, kind, entity_id, environment
)
WHERE active = 1 AND has(CAST(@ids AS Array(String)), deployment_id)
ORDER BY at, entity_id
