-- Staging: what the extractors and the custom source saw, one row per
-- object and version. A resync may rewrite or purge these tables; promote
-- copies what is new or changed into the durable fact tables.
-- version is a nanosecond stamp taken by the writer; ReplacingMergeTree
-- keeps the newest row per key once parts merge, and promote never relies
-- on merges having happened (it picks the newest version itself).
CREATE TABLE IF NOT EXISTS stg_deployments
(
    id          String,
    block       String,
    source      String,
    method      String,
    service     String,
    team        String,
    environment String,
    repository  String,
    sha         String,
    deployed_at DateTime('UTC'),
    status      String,
    url         String,
    title       String,
    author      String,
    version     UInt64,
    staged_at   DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree(version)
-- block is part of the key: one source object matched by two blocks is
-- staged twice, and promote keeps the first block in config order.
ORDER BY (id, block)
-- statement
CREATE TABLE IF NOT EXISTS stg_changes
(
    id         String,
    repository String,
    kind       String,
    number     Int64,
    sha        String,
    started_at DateTime('UTC'),
    title      String,
    labels     Array(String),
    url        String,
    author     String,
    version    UInt64,
    staged_at  DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree(version)
ORDER BY id
-- statement
-- The whole set of changes a deployment ships, replaced as one row: when an
-- earlier deployment arrives late, a later deployment ships fewer commits.
CREATE TABLE IF NOT EXISTS stg_ships
(
    deployment_id String,
    change_ids    Array(String),
    version       UInt64,
    staged_at     DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree(version)
ORDER BY deployment_id
-- statement
CREATE TABLE IF NOT EXISTS stg_incidents
(
    id            String,
    block         String,
    source        String,
    service       String,
    team          String,
    created_at    DateTime('UTC'),
    resolved_at   Nullable(DateTime('UTC')),
    deployment_id String,
    title         String,
    url           String,
    assignee      String,
    urgency       String,
    priority      String,
    version       UInt64,
    staged_at     DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (id, block)
