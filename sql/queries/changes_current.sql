-- Current facts of the changes named in @ids, or shipped by the deployments
-- of services @services.
SELECT
    id,
    argMax(repository, version) AS repository,
    argMax(kind, version) AS kind,
    argMax(number, version) AS number,
    argMax(sha, version) AS sha,
    argMax(started_at, version) AS started_at,
    argMax(title, version) AS title,
    argMax(labels, version) AS labels,
    argMax(url, version) AS url,
    argMax(author, version) AS author,
    argMax(opened_at, version) AS opened_at,
    argMax(first_review_at, version) AS first_review_at,
    argMax(merged_at, version) AS merged_at
FROM changes
WHERE has(CAST(@ids AS Array(String)), id)
   OR id IN
(
    SELECT change_id FROM ships ARRAY JOIN change_ids AS change_id
    WHERE deployment_id IN (SELECT id FROM deployments WHERE has(CAST(@services AS Array(String)), service))
)
GROUP BY id
