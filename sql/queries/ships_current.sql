-- Current ship sets of the deployments named in @ids or of services @services.
SELECT deployment_id, argMax(change_ids, version) AS change_ids
FROM ships
WHERE has(CAST(@ids AS Array(String)), deployment_id)
   OR deployment_id IN (SELECT id FROM deployments WHERE has(CAST(@services AS Array(String)), service))
GROUP BY deployment_id
