// billing.* through the official SDK: prepaid quantities as totals, billing.update cancel / uncancel and quantity
// changes, a cancelled plan ending at its cycle end (test clock) for the group's default, attach's freeTrial and
// startsAt, and the plan status fields customers.get shows.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sdkError, uid, useServer } from "../lib/server.js";

describe("billing", () => {
  const srv = useServer();

  /** A paid monthly "pro" (100 messages, prepaid seats in packs of 10 with 5 included) and a free default in one group. */
  async function catalog() {
    const a = srv.autumn;
    const ids = { messages: uid("messages"), seats: uid("seats"), pro: uid("pro"), free: uid("free"), group: uid("grp") };
    await a.features.create({ featureId: ids.messages, name: "Messages", type: "metered", consumable: true });
    await a.features.create({ featureId: ids.seats, name: "Seats", type: "metered", consumable: false });
    await a.plans.create({
      planId: ids.free, name: "Free", group: ids.group, autoEnable: true,
      items: [{ featureId: ids.messages, included: 5, reset: { interval: "month" } }],
    });
    await a.plans.create({
      planId: ids.pro, name: "Pro", group: ids.group, price: { amount: 20, interval: "month" },
      items: [
        { featureId: ids.messages, included: 100, reset: { interval: "month" } },
        { featureId: ids.seats, included: 5, price: { amount: 3, interval: "month", billingUnits: 10, billingMethod: "prepaid" } },
      ],
    });
    return ids;
  }

  async function proCustomer(ids, seats = 25) {
    const a = srv.autumn;
    const customerId = uid("cus");
    await a.customers.getOrCreate({ customerId });
    await a.billing.attach({
      customerId, planId: ids.pro, featureQuantities: [{ featureId: ids.seats, quantity: seats }],
      successUrl: "https://example.test/done", redirectMode: "if_required", prorationBehavior: "prorate_immediately",
    });
    return customerId;
  }

  const plan = (c, id) => c.subscriptions.find((s) => s.planId === id);

  test("attach featureQuantities is the total: 25 seats with 5 included grants 25, and billing.update moves it keeping usage", async () => {
    const a = srv.autumn;
    const ids = await catalog();
    const customerId = await proCustomer(ids, 25);

    let c = await a.customers.get({ customerId });
    assert.equal(c.balances[ids.seats].granted, 25, "5 included + 20 bought, not 5 + 25");
    await a.track({ customerId, featureId: ids.seats, value: 3 });

    await a.billing.update({ customerId, planId: ids.pro, featureQuantities: [{ featureId: ids.seats, quantity: 41 }] });
    c = await a.customers.get({ customerId });
    assert.equal(c.balances[ids.seats].granted, 45, "41 total → 36 beyond included → 4 packs of 10");
    assert.equal(c.balances[ids.seats].remaining, 42);
  });

  test("cancel at the end of the cycle shows canceledAt/expiresAt, keeps balances, schedules the default; uncancel undoes it", async () => {
    const a = srv.autumn;
    const ids = await catalog();
    const customerId = await proCustomer(ids);

    await a.billing.update({ customerId, planId: ids.pro, cancelAction: "cancel_end_of_cycle" });
    let c = await a.customers.get({ customerId });
    const pro = plan(c, ids.pro);
    assert.equal(pro.status, "active");
    assert.ok(pro.canceledAt > 0);
    assert.equal(pro.expiresAt, pro.currentPeriodEnd);
    assert.ok(pro.currentPeriodEnd > pro.currentPeriodStart);
    assert.equal(plan(c, ids.free).status, "scheduled");
    assert.equal(c.balances[ids.messages].remaining, 100);

    await a.billing.update({ customerId, planId: ids.pro, cancelAction: "uncancel" });
    c = await a.customers.get({ customerId });
    assert.equal(plan(c, ids.pro).canceledAt, null);
    assert.equal(plan(c, ids.pro).expiresAt, null);
    assert.equal(plan(c, ids.free), undefined);
  });

  test("a test clock past the cycle end ends the cancelled plan and the default takes over", async () => {
    const a = srv.autumn;
    const ids = await catalog();
    const customerId = await proCustomer(ids);
    await a.billing.update({ customerId, planId: ids.pro, cancelAction: "cancel_end_of_cycle" });
    const end = plan(await a.customers.get({ customerId }), ids.pro).expiresAt;

    await a.customers.advanceTestClock({ customerId, frozenTime: end + 60_000 });
    const c = await a.customers.get({ customerId });

    assert.deepEqual(c.subscriptions.map((s) => `${s.planId}:${s.status}`), [`${ids.free}:active`]);
    assert.equal(c.balances[ids.messages].remaining, 5);
  });

  test("cancel immediately gives the default now; a free plan cannot wait for a cycle end; a bad action is 400", async () => {
    const a = srv.autumn;
    const ids = await catalog();
    const customerId = await proCustomer(ids);

    const bad = await srv.post("billing.update", { customer_id: customerId, plan_id: ids.pro, cancel_action: "later" });
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /cancel_action/);
    await a.billing.update({ customerId, planId: ids.pro, cancelAction: "cancel_immediately" });
    const c = await a.customers.get({ customerId });
    assert.deepEqual(c.subscriptions.map((s) => `${s.planId}:${s.status}`), [`${ids.free}:active`]);

    const err = await sdkError(a.billing.update({ customerId, planId: ids.free, cancelAction: "cancel_end_of_cycle" }));
    assert.equal(err.status, 400);
    assert.match(err.message, /cancel_immediately/);
  });

  test("attach freeTrial sets trialEndsAt; without a card the plan ends with the trial; startsAt schedules a plan", async () => {
    const a = srv.autumn;
    const ids = await catalog();
    const customerId = uid("cus");
    await a.customers.getOrCreate({ customerId });

    await a.billing.attach({
      customerId, planId: ids.pro, featureQuantities: [{ featureId: ids.seats, quantity: 5 }],
      freeTrial: { durationLength: 14, durationType: "day", cardRequired: false },
    });
    const pro = plan(await a.customers.get({ customerId }), ids.pro);
    assert.ok(pro.trialEndsAt > pro.startedAt);
    assert.equal(pro.expiresAt, pro.trialEndsAt);

    const later = uid("cus");
    await a.customers.getOrCreate({ customerId: later });
    const startsAt = Date.now() + 30 * 86_400_000;
    await a.billing.attach({ customerId: later, planId: ids.pro, startsAt, featureQuantities: [{ featureId: ids.seats, quantity: 5 }] });
    const scheduled = plan(await a.customers.get({ customerId: later }), ids.pro);
    assert.equal(scheduled.status, "scheduled");
    assert.equal(scheduled.startedAt, startsAt);
  });
});
