// billing_controls through the official SDK: a windowed usage limit denies check and refuses track whatever balance
// remains, updates merge per key, an entity's disabled overage wins, and a spend limit caps the overage.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sdkError, uid, useServer } from "../lib/server.js";

describe("billing controls", () => {
  const srv = useServer();

  /** messages 100/month with usage-based overage (so overage and spend limits have something to act on). */
  async function setup() {
    const a = srv.autumn;
    const ids = { messages: uid("messages"), seats: uid("seats"), plan: uid("pro"), customer: uid("cus") };
    await a.features.create({ featureId: ids.messages, name: "Messages", type: "metered", consumable: true });
    await a.features.create({ featureId: ids.seats, name: "Seats", type: "metered", consumable: false });
    await a.plans.create({
      planId: ids.plan,
      name: "Pro",
      items: [{ featureId: ids.messages, included: 100, reset: { interval: "month" } }],
    });
    await a.customers.getOrCreate({ customerId: ids.customer });
    await a.billing.attach({ customerId: ids.customer, planId: ids.plan });
    return ids;
  }

  test("a full usage window: check false, track refused with usage_limit_exceeded, balance untouched", async () => {
    const a = srv.autumn;
    const ids = await setup();
    const updated = await a.customers.update({
      customerId: ids.customer,
      billingControls: { usageLimits: [{ featureId: ids.messages, enabled: true, limit: 10, interval: "day", anchor: "utc" }] },
    });
    assert.equal(updated.billingControls.usageLimits[0].limit, 10);

    await a.track({ customerId: ids.customer, featureId: ids.messages, value: 8 });
    const partial = await a.track({ customerId: ids.customer, featureId: ids.messages, value: 5 });
    assert.equal(partial.balance.remaining, 90, "under cap only the window's room (2) is taken");

    const check = await a.check({ customerId: ids.customer, featureId: ids.messages });
    assert.equal(check.allowed, false);
    assert.equal(check.balance.remaining, 90, "the balance is still there; the window denies");

    const err = await sdkError(a.track({ customerId: ids.customer, featureId: ids.messages, value: 1 }));
    assert.equal(err.status, 400);
    assert.equal(err.code, "usage_limit_exceeded");
    const c = await a.customers.getOrCreate({ customerId: ids.customer });
    assert.equal(c.balances[ids.messages].remaining, 90);
  });

  test("customers.update merges billing_controls per key and rejects a duplicate entry", async () => {
    const a = srv.autumn;
    const ids = await setup();
    await a.customers.update({
      customerId: ids.customer,
      billingControls: { overageAllowed: [{ featureId: ids.messages, enabled: true }] },
    });
    const merged = await a.customers.update({
      customerId: ids.customer,
      billingControls: { spendLimits: [{ featureId: ids.messages, enabled: true, overageLimit: 5 }] },
    });
    assert.equal(merged.billingControls.overageAllowed[0].enabled, true, "sending spend_limits leaves overage_allowed alone");
    assert.equal(merged.billingControls.spendLimits[0].overageLimit, 5);

    // overage allowed for a free balance, capped at 5 by the spend limit: 100 + 5 = 105 usable.
    await a.track({ customerId: ids.customer, featureId: ids.messages, value: 200 });
    const c = await a.customers.getOrCreate({ customerId: ids.customer });
    assert.equal(c.balances[ids.messages].usage, 105);
    assert.equal((await a.check({ customerId: ids.customer, featureId: ids.messages })).allowed, false);

    const dup = await sdkError(
      a.customers.update({
        customerId: ids.customer,
        billingControls: {
          usageLimits: [
            { featureId: ids.messages, limit: 1, interval: "day" },
            { featureId: ids.messages, limit: 2, interval: "day" },
          ],
        },
      }),
    );
    assert.equal(dup.status, 400);
    assert.match(dup.message, /usage_limits\[1\]/);
  });

  test("entities.update: an entity's usage limit binds tracks on that entity", async () => {
    const a = srv.autumn;
    const ids = await setup();
    await a.entities.create({ customerId: ids.customer, entityId: "u1", featureId: ids.seats, name: "Ada" });
    const e = await a.entities.update({
      customerId: ids.customer,
      entityId: "u1",
      billingControls: { usageLimits: [{ featureId: ids.messages, limit: 3, interval: "month", anchor: "utc" }] },
    });
    assert.equal(e.billingControls.usageLimits[0].limit, 3);

    await a.track({ customerId: ids.customer, entityId: "u1", featureId: ids.messages, value: 3 });
    const err = await sdkError(a.track({ customerId: ids.customer, entityId: "u1", featureId: ids.messages, value: 1 }));
    assert.equal(err.code, "usage_limit_exceeded");
    const other = await a.track({ customerId: ids.customer, featureId: ids.messages, value: 4 });
    assert.equal(other.balance.remaining, 93, "the customer itself is not bound by the entity's limit");
  });
});
