-- Key management (keys.create / keys.list / keys.revoke). Keys get an id, a name, a display prefix, where they came
-- from, when they were last used and when they were revoked. Rows from before this get a random id, source 'env'
-- (they came from TALLY_SECRET_KEYS or the first start) and no prefix until the environment lists them again.
ALTER TABLE api_keys
    ADD COLUMN key_id        text COLLATE "C",
    ADD COLUMN name          text COLLATE "C" NOT NULL DEFAULT 'environment',
    ADD COLUMN prefix        text COLLATE "C",
    ADD COLUMN source        text COLLATE "C" NOT NULL DEFAULT 'env' CHECK (source IN ('env', 'api')),
    ADD COLUMN last_used_at  bigint,
    ADD COLUMN revoked_at    bigint;

UPDATE api_keys SET key_id = 'key_' || substr(replace(gen_random_uuid()::text, '-', ''), 1, 26);

ALTER TABLE api_keys
    ALTER COLUMN key_id SET NOT NULL,
    ALTER COLUMN name DROP DEFAULT,
    ALTER COLUMN source DROP DEFAULT,
    ADD CONSTRAINT api_keys_key_id UNIQUE (key_id);

CREATE INDEX api_keys_by_tenant ON api_keys (org_id, env, created_at);

-- Bumped in the same transaction as every revocation; nodes compare it with the number they cached keys under.
CREATE TABLE api_keys_version (
    singleton  integer NOT NULL PRIMARY KEY CHECK (singleton = 1),
    version    bigint NOT NULL
);
INSERT INTO api_keys_version (singleton, version) VALUES (1, 0);
