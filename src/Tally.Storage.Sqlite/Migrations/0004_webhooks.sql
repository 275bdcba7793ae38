-- Webhooks: endpoints per tenant, the outbox (written in the transaction of the change that raised the event), and
-- one delivery per (event, endpoint) with its attempts. The signing secret is kept as is: HMAC needs it.
CREATE TABLE webhook_endpoints (
    endpoint_id                 TEXT NOT NULL PRIMARY KEY,
    org_id                      TEXT NOT NULL,
    env                         TEXT NOT NULL,
    url                         TEXT NOT NULL,
    events                      TEXT,
    description                 TEXT,
    disabled                    INTEGER NOT NULL DEFAULT 0,
    secret                      TEXT NOT NULL,
    previous_secret             TEXT,
    previous_secret_expires_at  INTEGER,
    created_at                  INTEGER NOT NULL,
    consecutive_failures        INTEGER NOT NULL DEFAULT 0,
    failing                     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX webhook_endpoints_by_tenant ON webhook_endpoints (org_id, env, created_at);

CREATE TABLE webhook_outbox (
    event_id            TEXT NOT NULL PRIMARY KEY,
    org_id              TEXT NOT NULL,
    env                 TEXT NOT NULL,
    type                TEXT NOT NULL,
    payload             TEXT NOT NULL,
    created_at          INTEGER NOT NULL,
    target_endpoint_id  TEXT,
    fanned_out          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX webhook_outbox_new ON webhook_outbox (created_at) WHERE fanned_out = 0;

CREATE TABLE webhook_deliveries (
    delivery_id      TEXT NOT NULL PRIMARY KEY,
    org_id           TEXT NOT NULL,
    env              TEXT NOT NULL,
    endpoint_id      TEXT NOT NULL,
    event_id         TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER,
    lease_until      INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    UNIQUE (event_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_tenant ON webhook_deliveries (org_id, env, delivery_id);

CREATE TABLE webhook_attempts (
    delivery_id    TEXT NOT NULL,
    attempt_no     INTEGER NOT NULL,
    at             INTEGER NOT NULL,
    http_status    INTEGER,
    duration_ms    INTEGER NOT NULL,
    error          TEXT,
    response_body  TEXT,
    PRIMARY KEY (delivery_id, attempt_no)
);
