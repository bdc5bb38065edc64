using System.Numerics;
using System.Runtime.Intrinsics;

namespace StrategyLab.Runtime.Portfolio;

/// <summary>
/// Picks the k highest and k lowest values of a row in one pass, without sorting the row.
/// Order is by (value, asset index), the order of a stable ascending sort: among equal values the
/// lower index counts as lower. NaN values are not eligible.
/// </summary>
public static class RankSelection
{
    /// <summary>
    /// Writes the indices of the <paramref name="top"/>.Length highest values into <paramref name="top"/>
    /// (highest first) and of the <paramref name="bottom"/>.Length lowest into <paramref name="bottom"/>
    /// (lowest first). Returns how many eligible values the row has; when fewer than both buffers need,
    /// the caller decides how to split them (see <see cref="TopBottomKPortfolio"/>).
    /// </summary>
    public static int Select(ReadOnlySpan<double> row, ReadOnlySpan<bool> eligible, Span<int> top, Span<int> bottom, out int topCount, out int bottomCount)
    {
        topCount = 0;
        bottomCount = 0;
        var valid = 0;
        // the value a newcomer must reach to enter each full buffer, so most values are turned away with one comparison
        double topEntry = double.NegativeInfinity, bottomEntry = double.PositiveInfinity;
        bool topFull = top.Length == 0, bottomFull = bottom.Length == 0;
        var a = 0;
        if (eligible.IsEmpty && Vector.IsHardwareAccelerated)
        {
            // a vector of values is skipped at once when none of them can enter either buffer: the
            // entry values only get harder to reach, so a value turned away now stays turned away
            var width = Vector<double>.Count;
            for (; a <= row.Length - width; a += width)
            {
                var v = new Vector<double>(row[a..]);
                var present = Vector.Equals(v, v);
                valid -= (int)Vector.Sum(present); // comparison lanes are −1 where true
                var wantTop = top.Length == 0 ? Vector<long>.Zero : topFull ? Vector.GreaterThanOrEqual(v, new Vector<double>(topEntry)) : present;
                var wantBottom = bottom.Length == 0 ? Vector<long>.Zero : bottomFull ? Vector.LessThan(v, new Vector<double>(bottomEntry)) : present;
                if (Vector.EqualsAll(wantTop | wantBottom, Vector<long>.Zero))
                    continue;
                for (var lane = a; lane < a + width; lane++)
                {
                    if (!double.IsNaN(row[lane]))
                        Consider(row, lane, top, bottom, ref topCount, ref bottomCount, ref topEntry, ref bottomEntry, ref topFull, ref bottomFull);
                }
            }
        }
        for (; a < row.Length; a++)
        {
            if (double.IsNaN(row[a]) || (!eligible.IsEmpty && !eligible[a]))
                continue;
            valid++;
            Consider(row, a, top, bottom, ref topCount, ref bottomCount, ref topEntry, ref bottomEntry, ref topFull, ref bottomFull);
        }
        return valid;
    }

    /// <summary>
    /// <see cref="Select"/> for a row without a universe mask, sped up by the assets picked at an
    /// earlier bar, which <paramref name="top"/> and <paramref name="bottom"/> hold on entry (full,
    /// <paramref name="topHeld"/> and <paramref name="bottomHeld"/> of them). Any assets would do:
    /// with k of them priced, the k-th highest value is at least their lowest, so only values that
    /// reach it can be picked, and a vector compare turns the rest away. Signals that move little
    /// from bar to bar leave few such values. Returns false, having written nothing, when a buffer
    /// is not full or one of its assets has no value now; <see cref="Select"/> must then run.
    /// </summary>
    public static bool SelectNear(ReadOnlySpan<double> row, Span<int> top, int topHeld, Span<int> bottom, int bottomHeld, out int topCount, out int bottomCount)
    {
        topCount = 0;
        bottomCount = 0;
        if (!Vector256.IsHardwareAccelerated || topHeld != top.Length || bottomHeld != bottom.Length)
            return false;
        double topEntry = double.PositiveInfinity, bottomEntry = double.NegativeInfinity;
        foreach (var i in top)
            topEntry = Math.Min(topEntry, row[i]);
        foreach (var i in bottom)
            bottomEntry = Math.Max(bottomEntry, row[i]);
        if (double.IsNaN(topEntry) || double.IsNaN(bottomEntry))
            return false;
        // an empty side takes no value: its bound (NaN) admits none. Once a side's buffer is full, the value a
        // newcomer must reach only rises (falls), and the bound follows it.
        var reachTop = top.Length == 0 ? double.NaN : topEntry;
        var reachBottom = bottom.Length == 0 ? double.NaN : bottomEntry;
        var a = 0;
        for (; a <= row.Length - Vector256<double>.Count; a += Vector256<double>.Count)
        {
            var v = Vector256.Create(row.Slice(a, Vector256<double>.Count));
            var highs = Vector256.GreaterThanOrEqual(v, Vector256.Create(reachTop)).ExtractMostSignificantBits();
            var lows = Vector256.LessThanOrEqual(v, Vector256.Create(reachBottom)).ExtractMostSignificantBits();
            for (; highs != 0; highs &= highs - 1)
                OfferHighest(row, a + BitOperations.TrailingZeroCount(highs), top, ref topCount, ref reachTop);
            for (; lows != 0; lows &= lows - 1)
                OfferLowest(row, a + BitOperations.TrailingZeroCount(lows), bottom, ref bottomCount, ref reachBottom);
        }
        for (; a < row.Length; a++)
        {
            if (row[a] >= reachTop)
                OfferHighest(row, a, top, ref topCount, ref reachTop);
            if (row[a] <= reachBottom)
                OfferLowest(row, a, bottom, ref bottomCount, ref reachBottom);
        }
        return true;
    }

    // Consider's top side for a value at least the bound; a full buffer raises the bound to its entry value
    private static void OfferHighest(ReadOnlySpan<double> row, int a, Span<int> top, ref int count, ref double reach)
    {
        var v = row[a];
        if (count == top.Length && v < row[top[count - 1]])
            return;
        InsertHighest(row, top, ref count, a, v);
        if (count == top.Length)
            reach = Math.Max(reach, row[top[count - 1]]);
    }

    // Consider's bottom side for a value at most the bound; a full buffer lowers the bound to its entry value
    private static void OfferLowest(ReadOnlySpan<double> row, int a, Span<int> bottom, ref int count, ref double reach)
    {
        var v = row[a];
        if (count == bottom.Length && v >= row[bottom[count - 1]])
            return;
        InsertLowest(row, bottom, ref count, a, v);
        if (count == bottom.Length)
            reach = Math.Min(reach, row[bottom[count - 1]]);
    }

    private static void Consider(ReadOnlySpan<double> row, int a, Span<int> top, Span<int> bottom, ref int topCount, ref int bottomCount,
        ref double topEntry, ref double bottomEntry, ref bool topFull, ref bool bottomFull)
    {
        var v = row[a];
        if (top.Length > 0 && (!topFull || v >= topEntry))
        {
            InsertHighest(row, top, ref topCount, a, v);
            topFull = topCount == top.Length;
            topEntry = row[top[topCount - 1]];
        }
        if (bottom.Length > 0 && (!bottomFull || v < bottomEntry))
        {
            InsertLowest(row, bottom, ref bottomCount, a, v);
            bottomFull = bottomCount == bottom.Length;
            bottomEntry = row[bottom[bottomCount - 1]];
        }
    }

    // top is kept highest first; a later index beats an equal value already held
    private static void InsertHighest(ReadOnlySpan<double> row, Span<int> top, ref int count, int asset, double value)
    {
        var i = count < top.Length ? count++ : count - 1;
        while (i > 0 && value >= row[top[i - 1]])
        {
            top[i] = top[i - 1];
            i--;
        }
        top[i] = asset;
    }

    // bottom is kept lowest first; an earlier index beats an equal value that comes later
    private static void InsertLowest(ReadOnlySpan<double> row, Span<int> bottom, ref int count, int asset, double value)
    {
        var i = count < bottom.Length ? count++ : count - 1;
        while (i > 0 && value < row[bottom[i - 1]])
        {
            bottom[i] = bottom[i - 1];
            i--;
        }
        bottom[i] = asset;
    }
}
