// events.list through the official SDK: newest first, with each event's deductions, cursor pages and filters.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sdkError, uid, useServer } from "../lib/server.js";

describe("events", () => {
  const srv = useServer();

  /** messages (10/month) and seats-typed entities; a customer on the plan. */
  async function setup() {
    const a = srv.autumn;
    const ids = {
      messages: uid("messages"),
      other: uid("other"),
      seats: uid("seats"),
      plan: uid("plan"),
      customer: uid("cus"),
    };
    await a.features.create({ featureId: ids.messages, name: "Messages", type: "metered", consumable: true });
    await a.features.create({ featureId: ids.other, name: "Other", type: "metered", consumable: true });
    await a.features.create({ featureId: ids.seats, name: "Seats", type: "metered", consumable: false });
    await a.plans.create({
      planId: ids.plan,
      name: "Plan",
      items: [
        { featureId: ids.messages, included: 10, reset: { interval: "month" } },
        { featureId: ids.other, included: 10, reset: { interval: "month" } },
        { featureId: ids.seats, included: 3 },
      ],
    });
    await a.customers.getOrCreate({ customerId: ids.customer });
    await a.billing.attach({ customerId: ids.customer, planId: ids.plan });
    return ids;
  }

  test("events.list: newest first, every event with its value, timestamp and deductions", async () => {
    const a = srv.autumn;
    const ids = await setup();
    const balanceId = (await a.customers.get({ customerId: ids.customer })).balances[ids.messages].breakdown[0].id;
    const before = Date.now();
    for (const value of [1, 2, 3]) {
      await a.track({ customerId: ids.customer, featureId: ids.messages, value, properties: { n: value } });
    }
    await a.track({ customerId: ids.customer, featureId: ids.messages, value: 6 }); // only 4 left: capped

    const { list, nextCursor } = await a.events.list({ customerId: ids.customer });
    assert.equal(nextCursor, null);
    assert.deepEqual(list.map((e) => e.value), [6, 3, 2, 1]);
    assert.equal(new Set(list.map((e) => e.id)).size, 4);
    for (const e of list) {
      assert.match(e.id, /^evt_/);
      assert.equal(e.customerId, ids.customer);
      assert.equal(e.featureId, ids.messages);
      assert.ok(e.timestamp >= before - 1000 && e.timestamp <= Date.now() + 1000);
    }
    for (let i = 1; i < list.length; i++) {
      assert.ok(list[i - 1].timestamp >= list[i].timestamp, "timestamps never increase down the list");
    }
    assert.deepEqual(list[1].properties, { n: 3 });
    assert.deepEqual(
      list.map((e) => e.deductions.map((d) => [d.balanceId, d.featureId, d.planId, d.value])),
      [
        [[balanceId, ids.messages, ids.plan, 4]],
        [[balanceId, ids.messages, ids.plan, 3]],
        [[balanceId, ids.messages, ids.plan, 2]],
        [[balanceId, ids.messages, ids.plan, 1]],
      ],
    );
    assert.equal(list[0].deductions[0].reset.interval, "month");
  });

  test("events.list pages with a cursor: limit 2 over 5 events gives [5,4], [3,2], [1], then null", async () => {
    const a = srv.autumn;
    const ids = await setup();
    for (const value of [0.1, 0.2, 0.3, 0.4, 0.5]) {
      await a.track({ customerId: ids.customer, featureId: ids.messages, value });
    }
    const pages = [];
    let cursor;
    for (let guard = 0; guard < 10; guard++) {
      const page = await a.events.list({ customerId: ids.customer, limit: 2, ...(cursor ? { startCursor: cursor } : {}) });
      pages.push(page.list.map((e) => e.value));
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    assert.deepEqual(pages, [[0.5, 0.4], [0.3, 0.2], [0.1]]);
    assert.equal(cursor, null);
    const remaining = (await a.customers.get({ customerId: ids.customer })).balances[ids.messages].remaining;
    assert.equal(remaining, 8.5, "fractional values are exact");

    const bad = await sdkError(a.events.list({ customerId: ids.customer, startCursor: "garbage" }));
    assert.equal(bad.status, 400);
    assert.equal(bad.code, "invalid_cursor");
  });

  test("events.list filters by featureId (one or several), entityId, customer and time range", async () => {
    const a = srv.autumn;
    const ids = await setup();
    const entityId = uid("ent");
    await a.entities.create({ customerId: ids.customer, entityId, featureId: ids.seats });
    await a.track({ customerId: ids.customer, featureId: ids.messages, value: 1 });
    await a.track({ customerId: ids.customer, featureId: ids.other, value: 2 });
    await a.track({ customerId: ids.customer, entityId, featureId: ids.messages, value: 3 });
    const stranger = uid("cus");
    await a.customers.getOrCreate({ customerId: stranger });
    await a.track({ customerId: stranger, featureId: ids.messages, value: 9 });

    const msgs = await a.events.list({ customerId: ids.customer, featureId: ids.messages });
    assert.deepEqual(msgs.list.map((e) => e.value), [3, 1]);
    const both = await a.events.list({ customerId: ids.customer, featureId: [ids.messages, ids.other] });
    assert.deepEqual(both.list.map((e) => e.value), [3, 2, 1]);
    const ent = await a.events.list({ customerId: ids.customer, entityId });
    assert.deepEqual(ent.list.map((e) => e.value), [3]);
    const theirs = await a.events.list({ customerId: stranger });
    assert.deepEqual(theirs.list.map((e) => e.value), [9]);

    const past = Date.now() - 3_600_000;
    await a.track({ customerId: ids.customer, featureId: ids.other, value: 5, timestamp: past });
    const window = await a.events.list({ customerId: ids.customer, customRange: { start: past - 1000, end: past + 1000 } });
    assert.deepEqual(window.list.map((e) => e.value), [5]);
  });
});
