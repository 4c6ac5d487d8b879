-- Promote staged ship sets in (@lo, @hi] whose content differs from the fact.
-- The hash covers change_commits only when some are known, so that ship
-- sets promoted before they were recorded (0008) keep their hash.
INSERT INTO ships (deployment_id, change_ids, change_commits, content_hash, version)
SELECT deployment_id, current.1, current.2, content_hash, @version
FROM
(
    SELECT
        deployment_id,
        argMax(tuple(change_ids, change_commits), version) AS current,
        if(arrayExists(c -> notEmpty(c), current.2),
           cityHash64(arrayStringConcat(arraySort(current.1), '\n'),
                      arrayStringConcat(arrayMap(c -> arrayStringConcat(c, ','), current.2), '\n')),
           cityHash64(arrayStringConcat(arraySort(current.1), '\n'))) AS content_hash
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
