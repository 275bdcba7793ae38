using Tally.Core.Domain;
using Tally.Server.Api.Events;
using static Tally.Server.Tests.Api.Kit;

namespace Tally.Server.Tests.Api.Events;

/// <summary>events.list's decision called directly with the events a query found.</summary>
public sealed class ListEventsDecisionTests
{
    private static LedgerEvent Event(long seq, params (string Source, decimal Value)[] deltas) => new()
    {
        Id = $"evt_{seq}",
        Kind = LedgerKind.Track,
        CustomerId = "cus_1",
        EventName = "messages",
        Value = deltas.Sum(d => d.Value),
        Timestamp = Now.AddMinutes(-seq),
        Seq = seq,
        Deltas = [.. deltas.Select(d => new SourceDelta { SourceId = d.Source, FeatureId = "messages", Value = d.Value })],
    };

    [Fact]
    public void Decide_OneMoreThanTheLimit_GivesAPageAndACursor_WithDeductionsMergedPerSource()
    {
        var found = new[] { Event(9, ("src_a", 2), ("src_a", 3), ("src_b", 1)), Event(8, ("src_a", 1)), Event(7, ("src_a", 1)) };

        var json = Json(ListEvents.Decide(found, 2));
        var last = Json(ListEvents.Decide(found[2..], 2));

        var list = json.GetProperty("list").EnumerateArray().ToList();
        Assert.Equal(["evt_9", "evt_8"], list.Select(e => e.GetProperty("id").GetString()));
        Assert.Equal([5m, 1m], list[0].GetProperty("deductions").EnumerateArray().Select(d => d.GetProperty("value").GetDecimal()));
        Assert.Equal(JsonValueKind.String, json.GetProperty("next_cursor").ValueKind);
        Assert.False(last.TryGetProperty("next_cursor", out var none) && none.ValueKind != JsonValueKind.Null);
    }
}
