// events.aggregate through the official SDK: bins with zeros, refunds, totals, groups and the per-balance breakdown.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sdkError, uid, useServer } from "../lib/server.js";

describe("events.aggregate", () => {
  const srv = useServer();
  const DAY = 86_400_000;

  async function setup() {
    const a = srv.autumn;
    const ids = { messages: uid("messages"), plan: uid("plan"), customer: uid("cus") };
    await a.features.create({ featureId: ids.messages, name: "Messages", type: "metered", consumable: true });
    await a.plans.create({
      planId: ids.plan,
      name: "Plan",
      items: [{ featureId: ids.messages, included: 1000, reset: { interval: "month" } }],
    });
    await a.customers.getOrCreate({ customerId: ids.customer });
    await a.billing.attach({ customerId: ids.customer, planId: ids.plan });
    return ids;
  }

  test("7d daily: every bin present, refunds count, totals count and sum", async () => {
    const a = srv.autumn;
    const ids = await setup();
    const now = Date.now();
    const twoDaysAgo = now - 2 * DAY;
    await a.track({ customerId: ids.customer, featureId: ids.messages, value: 5, timestamp: twoDaysAgo, properties: { model: "a" } });
    await a.track({ customerId: ids.customer, featureId: ids.messages, value: -2, timestamp: twoDaysAgo + 1, properties: { model: "b" } });
    await a.track({ customerId: ids.customer, featureId: ids.messages, value: 4, timestamp: now - 1000, properties: { model: "a" } });

    const r = await a.events.aggregate({ customerId: ids.customer, featureId: ids.messages, range: "7d" });

    assert.equal(r.list.length, 8);
    const dayStart = (ms) => ms - (ms % DAY);
    assert.equal(r.list[0].period, dayStart(now - 7 * DAY));
    assert.equal(r.list.find((p) => p.period === dayStart(twoDaysAgo)).values[ids.messages], 3);
    assert.equal(r.list.filter((p) => p.values[ids.messages] === 0).length, 6);
    assert.deepEqual(r.total[ids.messages], { count: 3, sum: 7 });

    const grouped = await a.events.aggregate({
      customerId: ids.customer,
      featureId: [ids.messages],
      range: "7d",
      groupBy: "properties.model",
      maxGroups: 1,
    });
    const bin = grouped.list.find((p) => p.period === dayStart(twoDaysAgo));
    assert.deepEqual(bin.groupedValues[ids.messages], { a: 5, Other: -2 });

    const deducted = await a.events.aggregate({
      customerId: ids.customer,
      featureId: ids.messages,
      customRange: { start: twoDaysAgo - 1000, end: twoDaysAgo + 1000 },
      binSize: "hour",
      aggregateOn: "deducted",
    });
    const cells = deducted.deductions.map((p) => p.values[ids.messages]).filter((c) => c !== undefined);
    assert.equal(cells.reduce((s, c) => s + c.deducted, 0), 3);
    assert.equal(cells.reduce((s, c) => s + c.events, 0), 2);
    assert.equal(cells[0].featureType, "metered");
    assert.equal(cells[0].balances[0].planId, ids.plan);
  });

  test("bad input is a 400 naming the field; an unknown customer a 404", async () => {
    const a = srv.autumn;
    const both = await sdkError(a.events.aggregate({ featureId: "x", range: "7d", customRange: { start: 1, end: 2 } }));
    assert.equal(both.status, 400);
    assert.match(both.message, /^range/);
    const missing = await sdkError(a.events.aggregate({ customerId: uid("nobody"), featureId: "x", range: "24h" }));
    assert.equal(missing.status, 404);
  });
});
