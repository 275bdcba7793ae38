using Tally.Contracts;

namespace Tally.Server.Tests.Http;

/// <summary>
/// Two organizations × two environments: what is created under one key is invisible (404, or absent from lists)
/// under the three others, nothing there can change it, and the same ids can be reused there independently.
/// </summary>
public sealed class IsolationTests(TallyApp app) : IClassFixture<TallyApp>
{
    private static readonly TallyJsonContext C = TallyJsonContext.Default;

    private static readonly (string Key, string Env)[] Tenants =
    [
        (TallyApp.SandboxKey, "sandbox"),
        (TallyApp.LiveKey, "live"),
        (TallyApp.OrgBSandboxKey, "sandbox"),
        (TallyApp.OrgBLiveKey, "live"),
    ];

    public static TheoryData<int> Sources => [0, 1, 2, 3];

    [Theory]
    [MemberData(nameof(Sources))]
    public async Task WhatOneTenantCreates_IsInvisibleAndUnwritableFromTheOthers(int source)
    {
        var home = app.For(Tenants[source].Key);
        var seats = await home.MeteredFeatureAsync(consumable: false);
        var (customer, feature, plan) = await home.CustomerWithBalanceAsync(100);
        var entity = Id.New("ent");
        (await home.TrackAsync(customer, feature, 10)).ShouldBe(200);
        await home.OkAsync("entities.create", new CreateEntityParams { CustomerId = customer, EntityId = entity, FeatureId = seats }, C.EntityResponse);
        var before = (await home.GetCustomerRawAsync(customer)).ShouldBe(200).Body;
        Assert.Equal(Tenants[source].Env, (await home.GetCustomerAsync(customer)).Env);

        for (var i = 0; i < Tenants.Length; i++)
        {
            if (i == source)
            {
                continue;
            }
            var (key, env) = Tenants[i];
            var other = app.For(key);

            // Reads: 404, or absent from lists.
            (await other.PostAsync("customers.get", new GetCustomerParams { CustomerId = customer })).ShouldFail(404, "customer_not_found", env: env);
            (await other.PostAsync("features.get", new GetFeatureParams { FeatureId = feature })).ShouldFail(404, "feature_not_found", env: env);
            (await other.PostAsync("plans.get", new GetPlanParams { PlanId = plan })).ShouldFail(404, "product_not_found", env: env);
            (await other.PostAsync("entities.get", new GetEntityParams { EntityId = entity, CustomerId = customer })).ShouldFail(404, "customer_not_found", env: env);
            (await other.PostAsync("entities.get", new GetEntityParams { EntityId = entity })).ShouldFail(404, "entity_not_found", env: env);
            Assert.DoesNotContain(feature, (await other.OkAsync("features.list", new EmptyParams(), C.ListResponseFeature)).List.Select(f => f.Id));
            Assert.DoesNotContain(plan, (await other.OkAsync("plans.list", new ListPlansParams { IncludeArchived = true }, C.ListResponsePlan)).List.Select(p => p.Id));
            Assert.DoesNotContain(customer, (await other.OkAsync("customers.list", new ListCustomersParams { Limit = 1000 }, C.CursorListResponseCustomer)).List.Select(c => c.Id));
            Assert.DoesNotContain(customer, (await other.OkAsync("entities.list", new ListEntitiesParams { Limit = 1000 }, C.CursorListResponseEntityResponse)).List.Select(e => e.CustomerId));
            Assert.Empty(await other.EventsAsync(customer));
            (await other.CheckAsync(customer, feature)).ShouldFail(404, "feature_not_found", env: env);

            // Writes: refused with the not-found of that tenant.
            (await other.TrackAsync(customer, feature, 1)).ShouldFail(404, "feature_not_found", env: env);
            (await other.PostAsync("customers.update", new UpdateCustomerParams { CustomerId = customer, Name = "Mallory" })).ShouldFail(404, "customer_not_found", env: env);
            (await other.PostAsync("customers.update", new UpdateCustomerParams { CustomerId = customer, NewCustomerId = Id.New("stolen") })).ShouldFail(404, "customer_not_found", env: env);
            (await other.PostAsync("customers.delete", new DeleteCustomerParams { CustomerId = customer })).ShouldFail(404, "customer_not_found", env: env);
            (await other.PostAsync("entities.delete", new DeleteEntityParams { EntityId = entity, CustomerId = customer })).ShouldFail(404, "customer_not_found", env: env);
            (await other.PostAsync("entities.update", new UpdateEntityParams { EntityId = entity })).ShouldFail(404, "entity_not_found", env: env);
            (await other.PostAsync("billing.attach", new AttachParams { CustomerId = customer, PlanId = plan })).ShouldFail(404, "product_not_found", env: env);
            (await other.PostAsync("balances.create", new CreateBalanceParams { CustomerId = customer, FeatureId = feature, IncludedGrant = 5 })).ShouldFail(404, "feature_not_found", env: env);
            (await other.PostAsync("balances.update", new UpdateBalanceParams { CustomerId = customer, FeatureId = feature, Remaining = 0 })).ShouldFail(404, "feature_not_found", env: env);
            (await other.PostAsync("balances.delete", new DeleteBalanceParams { CustomerId = customer, FeatureId = feature })).ShouldFail(404, "feature_not_found", env: env);
            (await other.PostAsync("balances.delete", new DeleteBalanceParams { CustomerId = customer, BalanceId = "any" })).ShouldFail(404, "customer_not_found", env: env);
            (await other.PostAsync("features.update", new UpdateFeatureParams { FeatureId = feature, Name = "x" })).ShouldFail(404, "feature_not_found", env: env);
            (await other.PostAsync("features.delete", new DeleteFeatureParams { FeatureId = feature })).ShouldFail(404, "feature_not_found", env: env);
            (await other.PostAsync("plans.update", new UpdatePlanParams { PlanId = plan, Name = "x" })).ShouldFail(404, "product_not_found", env: env);
            (await other.PostAsync("plans.delete", new DeletePlanParams { PlanId = plan })).ShouldFail(404, "product_not_found", env: env);
            (await other.PostAsync("balances.batch_track", $$"""[{"customer_id":"{{customer}}","feature_id":"{{feature}}"}]""")).ShouldFail(404, "feature_not_found", env: env);

            // With a feature of the same id there, the customer is still unknown (and not auto-created).
            await other.MeteredFeatureAsync(feature);
            (await other.TrackAsync(customer, feature, 1)).ShouldFail(404, "customer_not_found", env: env);
            (await other.CheckAsync(customer, feature)).ShouldFail(404, "customer_not_found", env: env);
            (await other.PostAsync("balances.create", new CreateBalanceParams { CustomerId = customer, FeatureId = feature, IncludedGrant = 5 })).ShouldFail(404, "customer_not_found", env: env);
            (await other.GetCustomerRawAsync(customer)).ShouldFail(404, "customer_not_found", env: env);
        }

        Assert.Equal(before, (await home.GetCustomerRawAsync(customer)).Body);
        Assert.Single(await home.EventsAsync(customer));
    }

    [Fact]
    public async Task TheSameIds_CanBeUsedInEveryTenant_Independently()
    {
        var feature = Id.New("shared");
        var plan = Id.New("shared");
        var customer = Id.New("shared");

        for (var i = 0; i < Tenants.Length; i++)
        {
            var api = app.For(Tenants[i].Key);
            await api.MeteredFeatureAsync(feature);
            await api.OkAsync("plans.create", new CreatePlanParams { PlanId = plan, Name = plan, Items = [Setup.Item(feature, 10 * (i + 1))] }, C.Plan);
            await api.CustomerAsync(customer);
            await api.AttachAsync(customer, plan);
            (await api.TrackAsync(customer, feature, i + 1)).ShouldBe(200);
        }

        for (var i = 0; i < Tenants.Length; i++)
        {
            var api = app.For(Tenants[i].Key);
            var c = await api.GetCustomerAsync(customer);
            Assert.Equal(Tenants[i].Env, c.Env);
            Assert.Equal(10m * (i + 1), c.Balances[feature].Granted);
            Assert.Equal(i + 1m, c.Balances[feature].Usage);
            Assert.Equal(i + 1m, Assert.Single(await api.EventsAsync(customer)).Value);
        }
    }

    [Fact]
    public async Task IdempotencyKeys_AreScopedToTheTenant()
    {
        var feature = Id.New("shared");
        var customer = Id.New("shared");
        var headers = new Dictionary<string, string> { ["Idempotency-Key"] = Id.New("key") };

        foreach (var (key, _) in Tenants)
        {
            var api = app.For(key);
            await api.MeteredFeatureAsync(feature);
            var plan = await api.PlanAsync(Setup.Item(feature, 10));
            await api.CustomerAsync(customer);
            await api.AttachAsync(customer, plan);
            var res = await api.PostAsync("balances.track", new TrackParams { CustomerId = customer, FeatureId = feature, Value = 4 }, headers: headers);
            Assert.False(res.ShouldBe(200).Headers.Contains("Idempotent-Replayed"));
            Assert.Equal(6m, (await api.BalanceAsync(customer, feature))!.Remaining);
        }
    }
}
