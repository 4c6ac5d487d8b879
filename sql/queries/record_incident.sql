-- The newest version of incident @id, staged or promoted, of any source:
-- what an update of a custom record starts from (see record_deployment).
SELECT id, block, source, service, team, created_at, resolved_at, deployment_id, title, url, assignee, urgency, priority, retracted
FROM
(
    SELECT id, block, source, service, team, created_at, resolved_at, deployment_id, title, url, assignee, urgency, priority, retracted, 0 AS staged, version
    FROM incidents
    WHERE id = @id
    UNION ALL
    SELECT id, block, source, service, team, created_at, resolved_at, deployment_id, title, url, assignee, urgency, priority, retracted, 1 AS staged, version
    FROM stg_incidents
    WHERE id = @id
)
ORDER BY staged DESC, version DESC
LIMIT 1
