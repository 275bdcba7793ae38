using Tally.Core.Domain;

namespace Tally.Storage.Tests;

/// <summary>The billing controls' memory rides in the customer and entity rows: it must read back exactly.</summary>
public sealed class ControlStateRowTests
{
    private static readonly ControlState State = new()
    {
        Windows = [new WindowCounter("messages", ControlWindow.Week, """{"model":"big"}""", new DateTimeOffset(2026, 3, 9, 0, 0, 0, TimeSpan.Zero), 12.5m)],
        Alerts = [new FiredAlert("messages", "usage:50", new DateTimeOffset(2026, 4, 1, 0, 0, 0, TimeSpan.Zero)), new FiredAlert("seats", "remaining:0", null)],
    };

    [Fact]
    public void Customer_WithControlState_RoundTrips()
    {
        var c = new Customer { Id = "c1", BillingControlsJson = """{"usage_limits":[]}""", ControlState = State };

        var back = RowCodec.Read<Customer>(RowCodec.Write(c));

        Assert.Equal(State.Windows, back.ControlState!.Windows);
        Assert.Equal(State.Alerts, back.ControlState.Alerts);
        Assert.Equal(c with { ControlState = back.ControlState }, back);
    }

    [Fact]
    public void Entity_WithoutControlState_WritesNoKey()
    {
        var json = RowCodec.Write(new Entity { Id = "e1", FeatureId = "seats" });

        Assert.DoesNotContain("control_state", json, StringComparison.Ordinal);
        Assert.Null(RowCodec.Read<Entity>(json).ControlState);
    }

    [Fact]
    public void Entity_WithControlState_RoundTrips()
    {
        var back = RowCodec.Read<Entity>(RowCodec.Write(new Entity { Id = "e1", FeatureId = "seats", ControlState = State }));

        Assert.Equal(State.Windows, back.ControlState!.Windows);
        Assert.Equal(State.Alerts, back.ControlState.Alerts);
    }
}
