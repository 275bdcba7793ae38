namespace Tally.Server.Tests.Api.Billing;

/// <summary>
/// billing.attach <c>carry_over_usages</c> / <c>carry_over_balances</c> when the plan replaces another of its group
/// (Autumn's rules: consumable features only, immediate switches only, <c>feature_ids</c> limits the carry).
/// </summary>
public sealed class CarryOverTests(TallyApp app) : IClassFixture<TallyApp>
{
    private TallyApi Api => app.Api;

    /// <summary>A customer on a plan granting 100 of each feature, having used 30 of each; and a bigger plan granting 500.</summary>
    private async Task<(string Customer, string[] Features, string Pro)> UsedThirtyAsync(int features = 1)
    {
        var ids = new string[features];
        for (var i = 0; i < features; i++)
        {
            ids[i] = await Api.MeteredFeatureAsync();
        }
        var free = await Api.PlanAsync([.. ids.Select(f => Setup.Item(f, 100))]);
        var pro = await Api.PlanAsync([.. ids.Select(f => Setup.Item(f, 500))]);
        var customer = await Api.CustomerAsync();
        await Api.AttachAsync(customer, free);
        foreach (var f in ids)
        {
            (await Api.TrackAsync(customer, f, 30)).ShouldBe(200);
        }
        return (customer, ids, pro);
    }

    [Fact]
    public async Task Attach_CarryOverUsages_ChargesTheOldUsageToTheNewPlan()
    {
        var (customer, f, pro) = await UsedThirtyAsync();

        (await Api.PostAsync("billing.attach", $$$"""{"customer_id":"{{{customer}}}","plan_id":"{{{pro}}}","carry_over_usages":{"enabled":true}}"""))
            .ShouldBe(200);

        var b = (await Api.BalanceAsync(customer, f[0]))!;
        Assert.Equal(500m, b.Granted);
        Assert.Equal(30m, b.Usage);
        Assert.Equal(470m, b.Remaining);
        Assert.Equal(pro, Assert.Single((await Api.GetCustomerAsync(customer)).Subscriptions).PlanId);
    }

    [Fact]
    public async Task Attach_WithoutCarryOver_StartsTheNewPlanFresh()
    {
        var (customer, f, pro) = await UsedThirtyAsync();

        (await Api.PostAsync("billing.attach", $$$"""{"customer_id":"{{{customer}}}","plan_id":"{{{pro}}}","carry_over_usages":{"enabled":false}}"""))
            .ShouldBe(200);

        var b = (await Api.BalanceAsync(customer, f[0]))!;
        Assert.Equal(500m, b.Remaining);
        Assert.Equal(0m, b.Usage);
    }

    [Fact]
    public async Task Attach_CarryOverBalances_KeepsWhatWasLeftAsAGrant()
    {
        var (customer, f, pro) = await UsedThirtyAsync();

        (await Api.PostAsync("billing.attach", $$$"""{"customer_id":"{{{customer}}}","plan_id":"{{{pro}}}","carry_over_balances":{"enabled":true}}"""))
            .ShouldBe(200);

        var b = (await Api.BalanceAsync(customer, f[0]))!;
        Assert.Equal(570m, b.Granted);
        Assert.Equal(570m, b.Remaining);
        (await Api.TrackAsync(customer, f[0], 560)).ShouldBe(200);
        Assert.Equal(10m, (await Api.BalanceAsync(customer, f[0]))!.Remaining);
    }

    [Fact]
    public async Task Attach_CarryOverFeatureIds_CarriesOnlyThoseFeatures()
    {
        var (customer, f, pro) = await UsedThirtyAsync(features: 2);

        (await Api.PostAsync("billing.attach",
            $$$"""{"customer_id":"{{{customer}}}","plan_id":"{{{pro}}}","carry_over_balances":{"enabled":true,"feature_ids":["{{{f[0]}}}"]},"carry_over_usages":{"enabled":true,"feature_ids":["{{{f[1]}}}"]}}"""))
            .ShouldBe(200);

        var (first, second) = ((await Api.BalanceAsync(customer, f[0]))!, (await Api.BalanceAsync(customer, f[1]))!);
        Assert.Equal(570m, first.Remaining);
        Assert.Equal(0m, first.Usage);
        Assert.Equal(470m, second.Remaining);
        Assert.Equal(500m, second.Granted);
    }

    [Fact]
    public async Task Attach_CarryOver_WithNothingReplaced_AttachesAsUsual()
    {
        var msg = await Api.MeteredFeatureAsync();
        var plan = await Api.PlanAsync(Setup.Item(msg, 50));
        var customer = await Api.CustomerAsync();

        (await Api.PostAsync("billing.attach",
            $$$"""{"customer_id":"{{{customer}}}","plan_id":"{{{plan}}}","carry_over_balances":{"enabled":true},"carry_over_usages":{"enabled":true}}"""))
            .ShouldBe(200);

        Assert.Equal(50m, (await Api.BalanceAsync(customer, msg))!.Remaining);
    }

    [Fact]
    public async Task Attach_CarryOverOfABooleanOrUnknownFeature_OrOnAScheduledStart_IsRefused_AndChangesNothing()
    {
        var (customer, f, pro) = await UsedThirtyAsync();
        var flag = await Api.BooleanFeatureAsync();
        var seats = await Api.MeteredFeatureAsync(consumable: false);
        var before = (await Api.GetCustomerRawAsync(customer)).Text;
        var future = DateTimeOffset.UtcNow.AddDays(30).ToUnixTimeMilliseconds();

        (await Api.PostAsync("billing.attach", $$$"""{"customer_id":"{{{customer}}}","plan_id":"{{{pro}}}","carry_over_balances":{"enabled":true,"feature_ids":["{{{flag}}}"]}}"""))
            .ShouldBeInvalid("carry_over_balances.feature_ids[0]");
        (await Api.PostAsync("billing.attach", $$$"""{"customer_id":"{{{customer}}}","plan_id":"{{{pro}}}","carry_over_usages":{"enabled":true,"feature_ids":["{{{seats}}}"]}}"""))
            .ShouldBeInvalid("carry_over_usages.feature_ids[0]");
        (await Api.PostAsync("billing.attach", $$$"""{"customer_id":"{{{customer}}}","plan_id":"{{{pro}}}","carry_over_usages":{"enabled":true,"feature_ids":["nope"]}}"""))
            .ShouldFail(404, "feature_not_found", "carry_over_usages.feature_ids[0]");
        (await Api.PostAsync("billing.attach", $$$"""{"customer_id":"{{{customer}}}","plan_id":"{{{pro}}}","starts_at":{{{future}}},"carry_over_usages":{"enabled":true}}"""))
            .ShouldBeInvalid("carry_over_usages");

        Assert.Equal(before, (await Api.GetCustomerRawAsync(customer)).Text);
        Assert.Equal(70m, (await Api.BalanceAsync(customer, f[0]))!.Remaining);
    }
}
