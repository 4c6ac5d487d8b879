-- Every team with facts or events, to tell an unknown --team from one
-- without data in a window.
SELECT DISTINCT team FROM
(
    SELECT team FROM deployments
    UNION ALL
    SELECT team FROM incidents
    UNION ALL
    SELECT team FROM dora_events
)
WHERE team != ''
ORDER BY team
