// customers.advance_test_clock through the official SDK: a sandbox customer's clock moves forward, its monthly
// balance resets, and events default to the customer's time.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sdkError, uid, useServer } from "../lib/server.js";

describe("time", () => {
  const srv = useServer();

  test("advanceTestClock past next_reset_at refills a monthly balance and rounds frozenTime down to seconds", async () => {
    const a = srv.autumn;
    const feature = uid("messages");
    const planId = uid("plan");
    const customerId = uid("cus");
    await a.features.create({ featureId: feature, name: "Messages", type: "metered", consumable: true });
    await a.plans.create({ planId, name: "Plan", items: [{ featureId: feature, included: 100, reset: { interval: "month" } }] });
    await a.customers.getOrCreate({ customerId });
    await a.billing.attach({ customerId, planId });
    await a.track({ customerId, featureId: feature, value: 30 });

    const before = (await a.customers.get({ customerId })).balances[feature];
    assert.equal(before.remaining, 70);
    const target = before.nextResetAt + 3_600_000 + 789;

    const moved = await a.customers.advanceTestClock({ customerId, frozenTime: target });
    assert.equal(moved.customerId, customerId);
    assert.equal(moved.status, "ready");
    assert.equal(moved.frozenTime, Math.floor(target / 1000) * 1000);

    const after = (await a.customers.get({ customerId })).balances[feature];
    assert.equal(after.remaining, 100);
    assert.equal(after.usage, 0);
    assert.ok(after.nextResetAt > moved.frozenTime, "the next boundary lies after the customer's new now");

    await a.track({ customerId, featureId: feature, value: 1 });
    const events = await a.events.list({ customerId, limit: 1 });
    assert.equal(events.list[0].timestamp, moved.frozenTime);

    // A clock cannot go back.
    const err = await sdkError(a.customers.advanceTestClock({ customerId, frozenTime: target - 86_400_000 }));
    assert.equal(err.status, 400);
    assert.equal(err.code, "invalid_inputs");
  });
});
