-- The newest state of the @limit most recently started runs.
SELECT run_id, job, source, block, window_from, window_to, started_at, finished_at, status,
       rows_deployments, rows_changes, rows_incidents, api_requests, error
FROM
(
    SELECT
        run_id,
        argMax(job, version) AS job,
        argMax(source, version) AS source,
        argMax(block, version) AS block,
        argMax(window_from, version) AS window_from,
        argMax(window_to, version) AS window_to,
        argMax(started_at, version) AS started_at,
        argMax(finished_at, version) AS finished_at,
        argMax(status, version) AS status,
        argMax(rows_deployments, version) AS rows_deployments,
        argMax(rows_changes, version) AS rows_changes,
        argMax(rows_incidents, version) AS rows_incidents,
        argMax(api_requests, version) AS api_requests,
        argMax(error, version) AS error
    FROM runs
    GROUP BY run_id
)
ORDER BY started_at DESC, run_id DESC
LIMIT @limit
