-- The rollup for the days [@from, @to), as stored. Parts of dora_daily
-- merge eventually, so a key may come in several rows: the reader sums
-- them (metrics.Aggregator does), which is far cheaper than sumMap on
-- old servers.
SELECT
    day, service, team, environment, repository,
    deployments, failed_deployments, rework_deployments,
    `leadTimeMap.seconds`, `leadTimeMap.changes`,
    incidents,
    `restoreMap.seconds`, `restoreMap.incidents`
FROM dora_daily
WHERE day >= toDate(@from) AND day < toDate(@to)
  AND (@service = '' OR service = @service)
  AND (@team = '' OR team = @team)
