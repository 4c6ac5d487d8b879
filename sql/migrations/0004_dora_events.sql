-- dora_events: one row per metric event, the current truth of what each
-- fact contributes to the metrics:
--   kind 'deployment'  a successful deployment, on its deployed_at
--   kind 'change'      a change at its first deployment in this service and
--                      environment; value = lead time in seconds
--   kind 'incident'    an incident, on its created_at
--   kind 'restore'     a resolved incident, on its resolved_at; value =
--                      time to restore in seconds
-- Promote recomputes the events of every service a batch touched and
-- inserts a new version only for events that changed. Each such row also
-- carries the state it replaces (prev_*), so that dora_daily_mv, which only
-- ever sees inserted rows, can subtract the old contribution and add the
-- new one: re-promoting, late resolutions and re-attribution stay exact.
CREATE TABLE IF NOT EXISTS dora_events
(
    service         String,
    kind            String,
    entity_id       String,
    environment     String,
    team            String,
    repository      String,
    at              DateTime('UTC'),
    day             Date,
    value           Int64,
    failed          UInt8,
    rework          UInt8,
    deployment_id   String,
    reason          String,
    active          UInt8,
    prev_active     UInt8,
    prev_team       String,
    prev_repository String,
    prev_day        Date,
    prev_value      Int64,
    prev_failed     UInt8,
    prev_rework     UInt8,
    version         UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (service, kind, entity_id, environment)
