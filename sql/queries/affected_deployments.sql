-- Services whose events a batch of staged deployments may change.
SELECT service FROM stg_deployments WHERE version > @lo AND version <= @hi
UNION ALL
SELECT service FROM deployments
WHERE id IN (SELECT id FROM stg_deployments WHERE version > @lo AND version <= @hi)
UNION ALL
SELECT service FROM dora_events
WHERE kind = 'deployment' AND entity_id IN (SELECT id FROM stg_deployments WHERE version > @lo AND version <= @hi)
