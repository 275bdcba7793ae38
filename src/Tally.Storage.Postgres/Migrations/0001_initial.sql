-- Every row carries (org_id, env), customer-scoped rows also customer_id, and their keys start with those
-- columns, so the tables can be distributed by customer later (Citus) without a schema change.
-- No foreign keys: a customer's rows are deleted and renamed explicitly by the store.
-- Amounts are numeric, timestamps bigint milliseconds. Domain rows are json written by RowCodec and kept
-- byte for byte as written (jsonb would reorder object keys, e.g. of a plan's options).
-- Identifiers, names and emails use the "C" collation: byte order and ASCII-only case folding, as in SQLite.

CREATE TABLE organizations (
    org_id      text COLLATE "C" NOT NULL PRIMARY KEY,
    name        text COLLATE "C" NOT NULL,
    created_at  bigint NOT NULL
);

CREATE TABLE api_keys (
    key_hash    text COLLATE "C" NOT NULL PRIMARY KEY,
    org_id      text COLLATE "C" NOT NULL,
    env         text COLLATE "C" NOT NULL,
    created_at  bigint NOT NULL
);

-- Bumped by every committed catalog change: nodes cache a tenant's catalog together with this number
-- and re-check it (one indexed read) before trusting the cached copy.
CREATE TABLE catalog_versions (
    org_id      text COLLATE "C" NOT NULL,
    env         text COLLATE "C" NOT NULL,
    version     bigint NOT NULL,
    PRIMARY KEY (org_id, env)
);

CREATE TABLE features (
    org_id      text COLLATE "C" NOT NULL,
    env         text COLLATE "C" NOT NULL,
    feature_id  text COLLATE "C" NOT NULL,
    data        json NOT NULL,
    PRIMARY KEY (org_id, env, feature_id)
);

CREATE TABLE plans (
    org_id      text COLLATE "C" NOT NULL,
    env         text COLLATE "C" NOT NULL,
    plan_id     text COLLATE "C" NOT NULL,
    version     integer NOT NULL,
    data        json NOT NULL,
    PRIMARY KEY (org_id, env, plan_id, version)
);

-- Creation order for cursor pagination comes from sequences, never MAX()+1, so a number is never reused.
CREATE SEQUENCE customer_seq;
CREATE SEQUENCE entity_seq;

CREATE TABLE customers (
    org_id      text COLLATE "C" NOT NULL,
    env         text COLLATE "C" NOT NULL,
    customer_id text COLLATE "C" NOT NULL,
    seq         bigint NOT NULL DEFAULT nextval('customer_seq'),
    next_seq    bigint NOT NULL,
    name        text COLLATE "C",
    email       text COLLATE "C",
    data        json NOT NULL,
    PRIMARY KEY (org_id, env, customer_id)
);
CREATE INDEX customers_by_seq ON customers (org_id, env, seq);

CREATE TABLE entities (
    org_id      text COLLATE "C" NOT NULL,
    env         text COLLATE "C" NOT NULL,
    customer_id text COLLATE "C" NOT NULL,
    entity_id   text COLLATE "C" NOT NULL,
    seq         bigint NOT NULL DEFAULT nextval('entity_seq'),
    data        json NOT NULL,
    PRIMARY KEY (org_id, env, customer_id, entity_id)
);
CREATE INDEX entities_by_id ON entities (org_id, env, entity_id);
CREATE INDEX entities_by_seq ON entities (org_id, env, seq);

CREATE TABLE customer_plans (
    org_id      text COLLATE "C" NOT NULL,
    env         text COLLATE "C" NOT NULL,
    customer_id text COLLATE "C" NOT NULL,
    id          text COLLATE "C" NOT NULL,
    data        json NOT NULL,
    PRIMARY KEY (org_id, env, customer_id, id)
);

-- One row per grant bucket; entity-owned buckets carry entity_id (never a JSON map of entities).
CREATE TABLE balance_sources (
    org_id        text COLLATE "C" NOT NULL,
    env           text COLLATE "C" NOT NULL,
    customer_id   text COLLATE "C" NOT NULL,
    source_id     text COLLATE "C" NOT NULL,
    feature_id    text COLLATE "C" NOT NULL,
    entity_id     text COLLATE "C",
    balance       numeric NOT NULL,
    next_reset_at bigint,
    expires_at    bigint,
    data          json NOT NULL,
    PRIMARY KEY (org_id, env, customer_id, source_id)
);
CREATE INDEX balance_sources_due ON balance_sources (next_reset_at) WHERE next_reset_at IS NOT NULL;

CREATE TABLE rollovers (
    org_id      text COLLATE "C" NOT NULL,
    env         text COLLATE "C" NOT NULL,
    customer_id text COLLATE "C" NOT NULL,
    rollover_id text COLLATE "C" NOT NULL,
    source_id   text COLLATE "C" NOT NULL,
    data        json NOT NULL,
    PRIMARY KEY (org_id, env, customer_id, rollover_id)
);

CREATE TABLE locks (
    org_id      text COLLATE "C" NOT NULL,
    env         text COLLATE "C" NOT NULL,
    customer_id text COLLATE "C" NOT NULL,
    lock_id     text COLLATE "C" NOT NULL,
    expires_at  bigint,
    data        json NOT NULL,
    PRIMARY KEY (org_id, env, customer_id, lock_id)
);
CREATE INDEX locks_by_id ON locks (org_id, env, lock_id);
CREATE INDEX locks_expiry ON locks (expires_at) WHERE expires_at IS NOT NULL;

-- The append-only ledger. seq is global (events.list is newest first across customers); properties
-- stay text so the caller's JSON comes back byte for byte.
CREATE TABLE events (
    org_id          text COLLATE "C" NOT NULL,
    env             text COLLATE "C" NOT NULL,
    customer_id     text COLLATE "C" NOT NULL,
    seq             bigint GENERATED BY DEFAULT AS IDENTITY,
    event_id        text COLLATE "C" NOT NULL,
    kind            text COLLATE "C" NOT NULL,
    entity_id       text COLLATE "C",
    event_name      text COLLATE "C" NOT NULL,
    value           numeric NOT NULL,
    properties      text NOT NULL,
    timestamp       bigint NOT NULL,
    idempotency_key text COLLATE "C",
    deltas          json NOT NULL,
    PRIMARY KEY (org_id, env, customer_id, seq)
);
CREATE INDEX events_tracks_by_tenant ON events (org_id, env, seq) WHERE kind = 'Track';

CREATE TABLE idempotency (
    org_id       text COLLATE "C" NOT NULL,
    env          text COLLATE "C" NOT NULL,
    scoped_key   text COLLATE "C" NOT NULL,
    request_hash text COLLATE "C" NOT NULL,
    status       integer NOT NULL,
    body         bytea NOT NULL,
    created_at   bigint NOT NULL,
    PRIMARY KEY (org_id, env, scoped_key)
);
CREATE INDEX idempotency_age ON idempotency (created_at);
