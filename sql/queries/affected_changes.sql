-- Services whose events a batch of staged changes may change: those of the
-- deployments that ship them, and those holding events for them.
SELECT service FROM deployments
WHERE id IN
(
    SELECT deployment_id FROM ships ARRAY JOIN change_ids AS change_id
    WHERE change_id IN (SELECT id FROM stg_changes WHERE version > @lo AND version <= @hi)
    UNION ALL
    SELECT deployment_id FROM stg_ships ARRAY JOIN change_ids AS change_id
    WHERE change_id IN (SELECT id FROM stg_changes WHERE version > @lo AND version <= @hi)
)
UNION ALL
SELECT service FROM dora_events
WHERE kind = 'change' AND entity_id IN (SELECT id FROM stg_changes WHERE version > @lo AND version <= @hi)
