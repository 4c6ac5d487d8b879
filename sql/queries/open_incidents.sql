-- Incidents of @source that are open in the current facts.
SELECT id
FROM
(
    SELECT id, argMax(source, version) AS src, argMax(resolved_at, version) AS resolved
    FROM incidents
    GROUP BY id
)
WHERE src = @source AND resolved IS NULL
ORDER BY id
