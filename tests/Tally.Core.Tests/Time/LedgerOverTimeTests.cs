using static Tally.Core.Tests.Time.At;

namespace Tally.Core.Tests.Time;

/// <summary>
/// The ledger replays every balance through time: for each source, Balance = −Σ deltas of that source outside
/// rollovers, and for each rollover bucket Balance = −Σ deltas carrying its id, across attach, tracks, resets
/// with rollovers and trims, expiries, manual updates and lock confirm/release.
/// </summary>
public sealed class LedgerOverTimeTests
{
    private static readonly DateTimeOffset T0 = Utc(2026, 1, 31, 9);

    private static Timeline Customer()
    {
        var t = new Timeline([F.Metered("messages"), F.Metered("calls"), F.Metered("action"), F.Credits("credits", ("action", 0.25m))],
            Plan("pro",
                Item("messages", 100, ResetInterval.Month, rollover: Months(2, max: 80)),
                Item("calls", 10, ResetInterval.Day).Ppu(maxPurchase: 20),
                Item("credits", 200, ResetInterval.Week, rollover: Forever())));
        t.Attach("pro", T0);
        t.Grant(new GrantCommand
        {
            Feature = t.Catalog.Feature("messages")!,
            IncludedGrant = 30,
            Reset = new ItemReset(ResetInterval.Week, 2),
            Rollover = Forever(max: 25),
            ExpiresAt = Utc(2026, 4, 1),
            BalanceId = "promo",
        }, T0);
        return t;
    }

    [Fact]
    public void Ledger_ReplaysBalances_AcrossAScriptedQuarter()
    {
        var t = Customer();
        t.AssertLedgerReplays();
        var now = T0;

        void Step(Action act)
        {
            act();
            t.AssertLedgerReplays();
            Assert.Equal(t.ScannedDueAt(), t.State.NextDueAt);
        }

        Step(() => t.Track("messages", 70, now = now.AddDays(1)));
        Step(() => t.Track("calls", 25, now));
        Step(() => t.Track("action", 300, now));
        Step(() => t.Lock("a", "messages", 40, now = now.AddDays(2), expiresAt: now.AddDays(40)));
        Step(() => t.Confirm("a", 25, now = now.AddHours(3)));
        Step(() => t.Lock("b", "action", 100, now));
        Step(() => t.Confirm("b", 160, now.AddMinutes(1)));
        Step(() => t.Settle(now = Utc(2026, 2, 28, 9)));
        Step(() => t.Track("messages", 120, now = now.AddDays(1)));
        Step(() => t.Lock("c", "messages", 30, now, expiresAt: now.AddDays(1)));
        Step(() => t.Track("messages", -20, now.AddHours(1)));
        Step(() => t.Settle(now = now.AddDays(2)));
        Step(() => t.Run(now, w => BalanceOps.Update(w, t.Catalog, new BalanceTarget("messages", null, null, null),
            new BalanceUpdate { AddToBalance = 15, IncludedGrant = 120 }, now, t.Ids)));
        Step(() => t.Run(now, w => BalanceOps.Update(w, t.Catalog, new BalanceTarget("calls", null, null, null),
            new BalanceUpdate { Remaining = -5 }, now, t.Ids)));
        Step(() => t.Lock("d", "messages", 60, now));
        Step(() => t.Settle(now = Utc(2026, 3, 31, 9)));
        Step(() => t.Confirm("d", 10, now));
        Step(() => t.Lock("e", "action", 40, now, expiresAt: now.AddHours(2)));
        Step(() => t.Settle(now = Utc(2026, 4, 30, 9)));
        Step(() => t.Track("messages", 500, now = now.AddDays(3), OverageBehavior.Overflow));
        Step(() => t.Settle(now = Utc(2026, 5, 31, 9)));

        Assert.Contains(t.Ledger, e => e.Kind == LedgerKind.Reset && e.Deltas.Any(d => d.RolloverId is not null && d.Value > 0));
        Assert.Contains(t.Ledger, e => e.Kind == LedgerKind.Reset && e.Deltas.Any(d => d.RolloverId is not null && d.Value < 0));
        Assert.Equal(Utc(2026, 6, 30, 9), t.Source("messages", ResetInterval.Month).NextResetAt);
    }

    /// <summary>
    /// Random walks through time: tracks of every sign and behaviour, locks with and without expiry, confirms
    /// with random overrides, releases, manual updates and idle gaps from minutes to months. After every step the
    /// ledger replays, NextDueAt equals a full scan, settling again changes nothing, and every rollover holds between
    /// zero and what it was granted.
    /// </summary>
    [Fact]
    public void Ledger_ReplaysBalances_OverRandomWalksThroughTime()
    {
        // 200 seeds under TALLY_LONG_TESTS=1 (CI), the first 50 locally.
        for (var seed = 1; seed <= PropertyRuns.Count(200); seed++)
        {
            Walk(seed, steps: 80);
        }
    }

    private static void Walk(int seed, int steps)
    {
        var rnd = new Random(seed);
        var t = Customer();
        var now = T0;
        var pending = new List<string>();
        var locks = 0;
        var features = new[] { "messages", "calls", "action", "credits" };
        var behaviors = new[] { OverageBehavior.Cap, OverageBehavior.Reject, OverageBehavior.Overflow };
        for (var i = 0; i < steps; i++)
        {
            var roll = rnd.Next(100);
            var step = $"seed {seed} step {i} at {now:O}";
            if (roll < 20)
            {
                now += rnd.Next(4) switch
                {
                    0 => TimeSpan.FromMinutes(rnd.Next(1, 120)),
                    1 => TimeSpan.FromHours(rnd.Next(1, 48)),
                    2 => TimeSpan.FromDays(rnd.Next(1, 20)),
                    _ => TimeSpan.FromDays(rnd.Next(20, 200)),
                };
                t.Settle(now);
            }
            else if (roll < 55)
            {
                var value = rnd.Next(10) == 0 ? -rnd.Next(1, 40) : rnd.Next(1, 120) + rnd.Next(4) * 0.25m;
                t.Track(features[rnd.Next(features.Length)], value, now, behaviors[rnd.Next(behaviors.Length)]);
            }
            else if (roll < 70)
            {
                var feature = features[rnd.Next(3)];
                var value = rnd.Next(1, 60);
                var check = Metering.Check(new Working(t.State), t.Catalog, t.Catalog.Feature(feature)!, null, value, now);
                if (check.Allowed && !Lifecycle.IsDue(t.State, now))
                {
                    var id = $"lk{++locks}";
                    DateTimeOffset? expires = rnd.Next(3) == 0 ? null : now + TimeSpan.FromHours(rnd.Next(1, 24 * 45));
                    t.Lock(id, feature, value, now, expires);
                    pending.Add(id);
                }
            }
            else if (roll < 90 && pending.Count > 0)
            {
                var id = pending[rnd.Next(pending.Count)];
                pending.Remove(id);
                t.Settle(now);
                if (t.State.FindLock(id) is { Status: LockStatus.Pending } held)
                {
                    if (rnd.Next(3) == 0)
                    {
                        Assert.Equal(FinalizeStatus.Released, t.Release(id, now));
                    }
                    else
                    {
                        decimal? over = rnd.Next(4) switch
                        {
                            0 => null,
                            1 => Math.Max(0, held.Value - rnd.Next(1, 30)),
                            2 => held.Value + rnd.Next(1, 30),
                            _ => -rnd.Next(1, 10),
                        };
                        Assert.Equal(FinalizeStatus.Confirmed, t.Confirm(id, over, now));
                    }
                }
            }
            else
            {
                var u = rnd.Next(3) switch
                {
                    0 => new BalanceUpdate { AddToBalance = rnd.Next(-20, 40) },
                    1 => new BalanceUpdate { Remaining = rnd.Next(0, 150) },
                    _ => new BalanceUpdate { IncludedGrant = rnd.Next(50, 200) },
                };
                t.Run(now, w => BalanceOps.Update(w, t.Catalog, new BalanceTarget(features[rnd.Next(features.Length)], null, null, null), u, now, t.Ids));
            }

            try
            {
                t.AssertLedgerReplays();
                Assert.Equal(t.ScannedDueAt(), t.State.NextDueAt);
                Assert.All(t.State.Rollovers, r => Assert.True(r.Balance >= 0 && r.Balance <= r.Granted,
                    $"rollover {r.Id} holds {r.Balance} of {r.Granted}"));
                Assert.True(t.Settle(now).IsEmpty, "a second settle at the same now changed something");
                Assert.All(t.State.Sources.Where(s => s.NextResetAt is not null), s => Assert.True(s.NextResetAt > now));
            }
            catch (Exception e)
            {
                throw new InvalidOperationException($"{step}: {e.Message}", e);
            }
        }
    }
}
