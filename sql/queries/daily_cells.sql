-- The rollup for the days [@from, @to), as stored. Parts of dora_daily
-- merge eventually, so a key may come in several rows: the reader sums
-- them (metrics.Aggregator does), which is far cheaper than sumMap on
-- old servers.
--
-- The multisets travel as text, numbers separated by commas: the Go
-- driver scans an Array column by reflection, one allocation per element,
-- which made that scan most of the read at a million deployments; a
-- String column arrives as bytes and parses in a tight loop.
SELECT
    day, service, team, environment, repository,
    deployments, failed_deployments, rework_deployments,
    arrayStringConcat(arrayMap(x -> toString(x), `leadTimeMap.seconds`), ','),
    arrayStringConcat(arrayMap(x -> toString(x), `leadTimeMap.changes`), ','),
    incidents,
    arrayStringConcat(arrayMap(x -> toString(x), `restoreMap.seconds`), ','),
    arrayStringConcat(arrayMap(x -> toString(x), `restoreMap.incidents`), ',')
FROM dora_daily
WHERE day >= toDate(@from) AND day < toDate(@to)
  AND (@service = '' OR service = @service)
  AND (@team = '' OR team = @team)
