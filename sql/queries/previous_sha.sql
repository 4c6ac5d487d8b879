-- The sha of the latest successful deployment of @repo to @environment
-- before @before, merged-PR deployments aside (METRICS.md: what a
-- deployment ships is compared with the previous one of the same
-- repository and environment).
SELECT sha
FROM
(
    SELECT
        id,
        argMax(environment, version) AS env,
        argMax(status, version) AS st,
        argMax(method, version) AS m,
        argMax(deployed_at, version) AS at,
        argMax(sha, version) AS sha
    FROM deployments
    WHERE repository = @repo
    GROUP BY id
)
WHERE env = @environment AND st = 'success' AND m != 'merged_pr' AND sha != ''
  AND at < toDateTime(@before, 'UTC')
ORDER BY at DESC, id DESC
LIMIT 1
