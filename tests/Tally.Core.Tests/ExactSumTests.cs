using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Core;

namespace Tally.Core.Tests;

/// <summary>
/// <see cref="ExactSum"/> swaps one term in O(1); whenever it accepts a swap, its value must print exactly as the sum of
/// the current terms added afresh from zero (the scale included: 1 + 2.50 − 2.50 prints 1, not 1.00), and a swap it
/// declines leaves the caller to sum afresh. Random terms of scales 0 to 8, magnitudes up to 10^17, negatives.
/// </summary>
public sealed class ExactSumTests
{
    [Fact]
    public void TryReplace_RandomSwaps_PrintsAsAFreshSum()
    {
        var config = Config.QuickThrowOnFailure
            .WithMaxTest(PropertyRuns.Count(300))
            .WithQuietOnSuccess(true)
            .WithReplay(FSharpOption<Replay>.Some(new Replay(new Rnd(0x5CA1_E017UL), FSharpOption<int>.None)));
        var term = from units in Gen.Choose(-20_000, 20_000)
                   from scale in Gen.Choose(0, 8)
                   from big in Gen.Frequency((9, Gen.Constant(false)), (1, Gen.Constant(true)))
                   select new decimal(Math.Abs(units), 0, big ? 1 << 20 : 0, units < 0, (byte)scale);
        var gen = from terms in Gen.NonEmptyListOf(term)
                  from swaps in Gen.ListOf(Gen.Zip(Gen.Choose(0, 1000), term))
                  select (terms.ToArray(), swaps.ToArray());
        Check.One(config, Prop.ForAll(Arb.From(gen), ((decimal[] Terms, (int, decimal)[] Swaps) c) => Run(c.Terms, c.Swaps)));
    }

    [Fact]
    public void TryReplace_LastTermOfTheLargestScaleLeaves_Declines()
    {
        var sum = Of([1m, 2.50m]);
        Assert.Equal("3.50", Print(sum.Value));
        Assert.False(sum.TryReplace(2.50m, 2m, out _));
        Assert.True(sum.TryReplace(1m, 1.5m, out var swapped));
        Assert.Equal("4.00", Print(swapped.Value));
    }

    [Fact]
    public void TryReplace_AnotherTermKeepsTheLargestScale_KeepsIt()
    {
        var sum = Of([1.50m, 2.50m, 3m]);
        Assert.True(sum.TryReplace(2.50m, 2m, out var swapped));
        Assert.Equal("6.50", Print(swapped.Value));
        Assert.True(swapped.TryReplace(3m, 3.125m, out var finer));
        Assert.Equal("6.625", Print(finer.Value));
    }

    private static void Run(decimal[] terms, (int Index, decimal Term)[] swaps)
    {
        var sum = Of(terms);
        foreach (var (index, term) in swaps)
        {
            var i = index % terms.Length;
            var old = terms[i];
            terms[i] = term;
            sum = sum.TryReplace(old, term, out var swapped) ? swapped : Of(terms);
            Assert.Equal(Print(Fresh(terms)), Print(sum.Value));
        }
    }

    private static ExactSum Of(decimal[] terms)
    {
        var sum = ExactSum.Empty;
        foreach (var t in terms)
        {
            sum.Add(t);
        }
        return sum;
    }

    private static decimal Fresh(decimal[] terms)
    {
        decimal s = 0;
        foreach (var t in terms)
        {
            s += t;
        }
        return s;
    }

    private static string Print(decimal d) => d.ToString(CultureInfo.InvariantCulture);
}
