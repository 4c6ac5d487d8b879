-- The newest version of deployment @id, staged or promoted, of any
-- source: what an update of a custom record starts from, and whether an
-- incident's deployment_id names a deployment. A staged row is at least
-- as new as the fact promoted from it, so it wins (as in previous_sha);
-- the facts answer once staging was purged.
SELECT id, block, source, method, service, team, environment, repository, sha, deployed_at, status, url, title, author, retracted
FROM
(
    SELECT id, block, source, method, service, team, environment, repository, sha, deployed_at, status, url, title, author, retracted, 0 AS staged, version
    FROM deployments
    WHERE id = @id
    UNION ALL
    SELECT id, block, source, method, service, team, environment, repository, sha, deployed_at, status, url, title, author, retracted, 1 AS staged, version
    FROM stg_deployments
    WHERE id = @id
)
ORDER BY staged DESC, version DESC
LIMIT 1
