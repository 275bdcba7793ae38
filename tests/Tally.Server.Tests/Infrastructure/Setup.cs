using Tally.Contracts;

namespace Tally.Server.Tests.Infrastructure;

/// <summary>Unique ids, so tests sharing one server never see each other's rows.</summary>
public static class Id
{
    public static string New(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..(prefix.Length + 13)];
}

/// <summary>Builders for the catalog and customers a test needs, through the public API.</summary>
public static class Setup
{
    private static readonly TallyJsonContext C = TallyJsonContext.Default;

    public static async Task<string> MeteredFeatureAsync(this TallyApi api, string? id = null, bool consumable = true,
        params string[] eventNames)
    {
        id ??= Id.New("msg");
        await api.OkAsync("features.create", new CreateFeatureParams
        {
            FeatureId = id,
            Name = id,
            Type = "metered",
            Consumable = consumable,
            EventNames = eventNames.Length > 0 ? [.. eventNames] : null,
        }, C.Feature);
        return id;
    }

    public static async Task<string> BooleanFeatureAsync(this TallyApi api, string? id = null)
    {
        id ??= Id.New("flag");
        await api.OkAsync("features.create", new CreateFeatureParams { FeatureId = id, Name = id, Type = "boolean" }, C.Feature);
        return id;
    }

    public static async Task<string> CreditSystemAsync(this TallyApi api, params (string Feature, decimal Cost)[] schema)
    {
        var id = Id.New("credits");
        await api.OkAsync("features.create", new CreateFeatureParams
        {
            FeatureId = id,
            Name = id,
            Type = "credit_system",
            CreditSchema = [.. schema.Select(s => new CreditSchemaItem { MeteredFeatureId = s.Feature, CreditCost = s.Cost })],
        }, C.Feature);
        return id;
    }

    /// <summary>A plan item granting <paramref name="included"/> per month (or never resetting for a null interval).</summary>
    public static PlanItem Item(string featureId, decimal included, string? interval = "month") => new()
    {
        FeatureId = featureId,
        Included = included,
        Reset = interval is null ? null : new PlanItemReset { Interval = interval },
    };

    public static async Task<string> PlanAsync(this TallyApi api, params PlanItem[] items)
    {
        var id = Id.New("plan");
        await api.OkAsync("plans.create", new CreatePlanParams { PlanId = id, Name = id, Items = [.. items] }, C.Plan);
        return id;
    }

    public static async Task<string> CustomerAsync(this TallyApi api, string? id = null)
    {
        id ??= Id.New("cus");
        await api.OkAsync("customers.get_or_create", new GetOrCreateCustomerParams { CustomerId = id, Name = "Ada" }, C.Customer);
        return id;
    }

    public static async Task AttachAsync(this TallyApi api, string customerId, string planId, string? entityId = null) =>
        await api.OkAsync("billing.attach", new AttachParams { CustomerId = customerId, PlanId = planId, EntityId = entityId }, C.AttachResponse);

    /// <summary>A consumable feature, a plan granting <paramref name="included"/> of it monthly, and a customer on that plan.</summary>
    public static async Task<(string Customer, string Feature, string Plan)> CustomerWithBalanceAsync(this TallyApi api, decimal included)
    {
        var feature = await api.MeteredFeatureAsync();
        var plan = await api.PlanAsync(Item(feature, included));
        var customer = await api.CustomerAsync();
        await api.AttachAsync(customer, plan);
        return (customer, feature, plan);
    }

    public static Task<ApiResult> GetCustomerRawAsync(this TallyApi api, string customerId) =>
        api.PostAsync("customers.get", new GetCustomerParams { CustomerId = customerId });

    public static Task<Customer> GetCustomerAsync(this TallyApi api, string customerId) =>
        api.OkAsync("customers.get", new GetCustomerParams { CustomerId = customerId }, C.Customer);

    /// <summary>The customer's balance of a feature as customers.get shows it, or null when it has none.</summary>
    public static async Task<Balance?> BalanceAsync(this TallyApi api, string customerId, string featureId)
    {
        var customer = await api.GetCustomerAsync(customerId);
        return customer.Balances.GetValueOrDefault(featureId);
    }

    public static Task<ApiResult> TrackAsync(this TallyApi api, string customerId, string featureId, decimal value,
        string? entityId = null, string? overage = null) =>
        api.PostAsync("balances.track", new TrackParams
        {
            CustomerId = customerId,
            FeatureId = featureId,
            Value = value,
            EntityId = entityId,
            OverageBehavior = overage,
        });

    public static Task<ApiResult> CheckAsync(this TallyApi api, string customerId, string featureId, decimal? required = null,
        bool? sendEvent = null, string? entityId = null) =>
        api.PostAsync("balances.check", new CheckParams
        {
            CustomerId = customerId,
            FeatureId = featureId,
            RequiredBalance = required,
            SendEvent = sendEvent,
            EntityId = entityId,
        });

    public static async Task<List<EventItem>> EventsAsync(this TallyApi api, string customerId, int limit = 1000)
    {
        var page = await api.OkAsync("events.list", new ListEventsParams { CustomerId = customerId, Limit = limit },
            C.CursorListResponseEventItem);
        return page.List;
    }
}
