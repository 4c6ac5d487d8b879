-- Promote staged deployments whose staging version lies in (@lo, @hi] into
-- the deployments facts. Per id it keeps the newest staged row of each
-- block, then the block that comes first in the config (@blocks; unknown
-- blocks rank last, by name), and inserts it only when its content differs
-- from the current fact, so a repeat changes nothing.
INSERT INTO deployments (id, block, source, method, service, team, environment, repository, sha, deployed_at, status, url, title, author, retracted, content_hash, version)
SELECT id, block, source, method, service, team, environment, repository, sha, deployed_at, status, url, title, author, retracted, content_hash, @version
FROM
(
    SELECT
        id,
        argMin(block, rank) AS block,
        argMin(source, rank) AS source,
        argMin(method, rank) AS method,
        argMin(service, rank) AS service,
        argMin(team, rank) AS team,
        argMin(environment, rank) AS environment,
        argMin(repository, rank) AS repository,
        argMin(sha, rank) AS sha,
        argMin(deployed_at, rank) AS deployed_at,
        argMin(status, rank) AS status,
        argMin(url, rank) AS url,
        argMin(title, rank) AS title,
        argMin(author, rank) AS author,
        argMin(retracted, rank) AS retracted,
        -- retracted joins the hash only when set, so that the hashes of
        -- facts promoted before it existed stay as they were.
        if(retracted = 0,
           cityHash64(block, source, method, service, team, environment, repository, sha, deployed_at, status, url, title, author),
           cityHash64(block, source, method, service, team, environment, repository, sha, deployed_at, status, url, title, author, retracted)) AS content_hash
    FROM
    (
        SELECT
            id,
            block,
            (if(indexOf(CAST(@blocks AS Array(String)), block) = 0, 1000000, indexOf(CAST(@blocks AS Array(String)), block)), block) AS rank,
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
        FROM stg_deployments
        WHERE id IN (SELECT id FROM stg_deployments WHERE version > @lo AND version <= @hi)
          AND version <= @hi
        GROUP BY id, block
    )
    GROUP BY id
)
WHERE (id, content_hash) NOT IN
(
    SELECT id, argMax(content_hash, version)
    FROM deployments
    WHERE id IN (SELECT id FROM stg_deployments WHERE version > @lo AND version <= @hi)
    GROUP BY id
)
