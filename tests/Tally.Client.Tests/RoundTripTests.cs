using Microsoft.Extensions.DependencyInjection;

namespace Tally.Client.Tests;

/// <summary>Every client method against the real server in process (temporary SQLite file), asserting the numbers.</summary>
public sealed class RoundTripTests(TallyServer server) : IClassFixture<TallyServer>
{
    private readonly TallyClient _client = server.NewClient();

    [Fact]
    public async Task Features_CreateGetListUpdateDelete_RoundTrip()
    {
        var id = Id("feat");

        var created = await _client.Features.CreateAsync(new CreateFeatureParams
        {
            FeatureId = id,
            Name = "Messages",
            Type = "metered",
            Consumable = true,
            EventNames = ["message_sent"],
        });
        var got = await _client.Features.GetAsync(new GetFeatureParams { FeatureId = id });
        var list = await _client.Features.ListAsync();
        var updated = await _client.Features.UpdateAsync(new UpdateFeatureParams { FeatureId = id, Name = "Chat messages" });
        var deleted = await _client.Features.DeleteAsync(new DeleteFeatureParams { FeatureId = id });
        var gone = await Assert.ThrowsAsync<TallyApiException>(() => _client.Features.GetAsync(new GetFeatureParams { FeatureId = id }));

        Assert.Equal((id, "Messages", "metered", true), (created.Id, created.Name, created.Type, created.Consumable));
        Assert.Equal(["message_sent"], got.EventNames!);
        Assert.Contains(list.List, f => f.Id == id);
        Assert.Equal("Chat messages", updated.Name);
        Assert.True(deleted.Success);
        Assert.Equal((404, "feature_not_found"), (gone.StatusCode, gone.Code));
    }

    [Fact]
    public async Task Plans_CreateGetListUpdateDelete_RoundTrip()
    {
        var feature = await MeteredFeatureAsync();
        var id = Id("plan");

        var created = await _client.Plans.CreateAsync(new CreatePlanParams
        {
            PlanId = id,
            Name = "Pro",
            Price = new PlanPrice { Amount = 20, Interval = "month" },
            Items = [new PlanItem { FeatureId = feature, Included = 100, Reset = new PlanItemReset { Interval = "month" } }],
        });
        var got = await _client.Plans.GetAsync(new GetPlanParams { PlanId = id });
        var list = await _client.Plans.ListAsync();
        var updated = await _client.Plans.UpdateAsync(new UpdatePlanParams { PlanId = id, Description = "For teams" });
        var deleted = await _client.Plans.DeleteAsync(new DeletePlanParams { PlanId = id });
        var gone = await Assert.ThrowsAsync<TallyApiException>(() => _client.Plans.GetAsync(new GetPlanParams { PlanId = id }));

        Assert.Equal((id, "Pro", 20m), (created.Id, created.Name, created.Price!.Amount));
        var item = Assert.Single(got.Items);
        Assert.Equal((feature, 100m, "month"), (item.FeatureId, item.Included, item.Reset!.Interval));
        Assert.Contains(list.List, p => p.Id == id);
        Assert.Equal("For teams", updated.Description);
        Assert.True(deleted.Success);
        Assert.Equal((404, "product_not_found"), (gone.StatusCode, gone.Code));
    }

    [Fact]
    public async Task Customers_GetOrCreateGetUpdateListDelete_RoundTrip()
    {
        var id = Id("cus");

        var created = await _client.Customers.GetOrCreateAsync(new GetOrCreateCustomerParams { CustomerId = id, Name = "Ada", Email = "ada@example.com" });
        var again = await _client.Customers.GetOrCreateAsync(new GetOrCreateCustomerParams { CustomerId = id, Name = "Other" });
        var got = await _client.Customers.GetAsync(new GetCustomerParams { CustomerId = id });
        var updated = await _client.Customers.UpdateAsync(new UpdateCustomerParams { CustomerId = id, Name = "Ada Lovelace" });
        var page = await _client.Customers.ListAsync(new ListCustomersParams { Search = id });
        var deleted = await _client.Customers.DeleteAsync(new DeleteCustomerParams { CustomerId = id });
        var gone = await Assert.ThrowsAsync<TallyApiException>(() => _client.Customers.GetAsync(new GetCustomerParams { CustomerId = id }));

        Assert.Equal((id, "Ada", "ada@example.com"), (created.Id, created.Name, created.Email));
        Assert.Equal("Ada", again.Name);
        Assert.Equal("sandbox", got.Env);
        Assert.Equal("Ada Lovelace", updated.Name);
        Assert.Equal(id, Assert.Single(page.List).Id);
        Assert.Null(page.NextCursor);
        Assert.True(deleted.Success);
        Assert.Equal((404, "customer_not_found"), (gone.StatusCode, gone.Code));
    }

    [Fact]
    public async Task CustomersListAll_SeveralPages_WalksEveryPage()
    {
        var tag = Id("grp");
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await _client.Customers.GetOrCreateAsync(new GetOrCreateCustomerParams { CustomerId = $"{tag}-{i}" })).Id!);
        }

        var first = await _client.Customers.ListAsync(new ListCustomersParams { Search = tag, Limit = 2 });
        var all = new List<string>();
        await foreach (var c in _client.Customers.ListAllAsync(new ListCustomersParams { Search = tag, Limit = 2 }))
        {
            all.Add(c.Id!);
        }
        var oldestFirst = new List<string>();
        await foreach (var c in _client.Customers.ListAllAsync(new ListCustomersParams { Search = tag, Limit = 2, SortOrder = "asc" }))
        {
            oldestFirst.Add(c.Id!);
        }

        Assert.Equal(2, first.List.Count);
        Assert.NotNull(first.NextCursor);
        // Newest first by default, as the official SDK documents.
        Assert.Equal(Enumerable.Reverse(ids), all);
        Assert.Equal(ids, oldestFirst);
    }

    [Fact]
    public async Task Attach_PlanWithItems_GrantsThePlansBalances()
    {
        var (feature, plan) = await CatalogAsync(included: 250);
        var customer = Id("cus");
        await _client.Customers.GetOrCreateAsync(new GetOrCreateCustomerParams { CustomerId = customer });

        var attached = await _client.Billing.AttachAsync(new AttachParams { CustomerId = customer, PlanId = plan });
        var got = await _client.Customers.GetAsync(new GetCustomerParams { CustomerId = customer });

        Assert.Equal(customer, attached.CustomerId);
        Assert.Null(attached.PaymentUrl);
        Assert.Equal(plan, Assert.Single(got.Subscriptions).PlanId);
        var balance = got.Balances[feature];
        Assert.Equal((250m, 250m, 0m), (balance.Granted, balance.Remaining, balance.Usage));
    }

    [Fact]
    public async Task TrackAndCheck_SameBalance_DeductAndDecideOnTheSameNumbers()
    {
        var (feature, customer) = await CustomerWithBalanceAsync(100);

        var tracked = await _client.Balances.TrackAsync(new TrackParams { CustomerId = customer, FeatureId = feature, Value = 30 });
        var denied = await _client.Balances.CheckAsync(new CheckParams { CustomerId = customer, FeatureId = feature, RequiredBalance = 80 });
        var allowed = await _client.Balances.CheckAsync(new CheckParams { CustomerId = customer, FeatureId = feature, RequiredBalance = 70 });
        var consumed = await _client.Balances.CheckAsync(new CheckParams
        {
            CustomerId = customer,
            FeatureId = feature,
            RequiredBalance = 10,
            SendEvent = true,
        });
        var after = await BalanceAsync(customer, feature);

        Assert.Equal(30m, tracked.Value);
        Assert.Equal((70m, 30m), (tracked.Balance!.Remaining, tracked.Balance.Usage));
        Assert.False(denied.Allowed);
        Assert.Equal(70m, denied.Balance!.Remaining);
        Assert.True(allowed.Allowed);
        Assert.True(consumed.Allowed);
        Assert.Equal((60m, 40m), (after.Remaining, after.Usage));
    }

    [Fact]
    public async Task Track_ByEventName_ChargesTheFeatureThatListsIt()
    {
        var eventName = Id("evt");
        var feature = await MeteredFeatureAsync(eventName);
        var plan = await PlanAsync(feature, 10);
        var customer = await CustomerOnPlanAsync(plan);

        var tracked = await _client.Balances.TrackAsync(new TrackParams { CustomerId = customer, EventName = eventName, Value = 4 });

        Assert.Equal(eventName, tracked.EventName);
        Assert.Equal(6m, (await BalanceAsync(customer, feature)).Remaining);
    }

    [Fact]
    public async Task Track_TwiceWithOneCallerKey_AppliesOnce()
    {
        var (feature, customer) = await CustomerWithBalanceAsync(100);
        var request = new TrackParams { CustomerId = customer, FeatureId = feature, Value = 7, IdempotencyKey = Id("req") };

        var first = await _client.Balances.TrackAsync(request);
        var second = await _client.Balances.TrackAsync(request);

        Assert.Equal(93m, first.Balance!.Remaining);
        Assert.Equal(93m, second.Balance!.Remaining);
        Assert.Equal(93m, (await BalanceAsync(customer, feature)).Remaining);
        Assert.Single((await _client.Events.ListAsync(new ListEventsParams { CustomerId = customer })).List);
    }

    [Fact]
    public async Task Track_LostResponse_RetriedWithTheSameKeyAndAppliedOnce()
    {
        var (feature, customer) = await CustomerWithBalanceAsync(100);
        var lossy = new LoseFirstResponse { InnerHandler = server.Server.CreateHandler() };
        var client = new TallyClient(new HttpClient(lossy) { BaseAddress = server.Server.BaseAddress },
            new TallyClientOptions { SecretKey = TallyServer.SecretKey, BaseDelay = TimeSpan.FromMilliseconds(1) });

        var tracked = await client.Balances.TrackAsync(new TrackParams { CustomerId = customer, FeatureId = feature, Value = 5 });

        Assert.Equal(2, lossy.Attempts);
        Assert.True(lossy.LastWasReplay);
        Assert.Equal(95m, tracked.Balance!.Remaining);
        Assert.Equal(95m, (await BalanceAsync(customer, feature)).Remaining);
        Assert.Single((await _client.Events.ListAsync(new ListEventsParams { CustomerId = customer })).List);
    }

    [Fact]
    public async Task Balances_CreateUpdateDelete_ChangeTheNumbers()
    {
        var (feature, customer) = await CustomerWithBalanceAsync(100);
        await _client.Balances.TrackAsync(new TrackParams { CustomerId = customer, FeatureId = feature, Value = 30 });

        var created = await _client.Balances.CreateAsync(new CreateBalanceParams
        {
            CustomerId = customer,
            FeatureId = feature,
            IncludedGrant = 50,
            BalanceId = "bonus",
        });
        var withBonus = await BalanceAsync(customer, feature);
        var set = await _client.Balances.UpdateAsync(new UpdateBalanceParams { CustomerId = customer, FeatureId = feature, Remaining = 10 });
        var afterSet = await BalanceAsync(customer, feature);
        var added = await _client.Balances.UpdateAsync(new UpdateBalanceParams { CustomerId = customer, FeatureId = feature, AddToBalance = 5 });
        var afterAdd = await BalanceAsync(customer, feature);
        var deleted = await _client.Balances.DeleteAsync(new DeleteBalanceParams { CustomerId = customer, FeatureId = feature, BalanceId = "bonus" });
        var afterDelete = await BalanceAsync(customer, feature);

        Assert.True(created.Success && set.Success && added.Success && deleted.Success);
        Assert.Equal((150m, 120m), (withBonus.Granted, withBonus.Remaining));
        // Setting remaining keeps the grant and moves usage: 150 granted, 10 left, 140 used.
        Assert.Equal((150m, 10m, 140m), (afterSet.Granted, afterSet.Remaining, afterSet.Usage));
        Assert.Equal((150m, 15m, 135m), (afterAdd.Granted, afterAdd.Remaining, afterAdd.Usage));
        var bonus = Assert.Single(afterAdd.Breakdown!, b => b.Id == "bonus");
        Assert.Equal((50m, 10m), (bonus.IncludedGrant, bonus.Remaining));
        // Deleting the grant takes its 10 remaining and 40 usage with it.
        Assert.Equal((100m, 5m, 95m), (afterDelete.Granted, afterDelete.Remaining, afterDelete.Usage));
        Assert.DoesNotContain(afterDelete.Breakdown ?? [], b => b.Id == "bonus");
    }

    [Fact]
    public async Task BatchTrack_SeveralItems_AppliesEveryItem()
    {
        var (feature, customer) = await CustomerWithBalanceAsync(100);

        var result = await _client.Balances.BatchTrackAsync(
        [
            new TrackParams { CustomerId = customer, FeatureId = feature, Value = 2 },
            new TrackParams { CustomerId = customer, FeatureId = feature, Value = 3 },
            new TrackParams { CustomerId = customer, FeatureId = feature, Value = 5 },
        ]);

        Assert.True(result.Success);
        var balance = await BalanceAsync(customer, feature);
        Assert.Equal((90m, 10m), (balance.Remaining, balance.Usage));
        Assert.Equal(3, (await _client.Events.ListAsync(new ListEventsParams { CustomerId = customer })).List.Count);
    }

    [Fact]
    public async Task EventsListAndListAll_TrackedValues_ReturnEveryOne()
    {
        var (feature, customer) = await CustomerWithBalanceAsync(100);
        foreach (var value in new[] { 1m, 2m, 3m, 4m, 5m })
        {
            await _client.Balances.TrackAsync(new TrackParams { CustomerId = customer, FeatureId = feature, Value = value });
        }

        var page = await _client.Events.ListAsync(new ListEventsParams { CustomerId = customer, Limit = 2 });
        var all = new List<EventItem>();
        await foreach (var e in _client.Events.ListAllAsync(new ListEventsParams { CustomerId = customer, Limit = 2 }))
        {
            all.Add(e);
        }

        Assert.Equal([5m, 4m], page.List.Select(e => e.Value));
        Assert.NotNull(page.NextCursor);
        Assert.Equal([5m, 4m, 3m, 2m, 1m], all.Select(e => e.Value));
        Assert.All(all, e => Assert.Equal((customer, feature), (e.CustomerId, e.FeatureId)));
        Assert.Equal(15m, all.Sum(e => e.Deductions!.Sum(d => d.Value)));
    }

    [Fact]
    public async Task Entities_CreateGetListUpdateDelete_RoundTrip()
    {
        var seats = Id("seats");
        await _client.Features.CreateAsync(new CreateFeatureParams { FeatureId = seats, Name = "Seats", Type = "metered", Consumable = false });
        var messages = await MeteredFeatureAsync();
        var plan = Id("plan");
        await _client.Plans.CreateAsync(new CreatePlanParams
        {
            PlanId = plan,
            Name = "Team",
            Items =
            [
                new PlanItem { FeatureId = seats, Included = 5 },
                new PlanItem { FeatureId = messages, Included = 10, EntityFeatureId = seats, Reset = new PlanItemReset { Interval = "month" } },
            ],
        });
        var customer = await CustomerOnPlanAsync(plan);
        var entity = Id("ent");

        var created = await _client.Entities.CreateAsync(new CreateEntityParams { CustomerId = customer, EntityId = entity, FeatureId = seats, Name = "Ada's seat" });
        await _client.Balances.TrackAsync(new TrackParams { CustomerId = customer, EntityId = entity, FeatureId = messages, Value = 4 });
        var got = await _client.Entities.GetAsync(new GetEntityParams { CustomerId = customer, EntityId = entity });
        var page = await _client.Entities.ListAsync(new ListEntitiesParams { CustomerId = customer });
        var all = new List<string>();
        await foreach (var e in _client.Entities.ListAllAsync(new ListEntitiesParams { CustomerId = customer, Limit = 1 }))
        {
            all.Add(e.Id!);
        }
        var updated = await _client.Entities.UpdateAsync(new UpdateEntityParams { CustomerId = customer, EntityId = entity });
        var seatsInUse = (await BalanceAsync(customer, seats)).Usage;
        var deleted = await _client.Entities.DeleteAsync(new DeleteEntityParams { CustomerId = customer, EntityId = entity });
        var gone = await Assert.ThrowsAsync<TallyApiException>(() => _client.Entities.GetAsync(new GetEntityParams { CustomerId = customer, EntityId = entity }));

        Assert.Equal((entity, "Ada's seat", seats), (created.Id, created.Name, created.FeatureId));
        Assert.Equal(10m, created.Balances[messages].Remaining);
        Assert.Equal((6m, 4m), (got.Balances[messages].Remaining, got.Balances[messages].Usage));
        Assert.Equal(entity, Assert.Single(page.List).Id);
        Assert.Equal([entity], all);
        Assert.Equal(entity, updated.Id);
        Assert.Equal(1m, seatsInUse);
        Assert.True(deleted.Success);
        Assert.Equal(0m, (await BalanceAsync(customer, seats)).Usage);
        Assert.Equal((404, "entity_not_found"), (gone.StatusCode, gone.Code));
    }

    [Fact]
    public async Task Send_ServerRefuses_SurfacesAsTallyApiException()
    {
        var feature = await MeteredFeatureAsync();

        var missing = await Assert.ThrowsAsync<TallyApiException>(() =>
            _client.Balances.TrackAsync(new TrackParams { CustomerId = Id("nobody"), FeatureId = feature }));
        var duplicate = await Assert.ThrowsAsync<TallyApiException>(() =>
            _client.Features.CreateAsync(new CreateFeatureParams { FeatureId = feature, Name = "Again", Type = "metered", Consumable = true }));
        var badKey = await Assert.ThrowsAsync<TallyApiException>(() =>
            server.NewClient(o => o.SecretKey = "am_sk_test_wrong").Features.ListAsync());

        Assert.Equal((404, "customer_not_found", "sandbox"), (missing.StatusCode, missing.Code, missing.Env));
        Assert.Equal((409, "duplicate_feature_id"), (duplicate.StatusCode, duplicate.Code));
        Assert.Equal((401, "invalid_secret_key"), (badKey.StatusCode, badKey.Code));
    }

    [Fact]
    public async Task TallyClient_AsIHttpClientFactoryTypedClient_Works()
    {
        var services = new ServiceCollection();
        services.AddHttpClient(nameof(TallyClient))
            .AddTypedClient((http, _) => new TallyClient(http, new TallyClientOptions
            {
                BaseUrl = server.Server.BaseAddress,
                SecretKey = TallyServer.SecretKey,
            }))
            .ConfigurePrimaryHttpMessageHandler(() => server.Server.CreateHandler());
        await using var provider = services.BuildServiceProvider();
        var feature = await MeteredFeatureAsync();

        var client = provider.GetRequiredService<TallyClient>();
        var got = await client.Features.GetAsync(new GetFeatureParams { FeatureId = feature });

        Assert.Equal(feature, got.Id);
    }

    private static string Id(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    private async Task<string> MeteredFeatureAsync(string? eventName = null)
    {
        var id = Id("feat");
        await _client.Features.CreateAsync(new CreateFeatureParams
        {
            FeatureId = id,
            Name = "Messages",
            Type = "metered",
            Consumable = true,
            EventNames = eventName is null ? null : [eventName],
        });
        return id;
    }

    private async Task<string> PlanAsync(string feature, decimal included)
    {
        var id = Id("plan");
        await _client.Plans.CreateAsync(new CreatePlanParams
        {
            PlanId = id,
            Name = "Plan",
            Items = [new PlanItem { FeatureId = feature, Included = included, Reset = new PlanItemReset { Interval = "month" } }],
        });
        return id;
    }

    private async Task<(string Feature, string Plan)> CatalogAsync(decimal included)
    {
        var feature = await MeteredFeatureAsync();
        return (feature, await PlanAsync(feature, included));
    }

    private async Task<string> CustomerOnPlanAsync(string plan)
    {
        var customer = Id("cus");
        await _client.Customers.GetOrCreateAsync(new GetOrCreateCustomerParams { CustomerId = customer });
        await _client.Billing.AttachAsync(new AttachParams { CustomerId = customer, PlanId = plan });
        return customer;
    }

    private async Task<(string Feature, string Customer)> CustomerWithBalanceAsync(decimal included)
    {
        var (feature, plan) = await CatalogAsync(included);
        return (feature, await CustomerOnPlanAsync(plan));
    }

    private async Task<Balance> BalanceAsync(string customer, string feature) =>
        (await _client.Customers.GetAsync(new GetCustomerParams { CustomerId = customer })).Balances[feature];

    /// <summary>Lets the first request reach the server, then loses its answer, as a dropped connection would.</summary>
    private sealed class LoseFirstResponse : DelegatingHandler
    {
        public int Attempts { get; private set; }

        public bool LastWasReplay { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            Attempts++;
            LastWasReplay = response.Headers.TryGetValues("Idempotent-Replayed", out var v) && v.Contains("true");
            if (Attempts == 1)
            {
                response.Dispose();
                throw new HttpRequestException("The response was lost on the way back.");
            }
            return response;
        }
    }
}
