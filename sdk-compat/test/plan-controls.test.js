// Plan-level default billing_controls and events.aggregate groups through the official SDK: plans.create/update/get
// carry the controls, they cap the plan's customers unless a customer's own entry shadows them, and aggregate groups
// by $customer_id / $entity_id with refunds counted.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sdkError, uid, useServer } from "../lib/server.js";

describe("plan billing controls and aggregate groups", () => {
  const srv = useServer();
  const daily = (featureId, limit) => ({ usageLimits: [{ featureId, enabled: true, limit, interval: "day", anchor: "utc" }] });

  test("a plan's usage limit caps its customers; a customer's own entry shadows it; update merges per key", async () => {
    const a = srv.autumn;
    const ids = { messages: uid("messages"), plan: uid("plan"), capped: uid("cus"), own: uid("cus") };
    await a.features.create({ featureId: ids.messages, name: "Messages", type: "metered", consumable: true });
    const created = await a.plans.create({
      planId: ids.plan,
      name: "Plan",
      items: [{ featureId: ids.messages, included: 1000, reset: { interval: "month" } }],
      billingControls: daily(ids.messages, 10),
    });
    assert.equal(created.billingControls.usageLimits[0].limit, 10);
    await a.plans.update({ planId: ids.plan, billingControls: { overageAllowed: [{ featureId: ids.messages, enabled: false }] } });
    const got = await a.plans.get({ planId: ids.plan });
    assert.equal(got.billingControls.usageLimits[0].limit, 10, "sending overage_allowed leaves usage_limits alone");
    assert.equal(got.billingControls.overageAllowed[0].enabled, false);

    for (const c of [ids.capped, ids.own]) {
      await a.customers.getOrCreate({ customerId: c });
      await a.billing.attach({ customerId: c, planId: ids.plan });
    }
    await a.customers.update({ customerId: ids.own, billingControls: daily(ids.messages, 25) });

    await a.track({ customerId: ids.capped, featureId: ids.messages, value: 10 });
    assert.equal((await a.check({ customerId: ids.capped, featureId: ids.messages })).allowed, false);
    const err = await sdkError(a.track({ customerId: ids.capped, featureId: ids.messages, value: 1 }));
    assert.equal(err.status, 400);
    assert.equal(err.code, "usage_limit_exceeded");

    await a.track({ customerId: ids.own, featureId: ids.messages, value: 20 });
    assert.equal((await a.check({ customerId: ids.own, featureId: ids.messages, requiredBalance: 5 })).allowed, true);
    assert.equal((await a.check({ customerId: ids.own, featureId: ids.messages, requiredBalance: 6 })).allowed, false);
  });

  test("aggregate groups by $customer_id and $entity_id, refunds included", async () => {
    const a = srv.autumn;
    const ids = { messages: uid("messages"), seats: uid("seats"), plan: uid("plan"), c1: uid("cus"), c2: uid("cus") };
    await a.features.create({ featureId: ids.messages, name: "Messages", type: "metered", consumable: true });
    await a.features.create({ featureId: ids.seats, name: "Seats", type: "metered", consumable: false });
    await a.plans.create({
      planId: ids.plan,
      name: "Plan",
      items: [
        { featureId: ids.messages, included: 1000, reset: { interval: "month" } },
        { featureId: ids.seats, included: 5 },
      ],
    });
    for (const c of [ids.c1, ids.c2]) {
      await a.customers.getOrCreate({ customerId: c });
      await a.billing.attach({ customerId: c, planId: ids.plan });
    }
    await a.entities.create({ customerId: ids.c1, entityId: "u1", featureId: ids.seats, name: "Ada" });
    await a.track({ customerId: ids.c1, entityId: "u1", featureId: ids.messages, value: 6 });
    await a.track({ customerId: ids.c1, entityId: "u1", featureId: ids.messages, value: -1 });
    await a.track({ customerId: ids.c1, featureId: ids.messages, value: 2 });
    await a.track({ customerId: ids.c2, featureId: ids.messages, value: 9 });

    const byCustomer = await a.events.aggregate({ featureId: ids.messages, range: "24h", binSize: "hour", groupBy: "$customer_id" });
    const busy = byCustomer.list.filter((p) => p.values[ids.messages] !== 0);
    assert.equal(busy.length, 1);
    assert.deepEqual(busy[0].groupedValues[ids.messages], { [ids.c1]: 7, [ids.c2]: 9 });
    assert.deepEqual(byCustomer.total[ids.messages], { count: 4, sum: 16 });
    assert.equal(byCustomer.list.length, 25, "24h is 25 hourly bins, zeros included");

    const byEntity = await a.events.aggregate({ customerId: ids.c1, featureId: ids.messages, range: "7d", groupBy: "$entity_id" });
    const today = byEntity.list[byEntity.list.length - 1];
    assert.deepEqual(today.groupedValues[ids.messages], { u1: 5, "": 2 });
    const scoped = await a.events.aggregate({ customerId: ids.c1, entityId: "u1", featureId: ids.messages, range: "7d" });
    assert.deepEqual(scoped.total[ids.messages], { count: 2, sum: 5 });
  });
});
