// entities.* through the official SDK: an entity takes one seat of its (continuous-use) type feature, shows up in
// get/list, and gives the seat back when deleted.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sdkError, uid, useServer } from "../lib/server.js";

describe("entities", () => {
  const srv = useServer();

  /** A customer on a plan with 5 seats (no reset) and 100 messages a month; returns the ids. */
  async function seatedCustomer() {
    const a = srv.autumn;
    const ids = { seats: uid("seats"), messages: uid("messages"), plan: uid("team"), customer: uid("cus") };
    await a.features.create({ featureId: ids.seats, name: "Seats", type: "metered", consumable: false });
    await a.features.create({ featureId: ids.messages, name: "Messages", type: "metered", consumable: true });
    await a.plans.create({
      planId: ids.plan,
      name: "Team",
      items: [
        { featureId: ids.seats, included: 5 },
        { featureId: ids.messages, included: 100, reset: { interval: "month" } },
      ],
    });
    await a.customers.getOrCreate({ customerId: ids.customer });
    await a.billing.attach({ customerId: ids.customer, planId: ids.plan });
    return ids;
  }

  test("entities.create takes one seat: seats usage 1, remaining 4 of 5", async () => {
    const a = srv.autumn;
    const ids = await seatedCustomer();
    const entityId = uid("ent");
    const before = Date.now();
    const e = await a.entities.create({ customerId: ids.customer, entityId, featureId: ids.seats, name: "Alice" });
    assert.equal(e.id, entityId);
    assert.equal(e.name, "Alice");
    assert.equal(e.env, "sandbox");
    assert.ok(e.createdAt >= before - 1000 && e.createdAt <= Date.now() + 1000);
    assert.deepEqual(e.subscriptions, []);
    assert.deepEqual(e.purchases, []);

    const seats = (await a.customers.get({ customerId: ids.customer })).balances[ids.seats];
    assert.equal(seats.granted, 5);
    assert.equal(seats.usage, 1);
    assert.equal(seats.remaining, 4);
    assert.equal(seats.nextResetAt, null, "a continuous-use balance never resets");
  });

  test("entities.get returns the entity; an unknown entity is 404 entity_not_found", async () => {
    const a = srv.autumn;
    const ids = await seatedCustomer();
    const entityId = uid("ent");
    await a.entities.create({ customerId: ids.customer, entityId, featureId: ids.seats, name: "Bob" });

    const e = await a.entities.get({ customerId: ids.customer, entityId });
    assert.equal(e.id, entityId);
    assert.equal(e.name, "Bob");
    assert.equal(e.env, "sandbox");
    const withoutCustomer = await a.entities.get({ entityId });
    assert.equal(withoutCustomer.id, entityId);

    const err = await sdkError(a.entities.get({ customerId: ids.customer, entityId: uid("ghost") }));
    assert.equal(err.status, 404);
    assert.equal(err.code, "entity_not_found");
  });

  test("entities.list lists a customer's entities in creation order and pages with a cursor", async () => {
    const a = srv.autumn;
    const ids = await seatedCustomer();
    const entityIds = [uid("e1"), uid("e2"), uid("e3")];
    for (const entityId of entityIds) {
      await a.entities.create({ customerId: ids.customer, entityId, featureId: ids.seats });
    }
    const all = await a.entities.list({ customerId: ids.customer });
    assert.deepEqual(all.list.map((e) => e.id), entityIds);
    assert.equal(all.nextCursor, null);

    const first = await a.entities.list({ customerId: ids.customer, limit: 2 });
    assert.deepEqual(first.list.map((e) => e.id), entityIds.slice(0, 2));
    assert.equal(typeof first.nextCursor, "string");
    const second = await a.entities.list({ customerId: ids.customer, limit: 2, startCursor: first.nextCursor });
    assert.deepEqual(second.list.map((e) => e.id), entityIds.slice(2));
    assert.equal(second.nextCursor, null);

    const seats = (await a.customers.get({ customerId: ids.customer })).balances[ids.seats];
    assert.equal(seats.usage, 3);
    assert.equal(seats.remaining, 2);
  });

  test("entities.delete gives the seat back: usage 2 → 1 → 0, remaining back to 5", async () => {
    const a = srv.autumn;
    const ids = await seatedCustomer();
    const e1 = uid("ent");
    const e2 = uid("ent");
    await a.entities.create({ customerId: ids.customer, entityId: e1, featureId: ids.seats });
    await a.entities.create({ customerId: ids.customer, entityId: e2, featureId: ids.seats });
    assert.equal((await a.customers.get({ customerId: ids.customer })).balances[ids.seats].usage, 2);

    assert.equal((await a.entities.delete({ customerId: ids.customer, entityId: e1 })).success, true);
    let seats = (await a.customers.get({ customerId: ids.customer })).balances[ids.seats];
    assert.equal(seats.usage, 1);
    assert.equal(seats.remaining, 4);

    assert.equal((await a.entities.delete({ customerId: ids.customer, entityId: e2 })).success, true);
    seats = (await a.customers.get({ customerId: ids.customer })).balances[ids.seats];
    assert.equal(seats.usage, 0);
    assert.equal(seats.remaining, 5);
    assert.equal(seats.granted, 5);

    const gone = await sdkError(a.entities.get({ customerId: ids.customer, entityId: e1 }));
    assert.equal(gone.status, 404);
    assert.equal(gone.code, "entity_not_found");
    assert.deepEqual((await a.entities.list({ customerId: ids.customer })).list, []);
    const again = await sdkError(a.entities.delete({ customerId: ids.customer, entityId: e1 }));
    assert.equal(again.status, 404);
  });

  test("entities.create with an existing id is 409 entity_already_exists and takes no second seat", async () => {
    const a = srv.autumn;
    const ids = await seatedCustomer();
    const entityId = uid("ent");
    await a.entities.create({ customerId: ids.customer, entityId, featureId: ids.seats });
    const err = await sdkError(a.entities.create({ customerId: ids.customer, entityId, featureId: ids.seats }));
    assert.equal(err.status, 409);
    assert.equal(err.code, "entity_already_exists");
    assert.equal((await a.customers.get({ customerId: ids.customer })).balances[ids.seats].usage, 1);
  });

  test("entities.create typed by a consumable feature is a 400", async () => {
    const a = srv.autumn;
    const ids = await seatedCustomer();
    const err = await sdkError(a.entities.create({ customerId: ids.customer, entityId: uid("ent"), featureId: ids.messages }));
    assert.equal(err.status, 400);
    assert.equal((await a.customers.get({ customerId: ids.customer })).balances[ids.seats].usage, 0);
  });

  test("a track on an entity draws the customer's shared pool; an unknown entity is 404 entity_not_found", async () => {
    const a = srv.autumn;
    const ids = await seatedCustomer();
    const entityId = uid("ent");
    await a.entities.create({ customerId: ids.customer, entityId, featureId: ids.seats });
    const t = await a.track({ customerId: ids.customer, entityId, featureId: ids.messages, value: 12 });
    assert.equal(t.entityId, entityId);
    assert.equal(t.balance.remaining, 88);
    assert.equal(t.balance.usage, 12);
    assert.equal((await a.customers.get({ customerId: ids.customer })).balances[ids.messages].remaining, 88);

    const err = await sdkError(a.track({ customerId: ids.customer, entityId: uid("ghost"), featureId: ids.messages }));
    assert.equal(err.status, 404);
    assert.equal(err.code, "entity_not_found");
    assert.equal((await a.customers.get({ customerId: ids.customer })).balances[ids.messages].remaining, 88);
  });

  test("entities.update stores billing controls; entities.get returns them", async () => {
    const a = srv.autumn;
    const ids = await seatedCustomer();
    const entityId = uid("ent");
    await a.entities.create({ customerId: ids.customer, entityId, featureId: ids.seats });
    const u = await a.entities.update({
      customerId: ids.customer,
      entityId,
      billingControls: { overageAllowed: [{ featureId: ids.messages, enabled: true }] },
    });
    assert.equal(u.id, entityId);
    assert.deepEqual(u.billingControls.overageAllowed, [{ featureId: ids.messages, enabled: true }]);
    const got = await a.entities.get({ customerId: ids.customer, entityId });
    assert.deepEqual(got.billingControls.overageAllowed, [{ featureId: ids.messages, enabled: true }]);

    const missing = await sdkError(a.entities.update({ customerId: ids.customer, entityId: uid("ghost"), billingControls: {} }));
    assert.equal(missing.status, 404);
    assert.equal(missing.code, "entity_not_found");
  });

  test("a plan attached to an entity: the entity sees its own 50 plus the shared 100; its track drains its own first", async () => {
    const a = srv.autumn;
    const ids = await seatedCustomer();
    const seatPlan = uid("seat_plan");
    await a.plans.create({
      planId: seatPlan,
      name: "Per seat",
      addOn: true,
      items: [{ featureId: ids.messages, included: 50, reset: { interval: "month" } }],
    });
    const entityId = uid("ent");
    await a.entities.create({ customerId: ids.customer, entityId, featureId: ids.seats });
    await a.billing.attach({ customerId: ids.customer, entityId, planId: seatPlan });

    let e = await a.entities.get({ customerId: ids.customer, entityId });
    assert.equal(e.subscriptions.length, 1);
    assert.equal(e.subscriptions[0].planId, seatPlan);
    assert.equal(e.balances[ids.messages].granted, 150);
    assert.equal(e.balances[ids.messages].remaining, 150);

    const t = await a.track({ customerId: ids.customer, entityId, featureId: ids.messages, value: 60 });
    assert.equal(t.balance.remaining, 90);
    const byPlan = Object.fromEntries(t.deductions.map((d) => [d.planId, d.value]));
    assert.deepEqual(byPlan, { [seatPlan]: 50, [ids.plan]: 10 }, "entity-owned source first, then the shared pool");

    e = await a.entities.get({ customerId: ids.customer, entityId });
    assert.equal(e.balances[ids.messages].remaining, 90);
    assert.equal(e.balances[ids.messages].usage, 60);
    const c = await a.customers.get({ customerId: ids.customer });
    assert.equal(c.balances[ids.messages].granted, 150, "the customer view sums its own and its entities' sources");
    assert.equal(c.balances[ids.messages].remaining, 90);

    const again = await sdkError(a.billing.attach({ customerId: ids.customer, entityId, planId: seatPlan }));
    assert.equal(again.status, 409);
    assert.equal(again.code, "plan_already_attached");
  });
});
