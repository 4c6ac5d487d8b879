-- Facts: the durable history. No code path deletes from these tables: when
-- GitHub or PagerDuty forget an object, its fact stays. Promote inserts a
-- new version only when the content changed (content_hash), so promoting
-- twice, or again after a crash, adds nothing. ReplacingMergeTree folds old
-- versions of the same id together; readers take argMax(..., version).
CREATE TABLE IF NOT EXISTS deployments
(
    id           String,
    block        String,
    source       String,
    method       String,
    service      String,
    team         String,
    environment  String,
    repository   String,
    sha          String,
    deployed_at  DateTime('UTC'),
    status       String,
    url          String,
    title        String,
    author       String,
    content_hash UInt64,
    version      UInt64,
    promoted_at  DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree(version)
ORDER BY id
-- statement
CREATE TABLE IF NOT EXISTS changes
(
    id           String,
    repository   String,
    kind         String,
    number       Int64,
    sha          String,
    started_at   DateTime('UTC'),
    title        String,
    labels       Array(String),
    url          String,
    author       String,
    content_hash UInt64,
    version      UInt64,
    promoted_at  DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree(version)
ORDER BY id
-- statement
CREATE TABLE IF NOT EXISTS ships
(
    deployment_id String,
    change_ids    Array(String),
    content_hash  UInt64,
    version       UInt64,
    promoted_at   DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree(version)
ORDER BY deployment_id
-- statement
CREATE TABLE IF NOT EXISTS incidents
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
    content_hash  UInt64,
    version       UInt64,
    promoted_at   DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree(version)
ORDER BY id
