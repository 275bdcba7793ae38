namespace Tally.Core.Tests.Time;

/// <summary>Deterministic ids: a counter per prefix (<c>evt_1</c>, <c>roll_1</c>, …).</summary>
internal sealed class SeqIds : IIdGenerator
{
    private readonly Dictionary<string, int> _next = new(StringComparer.Ordinal);

    public string NewId(string prefix)
    {
        var n = _next.GetValueOrDefault(prefix) + 1;
        _next[prefix] = n;
        return $"{prefix}{n}";
    }
}

/// <summary>UTC instants and plan items for time tests.</summary>
internal static class At
{
    public static DateTimeOffset Utc(int year, int month, int day, int hour = 0, int minute = 0, int second = 0) =>
        new(year, month, day, hour, minute, second, TimeSpan.Zero);

    public static PlanItem Item(string feature, decimal included, ResetInterval interval, int count = 1,
        RolloverConfig? rollover = null) => new()
        {
            FeatureId = feature,
            Included = included,
            Reset = new ItemReset(interval, count),
            Rollover = rollover,
        };

    /// <summary>A usage-based (pay per use) item: may go below zero.</summary>
    public static PlanItem Ppu(this PlanItem item, decimal? maxPurchase = null) => item with
    {
        Price = new ItemPrice { Amount = 0.01m, BillingMethod = BillingMethod.UsageBased, MaxPurchase = maxPurchase },
    };

    public static Plan Plan(string id, params PlanItem[] items) => new() { Id = id, Name = id, Items = items, CreatedAt = F.Epoch };

    public static RolloverConfig Months(int length, decimal? max = null, decimal? pct = null) =>
        new() { ExpiryType = RolloverExpiry.Month, ExpiryLength = length, Max = max, MaxPercentage = pct };

    public static RolloverConfig Forever(decimal? max = null, decimal? pct = null) =>
        new() { ExpiryType = RolloverExpiry.Forever, Max = max, MaxPercentage = pct };
}

/// <summary>
/// One customer moved through time. Every step is one unit of work the way the server runs it
/// (<c>UnitContext.Open</c>): a fresh <see cref="Working"/>, <see cref="Lifecycle.Settle"/> at that step's "now", the
/// operation, then the changes committed to the state. Every committed ledger row is kept for replay checks.
/// </summary>
internal sealed class Timeline
{
    private int _events;

    public Timeline(IEnumerable<Feature> features, params Plan[] plans)
    {
        Catalog = new Catalog(features, plans);
        State = new CustomerState(new Customer { Id = "cus_1", CreatedAt = F.Epoch });
    }

    public Catalog Catalog { get; }

    public CustomerState State { get; }

    public SeqIds Ids { get; } = new();

    public ResetPolicy Policy { get; set; } = ResetPolicy.Default;

    public List<LedgerEvent> Ledger { get; } = [];

    /// <summary>Runs one unit of work at <paramref name="now"/> and commits it; returns what it committed.</summary>
    public CustomerChanges Run(DateTimeOffset now, Action<Working>? act = null, bool settle = true)
    {
        var w = new Working(State);
        if (settle)
        {
            Lifecycle.Settle(w, Catalog, now, Policy, Ids);
        }
        act?.Invoke(w);
        var changes = w.ToChanges();
        State.Apply(changes);
        Ledger.AddRange(changes.Events);
        return changes;
    }

    public CustomerChanges Settle(DateTimeOffset now) => Run(now);

    public CustomerPlan Attach(string planId, DateTimeOffset now, IReadOnlyDictionary<string, decimal>? prepaid = null)
    {
        CustomerPlan? attached = null;
        Run(now, w =>
        {
            var plan = Catalog.Plan(planId) ?? throw new ArgumentException($"no plan {planId}", nameof(planId));
            attached = Grants.Attach(w, Catalog, plan, null, prepaid ?? new Dictionary<string, decimal>(), now, Ids).Attachment;
        });
        return attached!;
    }

    public void Grant(GrantCommand cmd, DateTimeOffset now) =>
        Run(now, w => Assert.Equal(GrantStatus.Created, BalanceOps.Create(w, cmd, now, Ids)));

    public TrackCommand Command(string featureId, decimal value, DateTimeOffset now, OverageBehavior behavior = OverageBehavior.Cap) => new()
    {
        Features = [Catalog.Feature(featureId)!],
        LedgerName = featureId,
        Value = value,
        Behavior = behavior,
        Timestamp = now,
        EventId = $"trk_{++_events}",
    };

    public TrackOutcome Track(string featureId, decimal value, DateTimeOffset now, OverageBehavior behavior = OverageBehavior.Cap)
    {
        TrackOutcome? outcome = null;
        Run(now, w => outcome = Metering.Track(w, Catalog, Command(featureId, value, now, behavior), now));
        return outcome!;
    }

    /// <summary>A track with a lock, as balances.track does it: a reject-mode track, then the receipt.</summary>
    public BalanceLock Lock(string lockId, string featureId, decimal value, DateTimeOffset now, DateTimeOffset? expiresAt = null)
    {
        BalanceLock? held = null;
        Run(now, w =>
        {
            var outcome = Metering.Track(w, Catalog, Command(featureId, value, now, OverageBehavior.Reject), now);
            Assert.Equal(TrackStatus.Applied, outcome.Status);
            held = Locks.Hold(w, lockId, featureId, null, value, expiresAt, outcome.Event!.Deltas, now, usageRecorded: true);
        });
        return held!;
    }

    public FinalizeStatus Confirm(string lockId, decimal? overrideValue, DateTimeOffset now)
    {
        var status = FinalizeStatus.NotPending;
        Run(now, w =>
        {
            var held = w.Lock(lockId) ?? throw new InvalidOperationException($"no lock {lockId}");
            status = Locks.Confirm(w, Catalog, held, overrideValue, now, Ids, $"fin_{++_events}", "{}");
        });
        return status;
    }

    public FinalizeStatus Release(string lockId, DateTimeOffset now)
    {
        var status = FinalizeStatus.NotPending;
        Run(now, w =>
        {
            var held = w.Lock(lockId) ?? throw new InvalidOperationException($"no lock {lockId}");
            status = Locks.Release(w, Catalog, held, now, Ids);
        });
        return status;
    }

    /// <summary>A pure read at <paramref name="now"/>: nothing is settled or committed.</summary>
    public BalanceSummary? View(string featureId, DateTimeOffset now) => BalanceView.For(new Working(State), Catalog, featureId, null, now);

    public BalanceSource Source(string featureId) => Assert.Single(State.SourcesOf(featureId));

    public BalanceSource Source(string featureId, ResetInterval interval) =>
        Assert.Single(State.SourcesOf(featureId), s => s.Interval == interval);

    public List<RolloverBucket> Rollovers(BalanceSource s) =>
        [.. State.RolloversOf(s.Id).OrderBy(r => r.ExpiresAt ?? DateTimeOffset.MaxValue).ThenBy(r => r.CreatedAt)];

    public decimal RolloverTotal(BalanceSource s) => State.RolloversOf(s.Id).Sum(r => r.Balance);

    /// <summary>
    /// The ledger replays every balance: a source's balance is minus the sum of its deltas outside rollovers, a
    /// rollover's balance minus the sum of its own deltas, and a rollover that is gone was written down to zero.
    /// </summary>
    public void AssertLedgerReplays()
    {
        var deltas = Ledger.SelectMany(e => e.Deltas).ToList();
        foreach (var s in State.Sources)
        {
            var replayed = -deltas.Where(d => d.SourceId == s.Id && d.RolloverId is null).Sum(d => d.Value);
            Assert.True(s.Balance == replayed, $"source {s.Id}: balance {s.Balance}, ledger replays {replayed}");
        }
        foreach (var r in State.Rollovers)
        {
            var replayed = -deltas.Where(d => d.RolloverId == r.Id).Sum(d => d.Value);
            Assert.True(r.Balance == replayed, $"rollover {r.Id}: balance {r.Balance}, ledger replays {replayed}");
            Assert.All(deltas.Where(d => d.RolloverId == r.Id), d => Assert.Equal(r.SourceId, d.SourceId));
        }
        foreach (var gone in deltas.Where(d => d.RolloverId is { } id && State.FindRollover(id) is null).GroupBy(d => d.RolloverId))
        {
            var left = -gone.Sum(d => d.Value);
            Assert.True(left == 0, $"deleted rollover {gone.Key} still holds {left} in the ledger");
        }
    }

    /// <summary>The due moment recomputed from scratch (what <see cref="CustomerState.NextDueAt"/> must equal).</summary>
    public DateTimeOffset? ScannedDueAt() =>
        State.Sources.Select(s => s.NextResetAt)
            .Concat(State.Rollovers.Select(r => r.ExpiresAt))
            .Concat(State.Locks.Select(l => l.ExpiresAt))
            .Where(d => d is not null).DefaultIfEmpty(null).Min();
}
