-- The rollup for the days [@from, @to), one row per day and keys. Rows
-- must still be aggregated: SummingMergeTree merges parts eventually.
SELECT
    day, service, team, environment, repository,
    deployments, failed_deployments, rework_deployments,
    tupleElement(lead, 1) AS lead_seconds, tupleElement(lead, 2) AS lead_changes,
    incidents,
    tupleElement(restore, 1) AS restore_seconds, tupleElement(restore, 2) AS restore_incidents
FROM
(
    SELECT
        day, service, team, environment, repository,
        sum(deployments) AS deployments,
        sum(failed_deployments) AS failed_deployments,
        sum(rework_deployments) AS rework_deployments,
        sumMap(`leadTimeMap.seconds`, `leadTimeMap.changes`) AS lead,
        sum(incidents) AS incidents,
        sumMap(`restoreMap.seconds`, `restoreMap.incidents`) AS restore
    FROM dora_daily
    WHERE day >= toDate(@from) AND day < toDate(@to)
      AND (@service = '' OR service = @service)
      AND (@team = '' OR team = @team)
    GROUP BY day, service, team, environment, repository
)
