using Tally.Contracts;

namespace Tally.Server.Tests.Http;

/// <summary>
/// The official SDK (autumn-js 1.3.13) fails a call when a required key is absent, even one whose value may be null
/// (sdk-wire-facts.md §1). Every key listed there is checked on raw bodies, nested objects included.
/// </summary>
public sealed class ResponseShapeTests(TallyApp app) : IClassFixture<TallyApp>
{
    private static readonly TallyJsonContext C = TallyJsonContext.Default;
    private TallyApi Api => app.Api;

    private sealed record World(string Customer, string Messages, string Credits, string Flag, string Seats, string Plan, string Pack, string Entity);

    /// <summary>A customer with a subscription, a purchase, a flag, a priced and rolled-over balance, a credit system and an entity with its own plan.</summary>
    private async Task<World> WorldAsync()
    {
        var messages = await Api.MeteredFeatureAsync();
        var credits = await Api.CreditSystemAsync((messages, 2));
        var flag = await Api.BooleanFeatureAsync();
        var seats = await Api.MeteredFeatureAsync(consumable: false);
        var plan = Id.New("pro");
        await Api.OkAsync("plans.create", new CreatePlanParams
        {
            PlanId = plan,
            Name = "Pro",
            Price = new PlanPrice { Amount = 20, Interval = "month" },
            Items =
            [
                new PlanItem
                {
                    FeatureId = messages,
                    Included = 100,
                    Reset = new PlanItemReset { Interval = "month" },
                    Price = new PlanItemPrice { Amount = 0.1m, Interval = "month", BillingMethod = "usage_based", BillingUnits = 1, MaxPurchase = 50 },
                    Rollover = new PlanItemRollover { Max = 50, ExpiryDurationType = "month", ExpiryDurationLength = 1 },
                },
                Setup.Item(credits, 40),
                new PlanItem { FeatureId = flag },
                Setup.Item(seats, 3, interval: null),
            ],
        }, C.Plan);
        var pack = Id.New("pack");
        await Api.OkAsync("plans.create", new CreatePlanParams
        {
            PlanId = pack,
            Name = "Pack",
            AddOn = true,
            Price = new PlanPrice { Amount = 5, Interval = "one_off" },
            Items = [Setup.Item(messages, 10, interval: null)],
        }, C.Plan);
        var entityPlan = await Api.PlanAsync(Setup.Item(messages, 5));
        var customer = await Api.CustomerAsync();
        await Api.AttachAsync(customer, plan);
        await Api.AttachAsync(customer, pack);
        var entity = Id.New("ent");
        await Api.OkAsync("entities.create", new CreateEntityParams { CustomerId = customer, EntityId = entity, FeatureId = seats }, C.EntityResponse);
        await Api.AttachAsync(customer, entityPlan, entity);
        (await Api.TrackAsync(customer, messages, 30)).ShouldBe(200);
        // A month later the unused messages roll over (max 50), so balances carry a rollover bucket.
        var now = (await Api.GetCustomerAsync(customer)).Balances[messages].NextResetAt!.Value;
        (await Api.PostAsync("customers.advance_test_clock", new AdvanceTestClockParams { CustomerId = customer, FrozenTime = now + 60_000 })).ShouldBe(200);
        return new World(customer, messages, credits, flag, seats, plan, pack, entity);
    }

    [Fact]
    public async Task CustomersGet_CarriesEveryRequiredKey()
    {
        var w = await WorldAsync();

        var c = (await Api.GetCustomerRawAsync(w.Customer)).ShouldBe(200).Json;

        Shapes.Customer(c, "customer");
        Assert.Equal(1, c.GetProperty("subscriptions").GetArrayLength());
        Assert.Equal(1, c.GetProperty("purchases").GetArrayLength());
        Assert.True(c.GetProperty("flags").TryGetProperty(w.Flag, out _));
        var messages = c.GetProperty("balances").GetProperty(w.Messages);
        Assert.Equal(1, messages.GetProperty("rollovers").GetArrayLength());
        Assert.Contains(messages.GetProperty("breakdown").EnumerateArray(), b => b.GetProperty("price").ValueKind == JsonValueKind.Object);
        Assert.True(c.GetProperty("balances").TryGetProperty(w.Credits, out _));
    }

    [Fact]
    public async Task GetOrCreateAndUpdateAndList_CarryEveryRequiredKey()
    {
        var w = await WorldAsync();

        var existing = await Api.PostAsync("customers.get_or_create", new GetOrCreateCustomerParams { CustomerId = w.Customer });
        var created = await Api.PostAsync("customers.get_or_create", new GetOrCreateCustomerParams { CustomerId = Id.New("cus") });
        var updated = await Api.PostAsync("customers.update", new UpdateCustomerParams { CustomerId = w.Customer, Name = "x" });
        var list = await Api.PostAsync("customers.list", new ListCustomersParams { Search = w.Customer });

        Shapes.Customer(existing.ShouldBe(200).Json, "get_or_create (existing)");
        Shapes.Customer(created.ShouldBe(200).Json, "get_or_create (new)");
        Shapes.Customer(updated.ShouldBe(200).Json, "update");
        list.ShouldBe(200).Json.HasKeys("customers.list", "list", "next_cursor");
        Shapes.Customer(Assert.Single(list.Json.GetProperty("list").EnumerateArray()), "customers.list item");
    }

    [Fact]
    public async Task Check_CarriesEveryRequiredKey_AllowedOrNot()
    {
        var w = await WorldAsync();

        foreach (var (feature, required, send) in new[] { (w.Messages, 1m, false), (w.Messages, 10_000m, false), (w.Flag, 1m, false), (w.Messages, 1m, true), (w.Seats, 1m, false) })
        {
            var res = (await Api.CheckAsync(w.Customer, feature, required, sendEvent: send)).ShouldBe(200).Json;
            var where = $"check {feature} {required} send_event={send}";
            res.HasKeys(where, "allowed", "customer_id", "balance", "flag");
            Shapes.NullableBalance(res.GetProperty("balance"), where + " balance");
            if (res.GetProperty("flag").ValueKind != JsonValueKind.Null)
            {
                Shapes.Flag(res.GetProperty("flag"), where + " flag");
            }
            if (res.TryGetProperty("balances", out var map))
            {
                foreach (var b in map.EnumerateObject())
                {
                    Shapes.NullableBalance(b.Value, $"{where} balances.{b.Name}");
                }
            }
        }
        var entityCheck = (await Api.CheckAsync(w.Customer, w.Messages, entityId: w.Entity)).ShouldBe(200).Json;
        entityCheck.HasKeys("entity check", "allowed", "customer_id", "balance", "flag");
    }

    [Fact]
    public async Task Track_CarriesEveryRequiredKey()
    {
        var w = await WorldAsync();
        var noBalance = await Api.MeteredFeatureAsync();

        var tracks = new[]
        {
            await Api.TrackAsync(w.Customer, w.Messages, 5),
            await Api.TrackAsync(w.Customer, w.Messages, -2),
            await Api.TrackAsync(w.Customer, w.Credits, 3),
            await Api.TrackAsync(w.Customer, noBalance, 1),
            await Api.TrackAsync(w.Customer, w.Messages, 1, entityId: w.Entity),
            await Api.PostAsync("track", new TrackParams { CustomerId = w.Customer, FeatureId = w.Messages }),
        };

        foreach (var res in tracks)
        {
            var t = res.ShouldBe(200).Json;
            t.HasKeys("track", "customer_id", "value", "balance");
            Shapes.NullableBalance(t.GetProperty("balance"), "track balance");
            foreach (var d in t.TryGetProperty("deductions", out var ds) ? ds.EnumerateArray() : default)
            {
                Shapes.Deduction(d, "track deduction");
            }
            if (t.TryGetProperty("balances", out var map))
            {
                foreach (var b in map.EnumerateObject())
                {
                    Shapes.NullableBalance(b.Value, $"track balances.{b.Name}");
                }
            }
        }
    }

    [Fact]
    public async Task Entities_CarryEveryRequiredKey()
    {
        var w = await WorldAsync();

        var got = await Api.PostAsync("entities.get", new GetEntityParams { CustomerId = w.Customer, EntityId = w.Entity });
        var created = await Api.PostAsync("entities.create", new CreateEntityParams { CustomerId = w.Customer, EntityId = Id.New("ent"), FeatureId = w.Seats });
        var list = await Api.PostAsync("entities.list", new ListEntitiesParams { CustomerId = w.Customer });
        var deleted = await Api.PostAsync("entities.delete", new DeleteEntityParams { CustomerId = w.Customer, EntityId = created.Json.Str("id")! });

        Shapes.Entity(got.ShouldBe(200).Json, "entities.get");
        Assert.Equal(1, got.Json.GetProperty("subscriptions").GetArrayLength());
        Shapes.Entity(created.ShouldBe(200).Json, "entities.create");
        list.ShouldBe(200).Json.HasKeys("entities.list", "list", "next_cursor");
        foreach (var e in list.Json.GetProperty("list").EnumerateArray())
        {
            Shapes.Entity(e, "entities.list item");
        }
        deleted.ShouldBe(200).Json.HasKeys("entities.delete", "success");
    }

    [Fact]
    public async Task FeaturesAndPlans_CarryEveryRequiredKey()
    {
        var w = await WorldAsync();

        var features = new[]
        {
            await Api.PostAsync("features.get", new GetFeatureParams { FeatureId = w.Credits }),
            await Api.PostAsync("features.get", new GetFeatureParams { FeatureId = w.Flag }),
            await Api.PostAsync("features.update", new UpdateFeatureParams { FeatureId = w.Messages, Name = "Messages" }),
        };
        var featureList = await Api.PostAsync("features.list");
        var plans = new[]
        {
            await Api.PostAsync("plans.get", new GetPlanParams { PlanId = w.Plan }),
            await Api.PostAsync("plans.get", new GetPlanParams { PlanId = w.Pack }),
            await Api.PostAsync("plans.update", new UpdatePlanParams { PlanId = w.Pack, Description = "ten more" }),
        };
        var planList = await Api.PostAsync("plans.list");

        foreach (var f in features)
        {
            Shapes.Feature(f.ShouldBe(200).Json, "feature");
        }
        Assert.Equal(2m, features[0].Json.GetProperty("credit_schema")[0].Dec("credit_cost"));
        foreach (var f in featureList.ShouldBe(200).Json.GetProperty("list").EnumerateArray())
        {
            Shapes.Feature(f, "features.list item");
        }
        foreach (var p in plans)
        {
            Shapes.Plan(p.ShouldBe(200).Json, "plan");
        }
        Assert.Equal(JsonValueKind.Object, plans[0].Json.GetProperty("items")[0].GetProperty("rollover").ValueKind);
        foreach (var p in planList.ShouldBe(200).Json.GetProperty("list").EnumerateArray())
        {
            Shapes.Plan(p, "plans.list item");
        }
    }

    [Fact]
    public async Task EventsAttachAndSuccessBodies_CarryEveryRequiredKey()
    {
        var w = await WorldAsync();
        (await Api.TrackAsync(w.Customer, w.Credits, 1)).ShouldBe(200);
        var other = await Api.CustomerAsync();

        var events = await Api.PostAsync("events.list", new ListEventsParams { CustomerId = w.Customer });
        var attach = await Api.PostAsync("billing.attach", new AttachParams { CustomerId = other, PlanId = w.Plan });
        var create = await Api.PostAsync("balances.create", new CreateBalanceParams { CustomerId = other, FeatureId = w.Messages, IncludedGrant = 1 });
        var update = await Api.PostAsync("balances.update", new UpdateBalanceParams { CustomerId = other, FeatureId = w.Messages, AddToBalance = 1 });

        events.ShouldBe(200).Json.HasKeys("events.list", "list", "next_cursor");
        Assert.True(events.Json.GetProperty("list").GetArrayLength() >= 2);
        foreach (var e in events.Json.GetProperty("list").EnumerateArray())
        {
            e.HasKeys("event", "id", "timestamp", "feature_id", "customer_id", "value", "properties", "deductions");
            Assert.Equal(JsonValueKind.Object, e.GetProperty("properties").ValueKind);
            foreach (var d in e.GetProperty("deductions").EnumerateArray())
            {
                Shapes.Deduction(d, "event deduction");
            }
        }
        attach.ShouldBe(200).Json.HasKeys("attach", "customer_id", "payment_url");
        create.ShouldBe(200).Json.HasKeys("balances.create", "success");
        update.ShouldBe(200).Json.HasKeys("balances.update", "success");
    }
}

/// <summary>The required keys of sdk-wire-facts.md §1, per object.</summary>
internal static class Shapes
{
    public static void Customer(JsonElement c, string where)
    {
        c.HasKeys(where, "id", "name", "email", "created_at", "fingerprint", "stripe_id", "env", "metadata", "send_email_receipts",
            "billing_controls", "subscriptions", "purchases", "licenses", "balances", "flags");
        Assert.Equal(JsonValueKind.Object, c.GetProperty("metadata").ValueKind);
        Assert.Equal(JsonValueKind.Object, c.GetProperty("billing_controls").ValueKind);
        Assert.Equal(JsonValueKind.Array, c.GetProperty("licenses").ValueKind);
        foreach (var s in c.GetProperty("subscriptions").EnumerateArray())
        {
            s.HasKeys(where + " subscription", "id", "plan_id", "auto_enable", "add_on", "status", "past_due", "canceled_at", "expires_at",
                "trial_ends_at", "started_at", "current_period_start", "current_period_end", "quantity");
        }
        foreach (var p in c.GetProperty("purchases").EnumerateArray())
        {
            p.HasKeys(where + " purchase", "plan_id", "expires_at", "started_at", "quantity");
        }
        Balances(c, where);
    }

    public static void Entity(JsonElement e, string where)
    {
        e.HasKeys(where, "id", "name", "created_at", "env", "subscriptions", "purchases", "balances", "flags");
        Balances(e, where);
    }

    private static void Balances(JsonElement subject, string where)
    {
        Assert.Equal(JsonValueKind.Object, subject.GetProperty("balances").ValueKind);
        foreach (var b in subject.GetProperty("balances").EnumerateObject())
        {
            Balance(b.Value, $"{where} balances.{b.Name}");
            Assert.Equal(b.Name, b.Value.Str("feature_id"));
        }
        Assert.Equal(JsonValueKind.Object, subject.GetProperty("flags").ValueKind);
        foreach (var f in subject.GetProperty("flags").EnumerateObject())
        {
            Flag(f.Value, $"{where} flags.{f.Name}");
        }
    }

    public static void NullableBalance(JsonElement b, string where)
    {
        if (b.ValueKind != JsonValueKind.Null)
        {
            Balance(b, where);
        }
    }

    public static void Balance(JsonElement b, string where)
    {
        b.HasKeys(where, "feature_id", "granted", "remaining", "usage", "unlimited", "overage_allowed", "max_purchase", "next_reset_at");
        Assert.True(b.Dec("remaining") >= 0, $"{where}: remaining is never negative on the wire");
        foreach (var i in b.TryGetProperty("breakdown", out var items) ? items.EnumerateArray() : default)
        {
            i.HasKeys(where + " breakdown", "plan_id", "included_grant", "prepaid_grant", "remaining", "usage", "unlimited", "reset", "price", "expires_at");
            if (i.GetProperty("reset").ValueKind != JsonValueKind.Null)
            {
                i.GetProperty("reset").HasKeys(where + " breakdown.reset", "interval", "resets_at");
            }
            if (i.GetProperty("price").ValueKind != JsonValueKind.Null)
            {
                i.GetProperty("price").HasKeys(where + " breakdown.price", "billing_units", "billing_method", "max_purchase");
            }
        }
        foreach (var r in b.TryGetProperty("rollovers", out var rollovers) ? rollovers.EnumerateArray() : default)
        {
            r.HasKeys(where + " rollover", "granted", "balance", "expires_at");
        }
    }

    public static void Flag(JsonElement f, string where) => f.HasKeys(where, "id", "plan_id", "expires_at", "feature_id");

    public static void Deduction(JsonElement d, string where)
    {
        d.HasKeys(where, "balance_id", "feature_id", "plan_id", "reset", "value");
        if (d.GetProperty("reset").ValueKind != JsonValueKind.Null)
        {
            d.GetProperty("reset").HasKeys(where + ".reset", "interval", "resets_at");
        }
    }

    public static void Feature(JsonElement f, string where)
    {
        f.HasKeys(where, "id", "name", "type", "consumable", "archived");
        foreach (var s in f.TryGetProperty("credit_schema", out var schema) ? schema.EnumerateArray() : default)
        {
            s.HasKeys(where + " credit_schema", "metered_feature_id", "credit_cost");
        }
    }

    public static void Plan(JsonElement p, string where)
    {
        p.HasKeys(where, "id", "name", "description", "group", "version", "add_on", "auto_enable", "price", "items", "created_at", "env",
            "archived", "base_variant_id", "config", "metadata");
        foreach (var i in p.GetProperty("items").EnumerateArray())
        {
            i.HasKeys(where + " item", "feature_id", "included", "unlimited", "reset", "price");
            if (i.GetProperty("reset").ValueKind != JsonValueKind.Null)
            {
                i.GetProperty("reset").HasKeys(where + " item.reset", "interval");
            }
            if (i.GetProperty("price").ValueKind != JsonValueKind.Null)
            {
                i.GetProperty("price").HasKeys(where + " item.price", "interval", "billing_units", "billing_method", "max_purchase");
            }
            if (i.TryGetProperty("rollover", out var ro))
            {
                ro.HasKeys(where + " item.rollover", "max", "expiry_duration_type");
            }
        }
    }
}
