// features.* through the official SDK: every feature type round-trips, and the catalog rules hold.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sdkError, uid, useServer } from "../lib/server.js";

describe("features", () => {
  const srv = useServer();

  test("features.create: metered consumable, continuous, boolean and credit_system answer with their exact shape", async () => {
    const a = srv.autumn;
    const msg = uid("messages");
    const seats = uid("seats");
    const sso = uid("sso");
    const credits = uid("credits");

    const m = await a.features.create({
      featureId: msg,
      name: "Messages",
      type: "metered",
      consumable: true,
      eventNames: ["chat_sent", "chat_retry"],
      display: { singular: "message", plural: "messages" },
    });
    assert.equal(m.id, msg);
    assert.equal(m.name, "Messages");
    assert.equal(m.type, "metered");
    assert.equal(m.consumable, true);
    assert.equal(m.archived, false);
    assert.deepEqual(m.eventNames, ["chat_sent", "chat_retry"]);
    assert.deepEqual(m.display, { singular: "message", plural: "messages" });

    const s = await a.features.create({ featureId: seats, name: "Seats", type: "metered", consumable: false });
    assert.equal(s.id, seats);
    assert.equal(s.type, "metered");
    assert.equal(s.consumable, false);
    assert.equal(s.archived, false);

    const b = await a.features.create({ featureId: sso, name: "SSO", type: "boolean" });
    assert.equal(b.id, sso);
    assert.equal(b.type, "boolean");
    assert.equal(b.consumable, false);

    const c = await a.features.create({
      featureId: credits,
      name: "Credits",
      type: "credit_system",
      creditSchema: [{ meteredFeatureId: msg, creditCost: 5 }],
      eventNames: ["credit_spend"],
    });
    assert.equal(c.id, credits);
    assert.equal(c.type, "credit_system");
    assert.equal(c.consumable, true, "a credit system is always consumable");
    assert.deepEqual(c.creditSchema, [{ meteredFeatureId: msg, creditCost: 5 }]);
    assert.deepEqual(c.eventNames, ["credit_spend"]);
  });

  test("features.get returns what was created; an unknown id is 404 feature_not_found", async () => {
    const a = srv.autumn;
    const msg = uid("messages");
    const credits = uid("credits");
    await a.features.create({ featureId: msg, name: "Messages", type: "metered", consumable: true, eventNames: ["sent"] });
    await a.features.create({
      featureId: credits,
      name: "Credits",
      type: "credit_system",
      creditSchema: [{ meteredFeatureId: msg, creditCost: 2.5 }],
    });

    const got = await a.features.get({ featureId: msg });
    assert.equal(got.id, msg);
    assert.equal(got.name, "Messages");
    assert.equal(got.type, "metered");
    assert.equal(got.consumable, true);
    assert.deepEqual(got.eventNames, ["sent"]);

    const cs = await a.features.get({ featureId: credits });
    assert.equal(cs.type, "credit_system");
    assert.deepEqual(cs.creditSchema, [{ meteredFeatureId: msg, creditCost: 2.5 }]);

    const missing = await sdkError(a.features.get({ featureId: uid("nope") }));
    assert.equal(missing.status, 404);
    assert.equal(missing.code, "feature_not_found");
  });

  test("features.list lists every feature, in creation order", async () => {
    const a = srv.autumn;
    const ids = [uid("f1"), uid("f2"), uid("f3")];
    for (const id of ids) {
      await a.features.create({ featureId: id, name: id, type: "metered", consumable: true });
    }
    const { list } = await a.features.list();
    const listed = list.map((f) => f.id).filter((id) => ids.includes(id));
    assert.deepEqual(listed, ids);
    for (const f of list) {
      assert.equal(typeof f.archived, "boolean");
    }
  });

  test("features.update changes name, event names, credit cost and archived; the change is visible on get", async () => {
    const a = srv.autumn;
    const msg = uid("messages");
    const credits = uid("credits");
    await a.features.create({ featureId: msg, name: "Messages", type: "metered", consumable: true });
    await a.features.create({
      featureId: credits,
      name: "Credits",
      type: "credit_system",
      creditSchema: [{ meteredFeatureId: msg, creditCost: 5 }],
    });

    const u = await a.features.update({ featureId: msg, name: "Chat messages", eventNames: ["chat"] });
    assert.equal(u.id, msg);
    assert.equal(u.name, "Chat messages");
    assert.deepEqual(u.eventNames, ["chat"]);
    assert.equal(u.consumable, true);

    const c = await a.features.update({ featureId: credits, creditSchema: [{ meteredFeatureId: msg, creditCost: 7 }] });
    assert.deepEqual(c.creditSchema, [{ meteredFeatureId: msg, creditCost: 7 }]);

    const archived = await a.features.update({ featureId: msg, archived: true });
    assert.equal(archived.archived, true);

    const got = await a.features.get({ featureId: msg });
    assert.equal(got.name, "Chat messages");
    assert.deepEqual(got.eventNames, ["chat"]);
    assert.equal(got.archived, true);
    assert.deepEqual((await a.features.get({ featureId: credits })).creditSchema, [{ meteredFeatureId: msg, creditCost: 7 }]);
  });

  test("features.delete removes an unused feature; one used by a credit system or a plan is refused with a 400", async () => {
    const a = srv.autumn;
    const loose = uid("loose");
    const msg = uid("messages");
    const credits = uid("credits");
    const planned = uid("planned");
    await a.features.create({ featureId: loose, name: "Loose", type: "metered", consumable: true });
    await a.features.create({ featureId: msg, name: "Messages", type: "metered", consumable: true });
    await a.features.create({
      featureId: credits,
      name: "Credits",
      type: "credit_system",
      creditSchema: [{ meteredFeatureId: msg, creditCost: 1 }],
    });
    await a.features.create({ featureId: planned, name: "Planned", type: "metered", consumable: true });
    await a.plans.create({ planId: uid("plan"), name: "Uses planned", items: [{ featureId: planned, included: 10 }] });

    const del = await a.features.delete({ featureId: loose });
    assert.equal(del.success, true);
    assert.equal((await sdkError(a.features.get({ featureId: loose }))).status, 404);
    assert.equal((await a.features.list()).list.some((f) => f.id === loose), false);

    const inSchema = await sdkError(a.features.delete({ featureId: msg }));
    assert.equal(inSchema.status, 400);
    const inPlan = await sdkError(a.features.delete({ featureId: planned }));
    assert.equal(inPlan.status, 400);
    assert.equal((await a.features.get({ featureId: planned })).id, planned, "a refused delete changes nothing");

    const gone = await sdkError(a.features.delete({ featureId: uid("never") }));
    assert.equal(gone.status, 404);
    assert.equal(gone.code, "feature_not_found");
  });

  test("features.create with an existing id is 409 duplicate_feature_id and keeps the original", async () => {
    const a = srv.autumn;
    const id = uid("dup");
    await a.features.create({ featureId: id, name: "First", type: "metered", consumable: true });
    const err = await sdkError(a.features.create({ featureId: id, name: "Second", type: "boolean" }));
    assert.equal(err.status, 409);
    assert.equal(err.code, "duplicate_feature_id");
    const got = await a.features.get({ featureId: id });
    assert.equal(got.name, "First");
    assert.equal(got.type, "metered");
  });

  test("features.create validation: metered without consumable and credit_system without a schema are 400 invalid_inputs", async () => {
    const a = srv.autumn;
    const noConsumable = await sdkError(a.features.create({ featureId: uid("m"), name: "M", type: "metered" }));
    assert.equal(noConsumable.status, 400);
    assert.equal(noConsumable.code, "invalid_inputs");
    const noSchema = await sdkError(a.features.create({ featureId: uid("c"), name: "C", type: "credit_system" }));
    assert.equal(noSchema.status, 400);
    assert.equal(noSchema.code, "invalid_inputs");
  });

  test("features.update cannot change the type of a feature a plan uses (400) and leaves it as it was", async () => {
    const a = srv.autumn;
    const id = uid("used");
    await a.features.create({ featureId: id, name: "Used", type: "metered", consumable: true });
    await a.plans.create({ planId: uid("plan"), name: "Plan", items: [{ featureId: id, included: 3 }] });
    const err = await sdkError(a.features.update({ featureId: id, type: "boolean" }));
    assert.equal(err.status, 400);
    assert.equal((await a.features.get({ featureId: id })).type, "metered");
  });
});
