// The body idempotency_key on balances.track. The SDK has no field for it (unknown keys are dropped), so these
// requests are plain fetch with exactly the SDK's headers; everything they change is read back through the SDK.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { uid, useServer } from "../lib/server.js";

describe("track idempotency_key", () => {
  const srv = useServer();

  /** messages 100/month and a customer on the plan. */
  async function setup() {
    const a = srv.autumn;
    const ids = { messages: uid("messages"), plan: uid("plan"), customer: uid("cus") };
    await a.features.create({ featureId: ids.messages, name: "Messages", type: "metered", consumable: true });
    await a.plans.create({ planId: ids.plan, name: "Plan", items: [{ featureId: ids.messages, included: 100, reset: { interval: "month" } }] });
    await a.customers.getOrCreate({ customerId: ids.customer });
    await a.billing.attach({ customerId: ids.customer, planId: ids.plan });
    return ids;
  }

  const remaining = async (ids, customerId = ids.customer) =>
    (await srv.autumn.customers.get({ customerId })).balances[ids.messages].remaining;
  const eventCount = async (customerId) => (await srv.autumn.events.list({ customerId })).list.length;

  test("the same key and body twice: the same answer both times, applied once (remaining 95, one event)", async () => {
    const ids = await setup();
    const key = uid("key");
    const body = { customer_id: ids.customer, feature_id: ids.messages, value: 5, idempotency_key: key };

    const first = await srv.post("balances.track", body);
    assert.equal(first.status, 200);
    assert.equal(first.body.customer_id, ids.customer);
    assert.equal(first.body.value, 5);
    assert.equal(first.body.balance.remaining, 95);

    const second = await srv.post("balances.track", body);
    assert.equal(second.status, 200);
    assert.equal(second.text, first.text, "the replay is the original answer, byte for byte");
    assert.deepEqual(second.body, first.body);
    assert.equal(second.headers.get("idempotent-replayed"), "true");

    assert.equal(await remaining(ids), 95, "applied exactly once");
    assert.equal(await eventCount(ids.customer), 1);

    // A later track without a key still works normally and the replayed answer stays the original one.
    await srv.autumn.track({ customerId: ids.customer, featureId: ids.messages, value: 10 });
    const third = await srv.post("balances.track", body);
    assert.equal(third.status, 200);
    assert.equal(third.body.balance.remaining, 95);
    assert.equal(await remaining(ids), 85);
    assert.equal(await eventCount(ids.customer), 2);
  });

  test("the same key with a different body is 409 duplicate_idempotency_key and changes nothing", async () => {
    const ids = await setup();
    const key = uid("key");
    const ok = await srv.post("balances.track", { customer_id: ids.customer, feature_id: ids.messages, value: 5, idempotency_key: key });
    assert.equal(ok.status, 200);

    const clash = await srv.post("balances.track", { customer_id: ids.customer, feature_id: ids.messages, value: 6, idempotency_key: key });
    assert.equal(clash.status, 409);
    assert.equal(clash.body.code, "duplicate_idempotency_key");
    assert.equal(clash.body.env, "sandbox");
    assert.equal(typeof clash.body.message, "string");

    assert.equal(await remaining(ids), 95);
    assert.equal(await eventCount(ids.customer), 1);
  });

  test("the key is scoped to the customer: another customer may use the same key", async () => {
    const ids = await setup();
    const other = uid("cus");
    await srv.autumn.customers.getOrCreate({ customerId: other });
    await srv.autumn.billing.attach({ customerId: other, planId: ids.plan });
    const key = uid("key");

    const a = await srv.post("balances.track", { customer_id: ids.customer, feature_id: ids.messages, value: 5, idempotency_key: key });
    const b = await srv.post("balances.track", { customer_id: other, feature_id: ids.messages, value: 7, idempotency_key: key });
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    assert.equal(b.headers.get("idempotent-replayed"), null);
    assert.equal(await remaining(ids), 95);
    assert.equal(await remaining(ids, other), 93);
  });

  test("a request that failed does not use up its key: the corrected retry is applied", async () => {
    const ids = await setup();
    const key = uid("key");
    const failed = await srv.post("balances.track", {
      customer_id: ids.customer,
      entity_id: uid("ghost"),
      feature_id: ids.messages,
      value: 5,
      idempotency_key: key,
    });
    assert.equal(failed.status, 404);
    assert.equal(failed.body.code, "entity_not_found");
    assert.equal(await remaining(ids), 100);

    const retry = await srv.post("balances.track", { customer_id: ids.customer, feature_id: ids.messages, value: 5, idempotency_key: key });
    assert.equal(retry.status, 200);
    assert.equal(retry.body.balance.remaining, 95);
    assert.equal(await remaining(ids), 95);
    assert.equal(await eventCount(ids.customer), 1);
  });
});
