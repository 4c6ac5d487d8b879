-- Promote staged changes in (@lo, @hi] whose content differs from the fact.
INSERT INTO changes (id, repository, kind, number, sha, started_at, title, labels, url, author, opened_at, first_review_at, merged_at, content_hash, version)
SELECT id, repository, kind, number, sha, started_at, title, labels, url, author, opened_at, first_review_at, merged_at, content_hash, @version
FROM
(
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
        argMax(merged_at, version) AS merged_at,
        -- A change whose review arrives later hashes differently and is
        -- promoted again, which recomputes its stage events.
        cityHash64(repository, kind, number, sha, started_at, title, arrayStringConcat(labels, '\n'), url, author,
                   ifNull(toString(opened_at), ''), ifNull(toString(first_review_at), ''), ifNull(toString(merged_at), '')) AS content_hash
    FROM stg_changes
    WHERE id IN (SELECT id FROM stg_changes WHERE version > @lo AND version <= @hi)
      AND version <= @hi
    GROUP BY id
)
WHERE (id, content_hash) NOT IN
(
    SELECT id, argMax(content_hash, version)
    FROM changes
    WHERE id IN (SELECT id FROM stg_changes WHERE version > @lo AND version <= @hi)
    GROUP BY id
)
