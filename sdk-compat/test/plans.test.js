// plans.* through the official SDK: items with included amounts, resets, usage-based and prepaid prices, and what
// those items become once the plan is attached.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sdkError, uid, useServer } from "../lib/server.js";

const MONTH_MS_MIN = 28 * 24 * 3600 * 1000;
const MONTH_MS_MAX = 31 * 24 * 3600 * 1000;

describe("plans", () => {
  const srv = useServer();

  /** Creates the three metered features a "pro" plan uses; returns their ids. */
  async function features() {
    const a = srv.autumn;
    const ids = { messages: uid("messages"), api: uid("api_calls"), tokens: uid("tokens"), sso: uid("sso") };
    await a.features.create({ featureId: ids.messages, name: "Messages", type: "metered", consumable: true });
    await a.features.create({ featureId: ids.api, name: "API calls", type: "metered", consumable: true });
    await a.features.create({ featureId: ids.tokens, name: "Tokens", type: "metered", consumable: true });
    await a.features.create({ featureId: ids.sso, name: "SSO", type: "boolean" });
    return ids;
  }

  function proItems(ids) {
    return [
      { featureId: ids.messages, included: 100, reset: { interval: "month" } },
      {
        featureId: ids.api,
        included: 10,
        reset: { interval: "month" },
        price: { amount: 0.5, interval: "month", billingMethod: "usage_based", maxPurchase: 20 },
      },
      {
        featureId: ids.tokens,
        included: 0,
        reset: { interval: "month" },
        price: { amount: 10, interval: "month", billingUnits: 100, billingMethod: "prepaid" },
      },
      { featureId: ids.sso },
    ];
  }

  test("plans.create echoes every item: included, reset, usage_based price with max_purchase, prepaid price", async () => {
    const a = srv.autumn;
    const ids = await features();
    const planId = uid("pro");
    const p = await a.plans.create({ planId, name: "Pro", description: "For teams", items: proItems(ids) });
    assert.equal(p.id, planId);
    assert.equal(p.name, "Pro");
    assert.equal(p.description, "For teams");
    assert.equal(p.version, 1);
    assert.equal(p.addOn, false);
    assert.equal(p.autoEnable, false);
    assert.equal(p.archived, false);
    assert.equal(p.price, null);
    assert.equal(p.env, "sandbox");
    assert.equal(p.items.length, 4);

    const byId = Object.fromEntries(p.items.map((i) => [i.featureId, i]));
    assert.equal(byId[ids.messages].included, 100);
    assert.equal(byId[ids.messages].unlimited, false);
    assert.equal(byId[ids.messages].reset.interval, "month");
    assert.equal(byId[ids.messages].price, null);

    assert.equal(byId[ids.api].included, 10);
    assert.equal(byId[ids.api].price.billingMethod, "usage_based");
    assert.equal(byId[ids.api].price.amount, 0.5);
    assert.equal(byId[ids.api].price.maxPurchase, 20);
    assert.equal(byId[ids.api].price.interval, "month");

    assert.equal(byId[ids.tokens].price.billingMethod, "prepaid");
    assert.equal(byId[ids.tokens].price.billingUnits, 100);
    assert.equal(byId[ids.tokens].price.amount, 10);

    assert.equal(byId[ids.sso].included, 0);
    assert.equal(byId[ids.sso].reset, null);
    assert.equal(byId[ids.sso].price, null);
  });

  test("plans.get and plans.list return the created plan; an unknown plan is 404 product_not_found", async () => {
    const a = srv.autumn;
    const ids = await features();
    const planId = uid("pro");
    const price = { amount: 20, interval: "month" };
    await a.plans.create({ planId, name: "Pro", price, items: proItems(ids) });

    const got = await a.plans.get({ planId });
    assert.equal(got.id, planId);
    assert.equal(got.version, 1);
    assert.equal(got.price.amount, 20);
    assert.equal(got.price.interval, "month");
    assert.equal(got.items.length, 4);
    assert.equal(got.items.find((i) => i.featureId === ids.api).price.maxPurchase, 20);

    const { list } = await a.plans.list();
    const listed = list.find((p) => p.id === planId);
    assert.ok(listed, "plans.list includes the plan");
    assert.equal(listed.items.length, 4);

    const missing = await sdkError(a.plans.get({ planId: uid("nope") }));
    assert.equal(missing.status, 404);
    assert.equal(missing.code, "product_not_found");
  });

  test("attach turns items into balances: included 100 monthly, usage-based overage to max_purchase, prepaid quantity", async () => {
    const a = srv.autumn;
    const ids = await features();
    const planId = uid("pro");
    await a.plans.create({ planId, name: "Pro", items: proItems(ids) });
    const customerId = uid("cus");
    await a.customers.getOrCreate({ customerId });
    const before = Date.now();
    const att = await a.billing.attach({ customerId, planId, featureQuantities: [{ featureId: ids.tokens, quantity: 300 }] });
    assert.equal(att.customerId, customerId);
    assert.equal(att.paymentUrl, null);

    const c = await a.customers.get({ customerId });
    assert.equal(c.subscriptions.length, 1);
    assert.equal(c.subscriptions[0].planId, planId);
    assert.equal(c.subscriptions[0].status, "active");

    const m = c.balances[ids.messages];
    assert.equal(m.granted, 100);
    assert.equal(m.remaining, 100);
    assert.equal(m.usage, 0);
    assert.equal(m.overageAllowed, false);
    assert.ok(m.nextResetAt - before >= MONTH_MS_MIN && m.nextResetAt - before <= MONTH_MS_MAX + 60_000, "resets in one month");

    const api = c.balances[ids.api];
    assert.equal(api.granted, 10);
    assert.equal(api.remaining, 10);
    assert.equal(api.overageAllowed, true);
    assert.equal(api.maxPurchase, 20);

    const tok = c.balances[ids.tokens];
    assert.equal(tok.granted, 300);
    assert.equal(tok.remaining, 300);
    assert.equal(tok.breakdown[0].prepaidGrant, 300);
    assert.equal(tok.breakdown[0].includedGrant, 0);

    assert.equal(c.flags[ids.sso].featureId, ids.sso);
    assert.equal(c.flags[ids.sso].planId, planId);
    assert.equal(c.balances[ids.sso], undefined, "a boolean feature is a flag, not a balance");
  });

  test("usage-based item: tracking past included goes into overage and stops at max_purchase (10 + 20 = 30)", async () => {
    const a = srv.autumn;
    const ids = await features();
    const planId = uid("pro");
    await a.plans.create({ planId, name: "Pro", items: proItems(ids) });
    const customerId = uid("cus");
    await a.customers.getOrCreate({ customerId });
    await a.billing.attach({ customerId, planId, featureQuantities: [{ featureId: ids.tokens, quantity: 100 }] });

    const t1 = await a.track({ customerId, featureId: ids.api, value: 25 });
    assert.equal(t1.balance.remaining, 0);
    assert.equal(t1.balance.usage, 25);
    assert.equal(t1.balance.granted, 10);

    const ok = await a.check({ customerId, featureId: ids.api, requiredBalance: 5 });
    assert.equal(ok.allowed, true, "5 of the 20 overage units are left");
    const no = await a.check({ customerId, featureId: ids.api, requiredBalance: 6 });
    assert.equal(no.allowed, false);

    const t2 = await a.track({ customerId, featureId: ids.api, value: 10 });
    assert.equal(t2.balance.usage, 30, "capped at included + max_purchase");
    assert.equal(t2.balance.remaining, 0);
    assert.equal(t2.deductions.reduce((s, d) => s + d.value, 0), 5);

    const prepaid = await a.track({ customerId, featureId: ids.tokens, value: 150 });
    assert.equal(prepaid.balance.usage, 100, "a prepaid balance cannot go negative");
    assert.equal(prepaid.balance.remaining, 0);
  });

  test("a prepaid item needs a quantity at attach (400), and nothing is attached", async () => {
    const a = srv.autumn;
    const ids = await features();
    const planId = uid("pro");
    await a.plans.create({ planId, name: "Pro", items: proItems(ids) });
    const customerId = uid("cus");
    await a.customers.getOrCreate({ customerId });
    const err = await sdkError(a.billing.attach({ customerId, planId }));
    assert.equal(err.status, 400);
    const c = await a.customers.get({ customerId });
    assert.equal(c.subscriptions.length, 0);
    assert.deepEqual(c.balances, {});
  });

  test("plans.update in place before anyone has it; after attach a new version, and the customer keeps version 1", async () => {
    const a = srv.autumn;
    const ids = await features();
    const planId = uid("basic");
    await a.plans.create({ planId, name: "Basic", items: [{ featureId: ids.messages, included: 100, reset: { interval: "month" } }] });

    const renamed = await a.plans.update({ planId, name: "Basic plan", description: "Starter" });
    assert.equal(renamed.name, "Basic plan");
    assert.equal(renamed.description, "Starter");
    assert.equal(renamed.version, 1);

    const early = await a.plans.update({
      planId,
      items: [{ featureId: ids.messages, included: 150, reset: { interval: "month" } }],
    });
    assert.equal(early.version, 1, "no customer has it yet: edited in place");
    assert.equal(early.items[0].included, 150);

    const first = uid("cus");
    await a.customers.getOrCreate({ customerId: first });
    await a.billing.attach({ customerId: first, planId });

    const v2 = await a.plans.update({
      planId,
      items: [{ featureId: ids.messages, included: 200, reset: { interval: "month" } }],
    });
    assert.equal(v2.version, 2);
    assert.equal(v2.items[0].included, 200);
    assert.equal((await a.plans.get({ planId })).version, 2);
    assert.equal((await a.plans.get({ planId })).items[0].included, 200);

    assert.equal((await a.customers.get({ customerId: first })).balances[ids.messages].granted, 150);
    const second = uid("cus");
    await a.customers.getOrCreate({ customerId: second });
    await a.billing.attach({ customerId: second, planId });
    assert.equal((await a.customers.get({ customerId: second })).balances[ids.messages].granted, 200);
  });

  test("plans.delete removes an unattached plan; an attached plan is refused with a 400", async () => {
    const a = srv.autumn;
    const ids = await features();
    const unused = uid("unused");
    const used = uid("used");
    await a.plans.create({ planId: unused, name: "Unused", items: [{ featureId: ids.messages, included: 1 }] });
    await a.plans.create({ planId: used, name: "Used", items: [{ featureId: ids.messages, included: 1 }] });
    const customerId = uid("cus");
    await a.customers.getOrCreate({ customerId });
    await a.billing.attach({ customerId, planId: used });

    assert.equal((await a.plans.delete({ planId: unused })).success, true);
    const gone = await sdkError(a.plans.get({ planId: unused }));
    assert.equal(gone.status, 404);
    assert.equal(gone.code, "product_not_found");
    assert.equal((await a.plans.list()).list.some((p) => p.id === unused), false);

    const refused = await sdkError(a.plans.delete({ planId: used }));
    assert.equal(refused.status, 400);
    assert.equal((await a.plans.get({ planId: used })).id, used);
  });

  test("plans.create with an existing id is 400 product_already_exists", async () => {
    const a = srv.autumn;
    const ids = await features();
    const planId = uid("dup");
    await a.plans.create({ planId, name: "One", items: [{ featureId: ids.messages, included: 1 }] });
    const err = await sdkError(a.plans.create({ planId, name: "Two" }));
    assert.equal(err.status, 400);
    assert.equal(err.code, "product_already_exists");
    assert.equal((await a.plans.get({ planId })).name, "One");
  });

  test("an unlimited item gives an unlimited balance: every check allowed, usage counted", async () => {
    const a = srv.autumn;
    const ids = await features();
    const planId = uid("unl");
    const p = await a.plans.create({ planId, name: "Unlimited", items: [{ featureId: ids.messages, unlimited: true }] });
    assert.equal(p.items[0].unlimited, true);
    const customerId = uid("cus");
    await a.customers.getOrCreate({ customerId });
    await a.billing.attach({ customerId, planId });
    const chk = await a.check({ customerId, featureId: ids.messages, requiredBalance: 1_000_000 });
    assert.equal(chk.allowed, true);
    assert.equal(chk.balance.unlimited, true);
    const t = await a.track({ customerId, featureId: ids.messages, value: 500 });
    assert.equal(t.balance.unlimited, true);
    assert.equal(t.balance.usage, 500);
  });

  test("an archived plan leaves plans.list (unless includeArchived) and cannot be attached", async () => {
    const a = srv.autumn;
    const ids = await features();
    const planId = uid("old");
    await a.plans.create({ planId, name: "Old", items: [{ featureId: ids.messages, included: 1 }] });
    const archived = await a.plans.update({ planId, archived: true });
    assert.equal(archived.archived, true);
    assert.equal((await a.plans.list()).list.some((p) => p.id === planId), false);
    assert.equal((await a.plans.list({ includeArchived: true })).list.some((p) => p.id === planId), true);
    const customerId = uid("cus");
    await a.customers.getOrCreate({ customerId });
    const err = await sdkError(a.billing.attach({ customerId, planId }));
    assert.equal(err.status, 400);
    assert.deepEqual((await a.customers.get({ customerId })).balances, {});
  });

  test("add-ons stack; a second main plan in the same group replaces the first and its balances", async () => {
    const a = srv.autumn;
    const ids = await features();
    const basic = uid("basic");
    const pro = uid("pro");
    const boost = uid("boost");
    await a.plans.create({ planId: basic, name: "Basic", items: [{ featureId: ids.messages, included: 100, reset: { interval: "month" } }] });
    await a.plans.create({ planId: pro, name: "Pro", items: [{ featureId: ids.messages, included: 500, reset: { interval: "month" } }] });
    await a.plans.create({
      planId: boost,
      name: "Boost",
      addOn: true,
      items: [{ featureId: ids.messages, included: 20, reset: { interval: "month" } }],
    });
    const customerId = uid("cus");
    await a.customers.getOrCreate({ customerId });
    await a.billing.attach({ customerId, planId: basic });
    await a.billing.attach({ customerId, planId: boost });
    let c = await a.customers.get({ customerId });
    assert.equal(c.balances[ids.messages].granted, 120);
    assert.deepEqual(c.subscriptions.map((s) => s.planId).sort(), [basic, boost].sort());

    await a.billing.attach({ customerId, planId: pro });
    c = await a.customers.get({ customerId });
    assert.equal(c.balances[ids.messages].granted, 520, "pro replaced basic; the add-on stays");
    assert.deepEqual(c.subscriptions.map((s) => s.planId).sort(), [pro, boost].sort());
  });
});
