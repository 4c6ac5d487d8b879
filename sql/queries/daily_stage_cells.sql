-- The stage rollup for the days [@from, @to), as stored, beside
-- daily_cells.sql (which see: rows of a key are summed by the reader,
-- multisets travel as text).
SELECT
    day, service, team, environment, repository,
    arrayStringConcat(arrayMap(x -> toString(x), `codingMap.seconds`), ','),
    arrayStringConcat(arrayMap(x -> toString(x), `codingMap.changes`), ','),
    arrayStringConcat(arrayMap(x -> toString(x), `pickupMap.seconds`), ','),
    arrayStringConcat(arrayMap(x -> toString(x), `pickupMap.changes`), ','),
    arrayStringConcat(arrayMap(x -> toString(x), `reviewMap.seconds`), ','),
    arrayStringConcat(arrayMap(x -> toString(x), `reviewMap.changes`), ','),
    arrayStringConcat(arrayMap(x -> toString(x), `deployMap.seconds`), ','),
    arrayStringConcat(arrayMap(x -> toString(x), `deployMap.changes`), ',')
FROM dora_stages_daily
WHERE day >= toDate(@from) AND day < toDate(@to)
  AND (@service = '' OR service = @service)
  AND (@team = '' OR team = @team)
