using Tally.Core.Domain;

namespace Tally.Core.Engine;

/// <summary>One source's entry in a balance's breakdown, as the source stood when the entry was made.</summary>
public sealed record BreakdownItem(
    BalanceSource Source,
    decimal IncludedGrant,
    decimal PrepaidGrant,
    decimal Remaining,
    decimal Usage)
{
    private byte[]? _rendered;

    // A copy ('with') is another entry: it starts without the original's rendering.
    private BreakdownItem(BreakdownItem original)
    {
        Source = original.Source;
        IncludedGrant = original.IncludedGrant;
        PrepaidGrant = original.PrepaidGrant;
        Remaining = original.Remaining;
        Usage = original.Usage;
        Shared = original.Shared;
    }

    /// <summary>
    /// True when the entry lives on the customer's state (its cached balance of the feature, one small enough to be patched
    /// rather than rebuilt), so every request that reads the balance until the source changes shows this very entry:
    /// worth rendering once (<see cref="Rendered"/>).
    /// </summary>
    public bool Shared { get; internal init; }

    /// <summary>
    /// This entry as rendered by <paramref name="render"/> (the server's wire bytes): rendered on the first call and kept
    /// on the entry, which never changes, so an untouched grant of a stacked balance is rendered once per change of its
    /// source instead of once per request. <paramref name="render"/> must be a pure function of the entry, the same one
    /// on every call; the memo lives and dies with the entry (and so with the state or the answer holding it).
    /// </summary>
    public byte[] Rendered(Func<BreakdownItem, byte[]> render) => _rendered ??= render(this);

    /// <summary>Equal entries show the same values (a rendering kept on one of them is not part of what it is).</summary>
    public bool Equals(BreakdownItem? other) =>
        other is not null && Source == other.Source && IncludedGrant == other.IncludedGrant && PrepaidGrant == other.PrepaidGrant
        && Remaining == other.Remaining && Usage == other.Usage;

    public override int GetHashCode() => HashCode.Combine(Source, IncludedGrant, PrepaidGrant, Remaining, Usage);
}
