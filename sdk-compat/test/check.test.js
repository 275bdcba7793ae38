// check through the official SDK: allowed/denied with exact balances, credit-system conversion of requiredBalance,
// flags, and sendEvent's all-or-nothing consume.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sdkError, uid, useServer } from "../lib/server.js";

describe("check", () => {
  const srv = useServer();

  /** messages 10/month, premium_message inside credits (cost 5, 50/month), boolean sso; a customer on the plan. */
  async function setup() {
    const a = srv.autumn;
    const ids = {
      messages: uid("messages"),
      premium: uid("premium_message"),
      credits: uid("credits"),
      sso: uid("sso"),
      plan: uid("pro"),
      customer: uid("cus"),
    };
    await a.features.create({ featureId: ids.messages, name: "Messages", type: "metered", consumable: true });
    await a.features.create({ featureId: ids.premium, name: "Premium", type: "metered", consumable: true });
    await a.features.create({
      featureId: ids.credits,
      name: "Credits",
      type: "credit_system",
      creditSchema: [{ meteredFeatureId: ids.premium, creditCost: 5 }],
    });
    await a.features.create({ featureId: ids.sso, name: "SSO", type: "boolean" });
    await a.plans.create({
      planId: ids.plan,
      name: "Pro",
      items: [
        { featureId: ids.messages, included: 10, reset: { interval: "month" } },
        { featureId: ids.credits, included: 50, reset: { interval: "month" } },
        { featureId: ids.sso },
      ],
    });
    await a.customers.getOrCreate({ customerId: ids.customer });
    await a.billing.attach({ customerId: ids.customer, planId: ids.plan });
    return ids;
  }

  test("check allows up to the remaining balance and denies beyond it, returning the balance either way", async () => {
    const a = srv.autumn;
    const ids = await setup();
    const one = await a.check({ customerId: ids.customer, featureId: ids.messages });
    assert.equal(one.allowed, true);
    assert.equal(one.customerId, ids.customer);
    assert.equal(one.requiredBalance, 1, "requiredBalance defaults to 1");
    assert.equal(one.balance.featureId, ids.messages);
    assert.equal(one.balance.remaining, 10);
    assert.equal(one.flag, null);

    const all = await a.check({ customerId: ids.customer, featureId: ids.messages, requiredBalance: 10 });
    assert.equal(all.allowed, true);

    const over = await a.check({ customerId: ids.customer, featureId: ids.messages, requiredBalance: 11 });
    assert.equal(over.allowed, false);
    assert.equal(over.requiredBalance, 11);
    assert.equal(over.balance.granted, 10);
    assert.equal(over.balance.remaining, 10);
    assert.equal(over.balance.usage, 0);

    await a.track({ customerId: ids.customer, featureId: ids.messages, value: 7 });
    const after = await a.check({ customerId: ids.customer, featureId: ids.messages, requiredBalance: 4 });
    assert.equal(after.allowed, false);
    assert.equal(after.balance.remaining, 3);
    assert.equal(after.balance.usage, 7);
    assert.equal((await a.check({ customerId: ids.customer, featureId: ids.messages, requiredBalance: 3 })).allowed, true);

    const c = await a.customers.get({ customerId: ids.customer });
    assert.equal(c.balances[ids.messages].remaining, 3, "plain checks consume nothing");
    assert.equal((await a.events.list({ customerId: ids.customer })).list.length, 1, "plain checks record no event");
  });

  test("a credit system answers for its metered feature: requiredBalance 8 premium messages is echoed as 40 credits", async () => {
    const a = srv.autumn;
    const ids = await setup();
    const yes = await a.check({ customerId: ids.customer, featureId: ids.premium, requiredBalance: 8 });
    assert.equal(yes.allowed, true, "40 credits needed, 50 left");
    assert.equal(yes.requiredBalance, 40);
    assert.equal(yes.balance.featureId, ids.credits);
    assert.equal(yes.balance.remaining, 50);

    await a.track({ customerId: ids.customer, featureId: ids.premium, value: 3 });
    const no = await a.check({ customerId: ids.customer, featureId: ids.premium, requiredBalance: 8 });
    assert.equal(no.allowed, false, "40 credits needed, 35 left");
    assert.equal(no.requiredBalance, 40);
    assert.equal(no.balance.featureId, ids.credits);
    assert.equal(no.balance.remaining, 35);
    assert.equal(no.balance.usage, 15);

    const seven = await a.check({ customerId: ids.customer, featureId: ids.premium, requiredBalance: 7 });
    assert.equal(seven.allowed, true, "35 credits needed, 35 left");
    assert.equal(seven.requiredBalance, 35);
  });

  test("boolean features answer with a flag; a customer without the plan is denied with balance and flag null", async () => {
    const a = srv.autumn;
    const ids = await setup();
    const on = await a.check({ customerId: ids.customer, featureId: ids.sso });
    assert.equal(on.allowed, true);
    assert.equal(on.flag.featureId, ids.sso);
    assert.equal(on.flag.planId, ids.plan);
    assert.equal(on.balance, null);

    const bare = uid("bare");
    await a.customers.getOrCreate({ customerId: bare });
    const off = await a.check({ customerId: bare, featureId: ids.sso });
    assert.equal(off.allowed, false);
    assert.equal(off.flag, null);
    const noBalance = await a.check({ customerId: bare, featureId: ids.messages });
    assert.equal(noBalance.allowed, false);
    assert.equal(noBalance.balance, null);
  });

  test("check with sendEvent consumes exactly once: remaining 10 → 7, one event of value 3", async () => {
    const a = srv.autumn;
    const ids = await setup();
    const r = await a.check({ customerId: ids.customer, featureId: ids.messages, requiredBalance: 3, sendEvent: true });
    assert.equal(r.allowed, true);
    assert.equal(r.balance.remaining, 7, "the answer shows the balance after the deduction");
    assert.equal(r.balance.usage, 3);

    const c = await a.customers.get({ customerId: ids.customer });
    assert.equal(c.balances[ids.messages].remaining, 7);
    assert.equal(c.balances[ids.messages].usage, 3);
    const { list } = await a.events.list({ customerId: ids.customer });
    assert.equal(list.length, 1);
    assert.equal(list[0].featureId, ids.messages);
    assert.equal(list[0].value, 3);
    assert.equal(list[0].deductions.reduce((s, d) => s + d.value, 0), 3);
  });

  test("a denied sendEvent changes nothing: no deduction, no event", async () => {
    const a = srv.autumn;
    const ids = await setup();
    await a.check({ customerId: ids.customer, featureId: ids.messages, requiredBalance: 3, sendEvent: true });
    const denied = await a.check({ customerId: ids.customer, featureId: ids.messages, requiredBalance: 8, sendEvent: true });
    assert.equal(denied.allowed, false);
    assert.equal(denied.balance.remaining, 7);
    assert.equal(denied.balance.usage, 3);

    const c = await a.customers.get({ customerId: ids.customer });
    assert.equal(c.balances[ids.messages].remaining, 7, "all or nothing: 7 of 8 were not taken");
    assert.equal((await a.events.list({ customerId: ids.customer })).list.length, 1, "no event for the denied consume");
  });

  test("sendEvent through a credit system deducts credits at cost; denied leaves the credits alone", async () => {
    const a = srv.autumn;
    const ids = await setup();
    const ok = await a.check({ customerId: ids.customer, featureId: ids.premium, requiredBalance: 4, sendEvent: true });
    assert.equal(ok.allowed, true);
    assert.equal((await a.customers.get({ customerId: ids.customer })).balances[ids.credits].remaining, 30);
    const no = await a.check({ customerId: ids.customer, featureId: ids.premium, requiredBalance: 7, sendEvent: true });
    assert.equal(no.allowed, false);
    assert.equal((await a.customers.get({ customerId: ids.customer })).balances[ids.credits].remaining, 30);
    assert.equal((await a.events.list({ customerId: ids.customer })).list.length, 1);
  });

  test("check on an unknown customer or feature is a 404, not a fail-open allowed", async () => {
    const a = srv.autumn;
    const ids = await setup();
    const noCustomer = await sdkError(a.check({ customerId: uid("ghost"), featureId: ids.messages }));
    assert.equal(noCustomer.status, 404);
    assert.equal(noCustomer.code, "customer_not_found");
    const noFeature = await sdkError(a.check({ customerId: ids.customer, featureId: uid("nope") }));
    assert.equal(noFeature.status, 404);
    assert.equal(noFeature.code, "feature_not_found");
  });
});
