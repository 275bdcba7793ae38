using System.Text.Json;
using System.Text.Json.Serialization;
using Tally.Core.Domain;

namespace Tally.Storage.Tests;

/// <summary>Builders for rows with every field set, and an exact comparison of what came back.</summary>
public static class Rows
{
    private static readonly JsonSerializerOptions Canonical = new() { Converters = { new JsonStringEnumConverter() } };

    /// <summary>Compares by canonical JSON: every field, decimal scale and date offset included.</summary>
    public static void AssertSame<T>(T expected, T actual) =>
        Assert.Equal(JsonSerializer.Serialize(expected, Canonical), JsonSerializer.Serialize(actual, Canonical));

    public static Customer Customer(string id, DateTimeOffset at, string? name = null, string? email = null) => new()
    {
        Id = id,
        Name = name,
        Email = email,
        Fingerprint = "fp-" + id,
        StripeId = null,
        MetadataJson = """{"tier":"gold","n":1.50}""",
        BillingControlsJson = """{"spend_limit":{"amount":"12.30"}}""",
        SendEmailReceipts = true,
        CreatedAt = at.ToOffset(TimeSpan.FromHours(5.5)),
        TestClock = at.AddDays(3),
        Seq = 0,
    };

    public static BalanceSource Source(string id, long seq, DateTimeOffset at, decimal balance = 100m, string featureId = "messages",
        string? entityId = null, DateTimeOffset? nextResetAt = null) => new()
        {
            Id = id,
            FeatureId = featureId,
            EntityId = entityId,
            PlanId = "pro",
            CustomerPlanId = "cp_1",
            IncludedGrant = 0.1m + 0.2m,
            PrepaidGrant = 1234567890123456.000000000001m,
            Adjustment = -0.000000000000000000000001m,
            Balance = balance,
            UsageAllowed = true,
            MaxPurchase = 99.990m,
            Interval = ResetInterval.Month,
            IntervalCount = 3,
            ResetAnchor = at,
            NextResetAt = nextResetAt,
            ExpiresAt = at.AddYears(1).AddTicks(1234),
            Rollover = new RolloverConfig { Max = 10.5m, MaxPercentage = 0.25m, ExpiryType = RolloverExpiry.Forever, ExpiryLength = 2 },
            AddOn = true,
            Price = new ItemPrice
            {
                Tiers = [new PriceTier(100m, 0.01m, null), new PriceTier(null, 0.005m, 2.5m)],
                TierBehavior = TierBehavior.Volume,
                Interval = ResetInterval.Month,
                BillingUnits = 100m,
                BillingMethod = BillingMethod.Prepaid,
                MaxPurchase = 1000m,
            },
            CreatedAt = at.AddTicks(7).ToOffset(TimeSpan.FromHours(-3)),
            Seq = seq,
        };

    public static Entity Entity(string id, long seq, DateTimeOffset at) => new()
    {
        Id = id,
        FeatureId = "seats",
        Name = "Entity " + id,
        BillingControlsJson = """{"x":true}""",
        CreatedAt = at,
        Seq = seq,
    };

    public static RolloverBucket Rollover(string id, string sourceId, DateTimeOffset at) => new()
    {
        Id = id,
        SourceId = sourceId,
        Granted = 7.25m,
        Balance = 0.1m + 0.2m,
        ExpiresAt = at.AddMonths(1),
        CreatedAt = at,
    };

    public static CustomerPlan Plan(string id, DateTimeOffset at) => new()
    {
        Id = id,
        PlanId = "pro",
        PlanVersion = 2,
        EntityId = null,
        Group = "main",
        AddOn = false,
        AutoEnable = true,
        Recurring = true,
        Status = AttachmentStatus.Scheduled,
        StartedAt = at,
        CurrentPeriodStart = at,
        CurrentPeriodEnd = at.AddMonths(1),
        Quantity = 2.5m,
        Options = new Dictionary<string, decimal> { ["messages"] = 12.5m, ["storage"] = 0.000001m },
    };

    public static BalanceLock Lock(string id, string sourceId, DateTimeOffset at) => new()
    {
        Id = id,
        FeatureId = "messages",
        EntityId = "e1",
        Value = 3.3m,
        ExpiresAt = at.AddMinutes(5),
        Status = LockStatus.Confirmed,
        Deltas = [Delta(sourceId, 3.3m, at), Delta(sourceId, -0.3m, at) with { RolloverId = "r1" }],
        CreatedAt = at,
    };

    public static SourceDelta Delta(string sourceId, decimal value, DateTimeOffset at) => new()
    {
        SourceId = sourceId,
        FeatureId = "messages",
        PlanId = "pro",
        Interval = ResetInterval.Month,
        IntervalCount = 1,
        ResetsAt = at.AddMonths(1),
        Value = value,
    };

    /// <summary>A ledger row; timestamps are whole milliseconds, which is what the stores keep.</summary>
    public static LedgerEvent Event(string id, string customerId, string name, decimal value, DateTimeOffset at,
        string? entityId = null, LedgerKind kind = LedgerKind.Track, string? idempotencyKey = null) => new()
        {
            Id = id,
            Kind = kind,
            CustomerId = customerId,
            EntityId = entityId,
            EventName = name,
            Value = value,
            PropertiesJson = """{"path": "/v1/x",  "n": 1.10}""",
            Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(at.ToUnixTimeMilliseconds()),
            IdempotencyKey = idempotencyKey,
            Deltas = [Delta("src_main", value, at)],
        };

    public static Feature Feature(string id, DateTimeOffset at, FeatureType type = FeatureType.Metered) => new()
    {
        Id = id,
        Name = "Feature " + id,
        Type = type,
        Consumable = true,
        EventNames = ["evt_" + id],
        CreditSchema = type == FeatureType.CreditSystem ? [new CreditSchemaEntry("messages", 0.25m)] : [],
        DisplaySingular = "unit",
        DisplayPlural = "units",
        CreatedAt = at,
    };

    public static Core.Domain.Plan CatalogPlan(string id, int version, DateTimeOffset at) => new()
    {
        Id = id,
        Name = "Plan " + id,
        Version = version,
        Description = "v" + version,
        Group = "main",
        Price = new PlanPrice(19.99m, ResetInterval.Month, 1),
        Items =
        [
            new PlanItem
            {
                FeatureId = "messages",
                Included = 1000.5m,
                Reset = new ItemReset(ResetInterval.Month, 1),
                Price = new ItemPrice { Amount = 0.01m, BillingUnits = 100m },
                Rollover = new RolloverConfig { Max = 500m },
            },
        ],
        MetadataJson = """{"a":1}""",
        ConfigJson = "{}",
        FreeTrialJson = """{"days":14}""",
        CreatedAt = at,
    };
}

/// <summary>A copy of a customer's state taken inside a unit of work (the state itself must not escape it).</summary>
public sealed record Snapshot(
    Customer Customer,
    long NextSeq,
    IReadOnlyList<Entity> Entities,
    IReadOnlyList<BalanceSource> Sources,
    IReadOnlyList<RolloverBucket> Rollovers,
    IReadOnlyList<CustomerPlan> Plans,
    IReadOnlyList<BalanceLock> Locks)
{
    public static Snapshot Of(CustomerState s) => new(
        s.Customer,
        s.NextSeq,
        [.. s.Entities.OrderBy(x => x.Id, StringComparer.Ordinal)],
        [.. s.Sources.OrderBy(x => x.Id, StringComparer.Ordinal)],
        [.. s.Rollovers.OrderBy(x => x.Id, StringComparer.Ordinal)],
        [.. s.Plans.OrderBy(x => x.Id, StringComparer.Ordinal)],
        [.. s.Locks.OrderBy(x => x.Id, StringComparer.Ordinal)]);
}
