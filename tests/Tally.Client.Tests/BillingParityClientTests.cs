namespace Tally.Client.Tests;

/// <summary>customize, carry-over and preview_attach through the C# client against a real server.</summary>
public sealed class BillingParityClientTests(TallyServer server) : IClassFixture<TallyServer>
{
    private readonly TallyClient _client = server.NewClient();

    private async Task<(string Feature, string Free, string Pro, string Customer)> SetupAsync()
    {
        var feature = Id("feat");
        await _client.Features.CreateAsync(new CreateFeatureParams { FeatureId = feature, Name = "Messages", Type = "metered", Consumable = true });
        var (free, pro) = (Id("free"), Id("pro"));
        await _client.Plans.CreateAsync(new CreatePlanParams { PlanId = free, Name = "Free", Items = [Item(feature, 100)] });
        await _client.Plans.CreateAsync(new CreatePlanParams
        {
            PlanId = pro,
            Name = "Pro",
            Price = new PlanPrice { Amount = 25, Interval = "month" },
            Items = [Item(feature, 1000)],
        });
        var customer = Id("cus");
        await _client.Customers.GetOrCreateAsync(new GetOrCreateCustomerParams { CustomerId = customer });
        await _client.Billing.AttachAsync(new AttachParams { CustomerId = customer, PlanId = free });
        await _client.Balances.TrackAsync(new TrackParams { CustomerId = customer, FeatureId = feature, Value = 40 });
        return (feature, free, pro, customer);
    }

    [Fact]
    public async Task PreviewAttach_ShowsTheUpgrade_AndChangesNothing()
    {
        var (feature, free, pro, customer) = await SetupAsync();

        var preview = await _client.Billing.PreviewAttachAsync(new AttachParams
        {
            CustomerId = customer,
            PlanId = pro,
            CarryOverBalances = new CarryOver { Enabled = true },
        });
        var after = await _client.Customers.GetAsync(new GetCustomerParams { CustomerId = customer });

        Assert.Equal(pro, Assert.Single(preview.Incoming).PlanId);
        Assert.Equal(free, Assert.Single(preview.Outgoing).PlanId);
        Assert.Equal(25m, preview.Total);
        var change = Assert.Single(preview.Balances);
        Assert.Equal((feature, 60m, 1060m), (change.FeatureId, change.Before!.Remaining, change.After!.Remaining));
        Assert.Equal(free, Assert.Single(after.Subscriptions).PlanId);
        Assert.Equal(60m, after.Balances[feature].Remaining);
    }

    [Fact]
    public async Task Attach_CustomizeAndCarryOverUsages_AppliesBoth()
    {
        var (feature, _, pro, customer) = await SetupAsync();

        await _client.Billing.AttachAsync(new AttachParams
        {
            CustomerId = customer,
            PlanId = pro,
            CarryOverUsages = new CarryOver { Enabled = true },
            Customize = new PlanCustomize
            {
                Price = new PlanPrice { Amount = 10, Interval = "month" },
                Items = [Item(feature, 300)],
            },
        });
        var c = await _client.Customers.GetAsync(new GetCustomerParams { CustomerId = customer });
        var catalog = await _client.Plans.GetAsync(new GetPlanParams { PlanId = pro });

        Assert.Equal((300m, 40m, 260m), (c.Balances[feature].Granted, c.Balances[feature].Usage, c.Balances[feature].Remaining));
        var sub = Assert.Single(c.Subscriptions);
        Assert.Equal(10m, sub.Plan!.Price!.Amount);
        Assert.Equal(25m, catalog.Price!.Amount);
        Assert.Equal(1000m, Assert.Single(catalog.Items).Included);
    }

    [Fact]
    public async Task Attach_BadCustomize_ThrowsNamingTheField()
    {
        var (_, _, pro, customer) = await SetupAsync();

        var refused = await Assert.ThrowsAsync<TallyApiException>(() => _client.Billing.AttachAsync(new AttachParams
        {
            CustomerId = customer,
            PlanId = pro,
            Customize = new PlanCustomize { RemoveItems = [new PlanItemFilter { FeatureId = "not_in_the_plan" }] },
        }));

        Assert.Equal((400, "invalid_inputs"), (refused.StatusCode, refused.Code));
        Assert.Contains("customize.remove_items[0]", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Attach_CustomizePriceSetToNull_SendsAnExplicitNull_AndTheCustomerHasNoBasePrice()
    {
        var (_, _, pro, customer) = await SetupAsync();

        await _client.Billing.AttachAsync(new AttachParams { CustomerId = customer, PlanId = pro, Customize = new PlanCustomize { Price = null } });

        var sub = (await _client.Customers.GetAsync(new GetCustomerParams { CustomerId = customer })).Subscriptions.Single(s => s.PlanId == pro);
        Assert.NotNull(sub.Plan);
        Assert.Null(sub.Plan!.Price);
        Assert.NotNull((await _client.Plans.GetAsync(new GetPlanParams { PlanId = pro })).Price);
    }

    [Fact]
    public async Task PlansUpdate_FreeTrialAndPriceSetToNull_RemoveThem_AndUntouchedFieldsStay()
    {
        var plan = Id("trial");
        await _client.Plans.CreateAsync(new CreatePlanParams
        {
            PlanId = plan,
            Name = "Trial",
            Price = new PlanPrice { Amount = 9, Interval = "month" },
            FreeTrial = new FreeTrial { DurationLength = 7, DurationType = "day" },
        });

        var onlyTrial = await _client.Plans.UpdateAsync(new UpdatePlanParams { PlanId = plan, FreeTrial = null });
        var both = await _client.Plans.UpdateAsync(new UpdatePlanParams { PlanId = plan, Price = null });

        Assert.Null(onlyTrial.FreeTrial);
        Assert.Equal(9m, onlyTrial.Price!.Amount);
        Assert.Null(both.Price);
        Assert.Equal("Trial", both.Name);
    }

    private static PlanItem Item(string feature, decimal included) =>
        new() { FeatureId = feature, Included = included, Reset = new PlanItemReset { Interval = "month" } };

    private static string Id(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..(prefix.Length + 13)];
}
