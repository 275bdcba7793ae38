using Tally.Contracts;

namespace Tally.Server.Tests.Api.Events;

/// <summary>
/// Issue #11: nothing is committed that cannot be read back. Every kind of ledger row Tally records (tracks, checks
/// with send_event, batch tracks, event-name fan-out, entity tracks, confirmed and released locks, grants,
/// adjustments, seats, resets) is written with properties in every corner of Unicode, then read back through
/// events.list under every filter, also after the server restarts on the same file.
/// </summary>
public sealed class EventRoundTripTests : IDisposable
{
    private const string Key = "am_sk_test_round_trip";
    private static readonly TallyJsonContext C = TallyJsonContext.Default;

    // Valid Unicode that is easy to mangle: astral characters as pairs of escapes and raw, combining marks, the
    // last BMP and the last astral code points, controls, quotes and backslashes, RTL and zero-width characters.
    private static readonly string[] Notes =
    [
        "plain", "\\ud83d\\ude00 escaped pair", "😀 raw astral", "e\\u0301 combining", "\\uffff last BMP", "\\udbff\\udfff last astral",
        "\\u0001\\u001f controls", "quote \\\" and backslash \\\\", "עברית RTL", "zero\\u200bwidth", "中文", "",
    ];

    private readonly string _dir = TempDirs.Create("tally-roundtrip-");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        TempDirs.Delete(_dir);
    }

    [Fact]
    public async Task EveryKindOfEvent_WithAnyValidUnicode_IsReadBackByEventsList()
    {
        var database = Path.Combine(_dir, "tally.db");
        await using var first = await ServerProcess.StartAsync(database, Key);
        var api = first.Api(Key);
        var feature = await api.MeteredFeatureAsync("rt_messages", eventNames: "rt_event");
        var other = await api.MeteredFeatureAsync("rt_other", eventNames: "rt_event");
        var seats = await api.MeteredFeatureAsync("rt_seats", consumable: false);
        var plan = await api.PlanAsync(Setup.Item(feature, 10_000), Setup.Item(other, 10_000), Setup.Item(seats, 5, null));
        var customer = await api.CustomerAsync("rt_customer");
        await api.AttachAsync(customer, plan);
        (await api.PostAsync("entities.create", $$"""{"customer_id":"{{customer}}","entity_id":"rt_seat","feature_id":"{{seats}}"}""")).ShouldBe(200);

        var expected = new List<string>();
        foreach (var note in Notes)
        {
            var props = $$"""{"note":"{{note}}","n":[1,null,{"k":"{{note}}"}]}""";
            (await api.PostAsync("balances.track", $$"""{"customer_id":"{{customer}}","feature_id":"{{feature}}","properties":{{props}}}""")).ShouldBe(200);
            expected.Add(Normal(props));
        }
        (await api.PostAsync("balances.check", $$$"""{"customer_id":"{{{customer}}}","feature_id":"{{{feature}}}","required_balance":2,"send_event":true,"properties":{"via":"check"}}""")).ShouldBe(200);
        Assert.Equal(202, (await api.PostAsync("balances.batch_track", $$$"""[{"customer_id":"{{{customer}}}","feature_id":"{{{feature}}}","properties":{"via":"batch \ud83d\ude00"}}]""")).Status);
        (await api.PostAsync("balances.track", $$$"""{"customer_id":"{{{customer}}}","event_name":"rt_event","properties":{"via":"fan-out"}}""")).ShouldBe(200);
        (await api.PostAsync("balances.track", $$$"""{"customer_id":"{{{customer}}}","entity_id":"rt_seat","feature_id":"{{{feature}}}","properties":{"via":"entity"}}""")).ShouldBe(200);
        foreach (var (lockId, action) in new[] { ("rt_lock_a", "confirm"), ("rt_lock_b", "release") })
        {
            (await api.PostAsync("balances.check", $$$"""{"customer_id":"{{{customer}}}","feature_id":"{{{feature}}}","required_balance":3,"lock":{"lock_id":"{{{lockId}}}","enabled":true}}""")).ShouldBe(200);
            (await api.PostAsync("balances.finalize", $$"""{"lock_id":"{{lockId}}","action":"{{action}}"}""")).ShouldBe(200);
        }
        (await api.PostAsync("balances.create", $$"""{"customer_id":"{{customer}}","feature_id":"{{other}}","included_grant":7}""")).ShouldBe(200);
        (await api.PostAsync("balances.update", $$"""{"customer_id":"{{customer}}","feature_id":"{{feature}}","remaining":500}""")).ShouldBe(200);
        var next = (await api.BalanceAsync(customer, feature))!.NextResetAt!.Value;
        (await api.PostAsync("customers.advance_test_clock", $$"""{"customer_id":"{{customer}}","frozen_time":{{next + 1000}}}""")).ShouldBe(200);
        (await api.PostAsync("entities.delete", $$"""{"customer_id":"{{customer}}","entity_id":"rt_seat"}""")).ShouldBe(200);

        var listed = await ReadAllAsync(api, customer);
        AssertServed(listed, expected);

        // A restart reads the same rows back from the file, not from memory.
        Assert.Equal(0, await first.StopAsync());
        await using var second = await ServerProcess.StartAsync(database, Key);
        var again = await ReadAllAsync(second.Api(Key), customer);
        Assert.Equal(listed, again);
    }

    /// <summary>events.list under every filter answers 200; the unfiltered customer listing is returned.</summary>
    private static async Task<List<string>> ReadAllAsync(TallyApi api, string customer)
    {
        foreach (var body in new[]
        {
            "{}", $$"""{"feature_id":"rt_messages"}""", $$"""{"feature_id":["rt_messages","rt_other"]}""",
            $$"""{"customer_id":"{{customer}}","entity_id":"rt_seat"}""", """{"custom_range":{"start":0,"end":253402300799999}}""", """{"limit":1}""",
        })
        {
            (await api.PostAsync("events.list", body)).ShouldBe(200);
        }
        var page = (await api.PostAsync("events.list", $$"""{"customer_id":"{{customer}}","limit":1000}""")).ShouldBe(200).Json;
        Assert.Equal(JsonValueKind.Null, page.GetProperty("next_cursor").ValueKind);
        return [.. page.GetProperty("list").EnumerateArray().Select(e => e.GetRawText())];
    }

    private static void AssertServed(List<string> listed, List<string> tracked)
    {
        var props = listed.Select(e => Normal(JsonDocument.Parse(e).RootElement.GetProperty("properties").GetRawText())).ToList();
        Assert.All(tracked, p => Assert.Contains(p, props));
        foreach (var via in new[] { "check", "batch 😀", "fan-out", "entity" })
        {
            Assert.Contains(props, p => JsonDocument.Parse(p).RootElement.TryGetProperty("via", out var v) && v.GetString() == via);
        }
        // The fan-out is one event charging both features listing its name; the confirmed lock is an event, the
        // released one is not.
        var fanOut = JsonDocument.Parse(Assert.Single(listed, e => e.Contains("fan-out", StringComparison.Ordinal))).RootElement;
        Assert.Equal(["rt_messages", "rt_other"], fanOut.GetProperty("deductions").EnumerateArray().Select(d => d.GetProperty("feature_id").GetString()).Order(StringComparer.Ordinal));
        Assert.Equal(Notes.Length + 5, listed.Count);
    }

    /// <summary>The JSON value re-serialized, so escaped and raw spellings of the same text compare equal.</summary>
    private static string Normal(string json) => JsonSerializer.Serialize(JsonDocument.Parse(json).RootElement, C.JsonElement);
}
