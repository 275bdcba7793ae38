-- Webhooks: endpoints per tenant, the outbox (written in the transaction of the change that raised the event), and
-- one delivery per (event, endpoint) with its attempts. The signing secret is kept as is: HMAC needs it.
CREATE TABLE webhook_endpoints (
    endpoint_id                 text COLLATE "C" NOT NULL PRIMARY KEY,
    org_id                      text COLLATE "C" NOT NULL,
    env                         text COLLATE "C" NOT NULL,
    url                         text COLLATE "C" NOT NULL,
    events                      text COLLATE "C",
    description                 text COLLATE "C",
    disabled                    boolean NOT NULL DEFAULT false,
    secret                      text COLLATE "C" NOT NULL,
    previous_secret             text COLLATE "C",
    previous_secret_expires_at  bigint,
    created_at                  bigint NOT NULL,
    consecutive_failures        integer NOT NULL DEFAULT 0,
    failing                     boolean NOT NULL DEFAULT false
);
CREATE INDEX webhook_endpoints_by_tenant ON webhook_endpoints (org_id, env, created_at);

CREATE TABLE webhook_outbox (
    event_id            text COLLATE "C" NOT NULL PRIMARY KEY,
    org_id              text COLLATE "C" NOT NULL,
    env                 text COLLATE "C" NOT NULL,
    type                text COLLATE "C" NOT NULL,
    payload             text COLLATE "C" NOT NULL,
    created_at          bigint NOT NULL,
    target_endpoint_id  text COLLATE "C",
    fanned_out          boolean NOT NULL DEFAULT false
);
CREATE INDEX webhook_outbox_new ON webhook_outbox (created_at) WHERE NOT fanned_out;

CREATE TABLE webhook_deliveries (
    delivery_id      text COLLATE "C" NOT NULL PRIMARY KEY,
    org_id           text COLLATE "C" NOT NULL,
    env              text COLLATE "C" NOT NULL,
    endpoint_id      text COLLATE "C" NOT NULL,
    event_id         text COLLATE "C" NOT NULL,
    status           text COLLATE "C" NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  bigint,
    lease_until      bigint NOT NULL DEFAULT 0,
    created_at       bigint NOT NULL,
    UNIQUE (event_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_tenant ON webhook_deliveries (org_id, env, delivery_id);

CREATE TABLE webhook_attempts (
    delivery_id    text COLLATE "C" NOT NULL,
    attempt_no     integer NOT NULL,
    at             bigint NOT NULL,
    http_status    integer,
    duration_ms    bigint NOT NULL,
    error          text COLLATE "C",
    response_body  text COLLATE "C",
    PRIMARY KEY (delivery_id, attempt_no)
);
