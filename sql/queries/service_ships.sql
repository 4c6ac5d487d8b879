-- Current ship sets of the deployments of @services.
SELECT deployment_id, argMax(change_ids, version) AS change_ids
FROM ships
WHERE deployment_id IN (SELECT id FROM deployments WHERE has(CAST(@services AS Array(String)), service))
GROUP BY deployment_id
