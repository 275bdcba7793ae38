namespace Tally.Core.Engine;

/// <summary>
/// A sum of decimals that can swap one term for another in O(1) and still equal, digit for digit, the sum of its terms
/// added afresh from zero. Decimal addition is exact here (terms are bounded so no sum ever rounds), but it keeps the
/// largest scale of its operands: 1 + 2.50 is 3.50, and taking 2.50 away again leaves 1.00 where a fresh sum says 1.
/// So the sum remembers the largest scale among its terms and how many terms have it, and after a swap it drops the
/// trailing zeros a departed term left behind. When that is not known (the last term of the largest scale leaves for
/// a smaller one) or a term is out of bounds, the swap declines and the caller sums afresh.
/// </summary>
internal struct ExactSum
{
    // |term| < 10^15 with at most 6 decimals, and at most a million terms: every partial sum stays under 10^27 units of
    // 10^-6, well inside a decimal's 96-bit mantissa, so no addition in any order rounds.
    private const int MaxTermScale = 6;
    private const int MaxTerms = 1_000_000;
    private const decimal Bound = 1_000_000_000_000_000m;

    private int _terms;

    /// <summary>The sum, with the scale a fresh left-to-right sum from 0 would have.</summary>
    public decimal Value { get; private set; }

    // The largest scale among the terms and the zero the sum starts from, and how many terms have it.
    private int _scale;
    private int _atScale;

    /// <summary>False once a term was out of bounds: the value is still the plain sum, but swaps decline.</summary>
    public bool Exact { get; private set; }

    public static ExactSum Empty => new() { Exact = true };

    /// <summary>Adds a term, as a fresh sum would.</summary>
    public void Add(decimal term)
    {
        Value += term;
        if (!Exact)
        {
            return;
        }
        if (!Fits(term) || ++_terms > MaxTerms)
        {
            Exact = false;
            return;
        }
        Count(term.Scale);
    }

    /// <summary>The sum with <paramref name="old"/> (one of its terms) replaced by <paramref name="term"/>; false when not exact.</summary>
    public readonly bool TryReplace(decimal old, decimal term, out ExactSum result)
    {
        result = this;
        if (!Exact || !Fits(term))
        {
            return false;
        }
        var oldScale = old.Scale;
        if (oldScale == _scale && _scale > 0)
        {
            if (--result._atScale == 0 && term.Scale < _scale)
            {
                // The largest remaining scale is unknown without a scan.
                return false;
            }
        }
        result.Count(term.Scale);
        var value = Value - old + term;
        result.Value = value.Scale > result._scale ? decimal.Round(value, result._scale) : value;
        return true;
    }

    private void Count(int scale)
    {
        if (scale > _scale)
        {
            _scale = scale;
            _atScale = 1;
        }
        else if (scale == _scale)
        {
            _atScale++;
        }
    }

    private static bool Fits(decimal term) => term.Scale <= MaxTermScale && term < Bound && term > -Bound;
}
