-- Promote staged incidents in (@lo, @hi], keeping per id the first block
-- in config order, as promote_deployments does. merged_into is part of the
-- content: a merge seen later is a new version of the fact.
INSERT INTO incidents (id, block, source, service, team, created_at, resolved_at, deployment_id, title, url, assignee, urgency, priority, merged_into, retracted, source_service, source_service_name, content_hash, version)
SELECT id, block, source, service, team, created_at, resolved_at, deployment_id, title, url, assignee, urgency, priority, merged_into, retracted, source_service, source_service_name, content_hash, @version
FROM
(
    SELECT
        id,
        argMin(block, rank) AS block,
        argMin(source, rank) AS source,
        argMin(service, rank) AS service,
        argMin(team, rank) AS team,
        argMin(created_at, rank) AS created_at,
        argMin(resolved_at, rank) AS resolved_at,
        argMin(deployment_id, rank) AS deployment_id,
        argMin(title, rank) AS title,
        argMin(url, rank) AS url,
        argMin(assignee, rank) AS assignee,
        argMin(urgency, rank) AS urgency,
        argMin(priority, rank) AS priority,
        argMin(merged_into, rank) AS merged_into,
        argMin(retracted, rank) AS retracted,
        argMin(source_service, rank) AS source_service,
        argMin(source_service_name, rank) AS source_service_name,
        -- retracted (0011) and the source's service (0014) join the hash
        -- only when set, as in promote_deployments, so that the facts
        -- promoted before them keep their hash.
        multiIf(source_service != '' OR source_service_name != '',
                cityHash64(block, source, service, team, created_at, ifNull(toString(resolved_at), ''), deployment_id, title, url, assignee, urgency, priority, merged_into, retracted, source_service, source_service_name),
                retracted = 0,
                cityHash64(block, source, service, team, created_at, ifNull(toString(resolved_at), ''), deployment_id, title, url, assignee, urgency, priority, merged_into),
                cityHash64(block, source, service, team, created_at, ifNull(toString(resolved_at), ''), deployment_id, title, url, assignee, urgency, priority, merged_into, retracted)) AS content_hash
    FROM
    (
        SELECT
            id,
            block,
            (if(indexOf(CAST(@blocks AS Array(String)), block) = 0, 1000000, indexOf(CAST(@blocks AS Array(String)), block)), block) AS rank,
            argMax(source, version) AS source,
            argMax(service, version) AS service,
            argMax(team, version) AS team,
            argMax(created_at, version) AS created_at,
            argMax(resolved_at, version) AS resolved_at,
            argMax(deployment_id, version) AS deployment_id,
            argMax(title, version) AS title,
            argMax(url, version) AS url,
            argMax(assignee, version) AS assignee,
            argMax(urgency, version) AS urgency,
            argMax(priority, version) AS priority,
            argMax(merged_into, version) AS merged_into,
            argMax(retracted, version) AS retracted,
            argMax(source_service, version) AS source_service,
            argMax(source_service_name, version) AS source_service_name
        FROM stg_incidents
        WHERE id IN (SELECT id FROM stg_incidents WHERE version > @lo AND version <= @hi)
          AND version <= @hi
        GROUP BY id, block
    )
    GROUP BY id
)
WHERE (id, content_hash) NOT IN
(
    SELECT id, argMax(content_hash, version)
    FROM incidents
    WHERE id IN (SELECT id FROM stg_incidents WHERE version > @lo AND version <= @hi)
    GROUP BY id
)
