-- The sha of the latest successful deployment of @repo to @environment
-- before @before, merged-PR deployments aside (docs/metrics.md: what a
-- deployment ships is compared with the previous one of the same
-- repository and environment). A retracted deployment shipped nothing.
SELECT sha
FROM
(
    SELECT
        id,
        argMax(environment, version) AS env,
        argMax(status, version) AS st,
        argMax(method, version) AS m,
        argMax(deployed_at, version) AS at,
        argMax(sha, version) AS sha,
        argMax(retracted, version) AS retracted
    FROM
    (
        -- The facts and what is staged but not promoted yet: a backfill
        -- promotes at its end, so the previous deployment of a chunk's
        -- first one is often still staged. Without it, what a deployment
        -- ships would depend on where the chunks begin. A staged row is
        -- at least as new as the fact promoted from it, so it wins.
        SELECT id, environment, status, method, deployed_at, sha, retracted, (0, version) AS version
        FROM deployments
        WHERE repository = @repo
        UNION ALL
        SELECT id, environment, status, method, deployed_at, sha, retracted, (1, version) AS version
        FROM stg_deployments
        WHERE repository = @repo
    )
    GROUP BY id
)
WHERE env = @environment AND st = 'success' AND m != 'merged_pr' AND sha != '' AND retracted = 0
  AND at < toDateTime(@before, 'UTC')
ORDER BY at DESC, id DESC
LIMIT 1
