// billing.attach and track through the official SDK: the numbers of autumn-api.md §9, event-name fan-out, credit
// systems, refunds, and how the SDK surfaces the server's 404/409 errors.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AutumnError } from "autumn-js";
import { sdkError, uid, useServer } from "../lib/server.js";

describe("attach and track", () => {
  const srv = useServer();

  /**
   * The worked example's catalog: messages (100/month), premium_message inside credits (cost 5, 50/month), and two
   * token features that both listen to one event name (1000/month each). Returns the ids and a customer on the plan.
   */
  async function setup() {
    const a = srv.autumn;
    const ids = {
      messages: uid("messages"),
      premium: uid("premium_message"),
      credits: uid("credits"),
      input: uid("input_tokens"),
      output: uid("output_tokens"),
      event: uid("llm_call"),
      plan: uid("pro"),
      customer: uid("cus"),
    };
    await a.features.create({ featureId: ids.messages, name: "Messages", type: "metered", consumable: true });
    await a.features.create({ featureId: ids.premium, name: "Premium messages", type: "metered", consumable: true });
    await a.features.create({
      featureId: ids.credits,
      name: "Credits",
      type: "credit_system",
      creditSchema: [{ meteredFeatureId: ids.premium, creditCost: 5 }],
    });
    await a.features.create({ featureId: ids.input, name: "Input", type: "metered", consumable: true, eventNames: [ids.event] });
    await a.features.create({ featureId: ids.output, name: "Output", type: "metered", consumable: true, eventNames: [ids.event] });
    await a.plans.create({
      planId: ids.plan,
      name: "Pro",
      items: [
        { featureId: ids.messages, included: 100, reset: { interval: "month" } },
        { featureId: ids.credits, included: 50, reset: { interval: "month" } },
        { featureId: ids.input, included: 1000, reset: { interval: "month" } },
        { featureId: ids.output, included: 1000, reset: { interval: "month" } },
      ],
    });
    await a.customers.getOrCreate({ customerId: ids.customer });
    await a.billing.attach({ customerId: ids.customer, planId: ids.plan });
    return ids;
  }

  test("billing.attach grants the plan; attaching it again is an SDK error with status 409 plan_already_attached", async () => {
    const a = srv.autumn;
    const ids = await setup();
    const c = await a.customers.get({ customerId: ids.customer });
    assert.equal(c.balances[ids.messages].granted, 100);
    assert.equal(c.balances[ids.credits].granted, 50);

    const err = await sdkError(a.billing.attach({ customerId: ids.customer, planId: ids.plan }));
    assert.ok(err.error instanceof AutumnError, "the SDK throws its AutumnError");
    assert.equal(err.status, 409);
    assert.equal(err.code, "plan_already_attached");
    assert.equal(err.body.env, "sandbox");
    const after = await a.customers.get({ customerId: ids.customer });
    assert.equal(after.subscriptions.length, 1);
    assert.equal(after.balances[ids.messages].granted, 100, "the refused attach granted nothing more");

    const noPlan = await sdkError(a.billing.attach({ customerId: ids.customer, planId: uid("nope") }));
    assert.equal(noPlan.status, 404);
    assert.equal(noPlan.code, "product_not_found");
    const noCustomer = await sdkError(a.billing.attach({ customerId: uid("ghost"), planId: ids.plan }));
    assert.equal(noCustomer.status, 404);
    assert.equal(noCustomer.code, "customer_not_found");
  });

  test("track by featureId: 30 then 90 on 100 included → remaining 70, then 0 with usage 100 (cap drops 20)", async () => {
    const a = srv.autumn;
    const ids = await setup();
    const t1 = await a.track({ customerId: ids.customer, featureId: ids.messages, value: 30 });
    assert.equal(t1.customerId, ids.customer);
    assert.equal(t1.value, 30);
    assert.equal(t1.balance.featureId, ids.messages);
    assert.equal(t1.balance.granted, 100);
    assert.equal(t1.balance.remaining, 70);
    assert.equal(t1.balance.usage, 30);
    assert.equal(t1.balances, undefined, "a feature outside credit systems has no balances map");
    assert.equal(t1.deductions.length, 1);
    assert.equal(t1.deductions[0].featureId, ids.messages);
    assert.equal(t1.deductions[0].planId, ids.plan);
    assert.equal(t1.deductions[0].value, 30);

    const t2 = await a.track({ customerId: ids.customer, featureId: ids.messages, value: 90 });
    assert.equal(t2.value, 90, "the requested value is echoed, not the amount deducted");
    assert.equal(t2.balance.remaining, 0);
    assert.equal(t2.balance.usage, 100);
    assert.equal(t2.deductions[0].value, 70);

    const m = (await a.customers.get({ customerId: ids.customer })).balances[ids.messages];
    assert.equal(m.granted, 100);
    assert.equal(m.remaining, 0);
    assert.equal(m.usage, 100);

    const { list } = await a.events.list({ customerId: ids.customer, featureId: ids.messages });
    assert.deepEqual(list.map((e) => e.value), [90, 30], "both events recorded with the requested value");
  });

  test("track without value deducts 1", async () => {
    const a = srv.autumn;
    const ids = await setup();
    const t = await a.track({ customerId: ids.customer, featureId: ids.messages });
    assert.equal(t.value, 1);
    assert.equal(t.balance.remaining, 99);
  });

  test("track by eventName charges every feature listing it, in one event with two deductions", async () => {
    const a = srv.autumn;
    const ids = await setup();
    const t = await a.track({ customerId: ids.customer, eventName: ids.event, value: 7 });
    assert.equal(t.value, 7);
    assert.equal(t.balance, null, "an event that hits several features has no single balance");
    assert.equal(t.balances[ids.input].usage, 7);
    assert.equal(t.balances[ids.input].remaining, 993);
    assert.equal(t.balances[ids.output].usage, 7);
    assert.equal(t.balances[ids.output].remaining, 993);
    assert.deepEqual(t.deductions.map((d) => [d.featureId, d.value]).sort(), [[ids.input, 7], [ids.output, 7]].sort());

    const c = await a.customers.get({ customerId: ids.customer });
    assert.equal(c.balances[ids.input].remaining, 993);
    assert.equal(c.balances[ids.output].remaining, 993);
    assert.equal(c.balances[ids.messages].remaining, 100, "features not listing the event are untouched");

    const { list } = await a.events.list({ customerId: ids.customer });
    assert.equal(list.length, 1);
    assert.equal(list[0].featureId, ids.event, "the event is stored under its event name");
    assert.equal(list[0].value, 7);
    assert.equal(list[0].deductions.length, 2);

    const none = await sdkError(a.track({ customerId: ids.customer, eventName: uid("unheard") }));
    assert.equal(none.status, 404);
  });

  test("credit system: premium_message costs 5 credits; track 3 → credits remaining 35, usage 15", async () => {
    const a = srv.autumn;
    const ids = await setup();
    const t = await a.track({ customerId: ids.customer, featureId: ids.premium, value: 3 });
    assert.equal(t.value, 3);
    assert.equal(t.balance.featureId, ids.credits, "the balance that was charged is the credit system's");
    assert.equal(t.balance.granted, 50);
    assert.equal(t.balance.remaining, 35);
    assert.equal(t.balance.usage, 15);
    assert.equal(t.balances[ids.premium], null, "no own premium_message balance");
    assert.equal(t.balances[ids.credits].remaining, 35);
    assert.equal(t.deductions.length, 1);
    assert.equal(t.deductions[0].featureId, ids.credits);
    assert.equal(t.deductions[0].value, 15);

    const direct = await a.track({ customerId: ids.customer, featureId: ids.credits, value: 4 });
    assert.equal(direct.balance.remaining, 31, "tracking the credit system itself is 1:1");

    const c = await a.customers.get({ customerId: ids.customer });
    assert.equal(c.balances[ids.credits].remaining, 31);
    assert.equal(c.balances[ids.credits].usage, 19);
  });

  test("refund with a negative value restores usage, never above what was granted", async () => {
    const a = srv.autumn;
    const ids = await setup();
    await a.track({ customerId: ids.customer, featureId: ids.messages, value: 30 });
    const r1 = await a.track({ customerId: ids.customer, featureId: ids.messages, value: -10 });
    assert.equal(r1.value, -10);
    assert.equal(r1.balance.remaining, 80);
    assert.equal(r1.balance.usage, 20);
    assert.equal(r1.deductions[0].value, -10);

    const r2 = await a.track({ customerId: ids.customer, featureId: ids.messages, value: -50 });
    assert.equal(r2.balance.remaining, 100);
    assert.equal(r2.balance.usage, 0);
    assert.equal(r2.balance.granted, 100);

    await a.track({ customerId: ids.customer, featureId: ids.premium, value: 2 });
    const credit = await a.track({ customerId: ids.customer, featureId: ids.premium, value: -1 });
    assert.equal(credit.balance.featureId, ids.credits);
    assert.equal(credit.balance.remaining, 45, "50 − 10 + 5");
  });

  test("track on an unknown customer surfaces as an SDK error with status 404 and code customer_not_found", async () => {
    const a = srv.autumn;
    const ids = await setup();
    const customerId = uid("ghost");
    let thrown;
    try {
      await a.track({ customerId, featureId: ids.messages, value: 1 });
    } catch (e) {
      thrown = e;
    }
    assert.ok(thrown, "track must throw, not fail open");
    assert.ok(thrown instanceof AutumnError);
    assert.equal(thrown.statusCode, 404);
    assert.match(thrown.contentType, /application\/json/);
    const body = JSON.parse(thrown.body);
    assert.equal(body.code, "customer_not_found");
    assert.equal(body.env, "sandbox");
    assert.match(body.message, new RegExp(customerId));
    assert.match(thrown.message, /404/);
    assert.equal((await sdkError(a.customers.get({ customerId }))).status, 404, "track did not create the customer");

    const noFeature = await sdkError(a.track({ customerId: ids.customer, featureId: uid("nope") }));
    assert.equal(noFeature.status, 404);
    assert.equal(noFeature.code, "feature_not_found");
  });

  test("tracking a feature the customer has no balance of answers 200 with balance null and records the event", async () => {
    const a = srv.autumn;
    const ids = await setup();
    const customerId = uid("bare");
    await a.customers.getOrCreate({ customerId });
    const t = await a.track({ customerId, featureId: ids.messages, value: 4 });
    assert.equal(t.balance, null);
    assert.equal(t.value, 4);
    const { list } = await a.events.list({ customerId });
    assert.equal(list.length, 1);
    assert.equal(list[0].value, 4);
    assert.deepEqual(list[0].deductions, []);
  });

  test("overageBehavior overflow lets a free balance go past its grant; cap (default) does not", async () => {
    const a = srv.autumn;
    const ids = await setup();
    const capped = await a.track({ customerId: ids.customer, featureId: ids.messages, value: 120 });
    assert.equal(capped.balance.usage, 100);
    const over = await a.track({ customerId: ids.customer, featureId: ids.messages, value: 15, overageBehavior: "overflow" });
    assert.equal(over.balance.remaining, 0, "remaining never shows the negative part");
    assert.equal(over.balance.usage, 115);
  });

  test("a future timestamp is 400; a past one is stored on the event", async () => {
    const a = srv.autumn;
    const ids = await setup();
    const future = await sdkError(a.track({ customerId: ids.customer, featureId: ids.messages, timestamp: Date.now() + 3_600_000 }));
    assert.equal(future.status, 400);
    const past = Date.now() - 60_000;
    await a.track({ customerId: ids.customer, featureId: ids.messages, value: 2, timestamp: past, properties: { model: "m1" } });
    const [e] = (await a.events.list({ customerId: ids.customer })).list;
    assert.equal(e.timestamp, past);
    assert.deepEqual(e.properties, { model: "m1" });
    assert.equal((await a.customers.get({ customerId: ids.customer })).balances[ids.messages].remaining, 98);
  });

  test("batchTrack applies every item (202 success): 2 + 3 messages and 1 premium message, three events", async () => {
    const a = srv.autumn;
    const ids = await setup();
    const r = await a.batchTrack([
      { customerId: ids.customer, featureId: ids.messages, value: 2 },
      { customerId: ids.customer, featureId: ids.messages, value: 3 },
      { customerId: ids.customer, featureId: ids.premium, value: 1 },
    ]);
    assert.equal(r.success, true);
    const c = await a.customers.get({ customerId: ids.customer });
    assert.equal(c.balances[ids.messages].remaining, 95);
    assert.equal(c.balances[ids.credits].remaining, 45);
    assert.equal((await a.events.list({ customerId: ids.customer })).list.length, 3);
  });

  test("batchTrack with one bad item is a 4xx and applies nothing", async () => {
    const a = srv.autumn;
    const ids = await setup();
    const err = await sdkError(
      a.batchTrack([
        { customerId: ids.customer, featureId: ids.messages, value: 2 },
        { customerId: uid("ghost"), featureId: ids.messages, value: 3 },
      ]),
    );
    assert.ok(err.status >= 400 && err.status < 500, `got ${err.status}`);
    assert.equal((await a.customers.get({ customerId: ids.customer })).balances[ids.messages].remaining, 100);
    assert.equal((await a.events.list({ customerId: ids.customer })).list.length, 0);
  });

  test("track with async: true is still applied and answered in full", async () => {
    const a = srv.autumn;
    const ids = await setup();
    const t = await a.track({ customerId: ids.customer, featureId: ids.messages, value: 9, async: true });
    assert.equal(t.value, 9);
    assert.equal((await a.customers.get({ customerId: ids.customer })).balances[ids.messages].remaining, 91);
  });

  test("event names on a credit system and on its metered feature: 4 credits 1:1, then 2 × 5 credits → 36 left", async () => {
    const a = srv.autumn;
    const gen = uid("gen");
    const spend = uid("spend");
    const premium = uid("premium");
    const credits = uid("credits");
    const planId = uid("plan");
    const customerId = uid("cus");
    await a.features.create({ featureId: premium, name: "Premium", type: "metered", consumable: true, eventNames: [gen] });
    await a.features.create({
      featureId: credits,
      name: "Credits",
      type: "credit_system",
      creditSchema: [{ meteredFeatureId: premium, creditCost: 5 }],
      eventNames: [spend],
    });
    await a.plans.create({ planId, name: "Plan", items: [{ featureId: credits, included: 50, reset: { interval: "month" } }] });
    await a.customers.getOrCreate({ customerId });
    await a.billing.attach({ customerId, planId });

    const direct = await a.track({ customerId, eventName: spend, value: 4 });
    assert.equal(direct.balance.featureId, credits);
    assert.equal(direct.balance.remaining, 46);
    const viaFeature = await a.track({ customerId, eventName: gen, value: 2 });
    assert.equal(viaFeature.balance.featureId, credits);
    assert.equal(viaFeature.balance.remaining, 36);
    assert.equal(viaFeature.balances[premium], null);
    assert.deepEqual((await a.events.list({ customerId })).list.map((e) => [e.featureId, e.value]), [[gen, 2], [spend, 4]]);
  });
});
