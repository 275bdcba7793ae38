using Tally.Contracts;

namespace Tally.Client.Internal;

/// <summary>
/// The contracts leave null properties out when writing, which is right for "not given"; but a few fields mean
/// "remove it" when sent as an explicit null (a plan's or a customization's <c>price</c> and <c>free_trial</c>).
/// Their setters record that the caller set them; this names those, and <see cref="JsonBody.WithNulls"/> writes them.
/// </summary>
internal static class ExplicitNulls
{
    public static List<(string? Parent, string Name)> Of(UpdatePlanParams p)
    {
        var nulls = new List<(string?, string)>();
        if (p.PriceSpecified && p.Price is null)
        {
            nulls.Add((null, "price"));
        }
        if (p.FreeTrialSpecified && p.FreeTrial is null)
        {
            nulls.Add((null, "free_trial"));
        }
        return nulls;
    }

    public static List<(string? Parent, string Name)> Of(PlanCustomize? c)
    {
        var nulls = new List<(string?, string)>();
        if (c is { PriceSpecified: true, Price: null })
        {
            nulls.Add(("customize", "price"));
        }
        if (c is { FreeTrialSpecified: true, FreeTrial: null })
        {
            nulls.Add(("customize", "free_trial"));
        }
        return nulls;
    }
}
