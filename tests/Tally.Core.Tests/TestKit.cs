namespace Tally.Core.Tests;

/// <summary>Features for test catalogs.</summary>
internal static class F
{
    public static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A consumable metered feature (messages, API calls).</summary>
    public static Feature Metered(string id, params string[] eventNames) => new()
    {
        Id = id,
        Name = id,
        Type = FeatureType.Metered,
        Consumable = true,
        EventNames = eventNames,
        CreatedAt = Epoch,
    };

    /// <summary>A continuous-use (non-consumable) metered feature (seats, storage).</summary>
    public static Feature Continuous(string id) => new()
    {
        Id = id,
        Name = id,
        Type = FeatureType.Metered,
        Consumable = false,
        CreatedAt = Epoch,
    };

    public static Feature Boolean(string id) => new()
    {
        Id = id,
        Name = id,
        Type = FeatureType.Boolean,
        CreatedAt = Epoch,
    };

    public static Feature Credits(string id, params (string Feature, decimal Cost)[] schema) => new()
    {
        Id = id,
        Name = id,
        Type = FeatureType.CreditSystem,
        CreditSchema = [.. schema.Select(e => new CreditSchemaEntry(e.Feature, e.Cost))],
        CreatedAt = Epoch.AddSeconds(1),
    };
}

/// <summary>Balance sources; ids, sequence numbers and creation times are assigned by <see cref="Scenario.Add"/>.</summary>
internal static class Src
{
    public static BalanceSource Every(ResetInterval interval, string feature, decimal included, int count = 1) => new()
    {
        Id = "",
        FeatureId = feature,
        PlanId = "plan",
        CustomerPlanId = "cp_plan",
        IncludedGrant = included,
        Balance = included,
        Interval = interval,
        IntervalCount = count,
        ResetAnchor = Scenario.Now,
        NextResetAt = Scenario.Now + interval.NominalLength(count),
    };

    /// <summary>"M100": a monthly plan grant.</summary>
    public static BalanceSource Monthly(string feature, decimal included) => Every(ResetInterval.Month, feature, included);

    /// <summary>"L200": a lifetime plan grant that never resets.</summary>
    public static BalanceSource Lifetime(string feature, decimal included) => new()
    {
        Id = "",
        FeatureId = feature,
        PlanId = "plan",
        CustomerPlanId = "cp_plan",
        IncludedGrant = included,
        Balance = included,
    };

    public static BalanceSource Unlimited(string feature) => Lifetime(feature, 0) with { Unlimited = true };

    /// <summary>A balances.create grant: no plan.</summary>
    public static BalanceSource Standalone(string feature, decimal included) =>
        Lifetime(feature, included) with { PlanId = null, CustomerPlanId = null };

    /// <summary>A boolean feature's flag.</summary>
    public static BalanceSource Flag(string feature) => Lifetime(feature, 0);

    /// <summary>"PPU": a usage-based price with usage allowed, floored at −<paramref name="maxPurchase"/> when given.</summary>
    public static BalanceSource Ppu(this BalanceSource s, decimal? maxPurchase = null) => s with
    {
        UsageAllowed = true,
        MaxPurchase = maxPurchase,
        Price = new ItemPrice { Amount = 0.01m, BillingMethod = BillingMethod.UsageBased, MaxPurchase = maxPurchase },
    };

    /// <summary>Prepaid packs bought on top of the included amount.</summary>
    public static BalanceSource Prepaid(this BalanceSource s, decimal packs) => s with
    {
        PrepaidGrant = packs,
        Balance = s.Balance + packs,
        Price = new ItemPrice { Amount = 1m, BillingMethod = BillingMethod.Prepaid },
    };

    public static BalanceSource Used(this BalanceSource s, decimal usage) => s with { Balance = s.Balance - usage };

    public static BalanceSource OfEntity(this BalanceSource s, string entityId) => s with { EntityId = entityId };

    public static BalanceSource AsAddOn(this BalanceSource s) => s with { AddOn = true };

    public static BalanceSource ExpiringIn(this BalanceSource s, TimeSpan after) => s with { ExpiresAt = Scenario.Now + after };

    public static BalanceSource Named(this BalanceSource s, string id) => s with { Id = id };
}

/// <summary>
/// One customer's state and catalog. Each track and check runs on a fresh
/// <see cref="Working"/> and commits its changes to the state, as the store would.
/// </summary>
internal sealed class Scenario
{
    public static readonly DateTimeOffset Now = new(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);

    private int _events;

    public Scenario(params Feature[] features)
    {
        Catalog = new Catalog(features, []);
        State = new CustomerState(new Customer { Id = "cus_1", CreatedAt = F.Epoch });
    }

    public Catalog Catalog { get; }

    public CustomerState State { get; }

    /// <summary>Adds a source, giving it an id (unless named), the next sequence number and a creation time in that order.</summary>
    public BalanceSource Add(BalanceSource s)
    {
        var seq = State.NextSeq;
        var added = s with
        {
            Id = s.Id.Length == 0 ? $"src_{seq}" : s.Id,
            Seq = seq,
            CreatedAt = s.CreatedAt == default ? F.Epoch.AddMinutes(seq) : s.CreatedAt,
        };
        var changes = new CustomerChanges { NextSeq = seq + 1 };
        changes.UpsertSources.Add(added);
        State.Apply(changes);
        return added;
    }

    public RolloverBucket AddRollover(BalanceSource source, decimal amount, DateTimeOffset? expiresAt)
    {
        var r = new RolloverBucket
        {
            Id = $"roll_{State.NextSeq}",
            SourceId = source.Id,
            Granted = amount,
            Balance = amount,
            ExpiresAt = expiresAt,
            CreatedAt = F.Epoch.AddMinutes(State.NextSeq),
        };
        var changes = new CustomerChanges { NextSeq = State.NextSeq + 1 };
        changes.UpsertRollovers.Add(r);
        State.Apply(changes);
        return r;
    }

    public Feature Feature(string id) => Catalog.Feature(id) ?? throw new ArgumentException($"no feature {id}", nameof(id));

    public Working Open() => new(State);

    public TrackCommand Command(string featureId, decimal value = 1, OverageBehavior behavior = OverageBehavior.Cap,
        string? entityId = null) => new()
        {
            Features = [Feature(featureId)],
            LedgerName = featureId,
            EntityId = entityId,
            Value = value,
            Behavior = behavior,
            Timestamp = Now,
            EventId = $"evt_{++_events}",
        };

    public TrackCommand EventCommand(string eventName, decimal value = 1, OverageBehavior behavior = OverageBehavior.Cap) => new()
    {
        Features = Catalog.FeaturesForEvent(eventName),
        LedgerName = eventName,
        ByEventName = true,
        Value = value,
        Behavior = behavior,
        Timestamp = Now,
        EventId = $"evt_{++_events}",
    };

    /// <summary>Tracks and commits; returns the outcome and the response balances computed before the commit.</summary>
    public TrackResult Track(TrackCommand cmd)
    {
        var w = Open();
        var outcome = Metering.Track(w, Catalog, cmd, Now);
        var (balance, map) = Metering.TrackBalances(w, Catalog, cmd, outcome, Now);
        var changes = w.ToChanges();
        State.Apply(changes);
        return new TrackResult(outcome, balance, map, changes);
    }

    public TrackResult Track(string featureId, decimal value = 1, OverageBehavior behavior = OverageBehavior.Cap, string? entityId = null) =>
        Track(Command(featureId, value, behavior, entityId));

    public CheckOutcome Check(string featureId, decimal required = 1, string? entityId = null, bool sendEvent = false)
    {
        var w = Open();
        var consume = sendEvent ? Command(featureId, required, OverageBehavior.Reject, entityId) : null;
        var outcome = Metering.Check(w, Catalog, Feature(featureId), entityId, required, Now, consume);
        State.Apply(w.ToChanges());
        return outcome;
    }

    public decimal Balance(BalanceSource s) => State.FindSource(s.Id)!.Balance;

    public decimal Balance(RolloverBucket r) => State.FindRollover(r.Id)!.Balance;

    public BalanceSummary? View(string featureId, string? entityId = null) =>
        BalanceView.For(Open(), Catalog, featureId, entityId, Now);

    public IReadOnlyList<string> Order(string featureId, string? entityId = null) =>
        [.. Waterfall.Candidates(Open(), Catalog, featureId, entityId, Now).Select(c => c.Source.Id)];
}

internal sealed record TrackResult(
    TrackOutcome Outcome,
    BalanceSummary? Balance,
    IReadOnlyList<(string FeatureId, BalanceSummary? Balance)> Map,
    CustomerChanges Changes)
{
    public bool Applied => Outcome.Status == TrackStatus.Applied;

    public IReadOnlyList<SourceDelta> Deltas => Outcome.Event?.Deltas ?? [];

    public decimal DeltaOf(BalanceSource s) => Deltas.Where(d => d.SourceId == s.Id && d.RolloverId is null).Sum(d => d.Value);
}
