-- Current pipeline_state values whose key starts with @prefix.
SELECT key, argMax(value, version) AS value, max(updated_at) AS updated_at
FROM pipeline_state
WHERE startsWith(key, @prefix)
GROUP BY key
ORDER BY key
