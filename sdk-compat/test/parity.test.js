// Autumn's balance rules that Tally follows (issue #18), each through the official SDK. batch_track items carry an
// idempotency_key the SDK has no field for, so those bodies go out as plain fetch with exactly the SDK's headers;
// everything they change is read back through the SDK.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sdkError, uid, useServer } from "../lib/server.js";

const DAY_MS = 24 * 3600 * 1000;

describe("parity with Autumn's balance rules", () => {
  const srv = useServer();

  /** A consumable feature, a plan granting `included` of it monthly, and a customer on that plan. */
  async function onPlan(included = 100) {
    const a = srv.autumn;
    const ids = { messages: uid("messages"), plan: uid("plan"), customer: uid("cus") };
    await a.features.create({ featureId: ids.messages, name: "Messages", type: "metered", consumable: true });
    await a.plans.create({ planId: ids.plan, name: "Plan", items: [{ featureId: ids.messages, included, reset: { interval: "month" } }] });
    await a.customers.getOrCreate({ customerId: ids.customer });
    await a.billing.attach({ customerId: ids.customer, planId: ids.plan });
    return ids;
  }

  const balanceOf = async (customerId, featureId) => (await srv.autumn.customers.get({ customerId })).balances[featureId];

  test("rule 1: track by eventName fanned out to two features answers with the one balance the customer holds", async () => {
    const a = srv.autumn;
    const ids = await onPlan(50);
    const event = uid("ev");
    const other = uid("other");
    await a.features.create({ featureId: other, name: "Other", type: "metered", consumable: true, eventNames: [event] });
    await a.features.update({ featureId: ids.messages, eventNames: [event] });

    const t = await a.track({ customerId: ids.customer, eventName: event, value: 4 });

    assert.notEqual(t.balance, null, "only messages is held, so it is the answer's balance");
    assert.equal(t.balance.featureId, ids.messages);
    assert.equal(t.balance.remaining, 46);
  });

  test("rule 3: balances.create with a rollover that expires before its first reset is a 400 and grants nothing", async () => {
    const a = srv.autumn;
    const ids = await onPlan();
    const err = await sdkError(
      a.balances.create({
        customerId: ids.customer,
        featureId: ids.messages,
        includedGrant: 10,
        reset: { interval: "month" },
        rollover: { max: 5, duration: "month", length: 1 },
        expiresAt: Date.now() + 10 * DAY_MS,
      }),
    );
    assert.equal(err.status, 400);
    assert.match(err.message, /expires_at/);
    assert.equal((await balanceOf(ids.customer, ids.messages)).granted, 100);

    const ok = await a.balances.create({
      customerId: ids.customer,
      featureId: ids.messages,
      includedGrant: 10,
      reset: { interval: "month" },
      rollover: { max: 5, duration: "month", length: 1 },
      expiresAt: Date.now() + 70 * DAY_MS,
    });
    assert.equal(ok.success, true, "a grant that outlives its first reset may roll over");
  });

  test("rule 4: delete with recalculateBalances needs featureId (400); the usage moves to the surviving balance", async () => {
    const a = srv.autumn;
    const ids = await onPlan(100);
    await a.balances.create({ customerId: ids.customer, featureId: ids.messages, includedGrant: 30, balanceId: "topup" });
    await a.track({ customerId: ids.customer, featureId: ids.messages, value: 40 });

    const err = await sdkError(a.balances.delete({ customerId: ids.customer, balanceId: "topup", recalculateBalances: true }));
    assert.equal(err.status, 400);
    assert.match(err.message, /feature_id/);
    assert.equal((await balanceOf(ids.customer, ids.messages)).granted, 130, "the refused delete changed nothing");

    await a.balances.delete({ customerId: ids.customer, featureId: ids.messages, balanceId: "topup", recalculateBalances: true });
    const m = await balanceOf(ids.customer, ids.messages);
    assert.equal(m.granted, 100);
    assert.equal(m.usage, 40, "the 40 used stays used, now on the plan balance");
    assert.equal(m.remaining, 60);
  });

  test("rule 4: deleting the only balance with recalculateBalances keeps it as the holder of the usage (granted 0)", async () => {
    const a = srv.autumn;
    const ids = await onPlan(10);
    await a.track({ customerId: ids.customer, featureId: ids.messages, value: 7 });

    await a.balances.delete({ customerId: ids.customer, featureId: ids.messages, recalculateBalances: true });
    const m = await balanceOf(ids.customer, ids.messages);
    assert.equal(m.granted, 0);
    assert.equal(m.usage, 7);
    assert.equal(m.breakdown.length, 1);
  });

  test("rule 5: an unpaid plan balance can be deleted", async () => {
    const a = srv.autumn;
    const ids = await onPlan(100);
    const planBalance = (await balanceOf(ids.customer, ids.messages)).breakdown[0].id;

    assert.equal((await a.balances.delete({ customerId: ids.customer, balanceId: planBalance })).success, true);
    assert.equal(await balanceOf(ids.customer, ids.messages), undefined);
  });

  test("rule 6: two items of one feature and interval conflict only when their entityFeatureId is equal", async () => {
    const a = srv.autumn;
    const messages = uid("messages");
    const seats = uid("seats");
    await a.features.create({ featureId: messages, name: "Messages", type: "metered", consumable: true });
    await a.features.create({ featureId: seats, name: "Seats", type: "metered", consumable: false });

    // autumn-js has no entityFeatureId on plans.create items (it would drop it), so the bodies go out raw with
    // the SDK's headers; the plan is read back through the SDK.
    const item = (entityFeatureId) => ({ feature_id: messages, included: 10, reset: { interval: "month" }, entity_feature_id: entityFeatureId });
    const planId = uid("plan");
    const ok = await srv.post("plans.create", { plan_id: planId, name: "Per seat and shared", items: [item(null), item(seats)] });
    assert.equal(ok.status, 200, ok.text);
    assert.equal((await a.plans.get({ planId })).items.length, 2);

    const twice = await srv.post("plans.create", { plan_id: uid("plan"), name: "Twice per seat", items: [item(seats), item(seats)] });
    assert.equal(twice.status, 400);
    assert.match(twice.body.message, /items\[1\]/);
  });

  // Autumn's handler answers 200, but its published contract and autumn-js 1.3.13 accept only 202 (the SDK throws
  // on a 200), so Tally keeps 202: the official SDK working unchanged comes first.
  test("rule 7: batchTrack answers 202 and an item naming an unknown entity is skipped, not the batch", async () => {
    const ids = await onPlan(100);
    const res = await srv.post("balances.batch_track", [
      { customer_id: ids.customer, feature_id: ids.messages, value: 2 },
      { customer_id: ids.customer, feature_id: ids.messages, value: 5, entity_id: uid("ghost") },
      { customer_id: ids.customer, feature_id: ids.messages, value: 3 },
    ]);
    assert.equal(res.status, 202);
    assert.deepEqual(res.body, { success: true });
    assert.equal((await balanceOf(ids.customer, ids.messages)).remaining, 95);

    const sdk = await srv.autumn.batchTrack([{ customerId: ids.customer, featureId: ids.messages, value: 1, entityId: uid("ghost") }]);
    assert.equal(sdk.success, true);
    assert.equal((await balanceOf(ids.customer, ids.messages)).remaining, 95);
  });

  test("rule 7: an item's idempotency_key applies once, within a batch, across batches and against track", async () => {
    const ids = await onPlan(100);
    const key = uid("key");
    const item = { customer_id: ids.customer, feature_id: ids.messages, value: 10, idempotency_key: key };

    const first = await srv.post("balances.batch_track", [item, item, { customer_id: ids.customer, feature_id: ids.messages, value: 1 }]);
    assert.equal(first.status, 202);
    assert.equal((await balanceOf(ids.customer, ids.messages)).remaining, 89, "10 once, plus the unkeyed 1");

    const second = await srv.post("balances.batch_track", [item]);
    assert.equal(second.status, 202);
    assert.equal((await balanceOf(ids.customer, ids.messages)).remaining, 89, "a later batch with the key applies nothing");

    const track = await srv.post("balances.track", item);
    assert.ok(track.status === 200 || track.status === 409, `got ${track.status}`);
    assert.equal((await balanceOf(ids.customer, ids.messages)).remaining, 89, "nor does a track with the key");

    const fresh = uid("key");
    assert.equal((await srv.post("balances.track", { ...item, idempotency_key: fresh })).status, 200);
    await srv.post("balances.batch_track", [{ ...item, idempotency_key: fresh }]);
    assert.equal((await balanceOf(ids.customer, ids.messages)).remaining, 79, "a key a track applied holds in a batch too");
    assert.equal((await srv.autumn.events.list({ customerId: ids.customer })).list.length, 3);
  });

  test("check withPreview: a denied check names the upgrade that unlocks the feature, from the catalog", async () => {
    const a = srv.autumn;
    const ids = await onPlan(5);
    const pro = uid("pro");
    await a.plans.create({
      planId: pro,
      name: "Pro",
      price: { amount: 20, interval: "month" },
      items: [{ featureId: ids.messages, included: 500, reset: { interval: "month" } }],
    });
    await a.track({ customerId: ids.customer, featureId: ids.messages, value: 5 });

    const c = await a.check({ customerId: ids.customer, featureId: ids.messages, withPreview: true });
    assert.equal(c.allowed, false);
    assert.equal(c.preview.scenario, "usage_limit");
    assert.equal(c.preview.title, "Upgrade to Pro");
    assert.equal(c.preview.featureId, ids.messages);
    assert.deepEqual(c.preview.products.map((p) => p.id), [pro]);

    const plain = await a.check({ customerId: ids.customer, featureId: ids.messages });
    assert.equal(plain.preview ?? null, null, "no preview unless asked");
  });
});
