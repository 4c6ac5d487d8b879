-- Services whose events a batch of staged incidents may change: their own
-- service (window attribution stays inside a service) and the services of
-- the deployments they name now, named before, or were attributed to.
SELECT service FROM stg_incidents WHERE version > @lo AND version <= @hi
UNION ALL
SELECT service FROM incidents
WHERE id IN (SELECT id FROM stg_incidents WHERE version > @lo AND version <= @hi)
UNION ALL
SELECT service FROM deployments
WHERE id IN
(
    SELECT deployment_id FROM stg_incidents WHERE version > @lo AND version <= @hi
    UNION ALL
    SELECT deployment_id FROM incidents
    WHERE id IN (SELECT id FROM stg_incidents WHERE version > @lo AND version <= @hi)
    UNION ALL
    SELECT deployment_id FROM dora_events
    WHERE kind = 'incident' AND entity_id IN (SELECT id FROM stg_incidents WHERE version > @lo AND version <= @hi)
)
