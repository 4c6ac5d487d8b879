-- Current ship sets of the deployments named in @ids or of services @services.
SELECT deployment_id, current.1 AS change_ids, current.2 AS change_commits
FROM
(
    SELECT deployment_id, argMax(tuple(change_ids, change_commits), version) AS current
    FROM ships
    WHERE has(CAST(@ids AS Array(String)), deployment_id)
       OR deployment_id IN (SELECT id FROM deployments WHERE has(CAST(@services AS Array(String)), service))
    GROUP BY deployment_id
)
