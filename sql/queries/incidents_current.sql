-- Current facts of the incidents named in @ids, or of services @services,
-- or naming a deployment of services @services. A retracted incident
-- (0011) is left out: it counts nowhere.
SELECT
    id,
    argMax(block, version) AS block,
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
    argMax(source_service, version) AS source_service,
    argMax(source_service_name, version) AS source_service_name
FROM incidents
WHERE has(CAST(@ids AS Array(String)), id)
   OR id IN
(
    SELECT id FROM incidents
    WHERE has(CAST(@services AS Array(String)), service)
       OR deployment_id IN (SELECT id FROM deployments WHERE has(CAST(@services AS Array(String)), service))
)
GROUP BY id
HAVING argMax(retracted, version) = 0
