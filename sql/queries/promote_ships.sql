-- Promote staged ship sets in (@lo, @hi] whose content differs from the fact.
INSERT INTO ships (deployment_id, change_ids, content_hash, version)
SELECT deployment_id, change_ids, content_hash, @version
FROM
(
    SELECT
        deployment_id,
        argMax(change_ids, version) AS change_ids,
        cityHash64(arrayStringConcat(arraySort(change_ids), '\n')) AS content_hash
    FROM stg_ships
    WHERE deployment_id IN (SELECT deployment_id FROM stg_ships WHERE version > @lo AND version <= @hi)
      AND version <= @hi
    GROUP BY deployment_id
)
WHERE (deployment_id, content_hash) NOT IN
(
    SELECT deployment_id, argMax(content_hash, version)
    FROM ships
    WHERE deployment_id IN (SELECT deployment_id FROM stg_ships WHERE version > @lo AND version <= @hi)
    GROUP BY deployment_id
)
