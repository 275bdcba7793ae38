-- Key management (keys.create / keys.list / keys.revoke). Keys get an id, a name, a display prefix, where they came
-- from, when they were last used and when they were revoked. Rows from before this get a random id, source 'env'
-- (they came from TALLY_SECRET_KEYS or the first start) and no prefix until the environment lists them again.
CREATE TABLE api_keys_v2 (
    key_hash      TEXT NOT NULL PRIMARY KEY,
    key_id        TEXT NOT NULL UNIQUE,
    org_id        TEXT NOT NULL REFERENCES organizations(org_id) ON DELETE CASCADE,
    env           TEXT NOT NULL,
    name          TEXT NOT NULL,
    prefix        TEXT,
    source        TEXT NOT NULL CHECK (source IN ('env', 'api')),
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER,
    revoked_at    INTEGER
);

INSERT INTO api_keys_v2 (key_hash, key_id, org_id, env, name, prefix, source, created_at)
SELECT key_hash, 'key_' || lower(hex(randomblob(13))), org_id, env, 'environment', NULL, 'env', created_at FROM api_keys;

DROP TABLE api_keys;
ALTER TABLE api_keys_v2 RENAME TO api_keys;

CREATE INDEX api_keys_by_tenant ON api_keys (org_id, env, created_at);

-- Bumped in the same transaction as every revocation; nodes compare it with the number they cached keys under.
CREATE TABLE api_keys_version (
    singleton  INTEGER NOT NULL PRIMARY KEY CHECK (singleton = 1),
    version    INTEGER NOT NULL
);
INSERT INTO api_keys_version (singleton, version) VALUES (1, 0);
