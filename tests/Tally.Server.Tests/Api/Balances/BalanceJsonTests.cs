using Tally.Contracts;
using Tally.Core.Domain;
using Tally.Core.Engine;
using Tally.Server.Mapping;
using Customer = Tally.Core.Domain.Customer;
using Feature = Tally.Core.Domain.Feature;
using PriceTier = Tally.Core.Domain.PriceTier;

namespace Tally.Server.Tests.Api.Balances;

/// <summary>
/// <see cref="BalanceJson"/> writes the track and check answers itself, copying the rendered bytes kept on a cached
/// balance's entries; the bytes must be exactly what the serializer writes for the mapped response. Random states (fixed
/// seed): stacks of grants with decimals of every scale, negative balances, caps, prices, resets, expiries, unlimited
/// grants, strings that need escaping; each balance written before and after its entries were rendered, by a track
/// (one entry swapped in), after the commit (the cached balance patched) and, with rollovers, by the plain path.
/// </summary>
public sealed class BalanceJsonTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);
    private static readonly string[] Names = ["src_1", "grant", "a<b>&'c\"", "ünï", "x\u2028y", "pro plan", "+1"];

    [Fact]
    public void TrackAndCheck_RandomStacks_WriteWhatTheSerializerWrites()
    {
        var rng = new Random(0x5EED_0017);
        for (var c = 0; c < 200; c++)
        {
            var feature = new Feature { Id = Pick(rng, ["messages", "ms<g>", "crédits"]), Name = "f", Type = FeatureType.Metered, Consumable = true, CreatedAt = Now.AddDays(-90) };
            var catalog = new Catalog([feature], []);
            var state = new CustomerState(new Customer { Id = "cus", CreatedAt = Now.AddDays(-90) });
            var changes = new CustomerChanges { NextSeq = 1000 };
            var count = rng.Next(4) == 0 ? 101 : rng.Next(0, 12);
            for (var i = 0; i < count; i++)
            {
                changes.UpsertSources.Add(Source(rng, feature.Id, i + 1));
            }
            state.Apply(changes);

            // The cached balance: first written while its entries are rendered, then from the kept bytes.
            var shown = BalanceView.For(new Working(state), catalog, feature.Id, null, Now);
            AssertCheck(rng, shown);
            AssertCheck(rng, shown);
            AssertTrack(rng, shown, null);

            for (var step = 0; step < 3; step++)
            {
                var w = new Working(state);
                var cmd = new TrackCommand
                {
                    Features = [feature],
                    LedgerName = feature.Id,
                    Value = Amount(rng, 50m),
                    Behavior = OverageBehavior.Cap,
                    Timestamp = Now,
                    EventId = $"evt_{c}_{step}",
                };
                var outcome = Metering.Track(w, catalog, cmd, Now);
                if (outcome.Status != TrackStatus.Applied)
                {
                    continue;
                }
                var (balance, map) = Metering.TrackBalances(w, catalog, cmd, outcome, Now);
                AssertTrack(rng, balance, map);
                state.Apply(w.ToChanges());
                AssertCheck(rng, BalanceView.For(new Working(state), catalog, feature.Id, null, Now));
            }

            // Entries made for one request, rollovers included (the plain path).
            AssertTrack(rng, Plain(rng, feature.Id), [("a", Plain(rng, "a")), ("b", null), (feature.Id, Plain(rng, feature.Id))]);
        }
    }

    private static void AssertTrack(Random rng, BalanceSummary? balance, IReadOnlyList<(string FeatureId, BalanceSummary? Balance)>? map)
    {
        var entity = rng.Next(3) == 0 ? Pick(rng, Names) : null;
        var eventName = rng.Next(3) == 0 ? Pick(rng, Names) : null;
        var value = Amount(rng, 1000m);
        List<Deduction>? deductions = rng.Next(4) == 0 ? null : [new Deduction { BalanceId = Pick(rng, Names), FeatureId = "f", Value = value }];
        var expected = JsonSerializer.SerializeToUtf8Bytes(new BalancesTrackResponse
        {
            CustomerId = "cus<1>",
            EntityId = entity,
            EventName = eventName,
            Value = value,
            Balance = balance.ToWire(),
            Balances = map?.ToDictionary(m => m.FeatureId, m => m.Balance.ToWire()),
            Deductions = deductions,
        }, TallyJsonContext.Default.BalancesTrackResponse);
        var actual = BalanceJson.Track("cus<1>", entity, eventName, value, balance, map, deductions);
        Assert.Equal(System.Text.Encoding.UTF8.GetString(expected), System.Text.Encoding.UTF8.GetString(actual));
        Assert.Equal(expected, actual);
    }

    private static void AssertCheck(Random rng, BalanceSummary? balance)
    {
        var allowed = rng.Next(2) == 0;
        var entity = rng.Next(3) == 0 ? Pick(rng, Names) : null;
        decimal? required = rng.Next(4) == 0 ? null : Amount(rng, 100m);
        var map = rng.Next(3) == 0 ? new List<(string, BalanceSummary?)> { ("x", balance), ("y", null) } : null;
        var flag = rng.Next(3) == 0 ? new Flag { Id = Pick(rng, Names), FeatureId = "flag", PlanId = rng.Next(2) == 0 ? null : "pro", ExpiresAt = 1234 } : null;
        var preview = rng.Next(3) == 0 ? new CheckPreview { Scenario = "usage_limit", Title = "T<", Message = "m", FeatureId = "f" } : null;
        var expected = JsonSerializer.SerializeToUtf8Bytes(new CheckResponse
        {
            Allowed = allowed,
            CustomerId = "cus",
            EntityId = entity,
            RequiredBalance = required,
            Balance = balance.ToWire(),
            Balances = map?.ToDictionary(m => m.Item1, m => m.Item2.ToWire()),
            Flag = flag,
            Preview = preview,
        }, TallyJsonContext.Default.CheckResponse);
        var actual = BalanceJson.Check(allowed, "cus", entity, required, balance, map, flag, preview);
        Assert.Equal(System.Text.Encoding.UTF8.GetString(expected), System.Text.Encoding.UTF8.GetString(actual));
    }

    private static BalanceSource Source(Random rng, string featureId, int seq)
    {
        var plan = rng.Next(3) == 0;
        var unlimited = rng.Next(12) == 0;
        var usage = rng.Next(3) == 0;
        var interval = rng.Next(3) == 0 ? (ResetInterval?)Pick(rng, Enum.GetValues<ResetInterval>()) : null;
        var included = Amount(rng, 1000m);
        return new BalanceSource
        {
            Id = $"{Pick(rng, Names)}_{seq}",
            FeatureId = featureId,
            PlanId = plan ? Pick(rng, Names) : null,
            IncludedGrant = included,
            PrepaidGrant = rng.Next(4) == 0 ? Amount(rng, 100m) : 0m,
            Adjustment = rng.Next(6) == 0 ? -Amount(rng, 10m) : 0m,
            Balance = rng.Next(5) == 0 ? -Amount(rng, 50m) : Amount(rng, included + 1m),
            Unlimited = unlimited,
            UsageAllowed = usage,
            MaxPurchase = usage && rng.Next(2) == 0 ? Amount(rng, 500m) : null,
            Interval = interval,
            IntervalCount = rng.Next(1, 4),
            NextResetAt = interval is null ? null : Now.AddDays(rng.Next(1, 40)).AddMilliseconds(rng.Next(1000)),
            ExpiresAt = rng.Next(5) == 0 ? Now.AddDays(rng.Next(-3, 30)) : null,
            Price = rng.Next(4) == 0 ? Price(rng) : null,
            CreatedAt = Now.AddDays(-30).AddMinutes(seq),
            Seq = seq,
        };
    }

    private static ItemPrice Price(Random rng) => new()
    {
        Amount = rng.Next(2) == 0 ? Amount(rng, 5m) : null,
        Tiers = rng.Next(2) == 0 ? [new PriceTier(Amount(rng, 100m), Amount(rng, 2m), null), new PriceTier(null, Amount(rng, 1m), Amount(rng, 9m))] : null,
        TierBehavior = rng.Next(2) == 0 ? TierBehavior.Graduated : null,
        BillingUnits = rng.Next(1, 100),
        BillingMethod = rng.Next(2) == 0 ? BillingMethod.Prepaid : BillingMethod.UsageBased,
        MaxPurchase = rng.Next(2) == 0 ? Amount(rng, 100m) : null,
    };

    // A balance made for one request: entries of its own, rollovers, or none at all.
    private static BalanceSummary? Plain(Random rng, string featureId)
    {
        if (rng.Next(5) == 0)
        {
            return null;
        }
        var items = Enumerable.Range(1, rng.Next(0, 4)).Select(i =>
        {
            var s = Source(rng, featureId, i);
            return new BreakdownItem(s, s.IncludedGrant, s.PrepaidGrant, Amount(rng, 10m), s.Usage);
        }).ToList();
        var rollovers = Enumerable.Range(0, rng.Next(0, 3))
            .Select(_ => new RolloverView(Amount(rng, 9m), Amount(rng, 9m), rng.Next(2) == 0 ? null : Now.AddDays(3))).ToList();
        return new BalanceSummary(featureId, Amount(rng, 1e6m), Amount(rng, 10m), -Amount(rng, 10m), rng.Next(2) == 0, rng.Next(2) == 0,
            rng.Next(2) == 0 ? null : Amount(rng, 7m), rng.Next(2) == 0 ? null : Now, items, rollovers);
    }

    // Non-negative amounts below max, with 0 to 8 decimals (trailing zeros kept: 2.50 is written as 2.50).
    private static decimal Amount(Random rng, decimal max)
    {
        var scale = rng.Next(0, 9);
        var units = (decimal)rng.NextDouble() * max;
        return decimal.Round(units, scale) + new decimal(0, 0, 0, false, (byte)scale);
    }

    private static T Pick<T>(Random rng, T[] xs) => xs[rng.Next(xs.Length)];
}
