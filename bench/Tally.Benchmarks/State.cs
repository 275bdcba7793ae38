using Tally.Core.Domain;
using Tally.Core.Engine;

namespace Tally.Benchmarks;

/// <summary>A customer's in-memory state as the store keeps it, built the way the store applies committed changes.</summary>
internal static class State
{
    public static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset Now = new(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);

    public static Feature Metered(string id) => new()
    {
        Id = id,
        Name = id,
        Type = FeatureType.Metered,
        Consumable = true,
        CreatedAt = Epoch,
    };

    /// <summary>
    /// One plan grant of <paramref name="included"/> a month first, then <paramref name="sources"/> − 1 standalone grants
    /// (balances.create): the shape of "stacked sources on one feature".
    /// </summary>
    public static CustomerState Customer(string featureId, int sources, decimal included = 1_000_000_000m)
    {
        var state = new CustomerState(new Customer { Id = "cus_bench", CreatedAt = Epoch });
        var changes = new CustomerChanges { NextSeq = sources + 1 };
        for (var i = 0; i < sources; i++)
        {
            var seq = i + 1;
            var plan = i == 0;
            changes.UpsertSources.Add(new BalanceSource
            {
                Id = $"src_{seq}",
                FeatureId = featureId,
                PlanId = plan ? "pro" : null,
                CustomerPlanId = plan ? "cp_pro" : null,
                IncludedGrant = included,
                Balance = included - 10,
                Interval = plan ? ResetInterval.Month : null,
                ResetAnchor = plan ? Now.AddDays(-9) : null,
                NextResetAt = plan ? Now.AddDays(21) : null,
                CreatedAt = Epoch.AddMinutes(seq),
                Seq = seq,
            });
        }
        state.Apply(changes);
        return state;
    }

    public static TrackCommand Track(Feature f, string eventId = "evt_bench") => new()
    {
        Features = [f],
        LedgerName = f.Id,
        Value = 1,
        Behavior = OverageBehavior.Cap,
        Timestamp = Now,
        EventId = eventId,
    };
}
