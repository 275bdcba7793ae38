-- Every row carries (org_id, env); customer-scoped rows also customer_id, first in their keys.
CREATE TABLE organizations (
    org_id      TEXT NOT NULL PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE api_keys (
    key_hash    TEXT NOT NULL PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations(org_id) ON DELETE CASCADE,
    env         TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

-- Monotonic creation-order counters per tenant (customers, entities): a number is never reused after a delete,
-- so cursors that page "after seq" never skip a row.
CREATE TABLE counters (
    org_id      TEXT NOT NULL,
    env         TEXT NOT NULL,
    name        TEXT NOT NULL,
    value       INTEGER NOT NULL,
    PRIMARY KEY (org_id, env, name)
);

CREATE TABLE features (
    org_id      TEXT NOT NULL,
    env         TEXT NOT NULL,
    feature_id  TEXT NOT NULL,
    data        TEXT NOT NULL,
    PRIMARY KEY (org_id, env, feature_id)
);

CREATE TABLE plans (
    org_id      TEXT NOT NULL,
    env         TEXT NOT NULL,
    plan_id     TEXT NOT NULL,
    version     INTEGER NOT NULL,
    data        TEXT NOT NULL,
    PRIMARY KEY (org_id, env, plan_id, version)
);

CREATE TABLE customers (
    org_id      TEXT NOT NULL,
    env         TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    next_seq    INTEGER NOT NULL,
    name        TEXT,
    email       TEXT,
    data        TEXT NOT NULL,
    PRIMARY KEY (org_id, env, customer_id)
);
CREATE UNIQUE INDEX customers_seq ON customers (org_id, env, seq);

CREATE TABLE entities (
    org_id      TEXT NOT NULL,
    env         TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    data        TEXT NOT NULL,
    PRIMARY KEY (org_id, env, customer_id, entity_id),
    FOREIGN KEY (org_id, env, customer_id) REFERENCES customers (org_id, env, customer_id) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX entities_by_id ON entities (org_id, env, entity_id);
CREATE INDEX entities_seq ON entities (org_id, env, seq);

CREATE TABLE customer_plans (
    org_id      TEXT NOT NULL,
    env         TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    id          TEXT NOT NULL,
    data        TEXT NOT NULL,
    PRIMARY KEY (org_id, env, customer_id, id),
    FOREIGN KEY (org_id, env, customer_id) REFERENCES customers (org_id, env, customer_id) ON DELETE CASCADE ON UPDATE CASCADE
);

-- One row per grant bucket; entity-owned buckets carry entity_id (never a JSON map of entities).
CREATE TABLE balance_sources (
    org_id        TEXT NOT NULL,
    env           TEXT NOT NULL,
    customer_id   TEXT NOT NULL,
    source_id     TEXT NOT NULL,
    feature_id    TEXT NOT NULL,
    entity_id     TEXT,
    balance       TEXT NOT NULL,
    next_reset_at INTEGER,
    expires_at    INTEGER,
    data          TEXT NOT NULL,
    PRIMARY KEY (org_id, env, customer_id, source_id),
    FOREIGN KEY (org_id, env, customer_id) REFERENCES customers (org_id, env, customer_id) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX balance_sources_due ON balance_sources (next_reset_at) WHERE next_reset_at IS NOT NULL;

CREATE TABLE rollovers (
    org_id      TEXT NOT NULL,
    env         TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    rollover_id TEXT NOT NULL,
    source_id   TEXT NOT NULL,
    data        TEXT NOT NULL,
    PRIMARY KEY (org_id, env, customer_id, rollover_id),
    FOREIGN KEY (org_id, env, customer_id) REFERENCES customers (org_id, env, customer_id) ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TABLE locks (
    org_id      TEXT NOT NULL,
    env         TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    lock_id     TEXT NOT NULL,
    expires_at  INTEGER,
    data        TEXT NOT NULL,
    PRIMARY KEY (org_id, env, customer_id, lock_id),
    FOREIGN KEY (org_id, env, customer_id) REFERENCES customers (org_id, env, customer_id) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX locks_by_id ON locks (org_id, env, lock_id);
CREATE INDEX locks_expiry ON locks (expires_at) WHERE expires_at IS NOT NULL;

-- The append-only ledger. seq orders it (newest first in events.list).
CREATE TABLE events (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id          TEXT NOT NULL,
    env             TEXT NOT NULL,
    customer_id     TEXT NOT NULL,
    event_id        TEXT NOT NULL,
    kind            TEXT NOT NULL,
    entity_id       TEXT,
    event_name      TEXT NOT NULL,
    value           TEXT NOT NULL,
    properties      TEXT NOT NULL,
    timestamp       INTEGER NOT NULL,
    idempotency_key TEXT,
    deltas          TEXT NOT NULL,
    FOREIGN KEY (org_id, env, customer_id) REFERENCES customers (org_id, env, customer_id) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX events_by_customer ON events (org_id, env, customer_id, seq);
CREATE INDEX events_by_tenant ON events (org_id, env, kind, seq);

CREATE TABLE idempotency (
    org_id       TEXT NOT NULL,
    env          TEXT NOT NULL,
    scoped_key   TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL,
    body         BLOB NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (org_id, env, scoped_key)
);
CREATE INDEX idempotency_age ON idempotency (created_at);
