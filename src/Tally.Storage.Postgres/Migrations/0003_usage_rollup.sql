-- Hourly usage rollup for events.aggregate: tracked usage (kind 'Track', refunds included) per customer, ledger name,
-- UTC hour and entity ('' = customer level; entity ids are never empty). Kept in the same commit as each ledger row;
-- the ledger stays the truth and this table is rebuilt from it here.
CREATE TABLE usage_hourly (
    org_id      text COLLATE "C" NOT NULL,
    env         text COLLATE "C" NOT NULL,
    customer_id text COLLATE "C" NOT NULL,
    feature_id  text COLLATE "C" NOT NULL,
    hour        bigint NOT NULL,
    entity_id   text COLLATE "C" NOT NULL,
    count       bigint NOT NULL,
    sum         numeric NOT NULL,
    PRIMARY KEY (org_id, env, customer_id, feature_id, hour, entity_id)
);
CREATE INDEX usage_hourly_by_feature ON usage_hourly (org_id, env, feature_id, hour);

INSERT INTO usage_hourly (org_id, env, customer_id, feature_id, hour, entity_id, count, sum)
SELECT org_id, env, customer_id, event_name, timestamp - (((timestamp % 3600000) + 3600000) % 3600000), COALESCE(entity_id, ''),
       COUNT(*), SUM(value)
FROM events WHERE kind = 'Track'
GROUP BY 1, 2, 3, 4, 5, 6;
