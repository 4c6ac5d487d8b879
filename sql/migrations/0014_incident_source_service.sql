-- source_service and source_service_name: the service an incident belongs
-- to at its source (PagerDuty: the service id, e.g. PAPI001, and its
-- name), from which doraflow derives its service through the config's
-- services. Kept so that a change of services[].pagerduty_services
-- retags stored incidents at the next promote without reading them again.
-- '' for custom incidents and for incidents staged before this migration
-- (they keep their service until a sync or backfill reads them again).
--
-- ClickHouse 18.16 has no ADD COLUMN IF NOT EXISTS: migrate treats
-- "column already exists" from an ADD COLUMN as done (see 0008).
ALTER TABLE stg_incidents ADD COLUMN source_service String
-- statement
ALTER TABLE stg_incidents ADD COLUMN source_service_name String
-- statement
ALTER TABLE incidents ADD COLUMN source_service String
-- statement
ALTER TABLE incidents ADD COLUMN source_service_name String
