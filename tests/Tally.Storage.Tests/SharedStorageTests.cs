using Tally.Core.Domain;
using Tally.Core.Storage;

namespace Tally.Storage.Tests;

/// <summary>The store-agnostic pieces both stores share: what a request's keys answer, and the in-process key claims.</summary>
public sealed class SharedStorageTests
{
    private static readonly TenantId Tenant = new("org_test", Env.Sandbox);
    private static readonly DateTimeOffset T0 = new(2025, 1, 15, 12, 0, 0, TimeSpan.Zero);

    private static IdempotencyRecord Found(string key, string hash) => new(key, hash, 200, [1, 2, 3], T0);

    [Fact]
    public void Answer_NoRecord_LetsTheWorkRun()
    {
        Assert.Null(Idempotency.Answer<int>(new IdempotencyRequest(["a", "b"], "h"), []));
    }

    [Fact]
    public void Answer_AnyKeyOfAnotherRequest_IsAConflict_EvenWhenAnotherKeyReplays()
    {
        var req = new IdempotencyRequest(["a", "b"], "h");
        var conflict = Idempotency.Answer<int>(req, [Found("a", "h"), Found("b", "other")]);
        Assert.Equal(StoreOutcome.KeyConflict, conflict!.Outcome);
        Assert.Equal("b", conflict.Replay!.ScopedKey);
        var replay = Idempotency.Answer<int>(req, [Found("b", "h")]);
        Assert.Equal(StoreOutcome.Replayed, replay!.Outcome);
    }

    [Fact]
    public void Records_OnePerDistinctKey_NoneWithoutABody()
    {
        var req = new IdempotencyRequest(["b", "a", "b"], "h");
        Assert.Equal(["a", "b"], req.OrderedKeys);
        var records = Idempotency.Records(req, [9], 201, T0);
        Assert.Equal(["a", "b"], records.Select(r => r.ScopedKey));
        Assert.All(records, r => Assert.Equal((201, "h"), (r.Status, r.RequestHash)));
        Assert.Empty(Idempotency.Records(req, null, 200, T0));
        Assert.Empty(Idempotency.Records(null, [9], 200, T0));
    }

    [Fact]
    public async Task Claims_SharingKeysInAnyOrder_AreExclusive_AndLeaveNothingBehind()
    {
        var claims = new KeyClaims();
        var inside = 0;
        var most = 0;
        var sets = new[] { new[] { "x", "y" }, ["y", "x"], ["y"], ["x", "z"] };
        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(async () =>
        {
            using var claim = await claims.ClaimAsync(Tenant, new IdempotencyRequest(sets[i % sets.Length], "h"), CancellationToken.None);
            var now = Interlocked.Increment(ref inside);
            InterlockedMax(ref most, now);
            await Task.Yield();
            Interlocked.Decrement(ref inside);
        })));
        Assert.Equal(0, claims.Count);
        Assert.True(most <= 2, $"{most} holders at once"); // only {y} and {x, z} may overlap
    }

    [Fact]
    public async Task Claims_ACancelledWaiter_ReleasesWhatItHeld()
    {
        var claims = new KeyClaims();
        var holder = await claims.ClaimAsync(Tenant, new IdempotencyRequest("b", "h"), CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var waiter = claims.ClaimAsync(Tenant, new IdempotencyRequest(["a", "b"], "h"), cancel.Token).AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiter);
        Assert.Equal(1, claims.Count);
        using (var again = await claims.ClaimAsync(Tenant, new IdempotencyRequest("a", "h"), CancellationToken.None))
        {
            Assert.Equal(2, claims.Count);
        }
        holder!.Dispose();
        Assert.Equal(0, claims.Count);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
