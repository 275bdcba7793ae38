// customers.* through the official SDK: get-or-create semantics, reads, cursor pagination, updates, deletes, and
// the sandbox/live split that the secret key selects.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sdkError, uid, useServer } from "../lib/server.js";

describe("customers", () => {
  const srv = useServer();

  test("customers.getOrCreate creates a customer with every field it was given and empty balances", async () => {
    const a = srv.autumn;
    const customerId = uid("cus");
    const before = Date.now();
    const c = await a.customers.getOrCreate({
      customerId,
      name: "Ada Lovelace",
      email: "ada@example.com",
      fingerprint: "fp-1",
      metadata: { tier: "gold", seats: 3 },
    });
    assert.equal(c.id, customerId);
    assert.equal(c.name, "Ada Lovelace");
    assert.equal(c.email, "ada@example.com");
    assert.equal(c.fingerprint, "fp-1");
    assert.equal(c.env, "sandbox");
    assert.deepEqual(c.metadata, { tier: "gold", seats: 3 });
    assert.ok(c.createdAt >= before - 1000 && c.createdAt <= Date.now() + 1000, "created_at is now, in ms");
    assert.deepEqual(c.subscriptions, []);
    assert.deepEqual(c.purchases, []);
    assert.deepEqual(c.balances, {});
    assert.deepEqual(c.flags, {});
  });

  test("customers.getOrCreate on an existing id returns it unchanged except for empty name/email", async () => {
    const a = srv.autumn;
    const customerId = uid("cus");
    const first = await a.customers.getOrCreate({ customerId, name: "First name" });
    assert.equal(first.email, null);
    const again = await a.customers.getOrCreate({ customerId, name: "Other name", email: "late@example.com" });
    assert.equal(again.id, customerId);
    assert.equal(again.name, "First name", "a set name is not overwritten");
    assert.equal(again.email, "late@example.com", "an empty email is filled in");
    assert.equal(again.createdAt, first.createdAt);
    const got = await a.customers.get({ customerId });
    assert.equal(got.name, "First name");
    assert.equal(got.email, "late@example.com");
  });

  test("customers.get returns balances after an attach; an unknown id is 404 customer_not_found", async () => {
    const a = srv.autumn;
    const feature = uid("messages");
    const planId = uid("plan");
    await a.features.create({ featureId: feature, name: "Messages", type: "metered", consumable: true });
    await a.plans.create({ planId, name: "Plan", items: [{ featureId: feature, included: 40, reset: { interval: "month" } }] });
    const customerId = uid("cus");
    await a.customers.getOrCreate({ customerId });
    await a.billing.attach({ customerId, planId });
    await a.track({ customerId, featureId: feature, value: 15 });

    const c = await a.customers.get({ customerId });
    assert.equal(c.id, customerId);
    assert.equal(c.balances[feature].granted, 40);
    assert.equal(c.balances[feature].remaining, 25);
    assert.equal(c.balances[feature].usage, 15);
    assert.equal(c.subscriptions[0].planId, planId);

    const err = await sdkError(a.customers.get({ customerId: uid("ghost") }));
    assert.equal(err.status, 404);
    assert.equal(err.code, "customer_not_found");
  });

  test("customers.update changes profile fields; new_customer_id moves the customer and its balances", async () => {
    const a = srv.autumn;
    const feature = uid("messages");
    await a.features.create({ featureId: feature, name: "Messages", type: "metered", consumable: true });
    const customerId = uid("cus");
    await a.customers.getOrCreate({ customerId, name: "Old", email: "old@example.com", metadata: { a: 1 } });
    await a.balances.create({ customerId, featureId: feature, includedGrant: 10 });

    const u = await a.customers.update({ customerId, name: "New", email: "new@example.com", metadata: { b: 2 } });
    assert.equal(u.id, customerId);
    assert.equal(u.name, "New");
    assert.equal(u.email, "new@example.com");
    assert.deepEqual(u.metadata, { b: 2 });
    const got = await a.customers.get({ customerId });
    assert.equal(got.name, "New");
    assert.deepEqual(got.metadata, { b: 2 });

    const newId = uid("moved");
    const moved = await a.customers.update({ customerId, newCustomerId: newId });
    assert.equal(moved.id, newId);
    assert.equal(moved.name, "New");
    assert.equal(moved.balances[feature].granted, 10);
    assert.equal((await sdkError(a.customers.get({ customerId }))).status, 404);
    assert.equal((await a.customers.get({ customerId: newId })).balances[feature].remaining, 10);

    const missing = await sdkError(a.customers.update({ customerId: uid("ghost"), name: "x" }));
    assert.equal(missing.status, 404);
    assert.equal(missing.code, "customer_not_found");
  });

  test("customers.delete removes the customer; the id can be created again and starts clean", async () => {
    const a = srv.autumn;
    const feature = uid("messages");
    const planId = uid("plan");
    await a.features.create({ featureId: feature, name: "Messages", type: "metered", consumable: true });
    await a.plans.create({ planId, name: "Plan", items: [{ featureId: feature, included: 10 }] });
    const customerId = uid("cus");
    await a.customers.getOrCreate({ customerId, name: "Doomed" });
    await a.billing.attach({ customerId, planId });
    await a.track({ customerId, featureId: feature, value: 4 });

    assert.equal((await a.customers.delete({ customerId })).success, true);
    const err = await sdkError(a.customers.get({ customerId }));
    assert.equal(err.status, 404);
    assert.equal(err.code, "customer_not_found");
    assert.equal((await sdkError(a.customers.delete({ customerId }))).status, 404);

    const reborn = await a.customers.getOrCreate({ customerId });
    assert.equal(reborn.name, null);
    assert.deepEqual(reborn.balances, {});
    assert.deepEqual(reborn.subscriptions, []);
    assert.deepEqual((await a.events.list({ customerId })).list, [], "the old customer's events went with it");
  });

  test("customers.list pages with a cursor: limit 2 over 5 customers gives 2, 2, 1 and then next_cursor null", async () => {
    const a = srv.autumn;
    const tag = uid("page");
    const ids = [];
    for (let i = 0; i < 5; i++) {
      ids.push(`${tag}_${i}`);
      await a.customers.getOrCreate({ customerId: `${tag}_${i}`, name: `Page ${i}` });
    }
    const pages = [];
    let cursor;
    for (let guard = 0; guard < 10; guard++) {
      const page = await a.customers.list({ search: tag, limit: 2, ...(cursor ? { startCursor: cursor } : {}) });
      pages.push(page.list.map((c) => c.id));
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    assert.deepEqual(pages.map((p) => p.length), [2, 2, 1]);
    assert.equal(cursor, null);
    const seen = pages.flat();
    assert.equal(new Set(seen).size, 5, "no customer appears twice");
    assert.deepEqual([...seen].sort(), [...ids].sort());

    const all = await a.customers.list({ search: tag });
    assert.equal(all.list.length, 5);
    assert.equal(all.nextCursor, null);
    assert.equal(all.list[0].balances !== undefined, true);

    const bad = await sdkError(a.customers.list({ startCursor: "not-a-cursor" }));
    assert.equal(bad.status, 400);
    assert.equal(bad.code, "invalid_cursor");
  });

  test("customers.list sorts by creation time: newest first by default and with sortOrder desc, oldest first with asc", async () => {
    const a = srv.autumn;
    const tag = uid("sort");
    const ids = [];
    for (let i = 0; i < 3; i++) {
      ids.push(`${tag}_${i}`);
      await a.customers.getOrCreate({ customerId: `${tag}_${i}` });
    }
    const asc = await a.customers.list({ search: tag, sortOrder: "asc" });
    assert.deepEqual(asc.list.map((c) => c.id), ids);
    const desc = await a.customers.list({ search: tag, sortOrder: "desc" });
    assert.deepEqual(desc.list.map((c) => c.id), [...ids].reverse(), "sortOrder desc: newest first");
    const byDefault = await a.customers.list({ search: tag });
    assert.deepEqual(byDefault.list.map((c) => c.id), [...ids].reverse(), "the SDK documents desc (newest first) as the default");
  });

  test("the key selects the environment: a live customer has env live and does not exist for the sandbox key", async () => {
    const live = srv.client(srv.liveKey);
    const customerId = uid("cus");
    const c = await live.customers.getOrCreate({ customerId, name: "Live one" });
    assert.equal(c.env, "live");
    assert.equal((await live.customers.get({ customerId })).name, "Live one");
    const err = await sdkError(srv.autumn.customers.get({ customerId }));
    assert.equal(err.status, 404);
    assert.equal(err.code, "customer_not_found");

    const wrong = await sdkError(srv.client("am_sk_test_not_a_real_key").customers.get({ customerId }));
    assert.equal(wrong.status, 401);
    assert.equal(wrong.code, "invalid_secret_key");
  });

  test("a new customer gets every auto_enable plan's balances", async () => {
    const a = srv.autumn;
    const feature = uid("messages");
    const planId = uid("free");
    await a.features.create({ featureId: feature, name: "Messages", type: "metered", consumable: true });
    await a.plans.create({
      planId,
      name: "Free",
      autoEnable: true,
      items: [{ featureId: feature, included: 5, reset: { interval: "month" } }],
    });
    try {
      const customerId = uid("cus");
      const c = await a.customers.getOrCreate({ customerId });
      assert.equal(c.balances[feature].granted, 5);
      assert.equal(c.balances[feature].remaining, 5);
      assert.equal(c.subscriptions.length, 1);
      assert.equal(c.subscriptions[0].planId, planId);
      assert.equal(c.subscriptions[0].autoEnable, true);
    } finally {
      // Keep later customers in this file plan-free.
      await a.plans.update({ planId, archived: true });
    }
  });

  test("customers.update to an id that already exists is 409 customer_already_exists; both stay as they were", async () => {
    const a = srv.autumn;
    const one = uid("cus");
    const two = uid("cus");
    await a.customers.getOrCreate({ customerId: one, name: "One" });
    await a.customers.getOrCreate({ customerId: two, name: "Two" });
    const err = await sdkError(a.customers.update({ customerId: one, newCustomerId: two }));
    assert.equal(err.status, 409);
    assert.equal(err.code, "customer_already_exists");
    assert.equal((await a.customers.get({ customerId: one })).name, "One");
    assert.equal((await a.customers.get({ customerId: two })).name, "Two");
  });
});
