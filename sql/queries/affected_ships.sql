-- Services whose events a batch of staged ship sets may change.
SELECT service FROM deployments
WHERE id IN (SELECT deployment_id FROM stg_ships WHERE version > @lo AND version <= @hi)
UNION ALL
SELECT service FROM stg_deployments
WHERE id IN (SELECT deployment_id FROM stg_ships WHERE version > @lo AND version <= @hi)
