-- Every environment a deployment that is not retracted was recorded or
-- read in: what a new custom deployment's environment is checked against.
SELECT DISTINCT environment
FROM
(
    SELECT id, argMax(environment, version) AS environment, argMax(retracted, version) AS retracted
    FROM deployments
    GROUP BY id
)
WHERE retracted = 0
ORDER BY environment
