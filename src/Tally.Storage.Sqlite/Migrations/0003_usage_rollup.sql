-- Hourly usage rollup for events.aggregate: tracked usage (kind 'Track', refunds included) per customer, ledger name,
-- UTC hour and entity ('' = customer level; entity ids are never empty). Kept in the same commit as each ledger row;
-- the ledger stays the truth and this table is rebuilt from it here. Sums are REAL: SQLite has no exact decimal
-- arithmetic in an upsert (PostgreSQL keeps numeric).
CREATE TABLE usage_hourly (
    org_id      TEXT NOT NULL,
    env         TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    feature_id  TEXT NOT NULL,
    hour        INTEGER NOT NULL,
    entity_id   TEXT NOT NULL,
    count       INTEGER NOT NULL,
    sum         REAL NOT NULL,
    PRIMARY KEY (org_id, env, customer_id, feature_id, hour, entity_id),
    FOREIGN KEY (org_id, env, customer_id) REFERENCES customers (org_id, env, customer_id) ON DELETE CASCADE ON UPDATE CASCADE
) WITHOUT ROWID;
CREATE INDEX usage_hourly_by_feature ON usage_hourly (org_id, env, feature_id, hour);

INSERT INTO usage_hourly (org_id, env, customer_id, feature_id, hour, entity_id, count, sum)
SELECT org_id, env, customer_id, event_name, timestamp - (((timestamp % 3600000) + 3600000) % 3600000), COALESCE(entity_id, ''),
       COUNT(*), SUM(CAST(value AS REAL))
FROM events WHERE kind = 'Track'
GROUP BY org_id, env, customer_id, event_name, timestamp - (((timestamp % 3600000) + 3600000) % 3600000), COALESCE(entity_id, '');
