using System.Text;
using Tally.Core.Storage;
using static Tally.Storage.Tests.Rows;

namespace Tally.Storage.Tests;

/// <summary>Requests carrying several idempotency keys, and search terms no pattern engine should see.</summary>
public abstract partial class StoreContractTests
{
    [StoreFact]
    public async Task IdempotencyKeys_SeveralPerRequest_EachHoldsOnItsOwn()
    {
        await CreateCustomerAsync(Store, "c1", with: w => w.Put(Source("src_main", w.TakeSeq(), T0, balance: 10m)));
        var first = await MutateAsync(Store, "c1", Spend("c1"), new IdempotencyRequest(["header:h", "track:b1"], "hash-a"), Bytes);
        Assert.Equal(StoreOutcome.Done, first.Outcome);

        // The same header with a fresh body key (so another body): the header key is taken by another request.
        var fresh = await MutateAsync(Store, "c1", Spend("c1"), new IdempotencyRequest(["header:h", "track:b2"], "hash-b"), Bytes);
        Assert.Equal(StoreOutcome.KeyConflict, fresh.Outcome);
        Assert.Equal("hash-a", fresh.Replay!.RequestHash);

        // Either key alone, or with a new one, replays the first answer when the request is the same.
        foreach (var keys in new[] { new[] { "header:h" }, ["track:b1"], ["track:b1", "header:other"] })
        {
            var replay = await MutateAsync(Store, "c1", Spend("c1"), new IdempotencyRequest(keys, "hash-a"), Bytes);
            Assert.Equal(StoreOutcome.Replayed, replay.Outcome);
            Assert.Equal(Bytes(9m), replay.Replay!.Body);
        }

        // A key not seen yet does not stop the replay of one that was.
        var mixed = await MutateAsync(Store, "c1", Spend("c1"), new IdempotencyRequest(["header:h", "track:b3"], "hash-a"), Bytes);
        Assert.Equal(StoreOutcome.Replayed, mixed.Outcome);
        // A conflict on any key wins over a replay on another.
        await MutateAsync(Store, "c1", Spend("c1"), new IdempotencyRequest("track:b4", "hash-c"), Bytes);
        var both = await MutateAsync(Store, "c1", Spend("c1"), new IdempotencyRequest(["header:h", "track:b4"], "hash-a"), Bytes);
        Assert.Equal(StoreOutcome.KeyConflict, both.Outcome);

        // Nothing the refused or replayed requests carried was recorded: the fresh key is still free.
        await ReopenAsync();
        var later = await MutateAsync(Store, "c1", Spend("c1"), new IdempotencyRequest("track:b2", "hash-d"), Bytes);
        Assert.Equal(StoreOutcome.Done, later.Outcome);
        Assert.Equal(7m, await BalanceAsync(Store, "c1"));
        Assert.Equal(3, (await EventsOfAsync(Store, "c1")).Count);
    }

    [StoreFact]
    public async Task IdempotencyKeys_TwoPerRequest_BothRecordedWithItsCommit()
    {
        await CreateCustomerAsync(Store, "c1", with: w => w.Put(Source("src_main", w.TakeSeq(), T0, balance: 10m)));
        Assert.Equal(StoreOutcome.Done,
            (await MutateAsync(Store, "c1", Spend("c1"), new IdempotencyRequest(["track:x", "header:y"], "hash-a"), Bytes)).Outcome);
        await ReopenAsync();
        foreach (var key in new[] { "track:x", "header:y" })
        {
            Assert.Equal(StoreOutcome.Replayed, (await MutateAsync(Store, "c1", Spend("c1"), new IdempotencyRequest(key, "hash-a"), Bytes)).Outcome);
            Assert.Equal(StoreOutcome.KeyConflict, (await MutateAsync(Store, "c1", Spend("c1"), new IdempotencyRequest(key, "hash-b"), Bytes)).Outcome);
        }
        var body = Encoding.UTF8.GetBytes("catalog");
        var catalog = await Store.MutateCatalogAsync(Tenant, _ => new CatalogDecision<int>(1, null, body),
            new IdempotencyRequest(["header:y", "header:z"], "hash-a"), None);
        Assert.Equal(StoreOutcome.Replayed, catalog.Outcome);
        Assert.Equal(9m, await BalanceAsync(Store, "c1"));
    }

    [StoreFact]
    public async Task IdempotencyKeys_ParallelRequestsSharingKeysInAnyOrder_ApplyOnce()
    {
        await CreateCustomerAsync(Store, "c1", with: w => w.Put(Source("src_main", w.TakeSeq(), T0, balance: 100m)));
        // Every set shares "header:a": two sets with no key in common (["header:a"] and ["track:b"] alone) are two
        // different requests, and both apply when they happen to run before any request carrying both keys.
        var keySets = new[] { new[] { "header:a", "track:b" }, ["track:b", "header:a"], ["header:a"], ["header:a", "track:b"] };
        var results = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            Task.Run(() => MutateAsync(Store, "c1", Spend("c1"), new IdempotencyRequest(keySets[i % 4], "hash-a"), Bytes))));
        var done = Assert.Single(results, r => r.Outcome == StoreOutcome.Done);
        Assert.Equal(39, results.Count(r => r.Outcome == StoreOutcome.Replayed));
        Assert.Equal(99m, await BalanceAsync(Store, "c1"));
        Assert.Equal(99m, done.Result);
    }

    [StoreFact]
    public async Task ListCustomers_HugeOrWildcardSearch_MatchesLiterallyWithoutFailing()
    {
        await CreateCustomerAsync(Store, "zzz", "Zed", null);
        await CreateCustomerAsync(Store, "50%", "Half", null);
        async Task<IEnumerable<string>> Search(string s) => (await Store.ListCustomersAsync(Tenant, 0, 100, s, None)).Select(c => c.CustomerId);

        Assert.Empty(await Search(new string('z', 50_001)));
        Assert.Empty(await Search(new string('%', 30_000)));
        Assert.Empty(await Search(new string('_', 30_000)));
        Assert.Empty(await Search(new string('\\', 30_000)));
        Assert.Empty(await Search(string.Concat(Enumerable.Repeat("%z", 20_000))));
        Assert.Equal(["zzz"], await Search("ZZ"));
        Assert.Equal(["50%"], await Search("0%"));
        Assert.Empty(await Search("%%"));
        Assert.Empty((await Store.ListCustomersAsync(Tenant, 0, 100, new string('%', 30_000), None, newestFirst: true)));
    }
}
