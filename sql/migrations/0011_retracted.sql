-- retracted marks a custom record taken back (`doraflow record delete`,
-- DELETE /api/v1/deployments/{id} and /incidents/{id}). A retraction is a
-- new version of the record with retracted = 1, staged and promoted like
-- any update: the facts keep the record's history, and the readers of
-- current facts (promote's recompute, explain) leave it out, so its
-- events turn inactive and it stops counting everywhere. 0 (the default)
-- for every row staged before this migration and for every other source.
--
-- ClickHouse 18.16 has no ADD COLUMN IF NOT EXISTS: migrate treats
-- "column already exists" from an ADD COLUMN as done.
ALTER TABLE stg_deployments ADD COLUMN retracted UInt8
-- statement
ALTER TABLE deployments ADD COLUMN retracted UInt8
-- statement
ALTER TABLE stg_incidents ADD COLUMN retracted UInt8
-- statement
ALTER TABLE incidents ADD COLUMN retracted UInt8
