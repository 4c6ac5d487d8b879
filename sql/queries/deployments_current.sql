-- Current facts of the deployments named in @ids, or of services @services
-- (every status). A deployment whose newest version left those services is
-- dropped: any version naming them brings it in, the newest decides. A
-- retracted deployment (0011) is left out: it counts nowhere.
SELECT id, block, source, method, service, team, environment, repository, sha, deployed_at, status, url, title, author
FROM
(
    SELECT
        id,
        argMax(block, version) AS block,
        argMax(source, version) AS source,
        argMax(method, version) AS method,
        argMax(service, version) AS service,
        argMax(team, version) AS team,
        argMax(environment, version) AS environment,
        argMax(repository, version) AS repository,
        argMax(sha, version) AS sha,
        argMax(deployed_at, version) AS deployed_at,
        argMax(status, version) AS status,
        argMax(url, version) AS url,
        argMax(title, version) AS title,
        argMax(author, version) AS author,
        argMax(retracted, version) AS retracted
    FROM deployments
    WHERE has(CAST(@ids AS Array(String)), id)
       OR id IN (SELECT id FROM deployments WHERE has(CAST(@services AS Array(String)), service))
    GROUP BY id
)
WHERE (has(CAST(@ids AS Array(String)), id) OR has(CAST(@services AS Array(String)), service))
  AND retracted = 0
