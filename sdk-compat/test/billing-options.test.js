// billing.attach customize / carryOverUsages / carryOverBalances and billing.previewAttach through the official SDK
// (autumn-js 1.3.13): per-customer items and price with the catalog plan unchanged, what an upgrade carries from the
// plan it replaces, and a preview that answers what would change while writing nothing.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sdkError, uid, useServer } from "../lib/server.js";

describe("billing options", () => {
  const srv = useServer();

  /** A free plan (100 messages) and a paid pro (1000 messages, $25/month) in one group; a customer on free who used 40. */
  async function upgradeCase() {
    const a = srv.autumn;
    const ids = { messages: uid("messages"), free: uid("free"), pro: uid("pro"), group: uid("grp") };
    await a.features.create({ featureId: ids.messages, name: "Messages", type: "metered", consumable: true });
    await a.plans.create({
      planId: ids.free, name: "Free", group: ids.group,
      items: [{ featureId: ids.messages, included: 100, reset: { interval: "month" } }],
    });
    await a.plans.create({
      planId: ids.pro, name: "Pro", group: ids.group, price: { amount: 25, interval: "month" },
      items: [{ featureId: ids.messages, included: 1000, reset: { interval: "month" } }],
    });
    const customerId = uid("cus");
    await a.customers.getOrCreate({ customerId });
    await a.billing.attach({ customerId, planId: ids.free });
    await a.track({ customerId, featureId: ids.messages, value: 40 });
    return { ...ids, customerId };
  }

  const ours = (c, ids) => c.subscriptions.filter((s) => s.planId === ids.pro || s.planId === ids.free);

  test("customize: this customer's items and price; the catalog plan and other customers are unchanged", async () => {
    const a = srv.autumn;
    const ids = await upgradeCase();
    await a.billing.attach({
      customerId: ids.customerId, planId: ids.pro,
      customize: {
        price: { amount: 9, interval: "month" },
        items: [{ featureId: ids.messages, included: 250, reset: { interval: "month" } }],
      },
    });
    const other = uid("cus");
    await a.customers.getOrCreate({ customerId: other });
    await a.billing.attach({ customerId: other, planId: ids.pro });

    const c = await a.customers.get({ customerId: ids.customerId });
    assert.equal(c.balances[ids.messages].granted, 250);
    const sub = ours(c, ids)[0];
    assert.equal(sub.planId, ids.pro);
    assert.equal(sub.plan.price.amount, 9);
    assert.equal((await a.customers.get({ customerId: other })).balances[ids.messages].granted, 1000);
    const catalog = await a.plans.get({ planId: ids.pro });
    assert.equal(catalog.price.amount, 25);
    assert.equal(catalog.items[0].included, 1000);
  });

  test("customize addItems / removeItems, and a filter matching nothing is a 400 naming it", async () => {
    const a = srv.autumn;
    const ids = await upgradeCase();
    const calls = uid("calls");
    await a.features.create({ featureId: calls, name: "Calls", type: "metered", consumable: true });

    const err = await sdkError(a.billing.attach({
      customerId: ids.customerId, planId: ids.pro, customize: { removeItems: [{ featureId: calls }] },
    }));
    assert.equal(err.status, 400);
    assert.match(err.message, /customize\.remove_items\[0\]/);

    await a.billing.attach({
      customerId: ids.customerId, planId: ids.pro,
      customize: { removeItems: [{ featureId: ids.messages }], addItems: [{ featureId: calls, included: 7 }] },
    });
    const c = await a.customers.get({ customerId: ids.customerId });
    assert.equal(c.balances[calls].granted, 7);
    assert.equal(c.balances[ids.messages], undefined);
  });

  test("carryOverUsages charges the replaced plan's usage to the new plan; carryOverBalances keeps what was left", async () => {
    const a = srv.autumn;
    const usages = await upgradeCase();
    await a.billing.attach({ customerId: usages.customerId, planId: usages.pro, carryOverUsages: { enabled: true } });
    let b = (await a.customers.get({ customerId: usages.customerId })).balances[usages.messages];
    assert.deepEqual([b.granted, b.usage, b.remaining], [1000, 40, 960]);

    const balances = await upgradeCase();
    await a.billing.attach({
      customerId: balances.customerId, planId: balances.pro, carryOverBalances: { enabled: true, featureIds: [balances.messages] },
    });
    b = (await a.customers.get({ customerId: balances.customerId })).balances[balances.messages];
    assert.deepEqual([b.granted, b.remaining], [1060, 1060]);
  });

  test("previewAttach answers plans in and out, balances before and after, and amounts; nothing changes", async () => {
    const a = srv.autumn;
    const ids = await upgradeCase();

    const p = await a.billing.previewAttach({ customerId: ids.customerId, planId: ids.pro, carryOverUsages: { enabled: true } });

    assert.equal(p.customerId, ids.customerId);
    assert.deepEqual(p.incoming.map((i) => i.planId), [ids.pro]);
    assert.deepEqual(p.outgoing.map((o) => o.planId), [ids.free]);
    assert.equal(p.total, 25);
    assert.equal(p.lineItems[0].planId, ids.pro);
    assert.equal(p.nextCycle.total, 25);
    assert.equal(p.redirectToCheckout, false);
    const c = await a.customers.get({ customerId: ids.customerId });
    assert.deepEqual(ours(c, ids).map((s) => s.planId), [ids.free]);
    assert.equal(c.balances[ids.messages].remaining, 60);
  });

  test("previewAttach refuses what attach refuses", async () => {
    const a = srv.autumn;
    const ids = await upgradeCase();
    const err = await sdkError(a.billing.previewAttach({ customerId: ids.customerId, planId: ids.free }));
    assert.equal(err.status, 409);
    assert.equal(err.code, "plan_already_attached");
  });
});
