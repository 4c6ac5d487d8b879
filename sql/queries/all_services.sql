-- Every service with facts or events.
SELECT DISTINCT service FROM
(
    SELECT service FROM deployments
    UNION ALL
    SELECT service FROM incidents
    UNION ALL
    SELECT service FROM dora_events
)
ORDER BY service
