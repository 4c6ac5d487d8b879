-- The commits that made each change a deployment ships, for deployments
-- whose changes came from comparing commits (GitHub compare): element i
-- lists, oldest first, the SHAs behind change_ids[i]; empty when not
-- known (merged-PR deployments, custom deployments without a sha, and
-- everything staged before this migration). explain shows them.
--
-- ClickHouse 18.16 has no ADD COLUMN IF NOT EXISTS: migrate treats
-- "column already exists" from an ADD COLUMN as done, for a run that died
-- between an ALTER and recording the migration.
ALTER TABLE stg_ships ADD COLUMN change_commits Array(Array(String))
-- statement
ALTER TABLE ships ADD COLUMN change_commits Array(Array(String))
