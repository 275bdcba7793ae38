// balances.create / update / delete through the official SDK: standalone grants and manual corrections, checked
// against customers.get, check and track.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sdkError, uid, useServer } from "../lib/server.js";

const MONTH_MS_MIN = 28 * 24 * 3600 * 1000;
const MONTH_MS_MAX = 31 * 24 * 3600 * 1000;

describe("balances", () => {
  const srv = useServer();

  /** A metered feature and a fresh customer with no plan. */
  async function setup() {
    const a = srv.autumn;
    const ids = { messages: uid("messages"), customer: uid("cus") };
    await a.features.create({ featureId: ids.messages, name: "Messages", type: "metered", consumable: true });
    await a.customers.getOrCreate({ customerId: ids.customer });
    return ids;
  }

  test("balances.create grants a standalone balance: granted 25, remaining 25, breakdown id = balanceId, planId null", async () => {
    const a = srv.autumn;
    const ids = await setup();
    const r = await a.balances.create({ customerId: ids.customer, featureId: ids.messages, includedGrant: 25, balanceId: "promo" });
    assert.equal(r.success, true);

    const m = (await a.customers.get({ customerId: ids.customer })).balances[ids.messages];
    assert.equal(m.granted, 25);
    assert.equal(m.remaining, 25);
    assert.equal(m.usage, 0);
    assert.equal(m.nextResetAt, null, "no reset given: a one-time grant");
    assert.equal(m.breakdown.length, 1);
    assert.equal(m.breakdown[0].id, "promo");
    assert.equal(m.breakdown[0].planId, null);
    assert.equal(m.breakdown[0].includedGrant, 25);

    const t = await a.track({ customerId: ids.customer, featureId: ids.messages, value: 5 });
    assert.equal(t.balance.remaining, 20);
    assert.equal(t.deductions[0].balanceId, "promo");
    assert.equal(t.deductions[0].planId, null);
  });

  test("balances.create with a monthly reset stacks on a plan balance: 100 + 40 = 140 granted", async () => {
    const a = srv.autumn;
    const ids = await setup();
    const planId = uid("plan");
    await a.plans.create({ planId, name: "Plan", items: [{ featureId: ids.messages, included: 100, reset: { interval: "month" } }] });
    await a.billing.attach({ customerId: ids.customer, planId });
    const before = Date.now();
    await a.balances.create({ customerId: ids.customer, featureId: ids.messages, includedGrant: 40, reset: { interval: "month" } });

    const m = (await a.customers.get({ customerId: ids.customer })).balances[ids.messages];
    assert.equal(m.granted, 140);
    assert.equal(m.remaining, 140);
    assert.equal(m.breakdown.length, 2);
    const grant = m.breakdown.find((b) => b.planId === null);
    assert.equal(grant.includedGrant, 40);
    assert.equal(grant.reset.interval, "month");
    const dt = grant.reset.resetsAt - before;
    assert.ok(dt >= MONTH_MS_MIN && dt <= MONTH_MS_MAX + 60_000, `resets in a month (got ${dt} ms)`);

    assert.equal((await a.check({ customerId: ids.customer, featureId: ids.messages, requiredBalance: 140 })).allowed, true);
    assert.equal((await a.check({ customerId: ids.customer, featureId: ids.messages, requiredBalance: 141 })).allowed, false);
  });

  test("balances.create unlimited: every check is allowed and usage is still counted", async () => {
    const a = srv.autumn;
    const ids = await setup();
    await a.balances.create({ customerId: ids.customer, featureId: ids.messages, unlimited: true });
    const c = await a.check({ customerId: ids.customer, featureId: ids.messages, requiredBalance: 1e9 });
    assert.equal(c.allowed, true);
    assert.equal(c.balance.unlimited, true);
    const t = await a.track({ customerId: ids.customer, featureId: ids.messages, value: 12 });
    assert.equal(t.balance.unlimited, true);
    assert.equal(t.balance.usage, 12);
  });

  test("balances.create validation: neither includedGrant nor unlimited is 400; unknown customer 404; unknown feature 404", async () => {
    const a = srv.autumn;
    const ids = await setup();
    const neither = await sdkError(a.balances.create({ customerId: ids.customer, featureId: ids.messages }));
    assert.equal(neither.status, 400);
    const noCustomer = await sdkError(a.balances.create({ customerId: uid("ghost"), featureId: ids.messages, includedGrant: 1 }));
    assert.equal(noCustomer.status, 404);
    assert.equal(noCustomer.code, "customer_not_found");
    const noFeature = await sdkError(a.balances.create({ customerId: ids.customer, featureId: uid("nope"), includedGrant: 1 }));
    assert.equal(noFeature.status, 404);
    assert.equal(noFeature.code, "feature_not_found");
    assert.deepEqual((await a.customers.get({ customerId: ids.customer })).balances, {});
  });

  test("balances.update remaining sets the remaining amount exactly; granted does not move", async () => {
    const a = srv.autumn;
    const ids = await setup();
    await a.balances.create({ customerId: ids.customer, featureId: ids.messages, includedGrant: 25 });
    assert.equal((await a.balances.update({ customerId: ids.customer, featureId: ids.messages, remaining: 10 })).success, true);
    let m = (await a.customers.get({ customerId: ids.customer })).balances[ids.messages];
    assert.equal(m.remaining, 10);
    assert.equal(m.usage, 15);
    assert.equal(m.granted, 25);

    await a.balances.update({ customerId: ids.customer, featureId: ids.messages, remaining: 25 });
    m = (await a.customers.get({ customerId: ids.customer })).balances[ids.messages];
    assert.equal(m.remaining, 25);
    assert.equal(m.usage, 0);
  });

  test("balances.update on a plan balance: remaining 10 of 100 → usage 90 (the worked example)", async () => {
    const a = srv.autumn;
    const ids = await setup();
    const planId = uid("plan");
    await a.plans.create({ planId, name: "Plan", items: [{ featureId: ids.messages, included: 100, reset: { interval: "month" } }] });
    await a.billing.attach({ customerId: ids.customer, planId });
    await a.balances.update({ customerId: ids.customer, featureId: ids.messages, remaining: 10 });
    const m = (await a.customers.get({ customerId: ids.customer })).balances[ids.messages];
    assert.equal(m.granted, 100);
    assert.equal(m.remaining, 10);
    assert.equal(m.usage, 90);
  });

  test("balances.update addToBalance adds (and subtracts) a delta", async () => {
    const a = srv.autumn;
    const ids = await setup();
    await a.balances.create({ customerId: ids.customer, featureId: ids.messages, includedGrant: 25 });
    await a.track({ customerId: ids.customer, featureId: ids.messages, value: 15 });
    await a.balances.update({ customerId: ids.customer, featureId: ids.messages, addToBalance: 5 });
    let m = (await a.customers.get({ customerId: ids.customer })).balances[ids.messages];
    assert.equal(m.remaining, 15);
    assert.equal(m.usage, 10);
    assert.equal(m.granted, 25);

    await a.balances.update({ customerId: ids.customer, featureId: ids.messages, addToBalance: -3 });
    m = (await a.customers.get({ customerId: ids.customer })).balances[ids.messages];
    assert.equal(m.remaining, 12);
    assert.equal(m.usage, 13);

    const both = await sdkError(
      a.balances.update({ customerId: ids.customer, featureId: ids.messages, remaining: 1, addToBalance: 1 }),
    );
    assert.equal(both.status, 400);
    assert.equal((await a.customers.get({ customerId: ids.customer })).balances[ids.messages].remaining, 12);
  });

  test("balances.delete removes a standalone grant by balanceId, then the (unpaid) plan balance too", async () => {
    const a = srv.autumn;
    const ids = await setup();
    const planId = uid("plan");
    await a.plans.create({ planId, name: "Plan", items: [{ featureId: ids.messages, included: 100, reset: { interval: "month" } }] });
    await a.billing.attach({ customerId: ids.customer, planId });
    await a.balances.create({ customerId: ids.customer, featureId: ids.messages, includedGrant: 30, balanceId: "topup" });
    assert.equal((await a.customers.get({ customerId: ids.customer })).balances[ids.messages].granted, 130);

    assert.equal((await a.balances.delete({ customerId: ids.customer, balanceId: "topup" })).success, true);
    const m = (await a.customers.get({ customerId: ids.customer })).balances[ids.messages];
    assert.equal(m.granted, 100);
    assert.equal(m.remaining, 100);
    assert.deepEqual(m.breakdown.map((b) => b.planId), [planId]);

    const again = await sdkError(a.balances.delete({ customerId: ids.customer, balanceId: "topup" }));
    assert.equal(again.status, 404);

    const planBalance = m.breakdown[0].id;
    assert.equal((await a.balances.delete({ customerId: ids.customer, balanceId: planBalance })).success, true);
    assert.equal((await a.customers.get({ customerId: ids.customer })).balances[ids.messages], undefined);
  });

  test("balances.delete by featureId removes the customer's only (standalone) balance of that feature", async () => {
    const a = srv.autumn;
    const ids = await setup();
    await a.balances.create({ customerId: ids.customer, featureId: ids.messages, includedGrant: 8 });
    assert.equal((await a.balances.delete({ customerId: ids.customer, featureId: ids.messages })).success, true);
    const c = await a.customers.get({ customerId: ids.customer });
    assert.equal(c.balances[ids.messages], undefined);
    const chk = await a.check({ customerId: ids.customer, featureId: ids.messages });
    assert.equal(chk.allowed, false);
    assert.equal(chk.balance, null);
  });

  test("a standalone grant drained to exactly 0 drops out of later reads; the plan balance stays", async () => {
    const a = srv.autumn;
    const ids = await setup();
    const planId = uid("plan");
    await a.plans.create({ planId, name: "Plan", items: [{ featureId: ids.messages, included: 100, reset: { interval: "month" } }] });
    await a.billing.attach({ customerId: ids.customer, planId });
    await a.balances.create({ customerId: ids.customer, featureId: ids.messages, includedGrant: 5, balanceId: "promo" });

    const t = await a.track({ customerId: ids.customer, featureId: ids.messages, value: 105 });
    assert.equal(t.balance.remaining, 0);
    assert.equal(t.balance.usage, 105, "the draining request still shows the grant");

    const m = (await a.customers.get({ customerId: ids.customer })).balances[ids.messages];
    assert.equal(m.granted, 100);
    assert.equal(m.usage, 100);
    assert.deepEqual(m.breakdown.map((b) => b.planId), [planId]);
  });

  test("balances.update usage sets usage; includedGrant changes this cycle's grant and leaves remaining alone", async () => {
    const a = srv.autumn;
    const ids = await setup();
    const planId = uid("plan");
    await a.plans.create({ planId, name: "Plan", items: [{ featureId: ids.messages, included: 100, reset: { interval: "month" } }] });
    await a.billing.attach({ customerId: ids.customer, planId });

    await a.balances.update({ customerId: ids.customer, featureId: ids.messages, usage: 30 });
    let m = (await a.customers.get({ customerId: ids.customer })).balances[ids.messages];
    assert.equal(m.usage, 30);
    assert.equal(m.remaining, 70);
    assert.equal(m.granted, 100);

    await a.balances.update({ customerId: ids.customer, featureId: ids.messages, includedGrant: 150 });
    m = (await a.customers.get({ customerId: ids.customer })).balances[ids.messages];
    assert.equal(m.granted, 150);
    assert.equal(m.remaining, 70, "remaining is not changed by included_grant");
    assert.equal(m.usage, 80, "so usage moves instead");

    const none = await sdkError(a.balances.update({ customerId: ids.customer, featureId: uid("none"), remaining: 1 }));
    assert.equal(none.status, 404);
    assert.equal(none.code, "feature_not_found");
  });

  test("balances.update remaining on a feature the customer has no balance of is a 200 no-op", async () => {
    const a = srv.autumn;
    const ids = await setup();
    const r = await a.balances.update({ customerId: ids.customer, featureId: ids.messages, remaining: 10 });
    assert.equal(r.success, true);
    assert.deepEqual((await a.customers.get({ customerId: ids.customer })).balances, {});
  });
});
