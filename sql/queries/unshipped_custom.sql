-- Successful custom deployments with a repository and sha whose changes
-- were never looked up (no ship set yet), oldest first, at most @limit;
-- retracted ones need none.
SELECT id, repository, environment, sha, deployed_at
FROM
(
    SELECT
        id,
        argMax(method, version) AS m,
        argMax(status, version) AS st,
        argMax(repository, version) AS repository,
        argMax(environment, version) AS environment,
        argMax(sha, version) AS sha,
        argMax(deployed_at, version) AS deployed_at,
        argMax(retracted, version) AS retracted
    FROM deployments
    GROUP BY id
)
WHERE m = 'custom' AND st = 'success' AND retracted = 0 AND repository != '' AND sha != ''
  AND id NOT IN (SELECT deployment_id FROM ships)
  AND id NOT IN (SELECT deployment_id FROM stg_ships)
ORDER BY deployed_at, id
LIMIT @limit
