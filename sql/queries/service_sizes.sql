-- How many fact rows each of @services has, to size promote's batches.
SELECT service, count() AS n
FROM
(
    SELECT service FROM deployments WHERE has(CAST(@services AS Array(String)), service)
    UNION ALL
    SELECT service FROM incidents WHERE has(CAST(@services AS Array(String)), service)
)
GROUP BY service
